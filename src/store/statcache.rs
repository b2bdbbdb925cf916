//! What `status` saw last time: for every live file its stat stamp and content hashes, so a warm
//! run does not re-read files whose size, mtime, ctime and inode are unchanged.
//!
//! A file modified within the last second is not cached (like git's "racily clean" entries): a
//! second change in the same timestamp tick would otherwise go unnoticed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::system::fs::Stamp;

pub const FILE_NAME: &str = "stat-cache.json";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub stamp: Stamp,
    /// git blob id of the content.
    pub oid: String,
    pub md5: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StatCache {
    entries: BTreeMap<String, Entry>,
    /// The candidate versions apt knows for held packages, with the stamp of apt's lists and the
    /// dpkg status they were read from (asking apt costs a process start).
    #[serde(default)]
    candidates: Option<(String, BTreeMap<String, String>)>,
    #[serde(skip)]
    dirty: bool,
}

impl StatCache {
    /// Loads the cache; a missing or unreadable one is simply empty (it is derived data).
    pub fn load(state_dir: &Path) -> StatCache {
        std::fs::read(state_dir.join(FILE_NAME))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn lookup(&self, key: &str, stamp: &Stamp) -> Option<&Entry> {
        self.entries.get(key).filter(|e| &e.stamp == stamp)
    }

    pub fn insert(&mut self, key: &str, entry: Entry) {
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        if now_ns - entry.stamp.mtime_ns.max(entry.stamp.ctime_ns) < 1_000_000_000 {
            return;
        }
        self.entries.insert(key.to_string(), entry);
        self.dirty = true;
    }

    /// The candidates cached under `key`, if that is what they were read for.
    pub fn candidates(&self, key: &str) -> Option<&BTreeMap<String, String>> {
        self.candidates.as_ref().filter(|(k, _)| k == key).map(|(_, c)| c)
    }

    pub fn set_candidates(&mut self, key: String, candidates: BTreeMap<String, String>) {
        self.candidates = Some((key, candidates));
        self.dirty = true;
    }

    /// Saves when something changed; failure is harmless (the next run re-hashes).
    pub fn save(&self, state_dir: &Path) {
        if !self.dirty {
            return;
        }
        let Ok(bytes) = serde_json::to_vec(self) else {
            return;
        };
        let _ = super::replace_state_file(
            state_dir,
            Path::new(FILE_NAME),
            &bytes,
            super::Durability::Relaxed,
        );
    }
}
