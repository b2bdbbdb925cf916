//! `jitsi-custom resolve`: work through the review list on the terminal — parked conflicts
//! first, then what was decided without a person.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::error::Error;

/// Work through parked conflicts and the review list.
///
/// Each parked customisation is merged again from its own inputs onto the current files and,
/// where it still conflicts, asked about conflict by conflict (keep yours here, take upstream's
/// here, edit this part), with whole-file answers (keep the customised file, take upstream's,
/// edit, diff, merge tool, park, abort) still available. Resolutions are remembered and reused
/// when the same conflict comes back.
///
/// Then each notice — your value kept over a new upstream default, a setting upstream removed or
/// moved, a file whose upstream changes you dropped — is shown once to acknowledge. Without a
/// terminal, `--acknowledge` acknowledges every notice (parked conflicts still need a terminal).
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Do not restart or reload services.
    #[arg(long)]
    no_restart: bool,

    /// Acknowledge every notice without asking (parked conflicts stay parked).
    #[arg(long)]
    acknowledge: bool,
}

pub fn run(ctx: &Ctx, args: ResolveArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let review = store.review()?;
    if review.is_empty() {
        ctx.say(tr!("nothing is parked and nothing waits for review"));
        return Ok(Outcome::Ok);
    }
    if !ctx.prompt.is_interactive() && !args.acknowledge {
        return Err(Error::NotInteractive(tr!(
            "resolving parked conflicts and reviewing notices needs a terminal\nhint: `jitsi-custom resolve --acknowledge` acknowledges the notices without one"
        ))
        .into());
    }
    let mut outcome = Outcome::Ok;
    if !review.parked.is_empty() && ctx.prompt.is_interactive() {
        outcome = super::rebase::carry(
            ctx,
            &store,
            &manifest,
            Vec::new(),
            Default::default(),
            !args.no_restart,
            &mut ctx.out(),
        )?;
    }
    let acknowledged = crate::engine::review::acknowledge(&ctx.root, &store, &mut |notice| {
        Ok(args.acknowledge || acknowledged(ctx, notice)?)
    })?;
    let review = store.review()?;
    let mut out = ctx.out();
    if acknowledged > 0 {
        let line = if ctx.dry_run {
            tr!("would acknowledge {n} notice(s)" | "would acknowledge {n} notice(s)" % acknowledged)
        } else {
            tr!("acknowledged {n} notice(s)" | "acknowledged {n} notice(s)" % acknowledged)
        };
        writeln!(out, "{line}")?;
    }
    Ok(if review.is_empty() {
        outcome
    } else {
        Outcome::Attention
    })
}

/// Shows one notice and asks whether it can leave the list.
fn acknowledged(ctx: &Ctx, notice: &crate::store::parked::Notice) -> Result<bool> {
    ctx.say(format_args!(
        "\n{}  ({:?}): {}",
        notice.path,
        notice.customisation,
        crate::i18n::shown(&notice.message)
    ));
    let (take_off, keep) = (tr!("yes, take it off the list"), tr!("keep it on the list"));
    let choice = ctx
        .prompt
        .select(&tr!("Noted?"), &[take_off.as_str(), keep.as_str()], 0)?;
    Ok(choice == 0)
}
