//! `jitsi-custom watch`: record edits of tracked files as they happen.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use crate::tr;
use anyhow::{Context, Result};
use clap::Args;
use notify::{RecursiveMode, Watcher};

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::record::{self, Into};
use crate::engine::status;
use crate::error::Error;

/// Record edits of tracked files as they happen.
///
/// Every edit is recorded as soon as the file has settled, as the customisation "edits seen by
/// watch" (rename or fold them later with `record --into`). Runs until interrupted. Edits made by jitsi-custom itself or by packages are not recorded: only
/// what `status` calls unrecorded is.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Seconds a file must stay unchanged before its edit is recorded.
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    settle: u64,
}

pub fn run(ctx: &Ctx, args: WatchArgs) -> Result<Outcome> {
    let manifest = ctx.open_store()?.load_manifest()?;
    let tracked: Vec<(PathBuf, InstallPath)> = manifest
        .files
        .iter()
        .map(|f| (f.path.under(&ctx.root), f.path.clone()))
        .collect();
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).with_context(|| tr!("cannot watch files"))?;
    // Editors replace files by renaming over them: watch the directories, not the files.
    let dirs: BTreeSet<PathBuf> = tracked
        .iter()
        .filter_map(|(p, _)| p.parent().map(PathBuf::from))
        .filter(|d| d.is_dir())
        .collect();
    for dir in &dirs {
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .with_context(|| tr!("cannot watch {dir}", dir = dir.display()))?;
    }
    ctx.say(tr!("watching {n} tracked files; Ctrl-C stops"
        | "watching {n} tracked files; Ctrl-C stops" % tracked.len()));
    let settle = Duration::from_secs(args.settle.max(1));
    let mut pending: BTreeSet<InstallPath> = BTreeSet::new();
    loop {
        match rx.recv_timeout(settle) {
            Ok(Ok(event)) => {
                for path in &event.paths {
                    if let Some((_, install)) = tracked.iter().find(|(p, _)| p == path) {
                        pending.insert(install.clone());
                    }
                }
            }
            Ok(Err(e)) => ctx.warn(tr!("watching: {error}", error = e)),
            Err(mpsc::RecvTimeoutError::Timeout) if !pending.is_empty() => {
                match record_settled(ctx, &pending) {
                    Ok(()) => pending.clear(),
                    // apt or another run holds the state dir: try again after the next pause.
                    Err(e) if matches!(e.downcast_ref(), Some(Error::Locked { .. })) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(Outcome::Ok),
        }
    }
}

fn record_settled(ctx: &Ctx, paths: &BTreeSet<InstallPath>) -> Result<()> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let only: Vec<InstallPath> = paths.iter().filter(|p| manifest.is_tracked(p)).cloned().collect();
    if only.is_empty() {
        return Ok(());
    }
    let survey = status::survey(&ctx.root, &store, &manifest, &ctx.dpkg()?)?;
    let edits: Vec<_> = record::unrecorded_edits(&ctx.root, &survey, &[])?
        .into_iter()
        .filter(|(p, _)| only.contains(p))
        .collect();
    if edits.is_empty() {
        return Ok(());
    }
    record::record_edits(
        &ctx.root,
        &store,
        &manifest,
        "record",
        "edits seen by watch",
        &edits,
        Into::NewPatch,
    )?;
    for (path, _) in &edits {
        ctx.say(tr!("recorded the edit of {path}", path));
    }
    Ok(())
}
