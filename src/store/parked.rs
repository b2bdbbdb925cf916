//! Parked conflicts and recorded resolutions.
//!
//! A patch that could not be carried onto new upstream content for one file is **parked**: the
//! other patches and files still apply, and the three inputs of the failed merge are kept (as
//! blobs) so that `resolve` or the next `rebase` can try again. `parked.toml` in the state dir
//! lists them; the operation log snapshots it.
//!
//! A **recorded resolution** (like git's rerere) maps the exact inputs of a conflict to the result
//! a person chose, so the same conflict coming back is resolved the same way without asking.

use std::collections::BTreeMap;

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
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ParkedFile {
    #[serde(default)]
    parked: Vec<Parked>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Resolutions {
    /// Conflict key → blob id of the chosen result.
    #[serde(default)]
    resolution: BTreeMap<String, String>,
}

impl Store {
    pub fn parked(&self) -> Result<Vec<Parked>> {
        let path = self.dir().join(PARKED_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(toml::from_str::<ParkedFile>(&text)
                .with_context(|| format!("{}: does not parse", path.display()))?
                .parked),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn save_parked(&self, parked: &[Parked]) -> Result<()> {
        let text = toml::to_string_pretty(&ParkedFile {
            parked: parked.to_vec(),
        })?;
        self.write_state_file(PARKED_FILE, text.as_bytes())
    }

    /// Stores content as a blob and returns its id.
    pub fn store_blob(&self, content: &[u8]) -> Result<Oid> {
        Ok(self.repo.blob(content)?)
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
            Ok(text) => toml::from_str(&text).with_context(|| format!("{}: does not parse", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Resolutions::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
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
