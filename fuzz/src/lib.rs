//! What the fuzz targets share: how one input of arbitrary bytes becomes the three sides of a
//! merge, and the checks run on every merge and every syntax check. Each target in `fuzz_targets/`
//! is one line that names its strategy or file kind.
//!
//! The only properties asserted are those the library promises by construction: a side that
//! changed nothing changes nothing (every strategy returns the other side unmerged), a clean line
//! merge of inputs without anything marker-like holds no conflict marker (a clean result goes
//! live; markers belong to conflicts), and a syntax check fails with one line. Anything else a
//! target finds is a panic, an abort, a hang, or a stack overflow.

use jitsi_custom::merge::{self, Labels, Strategy};
use jitsi_custom::validate::{self, FileKind};

/// Separates base, local and upstream in a merge target's input. A byte that never occurs in
/// UTF-8 text, so a seed made of real files splits where it was joined; a side may still hold
/// any other byte, NUL included.
pub const SEPARATOR: u8 = 0xff;

/// Splits an input into base, local and upstream at the first two [`SEPARATOR`]s; missing sides
/// are empty. Upstream takes the rest, separators included.
pub fn split3(data: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let mut parts = data.splitn(3, |&b| b == SEPARATOR);
    let base = parts.next().unwrap_or_default();
    let local = parts.next().unwrap_or_default();
    let upstream = parts.next().unwrap_or_default();
    (base, local, upstream)
}

/// One merge target: the three-way merge of the input's sides with `strategy`, the conflict
/// layout joined every way a person could pick, and the unchanged-side laws.
pub fn fuzz_merge(strategy: Strategy, data: &[u8]) {
    let (base, local, upstream) = split3(data);
    let labels = Labels::default();
    let merged = merge::merge(strategy, base, local, upstream, &labels);
    if let Some(regions) = &merged.regions {
        let _ = regions.favour_local();
        let locals: Vec<&[u8]> = regions.choices.iter().map(|c| c.local.as_slice()).collect();
        let _ = regions.join(&locals);
        let upstreams: Vec<&[u8]> = regions.choices.iter().map(|c| c.upstream.as_slice()).collect();
        let _ = regions.join(&upstreams);
    }
    if strategy.is_line_based()
        && merged.is_clean()
        && ![base, local, upstream].iter().any(|c| marker_like(c))
    {
        assert!(
            !merge::has_conflict_markers(&merged.content),
            "{}: a clean merge with conflict markers",
            strategy.name()
        );
    }
    // Every strategy returns the changed side whole when the other side equals base.
    let kept = merge::merge(strategy, base, local, base, &labels);
    assert!(kept.is_clean(), "{}: merge(b, l, b) conflicts", strategy.name());
    assert_eq!(kept.content, local, "{}: merge(b, l, b) != l", strategy.name());
    let taken = merge::merge(strategy, base, base, upstream, &labels);
    assert!(taken.is_clean(), "{}: merge(b, b, u) conflicts", strategy.name());
    assert_eq!(
        taken.content,
        upstream,
        "{}: merge(b, b, u) != u",
        strategy.name()
    );
}

/// One validator target: the syntax check of the input as `kind`; a failure is one line.
pub fn fuzz_check(kind: FileKind, data: &[u8]) {
    if let Err(message) = validate::check(kind, data) {
        assert!(
            !message.contains('\n'),
            "{kind:?}: a message of several lines: {message:?}"
        );
    }
}

/// Whether a line of the content, indentation aside, starts like a conflict marker (labelled or
/// not): such input may come out as a marker line without any conflict.
fn marker_like(content: &[u8]) -> bool {
    content.split(|&b| b == b'\n').any(|line| {
        let line = line.trim_ascii_start();
        [b"<<<<<<<", b">>>>>>>", b"|||||||", b"======="]
            .iter()
            .any(|marker| line.starts_with(*marker))
    })
}
