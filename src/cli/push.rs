//! `jitsi-custom push`: send the customisations to the remote's shared branch.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::fleet::{self, Change, PushOutcome};
use crate::error::Error;

/// Send the customisations to a git remote, for the other servers to pull.
///
/// Every customisation goes, except those on the `local` list of `host-values.toml`, as a series
/// on the remote's branch `jitsi-custom/shared`. This host's values (its domain, guest domain,
/// TURN secret and every value set with `jitsi-custom host-value set`) travel as placeholders
/// such as `{domain}`; each server that pulls puts its own in. Nothing else of the state leaves
/// the host: not the upstream branch, not the operation log, not the host values.
///
/// Push refuses, and sends nothing, when a secret it recognises would leave the host (a password
/// or secret setting that is not a host value, a private key), naming the customisation, file and
/// line; when a decision waits (`resolve` first); and when the remote's customisations changed
/// since this host last pulled (`pull` first, as with git).
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The remote (default: the only one, else `origin`).
    remote: Option<String>,
}

pub fn run(ctx: &Ctx, args: PushArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let remote = fleet::choose_remote(&store, args.remote.as_deref())?;
    let report = match fleet::push(&ctx.root, &store, &manifest, &remote, ctx.dry_run)? {
        PushOutcome::Pushed(report) => report,
        PushOutcome::Refused(problems) => {
            for problem in &problems {
                ctx.say(tr!("refused: {problem}", problem));
            }
            return Err(Error::Usage(tr!(
                "nothing was pushed to {remote}: {n} problem(s)\nhint: fix the places named above; nothing leaves this host until then"
                    | "nothing was pushed to {remote}: {n} problem(s)\nhint: fix the places named above; nothing leaves this host until then"
                    % problems.len(),
                remote = remote.name
            ))
            .into());
        }
    };
    if ctx.json {
        ctx.print_json(&report)?;
        return Ok(Outcome::Ok);
    }
    let mut out = ctx.out();
    let label = |change: Change| match change {
        Change::Added => tr!("new"),
        Change::Updated => tr!("changed"),
        Change::Unchanged => tr!("unchanged"),
        Change::KeptLocal => tr!("kept local"),
        Change::Removed => tr!("removed"),
        Change::Parked => tr!("parked"),
    };
    let width = super::pull::column_width(label);
    for c in &report.customisations {
        let what = label(c.change);
        write!(out, "{what:<width$} {:?}", c.name)?;
        match &c.note {
            Some(note) => writeln!(out, "  ({note})")?,
            None => writeln!(out)?,
        }
    }
    drop(out);
    if !report.placeholders.is_empty() {
        let names: Vec<String> = report.placeholders.iter().map(|n| format!("{{{n}}}")).collect();
        ctx.say(tr!(
            "this host's values travel as {names}",
            names = names.join(", ")
        ));
    }
    let short = report.commit.as_deref().map(|c| &c[..12]).unwrap_or("-");
    ctx.say(match (report.changed, report.dry_run) {
        (true, true) => tr!(
            "would push to {remote} ({url})",
            remote = report.remote,
            url = report.url
        ),
        (true, false) => tr!(
            "pushed to {remote} ({url}): {commit}",
            remote = report.remote,
            url = report.url,
            commit = short
        ),
        (false, _) => tr!(
            "{remote} is up to date ({commit})",
            remote = report.remote,
            commit = short
        ),
    });
    Ok(Outcome::Ok)
}
