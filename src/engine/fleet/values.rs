//! This host's values for the `{placeholders}` of shared customisations, and the file that keeps
//! them: `host-values.toml` in the state dir (mode 0600, written like every state file, never
//! exported, never part of what `push` sends).
//!
//! ```toml
//! # Customisations that stay on this host: `push` never sends them.
//! local = ["Praxis Nord logo"]
//!
//! [values]
//! imprint_url = "https://praxis-nord.example/impressum"
//! ```
//!
//! `domain`, `guest_domain` and `turn_secret` need no entry: they come from the manifest and the
//! live Jitsi configuration ([`crate::profile::hostvalues`]); an entry overrides what is found.
//! On push every value in the text becomes `{name}` (longest value first, a domain only as a
//! whole name); on pull every `{name}` the shared stack declares becomes this host's value.

use std::collections::BTreeMap;
use std::path::Path;

use crate::tr;
use anyhow::{Context, Result};
use serde::Serialize;

use crate::InstallPath;
use crate::engine::live;
use crate::error::Error;
use crate::profile::hostvalues as known;
use crate::store::{Manifest, Store};

/// The file in the state dir.
pub const FILE_NAME: &str = "host-values.toml";

/// A value shorter than this would be replaced in too many places.
const MIN_LEN: usize = 4;

/// Where a host value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `host-values.toml`.
    Set,
    /// Found in a file of this host (the manifest, a live config file).
    Found(String),
    /// The guide's convention (`guest.<domain>`).
    Convention,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostValue {
    pub name: String,
    /// Never shown for a secret.
    #[serde(skip)]
    pub value: String,
    pub secret: bool,
    pub origin: Origin,
}

/// This host's values and its local-only customisations.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HostValues {
    pub values: Vec<HostValue>,
    /// Customisations `push` never sends.
    pub local: Vec<String>,
}

impl HostValues {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    /// Every value in `text` replaced by `{name}`: longest value first, so that
    /// `guest.tele.praxis.de` becomes `{guest_domain}` before `tele.praxis.de` is looked for; a
    /// value that is not a secret only where it stands as a whole name (`auth.tele.praxis.de`,
    /// not `hotele.praxis.de`). Returns the text and the names used.
    pub fn to_placeholders(&self, text: &[u8]) -> (Vec<u8>, Vec<String>) {
        let mut order: Vec<&HostValue> = self.values.iter().collect();
        order.sort_by_key(|v| std::cmp::Reverse(v.value.len()));
        let mut text = text.to_vec();
        let mut used = Vec::new();
        for value in order {
            let placeholder = format!("{{{}}}", value.name);
            let (replaced, count) = replace_all(
                &text,
                value.value.as_bytes(),
                placeholder.as_bytes(),
                !value.secret,
            );
            if count > 0 {
                used.push(value.name.clone());
                text = replaced;
            }
        }
        used.sort();
        (text, used)
    }

    /// Every `{name}` of `names` replaced by this host's value; the names this host has no value
    /// for are returned as the error.
    pub fn from_placeholders(&self, text: &[u8], names: &[String]) -> Result<Vec<u8>, Vec<String>> {
        let missing: Vec<String> = names.iter().filter(|n| self.get(n).is_none()).cloned().collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let mut text = text.to_vec();
        for name in names {
            let placeholder = format!("{{{name}}}");
            let value = self.get(name).unwrap_or_default();
            text = replace_all(&text, placeholder.as_bytes(), value.as_bytes(), false).0;
        }
        Ok(text)
    }

    /// [`HostValues::to_placeholders`] for a patch file: the data of git's binary patches is
    /// left as it is (its base85 could hold a value by chance).
    pub fn patch_to_placeholders(&self, text: &[u8]) -> (Vec<u8>, Vec<String>) {
        let mut used = Vec::new();
        let out = map_outside_binary(text, |chunk| {
            let (out, names) = self.to_placeholders(chunk);
            used.extend(names);
            out
        });
        used.sort();
        used.dedup();
        (out, used)
    }

    /// [`HostValues::from_placeholders`] for a patch file, binary data left as it is.
    pub fn patch_from_placeholders(&self, text: &[u8], names: &[String]) -> Result<Vec<u8>, Vec<String>> {
        self.from_placeholders(b"", names)?;
        Ok(map_outside_binary(text, |chunk| {
            self.from_placeholders(chunk, names)
                .unwrap_or_else(|_| chunk.to_vec())
        }))
    }

    /// The names whose `{name}` stands literally in `text`: a pull elsewhere would take it for a
    /// placeholder.
    pub fn literal_placeholders(&self, text: &[u8]) -> Vec<String> {
        self.values
            .iter()
            .filter(|v| find(text, format!("{{{}}}", v.name).as_bytes(), 0).is_some())
            .map(|v| v.name.clone())
            .collect()
    }
}

/// `text` with `f` applied to every run of lines outside git's binary patches (from a `GIT
/// binary patch` line to the next `diff --git`).
fn map_outside_binary(text: &[u8], mut f: impl FnMut(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut run: Vec<u8> = Vec::new();
    let mut binary = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"diff --git ") {
            binary = false;
        }
        if binary {
            out.extend_from_slice(line);
            continue;
        }
        run.extend_from_slice(line);
        if line.starts_with(b"GIT binary patch") {
            out.extend(f(&run));
            run.clear();
            binary = true;
        }
    }
    out.extend(f(&run));
    out
}

/// The byte offset of `needle` in `text` at or after `from`.
fn find(text: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > text.len() {
        return None;
    }
    text[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// `text` with every `from` replaced by `to`; with `whole`, only where `from` is not part of a
/// longer name: no letter, digit, `-` or `_` right before it, no letter, digit or `_` right
/// after it (`tele.praxis.de-config.js` is the domain's file, `hotele.praxis.de` another
/// domain). Returns the count too.
fn replace_all(text: &[u8], from: &[u8], to: &[u8], whole: bool) -> (Vec<u8>, usize) {
    let is_name_before = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let is_name_after = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::with_capacity(text.len());
    let mut count = 0;
    let mut at = 0;
    while let Some(found) = find(text, from, at) {
        let end = found + from.len();
        let bounded = !whole
            || ((found == 0 || !is_name_before(text[found - 1]))
                && (end == text.len() || !is_name_after(text[end])));
        if bounded {
            out.extend_from_slice(&text[at..found]);
            out.extend_from_slice(to);
            count += 1;
        } else {
            out.extend_from_slice(&text[at..end]);
        }
        at = end;
    }
    out.extend_from_slice(&text[at..]);
    (out, count)
}

/// What the file holds.
#[derive(Debug, Default)]
struct Stored {
    values: BTreeMap<String, String>,
    local: Vec<String>,
}

fn read_file(store: &Store) -> Result<(Stored, Option<toml_edit::DocumentMut>)> {
    let path = store.dir().join(FILE_NAME);
    let Some(bytes) = store
        .read_state_file(FILE_NAME)
        .with_context(|| tr!("cannot read {path}", path = path.display()))?
    else {
        return Ok((Stored::default(), None));
    };
    let bad = |reason: String| -> anyhow::Error {
        Error::BadInput(
            path.display().to_string(),
            tr!(
                "{reason}\nhint: fix the file by hand, or set values with `jitsi-custom host-value set NAME VALUE`",
                reason
            ),
        )
        .into()
    };
    let text = String::from_utf8(bytes).map_err(|_| bad(tr!("is not UTF-8")))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| bad(e.message().to_string()))?;
    let mut stored = Stored::default();
    if let Some(values) = doc.get("values") {
        let table = values
            .as_table_like()
            .ok_or_else(|| bad(tr!("`values` is not a table")))?;
        for (name, item) in table.iter() {
            let value = item
                .as_str()
                .ok_or_else(|| bad(tr!("values.{name} is not a string", name)))?;
            check_name(name).map_err(|e| bad(e.to_string()))?;
            stored.values.insert(name.to_string(), value.to_string());
        }
    }
    if let Some(local) = doc.get("local") {
        let array = local
            .as_array()
            .ok_or_else(|| bad(tr!("`local` is not a list of names")))?;
        for item in array.iter() {
            let name = item
                .as_str()
                .ok_or_else(|| bad(tr!("`local` holds something other than names")))?;
            stored.local.push(name.to_string());
        }
    }
    Ok((stored, Some(doc)))
}

const HEADER: &str = "# This host's values for the {placeholders} of shared customisations (`jitsi-custom push`,\n# `jitsi-custom pull`). This file never leaves the host: it is not pushed and not exported.\n# domain, guest_domain and turn_secret are found by themselves; a value here overrides them.\n\n# Customisations that stay on this host: `push` never sends them.\nlocal = []\n\n[values]\n";

/// Refuses a name that cannot be a placeholder.
pub fn check_name(name: &str) -> Result<()> {
    let fine = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if fine {
        Ok(())
    } else {
        Err(Error::Usage(tr!(
            "{name} is not a usable host value name\nhint: use lowercase letters, digits and `_`, starting with a letter (e.g. imprint_url)",
            name = format!("{name:?}")
        ))
        .into())
    }
}

fn check_value(name: &str, value: &str) -> Result<()> {
    if value.chars().count() < MIN_LEN || value.contains(['\n', '\r', '{', '}']) {
        return Err(Error::Usage(tr!(
            "the value for {name} must be one line of at least {min} characters, without braces\nhint: a shorter value would be replaced wherever it occurs",
            name,
            min = MIN_LEN
        ))
        .into());
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) a value in the file, keeping its comments. Returns whether
/// it changed. Nothing is written in a dry run.
pub fn set(store: &Store, name: &str, value: Option<&str>) -> Result<bool> {
    check_name(name)?;
    if let Some(value) = value {
        check_value(name, value)?;
    }
    let (stored, doc) = read_file(store)?;
    if stored.values.get(name).map(String::as_str) == value {
        return Ok(false);
    }
    let mut doc = match doc {
        Some(doc) => doc,
        None => HEADER.parse().expect("the header parses"),
    };
    if !doc.contains_key("values") {
        doc["values"] = toml_edit::table();
    }
    match value {
        Some(value) => doc["values"][name] = toml_edit::value(value),
        None => {
            if let Some(table) = doc["values"].as_table_like_mut() {
                table.remove(name);
            }
        }
    }
    store.write_state_file(FILE_NAME, doc.to_string().as_bytes())?;
    Ok(true)
}

/// This host's values: the file's, then what is found (the domain from the manifest, the guest
/// domain and TURN secret from the live config files), then the guide's convention for the guest
/// domain.
pub fn load(root: &Path, store: &Store, manifest: &Manifest) -> Result<HostValues> {
    let (stored, _) = read_file(store)?;
    let mut values: Vec<HostValue> = stored
        .values
        .iter()
        .map(|(name, value)| HostValue {
            name: name.clone(),
            value: value.clone(),
            secret: known::is_secret_name(name),
            origin: Origin::Set,
        })
        .collect();
    let mut found = |name: &str, value: Option<String>, origin: Origin| {
        if let Some(value) = value
            && !values.iter().any(|v| v.name == name)
            && value.chars().count() >= MIN_LEN
        {
            values.push(HostValue {
                name: name.to_string(),
                value,
                secret: known::is_secret_name(name),
                origin,
            });
        }
    };
    let domain = manifest.domain.clone();
    found(
        known::DOMAIN,
        domain.clone(),
        Origin::Found(crate::english!("the manifest's domain")),
    );
    if let Some(domain) = &domain {
        let read = |path: String| -> Result<Option<(String, String)>> {
            let install = InstallPath::parse(&path)?;
            Ok(live::read(root, &install)?.map(|c| (path, String::from_utf8_lossy(&c).into_owned())))
        };
        let config = read(format!("/etc/jitsi/meet/{domain}-config.js"))?;
        let prosody = read(format!("/etc/prosody/conf.avail/{domain}.cfg.lua"))?;
        let turnserver = read("/etc/turnserver.conf".to_string())?;
        let guest = config
            .as_ref()
            .and_then(|(p, t)| known::guest_domain_in_config_js(t).map(|v| (v, p.clone())))
            .or_else(|| {
                prosody
                    .as_ref()
                    .and_then(|(p, t)| known::guest_domain_in_prosody(t, domain).map(|v| (v, p.clone())))
            });
        match guest {
            Some((value, path)) => found(known::GUEST_DOMAIN, Some(value), Origin::Found(path)),
            None => found(
                known::GUEST_DOMAIN,
                Some(known::default_guest_domain(domain)),
                Origin::Convention,
            ),
        }
        let turn = [prosody, turnserver]
            .into_iter()
            .flatten()
            .find_map(|(p, t)| known::turn_secret_in(&t).map(|v| (v, p)));
        if let Some((value, path)) = turn {
            found(known::TURN_SECRET, Some(value), Origin::Found(path));
        }
    }
    values.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(HostValues {
        values,
        local: stored.local,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> HostValues {
        let value = |name: &str, value: &str| HostValue {
            name: name.into(),
            value: value.into(),
            secret: known::is_secret_name(name),
            origin: Origin::Set,
        };
        HostValues {
            values: vec![
                value("domain", "tele.praxis.de"),
                value("guest_domain", "guest.tele.praxis.de"),
                value("turn_secret", "k7Hq2WzR9mLp4TxV"),
            ],
            local: Vec::new(),
        }
    }

    #[test]
    fn values_become_placeholders_longest_first_and_whole_names_only() {
        let text = b"VirtualHost \"guest.tele.praxis.de\"\nmain_muc = \"conference.tele.praxis.de\"\nhotele.praxis.de\nsecret = \"k7Hq2WzR9mLp4TxV\"\n+++ b/etc/jitsi/meet/tele.praxis.de-config.js\n";
        let (out, used) = values().to_placeholders(text);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "VirtualHost \"{guest_domain}\"\nmain_muc = \"conference.{domain}\"\nhotele.praxis.de\nsecret = \"{turn_secret}\"\n+++ b/etc/jitsi/meet/{domain}-config.js\n"
        );
        assert_eq!(used, ["domain", "guest_domain", "turn_secret"]);
        let mut other = values();
        other.values[0].value = "video.praxis-nord.de".into();
        other.values[1].value = "guest.video.praxis-nord.de".into();
        let back = other.from_placeholders(&out, &used).unwrap();
        assert!(
            String::from_utf8(back)
                .unwrap()
                .contains("conference.video.praxis-nord.de")
        );
        assert_eq!(
            values().from_placeholders(b"{imprint}", &["imprint".into()]),
            Err(vec!["imprint".to_string()])
        );
    }

    #[test]
    fn binary_patch_data_is_left_alone() {
        let patch = b"diff --git a/x b/x\n+tele.praxis.de\nGIT binary patch\nliteral 4\nLtele.praxis.de\n\ndiff --git a/y b/y\n+tele.praxis.de\n";
        let (out, used) = values().patch_to_placeholders(patch);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "diff --git a/x b/x\n+{domain}\nGIT binary patch\nliteral 4\nLtele.praxis.de\n\ndiff --git a/y b/y\n+{domain}\n"
        );
        assert_eq!(used, ["domain"]);
    }

    #[test]
    fn names_and_values_are_checked() {
        assert!(check_name("imprint_url").is_ok());
        for bad in ["", "Domain", "1x", "a-b", "a b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_value("x", "abc").is_err());
        assert!(check_value("x", "a{b}c").is_err());
        assert!(check_value("x", "abcd").is_ok());
    }
}
