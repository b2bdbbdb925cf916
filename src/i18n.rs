//! German messages. Every message meant for a person is written `tr!("…")` (the `tr` crate):
//! English in the source, looked up at run time in the gettext catalogue `po/de.po`, which
//! `build.rs` compiles into the binary. The Debian package installs the same compiled catalogue as
//! `/usr/share/locale/de/LC_MESSAGES/jitsi-custom.mo`, where gettext's tools look for it; the
//! program reads its built-in copy, so its messages and their translations never disagree. The
//! language comes from the environment as gettext reads it; without German the messages stay
//! English, and `--json` output and the operation log are never translated.

use std::sync::{Arc, OnceLock};

use tr::MoTranslator;
use tr::Translator;

/// The catalogue compiled from `po/de.po` by build.rs.
pub const BUILT_IN_CATALOGUE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/de.mo"));

static GERMAN: OnceLock<Arc<MoTranslator>> = OnceLock::new();

/// Chooses the language once, at start-up, from `LANGUAGE`, `LC_ALL`, `LC_MESSAGES` and `LANG`.
pub fn init_from_env() {
    let var = |name: &str| std::env::var(name).ok();
    if wants_german(var)
        && let Ok(catalogue) = MoTranslator::from_vec_u8(BUILT_IN_CATALOGUE.to_vec())
    {
        let catalogue = Arc::new(catalogue);
        tr::set_translator!(catalogue.clone());
        let _ = GERMAN.set(catalogue);
    }
}

/// Whether messages are German.
pub fn is_german() -> bool {
    GERMAN.get().is_some()
}

/// The German text of a message known only at run time (clap's help texts, which come from the
/// doc comments of `src/cli/`); the English text when there is none.
pub fn translate(english: &str) -> String {
    match GERMAN.get() {
        Some(catalogue) => catalogue.translate(english, None).into_owned(),
        None => english.to_owned(),
    }
}

/// gettext's rule: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set names the locale; in
/// the `C`/`POSIX` locale messages are English whatever `LANGUAGE` says; otherwise `LANGUAGE`, a
/// colon-separated list of preferences, comes first, then the locale's own language.
fn wants_german(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    let Some(locale) = set("LC_ALL")
        .or_else(|| set("LC_MESSAGES"))
        .or_else(|| set("LANG"))
    else {
        return false;
    };
    if locale == "C" || locale == "POSIX" {
        return false;
    }
    let preferences = set("LANGUAGE").unwrap_or_default();
    for preference in preferences.split(':').chain([locale.as_str()]) {
        match language_of(preference) {
            "de" => return true,
            "en" | "C" => return false,
            _ => {}
        }
    }
    false
}

/// `de` of `de_DE.UTF-8@euro`.
fn language_of(locale: &str) -> &str {
    locale.split(['_', '.', '@']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn german_with(vars: &[(&str, &str)]) -> bool {
        wants_german(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn the_locale_variables_choose_as_gettext_does() {
        assert!(german_with(&[("LANG", "de_DE.UTF-8")]));
        assert!(german_with(&[("LANG", "de_AT.UTF-8")]));
        assert!(german_with(&[
            ("LC_MESSAGES", "de_CH.UTF-8"),
            ("LANG", "en_GB.UTF-8")
        ]));
        assert!(!german_with(&[
            ("LC_ALL", "en_US.UTF-8"),
            ("LANG", "de_DE.UTF-8")
        ]));
        assert!(german_with(&[("LANGUAGE", "fr:de"), ("LANG", "en_GB.UTF-8")]));
        assert!(!german_with(&[("LANGUAGE", "en:de"), ("LANG", "de_DE.UTF-8")]));
        assert!(german_with(&[("LANGUAGE", ""), ("LANG", "de_DE.UTF-8")]));
        // The C locale ignores LANGUAGE, as gettext does.
        assert!(!german_with(&[("LANGUAGE", "de"), ("LANG", "C")]));
        assert!(!german_with(&[("LANGUAGE", "de")]));
        assert!(!german_with(&[]));
        assert!(!german_with(&[("LANG", "fr_FR.UTF-8")]));
    }

    #[test]
    fn the_built_in_catalogue_is_german() {
        let catalogue = MoTranslator::from_vec_u8(BUILT_IN_CATALOGUE.to_vec()).expect("a valid .mo");
        assert_eq!(catalogue.translate("error", None), "Fehler");
    }
}
