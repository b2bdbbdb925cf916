//! `jitsi-custom track` / `untrack`: add files to, or remove them from, what is kept.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::{live, track};
use crate::error::Error;

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
    let mut manifest = store.load_manifest()?;
    let dpkg = ctx.dpkg()?;
    let mut new_files = Vec::new();
    for path in expand_directories(ctx, &args.paths)? {
        if manifest.is_tracked(&path)
            || new_files
                .iter()
                .any(|(f, _): &(crate::store::TrackedFile, _)| f.path == path)
        {
            ctx.say(format_args!("{path}: already tracked"));
            continue;
        }
        let Some(content) = live::read(&ctx.root, &path)? else {
            return Err(Error::BadPath {
                path: path.to_string(),
                reason: "does not exist".into(),
            }
            .into());
        };
        let file = track::describe(path, &dpkg, &manifest)?;
        new_files.push((file, Some(content)));
    }
    if new_files.is_empty() || ctx.dry_run {
        for (file, _) in &new_files {
            ctx.say(format_args!("would track {}", file.path));
        }
        return Ok(Outcome::Ok);
    }
    let tracked = track::track_files(&ctx.root, &store, &mut manifest, &dpkg, new_files)?;
    for file in &tracked {
        if let Some(warning) = &file.taken_as_upstream {
            ctx.warn(warning);
        }
    }
    for file in &tracked {
        ctx.say(format_args!("tracking {}", file.path));
    }
    for file in tracked.iter().filter(|f| f.unrecorded) {
        let path = &file.path;
        ctx.say(format_args!("{path}: has edits not recorded yet\nhint: record them with `jitsi-custom record -m \"what it is\" {path}`"));
    }
    Ok(Outcome::Ok)
}

/// The install paths named on the command line, with a directory standing for every regular file
/// below it (links not followed; dpkg's and the guide's backup copies left out).
fn expand_directories(ctx: &Ctx, args: &[PathBuf]) -> Result<Vec<InstallPath>> {
    let mut paths = Vec::new();
    for arg in args {
        let path = InstallPath::from_user(arg, &ctx.root, &ctx.cwd)?;
        let on_disk = path.under(&ctx.root);
        let is_dir = std::fs::symlink_metadata(&on_disk).is_ok_and(|m| m.is_dir());
        if !is_dir {
            paths.push(path);
            continue;
        }
        let mut found: Vec<InstallPath> = Vec::new();
        for entry in walkdir::WalkDir::new(&on_disk)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| Error::BadPath {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
            let name = entry.file_name().to_string_lossy();
            let backup = [".dpkg-dist", ".dpkg-new", ".dpkg-old", ".BKP"]
                .iter()
                .any(|s| name.ends_with(s));
            if entry.file_type().is_file() && !backup {
                let rel = entry.path().strip_prefix(&ctx.root).unwrap_or(entry.path());
                found.push(InstallPath::parse(&rel.to_string_lossy())?);
            }
        }
        if found.is_empty() {
            return Err(Error::BadPath {
                path: path.to_string(),
                reason: "is a directory without files".into(),
            }
            .into());
        }
        paths.extend(found);
    }
    Ok(paths)
}

pub fn run_untrack(ctx: &Ctx, args: UntrackArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let mut manifest = store.load_manifest()?;
    let mut paths = Vec::new();
    for arg in &args.paths {
        let path = InstallPath::from_user(arg, &ctx.root, &ctx.cwd)?;
        // As `track` of a tracked file: nothing to do, said so (running it twice is harmless).
        if !manifest.is_tracked(&path) {
            ctx.say(format_args!("{path}: not tracked; nothing to do"));
            continue;
        }
        paths.push(path);
    }
    if paths.is_empty() {
        return Ok(Outcome::Ok);
    }
    let patches = store.patches()?;
    let mut dropped = Vec::new();
    for path in &paths {
        let names: Vec<String> = patches
            .iter()
            .filter(|p| p.paths.iter().any(|changed| changed == path.as_rel()))
            .map(|p| format!("{:?}", p.name))
            .collect();
        if names.is_empty() {
            continue;
        }
        if !args.drop_customisation {
            return Err(Error::Usage(format!(
                "{path}: untracking it would drop its customisation(s) {}\nhint: keep it tracked, or drop them with `jitsi-custom untrack --drop-customisation {path}` (the operation log keeps them)",
                names.join(", ")
            ))
            .into());
        }
        dropped.push((path.clone(), names));
    }
    if ctx.dry_run {
        for path in &paths {
            ctx.say(format_args!("would untrack {path}"));
        }
        return Ok(Outcome::Ok);
    }
    let before = store.refs_now()?;
    let mut meta = store.upstream_meta(None)?;
    for path in &paths {
        manifest.untrack(path);
        meta.files.remove(&path.to_string());
    }
    let removals: Vec<(&str, Option<&[u8]>)> = paths.iter().map(|p| (p.as_rel(), None)).collect();
    let new_upstream = store.commit_upstream(&removals, &meta)?;
    store.restack(&patches, new_upstream, &removals)?;
    store.save_manifest(&manifest)?;
    let names: Vec<String> = paths.iter().map(ToString::to_string).collect();
    store.log_operation(
        &ctx.root,
        "untrack",
        &names.join(" "),
        before,
        &live::snapshot(&ctx.root, &manifest)?,
    )?;
    for path in &paths {
        ctx.say(format_args!("no longer tracking {path}"));
    }
    for (path, names) in &dropped {
        ctx.say(format_args!(
            "{path}: dropped the customisation(s) {}",
            names.join(", ")
        ));
    }
    Ok(Outcome::Ok)
}
