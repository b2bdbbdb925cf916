//! `jitsi-custom import`: take in a series of patch files as customisations.

use std::path::PathBuf;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::exchange::{self, ImportOptions, ImportOutcome};
use crate::error::Error;

/// Take in a series of patch files as customisations.
///
/// DIR is a series as `jitsi-custom export` writes it (a `series` file listing git-style patch
/// files in order). Each patch becomes a customisation on top of the stack, named by its
/// `Subject:` line (else by its file name), and the live files are written, validated, in one
/// operation that `jitsi-custom rollback` undoes. Files no package ships that a patch creates
/// are tracked.
///
/// Import is all or nothing: a patch with a `..` path, a path outside the Jitsi trees
/// (/usr/share/jitsi-meet, /etc/jitsi, /etc/prosody, /etc/nginx, /etc/turnserver.conf; tracked
/// files and --allow aside), a symlink or device, more than `max_file_size` bytes, a change that
/// does not apply cleanly to the current files, or a result that does not validate is refused
/// with one line naming it, and then nothing is written. The tracked files a patch changes must
/// have no unrecorded edits.
///
/// A customisation of the same name already on the stack is skipped when it has exactly the
/// patch's changes (importing a series twice changes nothing) and refused otherwise: change the
/// patch's `Subject:` line to import it under another name.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory holding the series.
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Let patches change files under this path outside the Jitsi trees (repeatable).
    #[arg(long, value_name = "PATH")]
    allow: Vec<PathBuf>,

    /// Do not restart or reload the services that read the files written.
    #[arg(long)]
    no_restart: bool,
}

pub fn run(ctx: &Ctx, args: ImportArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let opts = ImportOptions {
        allow: args
            .allow
            .iter()
            .map(|p| InstallPath::from_user(p, &ctx.root, &ctx.cwd))
            .collect::<Result<_, _>>()?,
        dry_run: ctx.dry_run,
    };
    let dir = ctx.cwd.join(&args.dir);
    let report = match exchange::import_series(&ctx.root, &store, &manifest, &ctx.dpkg()?, &dir, &opts)? {
        ImportOutcome::Imported(report) => report,
        ImportOutcome::Refused(refusals) => {
            for refusal in &refusals {
                ctx.say(tr!(
                    "refused: {patch}: {reason}",
                    patch = refusal.patch,
                    reason = crate::i18n::shown(&refusal.reason)
                ));
            }
            return Err(Error::Usage(tr!(
                "nothing was imported from {dir}: {n} refusal(s)\nhint: fix or leave out the patch files named above"
                    | "nothing was imported from {dir}: {n} refusal(s)\nhint: fix or leave out the patch files named above"
                    % refusals.len(),
                dir = dir.display()
            ))
            .into());
        }
    };
    let restarted = if !args.no_restart && !ctx.dry_run {
        ctx.restart_services(&report.services)?
    } else {
        Vec::new()
    };
    if ctx.json {
        ctx.print_json(&report)?;
        return Ok(Outcome::Ok);
    }
    for path in &report.tracked {
        ctx.say(if ctx.dry_run {
            tr!("would track {path}", path)
        } else {
            tr!("track {path}", path)
        });
    }
    for entry in &report.present {
        ctx.say(tr!(
            "{file}: {name} is already there",
            file = entry.file,
            name = format!("{:?}", entry.name)
        ));
    }
    for entry in &report.imported {
        let paths = entry
            .paths
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let (name, file) = (format!("{:?}", entry.name), &entry.file);
        ctx.say(if ctx.dry_run {
            tr!("would import {name} ({file}): {paths}", name, file, paths)
        } else {
            tr!("imported {name} ({file}): {paths}", name, file, paths)
        });
    }
    for path in &report.written {
        ctx.say(if ctx.dry_run {
            tr!("would write {path}", path)
        } else {
            tr!("write {path}", path)
        });
    }
    for service in &restarted {
        ctx.say(tr!("restarted {services}", services = service));
    }
    if report.imported.is_empty() {
        ctx.say(tr!(
            "nothing to import: every customisation of the series is there already"
        ));
    }
    Ok(Outcome::Ok)
}
