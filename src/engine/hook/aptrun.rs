//! What one apt run leaves in the state dir, so that each hook step knows what the one before saw.
//!
//! `<state>/apt-run.json` (format 1):
//!
//! ```json
//! {
//!   "format": 1,
//!   "command": "apt-get -y upgrade",
//!   "apt_process": {"pid": 4242, "start": 123456},
//!   "started": 1795910400,
//!   "finished": null,
//!   "packages": {"jitsi-meet-web": "1.0.1-1", "coturn": null},
//!   "files": {"/usr/share/jitsi-meet/interface_config.js":
//!               {"stamp": {"size": 1, "mtime_ns": 2, "ctime_ns": 3, "ino": 4, "dev": 5},
//!                "oid": "<git blob id>"}},
//!   "upstream": {"/usr/share/jitsi-meet/interface_config.js":
//!               {"package": "jitsi-meet-web", "old": "1.0.1-1", "new": "1.0.2-1",
//!                "source": "/usr/share/jitsi-meet/interface_config.js",
//!                "deb": "/var/cache/apt/archives/jitsi-meet-web_1.0.2-1_all.deb",
//!                "oid": "<git blob id>"}},
//!   "changed": ["/usr/share/jitsi-meet/interface_config.js"]
//! }
//! ```
//!
//! - `packages`, `files`: written by pre-invoke, after it recorded the admin's edits: the installed
//!   version of every watched package (`null`: not installed) and the stat stamp and blob id of
//!   every tracked file and template (`null`: missing). Whatever differs at post-invoke changed
//!   during the apt run, so it is upstream's doing (dpkg, maintainer scripts), not the admin's.
//! - `apt_process`: the apt process both hooks of one run descend from; post-invoke trusts the
//!   marks only when it descends from the same one (`null` when no apt process is found).
//! - `upstream`: written by pre-install-pkgs: the pristine new content of tracked files, read out
//!   of the `.deb` before dpkg unpacked it (rendered from the template for generated files),
//!   kept as `<state>/pending-upstream/<root-relative path>`. Entries stay pending across runs
//!   until the rebase takes them in and calls [`clear_pending_upstream`].
//! - `finished`, `changed`: written by post-invoke when something changed: the time and the
//!   tracked files that changed during the run.
//! - `marked_ns`, `state`, `dpkg_status`: when the marks were taken (nanoseconds, real clock) and
//!   the stamps of the manifest, of the operation log's ref (every operation of the store moves
//!   it) and of dpkg's status file. When none of these nor any watched file moved since, the
//!   next pre-invoke reuses the marks without opening the store ([`reopen_if_unchanged`]), and
//!   post-invoke reads the dpkg status only when dpkg rewrote it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::InstallPath;
use crate::engine::hook::protocol::{PkgsInfo, Step};
use crate::engine::live;
use crate::engine::status::Survey;
use crate::store::{Durability, Manifest, replace_state_file};
use crate::system::dpkg::Dpkg;
use crate::system::fs::{self as livefs, Stamp};

pub const FILE_NAME: &str = "apt-run.json";
pub const PENDING_DIR: &str = "pending-upstream";
const FORMAT: u32 = 1;

/// The apt process a hook runs under: its pid and its start time (clock ticks after boot), which
/// together name one process even when pids are reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AptProcess {
    pub pid: u32,
    pub start: u64,
}

/// A file as pre-invoke saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub stamp: Option<Stamp>,
    /// git blob id of the content.
    pub oid: Option<String>,
}

/// Pristine new content of a tracked file, taken from a package archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpstream {
    pub package: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The path inside the package it came from: the file itself or its template.
    pub source: String,
    pub deb: PathBuf,
    /// git blob id of the content kept under `pending-upstream/`.
    pub oid: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AptRun {
    pub format: u32,
    pub command: String,
    pub apt_process: Option<AptProcess>,
    pub started: i64,
    #[serde(default)]
    pub finished: Option<i64>,
    #[serde(default)]
    pub packages: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub files: BTreeMap<String, Mark>,
    #[serde(default)]
    pub upstream: BTreeMap<String, PendingUpstream>,
    #[serde(default)]
    pub changed: Vec<String>,
    #[serde(default)]
    pub marked_ns: Option<i128>,
    #[serde(default)]
    pub state: BTreeMap<String, Option<Stamp>>,
    #[serde(default)]
    pub dpkg_status: Option<Stamp>,
    /// Watched packages that were held before the run: post-invoke holds them again when apt
    /// released them (`--allow-change-held-packages`).
    #[serde(default)]
    pub held: Vec<String>,
}

impl AptRun {
    /// Loads `apt-run.json`; a missing or unreadable one is `None` (the hook then knows nothing
    /// about the run and falls back to what `status` can tell).
    pub fn load(state_dir: &Path) -> Option<AptRun> {
        let bytes = std::fs::read(state_dir.join(FILE_NAME)).ok()?;
        serde_json::from_slice::<AptRun>(&bytes)
            .ok()
            .filter(|r| r.format == FORMAT)
    }

    /// Writes `apt-run.json` atomically, without waiting for the disk: after a crash a lost or
    /// empty record only means the hook knows nothing about the run (see [`AptRun::load`]),
    /// and an fsync is most of what a hook costs when nothing changed.
    pub fn save(&self, state_dir: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        replace_state_file(state_dir, Path::new(FILE_NAME), &bytes, Durability::Relaxed)
    }

    /// Whether this record belongs to the apt run the caller runs under: pre-invoke wrote it,
    /// post-invoke has not closed it, and both descend from the same apt process.
    pub fn is_open_for(&self, apt: Option<AptProcess>) -> bool {
        self.finished.is_none() && self.apt_process == apt
    }
}

/// The packages whose versions the hook watches: the package set and every package a tracked
/// file (or its template) comes from.
pub fn watched_packages(manifest: &Manifest) -> Vec<String> {
    let mut names = manifest.package_set();
    names.extend(manifest.files.iter().filter_map(|f| f.package.clone()));
    names.sort();
    names.dedup();
    names
}

/// The paths whose stamps the hook watches: every tracked file and every template.
fn watched_paths(manifest: &Manifest) -> Vec<InstallPath> {
    let mut paths: Vec<InstallPath> = manifest.files.iter().map(|f| f.path.clone()).collect();
    paths.extend(manifest.files.iter().filter_map(|f| f.template.clone()));
    paths.sort();
    paths.dedup();
    paths
}

/// Files in the state dir whose stamps tell whether the store changed: the manifest, and the
/// operation log's ref, loose or packed (every operation of the store moves it).
const STATE_FILES: &[&str] = &[
    "jitsi-custom.toml",
    "repo/refs/jitsi-custom/oplog",
    "repo/packed-refs",
];

/// A change within this long after a stamp was taken may not show in it (timestamp ticks).
const RACY_NS: i128 = 1_000_000_000;

fn state_stamps(state_dir: &Path) -> BTreeMap<String, Option<Stamp>> {
    STATE_FILES
        .iter()
        .map(|name| {
            let stamp = std::fs::symlink_metadata(state_dir.join(name))
                .ok()
                .map(|md| Stamp::of(&md));
            (name.to_string(), stamp)
        })
        .collect()
}

fn dpkg_status_stamp(root: &Path) -> Option<Stamp> {
    std::fs::symlink_metadata(root.join("var/lib/dpkg/status"))
        .ok()
        .map(|md| Stamp::of(&md))
}

fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Pre-invoke: a new record of the run with every watched file and package as it is now. Pending
/// upstream content of an earlier run is carried over. `survey` supplies blob ids already known.
#[allow(clippy::too_many_arguments)]
pub fn mark_before(
    root: &Path,
    state_dir: &Path,
    manifest: &Manifest,
    survey: &Survey,
    dpkg: &Dpkg,
    command: &str,
    apt_process: Option<AptProcess>,
    previous: Option<AptRun>,
) -> Result<AptRun> {
    // Before any stamp is taken: a change after this moment shows in a stamp unless racy.
    let marked_ns = now_ns();
    let dpkg_status = dpkg_status_stamp(root);
    let mut files = BTreeMap::new();
    for path in watched_paths(manifest) {
        let stamp = livefs::stamp(root, &path)
            .map_err(|e| crate::system::fs::path_error(&path, e))?
            .map(|(s, _)| s);
        let oid = match (stamp, survey.file(&path).and_then(|f| f.live.as_ref())) {
            (None, _) => None,
            (Some(_), Some(seen)) => Some(seen.oid.to_string()),
            (Some(_), None) => live::read(root, &path)?.map(|c| crate::store::blob_id_of(&c).to_string()),
        };
        files.insert(path.to_string(), Mark { stamp, oid });
    }
    Ok(AptRun {
        format: FORMAT,
        command: command.to_string(),
        apt_process,
        started: crate::store::now_secs(),
        finished: None,
        packages: installed_versions(dpkg, &watched_packages(manifest)),
        held: held_packages(dpkg, &watched_packages(manifest)),
        files,
        upstream: previous.map(|p| p.upstream).unwrap_or_default(),
        changed: Vec::new(),
        marked_ns: Some(marked_ns),
        state: state_stamps(state_dir),
        dpkg_status,
    })
}

/// Pre-invoke's fast path. When every watched file, the manifest, the store and the watched
/// packages are as `previous` marked them, nothing can be unrecorded (that pre-invoke recorded
/// every edit before marking, and each later change of a live file or of the store moves a
/// stamp), so the same marks serve the new run: returns its record. Stats only: an unchanged
/// manifest watches the paths and packages `previous` marked, and the dpkg status is read only
/// when dpkg rewrote it. `None` when anything moved, when a stamp is too close to its marking to
/// vouch for the content, or when a killed rebase left writes to finish: the caller then takes
/// the full path.
pub fn reopen_if_unchanged(
    root: &Path,
    state_dir: &Path,
    previous: &AptRun,
    command: &str,
    apt_process: Option<AptProcess>,
) -> Result<Option<AptRun>> {
    let Some(marked_ns) = previous.marked_ns else {
        return Ok(None);
    };
    if previous.files.is_empty() || state_dir.join(crate::store::transition::JOURNAL).exists() {
        return Ok(None);
    }
    let state = state_stamps(state_dir);
    if state != previous.state || state.values().flatten().any(|s| s.is_racy(marked_ns, RACY_NS)) {
        return Ok(None);
    }
    for (path, mark) in &previous.files {
        let path = &InstallPath::parse(path)?;
        let now = livefs::stamp(root, path)
            .map_err(|e| crate::system::fs::path_error(path, e))?
            .map(|(s, _)| s);
        if now != mark.stamp || now.is_some_and(|s| s.is_racy(marked_ns, RACY_NS)) {
            return Ok(None);
        }
    }
    let dpkg_status = dpkg_status_stamp(root);
    let mut held = previous.held.clone();
    if dpkg_status.is_none() || dpkg_status != previous.dpkg_status {
        let names: Vec<String> = previous.packages.keys().cloned().collect();
        let dpkg = Dpkg::read(root)?;
        let packages = installed_versions(&dpkg, &names);
        if packages != previous.packages {
            return Ok(None);
        }
        held = held_packages(&dpkg, &names);
    }
    Ok(Some(AptRun {
        held,
        format: FORMAT,
        command: command.to_string(),
        apt_process,
        started: crate::store::now_secs(),
        finished: None,
        changed: Vec::new(),
        dpkg_status,
        ..previous.clone()
    }))
}

/// The packages of `names` that are installed and held.
pub fn held_packages(dpkg: &Dpkg, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| dpkg.package(n).is_some_and(|p| p.is_held()))
        .cloned()
        .collect()
}

fn installed_versions(dpkg: &Dpkg, names: &[String]) -> BTreeMap<String, Option<String>> {
    names
        .iter()
        .map(|n| (n.clone(), dpkg.package(n).map(|p| p.version.clone())))
        .collect()
}

/// The packages of an apt run whose archives hold content of tracked files.
pub fn packages_with_tracked_files<'a>(
    manifest: &Manifest,
    info: &'a PkgsInfo,
) -> Vec<&'a crate::engine::hook::protocol::PackageLine> {
    info.packages
        .iter()
        .filter(|p| matches!(p.step, Step::Unpack(_)))
        .filter(|p| {
            manifest
                .files
                .iter()
                .any(|f| f.package.as_deref() == Some(&p.name))
        })
        .collect()
}

/// Pre-install-pkgs: reads the pristine new content of tracked files (templates rendered) out of
/// the archives apt is about to unpack, keeps it under `pending-upstream/` and notes it in `run`.
/// Returns one message per archive that could not be read; those are skipped, never fatal.
pub fn keep_upstream_from_debs(
    root: &Path,
    state_dir: &Path,
    manifest: &Manifest,
    info: &PkgsInfo,
    run: &mut AptRun,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for line in packages_with_tracked_files(manifest, info) {
        let Step::Unpack(deb) = &line.step else {
            continue;
        };
        let owned: Vec<_> = manifest
            .files
            .iter()
            .filter(|f| f.package.as_deref() == Some(&line.name))
            .collect();
        let sources: Vec<String> = owned
            .iter()
            .map(|f| f.template.as_ref().unwrap_or(&f.path).to_string())
            .collect();
        let wanted: Vec<&str> = sources.iter().map(String::as_str).collect();
        // apt names the archive as seen from `/`; under a sandbox root it lies inside the root.
        let inside = root.join(deb.strip_prefix("/").unwrap_or(deb));
        let on_disk = if root == Path::new("/") || deb.starts_with(root) || !inside.is_file() {
            deb.clone()
        } else {
            inside
        };
        let limits = crate::system::deb::Limits::for_file_size(manifest.max_file_size());
        let found = match crate::system::deb::read_files(&on_disk, &wanted, limits) {
            Ok(found) => found,
            Err(e) => {
                problems.push(format!("{}: {e:#}", line.name));
                continue;
            }
        };
        for (file, source) in owned.iter().zip(&sources) {
            let Some(found) = found.get(source) else {
                continue;
            };
            let content = if file.template.is_some() {
                file.render_template(&found.content)
            } else {
                found.content.clone()
            };
            replace_state_file(
                state_dir,
                &Path::new(PENDING_DIR).join(file.path.as_rel()),
                &content,
                Durability::Synced,
            )?;
            run.upstream.insert(
                file.path.to_string(),
                PendingUpstream {
                    package: line.name.clone(),
                    old: line.old.as_ref().map(|v| v.version.clone()),
                    new: line.new.as_ref().map(|v| v.version.clone()),
                    source: source.clone(),
                    deb: deb.clone(),
                    oid: crate::store::blob_id_of(&content).to_string(),
                },
            );
        }
    }
    Ok(problems)
}

/// What post-invoke finds cheaply: files whose stamp moved and packages whose version moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Moved {
    pub stamps: Vec<InstallPath>,
    pub packages: Vec<(String, Option<String>, Option<String>)>,
}

impl Moved {
    pub fn is_empty(&self) -> bool {
        self.stamps.is_empty() && self.packages.is_empty()
    }
}

/// Post-invoke's fast check: stats only, plus the dpkg status when dpkg rewrote it since
/// pre-invoke. Nothing is read or hashed.
pub fn what_moved(root: &Path, run: &AptRun) -> Result<Moved> {
    let mut moved = Moved::default();
    for (path, mark) in &run.files {
        let path = InstallPath::parse(path)?;
        let now = livefs::stamp(root, &path)
            .map_err(|e| crate::system::fs::path_error(&path, e))?
            .map(|(s, _)| s);
        if now != mark.stamp {
            moved.stamps.push(path);
        }
    }
    let dpkg_status = dpkg_status_stamp(root);
    if dpkg_status.is_some() && dpkg_status == run.dpkg_status {
        return Ok(moved);
    }
    let dpkg = Dpkg::read(root)?;
    for (name, before) in &run.packages {
        let now = dpkg.package(name).map(|p| p.version.clone());
        if &now != before {
            moved.packages.push((name.clone(), before.clone(), now));
        }
    }
    Ok(moved)
}

/// The tracked files whose content changed during the run (directly, or through their
/// template), from the paths whose stamp moved.
pub fn changed_during_run(
    root: &Path,
    manifest: &Manifest,
    run: &AptRun,
    moved: &Moved,
) -> Result<Vec<InstallPath>> {
    let mut content_changed = Vec::new();
    for path in &moved.stamps {
        let now = live::read(root, path)?.map(|c| crate::store::blob_id_of(&c).to_string());
        let before = run.files.get(&path.to_string()).and_then(|m| m.oid.clone());
        if now != before {
            content_changed.push(path.clone());
        }
    }
    let mut changed: Vec<InstallPath> = manifest
        .files
        .iter()
        .filter(|f| {
            content_changed.contains(&f.path)
                || f.template.as_ref().is_some_and(|t| content_changed.contains(t))
        })
        .map(|f| f.path.clone())
        .collect();
    changed.sort();
    Ok(changed)
}

/// The pristine new content kept for a tracked file by pre-install-pkgs, if any.
pub fn pending_upstream(state_dir: &Path, path: &InstallPath) -> Result<Option<Vec<u8>>> {
    let file = state_dir.join(PENDING_DIR).join(path.as_rel());
    match std::fs::read(&file) {
        Ok(content) => Ok(Some(content)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| tr!("cannot read {path}", path = file.display())),
    }
}

/// Forgets the pending upstream content once the rebase took it in (caller holds the lock).
pub fn clear_pending_upstream(state_dir: &Path) -> Result<()> {
    let dir = state_dir.join(PENDING_DIR);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| tr!("cannot remove {path}", path = dir.display())),
    }
    if let Some(mut run) = AptRun::load(state_dir)
        && !run.upstream.is_empty()
    {
        run.upstream.clear();
        run.save(state_dir)?;
    }
    Ok(())
}

/// The apt command line of the run this hook is part of, and the apt process itself. apt passes
/// no command line to `Pre-Invoke`, so the process tree is walked up from the hook's parent (the
/// `sh -c` apt started) to the apt front end. `None` when no apt process is found.
pub fn find_apt_process() -> Option<(String, AptProcess)> {
    let mut ancestors = Vec::new();
    let mut pid = std::os::unix::process::parent_id();
    for _ in 0..8 {
        if pid <= 1 {
            break;
        }
        let Some(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok() else {
            break;
        };
        let Some((ppid, start)) = parse_stat(&stat) else {
            break;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        ancestors.push((AptProcess { pid, start }, args));
        pid = ppid;
    }
    apt_among_ancestors(&ancestors)
}

/// The apt process among a hook's ancestors (nearest first): the outermost of the first run of
/// apt front ends. Regression: apt 2.6 forks a child of itself for every hook command it runs
/// (`apt-get` → `apt-get` → `sh -c` → hook), a different one for Pre-Invoke and Post-Invoke;
/// taking the nearest one made post-invoke distrust pre-invoke's marks of the same run, so the
/// Prosody postinst's in-place edit was recorded as an admin's edit.
fn apt_among_ancestors(ancestors: &[(AptProcess, Vec<String>)]) -> Option<(String, AptProcess)> {
    let mut found = None;
    for (process, args) in ancestors {
        match apt_command_line(args) {
            Some(command) => found = Some((command, *process)),
            None if found.is_some() => break,
            None => {}
        }
    }
    found
}

/// The parent pid and start time from `/proc/<pid>/stat` (the name in parentheses may hold
/// spaces and parentheses itself, so fields are counted after the last `)`).
fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is the state (field 3); ppid is field 4, starttime field 22.
    Some((fields.get(1)?.parse().ok()?, fields.get(19)?.parse().ok()?))
}

/// `apt-get -y upgrade` when the arguments are those of an apt front end, else `None`.
pub fn apt_command_line(args: &[String]) -> Option<String> {
    const FRONT_ENDS: &[&str] = &[
        "apt",
        "apt-get",
        "aptitude",
        "aptitude-curses",
        "synaptic",
        "unattended-upgrade",
        "unattended-upgrades",
        "packagekitd",
        "nala",
    ];
    let base = |a: &String| a.rsplit('/').next().unwrap_or(a).to_string();
    let first = base(args.first()?);
    let skip = if first.starts_with("python") {
        // unattended-upgrade is a Python script.
        1
    } else {
        0
    };
    let program = base(args.get(skip)?);
    if !FRONT_ENDS.contains(&program.as_str()) {
        return None;
    }
    let mut line = std::iter::once(program)
        .chain(args[skip + 1..].iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['\n', '\r'], " ");
    if line.chars().count() > 100 {
        line = line.chars().take(97).collect::<String>() + "...";
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn apt_front_ends_are_recognised_and_named() {
        assert_eq!(
            apt_command_line(&args("/usr/bin/apt-get -y upgrade")).as_deref(),
            Some("apt-get -y upgrade")
        );
        assert_eq!(
            apt_command_line(&args("apt upgrade")).as_deref(),
            Some("apt upgrade")
        );
        assert_eq!(
            apt_command_line(&args("/usr/bin/python3 /usr/bin/unattended-upgrade --dry-run")).as_deref(),
            Some("unattended-upgrade --dry-run")
        );
        assert_eq!(apt_command_line(&args("/bin/sh -c apt-get")), None);
        assert_eq!(apt_command_line(&args("bash")), None);
        assert_eq!(apt_command_line(&[]), None);
        let long = format!("apt install {}", "x ".repeat(100));
        assert!(apt_command_line(&args(long.trim())).unwrap().chars().count() <= 100);
    }

    #[test]
    fn the_outermost_of_apt_and_its_forked_children_is_the_apt_process() {
        let process = |pid| AptProcess {
            pid,
            start: 100 + u64::from(pid),
        };
        let apt = "apt-get -y install jicofo";
        // sh -c (hook) → apt-get (fork for the hook) → apt-get (the run) → bash
        let ancestors = vec![
            (process(409), args("sh -c /usr/bin/jitsi-custom hook pre-invoke")),
            (process(406), args(apt)),
            (process(401), args(apt)),
            (process(399), args("/bin/bash /e2e/scenario.sh")),
            (process(300), args(apt)),
        ];
        assert_eq!(
            apt_among_ancestors(&ancestors),
            Some((apt.to_string(), process(401)))
        );
        assert_eq!(apt_among_ancestors(&ancestors[..1]), None);
        assert_eq!(
            apt_among_ancestors(&ancestors[..2]),
            Some((apt.to_string(), process(406)))
        );
    }

    #[test]
    fn stat_fields_are_counted_after_the_name() {
        let stat = "4242 (apt get (x)) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0";
        assert_eq!(parse_stat(stat), Some((17, 987654)));
        assert_eq!(parse_stat("garbage"), None);
        assert!(parse_stat(&std::fs::read_to_string("/proc/self/stat").unwrap()).is_some());
    }

    #[test]
    fn a_record_is_trusted_only_by_the_same_apt_run() {
        let apt = Some(AptProcess { pid: 10, start: 99 });
        let run = AptRun {
            format: FORMAT,
            apt_process: apt,
            ..AptRun::default()
        };
        assert!(run.is_open_for(apt));
        assert!(!run.is_open_for(Some(AptProcess { pid: 10, start: 100 })));
        assert!(!run.is_open_for(None));
        let finished = AptRun {
            finished: Some(1),
            ..run
        };
        assert!(!finished.is_open_for(apt));
    }

    #[test]
    fn a_broken_record_is_no_record() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        assert!(AptRun::load(dir.path()).is_none());
        let run = AptRun {
            format: FORMAT,
            command: "apt run".into(),
            ..AptRun::default()
        };
        run.save(dir.path()).unwrap();
        assert_eq!(AptRun::load(dir.path()), Some(run));
    }
}
