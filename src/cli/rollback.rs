//! `jitsi-custom rollback`: return to the state an earlier operation left.

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::undo;

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
    let target = undo::rollback_target(&store, args.op.as_deref())?;
    if ctx.dry_run {
        for file in &store.operation_snapshot(&target)?.files {
            ctx.say(tr!("would restore {path}", path = file.path));
        }
        return Ok(Outcome::Ok);
    }
    let restored = undo::rollback(&ctx.root, &store, &target)?;
    ctx.say(tr!(
        "restored {n} files as {operation} left them"
            | "restored {n} files as {operation} left them" % restored,
        operation = target.short_id()
    ));
    Ok(Outcome::Ok)
}
