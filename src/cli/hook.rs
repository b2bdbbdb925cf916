//! `jitsi-custom hook <step>`: what the apt hook (`/etc/apt/apt.conf.d/80jitsi-custom`) runs at
//! each step of an apt run. Whatever happens, the step exits 0 so that apt never fails because of
//! this tool; a problem is one line `jitsi-custom: …` on stderr saying what needs attention.

use std::io::Read;
use std::panic::AssertUnwindSafe;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::hook::aptrun::{self, AptRun};
use crate::engine::hook::protocol;
use crate::engine::record::{self, Into};
use crate::engine::status;
use crate::store::Manifest;

/// The steps of the apt hook.
///
/// apt runs them through `/etc/apt/apt.conf.d/80jitsi-custom` (`jitsi-custom install-hooks` puts it
/// there); there is no need to run them by hand.
///
/// - `pre-invoke`, before dpkg runs: records edits of tracked files that no customisation
///   holds yet, as a customisation named after the apt command ("edits before apt: apt upgrade"),
///   and notes how every tracked file looks. Cheap (stat calls only) when nothing moved since
///   the last apt run.
/// - `pre-install-pkgs`, with the package list on stdin (apt's protocol version 3): reads the
///   pristine new content of tracked files out of the `.deb` archives before dpkg unpacks them.
/// - `post-invoke`, after dpkg: finds the tracked files that changed during the apt run (the
///   packages' doing, not the admin's) and carries the customisations onto them. Cheap when no
///   Jitsi package and no tracked file changed.
///
/// Every step exits 0, even when it fails: a failing hook would make apt fail. A problem is
/// reported as one line on stderr. Nothing asks questions except post-invoke when apt runs at a
/// terminal and --non-interactive is not given. Nothing is done before `jitsi-custom init`.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// Seconds the step may take before it gives up (one line, exit 0).
    #[arg(long, value_name = "SECONDS", env = "JITSI_CUSTOM_HOOK_BUDGET")]
    pub budget: Option<u64>,

    /// Set by `jitsi-custom upgrade` for the apt it runs, which does the hook's work around it:
    /// the step does nothing.
    #[arg(long, env = crate::engine::hook::IN_UPGRADE_ENV, value_parser = clap::builder::FalseyValueParser::new())]
    in_upgrade: bool,

    #[command(subcommand)]
    step: HookStep,
}

#[derive(Clone, Copy, Debug, Subcommand)]
pub enum HookStep {
    /// Before dpkg runs (DPkg::Pre-Invoke): record unrecorded edits, note every tracked file.
    PreInvoke,
    /// Before dpkg unpacks (DPkg::Pre-Install-Pkgs, protocol version 3 on stdin): keep the
    /// pristine new content of tracked files from the package archives.
    PreInstallPkgs,
    /// After dpkg ran (DPkg::Post-Invoke): carry the customisations onto what changed.
    PostInvoke,
}

impl HookStep {
    fn name(self) -> &'static str {
        match self {
            HookStep::PreInvoke => "pre-invoke",
            HookStep::PreInstallPkgs => "pre-install-pkgs",
            HookStep::PostInvoke => "post-invoke",
        }
    }

    /// What a failure of the step means for the admin.
    fn consequence(self) -> &'static str {
        match self {
            HookStep::PreInvoke => "edits were not recorded before this apt run",
            HookStep::PreInstallPkgs => {
                "pristine new files were not kept; `jitsi-custom rebase` finds them after the upgrade"
            }
            HookStep::PostInvoke => "customisations were not carried; run `jitsi-custom rebase`",
        }
    }
}

pub fn run(ctx: &Ctx, args: HookArgs) -> Result<Outcome> {
    let step = args.step;
    // `jitsi-custom upgrade` runs apt itself and does the hook's work around it.
    if args.in_upgrade {
        return Ok(Outcome::Ok);
    }
    std::panic::set_hook(Box::new(move |info| {
        let message = info.to_string().replace('\n', " ");
        eprintln!(
            "jitsi-custom: {}: internal error ({message}); {}",
            step.name(),
            step.consequence()
        );
    }));
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| match step {
        HookStep::PreInvoke => pre_invoke(ctx),
        HookStep::PreInstallPkgs => {
            // Drain apt's pipe first, whatever comes next.
            let mut input = Vec::new();
            let read = std::io::stdin().lock().read_to_end(&mut input);
            read.context("cannot read the package list from apt")
                .and_then(|_| pre_install_pkgs(ctx, &String::from_utf8_lossy(&input)))
        }
        HookStep::PostInvoke => post_invoke(ctx),
    }));
    if let Ok(Err(err)) = result {
        report_failure(step, &err);
    }
    Ok(Outcome::Ok)
}

/// The one line a failed step leaves on stderr (also used when the command line itself could
/// not be resolved).
pub fn report_failure(step: HookStep, err: &anyhow::Error) {
    let message = format!("{err:#}").replace('\n', "; ");
    eprintln!("jitsi-custom: {}: {message}; {}", step.name(), step.consequence());
}

/// Which step a parsed command line names, if it is a hook step.
pub fn step_of(args: &HookArgs) -> HookStep {
    args.step
}

fn initialised(ctx: &Ctx) -> bool {
    ctx.state_dir.join("repo").is_dir()
}

/// The manifest without opening the repository (the fast path needs no git).
fn read_manifest(ctx: &Ctx) -> Result<Manifest> {
    Manifest::load(&ctx.state_dir.join(crate::store::manifest::FILE_NAME))
}

fn pre_invoke(ctx: &Ctx) -> Result<()> {
    if !initialised(ctx) {
        return Ok(());
    }
    let apt = aptrun::find_apt_process();
    let command = apt
        .as_ref()
        .map_or_else(|| "apt run".to_string(), |(c, _)| c.clone());
    // Fast path (invariant 4): nothing moved since the last marks, so nothing is unrecorded and
    // they serve this run too. No repository, no survey, no hashing, no fsync.
    if !ctx.dry_run {
        let _lock = crate::store::lock_state_dir(&ctx.state_dir)?;
        if let Some(previous) = AptRun::load(&ctx.state_dir)
            && let Some(run) = aptrun::reopen_if_unchanged(
                &ctx.root,
                &ctx.state_dir,
                &previous,
                &command,
                apt.as_ref().map(|(_, p)| *p),
            )?
        {
            return run.save(&ctx.state_dir);
        }
        // The lock is let go here; the full path takes it again with the store.
    }
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let dpkg = ctx.dpkg()?;
    let survey = status::survey(&ctx.root, &store, &manifest, &dpkg)?;
    let edits = record::unrecorded_edits(&ctx.root, &survey, &[])?;
    if !edits.is_empty() {
        let name = format!("edits before apt: {command}");
        let paths: Vec<String> = edits.iter().map(|(p, _)| p.to_string()).collect();
        if ctx.dry_run {
            ctx.say(format_args!(
                "jitsi-custom: would record {name:?}: {}",
                paths.join(", ")
            ));
            return Ok(());
        }
        record::record_edits(
            &ctx.root,
            &store,
            &manifest,
            "apt-hook",
            &name,
            &edits,
            Into::NewPatch,
        )?;
        ctx.say(format_args!(
            "jitsi-custom: recorded {name:?}: {}",
            paths.join(", ")
        ));
    }
    if ctx.dry_run {
        return Ok(());
    }
    let run = aptrun::mark_before(
        &ctx.root,
        &ctx.state_dir,
        &manifest,
        &survey,
        &dpkg,
        &command,
        apt.map(|(_, p)| p),
        AptRun::load(&ctx.state_dir),
    )?;
    run.save(&ctx.state_dir)
}

fn pre_install_pkgs(ctx: &Ctx, input: &str) -> Result<()> {
    if !initialised(ctx) {
        return Ok(());
    }
    let info = protocol::parse(input);
    let manifest = read_manifest(ctx)?;
    if aptrun::packages_with_tracked_files(&manifest, &info).is_empty() {
        return Ok(());
    }
    if ctx.dry_run {
        return Ok(());
    }
    let _store = ctx.open_store_for_writing()?;
    let apt = aptrun::find_apt_process();
    let mut run = match AptRun::load(&ctx.state_dir) {
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
    let problems = aptrun::keep_upstream_from_debs(&ctx.root, &ctx.state_dir, &manifest, &info, &mut run)?;
    run.save(&ctx.state_dir)?;
    if let Some(first) = problems.first() {
        anyhow::bail!("cannot read {} package archive(s): {first}", problems.len());
    }
    Ok(())
}

fn post_invoke(ctx: &Ctx) -> Result<()> {
    if !initialised(ctx) {
        return Ok(());
    }
    let apt = aptrun::find_apt_process().map(|(_, p)| p);
    let run = AptRun::load(&ctx.state_dir).filter(|r| r.is_open_for(apt));
    let Some(mut run) = run else {
        // No pre-invoke saw this run: ask the survey what packages overwrote or brought.
        let store = ctx.open_store()?;
        let manifest = store.load_manifest()?;
        let survey = status::survey(&ctx.root, &store, &manifest, &ctx.dpkg()?)?;
        let changed: Vec<InstallPath> = survey
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
        if changed.is_empty() {
            return Ok(());
        }
        return carry_customisations(ctx, changed);
    };
    // Fast path: stats, and the dpkg status only when dpkg rewrote it.
    let moved = aptrun::what_moved(&ctx.root, &run)?;
    if moved.is_empty() {
        return Ok(());
    }
    hold_again(ctx, &run);
    let manifest = read_manifest(ctx)?;
    let changed = aptrun::changed_during_run(&ctx.root, &manifest, &run, &moved)?;
    if ctx.dry_run {
        ctx.say(format_args!(
            "jitsi-custom: {} tracked files changed during the apt run",
            changed.len()
        ));
        return Ok(());
    }
    {
        let _store = ctx.open_store_for_writing()?;
        run.finished = Some(crate::store::now_secs());
        run.changed = changed.iter().map(ToString::to_string).collect();
        run.save(&ctx.state_dir)?;
    }
    // A watched package moved although no tracked file did: a conffile kept with
    // --force-confold has its new content beside it (`.dpkg-dist`) or under pending-upstream.
    // Regression: that new content was only taken in when some other tracked file changed too.
    if changed.is_empty() && moved.packages.is_empty() {
        return Ok(());
    }
    carry_customisations(ctx, changed)
}

/// Holds again the packages apt released during this run (`--allow-change-held-packages`): the
/// admin held them, and one apt command line does not undo that.
fn hold_again(ctx: &Ctx, run: &AptRun) {
    if run.held.is_empty() || ctx.dry_run {
        return;
    }
    let released: Vec<String> = match ctx.dpkg() {
        Ok(dpkg) => run
            .held
            .iter()
            .filter(|name| dpkg.package(name).is_some_and(|p| !p.is_held()))
            .cloned()
            .collect(),
        Err(_) => return,
    };
    if released.is_empty() {
        return;
    }
    match crate::system::apt::set_selections(&ctx.root, &released, crate::system::apt::Selection::Hold) {
        Ok(()) => ctx.say(format_args!(
            "jitsi-custom: held {} again (this apt run released them)",
            released.join(" ")
        )),
        Err(e) => ctx.say(format_args!(
            "jitsi-custom: cannot hold {} again: {e:#}; run `jitsi-custom hold`",
            released.join(" ")
        )),
    }
}

/// Carries the customisations onto the files that changed during the apt run. The files that
/// changed are upstream's new content (dpkg and maintainer scripts wrote them), never the
/// admin's edits: those were recorded by pre-invoke. The pristine content pre-install-pkgs read
/// out of the archives is taken in, then forgotten.
pub fn carry_customisations(ctx: &Ctx, upstream_changed_files: Vec<InstallPath>) -> Result<()> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let mut pending = std::collections::BTreeMap::new();
    for file in &manifest.files {
        if let Some(content) = aptrun::pending_upstream(store.dir(), &file.path)? {
            pending.insert(file.path.clone(), content);
        }
    }
    // Conflicts are asked about when apt runs on a terminal, parked otherwise. The report goes
    // to stderr: a hook keeps stdout clean.
    let outcome = super::rebase::carry(
        ctx,
        &store,
        &manifest,
        upstream_changed_files,
        pending,
        true,
        &mut std::io::stderr().lock(),
    )?;
    if !ctx.dry_run {
        aptrun::clear_pending_upstream(store.dir())?;
    }
    if outcome == Outcome::Attention {
        ctx.say(
            "jitsi-custom: decisions wait for you; meanwhile your side of each conflict is live; run `jitsi-custom resolve`",
        );
        if !ctx.dry_run {
            super::report::deliver(
                ctx,
                &store,
                "apt run",
                "an apt run brought new Jitsi files; some customisations need a decision (their fallbacks are live)\n",
            );
        }
    }
    Ok(())
}
