//! The maintenance window as one workflow: record what is unrecorded, upgrade the Jitsi packages
//! with apt, carry the customisations onto the new files, restart and check what changed, hold
//! the packages again. Any failure puts the previous packages and files back; a window that
//! would leave a decision for a person, with nobody there, is postponed the same way (never
//! weaker, unattended).

use std::collections::BTreeMap;
use std::path::Path;

use crate::tr;
use anyhow::{Context, Result, bail};

use crate::InstallPath;
use crate::engine::hook::IN_UPGRADE_ENV;
use crate::engine::live;
use crate::engine::rebase::{self, Options, Resolver};
use crate::engine::record;
use crate::engine::services::{self, RestartPolicy};
use crate::store::oplog::Operation;
use crate::store::parked::{Notice, NoticeKind};
use crate::store::{Manifest, Store};
use crate::system::apt::{self, KEEP_CONFFILES, Selection};
use crate::system::{deb, dpkg, dpkg::Dpkg};

/// What the window is asked to do, and with whom.
pub struct WindowOptions<'a> {
    /// Upgrade the rest of the system first (the Jitsi packages stay held).
    pub system: bool,
    /// Run `apt-get update` first.
    pub update: bool,
    /// Keep the new version even when a decision waits for a person (its fallback is live).
    pub accept_fallbacks: bool,
    /// Decides conflicts (a person on a terminal, or parking).
    pub resolver: &'a dyn Resolver,
    /// Whether a person is there to decide.
    pub interactive: bool,
    pub restart: RestartPolicy,
    /// Told each step as it starts ("apt-get update"), in the reader's language.
    pub progress: &'a dyn Fn(&str),
}

/// What the window did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Package → (old, new version).
    pub upgraded: BTreeMap<String, (String, String)>,
    pub written: Vec<InstallPath>,
    pub restarted: Vec<String>,
    /// "customisation in path", for each decision left on its fallback (English: `--json`).
    pub parked: Vec<String>,
    pub rolled_back: bool,
    /// Rolled back because a decision needs a person.
    pub postponed: bool,
    pub failure: Option<String>,
    /// What a person should know that did not stop the window.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Summary {
    /// The new versions, for the review list's messages ("jitsi-meet-web 1.0.3-1"; English: the
    /// list is kept in the state directory).
    pub fn upgraded_versions(&self) -> String {
        let versions: Vec<String> = self
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
}

/// How a window ended.
#[derive(Debug)]
pub enum Ended {
    /// The new version is live (with decisions on their fallbacks when `summary.parked` lists
    /// some).
    Upgraded,
    /// Rolled back: a decision needs a person and nobody was there.
    Postponed { decisions: usize },
    /// Rolled back (or not even that: `restore`) because a step failed.
    Failed {
        error: anyhow::Error,
        restore: Result<()>,
        start: String,
    },
}

/// A window that would have left decisions for a person, unattended.
#[derive(Debug)]
struct Postponed {
    decisions: Vec<(String, InstallPath)>,
}

impl std::fmt::Display for Postponed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.decisions.len();
        f.write_str(&tr!(
            "postponed: {n} decision(s) need a person" | "postponed: {n} decision(s) need a person" % count
        ))
    }
}

impl std::error::Error for Postponed {}

/// Runs the window on this machine (`root` is `/`: apt-get runs here).
pub fn run_window(root: &Path, store: &Store, opts: &WindowOptions) -> Result<(Ended, Summary)> {
    let manifest = store.load_manifest()?;
    let progress = opts.progress;
    progress(&tr!("recording unrecorded edits"));
    record::protect_edits(
        root,
        store,
        &manifest,
        &Dpkg::read(root)?,
        "edits found before upgrade",
        &[],
    )?;
    let start = state_as_found(root, store, &manifest)?;
    let dpkg = Dpkg::read(root)?;
    let set: Vec<String> = manifest
        .package_set()
        .into_iter()
        .filter(|name| dpkg.package(name).is_some())
        .collect();
    let before = versions(&dpkg, &set);
    let hooks_off = [(IN_UPGRADE_ENV, "1")];
    let found = AsFound {
        versions: before.clone(),
        dpkg_copies: dpkg_copies(root, &manifest),
        conffiles: set
            .iter()
            .filter_map(|name| dpkg.package(name))
            .flat_map(|p| p.conffiles.keys().cloned())
            .collect(),
    };

    if opts.update {
        progress("apt-get update");
        apt::apt_get(&["update", "-q"], &hooks_off)?;
    }
    if opts.system {
        progress(&tr!(
            "upgrading the rest of the system (the Jitsi packages stay held)"
        ));
        apt::set_selections(root, &set, Selection::Hold)?;
        let mut cmd = vec!["upgrade", "-y", "-q"];
        cmd.extend_from_slice(KEEP_CONFFILES);
        apt::apt_get(&cmd, &hooks_off)?;
    }

    let mut summary = Summary::default();
    let result = window(root, store, &set, &before, opts, &mut summary);
    let Err(err) = result else {
        hold(root, &set, opts, &mut summary);
        forget_postponement(root, store, "the postponed upgrade went through")?;
        return Ok((Ended::Upgraded, summary));
    };
    if let Some(postponed) = err.downcast_ref::<Postponed>() {
        progress(&tr!(
            "a decision needs a person: putting the previous version back"
        ));
        let restore = roll_back(root, store, &start, &found, opts);
        summary.rolled_back = restore.is_ok();
        summary.postponed = true;
        hold(root, &set, opts, &mut summary);
        restore?;
        note_postponement(root, store, &postponed.decisions, &summary)?;
        let decisions = postponed.decisions.len();
        return Ok((Ended::Postponed { decisions }, summary));
    }
    summary.failure = Some(format!("{err:#}"));
    progress(&tr!("something failed: rolling back"));
    let restore = roll_back(root, store, &start, &found, opts);
    summary.rolled_back = restore.is_ok();
    hold(root, &set, opts, &mut summary);
    let ended = Ended::Failed {
        error: err,
        restore,
        start: start.short_id(),
    };
    Ok((ended, summary))
}

/// The postponed decisions on the review list, replacing earlier ones, as one operation.
fn note_postponement(
    root: &Path,
    store: &Store,
    decisions: &[(String, InstallPath)],
    summary: &Summary,
) -> Result<()> {
    let mut review = store.review()?;
    review.notices.retain(|n| n.kind != NoticeKind::Postponed);
    for (customisation, path) in decisions {
        review.add_notice(Notice {
            path: path.clone(),
            customisation: customisation.clone(),
            kind: NoticeKind::Postponed,
            setting: None,
            message: format!(
                "the upgrade to {} waits for your decision here: run `jitsi-custom upgrade` on a terminal",
                summary.upgraded_versions()
            ),
        });
    }
    store.save_review(&review)?;
    store.log_operation(
        root,
        "review",
        &format!("postponed: {} decision(s)", decisions.len()),
        store.refs_now()?,
        &live::snapshot(root, &store.load_manifest()?)?,
    )?;
    Ok(())
}

/// Drops the notices of an earlier postponement, once the window went through.
fn forget_postponement(root: &Path, store: &Store, why: &str) -> Result<()> {
    let mut review = store.review()?;
    let before = review.notices.len();
    review.notices.retain(|n| n.kind != NoticeKind::Postponed);
    if review.notices.len() == before {
        return Ok(());
    }
    store.save_review(&review)?;
    store.log_operation(
        root,
        "review",
        why,
        store.refs_now()?,
        &live::snapshot(root, &store.load_manifest()?)?,
    )?;
    Ok(())
}

/// The operation a rolled-back window returns to: the latest one, or, when the manifest or the
/// review list was edited by hand since (`mail_to` added, a notice acknowledged), a new one that
/// holds them as found. Regression: the rollback of a postponed window restored the manifest of
/// the last operation, dropping a `mail_to` added by hand, so the report was never mailed.
fn state_as_found(root: &Path, store: &Store, manifest: &Manifest) -> Result<Operation> {
    let latest = store
        .operations()?
        .into_iter()
        .next()
        .with_context(|| tr!("the operation log is empty"))?;
    let snapshot = store.operation_snapshot(&latest)?;
    let now = |name: &str| std::fs::read(store.dir().join(name)).unwrap_or_default();
    if snapshot.manifest == now(crate::store::manifest::FILE_NAME)
        && snapshot.parked == now(crate::store::parked::PARKED_FILE)
    {
        return Ok(latest);
    }
    store.log_operation(
        root,
        "upgrade",
        "the manifest and review list as found before the maintenance window",
        store.refs_now()?,
        &live::snapshot(root, manifest)?,
    )?;
    store
        .operations()?
        .into_iter()
        .next()
        .with_context(|| tr!("the operation log is empty"))
}

/// The part of the window that is rolled back when it fails.
fn window(
    root: &Path,
    store: &Store,
    set: &[String],
    before: &BTreeMap<String, String>,
    opts: &WindowOptions,
    summary: &mut Summary,
) -> Result<()> {
    let manifest = store.load_manifest()?;
    let before_files = content_ids(root, &manifest)?;

    (opts.progress)(&tr!("upgrading {packages}", packages = set.join(" ")));
    apt::set_selections(root, set, Selection::Install)?;
    let mut cmd = vec!["install", "-y", "-q", "--only-upgrade"];
    cmd.extend_from_slice(KEEP_CONFFILES);
    cmd.extend(set.iter().map(String::as_str));
    apt::apt_get(&cmd, &[(IN_UPGRADE_ENV, "1")])?;

    let dpkg = Dpkg::read(root)?;
    for (name, new) in versions(&dpkg, set) {
        if let Some(old) = before.get(&name)
            && *old != new
        {
            summary.upgraded.insert(name, (old.clone(), new));
        }
    }
    // What changed during the apt run came from the packages (dpkg, maintainer scripts).
    let after_files = content_ids(root, &manifest)?;
    let changed: Vec<InstallPath> = manifest
        .files
        .iter()
        .map(|f| f.path.clone())
        .filter(|p| before_files.get(p) != after_files.get(p))
        .collect();

    (opts.progress)(&tr!("carrying the customisations onto the new files"));
    let rebase_opts = Options {
        changed_by_packages: changed,
        pending_upstream: BTreeMap::new(),
        resolver: opts.resolver,
        dry_run: false,
        docker: None,
        replace: None,
    };
    let report = rebase::rebase(root, store, &manifest, &dpkg, &rebase_opts)?;
    summary.written = report.written.clone();
    summary.parked = report
        .parked()
        .map(|f| format!("{} in {}", f.customisation, f.path))
        .collect();
    // Never weaker, unattended: a window that needs a person does not go live on fallbacks
    // unless the admin said so.
    if !summary.parked.is_empty() && !opts.interactive && !opts.accept_fallbacks {
        return Err(Postponed {
            decisions: report
                .parked()
                .map(|f| (f.customisation.clone(), f.path.clone()))
                .collect(),
        }
        .into());
    }

    (opts.progress)(&tr!("restarting what changed"));
    summary.restarted = services::restart(opts.restart, &report.services)?.done;

    (opts.progress)(&tr!("checking the services"));
    for service in &summary.restarted {
        if !crate::system::services::is_active(service)? {
            bail!("{}", tr!("{service} is not running after the restart", service));
        }
    }
    for url in &manifest.health_urls {
        crate::system::services::check_url(url)?;
    }
    Ok(())
}

/// What a rolled-back window returns to, besides the store's operation.
struct AsFound {
    /// Package → version.
    versions: BTreeMap<String, String>,
    /// The `.dpkg-dist` / `.dpkg-new` copies beside tracked files.
    dpkg_copies: Vec<InstallPath>,
    /// The conffiles of the Jitsi packages.
    conffiles: std::collections::BTreeSet<String>,
}

/// Puts the previous package versions back where apt can still get them (cache or repository),
/// then the tracked files and the store as the window found them.
fn roll_back(
    root: &Path,
    store: &Store,
    start: &Operation,
    found: &AsFound,
    opts: &WindowOptions,
) -> Result<()> {
    let before = &found.versions;
    let dpkg = Dpkg::read(root)?;
    let mut wanted = Vec::new();
    for (name, version) in before {
        match dpkg.package(name) {
            Some(pkg) if pkg.version == *version && pkg.state == "installed" => {}
            _ => wanted.push(format!("{name}={version}")),
        }
    }
    if !wanted.is_empty() {
        (opts.progress)(&tr!("reinstalling {packages}", packages = wanted.join(" ")));
        let mut cmd = vec![
            "install",
            "-y",
            "-q",
            "--allow-downgrades",
            "--allow-change-held-packages",
        ];
        cmd.extend_from_slice(KEEP_CONFFILES);
        cmd.extend(wanted.iter().map(String::as_str));
        if let Err(apt_err) = apt::apt_get(&cmd, &[(IN_UPGRADE_ENV, "1")]) {
            reinstall_from_cache(root, &dpkg, before).map_err(|e| apt_err.context(format!("{e:#}")))?;
        }
    }
    (opts.progress)(&tr!(
        "restoring the tracked files as {operation} left them",
        operation = start.short_id()
    ));
    crate::engine::undo::return_to(root, store, start)?;
    let manifest = store.load_manifest()?;
    // The failed and the reinstalled packages leave their conffiles beside the local ones.
    for copy in dpkg_copies(root, &manifest) {
        if !found.dpkg_copies.contains(&copy) {
            crate::system::fs::remove(root, &copy).map_err(|e| crate::system::fs::path_error(&copy, e))?;
        }
    }
    remove_conffiles_the_window_brought(root, found)?;
    let paths: Vec<InstallPath> = manifest.files.iter().map(|f| f.path.clone()).collect();
    services::restart(opts.restart, &rebase::services_for(&manifest, &paths))?;
    Ok(())
}

/// Conffiles the tried versions brought and the previous ones do not ship: on a downgrade dpkg
/// keeps them (as obsolete), but a rolled-back window ends where it started. Removed only when
/// nobody changed them since dpkg put them there.
fn remove_conffiles_the_window_brought(root: &Path, found: &AsFound) -> Result<()> {
    let dpkg = Dpkg::read(root)?;
    for name in found.versions.keys() {
        let Some(package) = dpkg.package(name) else {
            continue;
        };
        for path in &package.retired_conffiles {
            if found.conffiles.contains(path) {
                continue;
            }
            let Ok(install_path) = InstallPath::parse(path) else {
                continue;
            };
            let unchanged = live::read(root, &install_path)?.is_some_and(|content| {
                Some(&crate::system::md5_hex(&content)) == package.conffiles.get(path)
            });
            if unchanged {
                crate::system::fs::remove(root, &install_path)
                    .map_err(|e| crate::system::fs::path_error(&install_path, e))?;
            }
        }
    }
    Ok(())
}

/// The previous versions' archives from apt's cache, installed with dpkg.
fn reinstall_from_cache(root: &Path, dpkg: &Dpkg, before: &BTreeMap<String, String>) -> Result<()> {
    let mut debs = Vec::new();
    for (name, version) in before {
        let arch = dpkg
            .package(name)
            .map(|p| p.architecture.clone())
            .unwrap_or_else(|| "all".into());
        match deb::cached_deb(root, name, version, &arch) {
            Some(path) => debs.push(path),
            None => bail!(
                "{}",
                tr!(
                    "{name} {version} is neither in apt's cache nor installable from the repositories",
                    name,
                    version
                )
            ),
        }
    }
    dpkg::install_archives(&debs, &[(IN_UPGRADE_ENV, "1")])
}

/// Holds the set again; a failure here is a warning, not a failure: the window's work stands.
fn hold(root: &Path, set: &[String], opts: &WindowOptions, summary: &mut Summary) {
    (opts.progress)(&tr!("holding the Jitsi packages again"));
    if let Err(e) = apt::set_selections(root, set, Selection::Hold) {
        summary.warnings.push(tr!(
            "cannot hold the Jitsi packages again: {error}\nhint: `jitsi-custom hold`",
            error = format!("{e:#}")
        ));
    }
}

/// The `.dpkg-dist` / `.dpkg-new` copies dpkg left beside tracked files.
fn dpkg_copies(root: &Path, manifest: &Manifest) -> Vec<InstallPath> {
    manifest
        .files
        .iter()
        .flat_map(|f| [f.path.with_suffix(".dpkg-dist"), f.path.with_suffix(".dpkg-new")])
        .filter(|p| p.under(root).is_file())
        .collect()
}

fn versions(dpkg: &Dpkg, set: &[String]) -> BTreeMap<String, String> {
    set.iter()
        .filter_map(|n| dpkg.package(n).map(|p| (n.clone(), p.version.clone())))
        .collect()
}

fn content_ids(root: &Path, manifest: &Manifest) -> Result<BTreeMap<InstallPath, Option<crate::store::Oid>>> {
    manifest
        .files
        .iter()
        .map(|f| {
            Ok((
                f.path.clone(),
                live::read(root, &f.path)?.map(|c| crate::store::blob_id_of(&c)),
            ))
        })
        .collect()
}
