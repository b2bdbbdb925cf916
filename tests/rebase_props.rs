//! Property: edits to disjoint, non-adjacent line ranges (at least one unchanged line between any
//! two) always merge cleanly with the text strategy, and the result holds both sides' edits —
//! exactly the base with every edit applied.

use jitsi_custom::merge::{self, Labels, Strategy as MergeStrategy};
use proptest::prelude::*;

/// One edit: replace `len` base lines starting at `start` with `with` new lines, on one side.
#[derive(Clone, Debug)]
struct Edit {
    start: usize,
    len: usize,
    with: usize,
    local: bool,
}

/// A base of unique lines and edits over it that never touch or neighbour each other.
fn case() -> impl Strategy<Value = (usize, Vec<Edit>)> {
    (4usize..60).prop_flat_map(|lines| {
        // (gap before the edit, lines replaced, lines written, side)
        let edit = (0usize..4, 1usize..4, 0usize..4, any::<bool>());
        (Just(lines), prop::collection::vec(edit, 1..8)).prop_map(|(lines, raw)| {
            let mut edits = Vec::new();
            let mut next = 0; // first line an edit may start at
            for (gap, len, with, local) in raw {
                // The first edit may start at line 0; later ones keep one unchanged line between.
                let start = next + gap;
                if start + len > lines {
                    break;
                }
                edits.push(Edit {
                    start,
                    len,
                    with,
                    local,
                });
                next = start + len + 1;
            }
            (lines, edits)
        })
    })
}

fn text(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Applies `edits` (sorted, disjoint) to `base`; `side` filters which ones.
fn apply(base: &[String], edits: &[Edit], side: impl Fn(&Edit) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    for (n, edit) in edits.iter().enumerate().filter(|(_, e)| side(e)) {
        out.extend_from_slice(&base[at..edit.start]);
        let who = if edit.local { "local" } else { "upstream" };
        out.extend((0..edit.with).map(|i| format!("{who} edit {n} line {i}")));
        at = edit.start + edit.len;
    }
    out.extend_from_slice(&base[at..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn disjoint_non_adjacent_edits_merge_cleanly_and_keep_both_sides((lines, edits) in case()) {
        prop_assume!(edits.iter().any(|e| e.local) && edits.iter().any(|e| !e.local));
        let base: Vec<String> = (0..lines).map(|i| format!("setting.{i} = value {i}")).collect();
        let local = apply(&base, &edits, |e| e.local);
        let upstream = apply(&base, &edits, |e| !e.local);
        let expected = apply(&base, &edits, |_| true);
        let merged = merge::merge(
            MergeStrategy::Text,
            &text(&base),
            &text(&local),
            &text(&upstream),
            &Labels::default(),
        );
        prop_assert!(merged.is_clean(), "conflicts: {:?}\n{}", merged.conflicts, String::from_utf8_lossy(&merged.content));
        prop_assert_eq!(
            String::from_utf8(merged.content).unwrap(),
            String::from_utf8(text(&expected)).unwrap()
        );
    }
}
