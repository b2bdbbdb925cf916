//! `jitsi-custom hook <step>`: what the apt hook (`/etc/apt/apt.conf.d/80jitsi-custom`) runs at
//! each step of an apt run. Whatever happens, the step exits 0 so that apt never fails because of
//! this tool; a problem is one line `jitsi-custom: …` on stderr saying what needs attention.

use std::io::Read;
use std::panic::AssertUnwindSafe;

use crate::tr;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::hook::{aptrun, steps};

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
    fn consequence(self) -> String {
        match self {
            HookStep::PreInvoke => tr!("edits were not recorded before this apt run"),
            HookStep::PreInstallPkgs => {
                tr!("pristine new files were not kept; `jitsi-custom rebase` finds them after the upgrade")
            }
            HookStep::PostInvoke => tr!("customisations were not carried; run `jitsi-custom rebase`"),
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
            "{}",
            tr!(
                "jitsi-custom: {step}: internal error ({message}); {consequence}",
                step = step.name(),
                message,
                consequence = step.consequence()
            )
        );
    }));
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| match step {
        HookStep::PreInvoke => pre_invoke(ctx),
        HookStep::PreInstallPkgs => {
            // Drain apt's pipe first, whatever comes next.
            let mut input = Vec::new();
            let read = std::io::stdin().lock().read_to_end(&mut input);
            read.with_context(|| tr!("cannot read the package list from apt"))
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
    let message = crate::i18n::shown_chain(err).replace('\n', "; ");
    eprintln!("jitsi-custom: {}: {message}; {}", step.name(), step.consequence());
}

/// Which step a parsed command line names, if it is a hook step.
pub fn step_of(args: &HookArgs) -> HookStep {
    args.step
}

fn pre_invoke(ctx: &Ctx) -> Result<()> {
    let report = steps::pre_invoke(&ctx.root, &ctx.state_dir, ctx.dry_run, &|| {
        ctx.open_store_for_writing()
    })?;
    if let Some((name, paths)) = report.recorded {
        let paths: Vec<String> = paths.iter().map(ToString::to_string).collect();
        let (name, paths) = (format!("{name:?}"), paths.join(", "));
        ctx.say(if ctx.dry_run {
            tr!("jitsi-custom: would record {name}: {paths}", name, paths)
        } else {
            tr!("jitsi-custom: recorded {name}: {paths}", name, paths)
        });
    }
    Ok(())
}

fn pre_install_pkgs(ctx: &Ctx, input: &str) -> Result<()> {
    steps::pre_install_pkgs(&ctx.root, &ctx.state_dir, input, ctx.dry_run, &|| {
        ctx.open_store_for_writing()
    })
}

fn post_invoke(ctx: &Ctx) -> Result<()> {
    let report = steps::post_invoke(
        &ctx.root,
        &ctx.state_dir,
        ctx.dry_run,
        &|| ctx.open_store_for_writing(),
        &|| ctx.open_store(),
    )?;
    if !report.held_again.is_empty() {
        ctx.say(tr!(
            "jitsi-custom: held {packages} again (this apt run released them)",
            packages = report.held_again.join(" ")
        ));
    }
    if let Some(why) = &report.hold_failed {
        ctx.say(tr!("jitsi-custom: {why}; run `jitsi-custom hold`", why));
    }
    if ctx.dry_run && !report.changed.is_empty() {
        ctx.say(tr!("jitsi-custom: {n} tracked files changed during the apt run"
            | "jitsi-custom: {n} tracked files changed during the apt run"
                % report.changed.len()));
        return Ok(());
    }
    if !report.carry {
        return Ok(());
    }
    carry_customisations(ctx, report.changed)
}

/// Carries the customisations onto the files that changed during the apt run. The files that
/// changed are upstream's new content (dpkg and maintainer scripts wrote them), never the
/// admin's edits: those were recorded by pre-invoke. The pristine content pre-install-pkgs read
/// out of the archives is taken in, then forgotten.
pub fn carry_customisations(ctx: &Ctx, upstream_changed_files: Vec<InstallPath>) -> Result<()> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let pending = steps::pending_upstream(&store, &manifest)?;
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
        ctx.say(tr!(
            "jitsi-custom: decisions wait for you; meanwhile your side of each conflict is live; run `jitsi-custom resolve`"
        ));
        if !ctx.dry_run {
            super::report::deliver(
                ctx,
                &store,
                super::report::Occasion::AptRun,
                &format!(
                    "{}\n",
                    tr!(
                        "an apt run brought new Jitsi files; some customisations need a decision (their fallbacks are live)"
                    )
                ),
            );
        }
    }
    Ok(())
}
