//! One atomic step from one consistent state to the next (DESIGN invariant 8).
//!
//! An operation (record, track, rebase, rollback, …) prepares everything first: new commits,
//! the branch tips, the manifest and review list, the live files to write. Nothing of it is
//! visible until [`Store::log_operation`] commits it:
//!
//! 1. every new content is stored as a blob, and the operation's log commit is written (objects
//!    only: invisible);
//! 2. `journal.toml` is written (fsync, rename): the log tip the operation builds on (`base`), its
//!    commit (`target`), and every branch, state file and live file it changes, each with the
//!    content's id before and after;
//! 3. **the commit point**: `refs/jitsi-custom/oplog` moves from `base` to `target` — one ref
//!    update, atomic (a lock file renamed over the ref);
//! 4. the branches, state files and live files are brought to what the journal says;
//! 5. the journal is removed.
//!
//! A run killed before 3 leaves the old state: the next writer finds the log tip still at `base`
//! and drops the journal. A run killed after 3 has committed: the next writer finds the tip at
//! `target` and finishes 4 — only for a file that still holds what the journal says was there
//! before (or already holds the new content); a file someone changed since is left alone and
//! reported, so an edit made after a crash is never overwritten. Readers see the committed state
//! even before 4 has finished ([`Store::open`] reads the journal's branch tips).
//!
//! Until the commit, branch moves and state-file writes of a writing store are staged in memory
//! ([`Staged`]): an error half-way through an operation changes nothing. A dry run stages the
//! same way and commits nothing, with new objects kept in memory too.

use std::collections::BTreeMap;
use std::path::Path;

use crate::tr;
use anyhow::{Context, Result};
use git2::Oid;
use serde::{Deserialize, Serialize};

use super::{CUSTOM_REF, OPLOG_REF, Store, UPSTREAM_REF, manifest, parked};
use crate::InstallPath;
use crate::error::Error;
use crate::system::crash_point;
use crate::system::fs::{self as livefs, FileMeta};

/// The journal of the operation being committed; see the module docs.
pub const JOURNAL: &str = "journal.toml";
/// What an older version kept while it wrote live files after moving the branches; its replay
/// could write old content over new upstream files, so it is no longer trusted.
const LEGACY_JOURNAL: &str = "pending-writes.toml";

/// State files that belong to an operation's state (the log snapshots them).
pub const STATE_FILES: [&str; 2] = [manifest::FILE_NAME, parked::PARKED_FILE];

/// How a store may change things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No lock; sees the committed state.
    Read,
    /// Holds the lock; changes are staged and committed by [`Store::log_operation`].
    Write,
    /// Stages like a writer, commits nothing, keeps new objects in memory.
    DryRun,
}

/// What an operation has prepared and not committed yet.
#[derive(Debug, Default)]
pub struct Staged {
    pub(super) refs: BTreeMap<String, Option<Oid>>,
    pub(super) files: BTreeMap<String, Vec<u8>>,
    pub(super) live: BTreeMap<InstallPath, LiveWrite>,
}

/// A live file an operation will write (`content`) or remove (`None`).
#[derive(Clone, Debug)]
pub struct LiveWrite {
    pub content: Option<Vec<u8>>,
    /// Mode and owner for the new file; the present file's when `None`.
    pub meta: Option<FileMeta>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    /// The log tip the operation builds on; absent for the first operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base: Option<String>,
    /// The operation's log commit: once the log points here, the operation has happened.
    target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upstream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custom: Option<String>,
    /// The shared stacks this one was last synced with (`refs/jitsi-custom/synced/<remote>`),
    /// those the operation moves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    synced: Vec<JournalRef>,
    #[serde(default, rename = "state")]
    files: Vec<JournalFile>,
    #[serde(default)]
    live: Vec<JournalLive>,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalRef {
    name: String,
    /// Absent: the ref is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalFile {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    after: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalLive {
    path: InstallPath,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    /// Absent: the file is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
    mode: u32,
    uid: u32,
    gid: u32,
}

/// A live file someone changed after an operation was interrupted, before its write reached it.
#[derive(Debug)]
pub struct LeftAlone {
    pub path: InstallPath,
    /// What was live before the interrupted operation.
    pub before: Option<Vec<u8>>,
    /// What the interrupted operation was to write.
    pub after: Option<Vec<u8>>,
}

/// What finishing an interrupted operation did.
#[derive(Debug, Default)]
pub struct Finished {
    /// Live files brought to the committed content.
    pub written: Vec<InstallPath>,
    /// Live files changed since the interruption, left as they are.
    pub left: Vec<LeftAlone>,
    /// The interrupted operation had not reached its commit point: nothing of it applies.
    pub dropped: bool,
    /// Every live file the interrupted operation was to write.
    pub touched: Vec<InstallPath>,
}

fn hash(content: &[u8]) -> String {
    Oid::hash_object(git2::ObjectType::Blob, content)
        .map(|o| o.to_string())
        .unwrap_or_default()
}

fn oid(text: &Option<String>) -> Result<Option<Oid>> {
    text.as_deref()
        .map(|t| {
            Oid::from_str(t).with_context(|| {
                tr!(
                    "{file}: {id} is not an object id",
                    file = JOURNAL,
                    id = format!("{t:?}")
                )
            })
        })
        .transpose()
}

impl Store {
    /// A live file the operation being prepared will write (or remove, for `None`).
    pub fn stage_live(&self, path: &InstallPath, content: Option<Vec<u8>>, meta: Option<FileMeta>) {
        self.staged
            .borrow_mut()
            .live
            .insert(path.clone(), LiveWrite { content, meta });
    }

    /// The live writes staged so far.
    pub fn staged_live(&self) -> BTreeMap<InstallPath, LiveWrite> {
        self.staged.borrow().live.clone()
    }

    pub(super) fn staged_file(&self, name: &str) -> Option<Vec<u8>> {
        self.staged.borrow().files.get(name).cloned()
    }

    /// Commits what is staged with the operation's log commit `target` (see the module docs).
    pub(super) fn commit_transition(&self, root: &Path, base: Option<Oid>, target: Oid) -> Result<()> {
        let staged = std::mem::take(&mut *self.staged.borrow_mut());
        let view = |name: &str| -> Result<Option<String>> {
            Ok(match staged.refs.get(name) {
                Some(target) => target.map(|o| o.to_string()),
                None => self.read_ref(name)?.map(|o| o.to_string()),
            })
        };
        let mut journal = Journal {
            base: base.map(|o| o.to_string()),
            target: target.to_string(),
            upstream: view(UPSTREAM_REF)?,
            custom: view(CUSTOM_REF)?,
            synced: staged
                .refs
                .iter()
                .filter(|(name, _)| name.starts_with(super::SYNCED_PREFIX))
                .map(|(name, target)| JournalRef {
                    name: name.clone(),
                    target: target.map(|o| o.to_string()),
                })
                .collect(),
            files: Vec::new(),
            live: Vec::new(),
        };
        for (name, content) in &staged.files {
            let before = std::fs::read(self.dir().join(name)).ok().map(|c| hash(&c));
            journal.files.push(JournalFile {
                name: name.clone(),
                before,
                after: self.repo.blob(content)?.to_string(),
            });
        }
        for (path, write) in &staged.live {
            // Kept as an object: should the admin edit the file after a crash, the edit is
            // merged from it.
            let before = livefs::read(root, path)
                .map_err(|e| crate::system::fs::path_error(path, e))?
                .map(|c| self.repo.blob(&c).map(|o| o.to_string()))
                .transpose()?;
            let present = livefs::stamp(root, path)
                .map_err(|e| crate::system::fs::path_error(path, e))?
                .map(|(_, meta)| meta);
            let meta = write.meta.or(present).unwrap_or_default();
            journal.live.push(JournalLive {
                path: path.clone(),
                before,
                after: write
                    .content
                    .as_deref()
                    .map(|c| self.repo.blob(c).map(|o| o.to_string()))
                    .transpose()?,
                mode: meta.mode,
                uid: meta.uid,
                gid: meta.gid,
            });
        }
        self.write_state_file_now(JOURNAL, toml::to_string_pretty(&journal)?.as_bytes())?;
        crash_point("transition::journal-written")?;
        // The commit point.
        self.set_ref_now(OPLOG_REF, Some(target), "operation")?;
        crash_point("transition::committed")?;
        self.apply(root, &journal, false)?;
        self.remove_journal()?;
        Ok(())
    }

    /// Brings the branches, state files and live files to what a committed journal says. When
    /// `recovering`, a file that holds neither the content before nor after is left alone.
    fn apply(&self, root: &Path, journal: &Journal, recovering: bool) -> Result<Finished> {
        let mut finished = Finished::default();
        self.set_ref_now(UPSTREAM_REF, oid(&journal.upstream)?, "operation")?;
        crash_point("transition::upstream-moved")?;
        self.set_ref_now(CUSTOM_REF, oid(&journal.custom)?, "operation")?;
        for synced in &journal.synced {
            self.set_ref_now(&synced.name, oid(&synced.target)?, "operation")?;
        }
        crash_point("transition::refs-moved")?;
        for file in &journal.files {
            let now = std::fs::read(self.dir().join(&file.name)).ok().map(|c| hash(&c));
            if now.as_deref() == Some(file.after.as_str()) {
                continue;
            }
            if recovering && now != file.before {
                // The admin edited the file (the manifest is hand-editable) after the crash.
                continue;
            }
            let content = self.read_blob(Oid::from_str(&file.after)?)?;
            self.write_state_file_now(&file.name, &content)?;
            crash_point("transition::state-file-written")?;
        }
        for live in &journal.live {
            let now = livefs::read(root, &live.path)
                .map_err(|e| crate::system::fs::path_error(&live.path, e))?
                .map(|c| hash(&c));
            if now == live.after {
                continue;
            }
            if recovering && now != live.before {
                let blob = |id: &Option<String>| -> Result<Option<Vec<u8>>> {
                    id.as_deref()
                        .map(|id| self.read_blob(Oid::from_str(id)?))
                        .transpose()
                };
                finished.left.push(LeftAlone {
                    path: live.path.clone(),
                    before: blob(&live.before)?,
                    after: blob(&live.after)?,
                });
                continue;
            }
            let meta = FileMeta {
                mode: live.mode,
                uid: live.uid,
                gid: live.gid,
            };
            match &live.after {
                Some(after) => {
                    let content = self.read_blob(Oid::from_str(after)?)?;
                    livefs::write_atomic(root, &live.path, &content, meta)
                }
                None => livefs::remove(root, &live.path),
            }
            .map_err(|e| crate::system::fs::path_error(&live.path, e))?;
            finished.written.push(live.path.clone());
            crash_point("transition::live-file-written")?;
        }
        Ok(finished)
    }

    fn remove_journal(&self) -> Result<()> {
        let path = self.dir().join(JOURNAL);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| tr!("cannot remove {path}", path = path.display())),
        }
        // The removal must last: a journal that comes back after a power loss would be taken
        // for an operation still to finish (harmless, its files already hold the new content).
        if let Ok(dir) = std::fs::File::open(self.dir()) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn read_journal(&self) -> Result<Option<Journal>> {
        let path = self.dir().join(JOURNAL);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map(Some).map_err(|e| {
                Error::NeedsRepair(tr!(
                    "{path} does not parse: {error}",
                    path = path.display(),
                    error = e.to_string().lines().next().unwrap_or_default()
                ))
                .into()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| tr!("cannot read {path}", path = path.display())),
        }
    }

    /// Finishes (or drops) an operation a killed run left half-way; see the module docs. Only a
    /// writer calls this.
    pub fn finish_interrupted(&self, root: &Path) -> Result<Finished> {
        let mut finished = Finished::default();
        if self.dir().join(LEGACY_JOURNAL).exists() {
            std::fs::remove_file(self.dir().join(LEGACY_JOURNAL)).with_context(|| {
                tr!(
                    "cannot remove {path}",
                    path = self.dir().join(LEGACY_JOURNAL).display()
                )
            })?;
            finished.dropped = true;
        }
        let Some(journal) = self.read_journal()? else {
            return Ok(finished);
        };
        let tip = self.read_ref(OPLOG_REF)?.map(|o| o.to_string());
        if tip.as_deref() == Some(journal.target.as_str()) {
            finished = self.apply(root, &journal, true)?;
        } else {
            finished.dropped = true;
        }
        finished.touched = journal.live.iter().map(|l| l.path.clone()).collect();
        self.remove_journal()?;
        Ok(finished)
    }

    /// For a store that does not finish interrupted operations (a reader, a dry run): the
    /// branches and state files a committed but unfinished operation left, as staged values.
    pub(super) fn view_committed(&self) -> Result<()> {
        // An unreadable journal is the writers' to report (with the way to `doctor`); readers
        // see the branches as they are.
        let Ok(Some(journal)) = self.read_journal() else {
            return Ok(());
        };
        if self.read_ref(OPLOG_REF)?.map(|o| o.to_string()).as_deref() != Some(journal.target.as_str()) {
            return Ok(());
        }
        let mut staged = self.staged.borrow_mut();
        staged
            .refs
            .insert(UPSTREAM_REF.to_string(), oid(&journal.upstream)?);
        staged.refs.insert(CUSTOM_REF.to_string(), oid(&journal.custom)?);
        for synced in &journal.synced {
            staged.refs.insert(synced.name.clone(), oid(&synced.target)?);
        }
        for file in &journal.files {
            staged
                .files
                .insert(file.name.clone(), self.read_blob(Oid::from_str(&file.after)?)?);
        }
        Ok(())
    }

    /// Moves a journal that does not parse aside (`journal.toml.unreadable`), so that the state
    /// can be checked without it; returns where it went.
    pub fn set_aside_unreadable_journal(&self) -> Result<Option<std::path::PathBuf>> {
        if self.read_journal().is_ok() {
            return Ok(None);
        }
        let aside = self.dir().join(format!("{JOURNAL}.unreadable"));
        std::fs::rename(self.dir().join(JOURNAL), &aside).with_context(|| {
            tr!(
                "cannot move {path} aside",
                path = self.dir().join(JOURNAL).display()
            )
        })?;
        Ok(Some(aside))
    }

    /// Whether an interrupted operation waits to be finished by the next writer.
    pub fn has_interrupted_operation(&self) -> bool {
        self.dir().join(JOURNAL).exists()
    }
}
