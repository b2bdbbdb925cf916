//! `jitsi-custom rollback`: return to the state an earlier operation left.

use anyhow::{Result, bail};
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::record;
use crate::error::Error;
use crate::store::Manifest;

/// Return to the state an earlier operation left.
///
/// The live files, the customisations and the manifest are restored exactly as the operation left
/// them (see `jitsi-custom log`). Without OP, undo the last operation. Live edits not recorded yet are recorded first, so the
/// rollback itself can be undone.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The operation to return to (an id or a prefix of one from `jitsi-custom log`).
    #[arg(value_name = "OP")]
    op: Option<String>,
}

pub fn run(ctx: &Ctx, args: RollbackArgs) -> Result<Outcome> {
    let store = ctx.open_store_to_restore()?;
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
        &ctx.root,
        &store,
        &manifest,
        &ctx.dpkg()?,
        "edits found before rollback",
        &[],
    )?;
    let restored = crate::engine::undo::return_to(&ctx.root, &store, &target)?;
    ctx.say(format_args!(
        "restored {restored} files as {} left them",
        target.short_id()
    ));
    Ok(Outcome::Ok)
}
