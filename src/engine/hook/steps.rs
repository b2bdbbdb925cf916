//! What each step of an apt run decides: pre-invoke records the admin's edits and notes every
//! tracked file, pre-install-pkgs keeps the pristine new content from the archives, post-invoke
//! finds what the packages changed. The store is opened only when a step has work (`open`), so
//! that a step with nothing to do costs a few stat calls and no repository.

use std::collections::BTreeMap;
use std::path::Path;

use crate::tr;
use anyhow::Result;

use super::aptrun::{self, AptRun};
use super::protocol;
use crate::InstallPath;
use crate::engine::record::{self, Into};
use crate::engine::status;
use crate::store::{Manifest, Store};
use crate::system::dpkg::Dpkg;

/// Whether `init` has run: before it, every step does nothing.
pub fn initialised(state_dir: &Path) -> bool {
    state_dir.join("repo").is_dir()
}

/// The manifest without opening the repository (the fast path needs no git).
fn read_manifest(state_dir: &Path) -> Result<Manifest> {
    Manifest::load(&state_dir.join(crate::store::manifest::FILE_NAME))
}

/// What pre-invoke did.
#[derive(Debug, Default)]
pub struct PreInvoke {
    /// The customisation the unrecorded edits became (in a dry run: would become), and their
    /// paths.
    pub recorded: Option<(String, Vec<InstallPath>)>,
}

/// Before dpkg runs: records the tracked files' unrecorded edits as one customisation named after
/// the apt command, and notes how every tracked file looks for post-invoke. When nothing moved
/// since the last marks, they serve this run too: no repository, no hashing, no fsync.
pub fn pre_invoke(
    root: &Path,
    state_dir: &Path,
    dry_run: bool,
    open: &dyn Fn() -> Result<Store>,
) -> Result<PreInvoke> {
    let mut report = PreInvoke::default();
    if !initialised(state_dir) {
        return Ok(report);
    }
    let apt = aptrun::find_apt_process();
    let command = apt
        .as_ref()
        .map_or_else(|| "apt run".to_string(), |(c, _)| c.clone());
    // Fast path (invariant 4).
    if !dry_run {
        let _lock = crate::store::lock_state_dir(state_dir)?;
        if let Some(previous) = AptRun::load(state_dir)
            && let Some(run) = aptrun::reopen_if_unchanged(
                root,
                state_dir,
                &previous,
                &command,
                apt.as_ref().map(|(_, p)| *p),
            )?
        {
            run.save(state_dir)?;
            return Ok(report);
        }
        // The lock is let go here; the full path takes it again with the store.
    }
    let store = open()?;
    let manifest = store.load_manifest()?;
    let dpkg = Dpkg::read(root)?;
    let survey = status::survey(root, &store, &manifest, &dpkg)?;
    let edits = record::unrecorded_edits(root, &survey, &[])?;
    if !edits.is_empty() {
        let name = format!("edits before apt: {command}");
        let paths: Vec<InstallPath> = edits.iter().map(|(p, _)| p.clone()).collect();
        if !dry_run {
            record::record_edits(root, &store, &manifest, "apt-hook", &name, &edits, Into::NewPatch)?;
        }
        report.recorded = Some((name, paths));
    }
    if dry_run {
        return Ok(report);
    }
    let run = aptrun::mark_before(
        root,
        state_dir,
        &manifest,
        &survey,
        &dpkg,
        &command,
        apt.map(|(_, p)| p),
        AptRun::load(state_dir),
    )?;
    run.save(state_dir)?;
    Ok(report)
}

/// Before dpkg unpacks (apt's protocol version 3 in `input`): keeps the pristine new content of
/// tracked files out of the archives. A package archive that cannot be read is an error after
/// the others were kept.
pub fn pre_install_pkgs(
    root: &Path,
    state_dir: &Path,
    input: &str,
    dry_run: bool,
    open: &dyn Fn() -> Result<Store>,
) -> Result<()> {
    if !initialised(state_dir) {
        return Ok(());
    }
    let info = protocol::parse(input);
    let manifest = read_manifest(state_dir)?;
    if aptrun::packages_with_tracked_files(&manifest, &info).is_empty() || dry_run {
        return Ok(());
    }
    let _store = open()?;
    let apt = aptrun::find_apt_process();
    let mut run = match AptRun::load(state_dir) {
        Some(run) if run.is_open_for(apt.as_ref().map(|(_, p)| *p)) => run,
        // No pre-invoke of this run: keep the pending content, note nothing else.
        previous => AptRun {
            format: 1,
            command: info
                .command_line()
                .map(str::to_string)
                .or_else(|| apt.as_ref().map(|(c, _)| c.clone()))
                .unwrap_or_else(|| "apt run".into()),
            apt_process: None,
            started: crate::store::now_secs(),
            finished: Some(crate::store::now_secs()),
            upstream: previous.map(|p| p.upstream).unwrap_or_default(),
            ..AptRun::default()
        },
    };
    let problems = aptrun::keep_upstream_from_debs(root, state_dir, &manifest, &info, &mut run)?;
    run.save(state_dir)?;
    if let Some(first) = problems.first() {
        anyhow::bail!(
            "{}",
            tr!(
                "cannot read {n} package archive(s): {first}"
                    | "cannot read {n} package archive(s): {first}" % problems.len(),
                first
            )
        );
    }
    Ok(())
}

/// What post-invoke found.
#[derive(Debug, Default)]
pub struct PostInvoke {
    /// Whether the customisations are to be carried onto `changed` (and the pending upstream
    /// content pre-install-pkgs kept).
    pub carry: bool,
    /// The tracked files that changed during the apt run: upstream's new content.
    pub changed: Vec<InstallPath>,
    /// Packages held again after this apt run released them.
    pub held_again: Vec<String>,
    /// Why holding them again failed.
    pub hold_failed: Option<String>,
}

/// After dpkg ran: the tracked files that changed during the apt run, and whether the
/// customisations are to be carried onto them. Packages this run released from their hold are
/// held again.
pub fn post_invoke(
    root: &Path,
    state_dir: &Path,
    dry_run: bool,
    open: &dyn Fn() -> Result<Store>,
    open_to_read: &dyn Fn() -> Result<Store>,
) -> Result<PostInvoke> {
    let mut report = PostInvoke::default();
    if !initialised(state_dir) {
        return Ok(report);
    }
    let apt = aptrun::find_apt_process().map(|(_, p)| p);
    let run = AptRun::load(state_dir).filter(|r| r.is_open_for(apt));
    let Some(mut run) = run else {
        // No pre-invoke saw this run: ask the survey what packages overwrote or brought.
        let store = open_to_read()?;
        let manifest = store.load_manifest()?;
        let survey = status::survey(root, &store, &manifest, &Dpkg::read(root)?)?;
        report.changed = survey
            .files
            .iter()
            .filter(|f| {
                matches!(
                    f.state,
                    status::FileState::Overwritten | status::FileState::UpstreamChanged
                )
            })
            .map(|f| f.path.clone())
            .collect();
        report.carry = !report.changed.is_empty();
        return Ok(report);
    };
    // Fast path: stats, and the dpkg status only when dpkg rewrote it.
    let moved = aptrun::what_moved(root, &run)?;
    if moved.is_empty() {
        return Ok(report);
    }
    if !dry_run {
        hold_again(root, &run, &mut report);
    }
    let manifest = read_manifest(state_dir)?;
    report.changed = aptrun::changed_during_run(root, &manifest, &run, &moved)?;
    if dry_run {
        return Ok(report);
    }
    {
        let _store = open()?;
        run.finished = Some(crate::store::now_secs());
        run.changed = report.changed.iter().map(ToString::to_string).collect();
        run.save(state_dir)?;
    }
    // A watched package moved although no tracked file did: a conffile kept with
    // --force-confold has its new content beside it (`.dpkg-dist`) or under pending-upstream.
    // Regression: that new content was only taken in when some other tracked file changed too.
    report.carry = !report.changed.is_empty() || !moved.packages.is_empty();
    Ok(report)
}

/// Holds again the packages apt released during this run (`--allow-change-held-packages`): the
/// admin held them, and one apt command line does not undo that.
fn hold_again(root: &Path, run: &AptRun, report: &mut PostInvoke) {
    if run.held.is_empty() {
        return;
    }
    let Ok(dpkg) = Dpkg::read(root) else {
        return;
    };
    let released: Vec<String> = run
        .held
        .iter()
        .filter(|name| dpkg.package(name).is_some_and(|p| !p.is_held()))
        .cloned()
        .collect();
    if released.is_empty() {
        return;
    }
    match crate::system::apt::set_selections(root, &released, crate::system::apt::Selection::Hold) {
        Ok(()) => report.held_again = released,
        Err(e) => {
            report.hold_failed = Some(tr!(
                "cannot hold {packages} again: {error}",
                packages = released.join(" "),
                error = format!("{e:#}")
            ))
        }
    }
}

/// The pristine content pre-install-pkgs read out of the archives for the tracked files.
pub fn pending_upstream(store: &Store, manifest: &Manifest) -> Result<BTreeMap<InstallPath, Vec<u8>>> {
    let mut pending = BTreeMap::new();
    for file in &manifest.files {
        if let Some(content) = aptrun::pending_upstream(store.dir(), &file.path)? {
            pending.insert(file.path.clone(), content);
        }
    }
    Ok(pending)
}
