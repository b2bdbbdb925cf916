//! `jitsi-custom rebase`: carry the customisations onto new upstream files.

use std::io::Write;
use std::path::PathBuf;

use crate::tr;
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
        writeln!(out, "{}", tr!("recorded unrecorded edits of {path} first", path))?;
    }
    for (package, (old, new)) in &report.versions {
        let old = match old {
            Some(old) => old.clone(),
            None => tr!("(new)"),
        };
        writeln!(out, "{package}: {old} → {new}")?;
    }
    for fate in &report.fates {
        let what = match &fate.fate {
            Fate::Carried => tr!("carried"),
            Fate::Adopted => tr!("adopted by upstream (nothing left to carry)"),
            Fate::Reused => tr!("resolved as recorded last time"),
            Fate::Resolved => tr!("resolved"),
            Fate::Parked { reasons, fallback } => tr!(
                "PARKED: {reasons} ({fallback})",
                reasons = super::shown_joined(reasons),
                fallback = crate::i18n::shown(&fallback.describe())
            ),
        };
        writeln!(out, "{}  {:?}: {what}", fate.path, fate.customisation)?;
        for note in &fate.notes {
            writeln!(
                out,
                "    {}",
                tr!("note: {note}", note = crate::i18n::shown(note))
            )?;
        }
    }
    for name in &report.emptied {
        writeln!(
            out,
            "{}",
            tr!(
                "customisation {name} became empty and was dropped",
                name = format!("{name:?}")
            )
        )?;
    }
    for path in &report.written {
        let line = if ctx.dry_run {
            tr!("would write {path}", path)
        } else {
            tr!("wrote {path}", path)
        };
        writeln!(out, "{line}")?;
    }
    if ctx.dry_run && !report.services.is_empty() {
        writeln!(
            out,
            "{}",
            tr!("would restart {services}", services = report.services.join(", "))
        )?;
    }
    for service in restarted {
        writeln!(out, "{}", tr!("restarted {services}", services = service))?;
    }
    for note in &report.notes {
        writeln!(out, "{}", tr!("note: {note}", note))?;
    }
    if report.fates.is_empty() && report.written.is_empty() {
        writeln!(
            out,
            "{}",
            tr!("nothing to do: the customisations are live and upstream has not changed")
        )?;
    }
    if report.parked().next().is_some() {
        ctx.say(tr!(
            "hint: work through parked conflicts with `jitsi-custom resolve`"
        ));
    }
    Ok(())
}
