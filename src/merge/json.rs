//! Key-path three-way merge of JSON documents (Jitsi's `lang/main-*.json`). A line merge of such a
//! file goes wrong in a way nobody sees: when upstream adds a key the admin had already added at a
//! different place in the same object, both lines survive and the file holds the key twice, and
//! which one wins depends on the reader. Here each key is merged by its path, so a key exists once.
//!
//! Rules, per key path: the side that changed a key wins over the side that did not. A value both
//! sides changed (or both added) keeps the admin's, and a key upstream removed but the admin changed
//! stays: both are clean, with a [`Decision`] for the review list. What remains a [`Conflict`]
//! naming the path is a key the admin removed but upstream changed, and a value one side turned into
//! an object while the other changed it; the content then holds the admin's choice (parked, never
//! live) and [`Merged::regions`] lays each conflict out on its own.
//!
//! The result is upstream's file with only the spans that carry a change rewritten: everything
//! neither side changed keeps upstream's bytes (its indentation, key order, spacing, line endings).
//! A key only the admin has goes after its preceding neighbour in the admin's file, written in the
//! style of the object it joins. Upstream's own file may repeat a key (real `main-de.json` releases
//! did): it is read as browsers read it, the last one wins, and the merge never adds a repeat of
//! its own. Input that does not parse as JSON goes to the line merge with a note.

use std::collections::HashSet;
use std::ops::Range;

use crate::tr;
use serde::ser::Serialize;
use serde_json::{Map, Value};

use super::edit::EditError;
use super::json_keys::read_as_browsers;
use super::text::{Whitespace, merge_text};
use super::{Choice, Conflict, Decision, DecisionKind, Labels, Merged, Regions};

/// Merges three JSON documents key by key; falls back to the line merge when one does not parse.
pub fn merge_json(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels) -> Merged {
    if let Some(merged) = super::one_side_unchanged(base, local, upstream) {
        return merged;
    }
    let parsed = (|| {
        // An empty base is a file neither side had before: every key is an addition.
        let base = if base.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(read_as_browsers(base).map_err(|e| unparsable(&labels.base, &e))?)
        };
        let local = read_as_browsers(local).map_err(|e| unparsable(&labels.local, &e))?;
        let upstream = read_as_browsers(upstream).map_err(|e| unparsable(&labels.upstream, &e))?;
        Ok::<_, String>((base, local, upstream))
    })();
    let (base_doc, local_doc, upstream_doc) = match parsed {
        Ok(docs) => docs,
        Err(why) => {
            let mut merged = merge_text(base, local, upstream, labels, Whitespace::Exact);
            merged
                .notes
                .push(crate::english!("fell back to text: {why}", why));
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
        .unwrap_or_else(|| local_doc.clone());
    if value == upstream_doc && state.conflicts.is_empty() {
        return Merged {
            content: upstream.to_vec(),
            decisions: state.decisions,
            ..Merged::default()
        };
    }
    let Some(tree) = spans_of(upstream) else {
        // serde_json read it, so the span reader must too; should it not, say so rather than guess.
        let mut merged = merge_text(base, local, upstream, labels, Whitespace::Exact);
        merged.notes.push(crate::english!(
            "fell back to text: {why}",
            why = crate::english!("the layout of upstream's JSON could not be followed")
        ));
        return merged;
    };
    let style = Style::of(upstream);
    let mut patch = Patch {
        text: upstream,
        style: &style,
        conflict_paths: &state.conflict_paths,
        edits: Vec::new(),
    };
    patch.value(&mut Vec::new(), &tree, &upstream_doc, &value, base_doc.as_ref());
    let content = splice(upstream, &patch.edits, |_| true);
    let regions = (!state.conflicts.is_empty()).then(|| regions_of(upstream, &patch.edits, &state.conflicts));
    Merged {
        content,
        conflicts: state.conflicts,
        notes: state.notes,
        decisions: state.decisions,
        regions,
    }
}

/// Sets the value at a key path (a recipe's "set this JSON key"), rewriting only the span that
/// changes: a present key gets the new value in place, a new key goes after the last member of its
/// object, written in the object's style. Objects on the way must exist unless `create`, which
/// makes the missing ones. Unchanged content comes back byte for byte.
pub(crate) fn set_key(
    text: &[u8],
    path: &[String],
    value: Value,
    create: bool,
) -> Result<Vec<u8>, EditError> {
    let Some((last, parents)) = path.split_last() else {
        return Err(EditError::Invalid(tr!("a JSON key path needs at least one key")));
    };
    let doc = read_as_browsers(text)
        .map_err(|e| EditError::Invalid(tr!("does not parse as JSON: {error}", error = e)))?;
    let mut new = doc.clone();
    let mut cursor = &mut new;
    for (i, key) in parents.iter().enumerate() {
        let Value::Object(object) = cursor else {
            return Err(not_an_object(&path[..i]));
        };
        if !object.contains_key(key) {
            if !create {
                return Err(EditError::Missing(tr!(
                    "the JSON object {path}",
                    path = path_name(&path[..=i])
                )));
            }
            object.insert(key.clone(), Value::Object(Map::new()));
        }
        cursor = object
            .get_mut(key)
            .ok_or_else(|| EditError::Invalid(tr!("{path} vanished", path = path_name(&path[..=i]))))?;
    }
    let Value::Object(object) = cursor else {
        return Err(not_an_object(parents));
    };
    object.insert(last.clone(), value);
    if new == doc {
        return Ok(text.to_vec());
    }
    let tree = spans_of(text)
        .ok_or_else(|| EditError::Invalid(tr!("the layout of the JSON could not be followed")))?;
    let style = Style::of(text);
    let mut patch = Patch {
        text,
        style: &style,
        conflict_paths: &[],
        edits: Vec::new(),
    };
    patch.value(&mut Vec::new(), &tree, &doc, &new, None);
    Ok(splice(text, &patch.edits, |_| true))
}

pub(super) fn join_path(parent: &str, key: &str) -> String {
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

/// The edit's error for a value on the key path that is not an object.
fn not_an_object(path: &[String]) -> EditError {
    EditError::Invalid(if path.is_empty() {
        tr!("the document is not an object")
    } else {
        tr!("{path} is not an object", path = path_name(path))
    })
}

fn path_name(path: &[String]) -> String {
    if path.is_empty() {
        return crate::english!("the document");
    }
    path.iter().fold(String::new(), |acc, key| join_path(&acc, key))
}

/// Why a side is not merged key by key: it is not JSON.
fn unparsable(side: &str, error: &serde_json::Error) -> String {
    crate::english!("{side} does not parse as JSON: {error}", side, error)
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
    /// The key path of each conflict, in the order of `conflicts`.
    conflict_paths: Vec<Vec<String>>,
    notes: Vec<String>,
    decisions: Vec<Decision>,
}

impl KeyMerge {
    fn conflict(&mut self, path: &[String], what: String, hint: Option<String>) {
        self.conflicts.push(Conflict { what, hint });
        self.conflict_paths.push(path.to_vec());
    }

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
        let setting = Some(name.clone());
        match (base, local, upstream) {
            (_, None, Some(u)) => {
                self.conflict(
                    path,
                    crate::english!("local removed {setting}, upstream changed it", setting = name),
                    Some(crate::english!("upstream now has {value}", value = show(u))),
                );
                None
            }
            (b, Some(l), None) => {
                let message = match b {
                    Some(b) => crate::english!(
                        "upstream removed {setting}; kept your value {value} (it had {old})",
                        setting = name,
                        value = show(l),
                        old = show(b)
                    ),
                    None => crate::english!(
                        "upstream removed {setting}; kept your value {value}",
                        setting = name,
                        value = show(l)
                    ),
                };
                self.decisions
                    .push(Decision::new(DecisionKind::KeptRemoved, setting, message));
                Some(l.clone())
            }
            (b, Some(l), Some(u)) if !l.is_object() && !u.is_object() => {
                let message = match b {
                    Some(b) => crate::english!(
                        "kept your {setting}; upstream changed its default from {old} to {new}",
                        setting = name,
                        old = show(b),
                        new = show(u)
                    ),
                    None => crate::english!(
                        "kept your {setting}; upstream now sets it too, to {new}",
                        setting = name,
                        new = show(u)
                    ),
                };
                self.decisions
                    .push(Decision::new(DecisionKind::KeptYours, setting, message));
                Some(l.clone())
            }
            (_, l, u) => {
                self.conflict(
                    path,
                    crate::english!("both changed {setting}", setting = name),
                    u.map(|u| crate::english!("upstream now has {value}", value = show(u))),
                );
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
        let mut after: std::collections::HashMap<Option<String>, Vec<(String, Value)>> =
            std::collections::HashMap::new();
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

// ---------------------------------------------------------------------------------------------
// Upstream's text as spans, and the edits that turn it into the merged document.

/// A value in upstream's text.
#[derive(Debug)]
struct Node {
    span: Range<usize>,
    members: Option<Vec<Member>>,
}

/// One `"key": value` of an object, in source order (a repeated key appears twice).
#[derive(Debug)]
struct Member {
    key: String,
    key_span: Range<usize>,
    value: Node,
}

/// The spans of a document serde_json has already read; None if the text does not follow JSON's
/// shape after all. Recursion is bounded by serde_json's own nesting limit (128), which the
/// document passed.
fn spans_of(text: &[u8]) -> Option<Node> {
    let mut at = skip_ws(text, 0);
    if text[at..].starts_with("\u{feff}".as_bytes()) {
        at = skip_ws(text, at + 3);
    }
    let (node, end) = node_at(text, at, 0)?;
    (skip_ws(text, end) == text.len()).then_some(node)
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(|b| b" \t\r\n".contains(b)) {
        at += 1;
    }
    at
}

/// The end of the string literal starting at `at` (its opening quote).
fn string_end(text: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        match text.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

fn node_at(text: &[u8], at: usize, depth: usize) -> Option<(Node, usize)> {
    if depth > 200 {
        return None;
    }
    match text.get(at)? {
        b'{' => {
            let mut members = Vec::new();
            let mut i = skip_ws(text, at + 1);
            if text.get(i) == Some(&b'}') {
                return Some((node(at..i + 1, Some(members)), i + 1));
            }
            loop {
                if text.get(i) != Some(&b'"') {
                    return None;
                }
                let key_end = string_end(text, i)?;
                let key: String = serde_json::from_slice(&text[i..key_end]).ok()?;
                let colon = skip_ws(text, key_end);
                if text.get(colon) != Some(&b':') {
                    return None;
                }
                let (value, end) = node_at(text, skip_ws(text, colon + 1), depth + 1)?;
                members.push(Member {
                    key,
                    key_span: i..key_end,
                    value,
                });
                let next = skip_ws(text, end);
                match text.get(next)? {
                    b',' => i = skip_ws(text, next + 1),
                    b'}' => return Some((node(at..next + 1, Some(members)), next + 1)),
                    _ => return None,
                }
            }
        }
        b'[' => {
            let mut i = skip_ws(text, at + 1);
            if text.get(i) == Some(&b']') {
                return Some((node(at..i + 1, None), i + 1));
            }
            loop {
                let (_, end) = node_at(text, i, depth + 1)?;
                let next = skip_ws(text, end);
                match text.get(next)? {
                    b',' => i = skip_ws(text, next + 1),
                    b']' => return Some((node(at..next + 1, None), next + 1)),
                    _ => return None,
                }
            }
        }
        b'"' => {
            let end = string_end(text, at)?;
            Some((node(at..end, None), end))
        }
        _ => {
            let end = text[at..]
                .iter()
                .position(|b| b" \t\r\n,]}".contains(b))
                .map_or(text.len(), |p| at + p);
            (end > at).then(|| (node(at..end, None), end))
        }
    }
}

fn node(span: Range<usize>, members: Option<Vec<Member>>) -> Node {
    Node { span, members }
}

/// How upstream writes JSON: its indentation unit and line ending; compact when on one line.
#[derive(Debug, PartialEq, Eq)]
struct Style {
    /// None: everything on one line.
    indent: Option<String>,
    newline: &'static str,
}

impl Style {
    fn of(text: &[u8]) -> Style {
        let text = String::from_utf8_lossy(text);
        let body = text.trim_end();
        let indent = body.contains('\n').then(|| {
            body.lines()
                .skip(1)
                .find_map(|line| {
                    let line = line.trim_end_matches('\r');
                    let lead = &line[..line.len() - line.trim_start().len()];
                    (!lead.is_empty() && lead.len() < line.len()).then(|| lead.to_string())
                })
                .unwrap_or_else(|| "    ".into())
        });
        Style {
            indent,
            newline: if text.contains("\r\n") { "\r\n" } else { "\n" },
        }
    }
}

/// One replacement in upstream's text; `conflict` names the conflict whose admin's side it is.
#[derive(Debug)]
struct Edit {
    range: Range<usize>,
    text: Vec<u8>,
    conflict: Option<usize>,
}

struct Patch<'a> {
    text: &'a [u8],
    style: &'a Style,
    conflict_paths: &'a [Vec<String>],
    edits: Vec<Edit>,
}

impl Patch<'_> {
    fn conflict_at(&self, path: &[String]) -> Option<usize> {
        self.conflict_paths.iter().position(|p| p == path)
    }

    /// The indentation of the line `pos` is on.
    fn line_indent(&self, pos: usize) -> &str {
        let start = self.text[..pos]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let lead = self.text[start..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        std::str::from_utf8(&self.text[start..start + lead]).unwrap_or("")
    }

    /// `value` as upstream would write it at `pos`: pretty with its indentation unit, continuation
    /// lines indented like the line it starts on.
    fn render(&self, value: &Value, pos: usize) -> Vec<u8> {
        let Some(unit) = &self.style.indent else {
            return serde_json::to_vec(value).unwrap_or_default();
        };
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        // Writing a Value to memory cannot fail; keep whatever was written if it ever does.
        let _ = value.serialize(&mut ser);
        let lead = self.line_indent(pos).to_string();
        let text = String::from_utf8_lossy(&out).into_owned();
        text.split('\n')
            .collect::<Vec<_>>()
            .join(&format!("{}{lead}", self.style.newline))
            .into_bytes()
    }

    fn edit(&mut self, range: Range<usize>, text: Vec<u8>, path: &[String]) {
        let conflict = self.conflict_at(path);
        self.edits.push(Edit {
            range,
            text,
            conflict,
        });
    }

    /// Edits that turn `node` (upstream's `up`) into `merged`.
    fn value(
        &mut self,
        path: &mut Vec<String>,
        node: &Node,
        up: &Value,
        merged: &Value,
        base: Option<&Value>,
    ) {
        if up == merged && self.conflict_at(path).is_none() {
            return;
        }
        match (&node.members, up, merged) {
            (Some(members), Value::Object(u), Value::Object(m))
                if m.keys().any(|k| u.contains_key(k)) || u.is_empty() =>
            {
                let base = match base {
                    Some(Value::Object(b)) => Some(b),
                    _ => None,
                };
                self.object(path, node, members, u, m, base);
            }
            _ => {
                let text = self.render(merged, node.span.start);
                self.edit(node.span.clone(), text, path);
            }
        }
    }

    fn object(
        &mut self,
        path: &mut Vec<String>,
        node: &Node,
        members: &[Member],
        up: &Map<String, Value>,
        merged: &Map<String, Value>,
        base: Option<&Map<String, Value>>,
    ) {
        // Keys upstream has: merged in place (the last of repeated keys is the one that counts).
        for (key, value) in merged {
            if let (Some(member), Some(u)) = (members.iter().rev().find(|m| &m.key == key), up.get(key)) {
                path.push(key.clone());
                self.value(path, &member.value, u, value, base.and_then(|b| b.get(key)));
                path.pop();
            }
        }
        // Members to delete: every occurrence of a key the merge dropped, in runs.
        let kept: Vec<bool> = members.iter().map(|m| merged.contains_key(&m.key)).collect();
        let mut i = 0;
        while i < members.len() {
            if kept[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < members.len() && !kept[i] {
                i += 1;
            }
            let range = if i < members.len() {
                members[start].key_span.start..members[i].key_span.start
            } else if start > 0 {
                members[start - 1].value.span.end..members[i - 1].value.span.end
            } else {
                node.span.start + 1..node.span.end - 1
            };
            path.push(members[start].key.clone());
            self.edit(range, Vec::new(), path);
            path.pop();
        }
        // Keys only the merge has: after the key before them in the merged order.
        let mut previous: Option<&Member> = None;
        let mut pending: Vec<(&String, &Value)> = Vec::new();
        let mut flush = |this: &mut Self, after: Option<&Member>, pending: &mut Vec<(&String, &Value)>| {
            if pending.is_empty() {
                return;
            }
            let text = this.members_text(node, members, after, pending);
            let at = match after {
                Some(m) => m.value.span.end,
                None => members.first().map_or(node.span.start + 1, |m| m.key_span.start),
            };
            path.push(pending[0].0.clone());
            this.edit(at..at, text, path);
            path.pop();
            pending.clear();
        };
        for (key, value) in merged {
            match members.iter().rev().find(|m| &m.key == key) {
                Some(member) => {
                    flush(self, previous, &mut pending);
                    previous = Some(member);
                }
                None => pending.push((key, value)),
            }
        }
        flush(self, previous, &mut pending);
    }

    /// `"key": value` pairs written the way the object writes its members, to go after `after`
    /// (or first).
    fn members_text(
        &self,
        node: &Node,
        members: &[Member],
        after: Option<&Member>,
        pending: &[(&String, &Value)],
    ) -> Vec<u8> {
        let inner = &self.text[node.span.start + 1..node.span.end - 1];
        let multiline = inner.contains(&b'\n') || (members.is_empty() && self.style.indent.is_some());
        let member_indent = match members.first() {
            Some(m) => self.line_indent(m.key_span.start).to_string(),
            None => format!(
                "{}{}",
                self.line_indent(node.span.start),
                self.style.indent.as_deref().unwrap_or("")
            ),
        };
        // What separates key and value, and members on one line (`": "`, `", "`).
        let colon = members
            .first()
            .map(|m| String::from_utf8_lossy(&self.text[m.key_span.end..m.value.span.start]).into_owned())
            .unwrap_or_else(|| if self.style.indent.is_some() { ": " } else { ":" }.to_string());
        let gap = if multiline {
            format!("{}{member_indent}", self.style.newline)
        } else if members.len() > 1 {
            let between = &self.text[members[0].value.span.end..members[1].key_span.start];
            String::from_utf8_lossy(between)
                .trim_start()
                .trim_start_matches(',')
                .to_string()
        } else if self.style.indent.is_some() || colon.ends_with(' ') {
            " ".to_string()
        } else {
            String::new()
        };
        let pairs: Vec<Vec<u8>> = pending
            .iter()
            .map(|(key, value)| {
                let mut pair = serde_json::to_vec(key).unwrap_or_default();
                pair.extend_from_slice(colon.as_bytes());
                let at = members.first().map_or(node.span.start, |m| m.key_span.start);
                pair.extend(self.render_nested(value, at, multiline));
                pair
            })
            .collect();
        let sep = [b",".as_slice(), gap.as_bytes()].concat();
        let joined = pairs.join(sep.as_slice());
        let mut out = Vec::new();
        match (after, members.is_empty()) {
            (Some(_), _) => {
                out.extend_from_slice(&sep);
                out.extend(joined);
            }
            (None, false) => {
                out.extend(joined);
                out.extend_from_slice(&sep);
            }
            (None, true) => {
                // Into `{}`: the members on their own lines when the document has lines.
                if multiline {
                    out.extend_from_slice(gap.as_bytes());
                    out.extend(joined);
                    out.extend_from_slice(self.style.newline.as_bytes());
                    out.extend_from_slice(self.line_indent(node.span.start).as_bytes());
                } else {
                    out.extend(joined);
                }
            }
        }
        out
    }

    /// A member's value, indented one level below `at`'s line when the object has lines.
    fn render_nested(&self, value: &Value, at: usize, multiline: bool) -> Vec<u8> {
        if !multiline {
            return serde_json::to_vec(value).unwrap_or_default();
        }
        self.render(value, at)
    }
}

/// Applies the edits the filter lets through, in text order.
fn splice(text: &[u8], edits: &[Edit], keep: impl Fn(&Edit) -> bool) -> Vec<u8> {
    let mut chosen: Vec<&Edit> = edits.iter().filter(|e| keep(e)).collect();
    chosen.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = Vec::with_capacity(text.len() + 256);
    let mut cursor = 0;
    for edit in chosen {
        if edit.range.start < cursor {
            continue; // overlapping edits cannot both apply; the first one stands
        }
        out.extend_from_slice(&text[cursor..edit.range.start]);
        out.extend_from_slice(&edit.text);
        cursor = edit.range.end;
    }
    out.extend_from_slice(&text[cursor..]);
    out
}

/// The merged document laid out around its conflicts: each conflict's edit is a choice between
/// the admin's text and upstream's bytes at that place.
fn regions_of(text: &[u8], edits: &[Edit], conflicts: &[Conflict]) -> Regions {
    let mut sites: Vec<&Edit> = edits.iter().filter(|e| e.conflict.is_some()).collect();
    sites.sort_by_key(|e| (e.range.start, e.range.end));
    let plain: Vec<&Edit> = edits.iter().filter(|e| e.conflict.is_none()).collect();
    let mut regions = Regions::default();
    let mut cursor = 0;
    for site in sites {
        let start = site.range.start.max(cursor);
        let between: Vec<Edit> = plain
            .iter()
            .filter(|e| e.range.start >= cursor && e.range.end <= start)
            .map(|e| Edit {
                range: e.range.start - cursor..e.range.end - cursor,
                text: e.text.clone(),
                conflict: None,
            })
            .collect();
        regions
            .between
            .push(splice(&text[cursor..start], &between, |_| true));
        let what = site
            .conflict
            .and_then(|c| conflicts.get(c))
            .map(|c| c.what.clone())
            .unwrap_or_default();
        regions.choices.push(Choice {
            what,
            base: Vec::new(),
            local: site.text.clone(),
            upstream: text[start..site.range.end.max(start)].to_vec(),
        });
        cursor = site.range.end.max(start);
    }
    let rest: Vec<Edit> = plain
        .iter()
        .filter(|e| e.range.start >= cursor)
        .map(|e| Edit {
            range: e.range.start - cursor..e.range.end - cursor,
            text: e.text.clone(),
            conflict: None,
        })
        .collect();
    regions.between.push(splice(&text[cursor..], &rest, |_| true));
    regions
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

    /// The merged document, which must not repeat a key.
    fn strict(content: &[u8]) -> Result<Value, serde_json::Error> {
        crate::merge::check_unique_keys(content, &HashSet::new())?;
        read_as_browsers(content)
    }

    fn text(m: &Merged) -> String {
        String::from_utf8_lossy(&m.content).into_owned()
    }

    #[test]
    fn style_follows_upstream() {
        assert_eq!(Style::of(b"{\n\t\"a\": 1\n}\n").indent.as_deref(), Some("\t"));
        assert_eq!(
            Style::of(b"{\n  \"a\": {\n    \"b\": 1\n  }\n}")
                .indent
                .as_deref(),
            Some("  ")
        );
        assert_eq!(Style::of(b"{\"a\":1}\n").indent, None);
        assert_eq!(Style::of(b"{\r\n  \"a\": 1\r\n}\r\n").newline, "\r\n");
    }

    // Class 4 of the precision issue: upstream's odd layout survives wherever nobody changed it.
    #[test]
    fn untouched_bytes_stay_upstreams() {
        let base = "{\n  \"a\" :  \"x\",\n    \"b\": {\"c\": 1,  \"d\": 2},\n\t\"e\": [1,2]\n}\n";
        let local = base.replace("\"x\"", "\"Praxis\"");
        let upstream = base.replace("\"d\": 2", "\"d\": 3");
        let m = merge(base, &local, &upstream);
        assert!(m.is_clean());
        assert_eq!(
            text(&m),
            "{\n  \"a\" :  \"Praxis\",\n    \"b\": {\"c\": 1,  \"d\": 3},\n\t\"e\": [1,2]\n}\n"
        );
    }

    #[test]
    fn upstreams_repeated_key_is_read_last_wins_and_never_repeated_by_the_merge() {
        let base = "{\n  \"a\": \"1\",\n  \"t\": \"old\",\n  \"t\": \"Titel\"\n}\n";
        let local = "{\n  \"a\": \"1\",\n  \"t\": \"Praxis\",\n  \"n\": \"neu\"\n}\n";
        let upstream = "{\n  \"a\": \"2\",\n  \"t\": \"old\",\n  \"t\": \"Titel\",\n  \"n\": \"neu\"\n}\n";
        let m = merge(base, local, upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(
            text(&m),
            "{\n  \"a\": \"2\",\n  \"t\": \"old\",\n  \"t\": \"Praxis\",\n  \"n\": \"neu\"\n}\n"
        );
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
            r#"{"o": {"x": "0", "c": "3", "a": "1", "b": "2", "y": "9", "z": "8", "d": "4"}}"#
        );
    }

    #[test]
    fn removal_against_change_is_a_conflict_and_a_change_against_removal_is_kept() {
        let base = r#"{"o": {"a": "1", "b": "2"}}"#;
        let m = merge(
            base,
            r#"{"o": {"b": "2"}}"#,
            r#"{"o": {"a": "5", "b": "2", "c": "3"}}"#,
        );
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].what, "local removed o.a, upstream changed it");
        assert_eq!(text(&m), r#"{"o": {"b": "2", "c": "3"}}"#);
        let regions = m.regions.as_ref().expect("a JSON conflict has regions");
        let upstream_side: Vec<&[u8]> = regions.choices.iter().map(|c| c.upstream.as_slice()).collect();
        assert_eq!(
            regions.join(&upstream_side),
            br#"{"o": {"a": "5", "b": "2", "c": "3"}}"#
        );
        assert_eq!(m.favour_local().unwrap(), m.content);

        let m = merge(base, r#"{"o": {"a": "7", "b": "2"}}"#, r#"{"o": {"b": "2"}}"#);
        assert!(m.is_clean());
        assert_eq!(m.decisions[0].kind, DecisionKind::KeptRemoved);
        assert_eq!(
            m.decisions[0].message,
            r#"upstream removed o.a; kept your value "7" (it had "1")"#
        );
        assert_eq!(text(&m), r#"{"o": {"a": "7", "b": "2"}}"#);
    }

    #[test]
    fn odd_keys_are_named_unambiguously() {
        assert_eq!(path_name(&["a".into(), "b.c".into()]), r#"a["b.c"]"#);
        assert_eq!(path_name(&[]), "the document");
    }

    #[test]
    fn non_object_documents_merge_as_values() {
        let m = merge("[1]", "[2]", "[3]");
        assert!(m.is_clean());
        assert_eq!(
            (text(&m).as_str(), m.decisions[0].kind),
            ("[2]", DecisionKind::KeptYours)
        );
        let m = merge("{\"a\": 1}", "{\"a\": {\"b\": 1}}", "{\"a\": 2}");
        assert_eq!(m.conflicts[0].what, "both changed a");
        let m = merge("", "{\"a\": 1}", "{\"b\": 2}");
        assert!(m.is_clean());
        assert_eq!(text(&m), "{\"a\": 1, \"b\": 2}");
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
            let merged = strict(&m.content);
            prop_assert!(merged.is_ok(), "{:?}\n{}", merged, text(&m));
            prop_assert_eq!(merged.unwrap(), Value::Object(expected));
        }

        #[test]
        fn the_same_key_changed_differently_keeps_yours_naming_it(
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
            prop_assert!(m.is_clean(), "{:?}", m.conflicts);
            prop_assert_eq!(m.decisions.len(), 1);
            prop_assert!(m.decisions[0].message.starts_with(&format!("kept your {name};")), "{}", m.decisions[0].message);
            prop_assert_eq!(strict(&m.content).unwrap(), Value::Object(local));
        }
    }
}
