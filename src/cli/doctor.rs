//! `jitsi-custom doctor`: explain and repair the state an interruption or a hand edit left.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::doctor::{self, Finding};
use crate::store::Store;

/// Explain and repair the state an interruption or a hand edit left.
///
/// Any writing command already finishes (or drops) an operation a killed run left half-way,
/// clears stale lock and temp files, and merges an edit made after the crash. `doctor` does that
/// and then checks what no command repairs by itself: the branches against the operation log,
/// the patch stack sitting on upstream, the manifest against the files the store keeps, the review
/// list, and every stored object. It repairs what it safely can and says for the rest what to do.
/// Errors that need it point here.
///
/// Exit status: 0 when the state is sound (after repairs), 1 when a problem remains.
#[derive(Debug, Args)]
pub struct DoctorArgs {}

pub fn run(ctx: &Ctx, _args: DoctorArgs) -> Result<Outcome> {
    let mut findings = Vec::new();
    let store = if ctx.dry_run {
        ctx.open_store_to_restore()?
    } else {
        let store = Store::open_for_writing(&ctx.state_dir)?;
        ctx.watch_store(&store);
        if let Some(aside) = store.set_aside_unreadable_journal()? {
            findings.push(Finding::Repaired(tr!(
                "the journal of an interrupted operation was unreadable; moved to {path} (the branches are checked against the log below)",
                path = aside.display()
            )));
        }
        // Finishes an interrupted operation, and says so.
        ctx.recover(&store)?;
        store
    };
    findings.extend(doctor::examine(&ctx.root, &store, ctx.dry_run)?);
    let mut out = ctx.out();
    let mut problems = 0;
    for finding in &findings {
        match finding {
            Finding::Sound(what) => writeln!(out, "{:<9} {what}", tr!("ok"))?,
            Finding::Repaired(what) => writeln!(out, "{:<9} {what}", tr!("repaired"))?,
            Finding::Problem(what, hint) => {
                problems += 1;
                writeln!(out, "{:<9} {what}", tr!("PROBLEM"))?;
                writeln!(out, "          {}", tr!("hint: {hint}", hint))?;
            }
        }
    }
    Ok(if problems == 0 {
        Outcome::Ok
    } else {
        Outcome::Attention
    })
}
