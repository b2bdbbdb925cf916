//! Line-based three-way merge through libgit2's `merge_file` (diff3-style markers). The one place
//! where base/local/upstream become ancestor/ours/theirs.

use std::sync::Once;

use super::keyed::{self, Dialect};
use super::{Conflict, Labels, Merged};

/// Whether whitespace-only differences count as changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whitespace {
    Exact,
    /// For languages where indentation carries no meaning (Lua, nginx): a re-indented upstream
    /// does not conflict with a customised value.
    Ignore,
}

/// libgit2 answers "no error" from `merge_file` when it is the very first libgit2 call in a
/// process; any call that initialises the library first avoids that.
fn init_libgit2() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = git2::Config::new();
    });
}

/// Merges line by line. With [`Whitespace::Ignore`], lines the admin did not change take
/// upstream's indentation, and the admin's changed lines follow upstream's re-indent where it is
/// unambiguous.
pub fn merge_text(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels, ws: Whitespace) -> Merged {
    if let Some(merged) = super::one_side_unchanged(base, local, upstream) {
        return merged;
    }
    if ws == Whitespace::Ignore {
        // libgit2 copies the lines neither side changed from "ours", so with whitespace ignored a
        // re-indented upstream would lose its new indentation. Upstream goes in as "ours" here to
        // keep it. Conflict markers must list local first like every other merge, so a
        // conflicting result is merged again in the usual order below.
        let swapped_labels = Labels {
            base: labels.base.clone(),
            local: labels.upstream.clone(),
            upstream: labels.local.clone(),
            moved_settings: labels.moved_settings,
        };
        let swapped = run_merge_file(base, upstream, local, &swapped_labels, ws);
        if swapped.is_clean() {
            return Merged::clean(follow_upstream_reindent(base, upstream, &swapped.content));
        }
    }
    run_merge_file(base, local, upstream, labels, ws)
}

/// Merges a line-per-setting file ([`super::settings`]): whitespace-insensitive like
/// [`merge_text`], then each conflict block settled setting by setting where nobody has to choose
/// ([`super::keyed`]); what was settled that way is in [`Merged::decisions`].
pub(crate) fn merge_text_with<D: Dialect>(
    dialect: &D,
    base: &[u8],
    local: &[u8],
    upstream: &[u8],
    labels: &Labels,
) -> Merged {
    if let Some(merged) = super::one_side_unchanged(base, local, upstream) {
        return merged;
    }
    let ws = Whitespace::Ignore;
    // Upstream goes in as "ours" so that the lines nobody changed keep upstream's indentation.
    let swapped_labels = Labels {
        base: labels.base.clone(),
        local: labels.upstream.clone(),
        upstream: labels.local.clone(),
        moved_settings: labels.moved_settings,
    };
    let swapped = run_merge_file(base, upstream, local, &swapped_labels, ws);
    if swapped.is_clean() {
        return Merged::clean(follow_upstream_reindent(base, upstream, &swapped.content));
    }
    if swapped.regions.is_none() {
        // libgit2 refused the input; the customised file stands, a person decides.
        return swapped;
    }
    let settled = keyed::settle(dialect, &swapped.content, ws, true, labels);
    if settled.unsettled == 0 {
        return Merged {
            content: follow_upstream_reindent(base, upstream, &settled.content),
            decisions: settled.decisions,
            ..Merged::default()
        };
    }
    let mut merged = conflicted(settled.content);
    merged.decisions = settled.decisions;
    merged
}

/// A result with conflict markers: the conflicts named and laid out region by region.
pub(crate) fn conflicted(content: Vec<u8>) -> Merged {
    let conflicts = describe_conflicts(&content);
    let regions = super::regions_from_markers(&content, |_, _| String::new()).map(|mut regions| {
        for (choice, conflict) in regions.choices.iter_mut().zip(&conflicts) {
            choice.what = conflict.what.clone();
        }
        regions
    });
    Merged {
        content,
        conflicts,
        regions,
        ..Merged::default()
    }
}

/// One call of libgit2's `merge_file` with `ours` = local and `theirs` = upstream.
fn run_merge_file(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels, ws: Whitespace) -> Merged {
    match libgit2_merge_file(base, local, upstream, labels, ws) {
        Ok((true, content)) => Merged::clean(content),
        Ok((false, content)) => {
            let content = resolve_subsumed_blocks(&content, ws);
            if conflict_blocks(&content).is_empty() {
                return Merged::clean(content);
            }
            conflicted(content)
        }
        // libgit2 refuses some inputs (binary-looking content); a person decides then.
        Err(message) => Merged {
            content: local.to_vec(),
            conflicts: vec![Conflict {
                what: crate::english!("the line merge could not run: {message}", message),
                hint: Some(crate::english!("keep the customised file or take upstream's")),
            }],
            ..Merged::default()
        },
    }
}

/// A first line put in front of all three inputs when one of them is empty, and taken off the
/// result. libgit2 writes an empty input's conflict marker without its label (a bare `<<<<<<<`,
/// which no marker reader here takes for one, so a conflict passed as a clean merge), and hands
/// back a clean empty result without any buffer, which git2 0.21 reads through a null pointer
/// (undefined behaviour, an abort in a debug build; rust-lang/git2-rs#1281). A line that all
/// three inputs start with lies outside every change, so the merge is otherwise the same.
const EMPTY_INPUT_GUARD: &[u8] = b"\x01jitsi-custom: one of the inputs is empty\x01\n";

/// libgit2's `merge_file`: whether it merged cleanly, and the result.
///
/// libgit2 writes a conflict's opening marker straight after the line before the conflict. When
/// whitespace is ignored, a last line without a newline matches the base line with one, so a
/// conflict can follow such a line, and the marker then ends up inside it
/// (`# Jicofo configuration<<<<<<< upstream`), where no marker reader finds it: the conflict
/// passed as a clean merge with markers in it. A newline at the end changes nothing in such a
/// merge (it is whitespace), so a conflicting one is made again with every input ending in one.
fn libgit2_merge_file(
    base: &[u8],
    local: &[u8],
    upstream: &[u8],
    labels: &Labels,
    ws: Whitespace,
) -> Result<(bool, Vec<u8>), String> {
    let (clean, content) = libgit2_merge_file_once(base, local, upstream, labels, ws)?;
    let unterminated = |c: &[u8]| !c.is_empty() && !c.ends_with(b"\n");
    if clean || ws == Whitespace::Exact || ![base, local, upstream].into_iter().any(unterminated) {
        return Ok((clean, content));
    }
    let terminated = |c: &[u8]| -> Vec<u8> {
        if unterminated(c) {
            [c, b"\n"].concat()
        } else {
            c.to_vec()
        }
    };
    libgit2_merge_file_once(
        &terminated(base),
        &terminated(local),
        &terminated(upstream),
        labels,
        ws,
    )
}

/// One call of libgit2's `merge_file`.
fn libgit2_merge_file_once(
    base: &[u8],
    local: &[u8],
    upstream: &[u8],
    labels: &Labels,
    ws: Whitespace,
) -> Result<(bool, Vec<u8>), String> {
    let guard = [base, local, upstream].iter().any(|c| c.is_empty());
    let guarded = |content: &[u8]| -> Vec<u8> {
        if guard {
            [EMPTY_INPUT_GUARD, content].concat()
        } else {
            content.to_vec()
        }
    };
    let (base, local, upstream) = (guarded(base), guarded(local), guarded(upstream));
    init_libgit2();
    let mut ancestor = git2::MergeFileInput::new();
    ancestor.content(&base);
    let mut ours = git2::MergeFileInput::new();
    ours.content(&local);
    let mut theirs = git2::MergeFileInput::new();
    theirs.content(&upstream);
    let mut opts = git2::MergeFileOptions::new();
    opts.ancestor_label(labels.base.as_str())
        .our_label(labels.local.as_str())
        .their_label(labels.upstream.as_str())
        .style_diff3(true);
    if ws == Whitespace::Ignore {
        opts.ignore_whitespace_change(true);
    }
    let result =
        git2::merge_file(&ancestor, &ours, &theirs, Some(&mut opts)).map_err(|e| e.message().to_string())?;
    let content = result.content();
    let content = if guard {
        content
            .strip_prefix(EMPTY_INPUT_GUARD)
            .ok_or_else(|| crate::english!("libgit2 did not keep the first line all inputs share"))?
    } else {
        content
    };
    Ok((result.is_automergeable(), content.to_vec()))
}

fn split_lead(line: &[u8]) -> (&[u8], &[u8]) {
    let n = line.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    line.split_at(n)
}

/// Gives the merged lines that upstream does not have (the admin's) the indentation upstream now
/// uses for the same base indentation, when upstream re-indented consistently (every base line with
/// that indentation that upstream kept got the same new one). Only for whitespace-insensitive files.
fn follow_upstream_reindent(base: &[u8], upstream: &[u8], merged: &[u8]) -> Vec<u8> {
    use std::collections::{HashMap, HashSet};

    let base_lines: Vec<&[u8]> = base.split(|&b| b == b'\n').collect();
    let upstream_lines: Vec<&[u8]> = upstream.split(|&b| b == b'\n').collect();
    let trimmed =
        |lines: &[&'_ [u8]]| -> Vec<Vec<u8>> { lines.iter().map(|l| split_lead(l).1.to_vec()).collect() };
    let ops = similar::capture_diff_slices(
        similar::Algorithm::Myers,
        &trimmed(&base_lines),
        &trimmed(&upstream_lines),
    );
    // base indentation -> upstream indentation; None once two kept lines disagree.
    let mut reindent: HashMap<&[u8], Option<&[u8]>> = HashMap::new();
    for op in ops {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for i in 0..len {
                let (from, rest) = split_lead(base_lines[old_index + i]);
                if rest.is_empty() {
                    continue;
                }
                let to = split_lead(upstream_lines[new_index + i]).0;
                let entry = reindent.entry(from).or_insert(Some(to));
                if *entry != Some(to) {
                    *entry = None;
                }
            }
        }
    }
    if reindent
        .iter()
        .all(|(from, to)| *to == Some(*from) || to.is_none())
    {
        return merged.to_vec();
    }
    let upstream_set: HashSet<&[u8]> = upstream_lines.iter().copied().collect();
    let mut out = Vec::with_capacity(merged.len());
    for (i, line) in merged.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let (lead, rest) = split_lead(line);
        match reindent.get(lead) {
            Some(Some(to)) if !upstream_set.contains(line) && !rest.is_empty() => {
                out.extend_from_slice(to);
                out.extend_from_slice(rest);
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

/// One conflict marker block of a diff3-style merge result, split into its three sides.
#[derive(Debug, Default)]
pub(crate) struct ConflictBlock<'a> {
    /// 1-based line of the `<<<<<<<` marker in the merged content.
    pub line: usize,
    /// 1-based line of the `>>>>>>>` marker.
    pub end_line: usize,
    pub local: Vec<&'a [u8]>,
    pub base: Vec<&'a [u8]>,
    pub upstream: Vec<&'a [u8]>,
}

/// The conflict marker blocks of a merge result, each side's lines without their `\n`.
pub(crate) fn conflict_blocks(content: &[u8]) -> Vec<ConflictBlock<'_>> {
    fn bare(lines: Vec<&[u8]>) -> Vec<&[u8]> {
        lines
            .into_iter()
            .map(|l| l.strip_suffix(b"\n").unwrap_or(l))
            .collect()
    }
    super::markers::blocks(content)
        .into_iter()
        .map(|(start, block, next)| ConflictBlock {
            line: start + 1,
            end_line: next,
            local: bare(block.ours),
            base: bare(block.base),
            upstream: bare(block.theirs),
        })
        .collect()
}

/// Settles the conflict blocks where one side's change is part of the other's: each line of the
/// smaller change is either the base line or the other side's line at the same place (both sides
/// made the same edit to a setting, and upstream also edited the comment above it). The bigger
/// change then holds both, so it is taken. libgit2 reports these as conflicts because the changed
/// regions overlap; blocks whose sides differ in length are left alone.
fn resolve_subsumed_blocks(content: &[u8], ws: Whitespace) -> Vec<u8> {
    let blocks = conflict_blocks(content);
    let lines: Vec<&[u8]> = content.split(|&b| b == b'\n').collect();
    let same = |a: &[u8], b: &[u8]| match ws {
        Whitespace::Exact => a == b,
        Whitespace::Ignore => a
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .eq(b.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty())),
    };
    let contained = |small: &[&[u8]], base: &[&[u8]], big: &[&[u8]]| {
        small.len() == base.len()
            && big.len() == base.len()
            && (0..base.len()).all(|i| same(small[i], base[i]) || same(small[i], big[i]))
    };
    let mut out: Vec<&[u8]> = Vec::with_capacity(lines.len());
    let mut next = 0;
    for block in &blocks {
        let taken = if contained(&block.local, &block.base, &block.upstream) {
            &block.upstream
        } else if contained(&block.upstream, &block.base, &block.local) {
            &block.local
        } else {
            continue;
        };
        out.extend_from_slice(&lines[next..block.line - 1]);
        out.extend_from_slice(taken);
        next = block.end_line;
    }
    out.extend_from_slice(&lines[next..]);
    out.join(&b'\n')
}

/// One [`Conflict`] per marker block, naming the settings both sides changed there when the lines
/// read as settings, else the line the block starts on.
fn describe_conflicts(content: &[u8]) -> Vec<Conflict> {
    let conflicts: Vec<Conflict> = conflict_blocks(content)
        .iter()
        .map(|block| Conflict {
            what: describe_conflict_block(block),
            hint: None,
        })
        .collect();
    if conflicts.is_empty() {
        return vec![Conflict {
            what: crate::english!("conflicting changes"),
            hint: None,
        }];
    }
    conflicts
}

/// `both changed setting authentication (line 12)`, or `conflicting changes at line 12` when the
/// block's lines name no setting.
pub(crate) fn describe_conflict_block(block: &ConflictBlock<'_>) -> String {
    let names = conflicting_setting_names(&block.local, &block.upstream);
    match names.as_slice() {
        [] => crate::english!("conflicting changes at line {line}", line = block.line),
        [one] => crate::english!(
            "both changed setting {setting} (line {line})",
            setting = one,
            line = block.line
        ),
        many => crate::english!(
            "both changed settings {settings} (line {line})",
            settings = many.join(", "),
            line = block.line
        ),
    }
}

/// The settings named by the lines that differ between the two sides of a conflict: those named on
/// both sides when there are any (the same setting changed twice), else all of them.
pub fn conflicting_setting_names(local: &[&[u8]], upstream: &[&[u8]]) -> Vec<String> {
    let trim = |l: &&[u8]| String::from_utf8_lossy(l).trim().to_string();
    let local: Vec<String> = local.iter().map(trim).collect();
    let upstream: Vec<String> = upstream.iter().map(trim).collect();
    let names_of = |lines: &[String], other: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| !other.contains(l))
            .filter_map(|l| setting_name(l))
            .collect()
    };
    let from_local = names_of(&local, &upstream);
    let from_upstream = names_of(&upstream, &local);
    let mut names: Vec<String> = from_local
        .iter()
        .filter(|n| from_upstream.contains(n))
        .cloned()
        .collect();
    if names.is_empty() {
        names = from_local.into_iter().chain(from_upstream).collect();
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// The setting a configuration line sets: `authentication = "x"` (Lua), `local x = 1` (Lua),
/// `.level=WARNING` / `a.b: c` (properties), `ssl_protocols TLSv1.2;` (nginx). None for comments,
/// block openers and anything else.
pub fn setting_name(line: &str) -> Option<String> {
    let line = line.trim();
    if line.is_empty() || ["--", "#", "//", "!", ";"].iter().any(|c| line.starts_with(c)) {
        return None;
    }
    let line = line.strip_prefix("local ").unwrap_or(line);
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    let is_key = |k: &str| {
        !k.is_empty()
            && k.chars().all(is_key_char)
            && k.chars().any(|c| c.is_ascii_alphabetic())
            && !k.starts_with('-')
    };
    if let Some(eq) = line.find('=') {
        let key = line[..eq].trim_end();
        let after = &line[eq + 1..];
        let comparison = key.ends_with(['=', '~', '<', '>', '!']) || after.starts_with('=');
        if !comparison && is_key(key) {
            return Some(key.to_string());
        }
    }
    if let Some(colon) = line.find(':') {
        let key = &line[..colon];
        if is_key(key) && key.contains('.') {
            return Some(key.to_string());
        }
    }
    if line.ends_with(';') {
        let directive = line.split_whitespace().next()?;
        let directive = directive.trim_end_matches(';');
        if !directive.is_empty()
            && directive.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && directive.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return Some(directive.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::has_conflict_markers;

    fn labels() -> Labels {
        Labels::default()
    }

    #[test]
    fn disjoint_edits_merge_cleanly() {
        let base = b"a\nb\nc\nd\ne\nf\n";
        let local = b"A\nb\nc\nd\ne\nf\n";
        let upstream = b"a\nb\nc\nd\ne\nF\n";
        let m = merge_text(base, local, upstream, &labels(), Whitespace::Exact);
        assert!(m.is_clean());
        assert_eq!(m.content, b"A\nb\nc\nd\ne\nF\n");
    }

    #[test]
    fn same_line_edits_conflict_with_diff3_markers() {
        let m = merge_text(b"x = 1\n", b"x = 2\n", b"x = 3\n", &labels(), Whitespace::Exact);
        assert!(!m.is_clean());
        assert!(has_conflict_markers(&m.content));
        let text = String::from_utf8(m.content).unwrap();
        assert!(text.contains("<<<<<<< local"), "{text}");
        assert!(text.contains("||||||| base"), "{text}");
        assert!(text.contains(">>>>>>> upstream"), "{text}");
        assert_eq!(m.conflicts.len(), 1);
    }

    #[test]
    fn reindented_upstream_does_not_conflict_when_whitespace_is_ignored() {
        let base = b"VirtualHost \"x\"\n    authentication = \"anonymous\"\n    c2s = true\n";
        let local = b"VirtualHost \"x\"\n    authentication = \"internal_hashed\"\n    c2s = true\n";
        let upstream = b"VirtualHost \"x\"\n\tauthentication = \"anonymous\"\n\tc2s = true\n";
        let exact = merge_text(base, local, upstream, &labels(), Whitespace::Exact);
        assert!(!exact.is_clean());
        let m = merge_text(base, local, upstream, &labels(), Whitespace::Ignore);
        assert!(m.is_clean(), "{}", String::from_utf8_lossy(&m.content));
        assert!(String::from_utf8_lossy(&m.content).contains("internal_hashed"));
    }

    #[test]
    fn reindented_upstream_gives_its_indentation_to_every_line() {
        let base = b"VirtualHost \"x\"\n    authentication = \"anonymous\"\n    c2s = true\n    d = 1\n";
        let local =
            b"VirtualHost \"x\"\n    authentication = \"internal_hashed\"\n    c2s = true\n    d = 1\n";
        let upstream = b"VirtualHost \"x\"\n\tauthentication = \"anonymous\"\n\tc2s = true\n\td = 2\n";
        let m = merge_text(base, local, upstream, &labels(), Whitespace::Ignore);
        assert!(m.is_clean());
        assert_eq!(
            String::from_utf8_lossy(&m.content),
            "VirtualHost \"x\"\n\tauthentication = \"internal_hashed\"\n\tc2s = true\n\td = 2\n"
        );
    }

    #[test]
    fn inconsistent_reindent_leaves_the_admins_lines_alone() {
        let base = b"a {\n  x = 1\n  y = 2\n  z = 3\n}\n";
        let local = b"a {\n  x = 9\n  y = 2\n  z = 3\n}\n";
        let upstream = b"a {\n\tx = 1\n    y = 2\n  z = 4\n}\n";
        let m = merge_text(base, local, upstream, &labels(), Whitespace::Ignore);
        assert!(m.is_clean());
        assert_eq!(
            String::from_utf8_lossy(&m.content),
            "a {\n  x = 9\n    y = 2\n  z = 4\n}\n"
        );
    }

    #[test]
    fn conflicts_in_ignore_space_merges_list_local_first() {
        let base = b"a = 1\n";
        let m = merge_text(base, b"a = 2\n", b"a = 3\n", &labels(), Whitespace::Ignore);
        let text = String::from_utf8_lossy(&m.content);
        assert!(text.starts_with("<<<<<<< local\na = 2\n"), "{text}");
        assert_eq!(m.conflicts[0].what, "both changed setting a (line 1)");
    }

    #[test]
    fn settings_are_named_in_lua_nginx_and_properties() {
        assert_eq!(
            setting_name("    authentication = \"internal_hashed\""),
            Some("authentication".into())
        );
        assert_eq!(
            setting_name("ssl_protocols TLSv1.2 TLSv1.3;"),
            Some("ssl_protocols".into())
        );
        assert_eq!(setting_name(".level=WARNING"), Some(".level".into()));
        assert_eq!(
            setting_name("org.jitsi.jicofo.auth.URL=XMPP:tele.praxis.de"),
            Some("org.jitsi.jicofo.auth.URL".into())
        );
        assert_eq!(setting_name("local x = 1"), Some("x".into()));
        assert_eq!(setting_name("-- authentication = \"x\""), None);
        assert_eq!(setting_name("# ssl_protocols TLSv1;"), None);
        assert_eq!(setting_name("\"bosh\";"), None);
        assert_eq!(setting_name("if a == b then"), None);
        assert_eq!(setting_name("VirtualHost \"x\""), None);
        assert_eq!(setting_name("location / {"), None);
    }

    #[test]
    fn the_setting_changed_on_both_sides_is_named_not_its_neighbours() {
        let local: Vec<&[u8]> = vec![b"  a = 1", b"  authentication = \"internal_hashed\""];
        let upstream: Vec<&[u8]> = vec![b"  a = 1", b"  authentication = \"jitsi-anonymous\"", b"  b = 2"];
        assert_eq!(
            conflicting_setting_names(&local, &upstream),
            vec!["authentication"]
        );
    }

    #[test]
    fn a_change_contained_in_the_other_sides_change_is_no_conflict() {
        let base = b"# guideline v5.4\nssl_protocols TLSv1 TLSv1.2;\nx;\n";
        let local = b"# guideline v5.4\nssl_protocols TLSv1.2 TLSv1.3;\nx;\n";
        let upstream = b"# guideline v5.7\nssl_protocols TLSv1.2 TLSv1.3;\nx;\n";
        for ws in [Whitespace::Exact, Whitespace::Ignore] {
            let m = merge_text(base, local, upstream, &labels(), ws);
            assert!(m.is_clean(), "{}", String::from_utf8_lossy(&m.content));
            assert_eq!(m.content, upstream);
            let m = merge_text(base, upstream, local, &labels(), ws);
            assert!(m.is_clean());
            assert_eq!(m.content, upstream);
        }
    }

    #[test]
    fn only_contained_blocks_are_settled() {
        let base = b"a\nb\nc\nd\ne\nf\ng\n";
        let local = b"A\nB\nc\nd\ne\nF\ng\n";
        let upstream = b"A\nb\nc\nd\ne\nf2\ng\n";
        let m = merge_text(base, local, upstream, &labels(), Whitespace::Exact);
        assert_eq!(m.conflicts.len(), 1);
        let text = String::from_utf8_lossy(&m.content);
        assert!(text.starts_with("A\nB\nc\nd\ne\n<<<<<<< local\nF\n"), "{text}");
    }

    /// Regression (fuzz target `merge_properties`, input `35 bb 0a ff 35 bb`): a clean merge that
    /// takes an emptied side whole comes back from libgit2 without a buffer, and git2 0.21 made a
    /// slice of the null pointer (undefined behaviour; a debug build aborts).
    #[test]
    fn an_emptied_side_against_a_whitespace_change_merges_to_nothing() {
        let (base, local, upstream) = (&b"a = 1\n"[..], &b"a = 1"[..], &b""[..]);
        for (local, upstream) in [(local, upstream), (upstream, local)] {
            let m = merge_text(base, local, upstream, &labels(), Whitespace::Ignore);
            assert!(m.is_clean());
            assert_eq!(m.content, b"");
        }
        let m = crate::merge::merge(
            crate::merge::Strategy::Properties,
            b"5\xbb\n",
            b"5\xbb",
            b"",
            &labels(),
        );
        assert!(m.is_clean());
        assert_eq!(m.content, b"");
    }

    /// Regression (fuzz targets `merge_properties`, `merge_lua`, `merge_nginx`, `merge_hocon`,
    /// `merge_text_ignore_space`): with whitespace ignored, a last line without a newline matches
    /// the base line with one, and libgit2 wrote the opening marker of the conflict after it
    /// straight onto that line (`# Jicofo configuration<<<<<<< upstream`); no reader took it for
    /// a marker, so the conflict passed as a clean merge with markers in it.
    #[test]
    fn a_conflict_after_a_last_line_without_newline_starts_on_its_own_line() {
        let base = b"# Jicofo configuration\norg.jitsie\n";
        let local = b"# Jicofo configuration\no.jii.jic";
        let upstream = b"# Jicofo configuration";
        for (local, upstream) in [(&local[..], &upstream[..]), (upstream, local)] {
            let m = merge_text(base, local, upstream, &labels(), Whitespace::Ignore);
            assert!(!m.is_clean(), "{}", String::from_utf8_lossy(&m.content));
            assert!(
                m.content.starts_with(b"# Jicofo configuration\n<<<<<<< local\n"),
                "{}",
                String::from_utf8_lossy(&m.content)
            );
            assert!(m.regions.is_some());
        }
        let m = crate::merge::merge(
            crate::merge::Strategy::Properties,
            base,
            local,
            upstream,
            &labels(),
        );
        // The properties merge settles that conflict: upstream removed a setting the admin changed.
        assert!(m.is_clean());
        assert!(!has_conflict_markers(&m.content));
        assert_eq!(m.content, b"# Jicofo configuration\no.jii.jic\n");
    }

    /// Regression (fuzz targets `merge_lua`, `merge_properties`; minimised input
    /// `ff 20 3d 20 ff 20 3d 20 3c 3c 3c 3c 3c 3c 3c 20 75 70 73 74 72 65 61 6d`): the first fix
    /// for the marker written onto a last line split every line that began like a last line
    /// without newline and went on like an opening marker, so an input line holding marker text
    /// (` = <<<<<<< upstream`) became a marker, and the merge came out clean with markers in it.
    #[test]
    fn marker_text_inside_an_input_line_stays_in_that_line() {
        use crate::merge::{Strategy, merge};
        let m = merge(Strategy::Lua, b"", b" = ", b" = <<<<<<< upstream", &labels());
        assert!(m.is_clean());
        assert_eq!(m.content, b" = \n = <<<<<<< upstream\n");
        let m = merge(
            Strategy::Properties,
            b"",
            b"\\\\rs= ..<<<<<<< upstream",
            b"\\\\rs= ..",
            &labels(),
        );
        assert!(m.is_clean());
        assert_eq!(m.content, b"\\\\rs= ..<<<<<<< upstream\n");
    }

    /// Regression (found beside the `merge_properties` crasher): libgit2 writes the marker of an
    /// empty input without its label (`<<<<<<<`, `|||||||`), which the marker readers do not take
    /// for one, so an emptied file against a changed one passed as a clean merge with markers.
    #[test]
    fn an_empty_input_conflicts_with_labelled_markers() {
        for ws in [Whitespace::Exact, Whitespace::Ignore] {
            let m = merge_text(b"a = 1\n", b"", b"a = 2\n", &labels(), ws);
            assert!(!m.is_clean(), "{ws:?}");
            assert_eq!(
                String::from_utf8_lossy(&m.content),
                "<<<<<<< local\n||||||| base\na = 1\n=======\na = 2\n>>>>>>> upstream\n"
            );
            assert_eq!(m.favour_local().as_deref(), Some(&b""[..]));
            let m = merge_text(b"", b"x = 1\n", b"y = 2\n", &labels(), ws);
            assert!(!m.is_clean(), "{ws:?}");
            assert_eq!(
                String::from_utf8_lossy(&m.content),
                "<<<<<<< local\nx = 1\n||||||| base\n=======\ny = 2\n>>>>>>> upstream\n"
            );
        }
    }
}
