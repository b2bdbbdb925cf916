//! The main flows with `LANG=de_DE.UTF-8`: messages, `--help`, prompts' words and errors are
//! German; what programs read (`--json`, the operation log) is the same as in English.

mod common;

use common::{CARD, World, stderr, stdout};

const GERMAN: (&str, &str) = ("LANG", "de_DE.UTF-8");

fn german(w: &World, args: &[&str]) -> std::process::Output {
    w.cmd(args).env(GERMAN.0, GERMAN.1).output().unwrap()
}

#[test]
fn help_and_a_refused_command_line_are_german() {
    let w = World::new();
    let help = german(&w, &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = stdout(&help);
    for german in ["Verwendung: jitsi-custom", "Befehle:", "Anpassungen", "Optionen:"] {
        assert!(text.contains(german), "{german:?} missing from:\n{text}");
    }
    let verb = stdout(&german(&w, &["rebase", "--help"]));
    assert!(verb.contains("Verwendung: jitsi-custom rebase"), "{verb}");
    assert!(!verb.contains("Options:") && !verb.contains("Usage:"), "{verb}");
    // clap's bracketed notes too: environment variable, default, possible values, alias (the
    // help wraps lines wherever it likes).
    let verb = verb.split_whitespace().collect::<Vec<_>>().join(" ");
    for german in [
        "[Umgebungsvariable: JITSI_CUSTOM_STATE]",
        "[Vorgabe:",
        "[mögliche Werte:",
        "[Alias: --yes]",
    ] {
        assert!(verb.contains(german), "{german:?} missing from:\n{verb}");
    }
    for english in ["[env:", "[default:", "[possible values:", "[alias:"] {
        assert!(!verb.contains(english), "{english:?} in:\n{verb}");
    }

    let refused = german(&w, &["status", "--bogus"]);
    assert_eq!(refused.status.code(), Some(2), "a usage error still exits 2");
    let err = stderr(&refused);
    assert!(
        err.starts_with("Fehler: unerwartetes Argument '--bogus'"),
        "{err}"
    );
    let typo = stderr(&german(&w, &["statsu"]));
    assert!(typo.contains("Hinweis: meinten Sie 'status'?"), "{typo}");

    // English without a German locale, and in the C locale whatever LANGUAGE says (gettext's
    // rule).
    assert!(stdout(&w.cmd(&["--help"]).output().unwrap()).contains("Usage: jitsi-custom"));
    let c_locale = w
        .cmd(&["--help"])
        .env("LANG", "C")
        .env("LANGUAGE", "de")
        .output()
        .unwrap();
    assert!(stdout(&c_locale).contains("Usage: jitsi-custom"));
    let language = w
        .cmd(&["--help"])
        .env("LANG", "en_GB.UTF-8")
        .env("LANGUAGE", "de:en")
        .output()
        .unwrap();
    assert!(stdout(&language).contains("Verwendung: jitsi-custom"));
}

#[test]
fn an_error_and_its_hint_are_german_with_the_same_exit_code() {
    let w = World::new();
    let out = german(&w, &["status"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("Fehler: "), "{err}");
    assert!(
        err.contains("Hinweis: ") && err.contains("`jitsi-custom init`"),
        "{err}"
    );
    assert!(!err.contains("not initialised"), "{err}");
}

#[test]
fn the_main_flows_speak_german_and_json_and_the_log_stay_english() {
    let w = World::new();
    w.install("1.0.1-1");
    let init = german(&w, &["init"]);
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    w.sandbox()
        .apply_customisations(&jitsi_custom::sandbox::examples_dir())
        .unwrap();

    let status = german(&w, &["status"]);
    assert_eq!(status.status.code(), Some(1));
    let record = german(&w, &["record", "-m", "guide"]);
    assert_eq!(record.status.code(), Some(0), "{}", stderr(&record));

    w.install("1.0.2-1");
    let rebase = german(&w, &["--non-interactive", "rebase", "--no-restart"]);
    assert_eq!(
        rebase.status.code(),
        Some(0),
        "{}{}",
        stdout(&rebase),
        stderr(&rebase)
    );
    w.install("1.0.3-1");
    let parked = german(&w, &["--non-interactive", "rebase", "--no-restart"]);
    assert_eq!(
        parked.status.code(),
        Some(1),
        "{}{}",
        stdout(&parked),
        stderr(&parked)
    );
    let after = german(&w, &["status"]);

    // Every step printed something, and none of it in English.
    for (step, out) in [
        ("init", &init),
        ("status", &status),
        ("record", &record),
        ("rebase", &rebase),
        ("rebase (parked)", &parked),
        ("status (parked)", &after),
    ] {
        let text = format!("{}{}", stdout(out), stderr(out));
        assert!(!text.trim().is_empty(), "{step} printed nothing");
        for english in ENGLISH_WORDS {
            assert!(
                !text.contains(english),
                "{step} said {english:?} in English:\n{text}"
            );
        }
    }
    let parked_text = format!("{}{}", stdout(&parked), stderr(&parked));
    assert!(parked_text.contains(CARD), "{parked_text}");
    assert!(
        parked_text.contains("jitsi-custom resolve"),
        "the command stays as typed: {parked_text}"
    );

    // What programs read is the same in either language.
    for args in [&["status", "--json"][..], &["log", "--json"], &["log"]] {
        let english = w.cmd(args).output().unwrap();
        let in_german = german(&w, args);
        assert_eq!(stdout(&in_german), stdout(&english), "{args:?}");
        assert_eq!(in_german.status.code(), english.status.code(), "{args:?}");
    }
}

/// Words of the English messages that German ones never contain.
const ENGLISH_WORDS: &[&str] = &[
    "error:", "hint:", " the ", " is ", "parked:", "PARKED", "recorded", "carried",
];

/// apt prints the hook's lines on the admin's terminal, in the admin's language; a failing step
/// still says its consequence, in German, and apt still goes on (exit 0).
#[test]
fn the_apt_hook_speaks_german_on_apts_terminal() {
    let w = World::card_initialised();
    w.write(CARD, "<div class=\"card\">\n<p>Praxis Sonnenschein</p>\n</div>\n");
    let out = german(&w, &["hook", "pre-invoke"]);
    assert_eq!(out.status.code(), Some(0));
    let line = stderr(&out);
    assert!(
        line.starts_with("jitsi-custom: ") && line.contains(" erfasst: "),
        "{line}"
    );
    assert!(line.contains(CARD), "{line}");

    // A state directory others may write: the step refuses in one German line and apt goes on.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&w.state, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = german(&w, &["hook", "pre-invoke"]);
    assert_eq!(refused.status.code(), Some(0), "the hook never fails apt");
    let line = stderr(&refused);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains("Änderungen wurden vor diesem apt-Lauf nicht erfasst"),
        "{line}"
    );
    assert!(!line.contains("edits were not recorded"), "{line}");
}
