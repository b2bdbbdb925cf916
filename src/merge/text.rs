//! Line-based three-way merge through libgit2's `merge_file` (diff3-style markers). The one place
//! where base/local/upstream become ancestor/ours/theirs.

use std::sync::Once;

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

pub fn merge_text(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels, ws: Whitespace) -> Merged {
    if local == upstream || local == base {
        return Merged::clean(upstream.to_vec());
    }
    if upstream == base {
        return Merged::clean(local.to_vec());
    }
    init_libgit2();
    let mut ancestor = git2::MergeFileInput::new();
    ancestor.content(base);
    let mut ours = git2::MergeFileInput::new();
    ours.content(local);
    let mut theirs = git2::MergeFileInput::new();
    theirs.content(upstream);
    let mut opts = git2::MergeFileOptions::new();
    opts.ancestor_label(labels.base.as_str())
        .our_label(labels.local.as_str())
        .their_label(labels.upstream.as_str())
        .style_diff3(true);
    if ws == Whitespace::Ignore {
        opts.ignore_whitespace_change(true);
    }
    match git2::merge_file(&ancestor, &ours, &theirs, Some(&mut opts)) {
        Ok(result) => {
            let content = result.content().to_vec();
            if result.is_automergeable() {
                Merged::clean(content)
            } else {
                let conflicts = conflict_regions(&content);
                Merged {
                    content,
                    conflicts,
                    notes: Vec::new(),
                }
            }
        }
        // libgit2 refuses some inputs (binary-looking content); a person decides then.
        Err(err) => Merged {
            content: local.to_vec(),
            conflicts: vec![Conflict {
                what: format!("the line merge could not run: {}", err.message()),
                hint: Some("keep the customised file or take upstream's".into()),
            }],
            notes: Vec::new(),
        },
    }
}

/// One [`Conflict`] per marker block, naming the line it starts on.
fn conflict_regions(content: &[u8]) -> Vec<Conflict> {
    let mut conflicts = Vec::new();
    let mut out_line = 0usize;
    for line in content.split(|&b| b == b'\n') {
        out_line += 1;
        if line.starts_with(b"<<<<<<< ") {
            conflicts.push(Conflict {
                what: format!("conflicting changes at line {out_line}"),
                hint: None,
            });
        }
    }
    if conflicts.is_empty() {
        conflicts.push(Conflict {
            what: "conflicting changes".into(),
            hint: None,
        });
    }
    conflicts
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
}
