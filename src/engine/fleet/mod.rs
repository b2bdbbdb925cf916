//! Many servers, one customisation set: the stack shared through a git remote.
//!
//! - `push` writes the stack as a shared stack ([`shared`]: the series with this host's values
//!   as `{placeholders}`, and the upstream content it applies to) as a commit on the remote's
//!   shared branch. It refuses when the remote moved since this host last pulled (fetch first,
//!   like git), when a decision waits (a parked customisation holds a fallback, not its
//!   intent), and when a secret it recognises would leave the host: the TURN secret and any
//!   other host value are placeholders, anything else that looks like a password, a secret
//!   setting or a private key is named (customisation, file, line) and nothing is sent.
//! - `pull` reads the remote's shared stack, puts this host's values in, and carries it onto this
//!   host's upstream with the rebase engine ([`crate::engine::rebase::Replacement`]): each shared
//!   customisation is merged setting by setting from its own before and after, local-only
//!   customisations are replayed on top, conflicts are asked or parked with the admin's side
//!   live (never weaker). What happened is reported per customisation.
//! - [`remote_status`]: ahead/behind against the remote's last fetched shared tip, for `status`.
//!
//! Which version of a customisation wins on pull is decided by comparing what each version
//! changes ([`shared::signature`]) with the version this host last synced: changed only on the
//! remote → the remote's; changed only here → this host's (push to share it); changed on both →
//! the remote's, with this host's version replayed on top of it.

pub mod shared;
pub mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::tr;
use anyhow::{Context, Result};
use serde::Serialize;

use crate::InstallPath;
use crate::engine::rebase::{self, Replacement, Resolver, Slot};
use crate::engine::{exchange, live};
use crate::english;
use crate::error::Error;
use crate::i18n::Message;
use crate::profile::hostvalues as known;
use crate::store::exchange::{Applied, PatchFile};
use crate::store::remote::{RemoteInfo, synced_ref};
use crate::store::{Manifest, Oid, Store};
use crate::system::dpkg::Dpkg;
use shared::{SharedPatch, SharedStack, signature};
pub use values::HostValues;

/// Something that stops a push or a pull, in one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customisation: Option<String>,
    /// Where (`/etc/…:12`), when it is in a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(name) = &self.customisation {
            write!(f, "{name:?}: ")?;
        }
        if let Some(place) = &self.place {
            write!(f, "{place}: ")?;
        }
        write!(f, "{}", crate::i18n::shown(&self.reason))
    }
}

/// What `remote add` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemoteChange {
    Added,
    /// The remote was there with this URL already.
    Unchanged,
    UrlChanged,
}

/// Adds a remote; the same name with the same URL again changes nothing (so a fleet tool may
/// run it every time); another URL needs `replace`.
pub fn add_remote(store: &Store, name: &str, url: &str, replace: bool) -> Result<RemoteChange> {
    match store.remotes()?.into_iter().find(|r| r.name == name) {
        Some(existing) if existing.url == url => Ok(RemoteChange::Unchanged),
        Some(existing) if replace => {
            store.set_remote_url(name, url)?;
            let _ = existing;
            Ok(RemoteChange::UrlChanged)
        }
        Some(existing) => Err(Error::Usage(tr!(
            "remote {name} exists with another URL ({old})\nhint: `jitsi-custom remote add --replace {name} {url}` points it at the new one",
            name,
            old = existing.url,
            url
        ))
        .into()),
        None => {
            store.add_remote(name, url)?;
            Ok(RemoteChange::Added)
        }
    }
}

/// Removes a remote: first, as one operation, the marker of what this stack was last synced
/// with (so that a remote added later under the same name starts afresh, and `rollback` brings
/// the marker back), then the remote in the store's config. The customisations stay as they are.
pub fn remove_remote(root: &Path, store: &Store, manifest: &Manifest, name: &str) -> Result<RemoteInfo> {
    let remote = store.remote_info(name)?;
    if store.synced_tip(name)?.is_some() {
        let before = store.refs_now()?;
        store.set_ref(&synced_ref(name), None, "remote remove")?;
        store.log_operation(
            root,
            "remote",
            &format!("remove {name} ({})", remote.url),
            before,
            &live::snapshot(root, manifest)?,
        )?;
    }
    store.remove_remote(name)?;
    Ok(remote)
}

/// The remote a command means: the one named, else the only one, else `origin`.
pub fn choose_remote(store: &Store, name: Option<&str>) -> Result<RemoteInfo> {
    if let Some(name) = name {
        return store.remote_info(name);
    }
    let remotes = store.remotes()?;
    match remotes.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Error::Usage(tr!(
            "no remote yet\nhint: `jitsi-custom remote add origin URL` (a git URL: ssh://…, https://…, or a path)"
        ))
        .into()),
        _ => store.remote_info("origin").map_err(|_| {
            Error::Usage(tr!(
                "several remotes ({names}); say which\nhint: `jitsi-custom push NAME`",
                names = remotes.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
            .into()
        }),
    }
}

/// The stack as it would be shared, with what stops it from leaving the host.
struct Outgoing {
    stack: SharedStack,
    problems: Vec<Problem>,
    /// The customisations that stay here (`local` in host-values.toml).
    kept_local: Vec<String>,
}

/// The stack as a shared stack: every customisation not kept local (all of them with
/// `with_local`, to compare versions), each host value a placeholder, the ids zeroed; and every
/// secret found in it.
fn outgoing(store: &Store, values: &HostValues, with_local: bool) -> Result<Outgoing> {
    let patches = store.patches()?;
    let exported = store.export_patches()?;
    let upstream = store
        .upstream_tip()?
        .with_context(|| tr!("the store has no upstream yet"))?;
    let mut out = Outgoing {
        stack: SharedStack::default(),
        problems: Vec::new(),
        kept_local: Vec::new(),
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut shared_paths: BTreeSet<String> = BTreeSet::new();
    let mut local_paths: BTreeMap<String, String> = BTreeMap::new();
    for (patch, export) in patches.iter().zip(exported) {
        if !with_local && values.local.contains(&patch.name) {
            out.kept_local.push(patch.name.clone());
            for path in &patch.paths {
                local_paths.insert(path.clone(), patch.name.clone());
            }
            continue;
        }
        for path in &patch.paths {
            if let Some(local) = local_paths.get(path) {
                out.problems.push(Problem {
                    customisation: Some(patch.name.clone()),
                    place: Some(format!("/{path}")),
                    reason: tr!(
                        "changes the file after the local customisation {local}, so it cannot be sent without it; take {local} off the `local` list in host-values.toml, or record it after this one",
                        local = format!("{local:?}")
                    ),
                });
            }
        }
        let text = shared::without_ids(&export.text);
        for name in values.literal_placeholders(&text) {
            out.problems.push(Problem {
                customisation: Some(patch.name.clone()),
                place: None,
                reason: tr!(
                    "holds {{{name}}} literally, which pull would take for this host's {name}",
                    name
                ),
            });
        }
        let (text, names) = values.patch_to_placeholders(&text);
        used.extend(names);
        for (path, line, content) in shared::added_lines(&text) {
            if let Some(what) = secret_in(&format!("/{path}"), &content) {
                out.problems.push(Problem {
                    customisation: Some(patch.name.clone()),
                    place: Some(format!("/{path}:{line}")),
                    reason: secret_reason(&what),
                });
            }
        }
        shared_paths.extend(patch.paths.iter().cloned());
        let number = out.stack.patches.len() + 1;
        out.stack.patches.push(SharedPatch {
            name: patch.name.clone(),
            file: format!("{number:04}-{}.patch", exchange::slug(&patch.name)),
            text,
        });
    }
    for rel in shared_paths {
        let Some(content) = store.content_at(upstream, &rel)? else {
            continue;
        };
        let (path, names) = values.to_placeholders(rel.as_bytes());
        used.extend(names);
        let path = String::from_utf8_lossy(&path).into_owned();
        let content = if is_text(&content) {
            for name in values.literal_placeholders(&content) {
                out.problems.push(Problem {
                    customisation: None,
                    place: Some(format!("/{rel}")),
                    reason: tr!(
                        "upstream's file holds {{{name}}} literally, which pull would take for this host's {name}",
                        name
                    ),
                });
            }
            let (content, names) = values.to_placeholders(&content);
            used.extend(names);
            for (n, line) in String::from_utf8_lossy(&content).lines().enumerate() {
                if let Some(what) = secret_in(&format!("/{rel}"), line) {
                    out.problems.push(Problem {
                        customisation: None,
                        place: Some(format!("/{rel}:{}", n + 1)),
                        reason: tr!(
                            "holds {what}, which would leave this host; make it a host value (`jitsi-custom host-value set NAME VALUE`, then it travels as {{NAME}}) or keep the customisation local (in the upstream content the series applies to)",
                            what
                        ),
                    });
                }
            }
            content
        } else {
            content
        };
        out.stack.base.insert(path, content);
    }
    out.stack.placeholders = used.into_iter().collect();
    Ok(out)
}

fn is_text(content: &[u8]) -> bool {
    !content.contains(&0) && std::str::from_utf8(content).is_ok()
}

/// A secret on a line of a file, as [`known`] recognises it there.
fn secret_in(install_path: &str, line: &str) -> Option<String> {
    let found = known::secret_on_line(line)?;
    (found == "a private key" || known::may_hold_secret_settings(install_path)).then_some(found)
}

fn secret_reason(what: &str) -> String {
    tr!(
        "holds {what}, which would leave this host; make it a host value (`jitsi-custom host-value set NAME VALUE`, then it travels as {{NAME}}) or keep the customisation local",
        what
    )
}

/// What happened to one customisation of the shared set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Added,
    Updated,
    Unchanged,
    /// Stays as this host has it: local-only, or edited here since the last pull.
    KeptLocal,
    /// Left the shared set (and, on pull, this host's stack).
    Removed,
    /// Pulled, and waiting for a person; the admin's side is live meanwhile.
    Parked,
}

#[derive(Clone, Debug, Serialize)]
pub struct CustomisationChange {
    pub name: String,
    pub change: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Message>,
}

/// What `push` did (or would do).
#[derive(Clone, Debug, Serialize)]
pub struct PushReport {
    pub remote: String,
    pub url: String,
    /// The shared commit the remote holds now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether anything was (or would be) sent.
    pub changed: bool,
    pub customisations: Vec<CustomisationChange>,
    /// Host values named as placeholders.
    pub placeholders: Vec<String>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub enum PushOutcome {
    Pushed(PushReport),
    /// Nothing was sent.
    Refused(Vec<Problem>),
}

/// Signatures of a shared stack's customisations, by name.
fn signatures(stack: &SharedStack) -> BTreeMap<String, Vec<u8>> {
    stack
        .patches
        .iter()
        .map(|p| (p.name.clone(), signature(&p.text)))
        .collect()
}

/// The shared stack of a commit the store has; `None` when it has not (or cannot read) it.
fn stored_stack(store: &Store, commit: Option<Oid>, limit: u64) -> Option<SharedStack> {
    let tree = store.shared_tree(commit?, limit).ok()?;
    SharedStack::from_files(&tree.files).ok()
}

/// Sends the stack to the remote's shared branch (see the module docs).
pub fn push(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    remote: &RemoteInfo,
    dry_run: bool,
) -> Result<PushOutcome> {
    let review = store.review()?;
    if !review.parked.is_empty() {
        let names: BTreeSet<&str> = review.parked.iter().map(|p| p.patch.as_str()).collect();
        return Err(Error::Usage(tr!(
            "{names} waits for a decision: the stack holds a fallback for it, not what you meant\nhint: `jitsi-custom resolve` first, then push",
            names = names.into_iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
        ))
        .into());
    }
    let values = values::load(root, store, manifest)?;
    let out = outgoing(store, &values, false)?;
    if !out.problems.is_empty() {
        return Ok(PushOutcome::Refused(out.problems));
    }
    let limit = manifest.max_file_size();
    let fetched = store.fetch_shared(&remote.name, limit)?;
    let synced = store.synced_tip(&remote.name)?;
    let remote_tip = fetched.as_ref().and_then(|f| f.commit);
    if remote_tip.is_some() && remote_tip != synced {
        return Err(Error::Usage(tr!(
            "the shared customisations on {remote} changed since this host last pulled them\nhint: `jitsi-custom pull {remote}` first, then push",
            remote = remote.name
        ))
        .into());
    }
    let before: BTreeMap<String, Vec<u8>> = fetched
        .as_ref()
        .and_then(|f| SharedStack::from_files(&f.files).ok())
        .map(|s| signatures(&s))
        .unwrap_or_default();
    let now = signatures(&out.stack);
    let mut customisations: Vec<CustomisationChange> = out
        .stack
        .patches
        .iter()
        .map(|p| CustomisationChange {
            name: p.name.clone(),
            change: match before.get(&p.name) {
                None => Change::Added,
                Some(sig) if *sig == now[&p.name] => Change::Unchanged,
                Some(_) => Change::Updated,
            },
            note: None,
        })
        .collect();
    for name in before.keys().filter(|n| !now.contains_key(*n)) {
        customisations.push(CustomisationChange {
            name: name.clone(),
            change: Change::Removed,
            note: None,
        });
    }
    for name in &out.kept_local {
        customisations.push(CustomisationChange {
            name: name.clone(),
            change: Change::KeptLocal,
            note: Some(Message::new(english!(
                "on the `local` list of host-values.toml: not sent"
            ))),
        });
    }
    let tree = store.shared_tree_of(&out.stack.to_files())?;
    let changed = fetched.as_ref().and_then(|f| f.tree) != Some(tree);
    let mut report = PushReport {
        remote: remote.name.clone(),
        url: remote.url.clone(),
        commit: remote_tip.map(|c| c.to_string()),
        changed,
        customisations,
        placeholders: out.stack.placeholders.clone(),
        dry_run,
    };
    if dry_run {
        return Ok(PushOutcome::Pushed(report));
    }
    let commit = if changed {
        let names: Vec<&str> = out.stack.patches.iter().map(|p| p.name.as_str()).collect();
        let message = format!(
            "{} customisation(s): {}\n",
            names.len(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
        let commit = store.commit_shared(tree, remote_tip, &message)?;
        store.push_shared(&remote.name, commit)?;
        commit
    } else {
        remote_tip.context("an unchanged remote has a tip")?
    };
    report.commit = Some(commit.to_string());
    if synced != Some(commit) {
        let before = store.refs_now()?;
        store.set_ref(&synced_ref(&remote.name), Some(commit), "push")?;
        store.log_operation(
            root,
            "push",
            &format!("{} customisation(s) to {}", out.stack.patches.len(), remote.name),
            before,
            &live::snapshot(root, manifest)?,
        )?;
    }
    Ok(PushOutcome::Pushed(report))
}

/// What `pull` did (or would do).
#[derive(Clone, Debug, Serialize)]
pub struct PullReport {
    pub remote: String,
    pub url: String,
    /// The remote's shared commit, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the stack or a live file changed (or would).
    pub changed: bool,
    pub customisations: Vec<CustomisationChange>,
    /// Files tracked for the shared customisations that change them.
    pub tracked: Vec<InstallPath>,
    /// The rebase engine's report: per file and customisation, what became of it.
    #[serde(skip)]
    pub rebase: Option<rebase::Report>,
    pub dry_run: bool,
}

impl PullReport {
    pub fn parked(&self) -> bool {
        self.customisations.iter().any(|c| c.change == Change::Parked)
    }
}

#[derive(Debug)]
pub enum PullOutcome {
    Pulled(Box<PullReport>),
    /// Nothing was changed.
    Refused(Vec<Problem>),
}

pub struct PullOptions<'a> {
    pub resolver: &'a dyn Resolver,
    pub dry_run: bool,
}

/// The remote's shared stack with this host's values in: patches parsed, and the base content.
struct Incoming {
    patches: Vec<(SharedPatch, PatchFile, Vec<InstallPath>)>,
    base: BTreeMap<InstallPath, Vec<u8>>,
    /// Per patch file, the paths it changes that this host does not track yet.
    untracked: Vec<(String, Vec<InstallPath>)>,
}

/// Puts this host's values into a shared stack and checks every path (see
/// [`exchange::check_path`]): inside the Jitsi trees, or tracked here.
fn incoming(stack: &SharedStack, values: &HostValues, manifest: &Manifest) -> Result<Incoming, Vec<Problem>> {
    let mut problems = Vec::new();
    let missing: Vec<String> = stack
        .placeholders
        .iter()
        .filter(|n| values.get(n).is_none())
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(missing
            .into_iter()
            .map(|name| Problem {
                customisation: None,
                place: None,
                reason: tr!(
                    "the shared customisations name {{{name}}}, which this host has no value for; set it with `jitsi-custom host-value set {name} VALUE`",
                    name
                ),
            })
            .collect());
    }
    let mut patches = Vec::new();
    let mut new_paths: Vec<(String, Vec<InstallPath>)> = Vec::new();
    for patch in &stack.patches {
        let problem = |reason: String| Problem {
            customisation: Some(patch.name.clone()),
            place: Some(patch.file.clone()),
            reason,
        };
        let text = values
            .patch_from_placeholders(&patch.text, &stack.placeholders)
            .unwrap_or_else(|_| patch.text.clone());
        let parsed = match PatchFile::parse(&text) {
            Ok(parsed) => parsed,
            Err(reason) => {
                problems.push(problem(reason));
                continue;
            }
        };
        let mut paths: Vec<InstallPath> = Vec::new();
        for raw in parsed
            .deltas
            .iter()
            .flat_map(|d| [d.old_path.as_deref(), d.new_path.as_deref()])
            .flatten()
        {
            match exchange::check_path(raw, manifest, &[]) {
                Ok(path) if !paths.contains(&path) => paths.push(path),
                Ok(_) => {}
                Err(reason) => problems.push(problem(reason)),
            }
        }
        let untracked: Vec<InstallPath> = paths
            .iter()
            .filter(|p| !manifest.is_tracked(p))
            .cloned()
            .collect();
        if !untracked.is_empty() {
            new_paths.push((patch.file.clone(), untracked));
        }
        let mut patch = patch.clone();
        patch.text = text;
        patches.push((patch, parsed, paths));
    }
    let mut base = BTreeMap::new();
    for (rel, content) in &stack.base {
        let rel = values
            .from_placeholders(rel.as_bytes(), &stack.placeholders)
            .unwrap_or_else(|_| rel.as_bytes().to_vec());
        let rel = String::from_utf8_lossy(&rel).into_owned();
        let Ok(path) = InstallPath::parse(&rel) else {
            problems.push(Problem {
                customisation: None,
                place: Some(format!("{}{rel}", shared::BASE_DIR)),
                reason: tr!("is not a path below the root"),
            });
            continue;
        };
        let content = if is_text(content) {
            values
                .from_placeholders(content, &stack.placeholders)
                .unwrap_or_else(|_| content.clone())
        } else {
            content.clone()
        };
        base.insert(path, content);
    }
    if problems.is_empty() {
        Ok(Incoming {
            patches,
            base,
            untracked: new_paths,
        })
    } else {
        Err(problems)
    }
}

/// Brings the remote's shared stack in and carries it onto this host's upstream (see the module
/// docs). A dry run changes nothing (it fetches into a throw-away repository).
pub fn pull(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &Dpkg,
    remote: &RemoteInfo,
    opts: &PullOptions,
) -> Result<PullOutcome> {
    let limit = manifest.max_file_size();
    let mut report = PullReport {
        remote: remote.name.clone(),
        url: remote.url.clone(),
        commit: None,
        changed: false,
        customisations: Vec::new(),
        tracked: Vec::new(),
        rebase: None,
        dry_run: opts.dry_run,
    };
    let Some(fetched) = store.fetch_shared(&remote.name, limit)? else {
        return Ok(PullOutcome::Pulled(Box::new(report)));
    };
    let tip = fetched.commit.context("a fetched shared stack has a commit")?;
    report.commit = Some(tip.to_string());
    let stack = match SharedStack::from_files(&fetched.files) {
        Ok(stack) => stack,
        Err(reason) => {
            return Ok(PullOutcome::Refused(vec![Problem {
                customisation: None,
                place: Some(format!("{} {}", remote.name, &tip.to_string()[..12])),
                reason,
            }]));
        }
    };
    let values = values::load(root, store, manifest)?;
    let incoming = match incoming(&stack, &values, manifest) {
        Ok(incoming) => incoming,
        Err(problems) => return Ok(PullOutcome::Refused(problems)),
    };
    // Files the shared customisations change that this host does not track yet (a practice
    // logo no package ships): tracked in this operation, as `import` does.
    let mut refusals = Vec::new();
    let new_files = exchange::intake_new_files(root, dpkg, manifest, &incoming.untracked, &mut refusals)?;
    if !refusals.is_empty() {
        return Ok(PullOutcome::Refused(
            refusals
                .into_iter()
                .map(|r| Problem {
                    customisation: stack
                        .patches
                        .iter()
                        .find(|p| p.file == r.patch)
                        .map(|p| p.name.clone()),
                    place: None,
                    reason: r.reason,
                })
                .collect(),
        ));
    }
    report.tracked = new_files.iter().map(|f| f.file.path.clone()).collect();
    let manifest = &exchange::track_new_files(store, dpkg, manifest, &new_files)?;

    // The remote's stack as commits on its own base: this host's upstream with the remote's
    // upstream content of the files the series changes.
    let upstream = store
        .upstream_tip()?
        .with_context(|| tr!("the store has no upstream yet"))?;
    let touched: BTreeSet<&InstallPath> = incoming.patches.iter().flat_map(|(_, _, p)| p).collect();
    let base_changes: Vec<(&str, Option<&[u8]>)> = touched
        .iter()
        .map(|p| (p.as_rel(), incoming.base.get(*p).map(Vec::as_slice)))
        .collect();
    let mut parent = store.commit(
        store.tree_with(Some(upstream), &base_changes)?,
        &[upstream],
        &format!("shared base from {}\n", remote.name),
    )?;
    let mut problems = Vec::new();
    let mut commits: BTreeMap<String, (Oid, Oid)> = BTreeMap::new();
    for (patch, parsed, _) in &incoming.patches {
        match store.apply_patch(store.tree_of(parent)?, parsed)? {
            Applied::Tree(tree) => {
                let commit = store.commit(tree, &[parent], &format!("{}\n", patch.name))?;
                commits.insert(patch.name.clone(), (commit, parent));
                parent = commit;
            }
            Applied::DoesNotApply(why) => problems.push(Problem {
                customisation: Some(patch.name.clone()),
                place: Some(patch.file.clone()),
                reason: tr!(
                    "does not apply to the shared stack's own base ({why}); the remote's series is damaged",
                    why
                ),
            }),
            Applied::NotARegularFile { path, .. } => problems.push(Problem {
                customisation: Some(patch.name.clone()),
                place: Some(format!("/{path}")),
                reason: tr!("would not be a regular file; only regular files are kept"),
            }),
        }
    }
    if !problems.is_empty() {
        return Ok(PullOutcome::Refused(problems));
    }

    // Which version of each customisation goes where.
    let local_stack = outgoing(store, &values, true)?.stack;
    let here = signatures(&local_stack);
    let there = signatures(&stack);
    let synced_tip = store.synced_tip(&remote.name)?;
    let synced = stored_stack(store, synced_tip, limit)
        .map(|s| signatures(&s))
        .unwrap_or_default();
    let mut slots = Vec::new();
    let mut dropped = Vec::new();
    let incoming_slot = |name: &str| {
        let (id, parent) = commits[name];
        Slot::Incoming {
            name: name.to_string(),
            id,
            parent,
        }
    };
    for patch in &stack.patches {
        let name = patch.name.as_str();
        let remote_sig = &there[name];
        let (change, note) = match (here.get(name), synced.get(name)) {
            (None, _) => {
                slots.push(incoming_slot(name));
                (Change::Added, None)
            }
            (Some(local), _) if local == remote_sig => {
                slots.push(Slot::Kept(name.to_string()));
                (Change::Unchanged, None)
            }
            (Some(local), Some(last)) if local == last => {
                slots.push(incoming_slot(name));
                (Change::Updated, None)
            }
            (Some(_), Some(last)) if last == remote_sig => {
                slots.push(Slot::Kept(name.to_string()));
                (
                    Change::KeptLocal,
                    Some(Message::new(english!(
                        "changed here since the last pull; `push` shares it"
                    ))),
                )
            }
            (Some(_), _) => {
                slots.push(incoming_slot(name));
                slots.push(Slot::Kept(name.to_string()));
                (
                    Change::Updated,
                    Some(Message::new(english!(
                        "this host's own changes to it are replayed on top"
                    ))),
                )
            }
        };
        report.customisations.push(CustomisationChange {
            name: name.to_string(),
            change,
            note,
        });
    }
    for patch in store.patches()? {
        if there.contains_key(&patch.name) {
            continue;
        }
        let (change, note) = match (here.get(&patch.name), synced.get(&patch.name)) {
            (Some(local), Some(last)) if local == last => {
                dropped.push(patch.name.clone());
                (
                    Change::Removed,
                    Some(Message::new(english!("left the shared customisations"))),
                )
            }
            (_, Some(_)) => (
                Change::KeptLocal,
                Some(Message::new(english!(
                    "left the shared customisations; kept here with this host's changes"
                ))),
            ),
            _ => (Change::KeptLocal, None),
        };
        report.customisations.push(CustomisationChange {
            name: patch.name.clone(),
            change,
            note,
        });
    }
    let nothing_new = synced_tip == Some(tip)
        && report
            .customisations
            .iter()
            .all(|c| matches!(c.change, Change::Unchanged | Change::KeptLocal));
    if nothing_new {
        return Ok(PullOutcome::Pulled(Box::new(report)));
    }

    let rebase_opts = rebase::Options {
        changed_by_packages: Vec::new(),
        pending_upstream: BTreeMap::new(),
        resolver: opts.resolver,
        dry_run: opts.dry_run,
        docker: None,
        replace: Some(Replacement {
            slots,
            dropped,
            refs: vec![(synced_ref(&remote.name), Some(tip))],
            operation: (
                "pull".to_string(),
                format!("from {} ({})", remote.name, &tip.to_string()[..12]),
            ),
        }),
    };
    let old_tip = store.custom_tip()?;
    let notices_before = store.review()?.notices;
    let outcome = rebase::rebase(root, store, manifest, dpkg, &rebase_opts)?;
    let parked: BTreeSet<&str> = outcome.parked().map(|f| f.customisation.as_str()).collect();
    for change in &mut report.customisations {
        if parked.contains(change.name.as_str()) {
            change.change = Change::Parked;
            continue;
        }
        if outcome.emptied.contains(&change.name) {
            change.change = Change::Removed;
            change.note = Some(Message::new(english!(
                "nothing left to change here; dropped from the stack"
            )));
            continue;
        }
        // Decided without a person (the customisation's side kept), listed for review.
        let decided: Vec<String> = outcome
            .notices
            .iter()
            .filter(|n| n.customisation == change.name && !notices_before.contains(n))
            .map(|n| format!("{}: {}", n.path, n.message))
            .collect();
        if !decided.is_empty() {
            let decided = decided.join("; ");
            let note = Message::new(english!(
                "decided for you, to review with `jitsi-custom resolve`: {decided}",
                decided
            ));
            change.note = Some(match change.note.take() {
                Some(earlier) => earlier.then(note),
                None => note,
            });
        }
    }
    for path in &outcome.recorded_first {
        report.customisations.push(CustomisationChange {
            name: rebase::EDITS_FOUND_FIRST.to_string(),
            change: Change::KeptLocal,
            note: Some(Message::new(english!(
                "unrecorded edits of {path}, recorded before the pull",
                path
            ))),
        });
    }
    report.changed = outcome.stack_tip != old_tip || !outcome.written.is_empty();
    report.rebase = Some(outcome);
    Ok(PullOutcome::Pulled(Box::new(report)))
}

/// Where this host stands against a remote, from what was fetched last (no network).
#[derive(Clone, Debug, Serialize)]
pub struct RemoteStatus {
    pub name: String,
    pub url: String,
    /// The remote's shared tip as last fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched: Option<String>,
    /// The shared commit this stack was last pulled from or pushed as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synced: Option<String>,
    /// Customisations `push` would send (new, changed, removed here).
    pub ahead: usize,
    /// Customisations `pull` would bring (new, changed, removed on the remote).
    pub behind: usize,
    pub to_push: Vec<String>,
    pub to_pull: Vec<String>,
}

/// The names whose version differs between two sets of signatures (either side missing too).
fn differing(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter(|n| a.get(*n) != b.get(*n))
        .cloned()
        .collect()
}

/// Ahead/behind against every remote's last fetched shared tip.
pub fn remote_status(root: &Path, store: &Store, manifest: &Manifest) -> Result<Vec<RemoteStatus>> {
    let remotes = store.remotes()?;
    if remotes.is_empty() {
        return Ok(Vec::new());
    }
    let limit = manifest.max_file_size();
    let values = values::load(root, store, manifest)?;
    let here = signatures(&outgoing(store, &values, false)?.stack);
    let mut out = Vec::new();
    for remote in remotes {
        let fetched = store.fetched_tip(&remote.name)?;
        let synced = store.synced_tip(&remote.name)?;
        let synced_sigs = stored_stack(store, synced, limit)
            .map(|s| signatures(&s))
            .unwrap_or_default();
        let to_pull = match fetched {
            Some(tip) if Some(tip) != synced => stored_stack(store, Some(tip), limit)
                .map(|s| differing(&signatures(&s), &synced_sigs))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let to_push = differing(&here, &synced_sigs);
        out.push(RemoteStatus {
            name: remote.name,
            url: remote.url,
            fetched: fetched.map(|c| c.to_string()),
            synced: synced.map(|c| c.to_string()),
            ahead: to_push.len(),
            behind: to_pull.len(),
            to_push,
            to_pull,
        });
    }
    Ok(out)
}
