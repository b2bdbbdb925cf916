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

use super::text::{ConflictBlock, Whitespace, conflict_blocks, merge_text};
use super::{Conflict, Labels, Merged};

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

    fn noun(self) -> &'static str {
        match self {
            MinifiedKind::Css => "CSS rules",
            MinifiedKind::Js => "JavaScript statements",
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
    if local == upstream || local == base {
        return Merged::clean(upstream.to_vec());
    }
    if upstream == base {
        return Merged::clean(local.to_vec());
    }
    let split = |content: &[u8], label: &str| {
        split_into_lines(kind, content).map_err(|why| {
            format!(
                "fell back to text: {label} could not be split into {}: {why}",
                kind.noun()
            )
        })
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
    let merged = merge_text(
        &base_split,
        &local_split,
        &upstream_split,
        labels,
        Whitespace::Exact,
    );
    if merged.is_clean() {
        return Merged {
            content: join_lines(&merged.content),
            notes: merged.notes,
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
    notes.push(format!(
        "the conflicting content is shown with one of the {} a line",
        kind.noun()
    ));
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
        ..Merged::default()
    }
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
    let (one, many) = match kind {
        MinifiedKind::Css => ("CSS rule", "CSS rules"),
        MinifiedKind::Js => ("statement", "statements"),
    };
    match names.as_slice() {
        [] => format!("conflicting changes at split line {}", block.line),
        [name] => format!("both changed {one} {name}"),
        names => format!("both changed {many} {}", names.join(" | ")),
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
                let end =
                    find(content, i + 2, b"*/").ok_or_else(|| format!("unterminated comment at byte {i}"))?;
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
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("unbalanced '}}' at byte {i}"))?;
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
        return Err(format!("{depth} unclosed '{{'"));
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
            b'\n' => return Err(format!("unterminated string at byte {start}")),
            b if b == quote => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(format!("unterminated string at byte {start}"))
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
                let end =
                    find(content, i + 2, b"*/").ok_or_else(|| format!("unterminated comment at byte {i}"))?;
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
                    return Err(format!("unbalanced '{}' at byte {i}", b as char));
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
                _ => return Err(format!("unbalanced '}}' at byte {i}")),
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
        return Err(format!("{} unclosed brackets", stack.len()));
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
    Err(format!("unterminated string at byte {start}"))
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
    Err(format!("unterminated template literal near byte {start}"))
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
    Err(format!("unterminated regular expression at byte {start}"))
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
        let base = ".a{x:1}.b{y:2}.c{z:3}";
        let m = merge_minified(
            base.as_bytes(),
            b".a{x:1}.b{y:5}.c{z:3}",
            b".a{x:1}.b{y:6}.c{z:3}",
            &Labels::default(),
        );
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].what, "both changed CSS rule .b");
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
