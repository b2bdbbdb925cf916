//! `jitsi-custom install-hooks` / `uninstall-hooks`: put the apt hook and the maintenance
//! window's systemd units in place, or take them away.

use std::io::Write;
use std::path::Path;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::hook_files::{self as files, Action, FileChange};
use crate::system::services;

/// Put the apt hook and the maintenance window in place.
///
/// These are `/etc/apt/apt.conf.d/80jitsi-custom` (records edits before dpkg runs and carries the
/// customisations onto new package files after it) and the systemd units
/// `jitsi-custom-upgrade.service` / `.timer` in `/etc/systemd/system/` (Sunday 03:00).
///
/// With the Debian package installed, the snippet is already there and the units are the
/// package's (`/usr/lib/systemd/system`): they are enabled as they are, not copied.
///
/// On `/` the timer is enabled and started with `systemctl`; under another `--root` (an image, a
/// chroot) the `timers.target.wants` link is made as `systemctl enable` would. Change the time
/// with `systemctl edit jitsi-custom-upgrade.timer` (a drop-in survives reinstalls). Running it
/// again changes nothing; files that differ are replaced.
#[derive(Debug, Args)]
pub struct InstallHooksArgs {
    /// Install the timer but leave it disabled.
    #[arg(long)]
    no_enable: bool,
}

/// Remove exactly the files `install-hooks` put in place (and disable the timer on `/`)
///
/// Files already gone are fine.
#[derive(Debug, Args)]
pub struct UninstallHooksArgs {}

fn on_live_system(ctx: &Ctx) -> bool {
    ctx.root == Path::new("/")
}

pub fn run_install(ctx: &Ctx, args: InstallHooksArgs) -> Result<Outcome> {
    let mut changes = files::install(&ctx.root, ctx.dry_run)?;
    let mut outcome = Outcome::Ok;
    let mut warnings = Vec::new();
    if !args.no_enable {
        if on_live_system(ctx) {
            let was_enabled = files::hook_status(&ctx.root).timer;
            if !ctx.dry_run {
                let enabled =
                    services::daemon_reload().and_then(|()| services::enable_now(files::TIMER_UNIT));
                if let Err(e) = enabled {
                    warnings.push(tr!(
                        "cannot enable the timer: {error}\nhint: run `systemctl enable --now {unit}` once systemd runs",
                        error = crate::i18n::shown_chain(&e),
                        unit = files::TIMER_UNIT
                    ));
                    outcome = Outcome::Attention;
                }
            }
            let now_enabled = ctx.dry_run || files::hook_status(&ctx.root).timer;
            changes.push(FileChange {
                path: crate::InstallPath::parse(files::TIMER_WANTS_PATH)?,
                action: match (was_enabled, now_enabled) {
                    (true, _) => Action::Unchanged,
                    (false, true) => Action::Created,
                    (false, false) => Action::Absent,
                },
            });
        } else {
            changes.push(files::link_timer(&ctx.root, ctx.dry_run)?);
        }
    }
    if on_live_system(ctx) && !Path::new("/usr/bin/jitsi-custom").exists() {
        warnings.push(tr!(
            "the hooks call /usr/bin/jitsi-custom, which does not exist; they do nothing until it does\nhint: install the Debian package, or link the binary there"
        ));
        outcome = Outcome::Attention;
    }
    report(ctx, &changes)?;
    for warning in warnings {
        ctx.warn(warning);
    }
    Ok(outcome)
}

pub fn run_uninstall(ctx: &Ctx, _args: UninstallHooksArgs) -> Result<Outcome> {
    let timer_was_enabled = files::hook_status(&ctx.root).timer;
    if on_live_system(ctx) && timer_was_enabled && !ctx.dry_run {
        // Stops a running timer; the link goes with the files below either way.
        if let Err(e) = services::disable_now(files::TIMER_UNIT) {
            ctx.warn(tr!(
                "cannot disable the timer: {error}",
                error = crate::i18n::shown_chain(&e)
            ));
        }
    }
    let changes = files::uninstall(&ctx.root, ctx.dry_run)?;
    if on_live_system(ctx)
        && !ctx.dry_run
        && changes.iter().any(FileChange::changes_something)
        && let Err(e) = services::daemon_reload()
    {
        ctx.warn(crate::i18n::shown_chain(&e));
    }
    report(ctx, &changes)?;
    Ok(Outcome::Ok)
}

fn report(ctx: &Ctx, changes: &[FileChange]) -> Result<()> {
    if ctx.json {
        return ctx.print_json(&serde_json::json!({ "dry_run": ctx.dry_run, "files": changes }));
    }
    let words: Vec<String> = changes
        .iter()
        .map(|change| match (change.action, ctx.dry_run) {
            (Action::Created, false) => tr!("created"),
            (Action::Created, true) => tr!("would create"),
            (Action::Updated, false) => tr!("updated"),
            (Action::Updated, true) => tr!("would update"),
            (Action::Removed, false) => tr!("removed"),
            (Action::Removed, true) => tr!("would remove"),
            (Action::Unchanged, _) => tr!("unchanged"),
            (Action::Absent, _) => tr!("absent"),
        })
        .collect();
    // The English words fit in 13 columns; a longer translation widens the column.
    let width = words.iter().map(|w| w.chars().count()).max().unwrap_or(0).max(13);
    let mut out = ctx.out();
    for (change, word) in changes.iter().zip(&words) {
        writeln!(out, "{word:<width$} {}", change.path)?;
    }
    Ok(())
}
