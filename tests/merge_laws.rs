//! The laws every merge strategy keeps, as properties over real-shaped files (the fixture bases)
//! with random edits:
//!
//! - `merge(b, l, b) == l` and `merge(b, b, u) == u`: a side that changed nothing changes nothing;
//! - a clean result merged again with the same base and upstream is a fixpoint: everything of
//!   upstream's is already in it, so nothing moves;
//! - a JSON result repeats no key upstream did not repeat;
//! - untouched upstream bytes are kept: with one value changed by the admin, the result is
//!   upstream's file with just that value replaced (js-config is left out of this one: an array or
//!   object value the admin changed is one setting and replaces upstream's whole value, comments
//!   inside it included).

use std::path::Path;

use jitsi_custom::merge::{self, Labels, Strategy, check_unique_keys};
use proptest::prelude::*;

fn fixture(case: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case)
        .join("base");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One realistic file per strategy, with where to find values to edit in it.
fn corpus() -> Vec<(Strategy, String)> {
    vec![
        (
            Strategy::Properties,
            fixture("properties-logging-level-both-changed"),
        ),
        (Strategy::Lua, fixture("lua-authentication-both-changed")),
        (Strategy::Nginx, fixture("nginx-ssl-protocols-both-changed")),
        (Strategy::Hocon, fixture("hocon-both-changed-max-participants")),
        (Strategy::Json, fixture("json-both-changed-same-key")),
        (Strategy::JsConfig, fixture("jsconfig-both-changed-same-value")),
        (Strategy::Minified, fixture("css-same-declaration-kept-yours")),
        (Strategy::Text, fixture("lua-authentication-both-changed")),
        (
            Strategy::Dotenv,
            fixture("dotenv-guide-edits-renamed-and-new-option"),
        ),
    ]
}

/// Byte ranges of the values an admin or upstream would edit: quoted strings and numbers (the
/// digits of CSS sizes too), none inside the first line's opening bytes.
fn value_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    // A one-line stylesheet: the admin edits sizes, the numbers after a `:`.
    let minified = !text.trim_end().contains('\n');
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // A quoted value: after `:` or `=` (a JSON key or a list entry is not a value).
            b'"' | b'\''
                if !minified && text[..i].trim_end().ends_with([':', '=']) && !on_comment_line(text, i) =>
            {
                let quote = bytes[i];
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != quote && bytes[j] != b'\n' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let j = j.min(bytes.len());
                if j < bytes.len() && bytes[j] == quote && j > start {
                    spans.push(start..j);
                }
                i = j + 1;
            }
            // `key=VALUE` (properties): to the end of the line.
            b'=' if !minified && bytes.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic()) => {
                let start = i + 1;
                let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
                spans.push(start..end);
                i = end;
            }
            b'0'..=b'9'
                if i > 0
                    && (bytes[i - 1] == b' ' || bytes[i - 1] == b':' || bytes[i - 1] == b'=')
                    && (!minified || (bytes[i - 1] == b':' && !in_at_rule_prelude(text, i))) =>
            {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                spans.push(start..i);
            }
            _ => i += 1,
        }
    }
    spans
}

/// Whether `at` is on a comment line (an option documented in a comment is not a value).
fn on_comment_line(text: &str, at: usize) -> bool {
    let start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let line = text[start..at].trim_start();
    ["//", "#", "--"].iter().any(|c| line.starts_with(c))
}

/// Whether `at` is inside an at-rule's prelude (`@media (max-width:720px)`), not a declaration.
fn in_at_rule_prelude(text: &str, at: usize) -> bool {
    let start = text[..at].rfind(['{', '}', ';']).map_or(0, |p| p + 1);
    text[start..at].trim_start().starts_with('@')
}

/// The replacement for value number `index` on one side: digits for a number, else a word.
fn replacement(text: &str, span: &std::ops::Range<usize>, index: usize, marker: &str) -> String {
    if text[span.clone()].bytes().all(|b| b.is_ascii_digit()) {
        format!("{}{index}", if marker == "L" { 7 } else { 9 })
    } else {
        format!("{marker}{index}")
    }
}

/// The text with the given value spans replaced.
fn replace(text: &str, mut edits: Vec<(std::ops::Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    edits.dedup_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (span, with) in edits {
        out.push_str(&text[at..span.start]);
        out.push_str(&with);
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The text with each chosen value replaced by `marker` and the value's number.
fn edit(text: &str, picks: &[usize], marker: &str) -> String {
    let spans = value_spans(text);
    let edits = picks
        .iter()
        .map(|p| {
            let index = p % spans.len();
            (
                spans[index].clone(),
                replacement(text, &spans[index], index, marker),
            )
        })
        .collect();
    replace(text, edits)
}

fn run(strategy: Strategy, base: &str, local: &str, upstream: &str) -> merge::Merged {
    merge::merge(
        strategy,
        base.as_bytes(),
        local.as_bytes(),
        upstream.as_bytes(),
        &Labels::default(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_side_that_changed_nothing_changes_nothing(
        which in 0usize..8,
        picks in prop::collection::vec(any::<usize>(), 1..6),
    ) {
        let (strategy, base) = corpus().swap_remove(which);
        let changed = edit(&base, &picks, "L");
        let m = run(strategy, &base, &changed, &base);
        prop_assert!(m.is_clean());
        prop_assert_eq!(String::from_utf8(m.content).unwrap(), changed.clone());
        let m = run(strategy, &base, &base, &changed);
        prop_assert!(m.is_clean());
        prop_assert_eq!(String::from_utf8(m.content).unwrap(), changed);
    }

    #[test]
    fn a_clean_result_merged_again_is_a_fixpoint(
        which in 0usize..8,
        local_picks in prop::collection::vec(any::<usize>(), 1..5),
        upstream_picks in prop::collection::vec(any::<usize>(), 1..5),
    ) {
        let (strategy, base) = corpus().swap_remove(which);
        let local = edit(&base, &local_picks, "L");
        let upstream = edit(&base, &upstream_picks, "U");
        let m = run(strategy, &base, &local, &upstream);
        prop_assume!(m.is_clean());
        let merged = String::from_utf8(m.content).unwrap();
        let again = run(strategy, &base, &merged, &upstream);
        prop_assert!(again.is_clean(), "{:?}", again.conflicts);
        prop_assert_eq!(String::from_utf8(again.content).unwrap(), merged);
    }

    #[test]
    fn structured_merges_of_values_keep_the_admins_values_and_upstreams_bytes(
        which in prop::sample::select(vec![0usize, 1, 2, 3, 4, 6]),
        local_pick in any::<usize>(),
        upstream_picks in prop::collection::vec(any::<usize>(), 1..5),
    ) {
        let (strategy, base) = corpus().swap_remove(which);
        let spans = value_spans(&base);
        let local_span = spans[local_pick % spans.len()].clone();
        // Upstream edits other values only: the admin's one change must land in upstream's bytes.
        // (and on other lines: two edits of one comment line are free text changed twice).
        let line_of = |at: usize| base[..at].matches('\n').count();
        let one_line = !base.trim_end().contains('\n');
        let upstream_picks: Vec<usize> = upstream_picks
            .into_iter()
            .filter(|p| {
                let span = &spans[p % spans.len()];
                *span != local_span && (one_line || line_of(span.start) != line_of(local_span.start))
            })
            .collect();
        prop_assume!(!upstream_picks.is_empty());
        let local = format!("{}Praxis{}", &base[..local_span.start], &base[local_span.end..]);
        let upstream = edit(&base, &upstream_picks, "U");
        let m = run(strategy, &base, &local, &upstream);
        prop_assert!(m.is_clean(), "{}: {:?}", strategy.name(), m.conflicts);
        prop_assert!(m.decisions.is_empty(), "{:?}", m.decisions);
        // The expected result: upstream's edits and the admin's one value, and nothing else.
        let mut edits: Vec<(std::ops::Range<usize>, String)> = upstream_picks
            .iter()
            .map(|p| {
                let index = p % spans.len();
                (spans[index].clone(), replacement(&base, &spans[index], index, "U"))
            })
            .collect();
        edits.push((local_span.clone(), "Praxis".to_string()));
        let expected = replace(&base, edits);
        let merged = String::from_utf8(m.content).unwrap();
        prop_assert_eq!(&merged, &expected);
        if strategy == Strategy::Json {
            prop_assert!(check_unique_keys(merged.as_bytes(), &Default::default()).is_ok(), "a repeated key: {}", merged);
        }
    }
}
