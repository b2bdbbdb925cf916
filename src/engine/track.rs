//! Tracking more files: each new file's pristine upstream content goes onto the `upstream` branch
//! (the patch stack is rebuilt on it), the manifest lists it, and the whole is one logged `track`
//! operation. Shared by `track` and by `apply`, which tracks the files a recipe changes first.

use std::path::Path;

use anyhow::Result;

use crate::InstallPath;
use crate::engine::intake::{self, Pristine};
use crate::engine::live;
use crate::store::upstream::{Origin, Source};
use crate::store::{Manifest, Store, TrackedFile};
use crate::system::dpkg::Dpkg;

/// What tracking found out about one file.
#[derive(Debug)]
pub struct Tracked {
    pub path: InstallPath,
    /// The live file differs from its pristine content: edits nobody recorded yet.
    pub unrecorded: bool,
    /// A package ships the file but no pristine copy was found, so the live file was taken as
    /// upstream; why, for the person.
    pub taken_as_upstream: Option<String>,
}

/// Describes a file about to be tracked from what dpkg and the profile know.
pub fn describe(path: InstallPath, dpkg: &Dpkg, manifest: &Manifest) -> Result<TrackedFile> {
    intake::describe(path, dpkg, manifest.domain.as_deref())
}

/// Tracks `files` (each with its live content, `None` for a file that does not exist yet and that
/// no package ships) and logs one `track` operation. The manifest is updated in place.
pub fn track_files(
    root: &Path,
    store: &Store,
    manifest: &mut Manifest,
    dpkg: &Dpkg,
    files: Vec<(TrackedFile, Option<Vec<u8>>)>,
) -> Result<Vec<Tracked>> {
    let before = store.refs_now()?;
    let mut meta = store.upstream_meta(None)?;
    let mut upstream_changes: Vec<(InstallPath, Vec<u8>)> = Vec::new();
    let mut report = Vec::new();
    for (file, content) in &files {
        let pristine = match content {
            None if file.package.is_none() && file.template.is_none() => Pristine::NotShipped,
            _ => intake::find_pristine(root, dpkg, file, content.as_deref(), true)?,
        };
        let mut taken_as_upstream = None;
        let (pristine, origin) = match pristine {
            Pristine::Found { content, origin } => (Some(content), origin),
            Pristine::NotShipped => (
                None,
                Origin {
                    source: Source::Absent,
                    package: None,
                    dpkg_md5: None,
                },
            ),
            Pristine::Unknown {
                package,
                dpkg_md5,
                archive_problem,
            } => {
                let why = archive_problem
                    .map(|problem| format!(" (the cached package is unusable: {problem})"))
                    .unwrap_or_default();
                taken_as_upstream = Some(format!(
                    "{}: differs from what {package} installed and no pristine copy was found{why}; taking the live file as upstream",
                    file.path
                ));
                (
                    content.clone(),
                    Origin {
                        source: Source::Live,
                        package: Some(package),
                        dpkg_md5,
                    },
                )
            }
        };
        report.push(Tracked {
            path: file.path.clone(),
            unrecorded: content.is_some() && pristine.as_deref() != content.as_deref(),
            taken_as_upstream,
        });
        meta.files.insert(file.path.to_string(), origin);
        if let Some(pristine) = pristine {
            upstream_changes.push((file.path.clone(), pristine));
        }
        manifest.track(file.clone());
    }
    meta.packages
        .extend(crate::engine::status::installed_versions(dpkg, manifest));
    let changes: Vec<(&str, Option<&[u8]>)> = upstream_changes
        .iter()
        .map(|(p, c)| (p.as_rel(), Some(c.as_slice())))
        .collect();
    let patches = store.patches()?;
    // The manifest first: one that lists a file the store does not hold yet is taken as it is,
    // the other way round every writer refuses (see `Store::check_manifest_covers`).
    store.save_manifest(manifest)?;
    let new_upstream = store.commit_upstream(&changes, &meta)?;
    store.restack(&patches, new_upstream, &changes)?;
    let names: Vec<String> = files.iter().map(|(f, _)| f.path.to_string()).collect();
    store.log_operation(
        root,
        "track",
        &names.join(" "),
        before,
        &live::snapshot(root, manifest)?,
    )?;
    Ok(report)
}
