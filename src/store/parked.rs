//! The review list (parked conflicts and notices) and recorded resolutions.
//!
//! A customisation that needs a person's decision for one file is **parked**. Parking never
//! weakens the live server: the stack holds (and the live file shows) a fallback that keeps the
//! customisation in effect — the merge with every conflict settled on the admin's side, else the
//! file as it was customised before, and upstream's file only when neither validates. The parked
//! entry keeps the customisation's own inputs (as blobs), so `resolve` or the next `rebase`
//! merges from the admin's intent again, not from the fallback.
//!
//! A **notice** is something decided without a person that a person should still see (a kept
//! value over a new upstream default, a setting upstream removed, a fallback): it stays on the
//! list until acknowledged.
//!
//! `parked.toml` in the state dir holds both lists; the operation log snapshots it.
//!
//! A **recorded resolution** (like git's rerere) maps the exact inputs of a conflict to the result
//! a person chose, so the same conflict coming back is resolved the same way without asking.

use std::collections::BTreeMap;

use crate::tr;
use anyhow::{Context, Result};
use git2::Oid;
use serde::{Deserialize, Serialize};

use super::Store;
use crate::InstallPath;

pub const PARKED_FILE: &str = "parked.toml";
pub const RESOLUTIONS_FILE: &str = "resolutions.toml";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parked {
    /// The customisation's name.
    pub patch: String,
    pub path: InstallPath,
    /// Blob ids of the merge inputs; absent when the file did not exist on that side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    /// Why it is parked, one line per conflict.
    pub reasons: Vec<String>,
    /// What is live meanwhile.
    #[serde(default)]
    pub fallback: Fallback,
}

/// What the live file holds while a decision waits for a person, best first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// The merge with every conflicting region settled on the customisation's side: the
    /// customisation and upstream's other changes are live.
    Yours,
    /// The file as it was customised before the new upstream content came (the merge did not
    /// validate): the customisation is live, upstream's new changes to this file are not.
    Previous,
    /// Upstream's file (neither alternative validates): the customisation is not live.
    #[default]
    Upstream,
}

impl Fallback {
    /// What is live, in English: the form that goes into the review list (state) and `--json`;
    /// [`crate::i18n::shown`] gives it for the terminal.
    pub fn describe(self) -> String {
        match self {
            Fallback::Yours => crate::english!("live: your side of each conflict, upstream's other changes"),
            Fallback::Previous => {
                crate::english!("live: the file as customised before (upstream's new changes wait)")
            }
            Fallback::Upstream => {
                crate::english!("live: upstream's file (the customisation is NOT in effect)")
            }
        }
    }
}

/// One entry of the review list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub path: InstallPath,
    pub customisation: String,
    pub kind: NoticeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// Both changed the same value; the admin's stays.
    KeptYours,
    /// Upstream removed or commented out a setting the admin set; kept.
    KeptRemoved,
    /// Upstream moved a setting the admin set.
    Moved,
    /// The admin's value is overridden by another setting.
    Overridden,
    /// A decision is parked; the fallback named in the message is live.
    Parked,
    /// A person kept the whole customised file: upstream's changes to it are not live.
    UpstreamDropped,
    /// An unattended maintenance window would have needed this decision: it was rolled back and
    /// waits for `jitsi-custom upgrade` on a terminal.
    Postponed,
}

impl From<crate::merge::DecisionKind> for NoticeKind {
    fn from(kind: crate::merge::DecisionKind) -> NoticeKind {
        use crate::merge::DecisionKind as D;
        match kind {
            D::KeptYours => NoticeKind::KeptYours,
            D::KeptRemoved => NoticeKind::KeptRemoved,
            D::Moved => NoticeKind::Moved,
            D::Overridden => NoticeKind::Overridden,
        }
    }
}

impl Notice {
    /// Two notices about the same thing (the newer one replaces the older).
    pub fn same_subject(&self, other: &Notice) -> bool {
        self.path == other.path
            && self.customisation == other.customisation
            && self.kind == other.kind
            && self.setting == other.setting
    }
}

/// Everything that waits for a person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    #[serde(default)]
    pub parked: Vec<Parked>,
    #[serde(default, rename = "notice")]
    pub notices: Vec<Notice>,
}

impl Review {
    pub fn is_empty(&self) -> bool {
        self.parked.is_empty() && self.notices.is_empty()
    }

    /// Adds a notice, replacing an older one about the same subject.
    pub fn add_notice(&mut self, notice: Notice) {
        self.notices.retain(|n| !n.same_subject(&notice));
        self.notices.push(notice);
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Resolutions {
    /// Conflict key → blob id of the chosen result.
    #[serde(default)]
    resolution: BTreeMap<String, String>,
}

impl Store {
    pub fn parked(&self) -> Result<Vec<Parked>> {
        Ok(self.review()?.parked)
    }

    /// The review list: parked decisions and notices.
    pub fn review(&self) -> Result<Review> {
        let path = self.dir().join(PARKED_FILE);
        match self.read_state_file(PARKED_FILE) {
            Ok(Some(text)) => toml::from_str::<Review>(&String::from_utf8_lossy(&text))
                .with_context(|| tr!("{path}: does not parse", path = path.display())),
            Ok(None) => Ok(Review::default()),
            Err(e) => Err(e).with_context(|| tr!("cannot read {path}", path = path.display())),
        }
    }

    pub fn save_review(&self, review: &Review) -> Result<()> {
        let text = toml::to_string_pretty(review)?;
        self.write_state_file(PARKED_FILE, text.as_bytes())
    }

    /// Stores content as a blob and returns its id.
    pub fn store_blob(&self, content: &[u8]) -> Result<Oid> {
        Ok(self.repo.blob(content)?)
    }

    /// The content of a parked input (`None`: the file did not exist on that side).
    pub fn parked_blob(&self, id: &Option<String>) -> Result<Option<Vec<u8>>> {
        id.as_deref()
            .map(|id| -> Result<Vec<u8>> {
                let oid = Oid::from_str(id)
                    .with_context(|| tr!("parked.toml: {id} is not an object id", id = format!("{id:?}")))?;
                self.read_blob(oid)
            })
            .transpose()
    }

    /// The result a person chose for a conflict with exactly these inputs, if any.
    pub fn recorded_resolution(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let resolutions = self.load_resolutions()?;
        match resolutions.resolution.get(key) {
            Some(id) => Ok(Some(self.read_blob(Oid::from_str(id)?)?)),
            None => Ok(None),
        }
    }

    pub fn record_resolution(&self, key: &str, result: &[u8]) -> Result<()> {
        let mut resolutions = self.load_resolutions()?;
        let id = self.store_blob(result)?;
        resolutions.resolution.insert(key.to_string(), id.to_string());
        self.write_state_file(RESOLUTIONS_FILE, toml::to_string_pretty(&resolutions)?.as_bytes())
    }

    fn load_resolutions(&self) -> Result<Resolutions> {
        let path = self.dir().join(RESOLUTIONS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| tr!("{path}: does not parse", path = path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Resolutions::default()),
            Err(e) => Err(e).with_context(|| tr!("cannot read {path}", path = path.display())),
        }
    }
}

/// The key of a conflict: its strategy and the three inputs, hashed.
pub fn conflict_key(strategy: &str, base: &[u8], local: &[u8], upstream: &[u8]) -> String {
    let mut all = Vec::with_capacity(base.len() + local.len() + upstream.len() + 64);
    for part in [strategy.as_bytes(), base, local, upstream] {
        all.extend_from_slice(&(part.len() as u64).to_le_bytes());
        all.extend_from_slice(part);
    }
    Oid::hash_object(git2::ObjectType::Blob, &all)
        .map(|o| o.to_string())
        .unwrap_or_default()
}
