//! Three-way merge of minified files (Jitsi's `css/all.css`, about 1 MB on one line; `*.min.js`
//! bundles). A line merge sees one line changed on both sides and gives up; here each input is
//! first split into one rule (CSS) or statement (JS) per line, the line merge runs on those split
//! forms, and the result is joined back into the original layout.
//!
//! The split form is reversible by construction, whatever the scanner decides: every piece becomes
//! a line, and each newline of the original becomes an empty line (pieces are never empty). So a
//! wrong split point can only make the merge coarser or finer, never change bytes, and an
//! unchanged file round-trips byte for byte. The scanner still refuses input it cannot follow
//! (unbalanced braces, an unterminated string, comment or regex): such a file goes to the plain
//! line merge with a note, because split points it guessed would not mean "rule" or "statement".
//!
//! A conflicting merge keeps the split form with conflict markers (it is parked, never live) and
//! names the CSS selectors or the start of the statements involved.

use crate::tr;

use super::edit::EditError;
use super::keyed::{self, BothChanged, Dialect, Keyed};
use super::text::{ConflictBlock, Whitespace, conflict_blocks, conflicted, merge_text};
use super::{Conflict, Decision, DecisionKind, Labels, Merged};

/// What a minified file holds, which decides where it is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinifiedKind {
    /// Split after each rule's `}`, after the `{` of a grouping at-rule (`@media`), after a
    /// top-level `;` (`@import`, `@charset`).
    Css,
    /// Split after each `;` outside parentheses and brackets, at any brace depth: a bundle is often
    /// one top-level expression, so top-level statements alone would not split it.
    Js,
}

impl MinifiedKind {
    /// Guesses from the content: JavaScript has keywords and arrows that CSS never holds outside
    /// strings and comments.
    pub fn sniff(content: &[u8]) -> MinifiedKind {
        const JS_WORDS: [&[u8]; 7] = [
            b"function(",
            b"function ",
            b"=>",
            b"var ",
            b"let ",
            b"const ",
            b"return ",
        ];
        let is_js = JS_WORDS
            .iter()
            .any(|word| content.windows(word.len()).any(|w| w == *word));
        if is_js {
            MinifiedKind::Js
        } else {
            MinifiedKind::Css
        }
    }

    /// Why a side is not split into pieces and merged line by line instead.
    fn fell_back(self, side: &str, why: &str) -> String {
        match self {
            MinifiedKind::Css => crate::english!(
                "fell back to text: {side} could not be split into CSS rules: {why}",
                side,
                why
            ),
            MinifiedKind::Js => crate::english!(
                "fell back to text: {side} could not be split into JavaScript statements: {why}",
                side,
                why
            ),
        }
    }

    /// How the conflicting content of a split file is laid out.
    fn split_note(self) -> String {
        match self {
            MinifiedKind::Css => {
                crate::english!("the conflicting content is shown with one of the CSS rules a line")
            }
            MinifiedKind::Js => crate::english!(
                "the conflicting content is shown with one of the JavaScript statements a line"
            ),
        }
    }
}

/// Merges minified CSS or JavaScript, the kind guessed from upstream's content.
pub fn merge_minified(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels) -> Merged {
    merge_minified_as(MinifiedKind::sniff(upstream), base, local, upstream, labels)
}

/// Merges minified content of a known kind.
pub fn merge_minified_as(
    kind: MinifiedKind,
    base: &[u8],
    local: &[u8],
    upstream: &[u8],
    labels: &Labels,
) -> Merged {
    if let Some(merged) = super::one_side_unchanged(base, local, upstream) {
        return merged;
    }
    let split = |content: &[u8], label: &str| {
        split_into_lines(kind, content).map_err(|why| kind.fell_back(label, &why))
    };
    let sides = split(base, &labels.base).and_then(|b| {
        let l = split(local, &labels.local)?;
        let u = split(upstream, &labels.upstream)?;
        Ok((b, l, u))
    });
    let (base_split, local_split, upstream_split) = match sides {
        Ok(sides) => sides,
        Err(note) => {
            let mut merged = merge_text(base, local, upstream, labels, Whitespace::Exact);
            merged.notes.push(note);
            return merged;
        }
    };
    let mut merged = merge_text(
        &base_split,
        &local_split,
        &upstream_split,
        labels,
        Whitespace::Exact,
    );
    if !merged.is_clean() && kind == MinifiedKind::Css && merged.regions.is_some() {
        // Rules are merged by identity (at-rule context and selector), not by line adjacency.
        let settled = keyed::settle(&CssRules, &merged.content, Whitespace::Exact, false, labels);
        merged = if settled.unsettled == 0 {
            Merged {
                content: settled.content,
                ..Merged::default()
            }
        } else {
            conflicted(settled.content)
        };
        merged.decisions = settled.decisions;
    }
    if merged.is_clean() {
        return Merged {
            content: join_lines(&merged.content),
            notes: merged.notes,
            decisions: merged.decisions,
            ..Merged::default()
        };
    }
    let blocks = conflict_blocks(&merged.content);
    let mut conflicts: Vec<Conflict> = blocks
        .iter()
        .map(|block| Conflict {
            what: describe_block(kind, block),
            hint: None,
        })
        .collect();
    if conflicts.is_empty() {
        conflicts = merged.conflicts;
    }
    let mut notes = merged.notes;
    notes.push(kind.split_note());
    let regions = merged.regions.map(|mut regions| {
        regions.split_minified = true;
        for (choice, conflict) in regions.choices.iter_mut().zip(&conflicts) {
            choice.what = conflict.what.clone();
        }
        regions
    });
    Merged {
        content: merged.content,
        conflicts,
        notes,
        regions,
        decisions: merged.decisions,
    }
}

/// The split form of a stylesheet read as rules: a rule's identity is its selector inside its
/// at-rule context (`@media (max-width:480px) > .a`), its value the declarations.
struct CssRules;

impl Dialect for CssRules {
    /// The open grouping at-rules, outermost first.
    type State = Vec<String>;

    fn read(&self, open: &mut Vec<String>, line: &str) -> Option<Keyed> {
        let code = strip_css_comments(line);
        let code = code.trim();
        if code.is_empty() {
            return None;
        }
        let id = |open: &[String], name: &str| {
            let mut parts: Vec<&str> = open.iter().map(String::as_str).collect();
            parts.push(name);
            parts.join(" > ")
        };
        if code == "}" {
            let closer = id(open, "}");
            open.pop();
            return Some(Keyed {
                id: closer,
                setting: false,
                value: 0..0,
            });
        }
        if let Some(prelude) = code.strip_suffix('{') {
            let prelude = squeeze(prelude);
            let opener = id(open, &format!("{prelude} {{"));
            open.push(prelude);
            return Some(Keyed {
                id: opener,
                setting: false,
                value: 0..0,
            });
        }
        match (line.find('{'), line.rfind('}')) {
            (Some(open_at), Some(close_at)) if open_at < close_at && code.ends_with('}') => {
                let selector = squeeze(strip_css_comments(&line[..open_at]).as_str());
                Some(Keyed {
                    id: id(open, &selector),
                    setting: true,
                    value: open_at + 1..close_at,
                })
            }
            _ => Some(Keyed {
                id: id(open, &squeeze(code)),
                setting: false,
                value: 0..0,
            }),
        }
    }

    /// A rule upstream dropped is kept only by a person's choice: its selector may now match
    /// something else.
    fn keeps_removed(&self) -> bool {
        false
    }

    fn merge_both_changed(&self, both: &BothChanged<'_>) -> Option<(Vec<u8>, Vec<Decision>)> {
        merge_declarations(both)
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_css_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// A rule's declarations: `(property, declaration text)`, split at `;` outside strings and
/// parentheses (`url(data:…;base64,…)`).
fn declarations(body: &str) -> Option<Vec<(String, &str)>> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let (mut start, mut parens, mut i) = (0, 0i32, 0);
    while i <= bytes.len() {
        match bytes.get(i) {
            Some(q @ (b'"' | b'\'')) => {
                let q = *q;
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            Some(b'(') => parens += 1,
            Some(b')') => parens -= 1,
            Some(b'{' | b'}') => return None,
            Some(b';') | None if parens == 0 => {
                let decl = body.get(start..i.min(body.len()))?;
                if !decl.trim().is_empty() {
                    let (property, _) = decl.split_once(':')?;
                    out.push((property.trim().to_ascii_lowercase(), decl));
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    Some(out)
}

/// Both sides changed one rule: merged declaration by declaration. One declaration is one
/// setting: both changed it, the admin's value stays. `None` (a person decides) when a side
/// repeats a property (fallback values depend on their order) or the two sides touched a shorthand
/// and its longhand (`margin` and `margin-top`), whose order decides which wins.
fn merge_declarations(both: &BothChanged<'_>) -> Option<(Vec<u8>, Vec<Decision>)> {
    let text = |line: &[u8]| std::str::from_utf8(line).ok().map(str::to_string);
    let (local_line, upstream_line) = (text(both.local)?, text(both.upstream)?);
    let parse = |value: &str| -> Option<Vec<(String, String)>> {
        let decls = declarations(value)?;
        let mut seen = std::collections::HashSet::new();
        decls
            .into_iter()
            .map(|(p, d)| seen.insert(p.clone()).then(|| (p, d.to_string())))
            .collect()
    };
    let base = match both.base_value {
        Some(value) => parse(value)?,
        None => Vec::new(),
    };
    let local = parse(both.local_value)?;
    let upstream = parse(both.upstream_value)?;
    let get = |list: &[(String, String)], p: &str| list.iter().find(|(q, _)| q == p).map(|(_, d)| d.clone());
    let value_of = |decl: &str| decl.split_once(':').map_or("", |(_, v)| v).trim().to_string();
    let changed_by = |side: &[(String, String)]| -> Vec<String> {
        let mut names: Vec<String> = side
            .iter()
            .filter(|(p, d)| get(&base, p).is_none_or(|b| value_of(&b) != value_of(d)))
            .map(|(p, _)| p.clone())
            .collect();
        names.extend(
            base.iter()
                .filter(|(p, _)| get(side, p).is_none())
                .map(|(p, _)| p.clone()),
        );
        names
    };
    let (by_local, by_upstream) = (changed_by(&local), changed_by(&upstream));
    let related =
        |a: &str, b: &str| a != b && (a.starts_with(&format!("{b}-")) || b.starts_with(&format!("{a}-")));
    if by_local.iter().any(|l| by_upstream.iter().any(|u| related(l, u))) {
        return None;
    }
    let selector = both.id;
    let mut decisions = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for (p, u) in &upstream {
        let b = get(&base, p);
        match (get(&local, p), b) {
            (Some(l), b) => {
                let same_as_base = |d: &str| b.as_deref().is_some_and(|b| value_of(b) == value_of(d));
                if same_as_base(&l) || value_of(&l) == value_of(u) {
                    out.push(u.clone());
                } else {
                    if !same_as_base(u) {
                        decisions.push(Decision {
                            moved_to: None,
                            kind: DecisionKind::KeptYours,
                            setting: Some(format!("{selector} {{ {p} }}")),
                            message: crate::english!(
                                "kept your {setting}; upstream changed its default from {old} to {new}",
                                setting = format!("{selector} {{ {p} }}"),
                                old = b.as_deref().map_or_else(
                                    || crate::english!("unset"),
                                    |b| format!("'{}'", value_of(b))
                                ),
                                new = format!("'{}'", value_of(u))
                            ),
                        });
                    }
                    out.push(l);
                }
            }
            (None, Some(b)) => {
                if value_of(&b) != value_of(u) {
                    decisions.push(Decision {
                        moved_to: None,
                        kind: DecisionKind::KeptYours,
                        setting: Some(format!("{selector} {{ {p} }}")),
                        message: crate::english!(
                            "kept your removal of {setting}; upstream changed it from {old} to {new}",
                            setting = format!("{selector} {{ {p} }}"),
                            old = format!("'{}'", value_of(&b)),
                            new = format!("'{}'", value_of(u))
                        ),
                    });
                }
            }
            (None, None) => out.push(u.clone()),
        }
    }
    for (p, l) in &local {
        if get(&upstream, p).is_some() {
            continue;
        }
        match get(&base, p) {
            Some(b) if value_of(&b) == value_of(l) => {}
            Some(b) => {
                decisions.push(Decision {
                    moved_to: None,
                    kind: DecisionKind::KeptRemoved,
                    setting: Some(format!("{selector} {{ {p} }}")),
                    message: crate::english!(
                        "upstream removed {setting}; kept your value {value} (it had {old})",
                        setting = format!("{selector} {{ {p} }}"),
                        value = format!("'{}'", value_of(l)),
                        old = format!("'{}'", value_of(&b))
                    ),
                });
                out.push(l.clone());
            }
            None => out.push(l.clone()),
        }
    }
    // Upstream's rule around the declarations: its selector text, its trailing `;` habit.
    let open_at = upstream_line.find('{')?;
    let close_at = upstream_line.rfind('}')?;
    let trailing = upstream_line[..close_at].trim_end().ends_with(';');
    let mut line = String::with_capacity(upstream_line.len() + 16);
    line.push_str(&upstream_line[..open_at + 1]);
    line.push_str(&out.join(";"));
    if trailing && !out.is_empty() {
        line.push(';');
    }
    line.push_str(&upstream_line[close_at..]);
    let _ = local_line;
    Some((line.into_bytes(), decisions))
}

/// `both changed CSS rule .chatconversation`, naming what differs between the two sides.
fn describe_block(kind: MinifiedKind, block: &ConflictBlock<'_>) -> String {
    let mut names: Vec<String> = Vec::new();
    for (side, other) in [(&block.local, &block.upstream), (&block.upstream, &block.local)] {
        for piece in side.iter().filter(|p| !other.contains(p)) {
            if let Some(name) = piece_name(kind, piece)
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
    }
    match (kind, names.as_slice()) {
        (_, []) => crate::english!("conflicting changes at split line {line}", line = block.line),
        (MinifiedKind::Css, [name]) => crate::english!("both changed CSS rule {name}", name),
        (MinifiedKind::Css, names) => {
            crate::english!("both changed CSS rules {names}", names = names.join(" | "))
        }
        (MinifiedKind::Js, [name]) => crate::english!("both changed statement {name}", name),
        (MinifiedKind::Js, names) => {
            crate::english!("both changed statements {names}", names = names.join(" | "))
        }
    }
}

/// A CSS piece's selector or at-rule prelude, the first characters of a JS statement.
fn piece_name(kind: MinifiedKind, piece: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(piece);
    let text = text.trim();
    let name = match kind {
        MinifiedKind::Css => text.split('{').next().unwrap_or("").trim(),
        MinifiedKind::Js => text,
    };
    if name.is_empty() || name == "}" {
        return None;
    }
    let shortened = match name.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_string(),
    };
    Some(shortened)
}

/// Sets one declaration in the rules of a stylesheet with this selector (a recipe's "set a CSS
/// declaration in a rule"), inside the grouping at-rules `context` (outermost first, `[]` for the
/// top level). Every such rule that declares the property gets the new value (the last one is the
/// one that counts, and a stale earlier one would confuse whoever reads the file); when none does,
/// the declaration is added to the last of them. Nothing but those declarations changes: the file
/// is split into rules, edited and joined back byte for byte.
pub(crate) fn set_declaration(
    content: &[u8],
    context: &[String],
    selector: &str,
    property: &str,
    value: &str,
) -> Result<Vec<u8>, EditError> {
    let split = split_into_lines(MinifiedKind::Css, content).map_err(|why| {
        EditError::Invalid(tr!(
            "cannot be read as CSS rules: {why}",
            why = crate::i18n::shown(&why)
        ))
    })?;
    let text = String::from_utf8(split).map_err(|_| EditError::Invalid(tr!("is not UTF-8")))?;
    let mut target: Vec<String> = context.iter().map(|c| squeeze(c)).collect();
    target.push(squeeze(selector));
    let target = target.join(" > ");
    let property = property.trim().to_ascii_lowercase();
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut state = Vec::new();
    let mut rules: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if let Some(keyed) = CssRules.read(&mut state, body)
            && keyed.setting
            && keyed.id == target
        {
            rules.push((i, keyed.value));
        }
    }
    let Some(last_rule) = rules.last().cloned() else {
        return Err(EditError::Missing(tr!("the CSS rule `{target}`", target)));
    };
    let mut declared = false;
    for (i, range) in &rules {
        let line = &lines[*i];
        let body = &line[range.clone()];
        let decls = declarations(body)
            .ok_or_else(|| EditError::Invalid(tr!("the rule `{target}` cannot be read", target)))?;
        let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for (name, decl) in decls {
            if name != property {
                continue;
            }
            declared = true;
            let Some((name_part, old_value)) = decl.split_once(':') else {
                continue;
            };
            let lead = &old_value[..old_value.len() - old_value.trim_start().len()];
            let start = range.start + (decl.as_ptr() as usize - body.as_ptr() as usize);
            edits.push((start..start + decl.len(), format!("{name_part}:{lead}{value}")));
        }
        let mut line = line.clone();
        for (range, text) in edits.into_iter().rev() {
            line.replace_range(range, &text);
        }
        lines[*i] = line;
    }
    if !declared {
        let (i, range) = last_rule;
        let line = &mut lines[i];
        let body = line[range.clone()].trim_end();
        let at = range.start + body.len();
        let separator = if body.trim().is_empty() || body.ends_with(';') {
            ""
        } else {
            ";"
        };
        line.insert_str(at, &format!("{separator}{property}:{value}"));
    }
    Ok(join_lines(lines.concat().as_bytes()))
}

/// The split form: one piece a line, an empty line for each newline of the original.
pub fn split_into_lines(kind: MinifiedKind, content: &[u8]) -> Result<Vec<u8>, String> {
    let cuts = match kind {
        MinifiedKind::Css => css_cuts(content)?,
        MinifiedKind::Js => js_cuts(content)?,
    };
    Ok(encode_pieces(content, &cuts))
}

/// Lays pieces out one a line. `cuts` are ascending byte offsets where a piece ends.
fn encode_pieces(content: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + cuts.len() + 16);
    let mut cuts = cuts.iter().copied().peekable();
    let mut start = 0;
    for (i, &b) in content.iter().enumerate() {
        if b == b'\n' {
            if start < i {
                out.extend_from_slice(&content[start..i]);
                out.push(b'\n');
            }
            out.push(b'\n');
            start = i + 1;
            continue;
        }
        let end = i + 1;
        while cuts.next_if(|&c| c < end).is_some() {}
        if cuts.next_if_eq(&end).is_some() {
            out.extend_from_slice(&content[start..end]);
            out.push(b'\n');
            start = end;
        }
    }
    if start < content.len() {
        out.extend_from_slice(&content[start..]);
        out.push(b'\n');
    }
    out
}

/// Undoes [`split_into_lines`]: lines are concatenated, an empty line stands for a newline.
pub fn join_lines(split: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(split.len());
    let body = split.strip_suffix(b"\n").unwrap_or(split);
    if split.is_empty() {
        return out;
    }
    for line in body.split(|&b| b == b'\n') {
        if line.is_empty() {
            out.push(b'\n');
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// At-rules whose block holds rules, so that each inner rule gets its own line.
const GROUPING_AT_RULES: [&[u8]; 8] = [
    b"@media",
    b"@supports",
    b"@layer",
    b"@container",
    b"@document",
    b"@-moz-document",
    b"@keyframes",
    b"@-webkit-keyframes",
];

fn css_cuts(content: &[u8]) -> Result<Vec<usize>, String> {
    let mut cuts = Vec::new();
    let mut depth = 0usize;
    let mut piece_start = 0usize;
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'/' if content.get(i + 1) == Some(&b'*') => {
                let end = find(content, i + 2, b"*/")
                    .ok_or_else(|| crate::english!("unterminated comment at byte {byte}", byte = i))?;
                i = end + 2;
                continue;
            }
            quote @ (b'"' | b'\'') => {
                i = skip_string(content, i, quote)?;
                continue;
            }
            b'{' => {
                let prelude = content[piece_start..i].trim_ascii();
                depth += 1;
                if GROUPING_AT_RULES
                    .iter()
                    .any(|rule| starts_with_ignore_case(prelude, rule))
                {
                    cuts.push(i + 1);
                    piece_start = i + 1;
                }
            }
            b'}' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    crate::english!("unbalanced {bracket} at byte {byte}", bracket = "'}'", byte = i)
                })?;
                cuts.push(i + 1);
                piece_start = i + 1;
            }
            b';' if depth == 0 => {
                cuts.push(i + 1);
                piece_start = i + 1;
            }
            b'\n' => piece_start = i + 1,
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err(crate::english!(
            "{count} unclosed {bracket}",
            count = depth,
            bracket = "'{'"
        ));
    }
    Ok(cuts)
}

/// The index just past a string starting at `start` (its quote). A newline ends a CSS string
/// only when escaped.
fn skip_string(content: &[u8], start: usize, quote: u8) -> Result<usize, String> {
    let mut i = start + 1;
    while i < content.len() {
        match content[i] {
            b'\\' => i += 2,
            b'\n' => {
                return Err(crate::english!(
                    "unterminated string at byte {byte}",
                    byte = start
                ));
            }
            b if b == quote => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(crate::english!(
        "unterminated string at byte {byte}",
        byte = start
    ))
}

fn find(content: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    content
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Keywords after which a `/` starts a regular expression rather than a division.
const REGEX_AFTER_WORDS: [&[u8]; 14] = [
    b"return",
    b"typeof",
    b"case",
    b"do",
    b"else",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"instanceof",
    b"yield",
    b"await",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Paren,
    Bracket,
    Brace,
    /// `${` inside a template literal: its `}` returns to the template.
    TemplateHole,
}

fn js_cuts(content: &[u8]) -> Result<Vec<usize>, String> {
    let mut cuts = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut parens = 0usize;
    let mut i = 0;
    // Whether a `/` here would start a regex: true at the start and after operators.
    let mut regex_allowed = true;
    while i < content.len() {
        let b = content[i];
        match b {
            b'/' if content.get(i + 1) == Some(&b'*') => {
                let end = find(content, i + 2, b"*/")
                    .ok_or_else(|| crate::english!("unterminated comment at byte {byte}", byte = i))?;
                i = end + 2;
                continue;
            }
            b'/' if content.get(i + 1) == Some(&b'/') => {
                i = find(content, i, b"\n").unwrap_or(content.len());
                continue;
            }
            b'/' if regex_allowed => {
                i = skip_regex(content, i)?;
                regex_allowed = false;
                continue;
            }
            b'"' | b'\'' => {
                i = skip_js_string(content, i, b)?;
                regex_allowed = false;
                continue;
            }
            b'`' => {
                i = skip_template(content, i + 1, &mut stack)?;
                regex_allowed = false;
                continue;
            }
            b'(' | b'[' => {
                parens += 1;
                stack.push(if b == b'(' { Open::Paren } else { Open::Bracket });
                regex_allowed = true;
            }
            b')' | b']' => {
                let want = if b == b')' { Open::Paren } else { Open::Bracket };
                if stack.pop() != Some(want) {
                    return Err(crate::english!(
                        "unbalanced {bracket} at byte {byte}",
                        bracket = format!("'{}'", b as char),
                        byte = i
                    ));
                }
                parens -= 1;
                regex_allowed = false;
            }
            b'{' => {
                stack.push(Open::Brace);
                regex_allowed = true;
            }
            b'}' => match stack.pop() {
                Some(Open::Brace) => regex_allowed = true,
                Some(Open::TemplateHole) => {
                    i = skip_template(content, i + 1, &mut stack)?;
                    regex_allowed = false;
                    continue;
                }
                _ => {
                    return Err(crate::english!(
                        "unbalanced {bracket} at byte {byte}",
                        bracket = "'}'",
                        byte = i
                    ));
                }
            },
            b';' => {
                if parens == 0 {
                    cuts.push(i + 1);
                }
                regex_allowed = true;
            }
            b if b.is_ascii_whitespace() => {}
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 => {
                let start = i;
                while i < content.len()
                    && (content[i].is_ascii_alphanumeric()
                        || content[i] == b'_'
                        || content[i] == b'$'
                        || content[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &content[start..i];
                regex_allowed = REGEX_AFTER_WORDS.contains(&word);
                continue;
            }
            // `)` and `]` end an operand; any other punctuation is an operator.
            _ => regex_allowed = true,
        }
        i += 1;
    }
    if !stack.is_empty() {
        return Err(crate::english!("{count} unclosed brackets", count = stack.len()));
    }
    Ok(cuts)
}

fn skip_js_string(content: &[u8], start: usize, quote: u8) -> Result<usize, String> {
    let mut i = start + 1;
    while i < content.len() {
        match content[i] {
            b'\\' => i += 2,
            b'\n' => break,
            b if b == quote => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(crate::english!(
        "unterminated string at byte {byte}",
        byte = start
    ))
}

/// From inside a template literal to just past its closing backtick, or just past a `${` (which is
/// then pushed on `stack`).
fn skip_template(content: &[u8], mut i: usize, stack: &mut Vec<Open>) -> Result<usize, String> {
    let start = i;
    while i < content.len() {
        match content[i] {
            b'\\' => i += 2,
            b'`' => return Ok(i + 1),
            b'$' if content.get(i + 1) == Some(&b'{') => {
                stack.push(Open::TemplateHole);
                return Ok(i + 2);
            }
            _ => i += 1,
        }
    }
    Err(crate::english!(
        "unterminated template literal near byte {byte}",
        byte = start
    ))
}

fn skip_regex(content: &[u8], start: usize) -> Result<usize, String> {
    let mut i = start + 1;
    let mut in_class = false;
    while i < content.len() {
        match content[i] {
            b'\\' => i += 2,
            b'\n' => break,
            b'[' => {
                in_class = true;
                i += 1;
            }
            b']' => {
                in_class = false;
                i += 1;
            }
            b'/' if !in_class => {
                i += 1;
                while i < content.len() && content[i].is_ascii_alphabetic() {
                    i += 1;
                }
                return Ok(i);
            }
            _ => i += 1,
        }
    }
    Err(crate::english!(
        "unterminated regular expression at byte {byte}",
        byte = start
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CSS: &str = "@charset \"UTF-8\";.a{color:red}@media (max-width:480px){.b{content:\"}\"}.c{x:1}}/* } */.d{y:url(\"a;b\")}\n";

    fn split_text(kind: MinifiedKind, content: &str) -> String {
        String::from_utf8(split_into_lines(kind, content.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn css_splits_into_rules_without_breaking_strings_or_comments() {
        assert_eq!(
            split_text(MinifiedKind::Css, CSS),
            "@charset \"UTF-8\";\n.a{color:red}\n@media (max-width:480px){\n.b{content:\"}\"}\n.c{x:1}\n}\n/* } */.d{y:url(\"a;b\")}\n\n"
        );
    }

    #[test]
    fn js_splits_into_statements_outside_strings_regexes_and_loops() {
        let js = "!function(){var a=\"x;y\";for(var i=0;i<2;i++)a+=i;var r=/;[/]/g;return a/2;}();var t=`a;${b;}c;`;";
        assert_eq!(
            split_text(MinifiedKind::Js, js),
            "!function(){var a=\"x;y\";\nfor(var i=0;i<2;i++)a+=i;\nvar r=/;[/]/g;\nreturn a/2;\n}();\nvar t=`a;${b;\n}c;`;\n"
        );
    }

    #[test]
    fn unbalanced_input_is_refused() {
        assert!(split_into_lines(MinifiedKind::Css, b".a{color:red").is_err());
        assert!(split_into_lines(MinifiedKind::Css, b".a{x:\"y}").is_err());
        assert!(split_into_lines(MinifiedKind::Js, b"var a=\"x;").is_err());
        assert!(split_into_lines(MinifiedKind::Js, b"f(a));").is_err());
    }

    #[test]
    fn kind_is_sniffed_from_content() {
        assert_eq!(MinifiedKind::sniff(CSS.as_bytes()), MinifiedKind::Css);
        assert_eq!(
            MinifiedKind::sniff(b"!function(e){return e}();"),
            MinifiedKind::Js
        );
    }

    #[test]
    fn rule_changes_on_both_sides_of_one_line_merge_cleanly() {
        let base = ".a{x:1}.b{y:2}.c{z:3}.d{w:4}\n";
        let local = ".a{x:9}.b{y:2}.c{z:3}.d{w:4}\n";
        let upstream = ".a{x:1}.b{y:2}.c{z:3}.d{w:8}.e{v:5}\n";
        let m = merge_minified(
            base.as_bytes(),
            local.as_bytes(),
            upstream.as_bytes(),
            &Labels::default(),
        );
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(
            String::from_utf8_lossy(&m.content),
            ".a{x:9}.b{y:2}.c{z:3}.d{w:8}.e{v:5}\n"
        );
    }

    #[test]
    fn the_same_rule_changed_twice_is_named_by_selector() {
        // A shorthand on one side and its longhand on the other: their order decides, a person too.
        let base = ".a{x:1}.b{margin:2px}.c{z:3}";
        let m = merge_minified(
            base.as_bytes(),
            b".a{x:1}.b{margin:5px}.c{z:3}",
            b".a{x:1}.b{margin:2px;margin-top:0}.c{z:3}",
            &Labels::default(),
        );
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].what, "both changed CSS rule .b");
        let favoured = String::from_utf8(m.favour_local().unwrap()).unwrap();
        assert_eq!(favoured, ".a{x:1}.b{margin:5px}.c{z:3}");
    }

    #[test]
    fn neighbouring_rules_and_declarations_merge_by_identity() {
        let base = ".a{color:red}.chatconversation{font-size:10pt;color:#000}@media (max-width:480px){.a{color:red}.b{x:1}}";
        let local = ".a{color:red}.chatconversation{font-size:13pt;color:#000}@media (max-width:480px){.a{color:red}.b{x:2}}";
        let upstream = ".a{color:blue}.chatconversation{font-size:11pt;color:#111;margin:0}@media (max-width:480px){.a{color:green}.b{x:1}}";
        let m = merge_minified(
            base.as_bytes(),
            local.as_bytes(),
            upstream.as_bytes(),
            &Labels::default(),
        );
        assert!(m.is_clean(), "{:?}", m.conflicts);
        assert_eq!(
            String::from_utf8(m.content).unwrap(),
            ".a{color:blue}.chatconversation{font-size:13pt;color:#111;margin:0}@media (max-width:480px){.a{color:green}.b{x:2}}"
        );
        assert_eq!(m.decisions.len(), 1);
        assert_eq!(m.decisions[0].kind, DecisionKind::KeptYours);
        assert_eq!(
            m.decisions[0].message,
            "kept your .chatconversation { font-size }; upstream changed its default from '10pt' to '11pt'"
        );
    }

    #[test]
    fn unsplittable_input_falls_back_to_text_with_a_note() {
        let m = merge_minified(b".a{x:1", b".a{x:2", b".a{x:1}", &Labels::default());
        assert!(
            m.notes.iter().any(|n| n.starts_with("fell back to text: base")),
            "{:?}",
            m.notes
        );
    }

    proptest! {
        #[test]
        fn split_then_join_is_the_identity(content in prop::collection::vec(any::<u8>(), 0..200)) {
            let cuts: Vec<usize> = (1..=content.len()).step_by(3).collect();
            prop_assert_eq!(join_lines(&encode_pieces(&content, &cuts)), content);
        }

        #[test]
        fn css_like_text_round_trips(content in "([.#a-z{}:;\"'/*@ \n]|@media ){0,120}") {
            for kind in [MinifiedKind::Css, MinifiedKind::Js] {
                if let Ok(split) = split_into_lines(kind, content.as_bytes()) {
                    prop_assert_eq!(join_lines(&split), content.as_bytes());
                }
            }
        }
    }
}
