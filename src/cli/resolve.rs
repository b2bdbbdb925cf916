//! `jitsi-custom resolve`: work through parked conflicts on the terminal.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::error::Error;

/// Work through the parked conflicts.
///
/// Each is merged again onto the current files and, where it still conflicts, asked about (keep,
/// take upstream, edit, diff, merge tool, park, abort). Resolutions are remembered and reused when
/// the same conflict comes back.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Do not restart or reload services.
    #[arg(long)]
    no_restart: bool,
}

pub fn run(ctx: &Ctx, args: ResolveArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    if store.parked()?.is_empty() {
        ctx.say("nothing is parked");
        return Ok(Outcome::Ok);
    }
    if !ctx.prompt.is_interactive() {
        return Err(Error::NotInteractive("resolving parked conflicts needs a terminal".into()).into());
    }
    super::rebase::carry(
        ctx,
        &store,
        &manifest,
        Vec::new(),
        Default::default(),
        !args.no_restart,
        &mut ctx.out(),
    )
}
