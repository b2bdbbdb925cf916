//! Whole-file merge for binary content (logos, icons): there is nothing to combine, only a choice.

use super::{Conflict, Merged};

/// The customisation wins unless upstream changed the file too (then a person decides); when
/// both sides made the same change the result is simply that content.
pub fn merge_binary(base: &[u8], local: &[u8], upstream: &[u8]) -> Merged {
    if let Some(merged) = super::one_side_unchanged(base, local, upstream) {
        return merged;
    }
    Merged {
        content: local.to_vec(),
        conflicts: vec![Conflict {
            what: crate::english!("binary file changed both by the customisation and by upstream"),
            hint: Some(crate::english!("keep the customised file or take upstream's")),
        }],
        ..Merged::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_conflicts_only_when_both_changed() {
        assert_eq!(merge_binary(b"a", b"b", b"a").content, b"b");
        assert_eq!(merge_binary(b"a", b"a", b"c").content, b"c");
        assert!(merge_binary(b"a", b"c", b"c").is_clean());
        let m = merge_binary(b"a", b"b", b"c");
        assert!(!m.is_clean());
        assert_eq!(m.content, b"b");
    }
}
