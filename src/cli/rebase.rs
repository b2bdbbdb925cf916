//! `jitsi-custom rebase`: carry the customisations onto new upstream files.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::rebase::{self, Fate, Options, Report};

/// Carry the customisations onto the new upstream files.
///
/// Takes in the new upstream content the packages brought (files dpkg overwrote, `.dpkg-dist`
/// copies of conffiles, changed templates), replays every customisation onto it with a 3-way merge,
/// validates the results, writes them atomically and restarts the services whose files changed.
///
/// A conflict is asked about on a terminal; without one (or with --non-interactive) it is parked,
/// the other customisations still apply, and the exit status is 1. `jitsi-custom resolve` works
/// through parked conflicts later.
#[derive(Debug, Args)]
pub struct RebaseArgs {
    /// Do not restart or reload services.
    #[arg(long)]
    no_restart: bool,

    /// Files that package scripts changed in place (their changes are upstream's, not yours).
    #[arg(long, value_name = "PATH")]
    changed_by_packages: Vec<PathBuf>,
}

pub fn run(ctx: &Ctx, args: RebaseArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let changed_by_packages = args
        .changed_by_packages
        .iter()
        .map(|p| InstallPath::from_user(p, &ctx.root, &ctx.cwd))
        .collect::<Result<Vec<_>, _>>()?;
    carry(
        ctx,
        &store,
        &manifest,
        changed_by_packages,
        Default::default(),
        !args.no_restart,
        &mut ctx.out(),
    )
}

/// Rebases with the terminal's resolver (or parking), restarts what changed unless told not to,
/// and reports to `out`. Shared by `rebase`, `resolve` and the apt hook.
pub fn carry(
    ctx: &Ctx,
    store: &crate::store::Store,
    manifest: &crate::store::Manifest,
    changed_by_packages: Vec<InstallPath>,
    pending_upstream: std::collections::BTreeMap<InstallPath, Vec<u8>>,
    restart: bool,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let resolver = super::conflict::resolver_for(ctx, ctx.merge_tool(manifest));
    // The docker variant takes in the web image as it is now.
    let docker = manifest
        .docker
        .as_ref()
        .map(|setup| crate::engine::docker::intake(setup, manifest))
        .transpose()?;
    let opts = Options {
        changed_by_packages,
        pending_upstream,
        resolver: resolver.as_ref(),
        dry_run: ctx.dry_run,
        docker: docker.as_ref(),
        replace: None,
    };
    let report = rebase::rebase(&ctx.root, store, manifest, &ctx.dpkg()?, &opts)?;
    let restarted = if restart && !ctx.dry_run {
        ctx.restart_services(&report.services)?
    } else {
        Vec::new()
    };
    print_report(ctx, out, &report, &restarted)?;
    Ok(if report.parked().next().is_some() {
        Outcome::Attention
    } else {
        Outcome::Ok
    })
}

/// Tells what became of every customisation; JSON with `--json`.
pub fn print_report(ctx: &Ctx, out: &mut dyn Write, report: &Report, restarted: &[String]) -> Result<()> {
    if ctx.json {
        let summary = serde_json::json!({
            "recorded_first": report.recorded_first,
            "taken_in": report.taken_in.iter().map(|(p, s)| serde_json::json!({"path": p, "source": s})).collect::<Vec<_>>(),
            "versions": report.versions,
            "customisations": report.fates,
            "emptied": report.emptied,
            "written": report.written,
            "restarted": restarted,
            "notes": report.notes,
            "dry_run": ctx.dry_run,
        });
        serde_json::to_writer_pretty(&mut *out, &summary).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    for path in &report.recorded_first {
        writeln!(out, "recorded unrecorded edits of {path} first")?;
    }
    for (package, (old, new)) in &report.versions {
        writeln!(out, "{package}: {} → {new}", old.as_deref().unwrap_or("(new)"))?;
    }
    for fate in &report.fates {
        let what = match &fate.fate {
            Fate::Carried => "carried".to_string(),
            Fate::Adopted => "adopted by upstream (nothing left to carry)".to_string(),
            Fate::Reused => "resolved as recorded last time".to_string(),
            Fate::Resolved => "resolved".to_string(),
            Fate::Parked { reasons, fallback } => {
                format!("PARKED: {} ({})", reasons.join("; "), fallback.describe())
            }
        };
        writeln!(out, "{}  {:?}: {what}", fate.path, fate.customisation)?;
        for note in &fate.notes {
            writeln!(out, "    note: {note}")?;
        }
    }
    for name in &report.emptied {
        writeln!(out, "customisation {name:?} became empty and was dropped")?;
    }
    let verb = if ctx.dry_run { "would write" } else { "wrote" };
    for path in &report.written {
        writeln!(out, "{verb} {path}")?;
    }
    if ctx.dry_run && !report.services.is_empty() {
        writeln!(out, "would restart {}", report.services.join(", "))?;
    }
    for service in restarted {
        writeln!(out, "restarted {service}")?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    if report.fates.is_empty() && report.written.is_empty() {
        writeln!(
            out,
            "nothing to do: the customisations are live and upstream has not changed"
        )?;
    }
    if report.parked().next().is_some() {
        ctx.say("hint: work through parked conflicts with `jitsi-custom resolve`");
    }
    Ok(())
}
