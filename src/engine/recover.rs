//! What a writer does first: finish (or drop) an operation a killed run left half-way
//! ([`crate::store::transition`]), clear what it left behind, and keep an edit the admin made to
//! a live file after the interruption, before that run's content reached it.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::InstallPath;
use crate::store::Store;

/// What recovering did, for the person.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Temp files killed runs left (in the state dir and beside live files).
    pub removed: Vec<PathBuf>,
    /// Locks killed runs left.
    pub removed_locks: Vec<PathBuf>,
    /// The interrupted operation had not reached its commit point: nothing of it applies.
    pub dropped: bool,
    /// Live files brought up to date with the interrupted operation's content.
    pub written: Vec<InstallPath>,
    /// Live files changed since the interruption: the admin's change merged onto the content
    /// the interrupted run committed.
    pub merged: Vec<InstallPath>,
    /// Live files changed since the interruption that could not be merged: left as they are.
    pub left: Vec<InstallPath>,
}

/// Recovers the store a writer just opened, against the live files under `root`.
pub fn recover(root: &Path, store: &Store) -> Result<Recovered> {
    let mut report = Recovered::default();
    report.removed.extend(store.cleared_temp_files().iter().cloned());
    report.removed_locks.extend(store.cleared_locks().iter().cloned());
    let finished = store.finish_interrupted(root)?;
    // Temp files a killed write left beside the live files it was writing: those the manifest
    // lists, and those the interrupted operation wrote (a rollback may bring back a file the
    // manifest no longer lists).
    let mut beside = finished.touched.clone();
    if let Ok(manifest) = store.load_manifest() {
        beside.extend(manifest.files.into_iter().map(|f| f.path));
    }
    report
        .removed
        .extend(crate::system::fs::remove_stale_temp_files(root, &beside));
    report.dropped = finished.dropped;
    report.written = finished.written;
    for left in &finished.left {
        if keep_edit_after_crash(
            root,
            store,
            &left.path,
            left.before.as_deref(),
            left.after.as_deref(),
        )? {
            report.merged.push(left.path.clone());
        } else {
            report.left.push(left.path.clone());
        }
    }
    Ok(report)
}

/// A live file the admin changed after a run was interrupted, before that run's content reached
/// it: the admin's change (from what was live to what is live) is merged onto the content the
/// interrupted run committed, so both take effect; the next operation records it as the admin's
/// edit. `false` when they cannot be merged: the file is left as it is.
fn keep_edit_after_crash(
    root: &Path,
    store: &Store,
    path: &InstallPath,
    before: Option<&[u8]>,
    after: Option<&[u8]>,
) -> Result<bool> {
    let now = crate::engine::live::read(root, path)?;
    let strategy = store
        .load_manifest()
        .ok()
        .and_then(|m| m.file(path).map(|f| f.strategy()))
        .unwrap_or_else(|| crate::profile::strategy_for_path(path.as_rel()));
    let merged = match (before, now.as_deref(), after) {
        (Some(before), Some(now), Some(after)) => {
            let merged = crate::merge::merge(strategy, before, now, after, &Default::default());
            (merged.is_clean()
                && crate::validate::validate_merged(root, path, &merged.content, Some(after)).is_ok())
            .then_some(merged.content)
        }
        _ => None,
    };
    let Some(merged) = merged else {
        return Ok(false);
    };
    let meta = crate::system::fs::stamp(root, path)
        .map_err(|e| crate::system::fs::path_error(path, e))?
        .map(|(_, meta)| meta)
        .unwrap_or_default();
    crate::system::fs::write_atomic(root, path, &merged, meta)
        .map_err(|e| crate::system::fs::path_error(path, e))?;
    Ok(true)
}
