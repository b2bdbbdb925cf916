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

use crate::tr;
use anyhow::{Context, Result};
use serde::Serialize;

use crate::InstallPath;
use crate::engine::live;
use crate::engine::record;
use crate::engine::status;
use crate::english;
use crate::i18n::Message;
use crate::merge::{self, Labels, Merged, Strategy};
use crate::store::Oid;
use crate::store::parked::{Fallback, Notice, NoticeKind, Parked, Review, conflict_key};
use crate::store::upstream::{Origin, Source, UpstreamMeta};
use crate::store::{CUSTOM_REF, Manifest, Store, TrackedFile, UPSTREAM_REF};
use crate::system::dpkg::Dpkg;
use crate::system::md5_hex;

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

/// Answers conflicts from a list, in order, as a person would have; parks once the list is used
/// up. For tests of the engine's decisions in-process, beside the pseudo-terminal ones.
pub struct Scripted {
    answers: std::cell::RefCell<std::collections::VecDeque<Resolution>>,
    /// The customisation and file of every conflict asked about, in order.
    pub asked: std::cell::RefCell<Vec<(String, InstallPath)>>,
}

impl Scripted {
    pub fn new(answers: impl IntoIterator<Item = Resolution>) -> Scripted {
        Scripted {
            answers: std::cell::RefCell::new(answers.into_iter().collect()),
            asked: std::cell::RefCell::default(),
        }
    }
}

impl Resolver for Scripted {
    fn resolve(&self, case: &ConflictCase) -> Result<Resolution> {
        self.asked
            .borrow_mut()
            .push((case.patch.to_string(), case.path.clone()));
        Ok(self.answers.borrow_mut().pop_front().unwrap_or(Resolution::Park))
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
    /// The docker variant: the web image as it is now and the container that generates the web
    /// configs ([`crate::engine::docker`]).
    pub docker: Option<&'a crate::engine::docker::Intake>,
    /// Another stack to replay than the store's: what `pull` brings in.
    pub replace: Option<Replacement>,
}

/// The stack `pull` replays instead of the store's, in order: the shared customisations as the
/// remote has them (their commits are built on the remote's base, so each is merged onto this
/// host's content with its own before and after), customisations of the store's stack kept in
/// the remote's order, then every other customisation of the store's stack (local-only) on top.
#[derive(Clone, Debug, Default)]
pub struct Replacement {
    pub slots: Vec<Slot>,
    /// Customisations of the store's stack that leave it (the shared set dropped them).
    pub dropped: Vec<String>,
    /// Refs that move with the operation (the synced marker of the remote).
    pub refs: Vec<(String, Option<Oid>)>,
    /// The operation's kind and description in the log.
    pub operation: (String, String),
}

/// One place of a [`Replacement`] stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A customisation as it comes in: its commit and the commit it changes. Never reopened
    /// from the parked list (that holds the store's version's intent).
    Incoming { name: String, id: Oid, parent: Oid },
    /// The store's customisation of this name, here. Right after an `Incoming` of the same
    /// name, it is replayed onto it and the two become one customisation.
    Kept(String),
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
    /// Waiting for a person; `fallback` says what is live meanwhile.
    Parked {
        reasons: Vec<String>,
        fallback: Fallback,
    },
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
    /// For the person (English in `--json`).
    pub notes: Vec<Message>,
    /// The review list after this run: what was decided without a person.
    pub notices: Vec<Notice>,
    /// The stack's new tip (in a dry run: as it would be).
    #[serde(skip)]
    pub stack_tip: Option<Oid>,
}

impl Report {
    pub fn parked(&self) -> impl Iterator<Item = &PatchFate> {
        self.fates
            .iter()
            .filter(|f| matches!(f.fate, Fate::Parked { .. }))
    }
}

/// One customisation in the replay: a commit of the stack, or one whose commit left the stack
/// and lives on in the parked list only (`id` is `None`).
struct StackEntry {
    name: String,
    id: Option<Oid>,
    parent: Option<Oid>,
    /// Replayed from its commit even when the parked list holds inputs for its name.
    fresh: bool,
}

/// New upstream content for one file, found by [`take_in`].
struct Intake {
    content: Option<Vec<u8>>,
    origin: Origin,
    /// A `.dpkg-dist`/`.dpkg-new` to remove once its content is in the store.
    tidy: Option<InstallPath>,
}

/// Takes in new upstream content and replays the customisations onto it, in phases that read
/// top-down: protect unrecorded edits, take in, replay and decide, carry moved settings, build the
/// new stack, plan the live writes, commit. Restarting the services is the caller's (it renders
/// the report first).
pub fn rebase(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &Dpkg,
    opts: &Options,
) -> Result<Report> {
    let mut report = Report::default();
    let before = store.refs_now()?;
    report.recorded_first = protect_edits(root, store, manifest, dpkg, opts)?;
    let taken = take_in_upstream(root, store, manifest, dpkg, opts, &mut report)?;
    let mut replayed = replay_stack(root, store, manifest, opts, &taken, &mut report)?;
    carry_moved_settings(root, manifest, &mut replayed, &mut report);
    report.notices = replayed.review.notices.clone();
    let new_custom = build_stack(store, taken.new_upstream, &replayed, &mut report)?;
    let writes = plan_writes(root, store, manifest, new_custom)?;
    report.services = services_for(manifest, &writes);
    report.written = writes.clone();
    if !opts.dry_run {
        commit(
            root,
            store,
            manifest,
            before,
            &taken,
            new_custom,
            &replayed.review,
            &writes,
            &report,
            &opts.replace,
        )?;
    }
    report.stack_tip = Some(new_custom);
    Ok(report)
}

/// The customisation that unrecorded edits found before a rebase (or pull) become.
pub const EDITS_FOUND_FIRST: &str = "edits found before rebase";

/// Invariant 1: an admin's edit is recorded before anything can overwrite it (a dry run only
/// says which).
fn protect_edits(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &Dpkg,
    opts: &Options,
) -> Result<Vec<InstallPath>> {
    Ok(if opts.dry_run {
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
            EDITS_FOUND_FIRST,
            &opts.changed_by_packages,
        )?
    })
}

/// What the packages brought: the new upstream commit, with what goes with it.
struct TakenIn {
    custom_tip: Oid,
    new_upstream: Oid,
    new_meta: UpstreamMeta,
    /// `.dpkg-dist`/`.dpkg-new` files whose content is in the store now.
    tidy: Vec<InstallPath>,
    /// Package scripts' edits that could not be separated from the customisations.
    script_edits: Vec<(InstallPath, Vec<u8>)>,
    patches: Vec<crate::store::stack::Patch>,
}

/// Phase 1, take in: new upstream content from the packages (dpkg's files, `.dpkg-dist`,
/// archives read by the hook, templates), and the package scripts' in-place edits.
fn take_in_upstream(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &Dpkg,
    opts: &Options,
    report: &mut Report,
) -> Result<TakenIn> {
    let upstream_tip = store
        .upstream_tip()?
        .with_context(|| tr!("the store has no upstream yet; run `jitsi-custom init`"))?;
    let custom_tip = store.custom_tip()?.unwrap_or(upstream_tip);
    let meta = store.upstream_meta(Some(upstream_tip))?;
    let patches = store.patches()?;

    // Take in new upstream content.
    let mut new_meta = UpstreamMeta {
        packages: status::installed_versions(dpkg, manifest),
        files: meta.files.clone(),
    };
    if let (Some(intake), Some(setup)) = (opts.docker, &manifest.docker) {
        new_meta
            .packages
            .insert(format!("image {}", setup.web_image), intake.image.id.clone());
    }
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
        if let Some(intake) = take_in(root, store, dpkg, file, &meta, custom_tip, opts)? {
            if intake.content != old_upstream {
                report.taken_in.push((file.path.clone(), intake.origin.source));
                new_meta.files.insert(file.path.to_string(), intake.origin);
                tidy.extend(intake.tidy);
                candidate = Some(intake.content);
            } else if intake.origin.image.is_some() {
                // docker: the same content in a new image (or from a new container) is still
                // taken from there now.
                new_meta.files.insert(file.path.to_string(), intake.origin);
            }
        }
        if opts.changed_by_packages.contains(&file.path) {
            let base_upstream = candidate.clone().unwrap_or(old_upstream.clone());
            match separate_script_edits(root, store, file, custom_tip, base_upstream.as_deref())? {
                ScriptEdits::None => {}
                ScriptEdits::IntoUpstream(content) => {
                    report.notes.push(Message::new(english!(
                        "{path}: changes made by package scripts taken in as upstream",
                        path = file.path
                    )));
                    candidate = Some(Some(content));
                }
                ScriptEdits::AsCustomisation(content) => {
                    report.notes.push(Message::new(english!(
                        "{path}: changes made by package scripts could not be separated from the customisations; kept as the customisation \"changes by package scripts\"",
                        path = file.path
                    )));
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
    Ok(TakenIn {
        custom_tip,
        new_upstream,
        new_meta,
        tidy,
        script_edits,
        patches,
    })
}

/// A setting upstream moved to another file, found by a merge: (customisation, file, old
/// setting, new home).
type Moved = (String, InstallPath, Option<String>, merge::MovedTo);

/// The customisations replayed onto the new upstream content, file by file.
struct Replayed {
    stack: Vec<StackEntry>,
    /// (customisation index, file) → the file's content after that customisation.
    results: BTreeMap<(usize, InstallPath), Option<Vec<u8>>>,
    /// Each file's content after every customisation.
    finals: BTreeMap<InstallPath, Option<Vec<u8>>>,
    /// Settings a person chose to carry into another file.
    carries: Vec<Carry>,
    moves: Vec<Moved>,
    /// Files that settings were carried into, with their new content.
    carried: Vec<(InstallPath, Option<Vec<u8>>)>,
    review: Review,
}

/// Phase 2, replay and decide: every customisation merged onto the new content per file; a
/// conflict asked, or parked with the fallback that keeps the customisation live; every result
/// validated before it can go live.
fn replay_stack(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    opts: &Options,
    taken: &TakenIn,
    report: &mut Report,
) -> Result<Replayed> {
    let TakenIn {
        custom_tip,
        new_upstream,
        new_meta,
        script_edits,
        patches,
        ..
    } = taken;
    let (custom_tip, new_upstream) = (*custom_tip, *new_upstream);
    // Replay the stack file by file.
    let mut review = store.review()?;
    let mut stack: Vec<StackEntry> = Vec::new();
    let entry_of = |patch: &crate::store::stack::Patch| -> Result<StackEntry> {
        Ok(StackEntry {
            name: patch.name.clone(),
            id: Some(patch.id),
            parent: store.parent_of(patch.id)?,
            fresh: false,
        })
    };
    match &opts.replace {
        None => {
            for patch in patches {
                stack.push(entry_of(patch)?);
            }
        }
        Some(replace) => {
            let mut placed: Vec<&str> = Vec::new();
            for slot in &replace.slots {
                match slot {
                    Slot::Incoming { name, id, parent } => stack.push(StackEntry {
                        name: name.clone(),
                        id: Some(*id),
                        parent: Some(*parent),
                        fresh: true,
                    }),
                    Slot::Kept(name) => {
                        if let Some(patch) = patches.iter().find(|p| &p.name == name) {
                            stack.push(entry_of(patch)?);
                        }
                        placed.push(name);
                    }
                }
            }
            let incoming = |name: &str| {
                replace
                    .slots
                    .iter()
                    .any(|s| matches!(s, Slot::Incoming { name: n, .. } if n == name))
            };
            for patch in patches {
                if !placed.contains(&patch.name.as_str())
                    && !incoming(&patch.name)
                    && !replace.dropped.contains(&patch.name)
                {
                    stack.push(entry_of(patch)?);
                }
            }
        }
    }
    if !script_edits.is_empty() {
        let changes: Vec<(&str, Option<&[u8]>)> = script_edits
            .iter()
            .map(|(p, c)| (p.as_rel(), Some(c.as_slice())))
            .collect();
        let tree = store.tree_with(Some(custom_tip), &changes)?;
        let commit = store.commit(tree, &[custom_tip], "changes by package scripts\n")?;
        stack.push(StackEntry {
            name: "changes by package scripts".into(),
            id: Some(commit),
            parent: Some(custom_tip),
            fresh: false,
        });
    }
    // A parked customisation whose commit left the stack (everything it changed fell back to
    // upstream's) still has its inputs in the parked list: it is replayed from them.
    for entry in &review.parked {
        let dropped = opts
            .replace
            .as_ref()
            .is_some_and(|r| r.dropped.contains(&entry.patch));
        if manifest.is_tracked(&entry.path) && !dropped && !stack.iter().any(|s| s.name == entry.patch) {
            stack.push(StackEntry {
                name: entry.patch.clone(),
                id: None,
                parent: None,
                fresh: false,
            });
        }
    }
    let mut results: BTreeMap<(usize, InstallPath), Option<Vec<u8>>> = BTreeMap::new();
    let mut finals: BTreeMap<InstallPath, Option<Vec<u8>>> = BTreeMap::new();
    let mut carries: Vec<Carry> = Vec::new();
    // Settings upstream moved to another file, found by the merges: (customisation, file, old
    // setting, new home).
    let mut moves: Vec<Moved> = Vec::new();
    let mut parked_now: Vec<Parked> = Vec::new();
    for file in &manifest.files {
        let rel = file.path.as_rel();
        let upstream_content = store.content_at(new_upstream, rel)?;
        let mut content = upstream_content.clone();
        // Indices of the customisations replayed on this file, and their parked entries.
        let mut touched: Vec<usize> = Vec::new();
        let mut parked_here: Vec<(usize, Parked)> = Vec::new();
        let mut needs_person_for_file = false;
        for (index, entry) in stack.iter().enumerate() {
            let reopened = review
                .parked
                .iter()
                .find(|p| !entry.fresh && p.patch == entry.name && p.path == file.path)
                .cloned();
            let reopened = reopened.as_ref();
            // A parked customisation is merged from its own inputs again, not from the fallback
            // the stack holds meanwhile.
            let (base, local) = match (reopened, entry.id) {
                (Some(parked), _) => (
                    store.parked_blob(&parked.base)?,
                    store.parked_blob(&parked.local)?,
                ),
                (None, Some(id)) => (
                    match entry.parent {
                        Some(p) => store.content_at(p, rel)?,
                        None => None,
                    },
                    store.content_at(id, rel)?,
                ),
                (None, None) => continue,
            };
            if base == local {
                continue;
            }
            let labels = Labels {
                base: "before the customisation".into(),
                local: format!("customisation: {}", entry.name),
                upstream: versions_label(new_meta),
                moved_settings: crate::profile::moves::MOVES,
            };
            let step = replay_one(
                store,
                opts,
                &entry.name,
                file,
                &labels,
                base.as_deref(),
                local.as_deref(),
                content.as_deref(),
                &mut carries,
            )?;
            for decision in step.decisions {
                if let Some(to) = &decision.moved_to {
                    moves.push((
                        entry.name.clone(),
                        file.path.clone(),
                        decision.setting.clone(),
                        to.clone(),
                    ));
                }
                review.add_notice(Notice {
                    path: file.path.clone(),
                    customisation: entry.name.clone(),
                    kind: decision.kind.into(),
                    setting: decision.setting,
                    message: decision.message,
                });
            }
            if step.upstream_dropped {
                review.add_notice(Notice {
                    path: file.path.clone(),
                    customisation: entry.name.clone(),
                    kind: NoticeKind::UpstreamDropped,
                    setting: None,
                    message: "you kept the whole customised file: upstream's changes to it are not live"
                        .into(),
                });
            }
            touched.push(index);
            if let Fate::Parked { reasons, .. } = &step.fate {
                let (base_blob, local_blob) = match reopened {
                    Some(parked) => (parked.base.clone(), parked.local.clone()),
                    None => (
                        base.as_deref()
                            .map(|b| store.store_blob(b))
                            .transpose()?
                            .map(|o| o.to_string()),
                        local
                            .as_deref()
                            .map(|l| store.store_blob(l))
                            .transpose()?
                            .map(|o| o.to_string()),
                    ),
                };
                parked_here.push((
                    index,
                    Parked {
                        patch: entry.name.clone(),
                        path: file.path.clone(),
                        base: base_blob,
                        local: local_blob,
                        reasons: reasons.clone(),
                        fallback: Fallback::Yours,
                    },
                ));
                match step.result {
                    Some(favoured) => content = Some(favoured),
                    None => needs_person_for_file = true,
                }
            } else {
                content = step.result;
            }
            results.insert((index, file.path.clone()), content.clone());
            report.fates.push(PatchFate {
                customisation: entry.name.clone(),
                path: file.path.clone(),
                fate: step.fate,
                notes: step.notes,
            });
        }

        // Nothing that fails validation goes live, and a decision that waits for a person never
        // takes the customisation off the server while a customised alternative validates.
        let invalid = match &content {
            Some(bytes) if content != upstream_content => {
                crate::validate::validate_merged(root, &file.path, bytes, upstream_content.as_deref()).err()
            }
            _ => None,
        };
        if invalid.is_some() || needs_person_for_file {
            let previous = store.content_at(custom_tip, rel)?;
            let previous_valid = previous.as_deref().is_some_and(|bytes| {
                previous != upstream_content
                    && crate::validate::validate_file(root, &file.path, bytes).is_ok()
            });
            let (fallback, fallback_content) = if previous_valid {
                (Fallback::Previous, previous)
            } else {
                (Fallback::Upstream, upstream_content.clone())
            };
            let reason = match &invalid {
                Some(problem) => format!("the merged file does not validate: {problem}"),
                None => "another customisation of this file waits for a decision".into(),
            };
            if let Some(problem) = &invalid {
                report.notes.push(Message::new(english!(
                    "{path}: the merged file does not validate ({problem}); {fallback}",
                    path = file.path,
                    problem = problem,
                    fallback = fallback.describe()
                )));
            }
            for &index in &touched {
                let entry = &stack[index];
                if !parked_here.iter().any(|(i, _)| *i == index) {
                    let reopened = review
                        .parked
                        .iter()
                        .find(|p| !entry.fresh && p.patch == entry.name && p.path == file.path);
                    let (base, local) = match (reopened, entry.id) {
                        (Some(parked), _) => (parked.base.clone(), parked.local.clone()),
                        (None, Some(id)) => (
                            match entry.parent {
                                Some(p) => store.blob_id(p, rel)?.map(|o| o.to_string()),
                                None => None,
                            },
                            store.blob_id(id, rel)?.map(|o| o.to_string()),
                        ),
                        (None, None) => (None, None),
                    };
                    parked_here.push((
                        index,
                        Parked {
                            patch: entry.name.clone(),
                            path: file.path.clone(),
                            base,
                            local,
                            reasons: vec![reason.clone()],
                            fallback,
                        },
                    ));
                }
                // The stack carries what is live; the parked entries carry the intent.
                results.insert((index, file.path.clone()), fallback_content.clone());
            }
            for fate in report.fates.iter_mut().filter(|f| f.path == file.path) {
                let reasons = match &fate.fate {
                    Fate::Parked { reasons, .. } => reasons.clone(),
                    _ => vec![reason.clone()],
                };
                fate.fate = Fate::Parked { reasons, fallback };
            }
            for (_, parked) in &mut parked_here {
                parked.fallback = fallback;
            }
            content = fallback_content;
        }
        for (_, parked) in parked_here {
            parked_now.push(parked);
        }
        finals.insert(file.path.clone(), content);
    }
    // What is parked after this run: this run's decisions, and entries for files no longer
    // tracked (kept, so that tracking the file again brings them back).
    let mut still_parked: Vec<Parked> = review
        .parked
        .iter()
        .filter(|p| !manifest.is_tracked(&p.path))
        .cloned()
        .collect();
    still_parked.extend(parked_now);
    review.notices.retain(|n| {
        n.kind != NoticeKind::Parked
            || still_parked
                .iter()
                .any(|p| p.patch == n.customisation && p.path == n.path)
    });
    for parked in &still_parked {
        review.add_notice(Notice {
            path: parked.path.clone(),
            customisation: parked.patch.clone(),
            kind: NoticeKind::Parked,
            setting: None,
            message: format!("{}; {}", parked.reasons.join("; "), parked.fallback.describe()),
        });
    }
    review.parked = still_parked;
    Ok(Replayed {
        stack,
        results,
        finals,
        carries,
        moves,
        carried: Vec::new(),
        review,
    })
}

/// Phase 3, settings that moved: a person's choice at the prompt is written to the setting's
/// new home; a value the merge kept in the old place is also written to the new one when that
/// key is not set there yet (where it takes effect), and the review list says so.
fn carry_moved_settings(root: &Path, manifest: &Manifest, replayed: &mut Replayed, report: &mut Report) {
    let Replayed {
        finals,
        carries,
        moves,
        carried,
        review,
        ..
    } = replayed;
    let targets = carries
        .iter()
        .map(|c| (c.to_file.to_string(), c.to_path.clone(), c.value.clone(), None))
        .chain(moves.iter().map(|(name, from, setting, to)| {
            (
                to.file.clone(),
                to.path.clone(),
                to.value.clone(),
                Some((name, from, setting)),
            )
        }));
    for (to_file, to_path, value, moved_from) in targets {
        let Some(target) = config_target(manifest, &to_file) else {
            report.notes.push(Message::new(english!(
                "no tracked {to_file} to carry {to_path} into",
                to_file = to_file,
                to_path = to_path
            )));
            continue;
        };
        let current = finals.get(&target.path).cloned().flatten().unwrap_or_default();
        let updated = match moved_from {
            None => merge::carry_setting(&current, &to_path, &value).map(Some),
            Some(_) if merge::active_value(&current, &to_path).ok().flatten().is_some() => Ok(None),
            Some(_) => merge::carry_setting(&current, &to_path, &value).map(Some),
        };
        let updated = match updated {
            Ok(Some(updated)) => updated,
            Ok(None) => continue,
            Err(e) => {
                report.notes.push(Message::new(english!(
                    "{path}: cannot set {to_path}: {error}",
                    path = target.path,
                    to_path = to_path,
                    error = e
                )));
                continue;
            }
        };
        if let Err(problem) = crate::validate::validate_file(root, &target.path, &updated) {
            report.notes.push(Message::new(english!(
                "{path}: setting {to_path} would not validate ({problem}); left as it is",
                path = target.path,
                to_path = to_path,
                problem = problem
            )));
            continue;
        }
        report.notes.push(Message::new(english!(
            "{path}: set {to_path} = {value}",
            path = target.path,
            to_path = to_path,
            value = value
        )));
        if let Some((name, from, setting)) = moved_from
            && let Some(notice) = review.notices.iter_mut().find(|n| {
                n.kind == NoticeKind::Moved
                    && &n.path == from
                    && &n.customisation == name
                    && &n.setting == setting
            })
            && !notice.message.contains("is set there now")
        {
            notice.message.push_str(&format!(
                "; your value {value} is set there now ({})",
                target.path
            ));
        }
        finals.insert(target.path.clone(), Some(updated.clone()));
        carried.retain(|(p, _)| p != &target.path);
        carried.push((target.path.clone(), Some(updated)));
    }
}

/// Phase 4, the new stack: one commit per customisation on the new upstream, then the settings
/// carried into other files; returns the new tip.
fn build_stack(store: &Store, new_upstream: Oid, replayed: &Replayed, report: &mut Report) -> Result<Oid> {
    let Replayed {
        stack,
        results,
        carried,
        review,
        ..
    } = replayed;
    // Build the new stack.
    let mut base = new_upstream;
    // The commit made for the entry before, when it has the same name: the two are one
    // customisation (a pulled one and this host's edits of it), so this one folds into it.
    let mut last: Option<(&str, Oid)> = None;
    let mut made: Vec<&str> = Vec::new();
    for (index, entry) in stack.iter().enumerate() {
        let changes: Vec<(&str, Option<&[u8]>)> = results
            .iter()
            .filter(|((i, _), _)| *i == index)
            .map(|((_, path), content)| (path.as_rel(), content.as_deref()))
            .collect();
        let tree = store.tree_with(Some(base), &changes)?;
        if tree == store.tree_of(base)? {
            let folded = last.is_some_and(|(name, _)| name == entry.name);
            // A customisation that waits for a decision is not empty: its inputs are parked.
            if entry.id.is_some() && !folded && !review.parked.iter().any(|p| p.patch == entry.name) {
                report.emptied.push(entry.name.clone());
            }
            continue;
        }
        let parent = match last {
            Some((name, commit)) if name == entry.name && commit == base => {
                store.parent_of(base)?.unwrap_or(new_upstream)
            }
            _ => base,
        };
        base = store.commit(tree, &[parent], &format!("{}\n", entry.name))?;
        last = Some((entry.name.as_str(), base));
        made.push(&entry.name);
    }
    report.emptied.retain(|name| !made.contains(&name.as_str()));
    if !carried.is_empty() {
        let changes: Vec<(&str, Option<&[u8]>)> =
            carried.iter().map(|(p, c)| (p.as_rel(), c.as_deref())).collect();
        let tree = store.tree_with(Some(base), &changes)?;
        if tree != store.tree_of(base)? {
            base = store.commit(tree, &[base], "settings moved by upstream\n")?;
        }
    }
    Ok(base)
}

/// Phase 5, what goes live: every tracked file whose new content differs from the live one.
fn plan_writes(root: &Path, store: &Store, manifest: &Manifest, new_custom: Oid) -> Result<Vec<InstallPath>> {
    let mut writes: Vec<InstallPath> = Vec::new();
    // A file the web container regenerates is not written: the customisations reach it through
    // the file it appends (`engine::docker::outputs`).
    for file in manifest.files.iter().filter(|f| f.appended.is_none()) {
        let desired = store.content_at(new_custom, file.path.as_rel())?;
        let current = live::read(root, &file.path)?;
        if let Some(desired) = desired
            && current.as_deref() != Some(desired.as_slice())
        {
            anyhow::ensure!(
                file.strategy() == Strategy::Binary || !merge::has_conflict_markers(&desired),
                "{}",
                tr!(
                    "{path}: refusing to write a file with conflict markers",
                    path = file.path
                )
            );
            writes.push(file.path.clone());
        }
    }
    Ok(writes)
}

/// Phase 6, commit: the branches (and refs that move with them), the review list and the live
/// files in one step
/// (`store::transition`).
#[allow(clippy::too_many_arguments)]
fn commit(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    before: crate::store::Refs,
    taken: &TakenIn,
    new_custom: Oid,
    review: &Review,
    writes: &[InstallPath],
    report: &Report,
    opts_replace: &Option<Replacement>,
) -> Result<()> {
    store.set_ref(UPSTREAM_REF, Some(taken.new_upstream), "rebase")?;
    store.set_ref(CUSTOM_REF, Some(new_custom), "rebase")?;
    let (kind, summary) = match &opts_replace {
        Some(replace) => {
            for (name, target) in &replace.refs {
                store.set_ref(name, *target, "rebase")?;
            }
            (
                replace.operation.0.as_str(),
                format!("{}; {}", replace.operation.1, summary_line(report)),
            )
        }
        None => ("rebase", summary_line(report)),
    };
    store.save_review(review)?;
    for path in writes {
        let content = store.content_at(new_custom, path.as_rel())?;
        store.stage_live(path, content, None);
    }
    for path in &taken.tidy {
        store.stage_live(path, None, None);
    }
    crate::engine::docker::stage_outputs_at(root, store, manifest, taken.new_upstream, new_custom)?;
    store.log_operation(root, kind, &summary, before, &live::snapshot(root, manifest)?)?;
    Ok(())
}

/// What replaying one customisation on one file came to.
struct Step {
    /// The file's content after this customisation. For a parked one: the merge with every
    /// conflict settled on the customisation's side, or `None` when there is no such merge (a
    /// deleted or binary file) and the file as a whole needs a fallback.
    result: Option<Vec<u8>>,
    fate: Fate,
    notes: Vec<String>,
    decisions: Vec<merge::Decision>,
    /// A person kept the whole customised file over upstream's changes.
    upstream_dropped: bool,
}

impl Step {
    fn settled(result: Option<Vec<u8>>, fate: Fate, merged: Merged) -> Step {
        Step {
            result,
            fate,
            notes: merged.notes,
            decisions: merged.decisions,
            upstream_dropped: false,
        }
    }
}

/// Merges one customisation of one file onto the content so far and settles conflicts.
#[allow(clippy::too_many_arguments)]
fn replay_one(
    store: &Store,
    opts: &Options,
    name: &str,
    file: &TrackedFile,
    labels: &Labels,
    base: Option<&[u8]>,
    local: Option<&[u8]>,
    upstream: Option<&[u8]>,
    carries: &mut Vec<Carry>,
) -> Result<Step> {
    if local == upstream {
        return Ok(Step::settled(
            upstream.map(<[u8]>::to_vec),
            Fate::Adopted,
            Merged::default(),
        ));
    }
    if base == upstream {
        return Ok(Step::settled(
            local.map(<[u8]>::to_vec),
            Fate::Carried,
            Merged::default(),
        ));
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
        let content = merged.content.clone();
        return Ok(Step::settled(Some(content), fate, merged));
    }
    let key = conflict_key(strategy.name(), base, local_bytes, upstream_bytes);
    if let Some(content) = store.recorded_resolution(&key)? {
        return Ok(Step::settled(Some(content), Fate::Reused, merged));
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
    let remember = |content: &[u8]| -> Result<()> {
        // A dry run decides nothing for later.
        if !opts.dry_run {
            store.record_resolution(&key, content)?;
        }
        Ok(())
    };
    let resolution = opts.resolver.resolve(&case)?;
    let mut upstream_dropped = false;
    let chosen = match resolution {
        Resolution::KeepLocal => {
            upstream_dropped = upstream.is_some();
            local.map(<[u8]>::to_vec)
        }
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
            let favoured = if local.is_some() && upstream.is_some() {
                favour_local(strategy, &merged, base, local_bytes, upstream_bytes, labels)
            } else {
                None
            };
            return Ok(Step::settled(
                favoured,
                Fate::Parked {
                    reasons,
                    fallback: Fallback::Yours,
                },
                merged,
            ));
        }
        Resolution::Settled { content, carry } => {
            // The carried settings live in another file: replaying only this file's result
            // later would lose them, so this resolution is not remembered.
            if carry.is_empty() {
                remember(&content)?;
            }
            carries.extend(carry);
            return Ok(Step::settled(Some(content), Fate::Resolved, merged));
        }
    };
    if let Some(content) = &chosen {
        remember(content)?;
    }
    let mut step = Step::settled(chosen, Fate::Resolved, merged);
    step.upstream_dropped = upstream_dropped;
    Ok(step)
}

/// The merge with every conflict settled on the customisation's side: the strategy's own when it
/// laid its conflicts out region by region, else the line merge's. `None` for content a line
/// merge cannot take (binary).
fn favour_local(
    strategy: Strategy,
    merged: &Merged,
    base: &[u8],
    local: &[u8],
    upstream: &[u8],
    labels: &Labels,
) -> Option<Vec<u8>> {
    if let Some(content) = merged.favour_local() {
        return Some(content);
    }
    let is_text = |b: &[u8]| !b.contains(&0) && std::str::from_utf8(b).is_ok();
    if strategy == Strategy::Binary || ![base, local, upstream].into_iter().all(is_text) {
        return None;
    }
    merge::merge(Strategy::Text, base, local, upstream, labels).favour_local()
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
    if file.image_path.is_some() || file.appended.is_some() {
        return take_in_docker(root, file, meta, opts);
    }
    let origin = |source, dpkg_md5| Origin::debian(source, file.package.clone(), dpkg_md5);
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
        match crate::engine::intake::find_pristine(root, dpkg, file, live_content.as_deref(), false, None)? {
            crate::engine::intake::Pristine::Found { content, origin } => Some(Intake {
                content: Some(content),
                origin,
                tidy: None,
            }),
            _ => None,
        },
    )
}

/// New upstream content of a docker file: the web image's file (an image that is no longer there
/// is not taken in), or the file the web container generated when the container was recreated.
fn take_in_docker(
    root: &Path,
    file: &TrackedFile,
    meta: &UpstreamMeta,
    opts: &Options,
) -> Result<Option<Intake>> {
    let Some(intake) = opts.docker else {
        return Ok(None);
    };
    if let Some(image_path) = &file.image_path {
        return Ok(Some(Intake {
            content: intake.image.file(image_path).cloned(),
            origin: Origin::docker(Source::Image, Some(intake.image.id.clone())),
            tidy: None,
        }));
    }
    let recorded = meta
        .files
        .get(&file.path.to_string())
        .and_then(|o| o.image.clone());
    match (&intake.now.container, live::read(root, &file.path)?) {
        (Some(container), Some(content)) if Some(container) != recorded.as_ref() => Ok(Some(Intake {
            content: Some(crate::engine::docker::live_view(root, file, &content)?),
            origin: Origin::docker(Source::Container, Some(container.clone())),
            tidy: None,
        })),
        _ => Ok(None),
    }
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

/// The tracked config file of a kind (`config.js`) that settings moved into: the generated one
/// (from a template) when there is one, as Jitsi reads that.
fn config_target<'a>(manifest: &'a Manifest, kind: &str) -> Option<&'a TrackedFile> {
    let of_kind = |f: &&TrackedFile| crate::profile::moves::config_file_kind(f.path.as_rel()) == Some(kind);
    manifest
        .files
        .iter()
        .filter(of_kind)
        .find(|f| f.template.is_some())
        .or_else(|| manifest.files.iter().find(of_kind))
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
