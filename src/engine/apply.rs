//! `apply`: the guide's recipes ([`super::recipe`]) applied to the live files and recorded, each
//! as the customisation named after the recipe.
//!
//! Everything is worked out in memory first: each recipe's operations on the live contents, one
//! recipe after the other, every result validated as a rebase result is. Only when all of them
//! apply does anything change, in this order: edits nobody recorded yet are recorded (invariant
//! 1), files not tracked yet are tracked (a `track` operation, so that a rollback of the apply
//! finds them as they were), and then one `apply` operation records each recipe and writes the
//! live files in the store's atomic step ([`crate::store::transition`]) — `rollback` undoes it
//! whole. A recipe already in effect changes nothing and records nothing.

use std::path::Path;

use crate::tr;
use anyhow::Result;

use crate::InstallPath;
use crate::engine::recipe::{self, Change, Files, Recipe, Values};
use crate::engine::status::FileState;
use crate::engine::{live, record, track};
use crate::error::Error;
use crate::store::{Manifest, Store};
use crate::system::dpkg::Dpkg;
use crate::system::fs::FileMeta;

/// What one recipe does (or would do) to the live files.
#[derive(Debug)]
pub struct Applied {
    pub name: String,
    /// The files it changes; empty when it is in effect already.
    pub changes: Vec<Change>,
}

/// What `apply` did.
#[derive(Debug, Default)]
pub struct Report {
    pub recipes: Vec<Applied>,
    /// Files that were not tracked and are now (or would be, in a dry run).
    pub tracked: Vec<InstallPath>,
    /// Tracked files whose live content differed from upstream when they were tracked.
    pub tracked_with_edits: Vec<InstallPath>,
    /// Warnings from tracking (a live file taken as upstream).
    pub warnings: Vec<String>,
    /// Files with edits nobody had recorded, recorded before the apply.
    pub recorded_first: Vec<InstallPath>,
    /// Services that read the files written.
    pub services: Vec<String>,
}

impl Report {
    /// Every file written, once.
    pub fn written(&self) -> Vec<InstallPath> {
        let mut out: Vec<InstallPath> = Vec::new();
        for change in self.recipes.iter().flat_map(|r| &r.changes) {
            if !out.contains(&change.path) {
                out.push(change.path.clone());
            }
        }
        out
    }
}

/// Works out what the recipes do to the live files under `root`, one after the other, and
/// validates every result. Writes nothing.
pub fn plan(root: &Path, recipes: &[Recipe], values: &Values) -> Result<Vec<Applied>> {
    let mut files = Files::new(|path| live::read(root, path));
    let mut out = Vec::new();
    for recipe in recipes {
        let changes = recipe::apply(recipe, values, &mut files)?;
        for change in &changes {
            crate::validate::validate_merged(root, &change.path, &change.after, change.before.as_deref())
                .map_err(|why| {
                    Error::Usage(tr!(
                        "{recipe}: {path}: the result does not validate: {why}; nothing was changed",
                        recipe = recipe.name,
                        path = change.path,
                        why
                    ))
                })?;
        }
        out.push(Applied {
            name: recipe.name.clone(),
            changes,
        });
    }
    Ok(out)
}

/// Applies the recipes to the live files and records each that changes something as the
/// customisation of its name (a recipe applied before with other values is amended). With
/// `dry_run`, only works out the report.
pub fn apply_recipes(
    root: &Path,
    store: &Store,
    dpkg: &Dpkg,
    recipes: &[Recipe],
    values: &Values,
    dry_run: bool,
) -> Result<Report> {
    let mut manifest = store.load_manifest()?;
    let applied = plan(root, recipes, values)?;
    let mut report = Report {
        recipes: applied,
        ..Report::default()
    };
    let written = report.written();
    report.tracked = written
        .iter()
        .filter(|p| !manifest.is_tracked(p))
        .cloned()
        .collect();
    report.services = crate::engine::rebase::services_for(&manifest, &written);
    if written.is_empty() || dry_run {
        return Ok(report);
    }
    refuse_pending_upstream(root, store, &manifest, dpkg, &written)?;
    report.recorded_first =
        record::protect_edits(root, store, &manifest, dpkg, "edits found before apply", &[])?;
    if !report.tracked.is_empty() {
        let mut files = Vec::new();
        for path in &report.tracked {
            let file = track::describe(path.clone(), dpkg, &manifest)?;
            files.push((file, live::read(root, path)?));
        }
        for tracked in track::track_files(root, store, &mut manifest, dpkg, files)? {
            if tracked.unrecorded {
                report.tracked_with_edits.push(tracked.path.clone());
            }
            report.warnings.extend(tracked.taken_as_upstream);
        }
        if !report.tracked_with_edits.is_empty() {
            // Edits found in files tracked just now are the admin's: recorded before the apply.
            let more = record::protect_edits(root, store, &manifest, dpkg, "edits found before apply", &[])?;
            report.recorded_first.extend(more);
        }
        report.services = crate::engine::rebase::services_for(&manifest, &written);
    }
    record_and_write(root, store, &manifest, &report)?;
    Ok(report)
}

/// A file a package changed since the last rebase: a recipe applied on top would be recorded with
/// upstream's change in it.
fn refuse_pending_upstream(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &Dpkg,
    written: &[InstallPath],
) -> Result<()> {
    let survey = crate::engine::status::survey(root, store, manifest, dpkg)?;
    for path in written {
        let Some(file) = survey.file(path) else { continue };
        let state = file.state.name();
        let message = match file.state {
            FileState::Overwritten | FileState::UpstreamChanged => tr!(
                "{path}: {state} (a package changed it since the last rebase); nothing was changed\nhint: run `jitsi-custom rebase` first",
                path,
                state
            ),
            FileState::Conflict => tr!(
                "{path}: {state} (a package changed it since the last rebase); nothing was changed\nhint: decide the parked conflict first with `jitsi-custom resolve`",
                path,
                state
            ),
            _ => continue,
        };
        return Err(Error::Usage(message).into());
    }
    Ok(())
}

/// The one `apply` operation: a patch per recipe, the live files, logged together.
fn record_and_write(root: &Path, store: &Store, manifest: &Manifest, report: &Report) -> Result<()> {
    let before = store.refs_now()?;
    let mut finals: Vec<(InstallPath, Vec<u8>)> = Vec::new();
    let mut names = Vec::new();
    for applied in report.recipes.iter().filter(|r| !r.changes.is_empty()) {
        let changes: Vec<(&str, Option<&[u8]>)> = applied
            .changes
            .iter()
            .map(|c| (c.path.as_rel(), Some(c.after.as_slice())))
            .collect();
        // Applied before (with other values): the customisation of that name is amended, unless
        // a later one changes the same files, which decides whose lines they are; then the new
        // values go on top under the same name.
        let patches = store.patches()?;
        let amendable = patches
            .iter()
            .position(|p| p.name == applied.name)
            .is_some_and(|at| {
                patches[at + 1..].iter().all(|later| {
                    !applied
                        .changes
                        .iter()
                        .any(|c| later.paths.iter().any(|p| p == c.path.as_rel()))
                })
            });
        if amendable {
            store.amend_patch(&applied.name, &changes)?;
        } else {
            store.record_patch(&applied.name, &changes)?;
        }
        for change in &applied.changes {
            finals.retain(|(p, _)| p != &change.path);
            finals.push((change.path.clone(), change.after.clone()));
        }
        names.push(applied.name.clone());
    }
    for (path, content) in &finals {
        let exists = crate::system::fs::stamp(root, path)
            .map_err(|e| crate::system::fs::path_error(path, e))?
            .is_some();
        let meta = (!exists).then(FileMeta::default);
        store.stage_live(path, Some(content.clone()), meta);
    }
    let files = match finals.as_slice() {
        [(path, _)] => path.to_string(),
        more => format!("{} files", more.len()),
    };
    store.log_operation(
        root,
        "apply",
        &format!("{} ({files})", names.join(", ")),
        before,
        &live::snapshot(root, manifest)?,
    )?;
    Ok(())
}
