//! Returning to the state an earlier operation left: the branches, the manifest, the parked list
//! and every tracked live file with its mode and owner, byte for byte. Used by `rollback` and by
//! `upgrade` when a maintenance window fails.

use std::path::Path;

use crate::tr;
use anyhow::{Result, bail};

use crate::engine::{live, record};
use crate::error::Error;
use crate::store::oplog::Operation;
use crate::store::parked::PARKED_FILE;
use crate::store::{Manifest, Store, manifest};
use crate::system::dpkg::Dpkg;

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

/// The operation `rollback` returns to: the one `prefix` names, or the one before the last.
pub fn rollback_target(store: &Store, prefix: Option<&str>) -> Result<Operation> {
    if let Some(prefix) = prefix {
        return store.find_operation(prefix);
    }
    match store.operations()?.get(1) {
        Some(op) => Ok(op.clone()),
        None => bail!(Error::Usage(tr!("there is no earlier operation to return to"))),
    }
}

/// `rollback`: records the live edits first (so that the rollback itself can be undone), then
/// returns to `target`. Returns how many files were restored.
pub fn rollback(root: &Path, store: &Store, target: &Operation) -> Result<usize> {
    let snapshot = store.operation_snapshot(target)?;
    let mut manifest = store.load_manifest()?;
    // A manifest cut by hand does not list every file the store holds, and the rollback
    // overwrites those too: their live edits are recorded first like the others.
    let restored = Manifest::parse(
        &String::from_utf8_lossy(&snapshot.manifest),
        &store.manifest_path(),
    )?;
    let held = store.files_held()?;
    for file in restored.files {
        if held.contains(file.path.as_rel()) && !manifest.is_tracked(&file.path) {
            manifest.track(file);
        }
    }
    record::protect_edits(
        root,
        store,
        &manifest,
        &Dpkg::read(root)?,
        "edits found before rollback",
        &[],
    )?;
    return_to(root, store, target)
}
