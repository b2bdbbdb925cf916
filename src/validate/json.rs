//! JSON syntax check for Jitsi's translations (`lang/main-de.json` and friends): plain syntax,
//! and no key repeated in one object ([`crate::merge::check_unique_keys`], which also says why).

use std::collections::HashSet;

use super::one_line;

/// Checks `text` as JSON without duplicate keys; the error names the problem and its position.
#[cfg(test)]
pub(super) fn check_json(text: &str) -> Result<(), String> {
    check_json_tolerating(text, &HashSet::new())
}

/// Like [`check_json`], but a key named in `tolerated` may repeat: upstream's own file repeated
/// it (Jitsi's translations have), and browsers read the last one. A merge carries such a
/// repeat; it never adds one of its own.
pub(super) fn check_json_tolerating(text: &str, tolerated: &HashSet<String>) -> Result<(), String> {
    crate::merge::check_unique_keys(text.as_bytes(), tolerated)
        .map_err(|e| describe_error(text.strip_prefix('\u{feff}').unwrap_or(text), &e))
}

/// The keys repeated within one object anywhere in `text`; empty when it is not JSON.
pub(super) fn repeated_keys(text: &str) -> HashSet<String> {
    crate::merge::repeated_keys(text.as_bytes())
}

fn describe_error(text: &str, error: &serde_json::Error) -> String {
    let (line, byte_column) = (error.line(), error.column());
    let full = error.to_string();
    let message = one_line(
        full.strip_suffix(&format!(" at line {line} column {byte_column}"))
            .unwrap_or(&full),
    );
    if line == 0 {
        return crate::english!("invalid JSON: {message}", message);
    }
    // serde_json counts the column in bytes; a German text has umlauts before the error.
    let line_text = text.split('\n').nth(line - 1).unwrap_or("");
    let mut end = byte_column.min(line_text.len());
    while !line_text.is_char_boundary(end) {
        end -= 1;
    }
    let column = line_text[..end].chars().count().max(1);
    crate::english!(
        "invalid JSON at line {line}, column {column}: {message}",
        line,
        column,
        message
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN_DE: &str = r#"{
    "addPeople": {
        "add": "Einladen",
        "addContacts": "Laden Sie Ihre Kontakte ein"
    },
    "welcomepage": {
        "headerTitle": "Videosprechstunde der Praxis Müller",
        "headerSubtitle": "Sichere Termine – ohne Anmeldung, Daten bleiben in Deutschland",
        "startMeeting": "Sitzung starten",
        "roomNameAllowedChars": "Der Name darf keine Zeichen wie ?, &, :, ', \", %, # enthalten.",
        "jitsiOnMobile": "Öffnen Sie die App auf Ihrem Mobilgerät"
    },
    "languages": {
        "de": "Deutsch",
        "en": "Englisch"
    },
    "numbers": [1, 2.5, -3e2, true, false, null]
}
"#;

    #[test]
    fn a_repeat_upstream_itself_has_is_tolerated_and_no_other() {
        let upstream = "{\"a\": {\"x\": 1, \"x\": 2}, \"b\": 3}";
        let tolerated = repeated_keys(upstream);
        assert_eq!(tolerated, HashSet::from(["x".to_string()]));
        assert_eq!(check_json_tolerating(upstream, &tolerated), Ok(()));
        let merged_with_own_repeat = "{\"a\": {\"x\": 1, \"x\": 2}, \"b\": 3, \"b\": 4}";
        let err = check_json_tolerating(merged_with_own_repeat, &tolerated).unwrap_err();
        assert!(err.ends_with("duplicate key b"), "{err}");
        assert!(
            check_json(upstream).is_err(),
            "plain validation still refuses any repeat"
        );
    }

    #[test]
    fn german_translation_passes() {
        assert_eq!(check_json(MAIN_DE), Ok(()));
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        assert_eq!(check_json("\u{feff}{\"a\": 1}"), Ok(()));
    }

    #[test]
    fn duplicate_key_fails_with_its_line() {
        let broken = MAIN_DE.replace(
            "        \"startMeeting\": \"Sitzung starten\",\n",
            "        \"startMeeting\": \"Sitzung starten\",\n        \"headerTitle\": \"Jitsi Meet\",\n",
        );
        let err = check_json(&broken).unwrap_err();
        assert!(err.starts_with("invalid JSON at line 10, column "), "{err}");
        assert!(err.ends_with(": duplicate key welcomepage.headerTitle"), "{err}");
    }

    #[test]
    fn same_key_in_different_objects_is_fine() {
        assert_eq!(
            check_json(r#"{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}"#),
            Ok(())
        );
    }

    #[test]
    fn duplicate_key_in_a_nested_array_object_fails() {
        let err = check_json("{\"a\": [\n  {\"x\": 1, \"x\": 2}\n]}").unwrap_err();
        assert!(err.starts_with("invalid JSON at line 2, column "), "{err}");
    }

    #[test]
    fn unbalanced_brace_fails_with_its_position() {
        let broken = MAIN_DE.replace(
            "        \"en\": \"Englisch\"\n    },\n",
            "        \"en\": \"Englisch\"\n,\n",
        );
        let err = check_json(&broken).unwrap_err();
        assert!(err.starts_with("invalid JSON at line "), "{err}");
    }

    #[test]
    fn columns_count_characters_after_umlauts() {
        let err = check_json("{\"ä\": \"ö\" x}").unwrap_err();
        assert_eq!(err, "invalid JSON at line 1, column 11: expected `,` or `}`");
    }

    #[test]
    fn trailing_comma_fails() {
        let err = check_json("{\n  \"a\": 1,\n}").unwrap_err();
        assert!(
            err.starts_with("invalid JSON at line 3, column 1: trailing comma"),
            "{err}"
        );
    }

    #[test]
    fn empty_input_fails_in_one_line() {
        let err = check_json("").unwrap_err();
        assert!(err.starts_with("invalid JSON"), "{err}");
        assert!(!err.contains('\n'));
    }
}
