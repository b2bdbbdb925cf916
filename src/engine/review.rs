//! The review list's notices (decisions made without a person, postponed windows): taking them
//! off the list once a person has read them. Parked conflicts leave the list when they are
//! decided (`rebase`, `resolve`), never here.

use std::path::Path;

use anyhow::Result;

use crate::engine::live;
use crate::store::Store;
use crate::store::parked::{Notice, NoticeKind};

/// Asks `noted` about every notice (not the parked conflicts) and takes those it answers `true`
/// for off the list, as one `review` operation, so that `rollback` brings them back. Returns how
/// many were taken off.
pub fn acknowledge(
    root: &Path,
    store: &Store,
    noted: &mut dyn FnMut(&Notice) -> Result<bool>,
) -> Result<usize> {
    let mut review = store.review()?;
    let before = review.notices.len();
    let mut kept = Vec::new();
    for notice in std::mem::take(&mut review.notices) {
        if notice.kind == NoticeKind::Parked || !noted(&notice)? {
            kept.push(notice);
        }
    }
    review.notices = kept;
    let acknowledged = before - review.notices.len();
    if acknowledged > 0 {
        store.save_review(&review)?;
        store.log_operation(
            root,
            "review",
            &format!("acknowledged {acknowledged} notice(s)"),
            store.refs_now()?,
            &live::snapshot(root, &store.load_manifest()?)?,
        )?;
    }
    Ok(acknowledged)
}
