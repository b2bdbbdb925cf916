//! `jitsi-custom rollback`: return to the state an earlier operation left.

use anyhow::{Result, bail};
use clap::Args;

use super::{Ctx, Outcome};
use crate::error::Error;
use crate::live;
use crate::record::{self, Into};
use crate::status;
use crate::store::parked::PARKED_FILE;
use crate::store::{Manifest, manifest};
use crate::system::fs as livefs;

/// Restore the live files, the customisations and the manifest exactly as an earlier operation
/// left them (see `jitsi-custom log`). Without OP, undo the last operation. Live edits not
/// recorded yet are recorded first, so the rollback itself can be undone.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The operation to return to (an id or a prefix of one from `jitsi-custom log`).
    #[arg(value_name = "OP")]
    op: Option<String>,
}

pub fn run(ctx: &Ctx, args: RollbackArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let target = match &args.op {
        Some(prefix) => store.find_operation(prefix)?,
        None => {
            let ops = store.operations()?;
            match ops.get(1) {
                Some(op) => op.clone(),
                None => bail!(Error::Usage("there is no earlier operation to return to".into())),
            }
        }
    };
    let snapshot = store.operation_snapshot(&target)?;
    if ctx.dry_run {
        for file in &snapshot.files {
            ctx.say(format_args!("would restore {}", file.path));
        }
        return Ok(Outcome::Ok);
    }
    let manifest = store.load_manifest()?;
    let survey = status::survey(&ctx.root, &store, &manifest, &ctx.dpkg()?)?;
    let edits = record::unrecorded_edits(&ctx.root, &survey, &[])?;
    if !edits.is_empty() {
        record::record_edits(
            &ctx.root,
            &store,
            &manifest,
            "record",
            "edits found before rollback",
            &edits,
            Into::NewPatch,
        )?;
    }
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
        match &file.content {
            Some(content) => livefs::write_atomic(&ctx.root, &file.path, content, file.meta),
            None => livefs::remove(&ctx.root, &file.path),
        }
        .map_err(|e| live::path_error(&file.path, e))?;
    }
    let description = format!("back to {} ({})", target.short_id(), target.kind);
    store.log_operation(
        "rollback",
        &description,
        before,
        &live::snapshot(&ctx.root, &restored_manifest)?,
    )?;
    ctx.say(format_args!(
        "restored {} files as {} left them",
        snapshot.files.len(),
        target.short_id()
    ));
    Ok(Outcome::Ok)
}
