//! `jitsi-custom hold` / `unhold`: keep apt from upgrading the Jitsi package set outside a
//! maintenance window, and release it again.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::store::Manifest;
use crate::system::apt::{self, Selection, SelectionPlan};

/// Hold the Jitsi packages (like `apt-mark hold`).
///
/// `apt upgrade` keeps them back until `jitsi-custom unhold` or the maintenance window
/// (`jitsi-custom upgrade`) releases them.
///
/// The set is the manifest's `packages` list, or the admin guide's (coturn jicofo prosody
/// jitsi-meet jitsi-meet-web jitsi-meet-web-config jitsi-meet-prosody jitsi-meet-turnserver
/// jitsi-videobridge2) when it has none or the state dir is not initialised. Only installed
/// packages are touched.
#[derive(Debug, Args)]
pub struct HoldArgs {}

/// Release the hold on the Jitsi packages, so that apt upgrades them again.
#[derive(Debug, Args)]
pub struct UnholdArgs {}

pub fn run_hold(ctx: &Ctx, _args: HoldArgs) -> Result<Outcome> {
    set(ctx, Selection::Hold)
}

pub fn run_unhold(ctx: &Ctx, _args: UnholdArgs) -> Result<Outcome> {
    set(ctx, Selection::Install)
}

/// The manifest when the state dir is initialised, else the profile's defaults.
fn manifest(ctx: &Ctx) -> Result<Manifest> {
    match ctx.open_store() {
        Ok(store) => store.load_manifest(),
        Err(e) if matches!(e.downcast_ref(), Some(crate::Error::NotInitialised(_))) => {
            Ok(Manifest::default())
        }
        Err(e) => Err(e),
    }
}

fn set(ctx: &Ctx, selection: Selection) -> Result<Outcome> {
    let set = manifest(ctx)?.package_set();
    let plan = apt::plan_selection(&ctx.dpkg()?, &set, selection);
    if !ctx.dry_run {
        apt::set_selections(&ctx.root, &plan.changed, selection)?;
    }
    report(ctx, selection, &plan)?;
    Ok(Outcome::Ok)
}

fn report(ctx: &Ctx, selection: Selection, plan: &SelectionPlan) -> Result<()> {
    if ctx.json {
        return ctx.print_json(&serde_json::json!({
            "dry_run": ctx.dry_run,
            "selection": selection.word(),
            "changed": plan.changed,
            "unchanged": plan.unchanged,
            "not_installed": plan.not_installed,
        }));
    }
    let (done, already) = match (selection, ctx.dry_run) {
        (Selection::Hold, false) => (tr!("held"), tr!("already held")),
        (Selection::Hold, true) => (tr!("would be held"), tr!("already held")),
        (Selection::Install, false) => (tr!("released"), tr!("already not held")),
        (Selection::Install, true) => (tr!("would be released"), tr!("already not held")),
    };
    let mut out = ctx.out();
    for name in &plan.changed {
        writeln!(out, "{name:<24} {done}")?;
    }
    for name in &plan.unchanged {
        writeln!(out, "{name:<24} {already}")?;
    }
    if plan.changed.is_empty() && plan.unchanged.is_empty() {
        ctx.say(tr!(
            "no package of the Jitsi package set is installed; nothing to do"
        ));
    }
    if !plan.not_installed.is_empty() {
        ctx.detail(tr!(
            "not installed: {packages}",
            packages = plan.not_installed.join(" ")
        ));
    }
    Ok(())
}
