//! `jitsi-custom scan`: what differs from what the Jitsi packages installed, and what no package
//! owns under the Jitsi trees; on a terminal, an offer to track it.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::scan::{self, Change, ScanReport, Scope, Unchecked};
use crate::store::Manifest;

/// Find files changed since the Jitsi packages installed them, and files no package owns.
///
/// Like `debsums -c` and `dpkg --verify`: every file the Jitsi packages installed is compared
/// with the md5 dpkg recorded for it (conffiles too, whose md5 dpkg keeps in its status file), and
/// files a package script generated from a template (the meet config.js, the nginx site, the
/// Prosody config) with the template. Files under /usr/share/jitsi-meet and /etc/jitsi that no
/// package owns (a new logo) are listed. Files jitsi-custom tracks already are marked "tracked".
///
/// On a terminal you are offered to track the others (then `jitsi-custom record` them);
/// otherwise they are listed (`--json` for a program). Nothing is written unless you choose to
/// track.
///
/// Exit status: 0 nothing differs but tracked files, 1 something untracked differs or is
/// unowned, 2 usage or input error, 3 failure.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Packages to check (default: the manifest's package set, else the guide's Jitsi packages).
    #[arg(value_name = "PACKAGE")]
    packages: Vec<String>,

    /// Hash files on this many threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

pub fn run(ctx: &Ctx, args: ScanArgs) -> Result<Outcome> {
    let manifest = manifest(ctx)?;
    let dpkg = ctx.dpkg()?;
    let packages = if args.packages.is_empty() {
        manifest.as_ref().map(Manifest::package_set).unwrap_or_else(|| {
            crate::profile::JITSI_PACKAGES
                .iter()
                .map(|p| p.to_string())
                .collect()
        })
    } else {
        args.packages.clone()
    };
    for name in &args.packages {
        if dpkg.package(name).is_none() {
            ctx.warn(tr!("{name}: not installed", name));
        }
    }
    let domain = manifest
        .as_ref()
        .and_then(|m| m.domain.clone())
        .or_else(|| crate::profile::detect_domain(&ctx.root));
    let tracked: BTreeSet<InstallPath> = manifest
        .as_ref()
        .map(|m| m.files.iter().map(|f| f.path.clone()).collect())
        .unwrap_or_default();
    let report = scan::scan(
        &ctx.root,
        &dpkg,
        &Scope {
            packages: &packages,
            domain: domain.as_deref(),
            tracked: &tracked,
            threads: args.threads.unwrap_or(0),
        },
    )?;
    if report.packages.is_empty() {
        ctx.warn(tr!(
            "none of the packages {packages} is installed under {root}",
            packages = packages.join(", "),
            root = ctx.root.display()
        ));
    }
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        write_report(&mut ctx.out(), &report, false)?;
        for unchecked in &report.unchecked {
            match unchecked.why {
                Unchecked::Unreadable => ctx.warn(tr!(
                    "{path}: not checked: {reason}",
                    path = unchecked.path,
                    reason = crate::i18n::shown(&unchecked.reason)
                )),
                Unchecked::Generated => ctx.detail(tr!(
                    "{path}: not checked: {reason}",
                    path = unchecked.path,
                    reason = crate::i18n::shown(&unchecked.reason)
                )),
            }
        }
        ctx.detail(tr!(
            "checked {n} files of {packages}"
                | "checked {n} files of {packages}" % report.packages.iter().map(|p| p.files).sum::<usize>(),
            packages = report
                .packages
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        offer_tracking(ctx, &report, manifest.is_some())?;
    }
    Ok(if report.needs_attention() {
        Outcome::Attention
    } else {
        Outcome::Ok
    })
}

/// The manifest when the state dir is initialised (scan also runs before `init`).
fn manifest(ctx: &Ctx) -> Result<Option<Manifest>> {
    match ctx.open_store() {
        Ok(store) => Ok(Some(store.load_manifest()?)),
        Err(e) if matches!(e.downcast_ref(), Some(crate::Error::NotInitialised(_))) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One line per changed and unowned file: `modified  /path  (package, conffile, tracked)`. With
/// `untracked_only`, files jitsi-custom tracks are left out.
pub(super) fn write_report(out: &mut impl Write, report: &ScanReport, untracked_only: bool) -> Result<()> {
    let label = |state: Option<Change>| match state {
        Some(Change::Modified) => tr!("modified"),
        Some(Change::Missing) => tr!("missing"),
        Some(Change::Replaced) => tr!("replaced"),
        None => tr!("unowned"),
    };
    // 9 columns, the English labels' width, or the longest translated label.
    let width = [
        Some(Change::Modified),
        Some(Change::Missing),
        Some(Change::Replaced),
        None,
    ]
    .into_iter()
    .map(|state| label(state).chars().count())
    .max()
    .unwrap_or(0)
    .max(9);
    for file in report.changed.iter().filter(|f| !untracked_only || !f.tracked) {
        let mut notes = vec![file.package.clone()];
        if file.conffile {
            notes.push(tr!("conffile"));
        }
        if let Some(template) = &file.template {
            notes.push(tr!("generated from {template}", template));
        }
        if file.tracked {
            notes.push(tr!("tracked"));
        } else if file.state == Change::Modified && file.pristine.is_none() {
            notes.push(tr!("no pristine copy"));
        }
        writeln!(
            out,
            "{:<width$} {}  ({})",
            label(Some(file.state)),
            file.path,
            notes.join(", ")
        )?;
    }
    for file in report.unowned.iter().filter(|f| !untracked_only || !f.tracked) {
        let mut notes = vec![tr!("no package owns it")];
        if file.secret {
            notes.push(tr!("looks like a private key"));
        }
        if file.tracked {
            notes.push(tr!("tracked"));
        }
        writeln!(
            out,
            "{:<width$} {}  ({})",
            label(None),
            file.path,
            notes.join(", ")
        )?;
    }
    Ok(())
}

/// On a terminal, offers the untracked modified and unowned files for tracking and tracks the
/// chosen ones; otherwise says how. A modified file without a pristine copy is offered but not
/// picked: tracking it would take the edited file as upstream.
fn offer_tracking(ctx: &Ctx, report: &ScanReport, initialised: bool) -> Result<()> {
    let offered = report.trackable();
    if offered.is_empty() {
        return Ok(());
    }
    if !initialised {
        ctx.say(tr!(
            "hint: `jitsi-custom init` tracks the files admins customise; then keep others with `jitsi-custom track PATH…`"
        ));
        hint_pristine(ctx, report);
        return Ok(());
    }
    let labels: Vec<String> = offered
        .iter()
        .map(|(path, keeps)| match keeps {
            true => path.to_string(),
            false => tr!("{path}  (no pristine copy: the edit would become upstream)", path),
        })
        .collect();
    let choices: Vec<&str> = labels.iter().map(String::as_str).collect();
    let picked_first: Vec<bool> = offered.iter().map(|(_, keeps)| *keeps).collect();
    let picked = match ctx.prompt.multi_select(
        &tr!("Track these files? (space: pick or drop, enter: go on)"),
        &choices,
        &picked_first,
    ) {
        Ok(picked) => picked,
        Err(crate::Error::NotInteractive(_)) => {
            ctx.say(tr!(
                "hint: keep them with `jitsi-custom track PATH…`, then `jitsi-custom record -m \"what it is\"`"
            ));
            hint_pristine(ctx, report);
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    if picked.is_empty() {
        return Ok(());
    }
    let chosen: Vec<PathBuf> = picked
        .iter()
        .map(|&i| PathBuf::from(offered[i].0.to_string()))
        .collect();
    super::track::run_track(ctx, super::track::TrackArgs::of(chosen))?;
    Ok(())
}

/// How to get a pristine copy for modified files that have none.
pub(super) fn hint_pristine(ctx: &Ctx, report: &ScanReport) {
    let packages = report.packages_without_pristine();
    if !packages.is_empty() {
        ctx.say(tr!(
            "hint: for a file without a pristine copy, first put its package into apt's cache (`apt-get install --reinstall --download-only {packages}`), or keep the untouched file as FILE.BKP, so that `track` keeps the edit as a customisation",
            packages = packages.join(" ")
        ));
    }
}
