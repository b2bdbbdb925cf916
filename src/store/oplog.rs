//! The operation log: every change the tool makes (init, record, track, rebase, rollback …) is a
//! commit on `refs/jitsi-custom/oplog`, like `jj op log`. Each holds the refs before and after,
//! the manifest, and the live tracked files with their mode and owner as they were afterwards, so
//! any earlier state can be restored byte for byte.
//!
//! An operation commit's tree:
//! - `op.toml`: kind, description, time, refs before and after;
//! - `jitsi-custom.toml`, `parked.toml`: the manifest and the parked conflicts after the operation;
//! - `live/<root-relative path>`: live content after the operation; `live.toml` their metadata.

use std::collections::BTreeMap;

use crate::tr;
use anyhow::{Context, Result, bail};
use git2::Oid;
use serde::{Deserialize, Serialize};

use super::{CUSTOM_REF, OPLOG_REF, Store, UPSTREAM_REF};
use crate::InstallPath;
use crate::system::fs::FileMeta;

/// Where the two branches pointed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<String>,
    /// Remote name → the shared commit the stack was synced with ([`super::SYNCED_PREFIX`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub synced: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    #[serde(skip)]
    pub id: Option<Oid>,
    pub kind: String,
    pub description: String,
    pub time: i64,
    pub before: Refs,
    pub after: Refs,
    /// Live files the operation brought into being (they did not exist before it): undoing it
    /// removes them, even where the state it returns to does not track them (an import's new
    /// logo).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<InstallPath>,
}

impl Operation {
    /// The short id people type (`rollback 3f2a9c1`).
    pub fn short_id(&self) -> String {
        self.id
            .map(|id| id.to_string()[..12].to_string())
            .unwrap_or_default()
    }
}

/// A tracked file as it was live after an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveFile {
    pub path: InstallPath,
    /// `None`: the file did not exist.
    pub content: Option<Vec<u8>>,
    pub meta: FileMeta,
}

/// What an operation left behind, to restore it.
pub struct Snapshot {
    pub files: Vec<LiveFile>,
    pub manifest: Vec<u8>,
    pub parked: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct LiveMeta {
    present: bool,
    mode: u32,
    uid: u32,
    gid: u32,
}

impl Store {
    /// Where the branches point now.
    pub fn refs_now(&self) -> Result<Refs> {
        let hex = |o: Option<Oid>| o.map(|o| o.to_string());
        let mut synced = BTreeMap::new();
        for remote in self.synced_remotes()? {
            if let Some(id) = self.ref_target(&format!("{}{remote}", super::SYNCED_PREFIX))? {
                synced.insert(remote, id.to_string());
            }
        }
        Ok(Refs {
            upstream: hex(self.upstream_tip()?),
            custom: hex(self.custom_tip()?),
            synced,
        })
    }

    /// Commits the operation prepared so far and appends it to the log, in one atomic step
    /// ([`super::transition`]): the staged branch moves, manifest, review list and live writes
    /// take effect together, or (killed before the log moves) not at all. `live` is every tracked
    /// file as it is live now; the staged live writes are laid over it. In a dry run nothing is
    /// written.
    pub fn log_operation(
        &self,
        root: &std::path::Path,
        kind: &str,
        description: &str,
        before: Refs,
        live: &[LiveFile],
    ) -> Result<Oid> {
        let mut live = live.to_vec();
        let mut created = Vec::new();
        for (path, write) in self.staged_live() {
            if write.content.is_some() && matches!(crate::system::fs::stamp(root, &path), Ok(None)) {
                created.push(path.clone());
            }
            let meta = write
                .meta
                .or_else(|| live.iter().find(|f| f.path == path).map(|f| f.meta))
                .unwrap_or_default();
            live.retain(|f| f.path != path);
            live.push(LiveFile {
                path,
                content: write.content,
                meta,
            });
        }
        live.sort_by(|a, b| a.path.cmp(&b.path));
        let op = Operation {
            id: None,
            kind: kind.to_string(),
            description: description.to_string(),
            time: super::now_secs(),
            before,
            after: self.refs_now()?,
            created,
        };
        let op_text = toml::to_string_pretty(&op)?;
        let manifest = self
            .read_state_file(super::manifest::FILE_NAME)?
            .unwrap_or_default();
        let parked = self
            .read_state_file(super::parked::PARKED_FILE)?
            .unwrap_or_default();
        let mut meta = BTreeMap::new();
        let live_paths: Vec<String> = live.iter().map(|f| format!("live/{}", f.path.as_rel())).collect();
        let mut changes: Vec<(&str, Option<&[u8]>)> = vec![
            ("op.toml", Some(op_text.as_bytes())),
            ("jitsi-custom.toml", Some(&manifest)),
            ("parked.toml", Some(&parked)),
        ];
        for (file, path) in live.iter().zip(&live_paths) {
            meta.insert(
                file.path.to_string(),
                LiveMeta {
                    present: file.content.is_some(),
                    mode: file.meta.mode,
                    uid: file.meta.uid,
                    gid: file.meta.gid,
                },
            );
            if let Some(content) = &file.content {
                changes.push((path, Some(content)));
            }
        }
        let meta_text = toml::to_string_pretty(&meta)?;
        changes.push(("live.toml", Some(meta_text.as_bytes())));
        let tree = self.tree_with(None, &changes)?;
        // The branch tips are parents too, so every state the log names stays reachable.
        let mut parents: Vec<Oid> = self.ref_target(OPLOG_REF)?.into_iter().collect();
        let synced: Vec<Oid> = self
            .refs_now()?
            .synced
            .values()
            .filter_map(|id| Oid::from_str(id).ok())
            .collect();
        for tip in [self.custom_tip()?, self.upstream_tip()?]
            .into_iter()
            .flatten()
            .chain(synced)
        {
            if !parents.contains(&tip) {
                parents.push(tip);
            }
        }
        let message = format!("{kind}: {description}\n");
        let base = self.ref_target(OPLOG_REF)?;
        let commit = self.commit(tree, &parents, &message)?;
        match self.access() {
            super::Access::Write => self.commit_transition(root, base, commit)?,
            // A dry run commits nothing; a reader has nothing staged to commit.
            _ => *self.staged.borrow_mut() = Default::default(),
        }
        Ok(commit)
    }

    /// The operations, newest first.
    pub fn operations(&self) -> Result<Vec<Operation>> {
        let mut ops = Vec::new();
        let mut cursor = self.ref_target(OPLOG_REF)?;
        while let Some(id) = cursor {
            ops.push(self.operation(id)?);
            let commit = self.repo.find_commit(id)?;
            // The first parent is the previous operation; the others are branch tips.
            cursor = commit.parent_ids().next().filter(|p| self.is_operation(*p));
        }
        Ok(ops)
    }

    fn is_operation(&self, id: Oid) -> bool {
        self.content_at(id, "op.toml").ok().flatten().is_some()
    }

    fn operation(&self, id: Oid) -> Result<Operation> {
        let text = self
            .content_at(id, "op.toml")?
            .with_context(|| tr!("operation without op.toml"))?;
        let mut op: Operation = toml::from_str(&String::from_utf8_lossy(&text))
            .with_context(|| tr!("operation does not parse"))?;
        op.id = Some(id);
        Ok(op)
    }

    /// Finds an operation by a prefix of its id.
    pub fn find_operation(&self, prefix: &str) -> Result<Operation> {
        let matches: Vec<Operation> = self
            .operations()?
            .into_iter()
            .filter(|op| {
                op.id
                    .is_some_and(|id| id.to_string().starts_with(&prefix.to_ascii_lowercase()))
            })
            .collect();
        match matches.len() {
            1 => Ok(matches.into_iter().next().expect("one match")),
            0 => bail!(crate::error::Error::Usage(tr!(
                "no operation {prefix}\nhint: `jitsi-custom log` lists the operations",
                prefix
            ))),
            _ => bail!(crate::error::Error::Usage(tr!(
                "operation id {prefix} is ambiguous; give more digits",
                prefix
            ))),
        }
    }

    /// The live files, the manifest and the parked list as they were after an operation.
    pub fn operation_snapshot(&self, op: &Operation) -> Result<Snapshot> {
        let id = op.id.with_context(|| tr!("operation without id"))?;
        let meta_text = self.content_at(id, "live.toml")?.unwrap_or_default();
        let meta: BTreeMap<String, LiveMeta> = toml::from_str(&String::from_utf8_lossy(&meta_text))?;
        let mut files = Vec::new();
        for (path, m) in meta {
            let path = InstallPath::parse(&path)?;
            let content = if m.present {
                self.content_at(id, &format!("live/{}", path.as_rel()))?
            } else {
                None
            };
            files.push(LiveFile {
                path,
                content,
                meta: FileMeta {
                    mode: m.mode,
                    uid: m.uid,
                    gid: m.gid,
                },
            });
        }
        Ok(Snapshot {
            files,
            manifest: self.content_at(id, "jitsi-custom.toml")?.unwrap_or_default(),
            parked: self.content_at(id, "parked.toml")?.unwrap_or_default(),
        })
    }

    /// Points the branches where an operation left them.
    pub fn restore_refs(&self, refs: &Refs) -> Result<()> {
        let oid = |s: &Option<String>| s.as_deref().map(Oid::from_str).transpose();
        self.set_ref(UPSTREAM_REF, oid(&refs.upstream)?, "rollback")?;
        self.set_ref(CUSTOM_REF, oid(&refs.custom)?, "rollback")?;
        for remote in self.synced_remotes()? {
            if !refs.synced.contains_key(&remote) {
                self.set_ref(&format!("{}{remote}", super::SYNCED_PREFIX), None, "rollback")?;
            }
        }
        for (remote, id) in &refs.synced {
            self.set_ref(
                &format!("{}{remote}", super::SYNCED_PREFIX),
                Some(Oid::from_str(id)?),
                "rollback",
            )?;
        }
        Ok(())
    }
}
