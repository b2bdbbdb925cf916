//! Carrying the customisations onto new upstream content: take in what the packages brought,
//! replay the patch stack file by file with each file's merge strategy, let a [`Resolver`] decide
//! conflicts (a person, a recorded resolution, or "park"), validate every result, and only then
//! move the branches and write the live files.
//!
//! Nothing is written before everything is decided: an abort leaves the state as it was, a
//! conflict is parked rather than written with markers, a result that fails validation never
//! goes live.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use git2::Oid;
use serde::Serialize;

use crate::InstallPath;
use crate::live;
use crate::merge::{self, Labels, Merged, Strategy};
use crate::record;
use crate::status;
use crate::store::parked::{Parked, conflict_key};
use crate::store::upstream::{Origin, Source, UpstreamMeta};
use crate::store::{CUSTOM_REF, Manifest, Store, TrackedFile, UPSTREAM_REF};
use crate::system::dpkg::Dpkg;
use crate::system::fs::{self as livefs, FileMeta};
use crate::system::md5_hex;

/// A state file that exists while live files are being written after the branches moved: a run
/// killed in between is finished by the next writer (see [`finish_interrupted_writes`]).
pub const PENDING_WRITES: &str = "pending-writes.toml";

/// One merge that needs a decision.
pub struct ConflictCase<'a> {
    pub patch: &'a str,
    pub path: &'a InstallPath,
    pub strategy: Strategy,
    pub base: &'a [u8],
    pub local: &'a [u8],
    pub upstream: &'a [u8],
    pub merged: &'a Merged,
    /// Set when the merge was clean but its result does not validate.
    pub invalid: Option<&'a str>,
}

/// A decision about one conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The customisation's version of the file, upstream's changes to it dropped.
    KeepLocal,
    /// Upstream's version: this customisation is dropped for this file.
    TakeUpstream,
    /// A result a person made (edited, or from a merge tool).
    Content(Vec<u8>),
    /// Leave it for later; the other customisations still apply.
    Park,
    /// A result for this file plus settings to carry into another config file, where Jitsi moved
    /// them (`TOOLBAR_ALWAYS_VISIBLE` → `toolbarConfig.alwaysVisible` in config.js).
    Settled { content: Vec<u8>, carry: Vec<Carry> },
}

/// A setting to write into another tracked config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carry {
    /// The kind of file (`config.js`), see [`crate::profile::moves::config_file_kind`].
    pub to_file: &'static str,
    pub to_path: String,
    /// JavaScript source of the value.
    pub value: String,
}

/// Decides conflicts. Returning `Err` (for example [`crate::Error::Aborted`]) aborts the whole
/// rebase with nothing changed.
pub trait Resolver {
    fn resolve(&self, case: &ConflictCase) -> Result<Resolution>;
}

/// Parks every conflict: for runs without a person.
pub struct ParkAll;

impl Resolver for ParkAll {
    fn resolve(&self, _: &ConflictCase) -> Result<Resolution> {
        Ok(Resolution::Park)
    }
}

pub struct Options<'a> {
    /// Files that package scripts changed in place during an apt run: their changes are
    /// upstream's, not the admin's.
    pub changed_by_packages: Vec<InstallPath>,
    /// Pristine new content read from the package archives before dpkg unpacked them.
    pub pending_upstream: BTreeMap<InstallPath, Vec<u8>>,
    pub resolver: &'a dyn Resolver,
    pub dry_run: bool,
}

/// What became of one customisation in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum Fate {
    /// Applied to the new upstream content.
    Carried,
    /// Upstream made the same change: nothing left to carry.
    Adopted,
    /// Decided by a recorded resolution of the same conflict.
    Reused,
    /// Decided now by a person.
    Resolved,
    /// Waiting for a person.
    Parked { reasons: Vec<String> },
}

#[derive(Clone, Debug, Serialize)]
pub struct PatchFate {
    pub customisation: String,
    pub path: InstallPath,
    #[serde(flatten)]
    pub fate: Fate,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Edits found live and recorded before anything was touched.
    pub recorded_first: Vec<InstallPath>,
    /// Files whose new upstream content was taken in, with where it came from.
    pub taken_in: Vec<(InstallPath, Source)>,
    /// Package → (recorded version, installed version), for the packages that changed.
    pub versions: BTreeMap<String, (Option<String>, String)>,
    pub fates: Vec<PatchFate>,
    /// Customisations left with nothing to change, dropped from the stack.
    pub emptied: Vec<String>,
    /// Live files written (or, with dry-run, that would be).
    pub written: Vec<InstallPath>,
    /// Services whose files changed.
    pub services: Vec<String>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn parked(&self) -> impl Iterator<Item = &PatchFate> {
        self.fates
            .iter()
            .filter(|f| matches!(f.fate, Fate::Parked { .. }))
    }
}

/// New upstream content for one file, found by [`take_in`].
struct Intake {
    content: Option<Vec<u8>>,
    origin: Origin,
    /// A `.dpkg-dist`/`.dpkg-new` to remove once its content is in the store.
    tidy: Option<InstallPath>,
}

/// Takes in new upstream content and replays the customisations onto it.
pub fn rebase(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &Dpkg,
    opts: &Options,
) -> Result<Report> {
    let mut report = Report::default();
    let before = store.refs_now()?;

    // Invariant 1: an admin's edit is recorded before anything can overwrite it.
    report.recorded_first = if opts.dry_run {
        let survey = status::survey(root, store, manifest, dpkg)?;
        record::unrecorded_edits(root, &survey, &[])?
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| !opts.changed_by_packages.contains(p))
            .collect()
    } else {
        record::protect_edits(
            root,
            store,
            manifest,
            dpkg,
            "edits found before rebase",
            &opts.changed_by_packages,
        )?
    };

    let upstream_tip = store
        .upstream_tip()?
        .context("the store has no upstream yet; run `jitsi-custom init`")?;
    let custom_tip = store.custom_tip()?.unwrap_or(upstream_tip);
    let meta = store.upstream_meta(Some(upstream_tip))?;
    let patches = store.patches()?;

    // Take in new upstream content.
    let mut new_meta = UpstreamMeta {
        packages: status::installed_versions(dpkg, manifest),
        files: meta.files.clone(),
    };
    for (name, version) in &new_meta.packages {
        let old = meta.packages.get(name);
        if old != Some(version) {
            report
                .versions
                .insert(name.clone(), (old.cloned(), version.clone()));
        }
    }
    let mut upstream_changes: Vec<(InstallPath, Option<Vec<u8>>)> = Vec::new();
    let mut tidy = Vec::new();
    let mut script_edits: Vec<(InstallPath, Vec<u8>)> = Vec::new();
    for file in &manifest.files {
        let rel = file.path.as_rel();
        let old_upstream = store.content_at(upstream_tip, rel)?;
        let mut candidate = None;
        if let Some(intake) = take_in(root, store, dpkg, file, &meta, custom_tip, opts)?
            && intake.content != old_upstream
        {
            report.taken_in.push((file.path.clone(), intake.origin.source));
            new_meta.files.insert(file.path.to_string(), intake.origin);
            tidy.extend(intake.tidy);
            candidate = Some(intake.content);
        }
        if opts.changed_by_packages.contains(&file.path) {
            let base_upstream = candidate.clone().unwrap_or(old_upstream.clone());
            match separate_script_edits(root, store, file, custom_tip, base_upstream.as_deref())? {
                ScriptEdits::None => {}
                ScriptEdits::IntoUpstream(content) => {
                    report.notes.push(format!(
                        "{}: changes made by package scripts taken in as upstream",
                        file.path
                    ));
                    candidate = Some(Some(content));
                }
                ScriptEdits::AsCustomisation(content) => {
                    report.notes.push(format!(
                        "{}: changes made by package scripts could not be separated from the customisations; kept as the customisation \"changes by package scripts\"",
                        file.path
                    ));
                    script_edits.push((file.path.clone(), content));
                }
            }
        }
        if let Some(content) = candidate {
            upstream_changes.push((file.path.clone(), content));
        }
    }
    let changes: Vec<(&str, Option<&[u8]>)> = upstream_changes
        .iter()
        .map(|(p, c)| (p.as_rel(), c.as_deref()))
        .collect();
    let new_upstream = if changes.is_empty() && new_meta.packages == meta.packages {
        upstream_tip
    } else {
        store.make_upstream_commit(Some(upstream_tip), &changes, &new_meta)?
    };

    // Replay the stack file by file.
    let mut stack: Vec<(String, Oid, Option<Oid>)> = Vec::new(); // (name, patch commit, parent)
    for patch in &patches {
        stack.push((patch.name.clone(), patch.id, store.parent_of(patch.id)?));
    }
    if !script_edits.is_empty() {
        let changes: Vec<(&str, Option<&[u8]>)> = script_edits
            .iter()
            .map(|(p, c)| (p.as_rel(), Some(c.as_slice())))
            .collect();
        let tree = store.tree_with(Some(custom_tip), &changes)?;
        let commit = store.commit(tree, &[custom_tip], "changes by package scripts\n")?;
        stack.push(("changes by package scripts".into(), commit, Some(custom_tip)));
    }
    let mut results: BTreeMap<(usize, InstallPath), Option<Vec<u8>>> = BTreeMap::new();
    let mut parked = store.parked()?;
    let mut finals: BTreeMap<InstallPath, Option<Vec<u8>>> = BTreeMap::new();
    let mut carries: Vec<Carry> = Vec::new();
    for file in &manifest.files {
        let rel = file.path.as_rel();
        let upstream_content = store.content_at(new_upstream, rel)?;
        let mut content = upstream_content.clone();
        let mut applied = Vec::new();
        for (index, (name, id, parent)) in stack.iter().enumerate() {
            let base = match parent {
                Some(p) => store.content_at(*p, rel)?,
                None => None,
            };
            let local = store.content_at(*id, rel)?;
            if base == local {
                continue;
            }
            let labels = Labels {
                base: "before the customisation".into(),
                local: format!("customisation: {name}"),
                upstream: versions_label(&new_meta),
            };
            let (result, fate, notes) = replay_one(
                store,
                opts.resolver,
                name,
                file,
                &labels,
                base.as_deref(),
                local.as_deref(),
                content.as_deref(),
                &mut carries,
            )?;
            if let Fate::Parked { reasons } = &fate {
                parked.retain(|p| !(p.patch == *name && p.path == file.path));
                parked.push(Parked {
                    patch: name.clone(),
                    path: file.path.clone(),
                    base: base
                        .as_deref()
                        .map(|b| store.store_blob(b))
                        .transpose()?
                        .map(|o| o.to_string()),
                    local: local
                        .as_deref()
                        .map(|l| store.store_blob(l))
                        .transpose()?
                        .map(|o| o.to_string()),
                    reasons: reasons.clone(),
                });
            } else {
                content = result;
                applied.push(index);
            }
            results.insert((index, file.path.clone()), content.clone());
            report.fates.push(PatchFate {
                customisation: name.clone(),
                path: file.path.clone(),
                fate,
                notes,
            });
        }
        // Nothing that fails validation goes live: park what this run applied to the file.
        if let Some(bytes) = &content
            && content != upstream_content
            && let Err(problem) = crate::validate::validate_file(root, &file.path, bytes)
        {
            report.notes.push(format!(
                "{}: the merged file does not validate ({problem}); its customisations are parked",
                file.path
            ));
            for fate in report.fates.iter_mut().filter(|f| f.path == file.path) {
                fate.fate = Fate::Parked {
                    reasons: vec![format!("the merged file does not validate: {problem}")],
                };
            }
            for index in applied {
                let (name, id, parent) = &stack[index];
                parked.retain(|p| !(p.patch == *name && p.path == file.path));
                parked.push(Parked {
                    patch: name.clone(),
                    path: file.path.clone(),
                    base: match parent {
                        Some(p) => store.blob_id(*p, rel)?.map(|o| o.to_string()),
                        None => None,
                    },
                    local: store.blob_id(*id, rel)?.map(|o| o.to_string()),
                    reasons: vec![format!("the merged file does not validate: {problem}")],
                });
                results.insert((index, file.path.clone()), upstream_content.clone());
            }
            content = upstream_content.clone();
        }
        finals.insert(file.path.clone(), content);
    }

    // Customisations parked earlier: try again on the new content.
    let mut retried = Vec::new();
    let mut still_parked = Vec::new();
    for entry in parked {
        let in_this_run = report
            .fates
            .iter()
            .any(|f| f.customisation == entry.patch && f.path == entry.path);
        if in_this_run || !manifest.is_tracked(&entry.path) {
            still_parked.push(entry);
            continue;
        }
        let Some(file) = manifest.file(&entry.path) else {
            continue;
        };
        let blob = |id: &Option<String>| -> Result<Option<Vec<u8>>> {
            id.as_deref()
                .map(|id| store.read_blob(Oid::from_str(id)?))
                .transpose()
        };
        let (base, local) = (blob(&entry.base)?, blob(&entry.local)?);
        let current = finals.get(&entry.path).cloned().flatten();
        let labels = Labels {
            base: "before the customisation".into(),
            local: format!("customisation: {}", entry.patch),
            upstream: versions_label(&new_meta),
        };
        let (result, fate, notes) = replay_one(
            store,
            opts.resolver,
            &entry.patch,
            file,
            &labels,
            base.as_deref(),
            local.as_deref(),
            current.as_deref(),
            &mut carries,
        )?;
        let parked_again = matches!(fate, Fate::Parked { .. });
        report.fates.push(PatchFate {
            customisation: entry.patch.clone(),
            path: entry.path.clone(),
            fate,
            notes,
        });
        if parked_again {
            still_parked.push(entry);
        } else {
            let valid = result
                .as_deref()
                .is_none_or(|bytes| crate::validate::validate_file(root, &entry.path, bytes).is_ok());
            if valid {
                finals.insert(entry.path.clone(), result.clone());
                retried.push((entry.patch.clone(), entry.path.clone(), result));
            } else {
                still_parked.push(entry);
            }
        }
    }

    // Settings a person chose to carry to where Jitsi moved them.
    let mut carried: Vec<(InstallPath, Option<Vec<u8>>)> = Vec::new();
    for carry in &carries {
        let Some(target) = manifest
            .files
            .iter()
            .find(|f| {
                crate::profile::moves::config_file_kind(f.path.as_rel()) == Some(carry.to_file)
                    && f.template.is_some()
            })
            .or_else(|| {
                manifest
                    .files
                    .iter()
                    .find(|f| crate::profile::moves::config_file_kind(f.path.as_rel()) == Some(carry.to_file))
            })
        else {
            report.notes.push(format!(
                "no tracked {} to carry {} into",
                carry.to_file, carry.to_path
            ));
            continue;
        };
        let current = finals.get(&target.path).cloned().flatten().unwrap_or_default();
        match merge::carry_setting(&current, &carry.to_path, &carry.value) {
            Ok(updated) => {
                report.notes.push(format!(
                    "{}: set {} = {}",
                    target.path, carry.to_path, carry.value
                ));
                finals.insert(target.path.clone(), Some(updated.clone()));
                carried.retain(|(p, _)| p != &target.path);
                carried.push((target.path.clone(), Some(updated)));
            }
            Err(e) => report
                .notes
                .push(format!("{}: cannot set {}: {e}", target.path, carry.to_path)),
        }
    }

    // Build the new stack.
    let mut base = new_upstream;
    for (index, (name, _, _)) in stack.iter().enumerate() {
        let changes: Vec<(&str, Option<&[u8]>)> = results
            .iter()
            .filter(|((i, _), _)| *i == index)
            .map(|((_, path), content)| (path.as_rel(), content.as_deref()))
            .collect();
        let tree = store.tree_with(Some(base), &changes)?;
        if tree == store.tree_of(base)? {
            report.emptied.push(name.clone());
            continue;
        }
        base = store.commit(tree, &[base], &format!("{name}\n"))?;
    }
    for (name, path, content) in &retried {
        let tree = store.tree_with(Some(base), &[(path.as_rel(), content.as_deref())])?;
        if tree != store.tree_of(base)? {
            base = store.commit(tree, &[base], &format!("{name}\n"))?;
        }
    }
    if !carried.is_empty() {
        let changes: Vec<(&str, Option<&[u8]>)> =
            carried.iter().map(|(p, c)| (p.as_rel(), c.as_deref())).collect();
        let tree = store.tree_with(Some(base), &changes)?;
        if tree != store.tree_of(base)? {
            base = store.commit(tree, &[base], "settings moved by upstream\n")?;
        }
    }
    let new_custom = base;

    // What goes live.
    let mut writes: Vec<InstallPath> = Vec::new();
    for file in &manifest.files {
        let desired = store.content_at(new_custom, file.path.as_rel())?;
        let current = live::read(root, &file.path)?;
        if let Some(desired) = desired
            && current.as_deref() != Some(desired.as_slice())
        {
            anyhow::ensure!(
                file.strategy() == Strategy::Binary || !merge::has_conflict_markers(&desired),
                "{}: refusing to write a file with conflict markers",
                file.path
            );
            writes.push(file.path.clone());
        }
    }
    report.services = services_for(manifest, &writes);
    report.written = writes.clone();
    if opts.dry_run {
        return Ok(report);
    }

    // Commit to the new state: branches first, with a journal of the writes still to do.
    store.write_state_file(PENDING_WRITES, pending_text(&writes).as_bytes())?;
    store.set_ref(UPSTREAM_REF, Some(new_upstream), "rebase")?;
    store.set_ref(CUSTOM_REF, Some(new_custom), "rebase")?;
    store.save_parked(&still_parked)?;
    write_live(root, store, &writes)?;
    for path in &tidy {
        livefs::remove(root, path).map_err(|e| live::path_error(path, e))?;
    }
    std::fs::remove_file(store.dir().join(PENDING_WRITES)).ok();
    let summary = summary_line(&report);
    store.log_operation("rebase", &summary, before, &live::snapshot(root, manifest)?)?;
    Ok(report)
}

/// Finishes the live writes of a rebase that was killed after moving the branches: every listed
/// file gets the content the custom branch holds for it.
pub fn finish_interrupted_writes(root: &Path, store: &Store) -> Result<Vec<InstallPath>> {
    let path = store.dir().join(PENDING_WRITES);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    #[derive(serde::Deserialize)]
    struct Pending {
        #[serde(default)]
        write: Vec<InstallPath>,
    }
    let pending: Pending =
        toml::from_str(&text).with_context(|| format!("{}: does not parse", path.display()))?;
    write_live(root, store, &pending.write)?;
    std::fs::remove_file(&path).ok();
    Ok(pending.write)
}

fn pending_text(paths: &[InstallPath]) -> String {
    #[derive(Serialize)]
    struct Pending<'a> {
        write: &'a [InstallPath],
    }
    toml::to_string(&Pending { write: paths }).unwrap_or_default()
}

/// Writes each file's custom-branch content live, atomically, keeping mode and owner.
fn write_live(root: &Path, store: &Store, paths: &[InstallPath]) -> Result<()> {
    let Some(custom) = store.custom_tip()? else {
        return Ok(());
    };
    for path in paths {
        let Some(content) = store.content_at(custom, path.as_rel())? else {
            continue;
        };
        let meta = livefs::stamp(root, path)
            .map_err(|e| live::path_error(path, e))?
            .map(|(_, meta)| meta)
            .unwrap_or(FileMeta::default());
        livefs::write_atomic(root, path, &content, meta).map_err(|e| live::path_error(path, e))?;
    }
    Ok(())
}

/// Merges one customisation of one file onto the content so far and settles conflicts.
#[allow(clippy::too_many_arguments)]
fn replay_one(
    store: &Store,
    resolver: &dyn Resolver,
    name: &str,
    file: &TrackedFile,
    labels: &Labels,
    base: Option<&[u8]>,
    local: Option<&[u8]>,
    upstream: Option<&[u8]>,
    carries: &mut Vec<Carry>,
) -> Result<(Option<Vec<u8>>, Fate, Vec<String>)> {
    if local == upstream {
        return Ok((upstream.map(<[u8]>::to_vec), Fate::Adopted, Vec::new()));
    }
    if base == upstream {
        return Ok((local.map(<[u8]>::to_vec), Fate::Carried, Vec::new()));
    }
    let strategy = file.strategy();
    let (base, local_bytes, upstream_bytes) = (
        base.unwrap_or_default(),
        local.unwrap_or_default(),
        upstream.unwrap_or_default(),
    );
    let merged = if local.is_none() || upstream.is_none() {
        // One side deleted the file while the other changed it: only a person can say.
        Merged {
            content: local_bytes.to_vec(),
            conflicts: vec![merge::Conflict {
                what: if local.is_none() {
                    "the customisation deletes a file upstream changed".into()
                } else {
                    "upstream no longer ships the customised file".into()
                },
                hint: None,
            }],
            ..Merged::default()
        }
    } else {
        merge::merge(strategy, base, local_bytes, upstream_bytes, labels)
    };
    if merged.is_clean() {
        let fate = if merged.content == upstream_bytes {
            Fate::Adopted
        } else {
            Fate::Carried
        };
        return Ok((Some(merged.content), fate, merged.notes));
    }
    let key = conflict_key(strategy.name(), base, local_bytes, upstream_bytes);
    if let Some(content) = store.recorded_resolution(&key)? {
        return Ok((Some(content), Fate::Reused, merged.notes));
    }
    let case = ConflictCase {
        patch: name,
        path: &file.path,
        strategy,
        base,
        local: local_bytes,
        upstream: upstream_bytes,
        merged: &merged,
        invalid: None,
    };
    let resolution = resolver.resolve(&case)?;
    let chosen = match resolution {
        Resolution::KeepLocal => local.map(<[u8]>::to_vec),
        Resolution::TakeUpstream => upstream.map(<[u8]>::to_vec),
        Resolution::Content(content) => Some(content),
        Resolution::Park => {
            let reasons = merged
                .conflicts
                .iter()
                .map(|c| match &c.hint {
                    Some(hint) => format!("{} ({hint})", c.what),
                    None => c.what.clone(),
                })
                .collect();
            return Ok((None, Fate::Parked { reasons }, merged.notes));
        }
        Resolution::Settled { content, carry } => {
            // The carried settings live in another file: replaying only this file's result
            // later would lose them, so this resolution is not remembered.
            if carry.is_empty() {
                store.record_resolution(&key, &content)?;
            }
            carries.extend(carry);
            return Ok((Some(content), Fate::Resolved, merged.notes));
        }
    };
    if let Some(content) = &chosen {
        store.record_resolution(&key, content)?;
    }
    Ok((chosen, Fate::Resolved, merged.notes))
}

/// Where the new upstream content of a file comes from, if the packages brought any.
fn take_in(
    root: &Path,
    store: &Store,
    dpkg: &Dpkg,
    file: &TrackedFile,
    meta: &UpstreamMeta,
    custom_tip: Oid,
    opts: &Options,
) -> Result<Option<Intake>> {
    let install_path = file.path.to_string();
    let recorded = meta.files.get(&install_path).and_then(|o| o.dpkg_md5.clone());
    let origin = |source, dpkg_md5| Origin {
        source,
        package: file.package.clone(),
        dpkg_md5,
    };
    if let Some(content) = opts.pending_upstream.get(&file.path) {
        // What dpkg records for the file's source, as the other sources below note it.
        // Regression: for a generated file this was the md5 of the rendered content, never
        // equal to dpkg's md5 of the template, so `status` saw new upstream content for ever.
        let source_path = file.template.as_ref().unwrap_or(&file.path).to_string();
        let expected = match &file.package {
            Some(p) => dpkg.expected_md5(p, &source_path)?,
            None => None,
        };
        // Regression: a conffile kept with --force-confold also left its `.dpkg-dist` behind,
        // which then stayed forever beside the rebased file. It holds the same content as the
        // archive: tidy it away like when it is the source.
        let mut tidy = None;
        for suffix in [".dpkg-dist", ".dpkg-new"] {
            let dist = file.path.with_suffix(suffix);
            if live::read(root, &dist)?.as_ref() == Some(content) {
                tidy = Some(dist);
                break;
            }
        }
        return Ok(Some(Intake {
            content: Some(content.clone()),
            origin: origin(Source::DebCache, expected.or_else(|| Some(md5_hex(content)))),
            tidy,
        }));
    }
    for suffix in [".dpkg-dist", ".dpkg-new"] {
        let dist = file.path.with_suffix(suffix);
        if let Some(content) = live::read(root, &dist)? {
            let expected = match &file.package {
                Some(p) => dpkg.expected_md5(p, &install_path)?,
                None => None,
            };
            return Ok(Some(Intake {
                content: Some(content),
                origin: origin(Source::DpkgDist, expected),
                tidy: Some(dist),
            }));
        }
    }
    // A template is rendered afresh (the caller compares it with the recorded upstream); a
    // package file is only looked at when dpkg's md5 moved, or the live file is the package's
    // content while the customised one is recorded (dpkg reinstalled it).
    let live_content = live::read(root, &file.path)?;
    if file.template.is_none() {
        let Some(package) = &file.package else {
            return Ok(None);
        };
        let Some(expected) = dpkg.expected_md5(package, &install_path)? else {
            return Ok(None);
        };
        let live_is_package = live_content.as_deref().is_some_and(|c| md5_hex(c) == expected);
        let custom = store.content_at(custom_tip, file.path.as_rel())?;
        if Some(&expected) == recorded.as_ref() && !(live_is_package && live_content != custom) {
            return Ok(None);
        }
    }
    Ok(
        match crate::intake::find_pristine(root, dpkg, file, live_content.as_deref(), false)? {
            crate::intake::Pristine::Found { content, origin } => Some(Intake {
                content: Some(content),
                origin,
                tidy: None,
            }),
            _ => None,
        },
    )
}

enum ScriptEdits {
    None,
    /// The package scripts' changes applied to upstream's content.
    IntoUpstream(Vec<u8>),
    /// The live file as the scripts left it, to keep as a customisation of its own.
    AsCustomisation(Vec<u8>),
}

/// Separates what package scripts changed in a live file during an apt run from the admin's
/// customisations: the scripts' change (custom → live) is replayed onto upstream's content.
fn separate_script_edits(
    root: &Path,
    store: &Store,
    file: &TrackedFile,
    custom_tip: Oid,
    upstream: Option<&[u8]>,
) -> Result<ScriptEdits> {
    let Some(live_content) = live::read(root, &file.path)? else {
        return Ok(ScriptEdits::None);
    };
    let custom = store
        .content_at(custom_tip, file.path.as_rel())?
        .unwrap_or_default();
    // Nothing to separate when the scripts left exactly the new upstream content (a file dpkg
    // replaced) or did not touch the customised file.
    if live_content == custom || upstream == Some(live_content.as_slice()) {
        return Ok(ScriptEdits::None);
    }
    let upstream = upstream.unwrap_or_default();
    let merged = merge::merge(
        file.strategy(),
        &custom,
        &live_content,
        upstream,
        &Labels::default(),
    );
    Ok(if merged.is_clean() {
        ScriptEdits::IntoUpstream(merged.content)
    } else {
        ScriptEdits::AsCustomisation(live_content)
    })
}

fn versions_label(meta: &UpstreamMeta) -> String {
    let versions: Vec<String> = meta.packages.iter().map(|(p, v)| format!("{p} {v}")).collect();
    if versions.is_empty() {
        "upstream".into()
    } else {
        format!("upstream ({})", versions.join(", "))
    }
}

/// Services to restart for the written files, each once: the manifest's choice per file, else
/// the profile's.
pub fn services_for(manifest: &Manifest, written: &[InstallPath]) -> Vec<String> {
    let mut services: Vec<String> = Vec::new();
    for path in written {
        let chosen: Vec<String> = match manifest.file(path).and_then(|f| f.services.clone()) {
            Some(list) => list,
            None => crate::profile::services_for(&path.to_string())
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        for service in chosen {
            if !services.contains(&service) {
                services.push(service);
            }
        }
    }
    services
}

fn summary_line(report: &Report) -> String {
    let count = |pred: fn(&Fate) -> bool| report.fates.iter().filter(|f| pred(&f.fate)).count();
    let versions: Vec<String> = report
        .versions
        .iter()
        .map(|(p, (old, new))| format!("{p} {} → {new}", old.as_deref().unwrap_or("-")))
        .collect();
    let mut line = format!(
        "{} carried, {} adopted by upstream, {} resolved, {} parked",
        count(|f| matches!(f, Fate::Carried)),
        count(|f| matches!(f, Fate::Adopted)),
        count(|f| matches!(f, Fate::Resolved | Fate::Reused)),
        count(|f| matches!(f, Fate::Parked { .. })),
    );
    if !versions.is_empty() {
        line = format!("{}; {line}", versions.join(", "));
    }
    line
}
