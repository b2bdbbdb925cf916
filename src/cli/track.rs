//! `jitsi-custom track` / `untrack`: add files to, or remove them from, what is kept.

use std::path::PathBuf;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::track;

/// Keep customisations of more files.
///
/// Any regular file under the root, text or binary, also one that no package ships (a new logo). A
/// directory stands for every file below it. Its pristine content is taken from dpkg where a
/// package owns it; edits already in it show as `unrecorded` until you `record` them.
#[derive(Debug, Args)]
pub struct TrackArgs {
    /// Files to track (absolute install paths like /usr/share/jitsi-meet/interface_config.js).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

impl TrackArgs {
    /// `track PATH…` for paths another verb found (`scan`).
    pub(super) fn of(paths: Vec<PathBuf>) -> TrackArgs {
        TrackArgs { paths }
    }
}

/// Stop keeping customisations of files
///
/// The live files are left as they are. A file with recorded customisations is only untracked
/// with --drop-customisation: they are dropped from the stack (the operation log still has them).
#[derive(Debug, Args)]
pub struct UntrackArgs {
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Untrack files with recorded customisations too, dropping those customisations.
    #[arg(long, visible_alias = "force")]
    drop_customisation: bool,
}

pub fn run_track(ctx: &Ctx, args: TrackArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let paths = user_paths(ctx, &args.paths)?;
    let paths = track::expand_directories(&ctx.root, &paths)?;
    let report = track::track(&ctx.root, &store, &ctx.dpkg()?, &paths, ctx.dry_run)?;
    for path in &report.already {
        ctx.say(tr!("{path}: already tracked", path));
    }
    for warning in &report.warnings {
        ctx.warn(warning);
    }
    for path in &report.tracked {
        ctx.say(if ctx.dry_run {
            tr!("would track {path}", path)
        } else {
            tr!("tracking {path}", path)
        });
    }
    if !ctx.dry_run {
        for path in &report.unrecorded {
            ctx.say(tr!(
                "{path}: has edits not recorded yet\nhint: record them with `jitsi-custom record -m \"what it is\" {path}`",
                path
            ));
        }
    }
    Ok(Outcome::Ok)
}

pub fn run_untrack(ctx: &Ctx, args: UntrackArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let paths = user_paths(ctx, &args.paths)?;
    let report = track::untrack(&ctx.root, &store, &paths, args.drop_customisation, ctx.dry_run)?;
    // As `track` of a tracked file: nothing to do, said so (running it twice is harmless).
    for path in &report.not_tracked {
        ctx.say(tr!("{path}: not tracked; nothing to do", path));
    }
    if ctx.dry_run {
        for path in &report.untracked {
            ctx.say(tr!("would untrack {path}", path));
        }
        return Ok(Outcome::Ok);
    }
    for path in &report.untracked {
        ctx.say(tr!("no longer tracking {path}", path));
    }
    for (path, names) in &report.dropped {
        ctx.say(tr!(
            "{path}: dropped the customisation(s) {names}"
                | "{path}: dropped the customisation(s) {names}" % names.len(),
            path,
            names = names.join(", ")
        ));
    }
    Ok(Outcome::Ok)
}

/// The paths as typed, as install paths under the root.
fn user_paths(ctx: &Ctx, args: &[PathBuf]) -> Result<Vec<InstallPath>> {
    args.iter()
        .map(|arg| Ok(InstallPath::from_user(arg, &ctx.root, &ctx.cwd)?))
        .collect()
}
