//! What differs on the server from what the Jitsi packages installed, found the way `debsums -c`
//! and `dpkg --verify` find it, plus what no package owns:
//!
//! - every file a package's `info/<pkg>.list` names is compared with the md5 dpkg recorded: in
//!   `info/<pkg>.md5sums`, or for a conffile (which the md5sums leave out) in the `Conffiles:`
//!   field of `status`; a file that is gone is `missing`, one a link or a directory now stands in
//!   for is `replaced`. Conffiles dpkg flags obsolete, and new ones not configured yet, are
//!   skipped, as dpkg does;
//! - files a package script generated once from a template ([`crate::profile::KNOWN_FILES`]) are
//!   compared with the template rendered, as `init` would take it;
//! - regular files under [`crate::profile::SCAN_TREES`] that no package owns (a new logo, a page)
//!   are listed; dpkg's and the guide's side copies are not, nor the files package scripts make
//!   ([`crate::profile::GENERATED_FILES`]), which are noted as not checked.
//!
//! The hashing runs on a few threads when there are many files. Nothing here writes.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::Result;

use crate::InstallPath;
use crate::engine::intake::{self, Pristine};
use crate::engine::live;
use crate::store::upstream::Source;
use crate::system::deb;
use crate::system::dpkg::Dpkg;
use crate::system::fs::{self as livefs, PathProblem};

/// What to scan.
pub struct Scope<'a> {
    /// The packages whose files are verified (installed ones; others are skipped).
    pub packages: &'a [String],
    /// The Jitsi domain, for the names of generated files.
    pub domain: Option<&'a str>,
    /// Files jitsi-custom tracks already: marked in the report, never "attention".
    pub tracked: &'a BTreeSet<InstallPath>,
    /// Threads hashing files; 0 for one per core.
    pub threads: usize,
}

/// Everything `scan` found; serialised as `scan --json`.
#[derive(Debug, Default, serde::Serialize)]
pub struct ScanReport {
    /// The packages verified, with the number of files checked in each.
    pub packages: Vec<ScannedPackage>,
    /// Files of the packages that differ from what dpkg recorded (or from their template).
    pub changed: Vec<ChangedFile>,
    /// Files under the Jitsi trees that no package owns.
    pub unowned: Vec<UnownedFile>,
    /// Files that could not be checked, and why.
    pub unchecked: Vec<UncheckedFile>,
}

#[derive(Debug, serde::Serialize)]
pub struct ScannedPackage {
    pub name: String,
    pub version: String,
    pub files: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Its content is not what the package installed.
    Modified,
    /// It is gone.
    Missing,
    /// A link, a directory or another non-file stands where the package put a file.
    Replaced,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Modified => "modified",
            Change::Missing => "missing",
            Change::Replaced => "replaced",
        }
    }
}

#[derive(Debug, serde::Serialize)]
pub struct ChangedFile {
    pub path: InstallPath,
    pub state: Change,
    /// The package that installed the file (for a generated file: the template's package).
    pub package: String,
    pub conffile: bool,
    /// For a file a package script generated: the template it was compared with.
    pub template: Option<InstallPath>,
    pub tracked: bool,
    /// For an untracked modified file, where `track` finds its pristine content (`bkp`,
    /// `deb-cache`, `template`); `None` when nowhere: tracking it then takes the edited file
    /// as upstream, so the edit would not be kept as a customisation.
    pub pristine: Option<Source>,
}

#[derive(Debug, serde::Serialize)]
pub struct UnownedFile {
    pub path: InstallPath,
    pub size: u64,
    /// It looks like a private key: never offered for tracking.
    pub secret: bool,
    pub tracked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unchecked {
    /// A package script made it and there is nothing to compare it with.
    Generated,
    /// It could not be read (permissions, an I/O error, a path the tool cannot use).
    Unreadable,
}

#[derive(Debug, serde::Serialize)]
pub struct UncheckedFile {
    pub path: String,
    pub why: Unchecked,
    pub reason: String,
}

impl ScanReport {
    /// Something differs that jitsi-custom does not track: the exit status is 1.
    pub fn needs_attention(&self) -> bool {
        self.changed.iter().any(|c| !c.tracked) || self.unowned.iter().any(|u| !u.tracked)
    }

    /// The untracked files a person may want to track, sorted: modified files and unowned ones
    /// that do not look secret (missing and replaced files cannot be tracked as they are). The
    /// flag says whether tracking keeps what differs as a customisation: false for a modified
    /// file without a pristine copy.
    pub fn trackable(&self) -> Vec<(&InstallPath, bool)> {
        let mut paths: Vec<(&InstallPath, bool)> = self
            .changed
            .iter()
            .filter(|c| !c.tracked && c.state == Change::Modified)
            .map(|c| (&c.path, c.pristine.is_some()))
            .chain(
                self.unowned
                    .iter()
                    .filter(|u| !u.tracked && !u.secret)
                    .map(|u| (&u.path, true)),
            )
            .collect();
        paths.sort();
        paths.dedup_by(|a, b| a.0 == b.0);
        paths
    }

    /// Untracked modified files without a pristine copy: their packages, sorted.
    pub fn packages_without_pristine(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .changed
            .iter()
            .filter(|c| !c.tracked && c.state == Change::Modified && c.pristine.is_none())
            .map(|c| c.package.as_str())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// One packaged file to verify.
struct Check {
    path: InstallPath,
    package: String,
    md5: String,
    conffile: bool,
}

/// Scans the root: see the module documentation.
pub fn scan(root: &Path, dpkg: &Dpkg, scope: &Scope) -> Result<ScanReport> {
    let mut report = ScanReport::default();
    // Every path the scanned packages list, directories included, with its package.
    let mut owned: HashMap<String, String> = HashMap::new();
    let mut checks = Vec::new();
    for name in scope.packages {
        let Some(pkg) = dpkg.package(name) else {
            continue;
        };
        if report.packages.iter().any(|p| &p.name == name) {
            continue;
        }
        let sums = dpkg.md5sums(name)?;
        let mut files = 0;
        for listed in dpkg.listed_paths(name)? {
            let expected = match pkg.conffiles.get(&listed) {
                // dpkg has nothing to compare an obsolete conffile with, nor one not yet
                // configured (`newconffile`).
                Some(md5) if pkg.retired_conffiles.contains(&listed) || md5.len() != 32 => None,
                Some(md5) => Some((md5, true)),
                None => sums.get(&listed).map(|md5| (md5, false)),
            };
            if let Some((md5, conffile)) = expected {
                match InstallPath::parse(&listed) {
                    Ok(path) => {
                        checks.push(Check {
                            path,
                            package: name.clone(),
                            md5: md5.to_ascii_lowercase(),
                            conffile,
                        });
                        files += 1;
                    }
                    Err(e) => report.unchecked.push(UncheckedFile {
                        path: listed.clone(),
                        why: Unchecked::Unreadable,
                        reason: e.to_string(),
                    }),
                }
            }
            owned.insert(listed, name.clone());
        }
        report.packages.push(ScannedPackage {
            name: name.clone(),
            version: pkg.version.clone(),
            files,
        });
    }

    let sums = hash_files(root, &checks, scope.threads);
    // Untracked modified files, with the md5 their pristine copy must have.
    let mut wanting_pristine: Vec<(usize, String)> = Vec::new();
    for (check, sum) in checks.into_iter().zip(sums) {
        let state = match sum {
            Ok(Some(md5)) if md5 == check.md5 => continue,
            Ok(Some(_)) => Change::Modified,
            Ok(None) => Change::Missing,
            Err(PathProblem::Symlink | PathProblem::NotAFile) => Change::Replaced,
            Err(problem) => {
                report.unchecked.push(UncheckedFile {
                    path: check.path.to_string(),
                    why: Unchecked::Unreadable,
                    reason: problem.to_string(),
                });
                continue;
            }
        };
        let tracked = scope.tracked.contains(&check.path);
        if !tracked && state == Change::Modified {
            wanting_pristine.push((report.changed.len(), check.md5));
        }
        report.changed.push(ChangedFile {
            tracked,
            path: check.path,
            state,
            package: check.package,
            conffile: check.conffile,
            template: None,
            pristine: None,
        });
    }
    find_pristine_copies(root, dpkg, &wanting_pristine, &mut report)?;

    let generated = check_generated(root, dpkg, scope, &owned, &mut report)?;
    list_unowned(root, dpkg, scope, &owned, &generated, &mut report)?;
    report.changed.sort_by(|a, b| a.path.cmp(&b.path));
    report.unowned.sort_by(|a, b| a.path.cmp(&b.path));
    report.unchecked.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// Files a package script generated from a template of a scanned package, compared with the
/// template rendered (with the per-install values learnt from the live file, as `init` does).
/// Returns the paths looked at.
fn check_generated(
    root: &Path,
    dpkg: &Dpkg,
    scope: &Scope,
    owned: &HashMap<String, String>,
    report: &mut ScanReport,
) -> Result<HashSet<String>> {
    let mut seen = HashSet::new();
    for known in crate::profile::KNOWN_FILES {
        let (Some(template), Some(path)) = (known.template, known.path_for(scope.domain)) else {
            continue;
        };
        let Ok(path) = InstallPath::parse(&path) else {
            continue;
        };
        let live = match livefs::read(root, &path) {
            Ok(Some(live)) => live,
            Ok(None) => continue,
            Err(problem) => {
                seen.insert(path.to_string());
                report.unchecked.push(UncheckedFile {
                    path: path.to_string(),
                    why: Unchecked::Unreadable,
                    reason: problem.to_string(),
                });
                continue;
            }
        };
        // Only templates of the scanned packages matter, whose owners are known already.
        let mut file =
            intake::describe_with_owners(path.clone(), scope.domain, |p| Ok(owned.get(p).cloned()))?;
        let Some(package) = file.package.clone() else {
            continue;
        };
        seen.insert(path.to_string());
        if let Some(t) = &file.template
            && let Some(template_content) = live::read(root, t)?
        {
            intake::learn_placeholders(&mut file, &template_content, &live, template.learnt_placeholders);
        }
        match intake::find_pristine(root, dpkg, &file, Some(&live), false, None)? {
            Pristine::Found { content, .. } if content == live => {}
            Pristine::Found { .. } => report.changed.push(ChangedFile {
                tracked: scope.tracked.contains(&path),
                path,
                state: Change::Modified,
                package,
                conffile: false,
                template: file.template.clone(),
                pristine: Some(Source::Template),
            }),
            Pristine::NotShipped | Pristine::Unknown { .. } => report.unchecked.push(UncheckedFile {
                path: path.to_string(),
                why: Unchecked::Generated,
                reason: format!("generated from {}, which is not there", template.path),
            }),
        }
    }
    Ok(seen)
}

/// Where `track` would find the pristine content of untracked modified files (the indices into
/// `report.changed`, with dpkg's md5): the guide's `.BKP` copy, else the package in apt's cache,
/// each archive read once for all its files.
fn find_pristine_copies(
    root: &Path,
    dpkg: &Dpkg,
    wanting: &[(usize, String)],
    report: &mut ScanReport,
) -> Result<()> {
    let mut from_archive: Vec<(usize, &String)> = Vec::new();
    for (i, md5) in wanting {
        let path = &report.changed[*i].path;
        match livefs::read(root, &path.with_suffix(".BKP")) {
            Ok(Some(bkp)) if crate::system::md5_hex(&bkp) == *md5 => {
                report.changed[*i].pristine = Some(Source::Bkp);
            }
            _ => from_archive.push((*i, md5)),
        }
    }
    let packages: BTreeSet<String> = from_archive
        .iter()
        .map(|(i, _)| report.changed[*i].package.clone())
        .collect();
    for name in packages {
        let Some(pkg) = dpkg.package(&name) else {
            continue;
        };
        let Some(archive) = deb::cached_deb(root, &pkg.name, &pkg.version, &pkg.architecture) else {
            continue;
        };
        let mine: Vec<(usize, &String)> = from_archive
            .iter()
            .filter(|(i, _)| report.changed[*i].package == name)
            .copied()
            .collect();
        let wanted: Vec<String> = mine
            .iter()
            .map(|(i, _)| report.changed[*i].path.to_string())
            .collect();
        let wanted_refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
        // An unusable archive is no pristine copy; `track` says why when it is asked to.
        let Ok(files) = deb::read_files(&archive, &wanted_refs, deb::Limits::default()) else {
            continue;
        };
        for ((i, md5), path) in mine.into_iter().zip(&wanted) {
            if files.get(path).is_some_and(|f| f.md5 == *md5) {
                report.changed[i].pristine = Some(Source::DebCache);
            }
        }
    }
    Ok(())
}

/// Regular files under the Jitsi trees that no package owns. Links are not followed, neither
/// inside the trees nor on the way to them.
fn list_unowned(
    root: &Path,
    dpkg: &Dpkg,
    scope: &Scope,
    owned: &HashMap<String, String>,
    generated: &HashSet<String>,
    report: &mut ScanReport,
) -> Result<()> {
    let mut candidates: Vec<(InstallPath, u64)> = Vec::new();
    for tree in crate::profile::SCAN_TREES {
        let Ok(tree_path) = InstallPath::parse(tree) else {
            continue;
        };
        match livefs::is_dir_nofollow(root, &tree_path) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(problem) => {
                report.unchecked.push(UncheckedFile {
                    path: tree.to_string(),
                    why: Unchecked::Unreadable,
                    reason: problem.to_string(),
                });
                continue;
            }
        }
        let walk = walkdir::WalkDir::new(tree_path.under(root))
            .follow_links(false)
            .follow_root_links(false);
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e
                        .path()
                        .map(|p| install_form(root, p))
                        .unwrap_or_else(|| tree.to_string());
                    report.unchecked.push(UncheckedFile {
                        path,
                        why: Unchecked::Unreadable,
                        reason: e
                            .io_error()
                            .map(ToString::to_string)
                            .unwrap_or_else(|| e.to_string()),
                    });
                    continue;
                }
            };
            if !entry.file_type().is_file()
                || crate::profile::is_side_copy(&entry.file_name().to_string_lossy())
            {
                continue;
            }
            let text = install_form(root, entry.path());
            if owned.contains_key(&text) || generated.contains(&text) {
                continue;
            }
            let path = match InstallPath::parse(&text) {
                Ok(path) if path.to_string() == text => path,
                _ => {
                    report.unchecked.push(UncheckedFile {
                        path: text,
                        why: Unchecked::Unreadable,
                        reason: "its name is not valid UTF-8 or not a plain path".into(),
                    });
                    continue;
                }
            };
            if crate::profile::is_generated(&text, scope.domain) {
                if !scope.tracked.contains(&path) {
                    report.unchecked.push(UncheckedFile {
                        path: text,
                        why: Unchecked::Generated,
                        reason: "made by a package script; there is nothing to compare it with".into(),
                    });
                }
                continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            candidates.push((path, size));
        }
    }
    if candidates.is_empty() {
        return Ok(());
    }
    // Only now, and only once, every other package's list: a file there may be another
    // package's (a theme, a plugin).
    let all = dpkg.all_listed_paths()?;
    for (path, size) in candidates {
        let text = path.to_string();
        if all.contains(&text) {
            continue;
        }
        report.unowned.push(UnownedFile {
            secret: crate::profile::looks_secret(&text),
            tracked: scope.tracked.contains(&path),
            path,
            size,
        });
    }
    Ok(())
}

/// `/usr/share/...` for a path found on disk under the root.
fn install_form(root: &Path, on_disk: &Path) -> String {
    let rel = on_disk.strip_prefix(root).unwrap_or(on_disk);
    format!("/{}", rel.to_string_lossy())
}

/// Fewer files than this per thread are not worth a thread of their own.
const FILES_PER_THREAD: usize = 64;

/// md5 of each file, in order, on up to `threads` threads (0: one per core).
fn hash_files(root: &Path, checks: &[Check], threads: usize) -> Vec<Result<Option<String>, PathProblem>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if threads == 0 { cores } else { threads };
    let threads = wanted.min(checks.len().div_ceil(FILES_PER_THREAD)).max(1);
    if threads == 1 {
        return checks.iter().map(|c| livefs::md5_of(root, &c.path)).collect();
    }
    // Each thread takes the next file when it is done with one, so one large file does not
    // hold up a whole share of the list.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Option<String>, PathProblem>>> = Vec::new();
    results.resize_with(checks.len(), || None);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(check) = checks.get(i) else {
                            break done;
                        };
                        done.push((i, livefs::md5_of(root, &check.path)));
                    }
                })
            })
            .collect();
        for worker in workers {
            let done = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, result) in done {
                results[i] = Some(result);
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(PathProblem::Io(std::io::Error::other("not hashed")))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_on_threads_keeps_the_order() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("usr/share/x")).unwrap();
        let checks: Vec<Check> = (0..300)
            .map(|i| {
                let content = format!("file {i}\n").repeat(i % 7 + 1);
                std::fs::write(root.path().join(format!("usr/share/x/{i}")), &content).unwrap();
                Check {
                    path: InstallPath::parse(&format!("/usr/share/x/{i}")).unwrap(),
                    package: "p".into(),
                    md5: crate::system::md5_hex(content.as_bytes()),
                    conffile: false,
                }
            })
            .collect();
        for threads in [1, 2, 4] {
            let sums = hash_files(root.path(), &checks, threads);
            assert_eq!(sums.len(), checks.len());
            for (check, sum) in checks.iter().zip(sums) {
                assert_eq!(
                    sum.unwrap().as_deref(),
                    Some(check.md5.as_str()),
                    "{threads} threads"
                );
            }
        }
    }
}
