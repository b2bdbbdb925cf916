//! What is kept: adding files to the tracked set (with their pristine upstream content) and
//! taking them out of it. Both change the upstream branch and carry the stack onto it in one
//! operation ([`change_tracked_set`]).

use std::path::Path;

use crate::tr;
use anyhow::Result;

use crate::InstallPath;
use crate::engine::intake::{self, Pristine};
use crate::engine::live;
use crate::error::Error;
use crate::store::upstream::{Origin, Source, UpstreamMeta};
use crate::store::{Manifest, Store, TrackedFile};
use crate::system::dpkg::Dpkg;

/// What `track` did (or, in a dry run, would do).
#[derive(Debug, Default, serde::Serialize)]
pub struct Tracked {
    /// Newly tracked.
    pub tracked: Vec<InstallPath>,
    /// Named but tracked already.
    pub already: Vec<InstallPath>,
    /// Newly tracked files whose live content differs from upstream's: edits not recorded yet.
    pub unrecorded: Vec<InstallPath>,
    /// What a person should know (a pristine copy that could not be found).
    pub warnings: Vec<String>,
}

/// Tracks `paths`: each one's pristine content from dpkg, the guide's `.BKP` copies or apt's
/// cache (none for a file no package ships), committed as upstream with the stack carried onto
/// it. A missing file is an error; nothing is changed then.
pub fn track(
    root: &Path,
    store: &Store,
    dpkg: &Dpkg,
    paths: &[InstallPath],
    dry_run: bool,
) -> Result<Tracked> {
    let mut manifest = store.load_manifest()?;
    let mut report = Tracked::default();
    let mut new_files: Vec<(TrackedFile, Vec<u8>)> = Vec::new();
    for path in paths {
        if manifest.is_tracked(path) || new_files.iter().any(|(f, _)| &f.path == path) {
            report.already.push(path.clone());
            continue;
        }
        let Some(content) = live::read(root, path)? else {
            return Err(Error::BadPath {
                path: path.to_string(),
                reason: tr!("does not exist"),
            }
            .into());
        };
        let file = intake::describe(path.clone(), dpkg, manifest.domain.as_deref())?;
        new_files.push((file, content));
    }
    report.tracked = new_files.iter().map(|(f, _)| f.path.clone()).collect();
    if new_files.is_empty() || dry_run {
        return Ok(report);
    }
    let files = new_files.into_iter().map(|(f, c)| (f, Some(c))).collect();
    for one in track_files(root, store, &mut manifest, dpkg, files)? {
        if one.unrecorded {
            report.unrecorded.push(one.path);
        }
        report.warnings.extend(one.taken_as_upstream);
    }
    Ok(report)
}

/// Describes a file about to be tracked from what dpkg and the profile know.
pub fn describe(path: InstallPath, dpkg: &Dpkg, manifest: &Manifest) -> Result<TrackedFile> {
    intake::describe(path, dpkg, manifest.domain.as_deref())
}

/// What tracking found out about one file.
#[derive(Debug)]
pub struct NewlyTracked {
    pub path: InstallPath,
    /// The live file differs from its pristine content: edits nobody recorded yet.
    pub unrecorded: bool,
    /// A package ships the file but no pristine copy was found, so the live file was taken as
    /// upstream; why, for the person.
    pub taken_as_upstream: Option<String>,
}

/// Tracks `files` (each with its live content; `None` for a file that does not exist yet and
/// that no package ships, as a recipe places it) as one `track` operation: each one's pristine
/// content from dpkg, the guide's `.BKP` copies or apt's cache goes onto the upstream branch
/// and the stack is carried onto it. The manifest is updated in place.
pub fn track_files(
    root: &Path,
    store: &Store,
    manifest: &mut Manifest,
    dpkg: &Dpkg,
    files: Vec<(TrackedFile, Option<Vec<u8>>)>,
) -> Result<Vec<NewlyTracked>> {
    let mut meta = store.upstream_meta(None)?;
    let mut upstream: Vec<(InstallPath, Option<Vec<u8>>)> = Vec::new();
    let mut report = Vec::new();
    for (file, content) in &files {
        let pristine = match content {
            None if file.package.is_none() && file.template.is_none() => Pristine::NotShipped,
            _ => intake::find_pristine(root, dpkg, file, content.as_deref(), true, None)?,
        };
        let mut taken_as_upstream = None;
        let (pristine, origin) = match pristine {
            Pristine::Found { content, origin } => (Some(content), origin),
            Pristine::NotShipped => (None, Origin::debian(Source::Absent, None, None)),
            Pristine::Unknown {
                package,
                dpkg_md5,
                archive_problem,
            } => {
                taken_as_upstream = Some(match archive_problem {
                    Some(problem) => tr!(
                        "{path}: differs from what {package} installed and no pristine copy was found (the cached package is unusable: {problem}); taking the live file as upstream",
                        path = file.path,
                        package,
                        problem
                    ),
                    None => tr!(
                        "{path}: differs from what {package} installed and no pristine copy was found; taking the live file as upstream",
                        path = file.path,
                        package
                    ),
                });
                (
                    content.clone(),
                    Origin::debian(Source::Live, Some(package), dpkg_md5),
                )
            }
        };
        report.push(NewlyTracked {
            path: file.path.clone(),
            unrecorded: content.is_some() && pristine.as_deref() != content.as_deref(),
            taken_as_upstream,
        });
        meta.files.insert(file.path.to_string(), origin);
        if pristine.is_some() {
            upstream.push((file.path.clone(), pristine));
        }
        manifest.track(file.clone());
    }
    meta.packages
        .extend(crate::engine::status::installed_versions(dpkg, manifest));
    let paths: Vec<InstallPath> = files.iter().map(|(f, _)| f.path.clone()).collect();
    change_tracked_set(root, store, manifest, &meta, &upstream, "track", &paths)?;
    Ok(report)
}

/// What `untrack` did (or, in a dry run, would do).
#[derive(Debug, Default, serde::Serialize)]
pub struct Untracked {
    pub untracked: Vec<InstallPath>,
    /// Named but not tracked: nothing to do.
    pub not_tracked: Vec<InstallPath>,
    /// The customisations dropped with each file (`drop_customisations`).
    pub dropped: Vec<(InstallPath, Vec<String>)>,
}

/// Stops tracking `paths`; the live files stay as they are. A file with recorded
/// customisations is refused unless `drop_customisations`, which drops them from the stack (the
/// operation log keeps them).
pub fn untrack(
    root: &Path,
    store: &Store,
    paths: &[InstallPath],
    drop_customisations: bool,
    dry_run: bool,
) -> Result<Untracked> {
    let mut manifest = store.load_manifest()?;
    let mut report = Untracked::default();
    for path in paths {
        if manifest.is_tracked(path) {
            report.untracked.push(path.clone());
        } else {
            report.not_tracked.push(path.clone());
        }
    }
    if report.untracked.is_empty() {
        return Ok(report);
    }
    let patches = store.patches()?;
    for path in &report.untracked {
        let names: Vec<String> = patches
            .iter()
            .filter(|p| p.paths.iter().any(|changed| changed == path.as_rel()))
            .map(|p| format!("{:?}", p.name))
            .collect();
        if names.is_empty() {
            continue;
        }
        if !drop_customisations {
            return Err(Error::Usage(tr!(
                "{path}: untracking it would drop its customisation(s) {names}\nhint: keep it tracked, or drop them with `jitsi-custom untrack --drop-customisation {path}` (the operation log keeps them)",
                path,
                names = names.join(", ")
            ))
            .into());
        }
        report.dropped.push((path.clone(), names));
    }
    if dry_run {
        return Ok(report);
    }
    let mut meta = store.upstream_meta(None)?;
    for path in &report.untracked {
        manifest.untrack(path);
        meta.files.remove(&path.to_string());
    }
    let removals: Vec<(InstallPath, Option<Vec<u8>>)> =
        report.untracked.iter().map(|p| (p.clone(), None)).collect();
    change_tracked_set(
        root,
        store,
        &manifest,
        &meta,
        &removals,
        "untrack",
        &report.untracked,
    )?;
    Ok(report)
}

/// Commits a change of the tracked set as one operation: the manifest, the upstream branch with
/// `upstream`'s contents (`None`: the file leaves it) and the stack carried onto it.
fn change_tracked_set(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    meta: &UpstreamMeta,
    upstream: &[(InstallPath, Option<Vec<u8>>)],
    kind: &str,
    paths: &[InstallPath],
) -> Result<()> {
    let before = store.refs_now()?;
    let changes: Vec<(&str, Option<&[u8]>)> =
        upstream.iter().map(|(p, c)| (p.as_rel(), c.as_deref())).collect();
    let patches = store.patches()?;
    // The manifest first: one that lists a file the store does not hold yet is taken as it is,
    // the other way round every writer refuses (see `Store::check_manifest_covers`).
    store.save_manifest(manifest)?;
    let new_upstream = store.commit_upstream(&changes, meta)?;
    store.restack(&patches, new_upstream, &changes)?;
    let names: Vec<String> = paths.iter().map(ToString::to_string).collect();
    store.log_operation(
        root,
        kind,
        &names.join(" "),
        before,
        &live::snapshot(root, manifest)?,
    )?;
    Ok(())
}

/// The install paths named, with a directory standing for every regular file below it (links
/// not followed; dpkg's and the guide's backup copies left out).
pub fn expand_directories(root: &Path, paths: &[InstallPath]) -> Result<Vec<InstallPath>> {
    let mut expanded = Vec::new();
    for path in paths {
        let on_disk = path.under(root);
        let is_dir = std::fs::symlink_metadata(&on_disk).is_ok_and(|m| m.is_dir());
        if !is_dir {
            expanded.push(path.clone());
            continue;
        }
        let mut found: Vec<InstallPath> = Vec::new();
        for entry in walkdir::WalkDir::new(&on_disk)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| Error::BadPath {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
            let backup = crate::profile::is_side_copy(&entry.file_name().to_string_lossy());
            if entry.file_type().is_file() && !backup {
                let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                found.push(InstallPath::parse(&rel.to_string_lossy())?);
            }
        }
        if found.is_empty() {
            return Err(Error::BadPath {
                path: path.to_string(),
                reason: tr!("is a directory without files"),
            }
            .into());
        }
        expanded.extend(found);
    }
    Ok(expanded)
}
