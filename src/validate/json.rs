//! JSON syntax check for Jitsi's translations (`lang/main-de.json` and friends).
//!
//! Besides plain syntax, a key that appears twice in one object is refused: `JSON.parse` silently
//! keeps the last one, so a merge that duplicated `headerTitle` would quietly show upstream's text
//! instead of the practice's. serde_json does the parsing; a visitor that remembers the keys of
//! each object finds the duplicates while it streams through the document.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::one_line;

/// Checks `text` as JSON without duplicate keys; the error names the problem and its position.
pub(super) fn check_json(text: &str) -> Result<(), String> {
    // Browsers drop a byte order mark when they decode the file, so Jitsi does not see it either.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str::<UniqueKeys>(text)
        .map(|_| ())
        .map_err(|e| describe_error(text, &e))
}

fn describe_error(text: &str, error: &serde_json::Error) -> String {
    let (line, byte_column) = (error.line(), error.column());
    let full = error.to_string();
    let message = one_line(
        full.strip_suffix(&format!(" at line {line} column {byte_column}"))
            .unwrap_or(&full),
    );
    if line == 0 {
        return format!("invalid JSON: {message}");
    }
    // serde_json counts the column in bytes; a German text has umlauts before the error.
    let line_text = text.split('\n').nth(line - 1).unwrap_or("");
    let mut end = byte_column.min(line_text.len());
    while !line_text.is_char_boundary(end) {
        end -= 1;
    }
    let column = line_text[..end].chars().count().max(1);
    format!("invalid JSON at line {line}, column {column}: {message}")
}

/// Any JSON value, kept only long enough to prove that no object in it repeats a key.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E: de::Error>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            map.next_value::<UniqueKeys>()?;
            seen.insert(key);
        }
        Ok(UniqueKeys)
    }
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
        assert!(err.ends_with(": duplicate key \"headerTitle\""), "{err}");
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
