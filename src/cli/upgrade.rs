//! `jitsi-custom upgrade`: the maintenance window as one command, rolled back if any step fails.

use std::io::Write;

use crate::tr;
use anyhow::{Result, bail};
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::upgrade::{self, Ended, Summary, WindowOptions};
use crate::store::Store;

/// Run a maintenance window unattended.
///
/// It records unrecorded edits, refreshes the package lists, release and upgrade the Jitsi packages
/// (keeping local conffiles), carry the customisations onto the new files, validate, restart what
/// changed, check that those services run, and hold the packages again. If any step fails, the
/// customised files and the previous package versions (from apt's cache or repository) are put
/// back, the packages are held, and the exit status is 3.
///
/// Conflicts are asked about on a terminal. Without one, a window that would leave a decision
/// for a person is postponed instead of going live weaker: the previous packages and files are
/// put back, the packages held, the report mailed (`mail_to` in the manifest) and logged, and
/// the exit status is 1 — run `jitsi-custom upgrade` on a terminal to decide. With
/// --accept-fallbacks the new version stays, each open decision on its fallback (your side of
/// each conflict, else the file as customised before). The systemd timer
/// `jitsi-custom-upgrade.timer` runs this on Sundays at 03:00 (`jitsi-custom install-hooks`).
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Upgrade the rest of the system first (`apt-get upgrade`; the Jitsi packages stay held).
    #[arg(long)]
    system: bool,

    /// Do not run `apt-get update` first.
    #[arg(long)]
    no_update: bool,

    /// Keep the new version even when a decision waits for a person (its fallback is live).
    #[arg(long)]
    accept_fallbacks: bool,

    /// The docker-jitsi-meet variant: `docker compose pull`, rebase onto the new image (the
    /// overlay files, custom-*.js, the override), `docker compose up -d`, then take in the
    /// configs the new web container generated. Without a person, a decision that waits
    /// leaves the running containers as they are (exit 1).
    #[arg(long)]
    docker: bool,
}

pub fn run(ctx: &Ctx, args: UpgradeArgs) -> Result<Outcome> {
    if ctx.dry_run {
        bail!(crate::Error::Usage(tr!(
            "upgrade has no dry run\nhint: `jitsi-custom rebase --dry-run` shows what a rebase would write"
        )));
    }
    if args.docker {
        return run_docker(ctx, &args);
    }
    if ctx.root != std::path::Path::new("/") {
        bail!(crate::Error::Usage(tr!(
            "upgrade runs apt-get on this machine; it cannot work on the root {root}",
            root = ctx.root.display()
        )));
    }
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let resolver = super::conflict::resolver_for(ctx, ctx.merge_tool(&manifest));
    let progress = |step: &str| ctx.say(format_args!("==> {step}"));
    let opts = WindowOptions {
        system: args.system,
        update: !args.no_update,
        accept_fallbacks: args.accept_fallbacks,
        resolver: resolver.as_ref(),
        interactive: ctx.prompt.is_interactive(),
        restart: ctx.restart_policy(),
        progress: &progress,
    };
    let (ended, summary) = upgrade::run_window(&ctx.root, &store, &opts)?;
    for warning in &summary.warnings {
        ctx.warn(warning);
    }
    print_summary(ctx, &summary)?;
    match ended {
        Ended::Upgraded if summary.parked.is_empty() => Ok(Outcome::Ok),
        Ended::Upgraded => {
            report_to_person(
                ctx,
                &store,
                &tr!("upgraded; decisions wait for a person (their fallbacks are live)"),
                &summary,
            );
            Ok(Outcome::Attention)
        }
        Ended::Postponed { decisions } => {
            let headline = tr!(
                "postponed: {n} decision(s) need you — run `jitsi-custom upgrade` on a terminal"
                    | "postponed: {n} decision(s) need you — run `jitsi-custom upgrade` on a terminal"
                        % decisions
            );
            ctx.say(&headline);
            report_to_person(ctx, &store, &headline, &summary);
            Ok(Outcome::Attention)
        }
        Ended::Failed {
            error,
            restore,
            start,
        } => {
            report_to_person(
                ctx,
                &store,
                &tr!(
                    "upgrade failed: {error}",
                    error = crate::i18n::shown_chain(&error)
                ),
                &summary,
            );
            match restore {
                Ok(()) => Err(error.context(tr!("upgrade failed; rolled back to {start}", start))),
                Err(restore_err) => Err(error.context(tr!(
                    "upgrade failed, and rolling back failed too: {error}\nhint: `jitsi-custom log` and `jitsi-custom rollback {start}`",
                    error = crate::i18n::shown_chain(&restore_err),
                    start
                ))),
            }
        }
    }
}

/// Mails (when `mail_to` is set) and logs what a person must know after an unattended window.
fn report_to_person(ctx: &Ctx, store: &Store, headline: &str, summary: &Summary) {
    let mut body = format!("{headline}\n\n");
    for (name, (old, new)) in &summary.upgraded {
        if summary.rolled_back {
            body.push_str(&tr!(
                "{name} {new} was tried; {old} is installed again",
                name,
                new,
                old
            ));
            body.push('\n');
        } else {
            body.push_str(&format!("{name} {old} → {new}\n"));
        }
    }
    for parked in &summary.parked {
        body.push_str(&tr!("needs a decision: {parked}", parked));
        body.push('\n');
    }
    if summary.rolled_back {
        body.push_str(&tr!(
            "the previous packages and files were put back; the Jitsi packages are held"
        ));
        body.push('\n');
    }
    super::report::deliver(ctx, store, super::report::Occasion::MaintenanceWindow, &body);
}

fn print_summary(ctx: &Ctx, summary: &Summary) -> Result<()> {
    if ctx.json {
        return ctx.print_json(summary);
    }
    let mut out = ctx.out();
    // After a rollback the window's writes are undone: say what was tried, not what stands.
    if summary.rolled_back {
        for (name, (old, new)) in &summary.upgraded {
            writeln!(
                out,
                "{}",
                tr!("tried {name} {new}; {old} is installed again", name, new, old)
            )?;
        }
    } else {
        for (name, (old, new)) in &summary.upgraded {
            writeln!(out, "{}", tr!("upgraded {name} {old} → {new}", name, old, new))?;
        }
        for path in &summary.written {
            writeln!(out, "{}", tr!("wrote {path}", path))?;
        }
        for service in &summary.restarted {
            writeln!(out, "{}", tr!("restarted {services}", services = service))?;
        }
    }
    for parked in &summary.parked {
        writeln!(out, "{}", tr!("PARKED {parked}", parked))?;
    }
    if summary.rolled_back {
        writeln!(out, "{}", tr!("rolled back"))?;
    }
    if summary.postponed {
        writeln!(
            out,
            "{}",
            tr!("postponed: the previous version stays until the decisions are made")
        )?;
    }
    if summary.upgraded.is_empty() && summary.failure.is_none() {
        writeln!(out, "{}", tr!("the Jitsi packages are up to date"))?;
    }
    Ok(())
}

/// `upgrade --docker`.
fn run_docker(ctx: &Ctx, args: &UpgradeArgs) -> Result<Outcome> {
    use crate::engine::docker::{self, UpgradeOptions, Upgraded};
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let resolver = super::conflict::resolver_for(ctx, ctx.merge_tool(&manifest));
    let progress = |step: &str| ctx.say(format_args!("==> {step}"));
    let opts = UpgradeOptions {
        resolver: resolver.as_ref(),
        interactive: ctx.prompt.is_interactive(),
        accept_fallbacks: args.accept_fallbacks,
        pull: !args.no_update,
        progress: &progress,
    };
    let (ended, reports) = docker::upgrade(&ctx.root, &store, &manifest, &ctx.dpkg()?, &opts)?;
    for report in &reports {
        super::rebase::print_report(ctx, &mut ctx.out(), report, &[])?;
    }
    Ok(match ended {
        Upgraded::Started if reports.iter().all(|r| r.parked().next().is_none()) => Outcome::Ok,
        Upgraded::Started => Outcome::Attention,
        Upgraded::Postponed { decisions } => {
            ctx.say(tr!(
                "postponed: {n} decision(s) need you; the new image is pulled and the overlays are rebased, the running containers were left as they are — run `jitsi-custom resolve`, then `docker compose up -d`"
                    | "postponed: {n} decision(s) need you; the new image is pulled and the overlays are rebased, the running containers were left as they are — run `jitsi-custom resolve`, then `docker compose up -d`"
                    % decisions
            ));
            Outcome::Attention
        }
    })
}
