//! Unified diffs for people, rendered with `similar`.

use std::io::{self, Write};

use similar::{ChangeTag, TextDiff};

use super::{ADDED, HEADING, HUNK, REMOVED, paint};

/// Writes a unified diff between `old` and `new` labelled `a/<path>` and `b/<path>`, the form
/// `git apply` and `patch -p1` read. Binary content gets one line saying so.
pub fn write_unified(out: &mut dyn Write, path: &str, old: &[u8], new: &[u8], color: bool) -> io::Result<()> {
    let (Ok(old_text), Ok(new_text)) = (std::str::from_utf8(old), std::str::from_utf8(new)) else {
        return writeln!(out, "Binary files a/{path} and b/{path} differ");
    };
    let diff = TextDiff::from_lines(old_text, new_text);
    writeln!(out, "{}", paint(format_args!("--- a/{path}"), HEADING, color))?;
    writeln!(out, "{}", paint(format_args!("+++ b/{path}"), HEADING, color))?;
    for group in diff.grouped_ops(3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let hunk = format!(
            "@@ -{} +{} @@",
            hunk_range(old_range.start, old_range.len()),
            hunk_range(new_range.start, new_range.len())
        );
        writeln!(out, "{}", paint(hunk, HUNK, color))?;
        for op in &group {
            for change in diff.iter_changes(op) {
                let line = change.value();
                // The newline stays outside the colour, as git prints it.
                let (body, end) = match line.strip_suffix('\n') {
                    Some(body) => (body, "\n"),
                    None => (line, ""),
                };
                match change.tag() {
                    ChangeTag::Delete => {
                        write!(out, "{}{end}", paint(format_args!("-{body}"), REMOVED, color))?
                    }
                    ChangeTag::Insert => {
                        write!(out, "{}{end}", paint(format_args!("+{body}"), ADDED, color))?
                    }
                    ChangeTag::Equal => write!(out, " {line}")?,
                }
                if change.missing_newline() {
                    writeln!(out)?;
                    writeln!(out, "\\ No newline at end of file")?;
                }
            }
        }
    }
    Ok(())
}

/// Counts of inserted and deleted lines, for `diff --stat`.
pub fn line_counts(old: &[u8], new: &[u8]) -> Option<(usize, usize)> {
    let (old, new) = (std::str::from_utf8(old).ok()?, std::str::from_utf8(new).ok()?);
    let diff = TextDiff::from_lines(old, new);
    let mut counts = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => counts.0 += 1,
            ChangeTag::Delete => counts.1 += 1,
            ChangeTag::Equal => {}
        }
    }
    Some(counts)
}

/// `start,len` in unified-diff notation (1-based; an empty range names the line before it).
fn hunk_range(start: usize, len: usize) -> String {
    let first = if len == 0 { start } else { start + 1 };
    if len == 1 {
        first.to_string()
    } else {
        format!("{first},{len}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_is_patch_compatible() {
        let mut out = Vec::new();
        write_unified(&mut out, "etc/x", b"a\nb\nc\n", b"a\nB\nc\n", false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "--- a/etc/x\n+++ b/etc/x\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let mut out = Vec::new();
        write_unified(&mut out, "x", b"a\n", b"a\nb", false).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .ends_with("+b\n\\ No newline at end of file\n")
        );
    }
}
