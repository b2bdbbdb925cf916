//! `jitsi-custom pull`: bring the shared customisations in and carry them onto this host.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::fleet::{self, Change, PullOptions, PullOutcome};
use crate::engine::rebase::Fate;
use crate::error::Error;

/// Bring the shared customisations in from a git remote and carry them onto this server.
///
/// Fetches the remote's branch `jitsi-custom/shared`, puts this host's values in for its
/// placeholders (`{domain}`, …; see `jitsi-custom host-value`), and replays the shared
/// customisations onto this host's upstream files with the same engine as `rebase`: setting by
/// setting, validated, written atomically, the services restarted. This host's own (local-only)
/// customisations stay on top of them. A customisation changed both here and on the remote takes
/// the remote's version with this host's changes replayed on top. A conflict is asked about on
/// a terminal; otherwise it is parked with your side live (never weaker), and the exit status
/// is 1. What happened is reported per customisation: added, updated, unchanged, kept local,
/// removed, parked.
///
/// With --dry-run nothing changes (the remote is fetched into a throw-away repository).
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The remote (default: the only one, else `origin`).
    remote: Option<String>,

    /// Do not restart or reload the services that read the files written.
    #[arg(long)]
    no_restart: bool,
}

pub fn run(ctx: &Ctx, args: PullArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let remote = fleet::choose_remote(&store, args.remote.as_deref())?;
    let resolver = super::conflict::resolver_for(ctx, ctx.merge_tool(&manifest));
    let opts = PullOptions {
        resolver: resolver.as_ref(),
        dry_run: ctx.dry_run,
    };
    let report = match fleet::pull(&ctx.root, &store, &manifest, &ctx.dpkg()?, &remote, &opts)? {
        PullOutcome::Pulled(report) => report,
        PullOutcome::Refused(problems) => {
            for problem in &problems {
                ctx.say(tr!("refused: {problem}", problem));
            }
            return Err(Error::Usage(tr!(
                "nothing was pulled from {remote}: {n} problem(s)\nhint: fix the places named above and pull again"
                    | "nothing was pulled from {remote}: {n} problem(s)\nhint: fix the places named above and pull again"
                    % problems.len(),
                remote = remote.name
            ))
            .into());
        }
    };
    let rebase = report.rebase.clone().unwrap_or_default();
    let restarted = if !args.no_restart && !ctx.dry_run {
        ctx.restart_services(&rebase.services)?
    } else {
        Vec::new()
    };
    let outcome = if report.parked() {
        Outcome::Attention
    } else {
        Outcome::Ok
    };
    if ctx.json {
        let parked: Vec<_> = rebase.parked().collect();
        ctx.print_json(&serde_json::json!({
            "remote": report.remote,
            "url": report.url,
            "commit": report.commit,
            "changed": report.changed,
            "customisations": report.customisations,
            "tracked": report.tracked,
            "parked": parked,
            "written": rebase.written,
            "restarted": restarted,
            "notes": rebase.notes,
            "dry_run": report.dry_run,
        }))?;
        return Ok(outcome);
    }
    let mut out = ctx.out();
    if report.commit.is_none() {
        writeln!(
            out,
            "{}",
            tr!(
                "{remote} has no shared customisations yet",
                remote = report.remote
            )
        )?;
        return Ok(Outcome::Ok);
    }
    let label = |change: Change| match change {
        Change::Added => tr!("added"),
        Change::Updated => tr!("updated"),
        Change::Unchanged => tr!("unchanged"),
        Change::KeptLocal => tr!("kept local"),
        Change::Removed => tr!("removed"),
        Change::Parked => tr!("PARKED"),
    };
    let width = column_width(label);
    for c in &report.customisations {
        let what = label(c.change);
        write!(out, "{what:<width$} {:?}", c.name)?;
        match &c.note {
            Some(note) => writeln!(out, "  ({note})")?,
            None => writeln!(out)?,
        }
    }
    for path in &report.tracked {
        let line = if ctx.dry_run {
            tr!("would track {path}", path)
        } else {
            tr!("track {path}", path)
        };
        writeln!(out, "{line}")?;
    }
    for fate in rebase.parked() {
        if let Fate::Parked { reasons, fallback } = &fate.fate {
            writeln!(
                out,
                "    {}  {:?}: {} ({})",
                fate.path,
                fate.customisation,
                super::shown_joined(reasons),
                crate::i18n::shown(&fallback.describe())
            )?;
        }
    }
    for path in &rebase.written {
        let line = if ctx.dry_run {
            tr!("would write {path}", path)
        } else {
            tr!("wrote {path}", path)
        };
        writeln!(out, "{line}")?;
    }
    for service in &restarted {
        writeln!(out, "{}", tr!("restarted {services}", services = service))?;
    }
    for note in &rebase.notes {
        writeln!(out, "{}", tr!("note: {note}", note))?;
    }
    if !report.changed {
        writeln!(out, "{}", tr!("up to date with {remote}", remote = report.remote))?;
    }
    if report.parked() {
        ctx.say(tr!(
            "hint: work through parked conflicts with `jitsi-custom resolve`"
        ));
    }
    Ok(outcome)
}

/// The width of the first column of the per-customisation lines: 10, the longest English label,
/// or the longest translated one.
pub(super) fn column_width(label: impl Fn(Change) -> String) -> usize {
    [
        Change::Added,
        Change::Updated,
        Change::Unchanged,
        Change::KeptLocal,
        Change::Removed,
        Change::Parked,
    ]
    .into_iter()
    .map(|change| label(change).chars().count())
    .max()
    .unwrap_or(0)
    .max(10)
}
