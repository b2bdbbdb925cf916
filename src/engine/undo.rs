//! Returning to the state an earlier operation left: the branches, the manifest, the parked list
//! and every tracked live file with its mode and owner, byte for byte. Used by `rollback` and by
//! `upgrade` when a maintenance window fails.

use std::path::Path;

use anyhow::Result;

use crate::engine::live;
use crate::store::oplog::Operation;
use crate::store::parked::PARKED_FILE;
use crate::store::{Manifest, Store, manifest};

/// Restores what `target` left and logs it as a `rollback` operation. Unrecorded live edits
/// must have been recorded by the caller: they are overwritten here.
pub fn return_to(root: &Path, store: &Store, target: &Operation) -> Result<usize> {
    let snapshot = store.operation_snapshot(target)?;
    // Check the snapshot's manifest before anything changes.
    let restored_manifest = Manifest::parse(
        &String::from_utf8_lossy(&snapshot.manifest),
        &store.manifest_path(),
    )?;
    let before = store.refs_now()?;
    store.restore_refs(&target.after)?;
    store.write_state_file(manifest::FILE_NAME, &snapshot.manifest)?;
    store.write_state_file(PARKED_FILE, &snapshot.parked)?;
    for file in &snapshot.files {
        store.stage_live(&file.path, file.content.clone(), Some(file.meta));
    }
    // Files the operations being undone created and the target does not know: gone again.
    for op in store.operations()?.iter().take_while(|op| op.id != target.id) {
        for path in &op.created {
            if !snapshot.files.iter().any(|f| &f.path == path) {
                store.stage_live(path, None, None);
            }
        }
    }
    let description = format!("back to {} ({})", target.short_id(), target.kind);
    store.log_operation(
        root,
        "rollback",
        &description,
        before,
        &live::snapshot(root, &restored_manifest)?,
    )?;
    Ok(snapshot.files.len())
}
