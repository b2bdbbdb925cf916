//! The `upstream` branch: pristine vendor content, one commit per observed upstream version. Its
//! tree also holds `.jitsi-custom/upstream.toml`, saying for every file where the pristine
//! content came from and what dpkg recorded for it, and the package versions it belongs to.

use std::collections::BTreeMap;

use crate::tr;
use anyhow::{Context, Result};
use git2::Oid;
use serde::{Deserialize, Serialize};

use super::{Store, UPSTREAM_REF};

pub const META_DIR: &str = ".jitsi-custom";
pub const META_PATH: &str = ".jitsi-custom/upstream.toml";

/// Where a file's pristine content was taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The live file, whose md5 matched the package's.
    Dpkg,
    /// The guide's `<file>.BKP` copy, whose md5 matched the package's.
    Bkp,
    /// The package's archive in apt's cache.
    DebCache,
    /// A conffile's `.dpkg-dist` / `.dpkg-new` left by dpkg.
    DpkgDist,
    /// A package template with the placeholders replaced.
    Template,
    /// The live file, taken as upstream because no pristine copy existed.
    Live,
    /// Nothing: upstream does not ship the file.
    Absent,
    /// docker: the web image (`docker image save`).
    Image,
    /// docker: the file the web container generated at its start, without the file it appends.
    Container,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// What dpkg recorded for the file (or its template) when this content was taken in; a
    /// different value later means the package brought new content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpkg_md5: Option<String>,
    /// docker: the image the content was read from, or for a file the container generates, the
    /// container it was learnt from; a different one now means new upstream content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Origin {
    /// Content of a Debian package's file (no image): where it came from, which package, what
    /// dpkg recorded for it.
    pub fn debian(source: Source, package: Option<String>, dpkg_md5: Option<String>) -> Origin {
        Origin {
            source,
            package,
            dpkg_md5,
            image: None,
        }
    }

    /// Content of a docker-jitsi-meet file: read from an image, or learnt from the container
    /// that generated it (no package, nothing dpkg recorded).
    pub fn docker(source: Source, image: Option<String>) -> Origin {
        Origin {
            source,
            package: None,
            dpkg_md5: None,
            image,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamMeta {
    /// Package name → version these files belong to.
    #[serde(default)]
    pub packages: BTreeMap<String, String>,
    /// Install path → origin.
    #[serde(default)]
    pub files: BTreeMap<String, Origin>,
}

impl Store {
    /// The metadata of an upstream commit (the tip when `None`); empty before the first one.
    pub fn upstream_meta(&self, commit: Option<Oid>) -> Result<UpstreamMeta> {
        let commit = match commit {
            Some(c) => c,
            None => match self.upstream_tip()? {
                Some(c) => c,
                None => return Ok(UpstreamMeta::default()),
            },
        };
        let Some(bytes) = self.content_at(commit, META_PATH)? else {
            return Ok(UpstreamMeta::default());
        };
        let text = String::from_utf8(bytes).with_context(|| tr!("upstream metadata is not UTF-8"))?;
        toml::from_str(&text).with_context(|| tr!("upstream metadata does not parse"))
    }

    /// Records a new upstream version on top of the current one: `changes` set or remove files,
    /// `meta` replaces the metadata. Moves the `upstream` ref and returns the commit.
    pub fn commit_upstream(&self, changes: &[(&str, Option<&[u8]>)], meta: &UpstreamMeta) -> Result<Oid> {
        let commit = self.make_upstream_commit(self.upstream_tip()?, changes, meta)?;
        self.set_ref(UPSTREAM_REF, Some(commit), "upstream")?;
        Ok(commit)
    }

    /// Writes a new upstream commit on `parent` without moving any ref.
    pub fn make_upstream_commit(
        &self,
        parent: Option<Oid>,
        changes: &[(&str, Option<&[u8]>)],
        meta: &UpstreamMeta,
    ) -> Result<Oid> {
        let meta_text = toml::to_string_pretty(meta)?;
        let mut all: Vec<(&str, Option<&[u8]>)> = changes.to_vec();
        all.push((META_PATH, Some(meta_text.as_bytes())));
        let tree = self.tree_with(parent, &all)?;
        let versions: Vec<String> = meta.packages.iter().map(|(p, v)| format!("{p} {v}")).collect();
        let summary = if versions.is_empty() {
            "no packages".to_string()
        } else {
            versions.join(", ")
        };
        let message = format!("upstream: {summary}\n");
        self.commit(tree, parent.as_slice(), &message)
    }
}
