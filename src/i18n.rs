//! German messages. Every message meant for a person is written `tr!("…")` (this module's macro,
//! over the `tr` crate's catalogue reader and formatter): English in the source, looked up at run
//! time in the gettext catalogue `po/de.po`, which `build.rs` compiles into the binary. The Debian
//! package installs the same compiled catalogue as `/usr/share/locale/de/LC_MESSAGES/
//! jitsi-custom.mo`, where gettext's tools look for it; the program reads its built-in copy, so
//! its messages and their translations never disagree. The language comes from the environment as
//! gettext reads it; without German the messages stay English, and `--json` output and the
//! operation log are never translated.

use std::borrow::Cow;
use std::sync::OnceLock;

use tr::MoTranslator;
use tr::Translator;

/// The catalogue compiled from `po/de.po` by build.rs.
pub const BUILT_IN_CATALOGUE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/de.mo"));

/// Whether the reader asked for German, decided once at start-up.
static WANTS_GERMAN: OnceLock<bool> = OnceLock::new();

/// The catalogue, read on first use: a run that prints nothing, as the apt hook mostly does,
/// never spends the time.
static GERMAN: OnceLock<Option<MoTranslator>> = OnceLock::new();

/// Chooses the language once, at start-up, from `LANGUAGE`, `LC_ALL`, `LC_MESSAGES` and `LANG`.
pub fn init_from_env() {
    let _ = WANTS_GERMAN.set(wants_german(|name| std::env::var(name).ok()));
}

fn catalogue() -> Option<&'static MoTranslator> {
    if !is_german() {
        return None;
    }
    GERMAN
        .get_or_init(|| MoTranslator::from_vec_u8(BUILT_IN_CATALOGUE.to_vec()).ok())
        .as_ref()
}

/// A message in the reader's language, formatted like `format!` with named or positional
/// arguments: `tr!("{path}: not tracked", path)`, `tr!("one file" | "{n} files" % count)`. The
/// `tr` crate's macro of the same name, made thin: each of the program's ~800 messages calls two
/// plain functions ([`text`], [`plural`]) instead of instantiating a lookup of its own.
#[macro_export]
macro_rules! tr {
    ($msgid:literal $(,)?) => {
        ::std::string::String::from($crate::i18n::text($msgid))
    };
    ($msgid:literal, $($tail:tt)*) => {
        ::tr::runtime_format!($crate::i18n::text($msgid), $($tail)*)
    };
    ($one:literal | $many:literal % $n:expr $(,)?) => {{
        let n = $n;
        ::tr::runtime_format!($crate::i18n::plural($one, $many, n as u64), n = n)
    }};
    ($one:literal | $many:literal % $n:expr, $($tail:tt)*) => {{
        let n = $n;
        ::tr::runtime_format!($crate::i18n::plural($one, $many, n as u64), $($tail)*, n = n)
    }};
}

/// The German of `english` when the messages are German, else `english`.
pub fn text(english: &'static str) -> Cow<'static, str> {
    match catalogue() {
        Some(catalogue) => catalogue.translate(english, None),
        None => Cow::Borrowed(english),
    }
}

/// The form for `n` of a message with a singular and a plural, in the reader's language.
pub fn plural(one: &'static str, many: &'static str, n: u64) -> Cow<'static, str> {
    match catalogue() {
        Some(catalogue) => catalogue.ntranslate(n, one, many, None),
        None => Cow::Borrowed(if n == 1 { one } else { many }),
    }
}

/// Whether messages are German.
pub fn is_german() -> bool {
    WANTS_GERMAN.get() == Some(&true)
}

/// The German text of a message known only at run time (clap's help texts, which come from the
/// doc comments of `src/cli/`); the English text when there is none.
pub fn translate(english: &str) -> String {
    match catalogue() {
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

/// Formats a message in English — it goes into the state directory, `--json` or a notice that
/// programs read — and marks it for the catalogue, so that [`shown`] can put it in German when a
/// person reads it. Takes what `tr!` takes (no plurals).
#[macro_export]
macro_rules! english {
    ($msgid:tt) => {
        ::std::string::String::from($msgid)
    };
    ($msgid:tt, $($tail:tt)*) => {
        ::tr::runtime_format!($msgid, $($tail)*)
    };
}

/// Text for a person that is data too: English where programs read it (`--json`, the state
/// directory), in the reader's language where it is shown (`Display`, through [`shown`]). Made from
/// `english!` messages; several join as `first; second`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    parts: Vec<String>,
}

impl Message {
    pub fn new(english: String) -> Message {
        Message { parts: vec![english] }
    }

    /// This message followed by `later`.
    pub fn then(mut self, later: Message) -> Message {
        self.parts.extend(later.parts);
        self
    }

    /// The message as written, whatever the reader's language.
    pub fn english(&self) -> String {
        self.parts.join("; ")
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self.parts.iter().map(|part| shown(part)).collect();
        f.write_str(&shown.join("; "))
    }
}

impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.english())
    }
}

/// An error with its causes as `{err:#}` prints them, each cause through [`shown`].
pub fn shown_chain(err: &anyhow::Error) -> String {
    err.chain()
        .map(|cause| shown(&cause.to_string()))
        .collect::<Vec<_>>()
        .join(": ")
}

static TEMPLATES: OnceLock<Templates> = OnceLock::new();

/// A message made in English by `english!` (or `tr!`, arguments filled in), in German for a
/// person when the messages are German: the catalogue's message it was made from is found by its
/// fixed words, and its arguments, messages themselves maybe, are put into the German text. Text
/// no message matches, such as a parser's own words, stays as it is.
pub fn shown(text: &str) -> String {
    if !is_german() {
        return text.to_owned();
    }
    let templates = TEMPLATES.get_or_init(|| {
        let catalogue = rspolib::mofile(rspolib::FileOptions::from(BUILT_IN_CATALOGUE.to_vec()));
        let entries = catalogue
            .map(|catalogue| {
                catalogue
                    .entries
                    .into_iter()
                    .filter_map(|entry| Some((entry.msgid, entry.msgstr.filter(|s| !s.is_empty())?)))
                    .collect()
            })
            .unwrap_or_default();
        Templates::new(entries)
    });
    templates.translate(text, 0)
}

/// The catalogue's messages, for translating text already made in English.
struct Templates {
    exact: std::collections::HashMap<String, String>,
    /// Messages with placeholders, most fixed words first, so the most specific one wins.
    patterns: Vec<Pattern>,
}

struct Pattern {
    english: Vec<Piece>,
    german: String,
}

/// How deep arguments that are messages themselves are translated.
const MAX_NESTING: usize = 3;

/// A pattern needs this many letters outside its placeholders, so that one like `{path}: {reason}`
/// does not match any text with a colon in it.
const MIN_FIXED_LETTERS: usize = 6;

/// How many ways of splitting a text one pattern may try: a bound, not a limit real messages meet.
const MAX_TRIES: usize = 10_000;

impl Templates {
    fn new(entries: Vec<(String, String)>) -> Templates {
        let mut exact = std::collections::HashMap::new();
        let mut patterns = Vec::new();
        for (english, german) in entries {
            let pieces = pieces(&english);
            if pieces.iter().all(|piece| matches!(piece, Piece::Text(_))) {
                exact.insert(english, german);
                continue;
            }
            let fixed: usize = pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text.chars().filter(|c| c.is_alphabetic()).count(),
                    Piece::Place(_) => 0,
                })
                .sum();
            if fixed >= MIN_FIXED_LETTERS {
                patterns.push((
                    fixed,
                    Pattern {
                        english: pieces,
                        german,
                    },
                ));
            }
        }
        patterns.sort_by_key(|(fixed, _)| std::cmp::Reverse(*fixed));
        let patterns = patterns.into_iter().map(|(_, pattern)| pattern).collect();
        Templates { exact, patterns }
    }

    fn translate(&self, text: &str, depth: usize) -> String {
        if let Some(german) = self.exact.get(text) {
            return german.clone();
        }
        if depth < MAX_NESTING {
            for pattern in &self.patterns {
                let mut values = Vec::new();
                if split(&pattern.english, text, &mut values, &mut 0) {
                    let values: Vec<(String, String)> = values
                        .into_iter()
                        .map(|(name, value)| (name.to_owned(), self.translate(value, depth + 1)))
                        .collect();
                    return fill(&pattern.german, &values);
                }
            }
            if text.contains('\n') {
                return text
                    .split('\n')
                    .map(|line| self.translate(line, depth + 1))
                    .collect::<Vec<_>>()
                    .join("\n");
            }
        }
        text.to_owned()
    }
}

/// Whether `text` is the message `pieces` with some values put in; the values, by placeholder,
/// in `values`. Each placeholder takes the shortest text after which the rest still matches.
fn split<'p, 't>(
    pieces: &'p [Piece],
    text: &'t str,
    values: &mut Vec<(&'p str, &'t str)>,
    tries: &mut usize,
) -> bool {
    *tries += 1;
    if *tries > MAX_TRIES {
        return false;
    }
    match pieces {
        [] => text.is_empty(),
        [Piece::Text(fixed), rest @ ..] => text
            .strip_prefix(fixed.as_str())
            .is_some_and(|after| split(rest, after, values, tries)),
        [Piece::Place(name), rest @ ..] => {
            let ends: Vec<usize> = match rest.first() {
                None => vec![text.len()],
                Some(Piece::Text(fixed)) => text.match_indices(fixed.as_str()).map(|(at, _)| at).collect(),
                Some(Piece::Place(_)) => text
                    .char_indices()
                    .map(|(at, _)| at)
                    .chain([text.len()])
                    .collect(),
            };
            for end in ends {
                values.push((name.as_str(), &text[..end]));
                if split(rest, &text[end..], values, tries) {
                    return true;
                }
                values.pop();
            }
            false
        }
    }
}

/// The placeholders of a message, in order, as `tr!` and `english!` read them: the names inside
/// `{…}` (empty for `{}`), escaped braces (`{{`, `}}`) skipped.
pub fn placeholders(message: &str) -> Vec<String> {
    pieces(message)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Place(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect()
}

enum Piece {
    Text(String),
    Place(String),
}

/// `"{path}: not {{tracked}}"` → place `path`, text `": not {tracked}"`, as `tr!` reads it.
fn pieces(message: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Place(name.trim().to_owned()));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    pieces
}

/// The German text with the values put in: named placeholders by name, `{}` in order.
fn fill(german: &str, values: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut next_positional = values.iter().filter(|(name, _)| name.is_empty());
    for piece in pieces(german) {
        match piece {
            Piece::Text(text) => out.push_str(&text),
            Piece::Place(name) if name.is_empty() => {
                out.push_str(
                    next_positional
                        .next()
                        .map(|(_, value)| value.as_str())
                        .unwrap_or_default(),
                );
            }
            Piece::Place(name) => {
                let value = match name.parse::<usize>() {
                    Ok(index) => values.iter().filter(|(name, _)| name.is_empty()).nth(index),
                    Err(_) => values.iter().find(|(known, _)| *known == name),
                };
                out.push_str(value.map(|(_, value)| value.as_str()).unwrap_or_default());
            }
        }
    }
    out
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
    fn english_text_made_from_a_message_is_shown_in_german() {
        let templates = Templates::new(vec![
            (
                "the merged file does not validate: {problem}".into(),
                "die zusammengeführte Datei ist ungültig: {problem}".into(),
            ),
            (
                "line {line}: duplicate key {key}".into(),
                "Zeile {line}: doppelter Schlüssel {key}".into(),
            ),
            ("{path}: {reason}".into(), "{path}: {reason}".into()),
            ("{} of {} files".into(), "{1} Dateien, davon {0}".into()),
            ("conflicting changes".into(), "widersprüchliche Änderungen".into()),
        ]);
        let english = crate::english!(
            "the merged file does not validate: {problem}",
            problem = "line 3: duplicate key \"a\""
        );
        assert_eq!(
            templates.translate(&english, 0),
            "die zusammengeführte Datei ist ungültig: Zeile 3: doppelter Schlüssel \"a\""
        );
        assert_eq!(templates.translate("2 of 5 files", 0), "5 Dateien, davon 2");
        assert_eq!(
            templates.translate("conflicting changes", 0),
            "widersprüchliche Änderungen"
        );
        assert_eq!(
            templates.translate("conflicting changes\nunknown words", 0),
            "widersprüchliche Änderungen\nunknown words"
        );
        // A parser's own words, and a pattern of hardly any fixed words, are left alone.
        assert_eq!(
            templates.translate("unexpected token at 3:14", 0),
            "unexpected token at 3:14"
        );
        assert_eq!(
            templates.translate("/etc/x: conflicting changes", 0),
            "/etc/x: conflicting changes"
        );
    }

    #[test]
    fn placeholders_are_read_as_the_formatter_reads_them() {
        assert_eq!(placeholders("{path}: {{literal}} {} of { n }"), ["path", "", "n"]);
        assert!(placeholders("holds {{{{x}}}} as text").is_empty());
    }

    #[test]
    fn a_text_that_splits_many_ways_is_given_up_on_in_bounded_time() {
        let templates = Templates::new(vec![(
            "{a}, {b}, {c}, {d}, {e}, {f}, {g} could not be read".into(),
            "{a}, {b}, {c}, {d}, {e}, {f}, {g} sind nicht lesbar".into(),
        )]);
        let text = vec!["x"; 400].join(", ");
        assert_eq!(templates.translate(&text, 0), text);
    }

    #[test]
    fn the_built_in_catalogue_is_german() {
        let catalogue = MoTranslator::from_vec_u8(BUILT_IN_CATALOGUE.to_vec()).expect("a valid .mo");
        assert_eq!(catalogue.translate("error", None), "Fehler");
    }
}
