//! The shared stack: what one commit of the remote's shared branch holds, as files.
//!
//! ```text
//! jitsi-custom-shared.toml     format, the placeholders used, the customisations in order
//! series                       the patch files in order (quilt's list)
//! 0001-german-welcome-texts.patch …   one `git format-patch` style file per customisation
//! base/<path>                  the pushing host's upstream content of every file the series
//!                              changes, which the first patch of that file applies to
//! ```
//!
//! Every host value in any of them (paths too) is a `{placeholder}`; commit and blob ids of the
//! pushing host are zeroed. `base/` is what lets `pull` merge each customisation onto another
//! host's upstream setting by setting (its before and after), not only apply it where the
//! context lines match.

use std::collections::BTreeMap;

use crate::tr;
use serde::{Deserialize, Serialize};

/// The shared stack's own description.
pub const META: &str = "jitsi-custom-shared.toml";
pub const SERIES: &str = "series";
pub const BASE_DIR: &str = "base/";
const README: &str = "README.md";
const FORMAT: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharedStack {
    /// The host values named as `{placeholders}`.
    pub placeholders: Vec<String>,
    pub patches: Vec<SharedPatch>,
    /// Root-relative path (with placeholders) → upstream content.
    pub base: BTreeMap<String, Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedPatch {
    pub name: String,
    /// Its file in the tree (`0001-….patch`).
    pub file: String,
    pub text: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    format: u32,
    #[serde(default)]
    placeholders: Vec<String>,
    #[serde(default, rename = "customisation")]
    customisations: Vec<MetaEntry>,
}

#[derive(Serialize, Deserialize)]
struct MetaEntry {
    name: String,
    file: String,
}

impl SharedStack {
    pub fn patch(&self, name: &str) -> Option<&SharedPatch> {
        self.patches.iter().find(|p| p.name == name)
    }

    /// The tree's files.
    pub fn to_files(&self) -> BTreeMap<String, Vec<u8>> {
        let meta = Meta {
            format: FORMAT,
            placeholders: self.placeholders.clone(),
            customisations: self
                .patches
                .iter()
                .map(|p| MetaEntry {
                    name: p.name.clone(),
                    file: p.file.clone(),
                })
                .collect(),
        };
        let mut files = BTreeMap::new();
        files.insert(
            META.to_string(),
            toml::to_string_pretty(&meta).unwrap_or_default().into_bytes(),
        );
        files.insert(README.to_string(), readme(&self.placeholders).into_bytes());
        let series: String = self.patches.iter().map(|p| format!("{}\n", p.file)).collect();
        files.insert(SERIES.to_string(), series.into_bytes());
        for patch in &self.patches {
            files.insert(patch.file.clone(), patch.text.clone());
        }
        for (path, content) in &self.base {
            files.insert(format!("{BASE_DIR}{path}"), content.clone());
        }
        files
    }

    /// Reads a shared stack from a tree's files; the error says what is wrong, in one line.
    pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Result<SharedStack, String> {
        let meta = files.get(META).ok_or_else(|| {
            tr!(
                "holds no {file}; it was not written by `jitsi-custom push`",
                file = META
            )
        })?;
        let meta: Meta = toml::from_str(&String::from_utf8_lossy(meta))
            .map_err(|e| tr!("{file} does not parse: {error}", file = META, error = e.message()))?;
        if meta.format != FORMAT {
            return Err(tr!(
                "{file} has format {format}, this jitsi-custom reads format {known}; upgrade jitsi-custom",
                file = META,
                format = meta.format,
                known = FORMAT
            ));
        }
        for name in &meta.placeholders {
            super::values::check_name(name)
                .map_err(|e| format!("{META}: {}", e.to_string().lines().next().unwrap_or_default()))?;
        }
        let mut stack = SharedStack {
            placeholders: meta.placeholders,
            ..Default::default()
        };
        for entry in meta.customisations {
            if entry.name.trim().is_empty() || entry.name.contains('\n') {
                return Err(tr!(
                    "{file} names a customisation {name}",
                    file = META,
                    name = format!("{:?}", entry.name)
                ));
            }
            if stack.patch(&entry.name).is_some() {
                return Err(tr!(
                    "{file} names the customisation {name} twice",
                    file = META,
                    name = format!("{:?}", entry.name)
                ));
            }
            let text = files
                .get(&entry.file)
                .filter(|_| !entry.file.contains('/'))
                .ok_or_else(|| {
                    tr!(
                        "{file} names {patch}, which it does not hold",
                        file = META,
                        patch = entry.file
                    )
                })?;
            stack.patches.push(SharedPatch {
                name: entry.name,
                file: entry.file,
                text: text.clone(),
            });
        }
        for (path, content) in files {
            if let Some(rel) = path.strip_prefix(BASE_DIR) {
                stack.base.insert(rel.to_string(), content.clone());
            }
        }
        Ok(stack)
    }
}

fn readme(placeholders: &[String]) -> String {
    let names: Vec<String> = placeholders.iter().map(|n| format!("`{{{n}}}`")).collect();
    format!(
        "# Shared Jitsi customisations\n\nWritten by `jitsi-custom push`, read by `jitsi-custom pull`: one patch per customisation, in\nthe order `series` lists them, each applying to the files under `base/` and the patches before\nit. Host-specific values are placeholders ({}), which `pull` replaces with each server's own\n(`host-values.toml` in its state directory). No server's secrets are in here.\n",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// A patch file with the pushing host's ids zeroed: the `From <commit>` line and the blob ids of
/// `index` lines (which `pull` does not need, and which would change with every rebase).
pub fn without_ids(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for (n, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        if n == 0 && line.starts_with(b"From ") {
            out.extend_from_slice(
                b"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n",
            );
        } else if let Some(rest) = line.strip_prefix(b"index ") {
            out.extend_from_slice(b"index ");
            let ids = rest
                .iter()
                .position(|&b| b == b' ' || b == b'\n')
                .unwrap_or(rest.len());
            out.extend(
                rest[..ids]
                    .iter()
                    .map(|&b| if b.is_ascii_hexdigit() { b'0' } else { b }),
            );
            out.extend_from_slice(&rest[ids..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// What a patch changes, without what depends on the files around it (context lines, line
/// numbers, ids, the mail header): two patches with the same signature make the same change.
pub fn signature(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut in_diff = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"diff --git ") {
            in_diff = true;
        }
        if !in_diff || line.starts_with(b"index ") || line.starts_with(b"@@") || line.starts_with(b" ") {
            continue;
        }
        // The mail's signature (`-- \n2.x`) ends the diff.
        if line == b"-- \n" {
            break;
        }
        out.extend_from_slice(line);
    }
    out
}

/// The lines a patch adds, per file: (root-relative path as the patch names it, line number in
/// the new file, the line).
pub fn added_lines(text: &[u8]) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut path = String::new();
    let mut line_no = 0usize;
    let mut in_hunk = false;
    for raw in text.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(raw);
        if line.starts_with("diff --git ") {
            in_hunk = false;
            continue;
        }
        if let Some(new) = line.strip_prefix("+++ ") {
            path = new.strip_prefix("b/").unwrap_or(new).to_string();
            in_hunk = false;
            continue;
        }
        if let Some(header) = line.strip_prefix("@@ ") {
            // `@@ -a,b +c,d @@`: the new file's lines start at c.
            line_no = header
                .split_whitespace()
                .find_map(|w| w.strip_prefix('+'))
                .and_then(|w| w.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            in_hunk = true;
            continue;
        }
        if !in_hunk {
            continue;
        }
        if let Some(added) = line.strip_prefix('+') {
            out.push((path.clone(), line_no, added.to_string()));
            line_no += 1;
        } else if line.starts_with(' ') {
            line_no += 1;
        } else if line == "-- " {
            in_hunk = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &[u8] = b"From 3f2a9c1d Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/1] texts\n\n---\n a | 2 +-\n\ndiff --git a/etc/a b/etc/a\nindex 1234abc..5678def 100644\n--- a/etc/a\n+++ b/etc/a\n@@ -1,3 +1,3 @@\n one\n-two\n+zwei\n three\n@@ -10,2 +10,3 @@\n ten\n+password = \"x\"\n eleven\n-- \n2.40\n";

    #[test]
    fn files_round_trip() {
        let stack = SharedStack {
            placeholders: vec!["domain".into()],
            patches: vec![SharedPatch {
                name: "German texts".into(),
                file: "0001-german-texts.patch".into(),
                text: PATCH.to_vec(),
            }],
            base: [("etc/jitsi/meet/{domain}-config.js".to_string(), b"x".to_vec())].into(),
        };
        let files = stack.to_files();
        assert_eq!(files[SERIES], b"0001-german-texts.patch\n");
        assert!(files.contains_key("base/etc/jitsi/meet/{domain}-config.js"));
        assert_eq!(SharedStack::from_files(&files).unwrap(), stack);
        let mut broken = files.clone();
        broken.remove("0001-german-texts.patch");
        assert!(
            SharedStack::from_files(&broken)
                .unwrap_err()
                .contains("does not hold")
        );
        assert!(SharedStack::from_files(&BTreeMap::new()).is_err());
    }

    #[test]
    fn ids_are_zeroed_and_signatures_ignore_context() {
        let zeroed = String::from_utf8(without_ids(PATCH)).unwrap();
        assert!(zeroed.starts_with("From 0000000000000000000000000000000000000000 "));
        assert!(zeroed.contains("index 0000000..0000000 100644\n"), "{zeroed}");
        let moved = String::from_utf8_lossy(PATCH).replace("@@ -1,3 +1,3 @@\n one", "@@ -4,3 +4,3 @@\n uno");
        assert_eq!(signature(PATCH), signature(moved.as_bytes()));
        let other = String::from_utf8_lossy(PATCH).replace("+zwei", "+deux");
        assert_ne!(signature(PATCH), signature(other.as_bytes()));
    }

    #[test]
    fn added_lines_carry_the_new_file_line_numbers() {
        let added = added_lines(PATCH);
        assert_eq!(
            added,
            vec![
                ("etc/a".to_string(), 2, "zwei".to_string()),
                ("etc/a".to_string(), 11, "password = \"x\"".to_string()),
            ]
        );
    }
}
