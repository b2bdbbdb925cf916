//! JSON read as Jitsi's readers read it, and the one check for repeated keys.
//!
//! Browsers drop a byte order mark and keep the last of a repeated key (`JSON.parse`), so a merge
//! that repeated `headerTitle` would quietly show upstream's text instead of the practice's. The
//! merge reads documents that way ([`read_as_browsers`]); nothing goes live with a repeat of its
//! own ([`check_unique_keys`]): serde_json streams through the document while a visitor remembers
//! the keys of each object.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::json::join_path;

/// The text without a leading byte order mark.
pub fn without_bom(text: &[u8]) -> &[u8] {
    text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text)
}

/// Reads a document as browsers do: a repeated key is allowed, the last one wins.
pub fn read_as_browsers(text: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(without_bom(text))
}

/// Checks `text` as JSON in which no object repeats a key, except keys named in `tolerated`
/// (upstream's own file repeated them; browsers read the last one). The error names the key path.
pub fn check_unique_keys(text: &[u8], tolerated: &HashSet<String>) -> Result<(), serde_json::Error> {
    let found = RefCell::new(HashSet::new());
    let seed = UniqueKeys {
        tolerated: Some(tolerated),
        repeated: &found,
        path: String::new(),
    };
    let mut de = serde_json::Deserializer::from_slice(without_bom(text));
    seed.deserialize(&mut de)?;
    de.end()
}

/// The keys repeated within one object anywhere in `text`; empty when it is not JSON.
pub fn repeated_keys(text: &[u8]) -> HashSet<String> {
    let found = RefCell::new(HashSet::new());
    let seed = UniqueKeys {
        tolerated: None,
        repeated: &found,
        path: String::new(),
    };
    let mut de = serde_json::Deserializer::from_slice(without_bom(text));
    let _ = seed.deserialize(&mut de);
    found.into_inner()
}

/// Any JSON value, kept only long enough to prove that no object in it repeats a key (other than
/// the tolerated ones), or, without a tolerated set, to collect the repeated keys.
struct UniqueKeys<'a> {
    tolerated: Option<&'a HashSet<String>>,
    repeated: &'a RefCell<HashSet<String>>,
    /// The key path so far, for the message.
    path: String,
}

impl<'a> UniqueKeys<'a> {
    fn below(&self, path: String) -> UniqueKeys<'a> {
        UniqueKeys {
            tolerated: self.tolerated,
            repeated: self.repeated,
            path,
        }
    }
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(self.below(format!("{}[{index}]", self.path)))?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = join_path(&self.path, &key);
            if seen.contains(&key) {
                match self.tolerated {
                    Some(tolerated) if !tolerated.contains(&key) => {
                        return Err(de::Error::custom(crate::english!("duplicate key {path}", path)));
                    }
                    _ => {
                        self.repeated.borrow_mut().insert(key.clone());
                    }
                }
            }
            map.next_value_seed(self.below(path))?;
            seen.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_with_their_path() {
        let none = HashSet::new();
        let err = check_unique_keys(br#"{"a": {"b": 1, "b": 2}}"#, &none).unwrap_err();
        assert!(err.to_string().contains("duplicate key a.b"), "{err}");
        let err = check_unique_keys(br#"{"a": [{"c": 1}, {"c": 1, "c": 2}]}"#, &none).unwrap_err();
        assert!(err.to_string().contains("duplicate key a[1].c"), "{err}");
        assert!(check_unique_keys(br#"{"a": 1} x"#, &none).is_err());
        assert!(check_unique_keys(r#"{"a": [1, {"b": "ä"}]}"#.as_bytes(), &none).is_ok());
    }

    #[test]
    fn a_byte_order_mark_is_read_past() {
        assert!(check_unique_keys("\u{feff}{\"a\": 1}".as_bytes(), &HashSet::new()).is_ok());
        assert_eq!(read_as_browsers("\u{feff}{\"a\": 1}".as_bytes()).unwrap()["a"], 1);
        assert_eq!(read_as_browsers(br#"{"a": 1, "a": 2}"#).unwrap()["a"], 2);
    }
}
