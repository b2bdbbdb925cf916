//! `jitsi-custom upgrade`: the maintenance window as one command, rolled back if any step fails.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::live;
use crate::engine::rebase::{self, Options};
use crate::engine::record;
use crate::store::Store;
use crate::store::oplog::Operation;
use crate::store::parked::{Notice, NoticeKind};
use crate::system::apt::{self, KEEP_CONFFILES, Selection};
use crate::system::{deb, dpkg::Dpkg, services};

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
}

/// A window that would have left decisions for a person, unattended.
#[derive(Debug)]
struct Postponed {
    decisions: Vec<(String, InstallPath)>,
}

impl std::fmt::Display for Postponed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "postponed: {} decision(s) need you — run `jitsi-custom upgrade` on a terminal",
            self.decisions.len()
        )
    }
}

impl std::error::Error for Postponed {}

/// What the window did, for the summary.
#[derive(Default, serde::Serialize)]
struct Summary {
    upgraded: BTreeMap<String, (String, String)>,
    written: Vec<InstallPath>,
    restarted: Vec<String>,
    parked: Vec<String>,
    rolled_back: bool,
    /// Rolled back because a decision needs a person.
    postponed: bool,
    failure: Option<String>,
}

pub fn run(ctx: &Ctx, args: UpgradeArgs) -> Result<Outcome> {
    if ctx.root != std::path::Path::new("/") {
        bail!(crate::Error::Usage(format!(
            "upgrade runs apt-get on this machine; it cannot work on the root {}",
            ctx.root.display()
        )));
    }
    if ctx.dry_run {
        bail!(crate::Error::Usage(
            "upgrade has no dry run\nhint: `jitsi-custom rebase --dry-run` shows what a rebase would write"
                .into()
        ));
    }
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let progress = |step: &str| ctx.say(format_args!("==> {step}"));

    progress("recording unrecorded edits");
    record::protect_edits(
        &ctx.root,
        &store,
        &manifest,
        &ctx.dpkg()?,
        "edits found before upgrade",
        &[],
    )?;
    let start = state_as_found(ctx, &store, &manifest)?;
    let dpkg = ctx.dpkg()?;
    let set: Vec<String> = manifest
        .package_set()
        .into_iter()
        .filter(|name| dpkg.package(name).is_some())
        .collect();
    let before = versions(&dpkg, &set);
    let hooks_off = [(super::hook::HOOKS_OFF, "1")];
    let dpkg_copies_before = dpkg_copies(ctx, &manifest);

    if !args.no_update {
        progress("apt-get update");
        apt::apt_get(&["update", "-q"], &hooks_off)?;
    }
    if args.system {
        progress("upgrading the rest of the system (the Jitsi packages stay held)");
        apt::set_selections(&ctx.root, &set, Selection::Hold)?;
        let mut cmd = vec!["upgrade", "-y", "-q"];
        cmd.extend_from_slice(KEEP_CONFFILES);
        apt::apt_get(&cmd, &hooks_off)?;
    }

    let mut summary = Summary::default();
    let result = window(ctx, &store, &set, &before, &hooks_off, &args, &mut summary);
    if let Err(err) = &result
        && let Some(postponed) = err.downcast_ref::<Postponed>()
    {
        progress("a decision needs a person: putting the previous version back");
        let restore = roll_back(ctx, &store, &start, &before, &dpkg_copies_before, &hooks_off);
        summary.rolled_back = restore.is_ok();
        summary.postponed = true;
        hold(ctx, &set);
        restore?;
        let mut review = store.review()?;
        review.notices.retain(|n| n.kind != NoticeKind::Postponed);
        for (customisation, path) in &postponed.decisions {
            review.add_notice(Notice {
                path: path.clone(),
                customisation: customisation.clone(),
                kind: NoticeKind::Postponed,
                setting: None,
                message: format!(
                    "the upgrade to {} waits for your decision here: run `jitsi-custom upgrade` on a terminal",
                    upgraded_versions(&summary)
                ),
            });
        }
        store.save_review(&review)?;
        store.log_operation(
            &ctx.root,
            "review",
            &format!("postponed: {} decision(s)", postponed.decisions.len()),
            store.refs_now()?,
            &live::snapshot(&ctx.root, &store.load_manifest()?)?,
        )?;
        print_summary(ctx, &summary)?;
        ctx.say(format_args!("{postponed}"));
        report_to_person(ctx, &store, &format!("{postponed}"), &summary);
        return Ok(Outcome::Attention);
    }
    if let Err(err) = result {
        summary.failure = Some(format!("{err:#}"));
        progress("something failed: rolling back");
        let restore = roll_back(ctx, &store, &start, &before, &dpkg_copies_before, &hooks_off);
        summary.rolled_back = restore.is_ok();
        hold(ctx, &set);
        print_summary(ctx, &summary)?;
        report_to_person(ctx, &store, &format!("upgrade failed: {err:#}"), &summary);
        return match restore {
            Ok(()) => Err(err.context(format!("upgrade failed; rolled back to {}", start.short_id()))),
            Err(restore_err) => Err(err.context(format!(
                "upgrade failed, and rolling back failed too: {restore_err:#}\nhint: `jitsi-custom log` and `jitsi-custom rollback {}`",
                start.short_id()
            ))),
        };
    }
    hold(ctx, &set);
    let mut review = store.review()?;
    let before_notices = review.notices.len();
    review.notices.retain(|n| n.kind != NoticeKind::Postponed);
    if review.notices.len() != before_notices {
        store.save_review(&review)?;
        store.log_operation(
            &ctx.root,
            "review",
            "the postponed upgrade went through",
            store.refs_now()?,
            &live::snapshot(&ctx.root, &store.load_manifest()?)?,
        )?;
    }
    print_summary(ctx, &summary)?;
    if !summary.parked.is_empty() {
        report_to_person(
            ctx,
            &store,
            "upgraded; decisions wait for a person (their fallbacks are live)",
            &summary,
        );
    }
    Ok(if summary.parked.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Attention
    })
}

/// The operation a rolled-back window returns to: the latest one, or, when the manifest or the
/// review list was edited by hand since (`mail_to` added, a notice acknowledged), a new one that
/// holds them as found. Regression: the rollback of a postponed window restored the manifest of
/// the last operation, dropping a `mail_to` added by hand, so the report was never mailed.
fn state_as_found(ctx: &Ctx, store: &Store, manifest: &crate::store::Manifest) -> Result<Operation> {
    let latest = store
        .operations()?
        .into_iter()
        .next()
        .context("the operation log is empty")?;
    let snapshot = store.operation_snapshot(&latest)?;
    let now = |name: &str| std::fs::read(store.dir().join(name)).unwrap_or_default();
    if snapshot.manifest == now(crate::store::manifest::FILE_NAME)
        && snapshot.parked == now(crate::store::parked::PARKED_FILE)
    {
        return Ok(latest);
    }
    store.log_operation(
        &ctx.root,
        "upgrade",
        "the manifest and review list as found before the maintenance window",
        store.refs_now()?,
        &live::snapshot(&ctx.root, manifest)?,
    )?;
    store
        .operations()?
        .into_iter()
        .next()
        .context("the operation log is empty")
}

/// The part of the window that is rolled back when it fails.
fn window(
    ctx: &Ctx,
    store: &Store,
    set: &[String],
    before: &BTreeMap<String, String>,
    hooks_off: &[(&str, &str)],
    args: &UpgradeArgs,
    summary: &mut Summary,
) -> Result<()> {
    let manifest = store.load_manifest()?;
    let before_files = content_ids(ctx, &manifest)?;

    ctx.say(format_args!("==> upgrading {}", set.join(" ")));
    apt::set_selections(&ctx.root, set, Selection::Install)?;
    let mut cmd = vec!["install", "-y", "-q", "--only-upgrade"];
    cmd.extend_from_slice(KEEP_CONFFILES);
    cmd.extend(set.iter().map(String::as_str));
    apt::apt_get(&cmd, hooks_off)?;

    let dpkg = ctx.dpkg()?;
    for (name, new) in versions(&dpkg, set) {
        if let Some(old) = before.get(&name)
            && *old != new
        {
            summary.upgraded.insert(name, (old.clone(), new));
        }
    }
    // What changed during the apt run came from the packages (dpkg, maintainer scripts).
    let after_files = content_ids(ctx, &manifest)?;
    let changed: Vec<InstallPath> = manifest
        .files
        .iter()
        .map(|f| f.path.clone())
        .filter(|p| before_files.get(p) != after_files.get(p))
        .collect();

    ctx.say("==> carrying the customisations onto the new files");
    let resolver = super::conflict::resolver_for(ctx, ctx.merge_tool(&manifest));
    let opts = Options {
        changed_by_packages: changed,
        pending_upstream: BTreeMap::new(),
        resolver: resolver.as_ref(),
        dry_run: false,
    };
    let report = rebase::rebase(&ctx.root, store, &manifest, &dpkg, &opts)?;
    summary.written = report.written.clone();
    summary.parked = report
        .parked()
        .map(|f| format!("{} in {}", f.customisation, f.path))
        .collect();
    // Never weaker, unattended: a window that needs a person does not go live on fallbacks
    // unless the admin said so.
    if !summary.parked.is_empty() && !ctx.prompt.is_interactive() && !args.accept_fallbacks {
        return Err(Postponed {
            decisions: report
                .parked()
                .map(|f| (f.customisation.clone(), f.path.clone()))
                .collect(),
        }
        .into());
    }

    ctx.say("==> restarting what changed");
    summary.restarted = ctx.restart_services(&report.services)?;

    ctx.say("==> checking the services");
    for service in &summary.restarted {
        if !services::is_active(service)? {
            bail!("{service} is not running after the restart");
        }
    }
    for url in &manifest.health_urls {
        services::check_url(url)?;
    }
    Ok(())
}

/// Puts the previous package versions back where apt can still get them (cache or repository),
/// then the tracked files and the store as the window found them.
fn roll_back(
    ctx: &Ctx,
    store: &Store,
    start: &Operation,
    before: &BTreeMap<String, String>,
    dpkg_copies_before: &[InstallPath],
    hooks_off: &[(&str, &str)],
) -> Result<()> {
    let dpkg = Dpkg::read(&ctx.root)?;
    let mut wanted = Vec::new();
    for (name, version) in before {
        match dpkg.package(name) {
            Some(pkg) if pkg.version == *version && pkg.state == "installed" => {}
            _ => wanted.push(format!("{name}={version}")),
        }
    }
    if !wanted.is_empty() {
        ctx.say(format_args!("==> reinstalling {}", wanted.join(" ")));
        let mut cmd = vec![
            "install",
            "-y",
            "-q",
            "--allow-downgrades",
            "--allow-change-held-packages",
        ];
        cmd.extend_from_slice(KEEP_CONFFILES);
        cmd.extend(wanted.iter().map(String::as_str));
        if let Err(apt_err) = apt::apt_get(&cmd, hooks_off) {
            reinstall_from_cache(ctx, &dpkg, before).map_err(|e| apt_err.context(format!("{e:#}")))?;
        }
    }
    ctx.say(format_args!(
        "==> restoring the tracked files as {} left them",
        start.short_id()
    ));
    crate::engine::undo::return_to(&ctx.root, store, start)?;
    let manifest = store.load_manifest()?;
    // The failed and the reinstalled packages leave their conffiles beside the local ones.
    for copy in dpkg_copies(ctx, &manifest) {
        if !dpkg_copies_before.contains(&copy) {
            crate::system::fs::remove(&ctx.root, &copy)
                .map_err(|e| crate::system::fs::path_error(&copy, e))?;
        }
    }
    let paths: Vec<InstallPath> = manifest.files.iter().map(|f| f.path.clone()).collect();
    ctx.restart_services(&rebase::services_for(&manifest, &paths))?;
    Ok(())
}

/// The previous versions' archives from apt's cache, installed with dpkg.
fn reinstall_from_cache(ctx: &Ctx, dpkg: &Dpkg, before: &BTreeMap<String, String>) -> Result<()> {
    let mut debs = Vec::new();
    for (name, version) in before {
        let arch = dpkg
            .package(name)
            .map(|p| p.architecture.clone())
            .unwrap_or_else(|| "all".into());
        match deb::cached_deb(&ctx.root, name, version, &arch) {
            Some(path) => debs.push(path),
            None => bail!("{name} {version} is neither in apt's cache nor installable from the repositories"),
        }
    }
    let status = crate::system::process::status(
        std::process::Command::new("dpkg")
            .args(["-i", "--force-confdef", "--force-confold", "--force-downgrade"])
            .args(&debs)
            .env(super::hook::HOOKS_OFF, "1")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(std::process::Stdio::null()),
        crate::system::process::limit(std::time::Duration::from_secs(1800)),
    )?;
    if !status.success() {
        bail!("dpkg -i of the previous versions failed ({status})");
    }
    Ok(())
}

/// Holds the set again; a failure here is reported, not fatal: the window's work stands.
fn hold(ctx: &Ctx, set: &[String]) {
    ctx.say("==> holding the Jitsi packages again");
    if let Err(e) = apt::set_selections(&ctx.root, set, Selection::Hold) {
        ctx.warn(format_args!(
            "cannot hold the Jitsi packages again: {e:#}\nhint: `jitsi-custom hold`"
        ));
    }
}

/// The `.dpkg-dist` / `.dpkg-new` copies dpkg left beside tracked files.
fn dpkg_copies(ctx: &Ctx, manifest: &crate::store::Manifest) -> Vec<InstallPath> {
    manifest
        .files
        .iter()
        .flat_map(|f| [f.path.with_suffix(".dpkg-dist"), f.path.with_suffix(".dpkg-new")])
        .filter(|p| p.under(&ctx.root).is_file())
        .collect()
}

fn versions(dpkg: &Dpkg, set: &[String]) -> BTreeMap<String, String> {
    set.iter()
        .filter_map(|n| dpkg.package(n).map(|p| (n.clone(), p.version.clone())))
        .collect()
}

fn content_ids(
    ctx: &Ctx,
    manifest: &crate::store::Manifest,
) -> Result<BTreeMap<InstallPath, Option<crate::store::Oid>>> {
    manifest
        .files
        .iter()
        .map(|f| {
            Ok((
                f.path.clone(),
                live::read(&ctx.root, &f.path)?.map(|c| crate::store::blob_id_of(&c)),
            ))
        })
        .collect()
}

fn upgraded_versions(summary: &Summary) -> String {
    let versions: Vec<String> = summary
        .upgraded
        .iter()
        .map(|(name, (_, new))| format!("{name} {new}"))
        .collect();
    if versions.is_empty() {
        "the new version".into()
    } else {
        versions.join(", ")
    }
}

/// Mails (when `mail_to` is set) and logs what a person must know after an unattended window.
fn report_to_person(ctx: &Ctx, store: &Store, headline: &str, summary: &Summary) {
    let mut body = format!("{headline}\n\n");
    for (name, (old, new)) in &summary.upgraded {
        if summary.rolled_back {
            body.push_str(&format!("{name} {new} was tried; {old} is installed again\n"));
        } else {
            body.push_str(&format!("{name} {old} → {new}\n"));
        }
    }
    for parked in &summary.parked {
        body.push_str(&format!("needs a decision: {parked}\n"));
    }
    if summary.rolled_back {
        body.push_str("the previous packages and files were put back; the Jitsi packages are held\n");
    }
    super::report::deliver(ctx, store, "maintenance window", &body);
}

fn print_summary(ctx: &Ctx, summary: &Summary) -> Result<()> {
    if ctx.json {
        return ctx.print_json(summary);
    }
    let mut out = ctx.out();
    // After a rollback the window's writes are undone: say what was tried, not what stands.
    if summary.rolled_back {
        for (name, (old, new)) in &summary.upgraded {
            writeln!(out, "tried {name} {new}; {old} is installed again")?;
        }
    } else {
        for (name, (old, new)) in &summary.upgraded {
            writeln!(out, "upgraded {name} {old} → {new}")?;
        }
        for path in &summary.written {
            writeln!(out, "wrote {path}")?;
        }
        for service in &summary.restarted {
            writeln!(out, "restarted {service}")?;
        }
    }
    for parked in &summary.parked {
        writeln!(out, "PARKED {parked}")?;
    }
    if summary.rolled_back {
        writeln!(out, "rolled back")?;
    }
    if summary.postponed {
        writeln!(
            out,
            "postponed: the previous version stays until the decisions are made"
        )?;
    }
    if summary.upgraded.is_empty() && summary.failure.is_none() {
        writeln!(out, "the Jitsi packages are up to date")?;
    }
    Ok(())
}
