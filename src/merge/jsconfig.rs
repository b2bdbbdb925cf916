//! The `js-config` merge: Jitsi's `config.js` and `interface_config.js` merged as settings, not lines.
//!
//! Both files are one big object literal (`var config = { ... };`) full of commented-out options
//! (`// enableLayerSuspension: false,`), and upstream re-sorts keys, rewrites comments, adds trailing
//! commas and moves whole blocks between releases. A line merge conflicts on all of that although
//! the admin's few settings are untouched by it. So the customisation is read as operations on
//! property paths (`p2p.stunServers`, `hosts.anonymousdomain`) from base to local — set a value,
//! enable a commented option, disable, add, remove — and each operation is re-applied at wherever
//! that property sits in the new upstream. A commented-out option counts as present but disabled.
//! Everything an operation does not touch stays byte for byte as upstream wrote it, and the result
//! must parse again or the operation is reported as a conflict instead.
//!
//! Paths are relative to the file's config object; when a file holds several config objects, the
//! ones after the first are addressed with their variable name as first segment.

use std::collections::HashMap;
use std::ops::Range;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrayExpressionElement, AssignmentOperator, AssignmentTarget, BindingPattern, Expression,
    ObjectExpression, ObjectPropertyKind, PropertyKind, Statement, UnaryOperator,
};
use oxc_ast::{Comment, CommentKind};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};
use serde::Serialize;

use super::keyed::show_value;
use super::text::{Whitespace, merge_text};
use super::{Conflict, Decision, DecisionKind, Labels, Merged, MovedSetting, MovedTo, Moves};
use crate::depth;

/// Why a config file could not be read or edited as settings.
///
/// `Display` is English: the text goes into conflicts, notes and the review list, which are kept
/// in the state directory and shown by `--json`. [`JsConfigError::shown`] is the same text for a
/// person on the terminal, in their language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsConfigError {
    Unparsable(Unreadable),
    NoConfigObject,
    CannotApply {
        path: String,
        reason: ApplyProblem,
    },
    BrokenResult {
        path: String,
        reason: Box<JsConfigError>,
    },
}

/// Why a config file could not be read as JavaScript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    NotUtf8(String),
    TooLarge,
    TooDeep(usize),
    /// The parser's own message (English, from the parser).
    Parser(String),
    ParserGaveUp,
}

/// Why an operation cannot be applied to a setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyProblem {
    OverlappingEdits,
    EmptyKey,
    NotAValue(String),
    NotAnObject(String),
}

/// The example of a config object, for [`JsConfigError::NoConfigObject`].
const CONFIG_OBJECT: &str = "`var config = { ... };`";

impl std::fmt::Display for JsConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            JsConfigError::Unparsable(why) => {
                crate::english!("does not parse as JavaScript: {why}", why)
            }
            JsConfigError::NoConfigObject => {
                crate::english!("has no config object ({example})", example = CONFIG_OBJECT)
            }
            JsConfigError::CannotApply { path, reason } => {
                crate::english!("cannot set `{path}`: {reason}", path, reason)
            }
            JsConfigError::BrokenResult { path, reason } => crate::english!(
                "changing `{path}` would leave a file that does not parse: {reason}",
                path,
                reason
            ),
        })
    }
}

impl std::error::Error for JsConfigError {}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            Unreadable::NotUtf8(error) => crate::english!("not UTF-8 ({error})", error),
            Unreadable::TooLarge => crate::english!("file too large"),
            Unreadable::TooDeep(levels) => crate::english!("nested more than {levels} levels deep", levels),
            Unreadable::Parser(message) => message.clone(),
            Unreadable::ParserGaveUp => crate::english!("the parser gave up"),
        })
    }
}

impl std::error::Error for Unreadable {}

impl std::fmt::Display for ApplyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            ApplyProblem::OverlappingEdits => crate::english!("overlapping edits"),
            ApplyProblem::EmptyKey => crate::english!("a path needs a key between every dot"),
            ApplyProblem::NotAValue(value) => crate::english!("`{value}` is not a JavaScript value", value),
            ApplyProblem::NotAnObject(parent) => crate::english!("`{parent}` is not an object", parent),
        })
    }
}

impl std::error::Error for ApplyProblem {}

impl JsConfigError {
    /// The text for a person on the terminal, in their language (`Display` is the English text
    /// that is kept).
    pub fn shown(&self) -> String {
        crate::i18n::shown(&self.to_string())
    }

    /// Why the config file of one side of a merge (named by its label) is not merged setting by
    /// setting, as a whole sentence.
    fn of_side(&self, side: &str) -> String {
        match self {
            JsConfigError::Unparsable(why) => {
                crate::english!("{side} does not parse as JavaScript: {why}", side, why)
            }
            JsConfigError::NoConfigObject => crate::english!(
                "{side} has no config object ({example})",
                side,
                example = CONFIG_OBJECT
            ),
            // parse_doc fails only in the two ways above.
            other => format!("{side} {other}"),
        }
    }
}

/// One customisation of a config file, as a change to one setting. Values are JavaScript source
/// text (`'de'`, `true`, `[ { urls: 'stun:stun.praxis.de:3478' } ]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// The setting is active on both sides and the value changed.
    Set { path: String, value: String },
    /// A commented-out option was made active with this value.
    Enable { path: String, value: String },
    /// An active setting was commented out.
    Disable { path: String },
    /// A setting the file did not mention at all; `after` names the sibling it follows, so it
    /// lands in the same place in the new file when that sibling is still there.
    Add {
        path: String,
        value: String,
        after: Option<String>,
    },
    /// A setting (or commented-out option) was deleted.
    Remove { path: String },
}

impl Op {
    pub fn path(&self) -> &str {
        match self {
            Op::Set { path, .. }
            | Op::Enable { path, .. }
            | Op::Disable { path }
            | Op::Add { path, .. }
            | Op::Remove { path } => path,
        }
    }
}

fn same_but_whitespace(a: &[u8], b: &[u8]) -> bool {
    a.iter()
        .filter(|c| !c.is_ascii_whitespace())
        .eq(b.iter().filter(|c| !c.is_ascii_whitespace()))
}

/// Three-way merge of a Jitsi config file as settings. Falls back to the line merge (and says so
/// in the notes) when one of the inputs is not JavaScript or holds no config object.
///
/// Every setting the admin set stays in effect: a value upstream changed too, or an option upstream
/// removed or commented out, keeps the admin's value, with a [`Decision`] for the review list; a
/// setting Jitsi moved elsewhere is kept in the old file (an unknown key does no harm) and its
/// decision names the new home ([`Decision::moved_to`], carried with [`carry_moved`]). Edits beside
/// the settings (comments, code) are merged line by line on top of the settings merge. What remains
/// a conflict (an operation that cannot be applied) leaves the setting as upstream has it in
/// [`Merged::content`], which always parses.
pub fn merge_js_config(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels) -> Merged {
    if let Some(merged) = super::one_side_unchanged(base, local, upstream) {
        return merged;
    }
    let parsed = [
        (base, &labels.base),
        (local, &labels.local),
        (upstream, &labels.upstream),
    ]
    .map(|(content, label)| parse_doc(content).map_err(|e| e.of_side(label)));
    let [base_doc, local_doc, upstream_doc] = match parsed {
        [Ok(b), Ok(l), Ok(u)] => [b, l, u],
        [b, l, u] => {
            let reason = [b.err(), l.err(), u.err()].into_iter().flatten().next();
            let mut merged = merge_text(base, local, upstream, labels, Whitespace::Exact);
            let why = reason.unwrap_or_else(|| crate::english!("an input is not a config file"));
            merged
                .notes
                .push(crate::english!("fell back to text: {why}", why));
            return merged;
        }
    };
    let ops = diff_docs(&base_doc, &local_doc);
    let settings = merge_settings(
        &base_doc,
        &local_doc,
        &upstream_doc,
        &ops,
        &Moves(labels.moved_settings),
    );
    // The operations must say everything the customisation changed: an edit they do not capture
    // (a comment, code outside the config object) would be lost silently. That remainder is merged
    // line by line: from base with the admin's settings, to the admin's file and to upstream with
    // the admin's settings.
    let replayed = apply_ops(base, &ops);
    let captured = replayed
        .as_ref()
        .is_ok_and(|replayed| same_but_whitespace(replayed, local));
    if captured {
        return settings;
    }
    let text_fallback = |why: String| {
        let mut merged = merge_text(base, local, upstream, labels, Whitespace::Exact);
        merged
            .notes
            .push(crate::english!("fell back to text: {why}", why));
        merged
    };
    let Ok(replayed) = replayed else {
        return text_fallback(crate::english!(
            "the customisation's settings cannot be replayed on its base"
        ));
    };
    let mut combined = merge_text(&replayed, local, &settings.content, labels, Whitespace::Exact);
    if !combined.is_clean() {
        // Like every js-config result, a conflicting one holds no markers: the admin's side of
        // each conflict, laid out in `regions` for a person.
        match combined.favour_local() {
            Some(favoured) => combined.content = favoured,
            None => {
                return text_fallback(crate::english!(
                    "the comments and code beside the settings conflict"
                ));
            }
        }
    }
    if parse_doc(&combined.content).is_err() {
        return text_fallback(crate::english!(
            "the comments and code beside the settings do not merge into valid JavaScript"
        ));
    }
    combined.decisions = settings.decisions;
    combined.conflicts.extend(settings.conflicts);
    combined.notes.extend(settings.notes);
    combined.notes.push(crate::english!(
        "merged the comments and code beside the settings line by line"
    ));
    combined
}

/// The settings part of the merge: each operation re-applied at its setting in upstream's text.
fn merge_settings(base_doc: &Doc, local_doc: &Doc, upstream_doc: &Doc, ops: &[Op], moves: &Moves) -> Merged {
    // The config object this file holds (`config`, `interfaceConfig`).
    let object = upstream_doc.roots.first().map(String::as_str);
    let mut text = upstream_doc.text.clone();
    let mut conflicts = Vec::new();
    let mut decisions = Vec::new();
    let mut notes = Vec::new();
    let mut trap_named = false;
    for op in ops {
        let path = op.path();
        let moved = object.and_then(|object| moves.moved_setting(object, path));
        let b = base_doc.entry(path);
        let l = local_doc.entry(path);
        let u = upstream_doc.entry(path);
        let verdict = decide(op, b, l, u, moved);
        let applied = match &verdict {
            Verdict::Skip => continue,
            // Upstream no longer has the option: it comes back after the setting it follows on
            // the admin's side.
            Verdict::KeptRemoved { .. } if u.is_none() => match l {
                Some(l) => Op::Add {
                    path: path.to_string(),
                    value: l.value_src.clone(),
                    after: preceding_sibling(local_doc, l).map(str::to_string),
                },
                None => continue,
            },
            _ => op.clone(),
        };
        match apply_op(&text, &applied) {
            Ok(next) => text = next,
            Err(err) => {
                conflicts.push(Conflict {
                    what: crate::english!("could not carry `{path}` over: {error}", path, error = err),
                    hint: Some(crate::english!("set it by hand in the new file")),
                });
                continue;
            }
        }
        let value = l.map(|l| show_value(&squeeze(&l.value_src))).unwrap_or_default();
        let setting = Some(path.to_string());
        match (verdict, moved) {
            (Verdict::KeptYours(message), _) => {
                decisions.push(Decision::new(DecisionKind::KeptYours, setting, message));
            }
            (Verdict::KeptRemoved { commented_out }, Some(m)) => {
                let message = if commented_out {
                    crate::english!(
                        "upstream commented out {setting}; kept your value {value}; Jitsi moved it to {to_path} in {to_file}",
                        setting = path,
                        value,
                        to_path = m.to_path,
                        to_file = m.to_file
                    )
                } else {
                    crate::english!(
                        "upstream removed {setting}; kept your value {value}; Jitsi moved it to {to_path} in {to_file}",
                        setting = path,
                        value,
                        to_path = m.to_path,
                        to_file = m.to_file
                    )
                };
                let mut decision = Decision::new(DecisionKind::Moved, setting, message);
                decision.moved_to = l.map(|l| MovedTo {
                    file: m.to_file.to_string(),
                    path: m.to_path.to_string(),
                    value: l.value_src.clone(),
                });
                decisions.push(decision);
                if m.ignored_once != m.to_path && !trap_named {
                    trap_named = true;
                    let keys: Vec<&str> = moves
                        .ignored_once_set(m.to_object, m.ignored_once)
                        .map(|m| m.from_key)
                        .collect();
                    decisions.push(Decision::new(
                        DecisionKind::Overridden,
                        Some(m.ignored_once.to_string()),
                        crate::english!(
                            "once {to_file} has a `{object}` object, {keys} in {from_file} are ignored: set them there",
                            to_file = m.to_file,
                            object = m.ignored_once,
                            keys = keys.join(", "),
                            from_file = m.from_file
                        ),
                    ));
                }
            }
            (Verdict::KeptRemoved { commented_out }, None) => {
                let message = if commented_out {
                    crate::english!(
                        "upstream commented out {setting}; kept your value {value} (before: {old})",
                        setting = path,
                        value,
                        old = describe(b)
                    )
                } else {
                    crate::english!(
                        "upstream removed {setting}; kept your value {value} (before: {old})",
                        setting = path,
                        value,
                        old = describe(b)
                    )
                };
                decisions.push(Decision::new(DecisionKind::KeptRemoved, setting, message));
            }
            (Verdict::Apply, Some(m)) => notes.push(crate::english!(
                "`{path}` is deprecated in {from_file}: it moved to {to_path} in {to_file}",
                path,
                from_file = m.from_file,
                to_path = m.to_path,
                to_file = m.to_file
            )),
            (Verdict::Apply | Verdict::Skip, _) => {}
        }
    }
    // An object upstream now sets in config.js can silence settings of interface_config.js.
    if let Some(object) = object {
        let mut seen = std::collections::HashSet::new();
        for m in moves.moves_into(object) {
            let key = m.ignored_once;
            let newly_set = active(upstream_doc.entry(key)).is_some()
                && active(base_doc.entry(key)).is_none()
                && active(local_doc.entry(key)).is_none();
            if newly_set && seen.insert(key) {
                let keys: Vec<&str> = moves.ignored_once_set(object, key).map(|m| m.from_key).collect();
                decisions.push(Decision::new(
                    DecisionKind::Overridden,
                    Some(key.to_string()),
                    crate::english!(
                        "upstream's {to_file} now sets `{key}`: {keys} in {from_file} are ignored from now on; set them under {key} here",
                        to_file = m.to_file,
                        key,
                        keys = keys.join(", "),
                        from_file = m.from_file
                    ),
                ));
            }
        }
    }
    Merged {
        content: text.into_bytes(),
        conflicts,
        decisions,
        notes,
        regions: None,
    }
}

/// Puts the value of a [`DecisionKind::Moved`] decision into its new home in `config_js`, unless
/// the admin already set that key there (the admin's config.js value wins). `Ok(None)` when there
/// is nothing to do: not a move, or the key is set.
pub fn carry_moved(config_js: &[u8], decision: &Decision) -> Result<Option<Vec<u8>>, JsConfigError> {
    let Some(to) = &decision.moved_to else {
        return Ok(None);
    };
    if active_value(config_js, &to.path)?.is_some() {
        return Ok(None);
    }
    carry_setting(config_js, &to.path, &to.value).map(Some)
}

/// The customisation from `base` to `local` as setting operations, in the order of `local`.
pub fn customisation_ops(base: &[u8], local: &[u8]) -> Result<Vec<Op>, JsConfigError> {
    Ok(diff_docs(&parse_doc(base)?, &parse_doc(local)?))
}

/// Applies operations to a config file without asking what upstream did: `Set`, `Enable` and
/// `Add` make the setting active with the value (enabling a commented-out option, creating the
/// property and missing parent objects as needed), `Disable` comments it out, `Remove` deletes it
/// or its commented-out form. Fails on the first operation that cannot be applied or would leave
/// a file that does not parse; nothing is half-applied in the returned content.
pub fn apply_ops(content: &[u8], ops: &[Op]) -> Result<Vec<u8>, JsConfigError> {
    let mut text = parse_doc(content)?.text;
    for op in ops {
        text = apply_op(&text, op)?;
    }
    Ok(text.into_bytes())
}

/// Puts a value into a setting's new home (see [`MovedSetting`]): enables the option if
/// `config_js` has it commented out, replaces it if active, else creates the property and any
/// missing parent objects (`toolbarConfig: { alwaysVisible: true },`).
pub fn carry_setting(config_js: &[u8], to_path: &str, value_src: &str) -> Result<Vec<u8>, JsConfigError> {
    apply_ops(
        config_js,
        &[Op::Set {
            path: to_path.to_string(),
            value: value_src.to_string(),
        }],
    )
}

/// A customised setting that upstream no longer has (the `upstream removed` conflicts of
/// [`merge_js_config`]). Keep it anyway with `apply_ops(merged, &[left.op])`, or, when `moved_to`
/// names a new home, put `value` there with [`carry_setting`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeftBehind {
    /// The operation that would re-create the setting in the merged file (an [`Op::Add`]).
    pub op: Op,
    /// The admin's value, JavaScript source text.
    pub value: String,
    #[serde(skip)]
    pub moved_to: Option<&'static MovedSetting>,
}

/// The customised settings that upstream dropped, in the order [`merge_js_config`] reports them.
pub fn left_behind(
    base: &[u8],
    local: &[u8],
    upstream: &[u8],
    moved_settings: &'static [MovedSetting],
) -> Result<Vec<LeftBehind>, JsConfigError> {
    let (base_doc, local_doc, upstream_doc) = (parse_doc(base)?, parse_doc(local)?, parse_doc(upstream)?);
    let moves = Moves(moved_settings);
    let object = upstream_doc.roots.first().map(String::as_str);
    let mut out = Vec::new();
    for op in diff_docs(&base_doc, &local_doc) {
        let path = op.path();
        let moved = object.and_then(|object| moves.moved_setting(object, path));
        let (b, l, u) = (
            base_doc.entry(path),
            local_doc.entry(path),
            upstream_doc.entry(path),
        );
        let dropped =
            active(u).is_none() && matches!(decide(&op, b, l, u, moved), Verdict::KeptRemoved { .. });
        if let (true, Some(l)) = (dropped, l) {
            out.push(LeftBehind {
                op: Op::Add {
                    path: path.to_string(),
                    value: l.value_src.clone(),
                    after: preceding_sibling(&local_doc, l).map(str::to_string),
                },
                value: l.value_src.clone(),
                moved_to: moved,
            });
        }
    }
    Ok(out)
}

/// The source text of an active setting's value, `None` when the file does not set it (absent or
/// only commented out).
pub fn active_value(content: &[u8], path: &str) -> Result<Option<String>, JsConfigError> {
    let doc = parse_doc(content)?;
    Ok(doc
        .entry(path)
        .filter(|e| e.state == State::Active)
        .map(|e| e.value_src.clone()))
}

/// Whether the file's config object holds an active object literal at `path` (`""` for the config
/// object itself, `"hosts"`, `"p2p"`): where a new setting of that object can go.
pub fn has_object(content: &[u8], path: &str) -> Result<bool, JsConfigError> {
    let doc = parse_doc(content)?;
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    };
    Ok(doc.object_for(&prefix).is_some())
}

// ---------------------------------------------------------------------------------------------
// Reading a config file into settings.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Active,
    Commented,
}

/// One setting, active (`key: value`) or commented out (`// key: value,`).
#[derive(Clone, Debug)]
struct Entry {
    path: String,
    /// The object literal the setting belongs to (index into [`Doc::objects`]).
    parent: usize,
    /// The key as written (`defaultLanguage`, `'foo-bar'`).
    key_src: String,
    state: State,
    /// Active: the whole property. Commented: from the first `//` to the end of the last comment.
    span: Range<usize>,
    /// Active: the value's span in the file. Commented: unused (empty).
    value_span: Range<usize>,
    value_src: String,
    /// The value with formatting, quotes style and trailing commas normalised away: two values
    /// are the same setting when these are equal.
    canonical: String,
    /// The object literal this setting's value is, when it is one (active only).
    child: Option<usize>,
    /// Commented only: the comment line had a comma after the value.
    trailing_comma: bool,
    /// Commented only: a comment after the value on the same line (`// foo: 1, // why`).
    trailing_comment: Option<String>,
}

/// An object literal of the config: a root (`var config = {`) or the value of a setting.
#[derive(Clone, Debug)]
struct Obj {
    /// `""` for the first root, `"p2p."` for the value of `p2p`.
    prefix: String,
    /// From `{` to after `}`.
    span: Range<usize>,
    /// Every member's span (properties and spreads), in source order: commas go between them.
    members: Vec<Range<usize>>,
}

#[derive(Clone, Debug)]
struct Doc {
    text: String,
    /// Variable names of the config objects, in source order.
    roots: Vec<String>,
    objects: Vec<Obj>,
    entries: Vec<Entry>,
    /// Path → the entry that stands for it: the active property, else the first commented form.
    index: HashMap<String, usize>,
    /// Every comment's span, sorted.
    comments: Vec<Range<usize>>,
}

impl Doc {
    fn entry(&self, path: &str) -> Option<&Entry> {
        self.index.get(path).and_then(|&i| self.entries.get(i))
    }

    fn object_for(&self, prefix: &str) -> Option<usize> {
        self.objects.iter().position(|o| o.prefix == prefix)
    }

    /// The entries that stand for a path, in source order.
    fn settings_in_order(&self) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = self.index.values().filter_map(|&i| self.entries.get(i)).collect();
        out.sort_by_key(|e| e.span.start);
        out
    }
}

/// The longest commented-out block (`// toolbarConfig: {` … `// },`) read as one option.
const MAX_COMMENTED_BLOCK_LINES: usize = 100;

fn span_range(span: Span) -> Range<usize> {
    span.start as usize..span.end as usize
}

fn slice(text: &str, range: Range<usize>) -> &str {
    text.get(range).unwrap_or("")
}

fn first_error(diagnostics: impl IntoIterator<Item = impl std::fmt::Display>) -> Unreadable {
    diagnostics
        .into_iter()
        .next()
        .map_or(Unreadable::ParserGaveUp, |d| Unreadable::Parser(d.to_string()))
}

fn parse_doc(content: &[u8]) -> Result<Doc, JsConfigError> {
    let text = std::str::from_utf8(content)
        .map_err(|e| JsConfigError::Unparsable(Unreadable::NotUtf8(e.to_string())))?;
    if text.len() >= u32::MAX as usize {
        return Err(JsConfigError::Unparsable(Unreadable::TooLarge));
    }
    // oxc and the walks below recurse once per nesting level: deep input would overflow the stack
    // and abort the process.
    let nesting = depth::javascript_nesting(text)
        .map_err(|_| JsConfigError::Unparsable(Unreadable::TooDeep(depth::MAX_NESTING)))?;
    depth::run_within_stack(nesting, "config reader", || read_doc(text))
        .map_err(|panicked| JsConfigError::Unparsable(Unreadable::Parser(panicked)))?
}

fn read_doc(text: &str) -> Result<Doc, JsConfigError> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, text, SourceType::cjs()).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return Err(JsConfigError::Unparsable(first_error(
            parsed.diagnostics.errors(),
        )));
    }
    let mut doc = Doc {
        text: text.to_string(),
        roots: Vec::new(),
        objects: Vec::new(),
        entries: Vec::new(),
        index: HashMap::new(),
        comments: parsed
            .program
            .comments
            .iter()
            .map(|c| span_range(c.span))
            .collect(),
    };
    for statement in &parsed.program.body {
        if let Some((name, object)) = config_object_of(statement) {
            let prefix = if doc.roots.is_empty() {
                String::new()
            } else {
                format!("{name}.")
            };
            doc.roots.push(name.to_string());
            read_object(&mut doc, object, prefix);
        }
    }
    if doc.roots.is_empty() {
        return Err(JsConfigError::NoConfigObject);
    }
    read_commented_options(&mut doc, &parsed.program.comments);
    Ok(doc)
}

/// `var X = { ... }` (also `let`/`const`) or `X = { ... };` at the top level.
fn config_object_of<'s, 'a>(statement: &'s Statement<'a>) -> Option<(&'a str, &'s ObjectExpression<'a>)> {
    match statement {
        Statement::VariableDeclaration(declaration) => declaration.declarations.iter().find_map(|d| {
            match (&d.id, d.init.as_ref().map(Expression::without_parentheses)) {
                (BindingPattern::BindingIdentifier(id), Some(Expression::ObjectExpression(object))) => {
                    Some((id.name.as_str(), &**object))
                }
                _ => None,
            }
        }),
        Statement::ExpressionStatement(statement) => match statement.expression.without_parentheses() {
            Expression::AssignmentExpression(assignment)
                if assignment.operator == AssignmentOperator::Assign =>
            {
                match (&assignment.left, assignment.right.without_parentheses()) {
                    (
                        AssignmentTarget::AssignmentTargetIdentifier(id),
                        Expression::ObjectExpression(object),
                    ) => Some((id.name.as_str(), &**object)),
                    _ => None,
                }
            }
            _ => None,
        },
        _ => None,
    }
}

fn read_object(doc: &mut Doc, object: &ObjectExpression, prefix: String) -> usize {
    let index = doc.objects.len();
    doc.objects.push(Obj {
        prefix: prefix.clone(),
        span: span_range(object.span),
        members: object.properties.iter().map(|m| span_range(m.span())).collect(),
    });
    for member in &object.properties {
        let ObjectPropertyKind::ObjectProperty(property) = member else {
            continue;
        };
        if property.computed || property.method || property.kind != PropertyKind::Init {
            continue;
        }
        let Some(key) = property.key.static_name() else {
            continue;
        };
        let path = format!("{prefix}{key}");
        let value_span = span_range(property.value.span());
        let entry = Entry {
            path: path.clone(),
            parent: index,
            key_src: slice(&doc.text, span_range(property.key.span())).to_string(),
            state: State::Active,
            span: span_range(property.span),
            value_src: slice(&doc.text, value_span.clone()).to_string(),
            value_span,
            canonical: canonical(&property.value, &doc.text),
            child: None,
            trailing_comma: false,
            trailing_comment: None,
        };
        let entry_index = doc.entries.len();
        doc.entries.push(entry);
        // A duplicate key: the last one is what JavaScript keeps.
        doc.index.insert(path.clone(), entry_index);
        if let Expression::ObjectExpression(inner) = property.value.without_parentheses() {
            let child = read_object(doc, inner, format!("{path}."));
            if let Some(e) = doc.entries.get_mut(entry_index) {
                e.child = Some(child);
            }
        }
    }
    index
}

/// A value in a form where formatting does not count: `['a',]` and `[ "a" ]` are the same.
fn canonical(expr: &Expression, text: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match expr.without_parentheses() {
        Expression::StringLiteral(s) => quote(s.value.as_str()),
        Expression::NumericLiteral(n) => n.value.to_string(),
        Expression::BooleanLiteral(b) => b.value.to_string(),
        Expression::NullLiteral(_) => "null".into(),
        Expression::Identifier(id) => id.name.as_str().to_string(),
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::UnaryNegation => {
            format!("-{}", canonical(&u.argument, text))
        }
        Expression::ArrayExpression(array) => {
            let items: Vec<String> = array
                .elements
                .iter()
                .map(|element| match element {
                    ArrayExpressionElement::Elision(_) => String::new(),
                    ArrayExpressionElement::SpreadElement(s) => {
                        format!("...{}", canonical(&s.argument, text))
                    }
                    other => other
                        .as_expression()
                        .map(|e| canonical(e, text))
                        .unwrap_or_default(),
                })
                .collect();
            format!("[{}]", items.join(","))
        }
        Expression::ObjectExpression(object) => {
            let items: Vec<String> = object
                .properties
                .iter()
                .map(|member| match member {
                    ObjectPropertyKind::ObjectProperty(p) if !p.computed && p.kind == PropertyKind::Init => {
                        match p.key.static_name() {
                            Some(key) => format!("{}:{}", quote(&key), canonical(&p.value, text)),
                            None => squeeze(slice(text, span_range(p.span))),
                        }
                    }
                    other => squeeze(slice(text, span_range(other.span()))),
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        other => squeeze(slice(text, span_range(other.span()))),
    }
}

/// Source text with runs of whitespace collapsed, for values `canonical` does not take apart.
fn squeeze(src: &str) -> String {
    src.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Finds options disabled as line comments inside config objects: `// key: value,` on its own
/// line, or a block of such lines (`// p2p: {` … `// },`) that reads as one property.
fn read_commented_options(doc: &mut Doc, comments: &[Comment]) {
    let own_line: Vec<Range<usize>> = comments
        .iter()
        .filter(|c| c.kind == CommentKind::Line)
        .map(|c| span_range(c.span))
        .filter(|r| {
            slice(&doc.text, line_start(&doc.text, r.start)..r.start)
                .trim()
                .is_empty()
        })
        .collect();
    // Runs of comment lines directly below each other.
    let mut runs: Vec<Vec<Range<usize>>> = Vec::new();
    for comment in own_line {
        match runs.last_mut() {
            Some(run)
                if run.last().is_some_and(|prev| {
                    let gap = slice(&doc.text, prev.end..comment.start);
                    gap.trim().is_empty() && gap.matches('\n').count() == 1
                }) =>
            {
                run.push(comment)
            }
            _ => runs.push(vec![comment]),
        }
    }
    for run in runs {
        let mut i = 0;
        while i < run.len() {
            let start = run[i].start;
            let body = comment_body(&doc.text, &run[i]);
            let parent = if looks_like_option(body) {
                innermost_object_at(doc, start)
            } else {
                None
            };
            let Some(parent) = parent else {
                i += 1;
                continue;
            };
            let mut joined = String::new();
            let mut found = None;
            for (j, comment) in run.iter().enumerate().skip(i).take(MAX_COMMENTED_BLOCK_LINES) {
                if j > i {
                    joined.push('\n');
                }
                joined.push_str(comment_body(&doc.text, comment));
                if let Some(option) = parse_commented_option(&joined) {
                    found = Some((j, option));
                    break;
                }
            }
            let Some((j, option)) = found else {
                i += 1;
                continue;
            };
            let path = format!("{}{}", doc.objects[parent].prefix, option.key);
            let entry_index = doc.entries.len();
            doc.entries.push(Entry {
                path: path.clone(),
                parent,
                key_src: option.key_src,
                state: State::Commented,
                span: start..run[j].end,
                value_span: 0..0,
                value_src: option.value_src,
                canonical: option.canonical,
                child: None,
                trailing_comma: option.trailing_comma,
                trailing_comment: option.trailing_comment,
            });
            doc.index.entry(path).or_insert(entry_index);
            i = j + 1;
        }
    }
}

fn comment_body<'t>(text: &'t str, comment: &Range<usize>) -> &'t str {
    slice(text, comment.start.saturating_add(2)..comment.end)
}

/// `key:` or `'key':` at the start: worth trying to parse as an option, unlike prose.
fn looks_like_option(body: &str) -> bool {
    let body = body.trim_start();
    let mut chars = body.char_indices();
    let rest = match chars.next() {
        Some((_, q @ ('\'' | '"'))) => match body[1..].find(q) {
            Some(end) => &body[end + 2..],
            None => return false,
        },
        Some((_, c)) if c.is_ascii_alphabetic() || c == '_' || c == '$' => {
            let end = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(body.len());
            &body[end..]
        }
        _ => return false,
    };
    rest.trim_start().starts_with(':')
}

/// The innermost config object whose braces hold `pos`, unless `pos` is inside one of its
/// members (a comment inside an array value is not an option of the object).
fn innermost_object_at(doc: &Doc, pos: usize) -> Option<usize> {
    let index = doc
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.span.start < pos && pos < o.span.end)
        .min_by_key(|(_, o)| o.span.len())
        .map(|(i, _)| i)?;
    let inside_member = doc.objects[index]
        .members
        .iter()
        .any(|m| m.start <= pos && pos < m.end);
    (!inside_member).then_some(index)
}

struct CommentedOption {
    key: String,
    key_src: String,
    value_src: String,
    canonical: String,
    trailing_comma: bool,
    trailing_comment: Option<String>,
}

/// Reads a comment's text as exactly one property, by parsing it inside `({ ... })`.
fn parse_commented_option(body: &str) -> Option<CommentedOption> {
    // Comments are not counted by the file's nesting guard; a deep one is prose to us.
    if depth::javascript_nesting(body).ok()? > depth::SHALLOW {
        return None;
    }
    let wrapped = format!("({{\n{body}\n}})");
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, &wrapped, SourceType::cjs()).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return None;
    }
    let [Statement::ExpressionStatement(statement)] = parsed.program.body.as_slice() else {
        return None;
    };
    let Expression::ObjectExpression(object) = statement.expression.without_parentheses() else {
        return None;
    };
    let [ObjectPropertyKind::ObjectProperty(property)] = object.properties.as_slice() else {
        return None;
    };
    if property.computed || property.method || property.shorthand || property.kind != PropertyKind::Init {
        return None;
    }
    let key = property.key.static_name()?.to_string();
    // What follows the property inside the braces: a comma and perhaps a remark.
    let after = slice(
        &wrapped,
        property.span.end as usize..(object.span.end as usize).saturating_sub(1),
    );
    let after = after.trim();
    let trailing_comma = after.starts_with(',');
    let remark = after.trim_start_matches(',').trim();
    let trailing_comment = (remark.starts_with("//") && !remark.contains('\n')).then(|| remark.to_string());
    Some(CommentedOption {
        key,
        key_src: slice(&wrapped, span_range(property.key.span())).to_string(),
        value_src: slice(&wrapped, span_range(property.value.span())).to_string(),
        canonical: canonical(&property.value, &wrapped),
        trailing_comma,
        trailing_comment,
    })
}

// ---------------------------------------------------------------------------------------------
// From base and local to operations, and what upstream makes of them.

fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn parent_path(path: &str) -> Option<&str> {
    path.rsplit_once('.').map(|(parent, _)| parent)
}

fn diff_docs(base: &Doc, local: &Doc) -> Vec<Op> {
    let mut ops = Vec::new();
    // Paths whose whole value an operation already covers: their descendants need none.
    let mut covered: Vec<String> = Vec::new();
    let is_covered = |covered: &[String], path: &str| {
        covered
            .iter()
            .any(|c| path.len() > c.len() && path.starts_with(c.as_str()) && path.as_bytes()[c.len()] == b'.')
    };
    for l in local.settings_in_order() {
        if is_covered(&covered, &l.path) {
            continue;
        }
        let op = match (base.entry(&l.path), l.state) {
            (None, State::Active) => Some(Op::Add {
                path: l.path.clone(),
                value: l.value_src.clone(),
                after: preceding_sibling(local, l).map(str::to_string),
            }),
            (Some(b), State::Active) if b.state == State::Commented => Some(Op::Enable {
                path: l.path.clone(),
                value: l.value_src.clone(),
            }),
            (Some(b), State::Active) => {
                let both_objects = b.child.is_some() && l.child.is_some();
                (!both_objects && b.canonical != l.canonical).then(|| Op::Set {
                    path: l.path.clone(),
                    value: l.value_src.clone(),
                })
            }
            (Some(b), State::Commented) if b.state == State::Active => {
                Some(Op::Disable { path: l.path.clone() })
            }
            (_, State::Commented) => None,
        };
        if let Some(op) = op {
            covered.push(l.path.clone());
            ops.push(op);
        }
    }
    for b in base.settings_in_order() {
        if is_covered(&covered, &b.path) || local.entry(&b.path).is_some() {
            continue;
        }
        covered.push(b.path.clone());
        ops.push(Op::Remove { path: b.path.clone() });
    }
    ops
}

/// The key of the active property right before `entry` in its object.
fn preceding_sibling<'d>(doc: &'d Doc, entry: &Entry) -> Option<&'d str> {
    doc.entries
        .iter()
        .filter(|e| e.state == State::Active && e.parent == entry.parent && e.span.end <= entry.span.start)
        .max_by_key(|e| e.span.end)
        .map(|e| last_segment(&e.path))
}

fn active(entry: Option<&Entry>) -> Option<&Entry> {
    entry.filter(|e| e.state == State::Active)
}

fn commented(entry: Option<&Entry>) -> Option<&Entry> {
    entry.filter(|e| e.state == State::Commented)
}

enum Verdict {
    Apply,
    Skip,
    /// Both sides changed the value: the admin's is applied and the note says what upstream did.
    KeptYours(String),
    /// Upstream removed or commented out a setting the admin set: it is put back, as the admin
    /// had it. `moved` when the profile knows where the setting went.
    KeptRemoved {
        commented_out: bool,
    },
}

/// How a setting reads in a note: its value as written, or its state.
fn describe(entry: Option<&Entry>) -> String {
    match entry {
        Some(e) if e.state == State::Active => show_value(&squeeze(&e.value_src)),
        Some(e) => crate::english!(
            "{value}, commented out",
            value = show_value(&squeeze(&e.value_src))
        ),
        None => crate::english!("unset"),
    }
}

/// What an operation derived from base→local means on top of upstream.
fn decide(
    op: &Op,
    base: Option<&Entry>,
    local: Option<&Entry>,
    upstream: Option<&Entry>,
    moved: Option<&MovedSetting>,
) -> Verdict {
    let path = op.path();
    let changed_default = || {
        crate::english!(
            "kept your {setting}; upstream changed its default from {old} to {new}",
            setting = path,
            old = describe(base),
            new = describe(upstream)
        )
    };
    match op {
        Op::Set { .. } | Op::Enable { .. } | Op::Add { .. } => {
            let Some(l) = active(local) else {
                return Verdict::Skip;
            };
            if let Some(u) = active(upstream) {
                if u.canonical == l.canonical {
                    Verdict::Skip
                } else if active(base).is_some_and(|b| b.canonical == u.canonical) {
                    Verdict::Apply
                } else {
                    Verdict::KeptYours(changed_default())
                }
            } else if let Some(u) = commented(upstream) {
                match base {
                    // Upstream disabled a setting it used to set.
                    Some(b) if b.state == State::Active => Verdict::KeptRemoved { commented_out: true },
                    _ if moved.is_some() => Verdict::KeptRemoved { commented_out: true },
                    // Upstream rewrote the default it documents for an option the admin set.
                    Some(b) if b.canonical != u.canonical => Verdict::KeptYours(changed_default()),
                    _ => Verdict::Apply,
                }
            } else if base.is_some() {
                Verdict::KeptRemoved { commented_out: false }
            } else {
                Verdict::Apply
            }
        }
        Op::Disable { .. } => match (active(upstream), active(base)) {
            (Some(u), Some(b)) if u.canonical == b.canonical => Verdict::Apply,
            (Some(_), _) => Verdict::KeptYours(crate::english!(
                "kept your {setting} commented out; upstream changed its value from {old} to {new}",
                setting = path,
                old = describe(base),
                new = describe(upstream)
            )),
            (None, _) => Verdict::Skip,
        },
        Op::Remove { .. } => match (upstream, base) {
            (Some(u), Some(b)) if u.state == State::Active && b.state == State::Active => {
                if u.canonical == b.canonical {
                    Verdict::Apply
                } else {
                    Verdict::KeptYours(crate::english!(
                        "kept your removal of {setting}; upstream changed it from {old} to {new}",
                        setting = path,
                        old = describe(base),
                        new = describe(upstream)
                    ))
                }
            }
            (Some(u), Some(b)) if u.state == State::Commented && b.state == State::Commented => {
                Verdict::Apply
            }
            _ => Verdict::Skip,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Editing upstream's text at a setting's span.

/// One replacement in the text.
struct Edit {
    range: Range<usize>,
    text: String,
}

fn insert(at: usize, text: impl Into<String>) -> Edit {
    Edit {
        range: at..at,
        text: text.into(),
    }
}

/// Applies one operation to `text` (read afresh, so earlier operations' edits are seen) and checks
/// that the result still parses.
fn apply_op(text: &str, op: &Op) -> Result<String, JsConfigError> {
    let doc = parse_doc(text.as_bytes())?;
    let edits = match op {
        Op::Set { path, value } | Op::Enable { path, value } => make_active(&doc, path, value, None)?,
        Op::Add { path, value, after } => make_active(&doc, path, value, after.as_deref())?,
        Op::Disable { path } => match doc.entry(path) {
            Some(e) if e.state == State::Active => disable(&doc, e),
            _ => Vec::new(),
        },
        Op::Remove { path } => match doc.entry(path) {
            Some(e) => remove(&doc, e),
            None => Vec::new(),
        },
    };
    let result = splice(text, edits).ok_or_else(|| JsConfigError::CannotApply {
        path: op.path().to_string(),
        reason: ApplyProblem::OverlappingEdits,
    })?;
    match parse_doc(result.as_bytes()) {
        Ok(_) => Ok(result),
        Err(err) => Err(JsConfigError::BrokenResult {
            path: op.path().to_string(),
            reason: Box::new(err),
        }),
    }
}

/// Applies edits in text order; `None` when two of them overlap.
fn splice(text: &str, mut edits: Vec<Edit>) -> Option<String> {
    edits.sort_by_key(|e| e.range.start);
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = 0;
    for edit in edits {
        if edit.range.start < cursor || edit.range.end < edit.range.start {
            return None;
        }
        out.push_str(text.get(cursor..edit.range.start)?);
        out.push_str(&edit.text);
        cursor = edit.range.end;
    }
    out.push_str(text.get(cursor..)?);
    Some(out)
}

fn make_active(doc: &Doc, path: &str, value: &str, after: Option<&str>) -> Result<Vec<Edit>, JsConfigError> {
    if path.split('.').any(str::is_empty) {
        return Err(JsConfigError::CannotApply {
            path: path.to_string(),
            reason: ApplyProblem::EmptyKey,
        });
    }
    check_value(path, value)?;
    match doc.entry(path) {
        Some(e) if e.state == State::Active => Ok(vec![Edit {
            range: e.value_span.clone(),
            text: value.to_string(),
        }]),
        Some(e) => Ok(enable(doc, e, value)),
        None => create(doc, path, value, after),
    }
}

/// A value must be one JavaScript expression, or it could swallow its neighbours.
fn check_value(path: &str, value: &str) -> Result<(), JsConfigError> {
    let not_a_value = || JsConfigError::CannotApply {
        path: path.to_string(),
        reason: ApplyProblem::NotAValue(value.to_string()),
    };
    let nesting = depth::javascript_nesting(value).map_err(|_| not_a_value())?;
    depth::run_within_stack(nesting, "value check", || parse_value(value))
        .ok()
        .filter(|ok| *ok)
        .map(|_| ())
        .ok_or_else(not_a_value)
}

/// True when `value` is exactly one JavaScript expression.
fn parse_value(value: &str) -> bool {
    let wrapped = format!("(\n{value}\n)");
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, &wrapped, SourceType::cjs()).parse();
    let single_expression = matches!(
        parsed.program.body.as_slice(),
        [Statement::ExpressionStatement(_)]
    );
    !parsed.panicked && !parsed.diagnostics.has_errors() && single_expression
}

/// Creates a setting upstream does not mention, and its parent objects when they are missing.
fn create(doc: &Doc, path: &str, value: &str, after: Option<&str>) -> Result<Vec<Edit>, JsConfigError> {
    let key = last_segment(path);
    let parent = parent_path(path);
    let prefix = parent.map(|p| format!("{p}.")).unwrap_or_default();
    if let Some(object) = doc.object_for(&prefix) {
        let anchor = after
            .and_then(|sibling| doc.entry(&format!("{prefix}{sibling}")))
            .filter(|e| e.state == State::Active && e.parent == object)
            .map(|e| e.span.clone());
        return Ok(insert_property(doc, object, key, value, anchor, false));
    }
    let Some(parent) = parent else {
        return Err(JsConfigError::NoConfigObject);
    };
    let nested = format!("{{ {}: {value} }}", key_src_for(key));
    match doc.entry(parent) {
        Some(e) if e.state == State::Active => Err(JsConfigError::CannotApply {
            path: path.to_string(),
            reason: ApplyProblem::NotAnObject(parent.to_string()),
        }),
        // Upstream documents the parent as a commented-out block: the new object goes right
        // below it, and the block stays as documentation.
        Some(e) => Ok(insert_property(
            doc,
            e.parent,
            last_segment(parent),
            &nested,
            Some(e.span.clone()),
            e.trailing_comma,
        )),
        None => create(doc, parent, &nested, None),
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn key_src_for(key: &str) -> String {
    if is_identifier(key) {
        key.to_string()
    } else {
        format!("'{}'", key.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// The file's own line break, for the lines an edit adds.
fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

fn line_start(text: &str, pos: usize) -> usize {
    text.get(..pos).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1)
}

fn line_end(text: &str, pos: usize) -> usize {
    text.get(pos..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| pos + i)
}

fn indent_of_line(text: &str, pos: usize) -> &str {
    let start = line_start(text, pos);
    let line = slice(text, start..line_end(text, pos));
    &line[..line.len() - line.trim_start().len()]
}

/// The comment starting exactly at `pos`, if any.
fn comment_at(doc: &Doc, pos: usize) -> Option<&Range<usize>> {
    doc.comments
        .binary_search_by_key(&pos, |c| c.start)
        .ok()
        .and_then(|i| doc.comments.get(i))
}

/// Skips whitespace (`newlines` false: not past the line end) and comments from `pos`.
fn skip_blank(doc: &Doc, mut pos: usize, newlines: bool) -> usize {
    let bytes = doc.text.as_bytes();
    while let Some(&b) = bytes.get(pos) {
        if b == b' ' || b == b'\t' || b == b'\r' || (newlines && b == b'\n') {
            pos += 1;
        } else if let Some(comment) = comment_at(doc, pos) {
            if !newlines && doc.text.get(comment.clone()).is_some_and(|c| c.contains('\n')) {
                break;
            }
            pos = comment.end;
        } else {
            break;
        }
    }
    pos
}

/// The position of the comma that follows a member ending at `end`, if one does.
fn comma_after(doc: &Doc, end: usize) -> Option<usize> {
    let pos = skip_blank(doc, end, true);
    (doc.text.as_bytes().get(pos) == Some(&b',')).then_some(pos)
}

/// When the rest of the line after `end` holds only a comma, blanks and comments: where the line
/// ends. `None` when something else follows on the same line (an inline object).
fn rest_of_line_end(doc: &Doc, end: usize) -> Option<usize> {
    let mut pos = skip_blank(doc, end, false);
    if doc.text.as_bytes().get(pos) == Some(&b',') {
        pos = skip_blank(doc, pos + 1, false);
    }
    match doc.text.as_bytes().get(pos) {
        None => Some(pos),
        // In a CRLF file the line ends before the `\r`.
        Some(b'\n') if pos > end && doc.text.as_bytes().get(pos - 1) == Some(&b'\r') => Some(pos - 1),
        Some(b'\n') => Some(pos),
        _ => None,
    }
}

/// True when `range` is the only thing on its lines (apart from a comma and comments after it).
fn on_own_lines(doc: &Doc, range: &Range<usize>) -> bool {
    slice(&doc.text, line_start(&doc.text, range.start)..range.start)
        .trim()
        .is_empty()
        && rest_of_line_end(doc, range.end).is_some()
}

/// Inserts `key: value` into an object: right after `after` (a member or a commented-out block)
/// when given, else after its last member.
/// Commas follow the object's style: the member before gets one if it lacks it, the new one gets
/// one when a member follows or the member before had one (trailing-comma style).
fn insert_property(
    doc: &Doc,
    object: usize,
    key: &str,
    value: &str,
    after: Option<Range<usize>>,
    comma_when_alone: bool,
) -> Vec<Edit> {
    let Some(obj) = doc.objects.get(object) else {
        return Vec::new();
    };
    let property = format!("{}: {value}", key_src_for(key));
    let Some(anchor_range) = after.or_else(|| obj.members.last().cloned()) else {
        return insert_into_empty(doc, obj, &property, comma_when_alone);
    };
    let previous = obj
        .members
        .iter()
        .filter(|m| m.end <= anchor_range.end)
        .max_by_key(|m| m.end);
    let next_exists = obj.members.iter().any(|m| m.start >= anchor_range.end);
    let previous_had_comma = previous.is_some_and(|p| comma_after(doc, p.end).is_some());
    let mut edits = Vec::new();
    match rest_of_line_end(doc, anchor_range.end) {
        Some(eol) => {
            if let (Some(p), false) = (previous, previous_had_comma) {
                edits.push(insert(p.end, ","));
            }
            let comma = if next_exists || previous_had_comma || (previous.is_none() && comma_when_alone) {
                ","
            } else {
                ""
            };
            let indent = indent_of_line(&doc.text, anchor_range.start);
            let newline = newline(&doc.text);
            edits.push(insert(eol, format!("{newline}{indent}{property}{comma}")));
        }
        // Several members on one line (`hosts: { domain: 'x', muc: 'y' }`): stay on it. Right
        // after the member, `, key: value` is correct whether its own comma follows or not.
        None => edits.push(insert(anchor_range.end, format!(", {property}"))),
    }
    edits
}

fn insert_into_empty(doc: &Doc, obj: &Obj, property: &str, comma: bool) -> Vec<Edit> {
    let inner = obj.span.start + 1..obj.span.end.saturating_sub(1);
    let comma = if comma { "," } else { "" };
    if !slice(&doc.text, inner.clone()).contains('\n') {
        return vec![Edit {
            range: inner,
            text: format!(" {property} "),
        }];
    }
    let indent = indent_of_line(&doc.text, obj.span.start);
    let newline = newline(&doc.text);
    vec![insert(
        inner.start,
        format!("{newline}{indent}    {property}{comma}"),
    )]
}

/// Replaces a commented-out option by the active property, keeping the indentation and the
/// remark after it, with a comma when a member follows or the comment had one.
fn enable(doc: &Doc, entry: &Entry, value: &str) -> Vec<Edit> {
    let mut edits = Vec::new();
    let Some(obj) = doc.objects.get(entry.parent) else {
        return edits;
    };
    let previous = obj
        .members
        .iter()
        .filter(|m| m.end <= entry.span.start)
        .max_by_key(|m| m.end);
    let previous_had_comma =
        previous.is_some_and(|p| comma_after(doc, p.end).is_some_and(|c| c < entry.span.start));
    if let (Some(p), false) = (previous, previous_had_comma) {
        edits.push(insert(p.end, ","));
    }
    let next_exists = obj.members.iter().any(|m| m.start >= entry.span.end);
    let comma = if next_exists || entry.trailing_comma || previous_had_comma {
        ","
    } else {
        ""
    };
    let remark = entry
        .trailing_comment
        .as_deref()
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    edits.push(Edit {
        range: entry.span.clone(),
        text: format!("{}: {value}{comma}{remark}", entry.key_src),
    });
    edits
}

/// Comments an active property out, line by line when it stands on its own lines.
fn disable(doc: &Doc, entry: &Entry) -> Vec<Edit> {
    let text = &doc.text;
    let end = comma_after(doc, entry.span.end)
        .filter(|&c| !slice(text, entry.span.end..c).contains('\n'))
        .map_or(entry.span.end, |c| c + 1);
    if on_own_lines(doc, &entry.span) {
        // Every line gets `// ` in the property's own column, so the inner indentation survives
        // behind the slashes and the block reads back as one commented-out option.
        let column = entry.span.start - line_start(text, entry.span.start);
        let mut edits = vec![insert(entry.span.start, "// ")];
        let mut pos = line_end(text, entry.span.start);
        while pos < end {
            let next_line = pos + 1;
            let indent = indent_of_line(text, next_line).len();
            let first = next_line + indent.min(column);
            let blank = slice(text, next_line..line_end(text, next_line))
                .trim()
                .is_empty();
            if next_line + indent < end && !blank {
                edits.push(insert(first, "// "));
            }
            pos = line_end(text, next_line);
        }
        edits
    } else {
        vec![Edit {
            range: entry.span.start..end,
            text: format!("/* {} */", slice(text, entry.span.start..end)),
        }]
    }
}

/// Deletes a property or a commented-out option, with its whole lines when it has them alone.
fn remove(doc: &Doc, entry: &Entry) -> Vec<Edit> {
    let text = &doc.text;
    if on_own_lines(doc, &entry.span) {
        let start = line_start(text, entry.span.start);
        let end = rest_of_line_end(doc, entry.span.end).unwrap_or(entry.span.end);
        let rest = slice(text, end..text.len());
        let end = end
            + [newline(text), "\n"]
                .iter()
                .find(|nl| rest.starts_with(**nl))
                .map_or(0, |nl| nl.len());
        return vec![Edit {
            range: start..end,
            text: String::new(),
        }];
    }
    let end = comma_after(doc, entry.span.end).map_or(entry.span.end, |c| c + 1);
    let end = end + slice(text, end..text.len()).len()
        - slice(text, end..text.len()).trim_start_matches([' ', '\t']).len();
    vec![Edit {
        range: entry.span.start..end,
        text: String::new(),
    }]
}

#[cfg(test)]
mod tests {
    /// The labels of a merge of Jitsi's files: with the profile's table of moved settings.
    fn jitsi_labels() -> Labels {
        Labels {
            moved_settings: crate::profile::moves::MOVES,
            ..Labels::default()
        }
    }

    use super::*;

    macro_rules! fixture {
        ($case:literal, $file:literal) => {
            include_bytes!(concat!("../../tests/fixtures/", $case, "/", $file)).as_slice()
        };
    }

    fn merge3(base: &str, local: &str, upstream: &str) -> Merged {
        merge_js_config(
            base.as_bytes(),
            local.as_bytes(),
            upstream.as_bytes(),
            &jitsi_labels(),
        )
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    fn parses(bytes: &[u8]) -> bool {
        parse_doc(bytes).is_ok()
    }

    const SMALL: &str = "var config = {\n    hosts: {\n        domain: 'x.de',\n        muc: 'conference.x.de'\n    },\n\n    // Default language.\n    // defaultLanguage: 'en',\n\n    channelLastN: -1\n};\n";

    #[test]
    fn commented_options_are_present_but_disabled() {
        let doc = parse_doc(fixture!("jsconfig-upstream-removed-option", "base")).unwrap();
        let e = doc.entry("hosts.anonymousdomain").unwrap();
        assert_eq!(
            (e.state, e.value_src.as_str()),
            (State::Commented, "'guest.example.com'")
        );
        let e = doc.entry("enableLayerSuspension").unwrap();
        assert_eq!(e.state, State::Commented);
        // A commented block spanning lines reads as one option with an object value.
        let e = doc.entry("constraints").unwrap();
        assert_eq!(
            e.canonical,
            r#"{"video":{"height":{"ideal":720,"max":720,"min":240}}}"#
        );
        // A commented entry inside an array value is not an option of the object.
        assert_eq!(doc.entry("p2p.stunServers").unwrap().state, State::Active);
        assert!(doc.entry("p2p.urls").is_none() && doc.entry("urls").is_none());
        // Prose is not an option.
        assert!(doc.index.keys().all(|k| !k.contains(' ')));
    }

    #[test]
    fn guide_edits_become_setting_operations() {
        let ops = customisation_ops(
            fixture!("jsconfig-upstream-removed-option", "base"),
            fixture!("jsconfig-upstream-removed-option", "local"),
        )
        .unwrap();
        let summary: Vec<String> = ops
            .iter()
            .map(|op| match op {
                Op::Set { path, value } => format!("set {path}={value}"),
                Op::Enable { path, value } => format!("enable {path}={value}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(summary.len(), 7, "{summary:#?}");
        assert_eq!(summary[0], "enable hosts.anonymousdomain='guest.tele.praxis.de'");
        assert!(summary.contains(&"set channelLastN=4".to_string()));
        assert!(summary.contains(&"enable defaultLanguage='de'".to_string()));
        assert!(summary.iter().any(|s| s.starts_with("set p2p.stunServers=[")));
        assert!(summary.iter().any(|s| s.starts_with("enable constraints={")));
    }

    #[test]
    fn replaying_the_operations_on_base_gives_local_back() {
        let base = fixture!("jsconfig-trailing-commas-and-moved-block", "base");
        let local = fixture!("jsconfig-trailing-commas-and-moved-block", "local");
        let ops = customisation_ops(base, local).unwrap();
        assert!(
            ops.iter()
                .any(|op| matches!(op, Op::Add { path, after: Some(after), .. }
            if path == "disableDeepLinking" && after == "enableUserRolesBasedOnToken"))
        );
        assert_eq!(text(&apply_ops(base, &ops).unwrap()), text(local));
    }

    // The reason the strategy exists: upstream alphabetised interface_config.js, and the line
    // merge cannot find the admin's four lines any more.
    #[test]
    fn resorted_keys_conflict_as_lines_but_merge_as_settings() {
        let (base, local, upstream) = (
            fixture!("jsconfig-upstream-resorts-keys", "base"),
            fixture!("jsconfig-upstream-resorts-keys", "local"),
            fixture!("jsconfig-upstream-resorts-keys", "upstream"),
        );
        let lines = merge_text(base, local, upstream, &jitsi_labels(), Whitespace::Exact);
        assert!(!lines.is_clean());
        let settings = merge_js_config(base, local, upstream, &jitsi_labels());
        assert!(settings.is_clean(), "{:?}", settings.conflicts);
        assert_eq!(
            settings.content,
            fixture!("jsconfig-upstream-resorts-keys", "expected")
        );
    }

    #[test]
    fn rewritten_comment_above_an_uncommented_option_conflicts_only_as_lines() {
        let (base, local, upstream) = (
            fixture!("jsconfig-comment-rewritten-above-uncommented", "base"),
            fixture!("jsconfig-comment-rewritten-above-uncommented", "local"),
            fixture!("jsconfig-comment-rewritten-above-uncommented", "upstream"),
        );
        assert!(!merge_text(base, local, upstream, &jitsi_labels(), Whitespace::Exact).is_clean());
        assert!(merge_js_config(base, local, upstream, &jitsi_labels()).is_clean());
    }

    #[test]
    fn enabling_the_last_option_adds_the_comma_the_member_before_lacks() {
        let local = SMALL.replace("    // defaultLanguage: 'en',\n", "").replace(
            "    channelLastN: -1\n",
            "    channelLastN: -1,\n    // Default language.\n    defaultLanguage: 'de'\n",
        );
        // Upstream moved the commented option to the very end, after a member without comma.
        let base = SMALL
            .replace("    // Default language.\n    // defaultLanguage: 'en',\n\n", "")
            .replace(
                "    channelLastN: -1\n",
                "    channelLastN: -1\n    // Default language.\n    // defaultLanguage: 'en'\n",
            );
        let upstream = base.replace("conference.x.de", "muc.x.de");
        let m = merge3(&base, &local, &upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        let out = text(&m.content);
        assert!(
            out.contains("    channelLastN: -1,\n    // Default language.\n    defaultLanguage: 'de'\n};"),
            "{out}"
        );
        assert!(out.contains("muc.x.de") && parses(&m.content));
    }

    #[test]
    fn an_added_setting_joins_an_inline_object() {
        let base = "var config = {\n    hosts: { domain: 'x.de', muc: 'conference.x.de' },\n    bosh: '/http-bind'\n};\n";
        let local = base.replace(
            "muc: 'conference.x.de' }",
            "muc: 'conference.x.de', anonymousdomain: 'guest.x.de' }",
        );
        let upstream = base.replace("'/http-bind'", "'/http-bind',\n    websocket: '/xmpp-websocket'");
        let m = merge3(base, &local, &upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(
            text(&m.content),
            local.replace("'/http-bind'", "'/http-bind',\n    websocket: '/xmpp-websocket'")
        );
    }

    #[test]
    fn an_added_setting_follows_its_sibling_or_ends_the_object() {
        let base = "var interfaceConfig = {\n    A: 1,\n    B: 2\n};\n";
        let local = "var interfaceConfig = {\n    A: 1,\n    X: 'new',\n    B: 2\n};\n";
        // Upstream reordered: X still lands right after A.
        let upstream = "var interfaceConfig = {\n    B: 2,\n    A: 1\n};\n";
        let m = merge3(base, local, upstream);
        assert_eq!(
            text(&m.content),
            "var interfaceConfig = {\n    B: 2,\n    A: 1,\n    X: 'new'\n};\n"
        );
        // Upstream dropped A: X goes to the end, in upstream's trailing-comma style.
        let upstream = "var interfaceConfig = {\n    B: 2,\n    C: 3,\n};\n";
        let m = merge3(base, local, upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(
            text(&m.content),
            "var interfaceConfig = {\n    B: 2,\n    C: 3,\n    X: 'new',\n};\n"
        );
    }

    #[test]
    fn disabling_and_removing_follow_upstreams_position() {
        let base = "var config = {\n    a: 1,\n    b: {\n        c: true\n    },\n    d: 'x'\n};\n";
        let local = "var config = {\n    a: 1,\n    // b: {\n    //     c: true\n    // },\n};\n";
        let upstream = "var config = {\n    d: 'x',\n    a: 2,\n    b: {\n        c: true\n    },\n};\n";
        let m = merge3(base, local, upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(
            text(&m.content),
            "var config = {\n    a: 2,\n    // b: {\n    //     c: true\n    // },\n};\n"
        );
    }

    #[test]
    fn upstream_commenting_out_the_old_default_keeps_the_admins_value() {
        let local = SMALL.replace("channelLastN: -1", "channelLastN: 4");
        let upstream = SMALL.replace(
            "    channelLastN: -1\n",
            "    // channelLastN: -1,\n    enableWelcomePage: true\n",
        );
        let m = merge3(SMALL, &local, &upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert!(text(&m.content).contains("    channelLastN: 4,\n    enableWelcomePage: true\n"));
    }

    #[test]
    fn a_removed_option_is_kept_after_its_neighbour_and_reported() {
        let (base, local, upstream) = (
            fixture!("jsconfig-upstream-removed-option", "base"),
            fixture!("jsconfig-upstream-removed-option", "local"),
            fixture!("jsconfig-upstream-removed-option", "upstream"),
        );
        let m = merge_js_config(base, local, upstream, &jitsi_labels());
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(m.decisions.len(), 1);
        assert_eq!(
            (m.decisions[0].kind, m.decisions[0].setting.as_deref()),
            (DecisionKind::KeptRemoved, Some("enableLayerSuspension"))
        );
        // Right after the setting that precedes it in the admin's file, with upstream's comma style.
        let expected = "            }\n        }\n    },\n    enableLayerSuspension: true,\n\n    // Enable / disable simulcast";
        assert!(text(&m.content).contains(expected), "{}", text(&m.content));
        // The callers' view of the same: what upstream dropped, and the operation that keeps it.
        let left = left_behind(base, local, upstream, crate::profile::moves::MOVES).unwrap();
        assert_eq!(
            (left[0].op.path(), left[0].value.as_str(), left[0].moved_to),
            ("enableLayerSuspension", "true", None)
        );
    }

    #[test]
    fn a_moved_setting_is_carried_into_config_js() {
        let left = left_behind(
            fixture!("jsconfig-setting-moved", "base"),
            fixture!("jsconfig-setting-moved", "local"),
            fixture!("jsconfig-setting-moved", "upstream"),
            crate::profile::moves::MOVES,
        )
        .unwrap();
        let moved: Vec<&str> = left
            .iter()
            .filter_map(|l| l.moved_to.map(|m| m.to_path))
            .collect();
        assert_eq!(
            moved,
            ["deeplinking.android.downloadLink", "toolbarConfig.alwaysVisible"]
        );
        let m = left[1].moved_to.unwrap();
        let value = active_value(fixture!("jsconfig-setting-moved", "local"), m.from_key)
            .unwrap()
            .unwrap();
        assert_eq!((value.as_str(), left[1].value.as_str()), ("true", "true"));
        // config.js documents toolbarConfig as a commented block: the new object goes below it.
        let config = fixture!("jsconfig-upstream-removed-option", "base");
        let carried = carry_setting(config, m.to_path, &value).unwrap();
        let out = text(&carried);
        assert!(
            out.contains(
                "    //     alwaysVisible: false\n    // },\n    toolbarConfig: { alwaysVisible: true },\n"
            ),
            "{out}"
        );
        assert_eq!(
            active_value(&carried, "toolbarConfig.alwaysVisible")
                .unwrap()
                .as_deref(),
            Some("true")
        );
        // Carrying again replaces the value in place.
        let again = carry_setting(&carried, m.to_path, "false").unwrap();
        assert!(text(&again).contains("toolbarConfig: { alwaysVisible: false },"));
        // Two missing levels are created at the end of the object.
        let link = "'https://f-droid.org/de/packages/org.jitsi.meet/'";
        let deep = carry_setting(SMALL.as_bytes(), "deeplinking.android.downloadLink", link).unwrap();
        assert!(text(&deep).contains(&format!(
            "    channelLastN: -1,\n    deeplinking: {{ android: {{ downloadLink: {link} }} }}\n}};"
        )));
        // A commented option inside an active object is enabled.
        let config = "var config = {\n    toolbarConfig: {\n        timeout: 4000,\n        // alwaysVisible: false,\n    },\n};\n";
        let enabled = carry_setting(config.as_bytes(), "toolbarConfig.alwaysVisible", "true").unwrap();
        assert_eq!(
            text(&enabled),
            config.replace("// alwaysVisible: false", "alwaysVisible: true")
        );
    }

    #[test]
    fn the_text_shown_is_the_kept_text_in_english() {
        let errors = [
            JsConfigError::Unparsable(Unreadable::NotUtf8("invalid utf-8 sequence".into())),
            JsConfigError::Unparsable(Unreadable::TooLarge),
            JsConfigError::Unparsable(Unreadable::TooDeep(depth::MAX_NESTING)),
            JsConfigError::Unparsable(Unreadable::Parser("Unexpected token".into())),
            JsConfigError::Unparsable(Unreadable::ParserGaveUp),
            JsConfigError::NoConfigObject,
            JsConfigError::CannotApply {
                path: "a..b".into(),
                reason: ApplyProblem::EmptyKey,
            },
            JsConfigError::CannotApply {
                path: "p".into(),
                reason: ApplyProblem::OverlappingEdits,
            },
            JsConfigError::CannotApply {
                path: "p".into(),
                reason: ApplyProblem::NotAValue("1, b: 2".into()),
            },
            JsConfigError::CannotApply {
                path: "hosts.domain.x".into(),
                reason: ApplyProblem::NotAnObject("hosts.domain".into()),
            },
            JsConfigError::BrokenResult {
                path: "p".into(),
                reason: Box::new(JsConfigError::NoConfigObject),
            },
        ];
        for error in errors {
            assert_eq!(error.shown(), error.to_string());
        }
        assert_eq!(
            JsConfigError::NoConfigObject.to_string(),
            "has no config object (`var config = { ... };`)"
        );
    }

    #[test]
    fn values_that_are_not_javascript_are_refused() {
        for bad in ["true; alert(1)", "1, b: 2", "", "}", "1 // swallows the comma"] {
            let result = carry_setting(SMALL.as_bytes(), "hosts.domain", bad);
            assert!(result.is_err(), "{bad:?} was accepted");
        }
        assert!(carry_setting(SMALL.as_bytes(), "a..b", "1").is_err());
        assert!(matches!(
            carry_setting(SMALL.as_bytes(), "hosts.domain.x", "1"),
            Err(JsConfigError::CannotApply { .. })
        ));
    }

    #[test]
    fn files_without_a_config_object_fall_back_to_text() {
        let base = "// Jitsi\n\nmodule.exports = 1;\n";
        let m = merge3(
            base,
            &base.replace('1', "2"),
            &base.replace("Jitsi", "Jitsi Meet"),
        );
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(text(&m.content), "// Jitsi Meet\n\nmodule.exports = 2;\n");
        assert!(
            m.notes[0].starts_with("fell back to text: base has no config object"),
            "{:?}",
            m.notes
        );
        let m = merge_js_config(
            b"var config = {};\n",
            b"\xff\xfe",
            b"var config = { a: 1 };\n",
            &jitsi_labels(),
        );
        assert!(
            m.notes[0].contains("local does not parse as JavaScript: not UTF-8"),
            "{:?}",
            m.notes
        );
    }

    #[test]
    fn assignments_and_several_config_objects_are_found() {
        let base = "config = {\n    a: 1\n};\nvar other = {\n    b: 1\n};\n";
        let local = base.replace("a: 1", "a: 2").replace("b: 1", "b: 2");
        let ops = customisation_ops(base.as_bytes(), local.as_bytes()).unwrap();
        let paths: Vec<&str> = ops.iter().map(Op::path).collect();
        assert_eq!(paths, ["a", "other.b"]);
    }

    #[test]
    fn crlf_files_get_crlf_lines() {
        let base = SMALL.replace('\n', "\r\n");
        let local = base.replace(
            "channelLastN: -1",
            "channelLastN: -1,\r\n    p2p: { enabled: false }",
        );
        let local = local.replace(
            "    // defaultLanguage: 'en',\r\n",
            "    defaultLanguage: 'de',\r\n",
        );
        let upstream = base.replace("    muc:", "    focus: 'focus.x.de',\r\n    muc:");
        let m = merge3(&base, &local, &upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(
            text(&m.content),
            local.replace("    muc:", "    focus: 'focus.x.de',\r\n    muc:")
        );
        let removed = apply_ops(&m.content, &[Op::Remove { path: "p2p".into() }]).unwrap();
        assert_eq!(
            text(&removed),
            text(&m.content).replace("    p2p: { enabled: false }\r\n", "")
        );
    }

    #[test]
    fn remarks_after_a_commented_option_survive_enabling() {
        let base = "var config = {\n    testing: {\n        // mobileXmppWsThreshold: 10 // for 10% of the users\n    },\n    // disable1On1Mode: null | false | true,\n    a: 1\n};\n";
        let local = base
            .replace("// mobileXmppWsThreshold: 10", "mobileXmppWsThreshold: 50")
            .replace(
                "// disable1On1Mode: null | false | true,",
                "disable1On1Mode: true,",
            );
        let upstream = base.replace("a: 1", "a: 2");
        let m = merge3(base, &local, &upstream);
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(text(&m.content), local.replace("a: 1", "a: 2"));
    }

    mod no_panics {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            // Whatever the inputs, the merge answers; when it merged as settings, the result parses.
            #[test]
            fn merging_damaged_configs_never_panics(
                cut in 0usize..SMALL.len(),
                len in 0usize..12,
                junk in "[{}\\[\\],:/'\\n a-z0-9]{0,8}",
            ) {
                let end = (cut + len).min(SMALL.len());
                let (cut, end) = (SMALL.floor_char_boundary(cut), SMALL.floor_char_boundary(end));
                let damaged = format!("{}{junk}{}", &SMALL[..cut], &SMALL[end..]);
                let local = SMALL.replace("-1", "4");
                for (l, u) in [(local.as_str(), damaged.as_str()), (damaged.as_str(), local.as_str())] {
                    let m = merge3(SMALL, l, u);
                    if m.notes.iter().all(|n| !n.starts_with("fell back")) && m.content != l.as_bytes() {
                        prop_assert!(parses(&m.content), "{}", String::from_utf8_lossy(&m.content));
                    }
                }
            }
        }
    }

    /// Regression: a comment the admin added after the config object was dropped, and the rebase
    /// reported the customisation as adopted by upstream.
    #[test]
    fn an_edit_outside_the_settings_is_not_lost() {
        let base =
            b"var interfaceConfig = {\n    APP_NAME: 'Jitsi Meet',\n    SHOW_JITSI_WATERMARK: true,\n};\n";
        let local = b"var interfaceConfig = {\n    APP_NAME: 'Jitsi Meet',\n    SHOW_JITSI_WATERMARK: true,\n};\n// Praxis: see the admin guide\n";
        let upstream = b"var interfaceConfig = {\n    APP_NAME: 'Jitsi Meet',\n    SHOW_JITSI_WATERMARK: true,\n    SHOW_BRAND_WATERMARK: false,\n};\n";
        let merged = merge_js_config(base, local, upstream, &jitsi_labels());
        assert!(merged.is_clean(), "{:?}", merged.conflicts);
        let text = String::from_utf8(merged.content).unwrap();
        assert!(text.contains("// Praxis: see the admin guide"), "{text}");
        assert!(text.contains("SHOW_BRAND_WATERMARK"), "{text}");
    }
}
