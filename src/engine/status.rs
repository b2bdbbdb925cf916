//! The state of every tracked file and of the Jitsi packages: what `status` shows, what `record`
//! and the apt hook act on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::InstallPath;
use crate::engine::live::{self, Seen};
use crate::store::Oid;
use crate::store::parked::{Fallback, Notice, Parked};
use crate::store::statcache::StatCache;
use crate::store::upstream::UpstreamMeta;
use crate::store::{Manifest, Store, TrackedFile};
use crate::system::dpkg::Dpkg;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileState {
    /// Live is upstream's content and no customisation touches it.
    Clean,
    /// Live is upstream with the recorded customisations.
    Customised,
    /// Live holds edits that no customisation records yet.
    Unrecorded,
    /// A package put its own content over a customised file: the customisation is not live.
    Overwritten,
    /// A package brought new upstream content that is not taken in yet (`rebase`).
    UpstreamChanged,
    /// A customisation is parked for this file, waiting for a person (`resolve`).
    Conflict,
    /// The live file does not exist.
    Missing,
}

impl FileState {
    pub fn name(self) -> &'static str {
        match self {
            FileState::Clean => "clean",
            FileState::Customised => "customised",
            FileState::Unrecorded => "unrecorded",
            FileState::Overwritten => "overwritten",
            FileState::UpstreamChanged => "upstream-changed",
            FileState::Conflict => "conflict",
            FileState::Missing => "missing",
        }
    }

    /// Whether a person should look (exit code 1).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            FileState::Unrecorded | FileState::Overwritten | FileState::Conflict | FileState::Missing
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FileStatus {
    pub path: InstallPath,
    pub state: FileState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Names of the customisations that change this file, oldest first.
    pub customisations: Vec<String>,
    #[serde(skip)]
    pub live: Option<Seen>,
    /// What `record` takes for an unrecorded file, when it is not the live file as it is (a
    /// file the docker web container regenerates).
    #[serde(skip)]
    pub recordable: Option<Vec<u8>>,
}

/// The docker variant's state beside the files.
#[derive(Clone, Debug, Serialize)]
pub struct DockerStatus {
    pub checkout: InstallPath,
    pub web_image: String,
    /// The image's id now, and the one the overlay files were last rebased onto.
    pub image_id: Option<String>,
    pub recorded_image_id: Option<String>,
    pub prosody: Option<crate::engine::docker::ProsodyAccounts>,
    /// Why the container tool could not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A customisation parked for one file, as `status` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ParkedStatus {
    pub customisation: String,
    pub path: InstallPath,
    pub reasons: Vec<String>,
    /// What is live while the decision waits.
    pub fallback: Fallback,
}

#[derive(Clone, Debug, Serialize)]
pub struct PackageStatus {
    pub name: String,
    pub installed: Option<String>,
    pub recorded: Option<String>,
    pub held: bool,
    /// A newer version apt knows for a held package (`jitsi-custom upgrade` takes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Survey {
    pub files: Vec<FileStatus>,
    pub packages: Vec<PackageStatus>,
    pub parked: Vec<ParkedStatus>,
    /// What was decided without a person and waits for review (`resolve` walks it).
    pub notices: Vec<Notice>,
    /// Whether the apt hook and the maintenance timer are in place.
    pub hook: crate::engine::hook_files::HookStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerStatus>,
    /// Where the stack stands against each remote, as last fetched
    /// ([`crate::engine::fleet::remote_status`]; filled in by `status`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remotes: Vec<crate::engine::fleet::RemoteStatus>,
}

impl Survey {
    pub fn needs_attention(&self) -> bool {
        !self.parked.is_empty()
            || !self.notices.is_empty()
            || self.files.iter().any(|f| f.state.needs_attention())
    }

    pub fn file(&self, path: &InstallPath) -> Option<&FileStatus> {
        self.files.iter().find(|f| &f.path == path)
    }
}

/// Looks at every tracked file and every Jitsi package.
pub fn survey(root: &Path, store: &Store, manifest: &Manifest, dpkg: &Dpkg) -> Result<Survey> {
    let upstream = store.upstream_tip()?;
    let custom = store.custom_tip()?;
    let meta = store.upstream_meta(upstream)?;
    let patches = store.patches()?;
    let review = store.review()?;
    let parked = review.parked;
    let mut cache = StatCache::load(store.dir());
    let mut files = Vec::new();
    let docker_now = manifest.docker.as_ref().map(crate::engine::docker::now);
    for file in &manifest.files {
        let rel = file.path.as_rel();
        let upstream_oid = upstream.map(|c| store.blob_id(c, rel)).transpose()?.flatten();
        let custom_oid = custom.map(|c| store.blob_id(c, rel)).transpose()?.flatten();
        let seen = live::see(root, &file.path, &mut cache)?;
        let mut recordable = None;
        let state = if parked.iter().any(|p| p.path == file.path) {
            FileState::Conflict
        } else if let Some((now, _)) = &docker_now
            && (file.image_path.is_some() || file.appended.is_some())
        {
            let upstream_content = upstream.map(|c| store.content_at(c, rel)).transpose()?.flatten();
            let custom_content = custom.map(|c| store.content_at(c, rel)).transpose()?.flatten();
            let (state, content) = classify_docker(
                root,
                file,
                meta.files.get(&file.path.to_string()),
                upstream_content.as_deref(),
                custom_content.as_deref(),
                now,
            )?;
            recordable = content;
            state
        } else {
            classify(root, dpkg, file, &meta, upstream_oid, custom_oid, seen.as_ref())?
        };
        files.push(FileStatus {
            path: file.path.clone(),
            state,
            package: file.package.clone(),
            customisations: customisations_of(&patches, &parked, file),
            live: seen,
            recordable,
        });
    }
    let docker = match (&manifest.docker, docker_now) {
        (Some(setup), Some((now, problem))) => Some(DockerStatus {
            checkout: setup.checkout.clone(),
            web_image: setup.web_image.clone(),
            image_id: now.image_id,
            recorded_image_id: meta.packages.get(&format!("image {}", setup.web_image)).cloned(),
            prosody: crate::engine::docker::prosody_accounts(root, setup).ok(),
            problem,
        }),
        _ => None,
    };
    let packages = package_status(root, manifest, &meta, dpkg, &mut cache);
    cache.save(store.dir());
    let parked = parked
        .into_iter()
        .map(|p| ParkedStatus {
            customisation: p.patch,
            path: p.path,
            reasons: p.reasons,
            fallback: p.fallback,
        })
        .collect();
    Ok(Survey {
        files,
        packages,
        parked,
        notices: review.notices,
        hook: crate::engine::hook_files::hook_status(root),
        docker,
        remotes: Vec::new(),
    })
}

/// The state of a docker file. A file the web container regenerates is seen without what the
/// container appended to it: as the container generated it, the customisations are in effect
/// through the appended file; with an edit, the edit merged onto the customisations is what
/// `record` takes.
fn classify_docker(
    root: &Path,
    file: &TrackedFile,
    origin: Option<&crate::store::upstream::Origin>,
    upstream: Option<&[u8]>,
    custom: Option<&[u8]>,
    now: &crate::engine::docker::Now,
) -> Result<(FileState, Option<Vec<u8>>)> {
    use crate::engine::docker;
    let Some(live) = live::read(root, &file.path)? else {
        return Ok((FileState::Missing, None));
    };
    let customised = custom != upstream;
    let quiet = |customised: bool| {
        if customised {
            FileState::Customised
        } else {
            FileState::Clean
        }
    };
    let new_upstream = docker::new_upstream(root, file, origin, upstream, now)?;
    let view = docker::live_view(root, file, &live)?;
    if Some(view.as_slice()) == custom {
        return Ok((
            if new_upstream && file.appended.is_none() {
                FileState::UpstreamChanged
            } else {
                quiet(customised)
            },
            None,
        ));
    }
    // A container that generated its file anew; an overlay file's edit is the admin's, whatever
    // the image did.
    if new_upstream && file.appended.is_some() {
        return Ok((FileState::UpstreamChanged, None));
    }
    if Some(view.as_slice()) == upstream {
        // Regenerated by the container: the customisations live in the appended file.
        return Ok((
            if file.appended.is_some() {
                quiet(customised)
            } else if customised {
                FileState::Overwritten
            } else {
                FileState::Clean
            },
            None,
        ));
    }
    let recordable = docker::recordable(
        root,
        file,
        &live,
        upstream.unwrap_or_default(),
        custom.unwrap_or_default(),
    )?;
    Ok((FileState::Unrecorded, Some(recordable)))
}

/// The customisations that change a file, oldest first: those in the stack, and those waiting
/// for a decision about it (whose change may not be in the stack while upstream's file is live).
fn customisations_of(
    patches: &[crate::store::stack::Patch],
    parked: &[Parked],
    file: &TrackedFile,
) -> Vec<String> {
    let rel = file.path.as_rel();
    let mut names: Vec<String> = patches
        .iter()
        .filter(|p| p.paths.iter().any(|pp| pp == rel))
        .map(|p| p.name.clone())
        .collect();
    for entry in parked.iter().filter(|p| p.path == file.path) {
        if !names.contains(&entry.patch) {
            names.push(entry.patch.clone());
        }
    }
    names
}

fn classify(
    root: &Path,
    dpkg: &Dpkg,
    file: &TrackedFile,
    meta: &UpstreamMeta,
    upstream_oid: Option<Oid>,
    custom_oid: Option<Oid>,
    seen: Option<&Seen>,
) -> Result<FileState> {
    let Some(seen) = seen else {
        return Ok(FileState::Missing);
    };
    let customised = custom_oid != upstream_oid;
    if Some(seen.oid) == custom_oid {
        return Ok(if new_upstream_available(root, dpkg, file, meta)? {
            FileState::UpstreamChanged
        } else if customised {
            FileState::Customised
        } else {
            FileState::Clean
        });
    }
    if is_package_content(root, dpkg, file, seen)? || Some(seen.oid) == upstream_oid {
        return Ok(if customised {
            FileState::Overwritten
        } else {
            FileState::UpstreamChanged
        });
    }
    Ok(FileState::Unrecorded)
}

/// Whether the live content is exactly what the installed package (or its template) provides.
fn is_package_content(root: &Path, dpkg: &Dpkg, file: &TrackedFile, seen: &Seen) -> Result<bool> {
    let Some(package) = &file.package else {
        return Ok(false);
    };
    if let Some(template) = &file.template {
        let Some(content) = live::read(root, template)? else {
            return Ok(false);
        };
        return Ok(crate::store::blob_id_of(&file.render_template(&content)) == seen.oid);
    }
    Ok(dpkg.expected_md5(package, &file.path.to_string())?.as_deref() == Some(seen.md5.as_str()))
}

/// Whether dpkg now records different content for the file (or its template) than when its
/// upstream was taken in, or left a `.dpkg-dist`/`.dpkg-new` beside a conffile.
pub fn new_upstream_available(
    root: &Path,
    dpkg: &Dpkg,
    file: &TrackedFile,
    meta: &UpstreamMeta,
) -> Result<bool> {
    for suffix in [".dpkg-dist", ".dpkg-new"] {
        if file.path.with_suffix(suffix).under(root).is_file() {
            return Ok(true);
        }
    }
    let Some(package) = &file.package else {
        return Ok(false);
    };
    let source_path = file.template.as_ref().unwrap_or(&file.path).to_string();
    let now = dpkg.expected_md5(package, &source_path)?;
    let recorded = meta
        .files
        .get(&file.path.to_string())
        .and_then(|o| o.dpkg_md5.clone());
    Ok(now.is_some() && now != recorded)
}

fn package_status(
    root: &Path,
    manifest: &Manifest,
    meta: &UpstreamMeta,
    dpkg: &Dpkg,
    cache: &mut StatCache,
) -> Vec<PackageStatus> {
    let mut names: BTreeSet<String> = manifest.package_set().into_iter().collect();
    // The docker variant's image is shown on its own.
    names.extend(meta.packages.keys().filter(|k| !k.starts_with("image ")).cloned());
    let mut packages: Vec<PackageStatus> = names
        .into_iter()
        .filter_map(|name| {
            let installed = dpkg.package(&name);
            let recorded = meta.packages.get(&name).cloned();
            if installed.is_none() && recorded.is_none() {
                return None;
            }
            Some(PackageStatus {
                installed: installed.map(|p| p.version.clone()),
                held: installed.is_some_and(|p| p.is_held()),
                recorded,
                name,
                candidate: None,
            })
        })
        .collect();
    let held: Vec<String> = packages
        .iter()
        .filter(|p| p.held)
        .map(|p| p.name.clone())
        .collect();
    if let Some(candidates) = held_candidates(root, &held, cache) {
        for package in &mut packages {
            package.candidate = candidates
                .get(&package.name)
                .filter(|c| Some(*c) != package.installed.as_ref())
                .cloned();
        }
    }
    packages
}

/// What apt would install for the held packages, asked once per change of apt's lists or the
/// dpkg status (cached), and only where apt has lists at all.
fn held_candidates(root: &Path, held: &[String], cache: &mut StatCache) -> Option<BTreeMap<String, String>> {
    if held.is_empty() {
        return None;
    }
    let lists = root.join("var/lib/apt/lists");
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
    };
    let lists_stamp = stamp(&lists)?;
    let key = format!(
        "{lists_stamp}/{}/{}",
        stamp(&root.join("var/lib/dpkg/status")).unwrap_or(0),
        held.join(",")
    );
    if let Some(found) = cache.candidates(&key) {
        return Some(found.clone());
    }
    let has_lists = std::fs::read_dir(&lists)
        .ok()?
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with("_Packages"));
    if !has_lists {
        return None;
    }
    let found = crate::system::apt::candidates(root, held).ok()?;
    cache.set_candidates(key, found.clone());
    Some(found)
}

/// Versions of the installed packages that own tracked files or belong to the Jitsi set: what an
/// upstream commit records.
pub fn installed_versions(dpkg: &Dpkg, manifest: &Manifest) -> std::collections::BTreeMap<String, String> {
    let mut names: Vec<String> = manifest.package_set();
    names.extend(manifest.files.iter().filter_map(|f| f.package.clone()));
    names
        .into_iter()
        .filter_map(|name| dpkg.package(&name).map(|p| (name, p.version.clone())))
        .collect()
}
