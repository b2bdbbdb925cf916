//! Key-path three-way merge of JSON documents (Jitsi's `lang/main-*.json`). A line merge of such a
//! file goes wrong in a way nobody sees: when upstream adds a key the admin had already added at a
//! different place in the same object, both lines survive and the file holds the key twice, and
//! which one wins depends on the reader. Here each key is merged by its path, so a key exists once.
//!
//! Rules, per key path: the side that changed a key wins over the side that did not; a key both
//! sides added keeps the admin's value (with a note); a key both sides changed differently, or that
//! one side removed and the other changed, is a [`Conflict`] naming the path (the content then holds
//! the admin's choice and is parked, never live). Output follows upstream: its key order, its
//! indentation, its line ending and its trailing newline; keys only the admin has sit after their
//! preceding neighbour in the admin's file. Input that does not parse as JSON, or that repeats a
//! key, goes to the line merge with a note.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::Serialize;
use serde_json::{Map, Value};

use super::text::{Whitespace, merge_text};
use super::{Conflict, Labels, Merged};

/// Merges three JSON documents key by key; falls back to the line merge when one does not parse.
pub fn merge_json(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels) -> Merged {
    if local == upstream || local == base {
        return Merged::clean(upstream.to_vec());
    }
    if upstream == base {
        return Merged::clean(local.to_vec());
    }
    let parsed = (|| {
        // An empty base is a file neither side had before: every key is an addition.
        let base = if base.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(parse_json(base).map_err(|e| format!("{} does not parse as JSON: {e}", labels.base))?)
        };
        let local = parse_json(local).map_err(|e| format!("{} does not parse as JSON: {e}", labels.local))?;
        let upstream =
            parse_json(upstream).map_err(|e| format!("{} does not parse as JSON: {e}", labels.upstream))?;
        Ok::<_, String>((base, local, upstream))
    })();
    let (base_doc, local_doc, upstream_doc) = match parsed {
        Ok(docs) => docs,
        Err(why) => {
            let mut merged = merge_text(base, local, upstream, labels, Whitespace::Exact);
            merged.notes.push(format!("fell back to text: {why}"));
            return merged;
        }
    };
    let mut state = KeyMerge::default();
    let value = state
        .merge_value(
            &mut Vec::new(),
            base_doc.as_ref(),
            Some(&local_doc),
            Some(&upstream_doc),
        )
        .unwrap_or(local_doc);
    // Upstream's own bytes when the merge changed nothing of it: no re-serialisation surprises.
    let content = if value == upstream_doc {
        upstream.to_vec()
    } else {
        write_like(&value, &JsonLayout::of(upstream))
    };
    Merged {
        content,
        conflicts: state.conflicts,
        notes: state.notes,
        ..Merged::default()
    }
}

/// Parses a JSON document with serde_json, refusing repeated keys in any object (serde_json alone
/// keeps the last one silently).
pub fn parse_json(text: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = ValueSeed { path: String::new() }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Builds a [`Value`] while reading, with the key path so far for the duplicate-key message.
struct ValueSeed {
    path: String,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed {
            path: format!("{}[{}]", self.path, items.len()),
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = join_path(&self.path, &key);
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {path}")));
            }
            let value = map.next_value_seed(ValueSeed { path })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

fn join_path(parent: &str, key: &str) -> String {
    let key = if key.is_empty() || key.contains(['.', '[', ']', ' ']) {
        format!("[{key:?}]")
    } else {
        key.to_string()
    };
    match (parent.is_empty(), key.starts_with('[')) {
        (true, _) | (false, true) => format!("{parent}{key}"),
        (false, false) => format!("{parent}.{key}"),
    }
}

fn path_name(path: &[String]) -> String {
    if path.is_empty() {
        return "the document".into();
    }
    path.iter().fold(String::new(), |acc, key| join_path(&acc, key))
}

/// A value shortened for a conflict hint.
fn show(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[derive(Default)]
struct KeyMerge {
    conflicts: Vec<Conflict>,
    notes: Vec<String>,
}

impl KeyMerge {
    /// The merged value at `path`, None when it is to be absent. Each argument is None when that
    /// side lacks the key.
    fn merge_value(
        &mut self,
        path: &mut Vec<String>,
        base: Option<&Value>,
        local: Option<&Value>,
        upstream: Option<&Value>,
    ) -> Option<Value> {
        if local == base || local == upstream {
            return upstream.cloned();
        }
        if upstream == base {
            return local.cloned();
        }
        if let (Some(Value::Object(l)), Some(Value::Object(u))) = (local, upstream) {
            let b = match base {
                Some(Value::Object(b)) => Some(b),
                _ => None,
            };
            return Some(Value::Object(self.merge_objects(path, b, l, u)));
        }
        let name = path_name(path);
        match (base, local, upstream) {
            (None, Some(l), Some(_)) => {
                self.notes.push(format!(
                    "kept the customised value of {name}, which upstream now adds too"
                ));
                Some(l.clone())
            }
            (_, None, Some(u)) => {
                self.conflicts.push(Conflict {
                    what: format!("local removed {name}, upstream changed it"),
                    hint: Some(format!("upstream now has {}", show(u))),
                });
                None
            }
            (_, Some(l), None) => {
                self.conflicts.push(Conflict {
                    what: format!("upstream removed {name}, local changed it"),
                    hint: Some("drop the customisation or keep the key".into()),
                });
                Some(l.clone())
            }
            (_, l, u) => {
                self.conflicts.push(Conflict {
                    what: format!("both changed {name}"),
                    hint: u.map(|u| format!("upstream now has {}", show(u))),
                });
                l.cloned()
            }
        }
    }

    /// Upstream's keys in upstream's order, then each key only the admin has placed after the key
    /// that precedes it in the admin's object (at the start when none does).
    fn merge_objects(
        &mut self,
        path: &mut Vec<String>,
        base: Option<&Map<String, Value>>,
        local: &Map<String, Value>,
        upstream: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut in_order: Vec<(String, Value)> = Vec::with_capacity(upstream.len());
        for (key, up) in upstream {
            path.push(key.clone());
            let merged = self.merge_value(path, base.and_then(|b| b.get(key)), local.get(key), Some(up));
            path.pop();
            if let Some(value) = merged {
                in_order.push((key.clone(), value));
            }
        }
        let placed: HashSet<&str> = in_order.iter().map(|(k, _)| k.as_str()).collect();
        // Local-only keys grouped by the placed key they follow (None: the start).
        let mut after: HashMap<Option<String>, Vec<(String, Value)>> = HashMap::new();
        let mut anchor: Option<String> = None;
        for (key, value) in local {
            if placed.contains(key.as_str()) {
                anchor = Some(key.clone());
                continue;
            }
            if upstream.contains_key(key) {
                continue;
            }
            path.push(key.clone());
            let merged = self.merge_value(path, base.and_then(|b| b.get(key)), Some(value), None);
            path.pop();
            if let Some(value) = merged {
                after
                    .entry(anchor.clone())
                    .or_default()
                    .push((key.clone(), value));
            }
        }
        let mut out = Map::new();
        for (key, value) in after.remove(&None).unwrap_or_default() {
            out.insert(key, value);
        }
        for (key, value) in in_order {
            let follow = after.remove(&Some(key.clone()));
            out.insert(key, value);
            for (key, value) in follow.unwrap_or_default() {
                out.insert(key, value);
            }
        }
        out
    }
}

/// How upstream's file is laid out, so the merged document looks like it.
#[derive(Debug, PartialEq, Eq)]
struct JsonLayout {
    /// None: everything on one line.
    indent: Option<String>,
    crlf: bool,
    /// Whatever follows the closing bracket (usually one newline).
    trailer: String,
}

impl JsonLayout {
    fn of(text: &[u8]) -> JsonLayout {
        let text = String::from_utf8_lossy(text);
        let body = text.trim_end();
        let trailer = text[body.len()..].to_string();
        let indent = if body.contains('\n') {
            let found = body.lines().skip(1).find_map(|line| {
                let line = line.trim_end_matches('\r');
                let lead = &line[..line.len() - line.trim_start().len()];
                (!lead.is_empty() && lead.len() < line.len()).then(|| lead.to_string())
            });
            Some(found.unwrap_or_else(|| "    ".into()))
        } else {
            None
        };
        JsonLayout {
            indent,
            crlf: text.contains("\r\n"),
            trailer,
        }
    }
}

/// Serialises `value` with upstream's layout. serde_json keeps non-ASCII characters as they are.
fn write_like(value: &Value, layout: &JsonLayout) -> Vec<u8> {
    let mut out = Vec::new();
    let written = match &layout.indent {
        Some(indent) => {
            let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
            value.serialize(&mut ser)
        }
        None => serde_json::to_writer(&mut out, value),
    };
    // Writing a Value to memory cannot fail; keep whatever was written if it ever does.
    let _ = written;
    if layout.crlf {
        let mut crlf = Vec::with_capacity(out.len() + out.len() / 16);
        for &b in &out {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        out = crlf;
    }
    out.extend_from_slice(layout.trailer.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn merge(base: &str, local: &str, upstream: &str) -> Merged {
        merge_json(
            base.as_bytes(),
            local.as_bytes(),
            upstream.as_bytes(),
            &Labels::default(),
        )
    }

    fn text(m: &Merged) -> String {
        String::from_utf8_lossy(&m.content).into_owned()
    }

    #[test]
    fn repeated_keys_are_refused_with_their_path() {
        let err = parse_json(br#"{"a": {"b": 1, "b": 2}}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key a.b"), "{err}");
        assert!(parse_json(br#"{"a": 1} x"#).is_err());
        assert!(parse_json(r#"{"a": [1, {"b": "ä"}]}"#.as_bytes()).is_ok());
    }

    #[test]
    fn layout_follows_upstream() {
        assert_eq!(
            JsonLayout::of(b"{\n\t\"a\": 1\n}\n").indent.as_deref(),
            Some("\t")
        );
        assert_eq!(
            JsonLayout::of(b"{\n  \"a\": {\n    \"b\": 1\n  }\n}")
                .indent
                .as_deref(),
            Some("  ")
        );
        assert_eq!(JsonLayout::of(b"{\"a\":1}\n").indent, None);
        assert_eq!(JsonLayout::of(b"{\n  \"a\": 1\n}\n\n").trailer, "\n\n");
        assert!(JsonLayout::of(b"{\r\n  \"a\": 1\r\n}\r\n").crlf);
    }

    #[test]
    fn umlauts_stay_as_they_are_and_indentation_follows_upstream() {
        let base = "{\n  \"a\": \"Willkommen\",\n  \"b\": \"x\"\n}\n";
        let local = "{\n  \"a\": \"Herzlich willkommen in der Praxis Müller\",\n  \"b\": \"x\"\n}\n";
        let upstream = "{\n\t\"a\": \"Willkommen\",\n\t\"b\": \"Größe\"\n}\n";
        let m = merge(base, local, upstream);
        assert!(m.is_clean());
        assert_eq!(
            text(&m),
            "{\n\t\"a\": \"Herzlich willkommen in der Praxis Müller\",\n\t\"b\": \"Größe\"\n}\n"
        );
    }

    #[test]
    fn crlf_and_one_line_documents_keep_their_form() {
        let m = merge("{\"a\":1,\"b\":2}", "{\"a\":3,\"b\":2}", "{\"a\":1,\"b\":4}");
        assert_eq!(text(&m), "{\"a\":3,\"b\":4}");
        let m = merge(
            "{\r\n  \"a\": 1,\r\n  \"b\": 2\r\n}\r\n",
            "{\r\n  \"a\": 3,\r\n  \"b\": 2\r\n}\r\n",
            "{\r\n  \"a\": 1,\r\n  \"b\": 4\r\n}\r\n",
        );
        assert_eq!(text(&m), "{\r\n  \"a\": 3,\r\n  \"b\": 4\r\n}\r\n");
    }

    #[test]
    fn admin_keys_follow_their_local_neighbour() {
        let base = r#"{"o": {"a": "1", "b": "2", "c": "3"}}"#;
        let local = r#"{"o": {"x": "0", "a": "1", "b": "2", "y": "9", "z": "8", "c": "3"}}"#;
        let upstream = r#"{"o": {"c": "3", "a": "1", "b": "2", "d": "4"}}"#;
        let m = merge(base, local, upstream);
        assert!(m.is_clean());
        assert_eq!(
            text(&m),
            r#"{"o":{"x":"0","c":"3","a":"1","b":"2","y":"9","z":"8","d":"4"}}"#
        );
    }

    #[test]
    fn removal_against_change_is_a_conflict() {
        let base = r#"{"o": {"a": "1", "b": "2"}}"#;
        let m = merge(base, r#"{"o": {"b": "2"}}"#, r#"{"o": {"a": "5", "b": "2"}}"#);
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].what, "local removed o.a, upstream changed it");
        let m = merge(base, r#"{"o": {"a": "7", "b": "2"}}"#, r#"{"o": {"b": "2"}}"#);
        assert_eq!(m.conflicts[0].what, "upstream removed o.a, local changed it");
        assert_eq!(text(&m), r#"{"o":{"a":"7","b":"2"}}"#);
    }

    #[test]
    fn odd_keys_are_named_unambiguously() {
        assert_eq!(path_name(&["a".into(), "b.c".into()]), r#"a["b.c"]"#);
        assert_eq!(path_name(&[]), "the document");
    }

    #[test]
    fn non_object_documents_merge_as_values() {
        let m = merge("[1]", "[2]", "[3]");
        assert_eq!(m.conflicts[0].what, "both changed the document");
        let m = merge("", "{\"a\": 1}", "{\"b\": 2}");
        assert!(m.is_clean());
        assert_eq!(text(&m), "{\"a\":1,\"b\":2}");
    }

    /// A nested object of strings, keys from a small alphabet so that edits hit existing keys.
    fn arb_object(depth: u32) -> BoxedStrategy<Map<String, Value>> {
        let leaf = "[a-zäöü ]{0,6}".prop_map(Value::String);
        let value = if depth == 0 {
            leaf.boxed()
        } else {
            prop_oneof![3 => leaf, 1 => arb_object(depth - 1).prop_map(Value::Object)].boxed()
        };
        prop::collection::vec(("k[0-7]", value), 0..6)
            .prop_map(|pairs| pairs.into_iter().collect())
            .boxed()
    }

    /// Paths of every object in the tree, the root included.
    fn object_paths(map: &Map<String, Value>, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for (key, value) in map {
            if let Value::Object(inner) = value {
                path.push(key.clone());
                object_paths(inner, path, out);
                path.pop();
            }
        }
    }

    fn object_at<'a>(root: &'a mut Map<String, Value>, path: &[String]) -> &'a mut Map<String, Value> {
        path.iter().fold(root, |map, key| match map.get_mut(key) {
            Some(Value::Object(inner)) => inner,
            _ => unreachable!("paths come from object_paths"),
        })
    }

    /// None deletes the key.
    type Edit = (String, Option<String>);

    fn apply(root: &mut Map<String, Value>, path: &[String], edits: &[Edit]) {
        let target = object_at(root, path);
        for (key, value) in edits {
            match value {
                Some(v) => {
                    target.insert(key.clone(), Value::String(v.clone()));
                }
                None => {
                    target.shift_remove(key);
                }
            }
        }
    }

    fn pretty(map: &Map<String, Value>) -> String {
        serde_json::to_string_pretty(map).unwrap() + "\n"
    }

    proptest! {
        #[test]
        fn disjoint_key_edits_keep_both_sides_and_never_repeat_a_key(
            base in arb_object(2),
            pick in any::<prop::sample::Index>(),
            edits in prop::collection::vec(("k[0-9]", prop::option::weighted(0.8, "[A-Zß]{1,4}")), 0..8),
            split in 0usize..8,
        ) {
            let mut paths = Vec::new();
            object_paths(&base, &mut Vec::new(), &mut paths);
            let path = pick.get(&paths).clone();
            let mut seen = HashSet::new();
            let edits: Vec<Edit> = edits.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect();
            let split = split.min(edits.len());
            let (local_edits, upstream_edits) = edits.split_at(split);
            let mut local = base.clone();
            apply(&mut local, &path, local_edits);
            let mut upstream = base.clone();
            apply(&mut upstream, &path, upstream_edits);
            let mut expected = base.clone();
            apply(&mut expected, &path, local_edits);
            apply(&mut expected, &path, upstream_edits);

            let m = merge(&pretty(&base), &pretty(&local), &pretty(&upstream));
            prop_assert!(m.is_clean(), "{:?}", m.conflicts);
            let merged = parse_json(&m.content);
            prop_assert!(merged.is_ok(), "{:?}\n{}", merged, text(&m));
            prop_assert_eq!(merged.unwrap(), Value::Object(expected));
        }

        #[test]
        fn the_same_key_changed_differently_is_a_conflict_naming_it(
            base in arb_object(2),
            pick in any::<prop::sample::Index>(),
            key_pick in any::<prop::sample::Index>(),
            local_value in "L[a-z]{1,4}",
            upstream_value in "U[a-z]{1,4}",
        ) {
            let mut paths = Vec::new();
            object_paths(&base, &mut Vec::new(), &mut paths);
            let path = pick.get(&paths).clone();
            let mut base = base;
            let target = object_at(&mut base, &path);
            if target.is_empty() {
                target.insert("k0".into(), Value::String("alt".into()));
            }
            let keys: Vec<String> = target.keys().cloned().collect();
            let key = key_pick.get(&keys).clone();
            let mut local = base.clone();
            apply(&mut local, &path, &[(key.clone(), Some(local_value.clone()))]);
            let mut upstream = base.clone();
            apply(&mut upstream, &path, &[(key.clone(), Some(upstream_value))]);

            let m = merge(&pretty(&base), &pretty(&local), &pretty(&upstream));
            let mut full = path.clone();
            full.push(key);
            let name = path_name(&full);
            prop_assert_eq!(m.conflicts.len(), 1);
            prop_assert_eq!(&m.conflicts[0].what, &format!("both changed {name}"));
            let merged = parse_json(&m.content).unwrap();
            let mut expected = local.clone();
            apply(&mut expected, &path, &[]);
            prop_assert_eq!(merged, Value::Object(expected));
        }
    }
}
