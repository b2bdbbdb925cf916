//! The manifest `jitsi-custom.toml`: which files are tracked and how. A plain file at the state
//! dir's root that an admin may edit by hand; every operation snapshots it in the operation log.

use std::collections::BTreeMap;
use std::path::Path;

use crate::tr;
use serde::{Deserialize, Serialize};

use crate::InstallPath;
use crate::error::Error;
use crate::merge::Strategy;

pub const FILE_NAME: &str = "jitsi-custom.toml";

const HEADER: &str = "\
# jitsi-custom manifest: the files whose customisations are kept across upgrades.
# Safe to edit by hand; `jitsi-custom track` / `untrack` edit it too.
#
# Per file: `package` owns it (its pristine content comes from dpkg), or `template` names the
# file a package script generated it from, with `placeholders` replaced. `strategy` overrides
# how it is merged (text, text-ignore-space, json, dotenv, js-config, minified, binary); `services`
# overrides what is restarted when it changes.
#
# At the top: `mail_to = 'admin@praxis.de'` mails the report when an unattended run needs a
# person; `health_urls` are checked after a maintenance window; `merge_tool` runs at a conflict.

";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The Jitsi domain (`tele.praxis.de`), as found at init.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Packages held outside maintenance windows; the profile's list when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    /// Command run for "run a merge tool" at a conflict, with `{base}`, `{local}`, `{upstream}`
    /// and `{output}` replaced by file paths (`meld {local} {base} {upstream} -o {output}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_tool: Option<String>,
    /// URLs `upgrade` checks after restarting services (any non-2xx answer rolls the window back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_urls: Vec<String>,
    /// Where the report goes when an unattended run needs a person (a postponed window, parked
    /// conflicts after an apt run): mailed with `sendmail -t`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_to: Option<String>,
    /// The largest tracked file, in bytes (default 64 MiB): larger live files and package
    /// files are refused rather than read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size: Option<u64>,
    /// The docker-jitsi-meet variant (`init --docker`): where the checkout and the config folder
    /// are, and the web image. Absent for a Debian install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerSetup>,
    #[serde(default, rename = "file")]
    pub files: Vec<TrackedFile>,
}

/// A docker-jitsi-meet install: the checkout (`docker-compose.yml`, `env.example`, `.env`), the
/// config folder (`CONFIG` in `.env`) and the web image the overlay files belong to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerSetup {
    pub checkout: InstallPath,
    pub config: InstallPath,
    /// The web service's image reference (`jitsi/web:stable-9584`), as compose names it.
    pub web_image: String,
    /// The compose project (labels `com.docker.compose.project` of its containers).
    pub project: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackedFile {
    pub path: InstallPath,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<InstallPath>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub placeholders: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// docker: the file in the web image whose content is this file's pristine upstream
    /// (`/usr/share/jitsi-meet/css/all.css` for an overlay file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_path: Option<InstallPath>,
    /// docker: the web container regenerates this file at every start and appends this file to
    /// it (`custom-config.js`), where the customisations are written as statements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appended: Option<InstallPath>,
}

impl TrackedFile {
    pub fn new(path: InstallPath) -> TrackedFile {
        TrackedFile {
            path,
            package: None,
            template: None,
            placeholders: BTreeMap::new(),
            strategy: None,
            services: None,
            image_path: None,
            appended: None,
        }
    }

    /// The merge strategy: the manifest's choice, else the one the file kind suggests.
    pub fn strategy(&self) -> Strategy {
        self.strategy
            .unwrap_or_else(|| crate::profile::strategy_for_path(self.path.as_rel()))
    }

    /// The template's content with this file's placeholders replaced: the file as the package
    /// script would generate it.
    pub fn render_template(&self, template: &[u8]) -> Vec<u8> {
        let Ok(text) = std::str::from_utf8(template) else {
            return template.to_vec();
        };
        let mut text = text.to_string();
        // Longest placeholder first, so one that contains another is replaced whole.
        let mut placeholders: Vec<_> = self.placeholders.iter().collect();
        placeholders.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        for (from, to) in placeholders {
            text = text.replace(from.as_str(), to);
        }
        text.into_bytes()
    }
}

impl Manifest {
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, Error> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| Error::BadManifest {
            path: path.to_path_buf(),
            reason: one_line(&e.to_string()),
        })?;
        let mut seen = std::collections::HashSet::new();
        for file in &manifest.files {
            if !seen.insert(&file.path) {
                return Err(Error::BadManifest {
                    path: path.to_path_buf(),
                    // Escaped: a path may hold a newline, and the reason is one line.
                    reason: tr!(
                        "{path} is listed twice",
                        path = file.path.to_string().escape_debug()
                    ),
                });
            }
        }
        Ok(manifest)
    }

    /// Reads the manifest file; a missing one is the empty manifest. The file and the directory
    /// it is in must be the running user's own and not writable by others
    /// ([`super::trust`]).
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        use anyhow::Context;
        use std::io::Read;
        if let Some(dir) = path.parent() {
            super::trust::check_state_dir(dir)?;
        }
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(e) => return Err(e).with_context(|| tr!("cannot read {path}", path = path.display())),
        };
        let md = file
            .metadata()
            .with_context(|| tr!("cannot read {path}", path = path.display()))?;
        super::trust::check_manifest(path, &md)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .with_context(|| tr!("cannot read {path}", path = path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| Error::BadManifest {
            path: path.to_path_buf(),
            reason: tr!("not valid UTF-8"),
        })?;
        let manifest = Manifest::parse(&text, path)?;
        crate::system::fs::set_max_file_size(manifest.max_file_size());
        Ok(manifest)
    }

    /// The largest tracked file, in bytes.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
            .unwrap_or(crate::system::fs::DEFAULT_MAX_FILE_SIZE)
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!("{HEADER}{body}")
    }

    /// The manifest's text for `self`, made by editing `old` (the file as it is) in place: the
    /// admin's comments, order and layout stay; only the settings that changed, the `[[file]]`
    /// entries of untracked files and those whose settings changed are touched, and new entries
    /// go at the end. When `old` does not parse, or the edit would not read back as `self`, the
    /// whole file is written afresh.
    pub fn edited_toml(&self, old: &str) -> String {
        let sorted = |m: &Manifest| {
            let mut m = m.clone();
            m.files.sort_by(|a, b| a.path.cmp(&b.path));
            m
        };
        self.edit_in_place(old)
            .filter(|text| {
                Manifest::parse(text, Path::new(FILE_NAME)).is_ok_and(|back| sorted(&back) == sorted(self))
            })
            .unwrap_or_else(|| self.to_toml())
    }

    fn edit_in_place(&self, old: &str) -> Option<String> {
        use toml_edit::{ArrayOfTables, DocumentMut, Item};
        let mut doc: DocumentMut = old.parse().ok()?;
        let before = Manifest::parse(old, Path::new(FILE_NAME)).ok()?;
        // The settings: every top-level key but the files.
        let settings = |m: &Manifest| -> Option<toml::Table> {
            let only = Manifest {
                files: Vec::new(),
                ..m.clone()
            };
            toml::Table::try_from(&only).ok()
        };
        let (was, now) = (settings(&before)?, settings(self)?);
        let fresh: DocumentMut = toml::to_string(&Manifest {
            files: Vec::new(),
            ..self.clone()
        })
        .ok()?
        .parse()
        .ok()?;
        let mut keys: Vec<&String> = was.keys().chain(now.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            if was.get(key) == now.get(key) {
                continue;
            }
            match fresh.get(key) {
                Some(item) => {
                    doc.insert(key, item.clone());
                }
                None => {
                    doc.remove(key);
                }
            }
        }
        // The files: entries are matched by path.
        let path_of = |table: &toml_edit::Table| -> Option<InstallPath> {
            InstallPath::parse(table.get("path")?.as_str()?).ok()
        };
        if doc.get("file").is_none() {
            doc.insert("file", Item::ArrayOfTables(ArrayOfTables::new()));
        }
        let entries = doc.get_mut("file")?.as_array_of_tables_mut()?;
        entries.retain(|t| path_of(t).is_some_and(|p| self.is_tracked(&p)));
        let mut present = Vec::new();
        for table in entries.iter_mut() {
            let path = path_of(table)?;
            let new = self.file(&path)?;
            if before.file(&path) != Some(new) {
                let decor = table.decor().clone();
                *table = entry_table(new)?;
                *table.decor_mut() = decor;
            }
            present.push(path);
        }
        for file in self.files.iter().filter(|f| !present.contains(&f.path)) {
            entries.push(entry_table(file)?);
        }
        Some(doc.to_string())
    }

    pub fn file(&self, path: &InstallPath) -> Option<&TrackedFile> {
        self.files.iter().find(|f| &f.path == path)
    }

    pub fn is_tracked(&self, path: &InstallPath) -> bool {
        self.file(path).is_some()
    }

    /// Adds or replaces a file's entry, keeping the list sorted by path.
    pub fn track(&mut self, file: TrackedFile) {
        self.files.retain(|f| f.path != file.path);
        self.files.push(file);
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
    }

    pub fn untrack(&mut self, path: &InstallPath) -> bool {
        let before = self.files.len();
        self.files.retain(|f| &f.path != path);
        before != self.files.len()
    }

    /// The packages held outside maintenance windows.
    pub fn package_set(&self) -> Vec<String> {
        self.packages.clone().unwrap_or_else(|| {
            crate::profile::JITSI_PACKAGES
                .iter()
                .map(|s| s.to_string())
                .collect()
        })
    }
}

/// A `[[file]]` entry for the manifest, nested tables written inline.
fn entry_table(file: &TrackedFile) -> Option<toml_edit::Table> {
    let doc: toml_edit::DocumentMut = toml::to_string(file).ok()?.parse().ok()?;
    let mut table = toml_edit::Table::new();
    for (key, item) in doc.as_table().iter() {
        let item = match item.clone() {
            toml_edit::Item::Table(nested) => {
                toml_edit::Item::Value(toml_edit::Value::InlineTable(nested.into_inline_table()))
            }
            other => other,
        };
        table.insert(key, item);
    }
    Some(table)
}

/// toml's parse errors span several lines with a source excerpt; the contract is one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|'))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz target `manifest`): a path listed twice was named as it is, and a path
    /// with a newline in it made the one-line reason two lines.
    #[test]
    fn a_path_listed_twice_is_named_on_one_line() {
        let text = "[[file]]\npath = \"/etc/a\\nb\"\n[[file]]\npath = \"/etc/a\\nb\"\n";
        match Manifest::parse(text, Path::new(FILE_NAME)) {
            Err(Error::BadManifest { reason, .. }) => assert_eq!(reason, "/etc/a\\nb is listed twice"),
            other => panic!("{other:?}"),
        }
        let text = "[[file]]\npath = \"/etc/a\"\n[[file]]\npath = \"/etc/a\"\n";
        match Manifest::parse(text, Path::new(FILE_NAME)) {
            Err(Error::BadManifest { reason, .. }) => assert_eq!(reason, "/etc/a is listed twice"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let mut m = Manifest {
            domain: Some("tele.praxis.de".into()),
            ..Manifest::default()
        };
        let mut f = TrackedFile::new(InstallPath::parse("/etc/jitsi/meet/tele.praxis.de-config.js").unwrap());
        f.template = Some(InstallPath::parse("/usr/share/jitsi-meet-web-config/config.js").unwrap());
        f.placeholders
            .insert("jitsi-meet.example.com".into(), "tele.praxis.de".into());
        m.track(f);
        let text = m.to_toml();
        assert_eq!(Manifest::parse(&text, Path::new("m")).unwrap(), m);
    }

    #[test]
    fn edits_keep_comments_and_layout() {
        let old = "# mine\ndomain = \"a.de\" # the domain\n\n# the card\n[[file]]\npath = \"/etc/b\"\n\n[[file]]\npath = \"/etc/c\" # goes\n";
        let mut m = Manifest::parse(old, Path::new("m")).unwrap();
        m.untrack(&InstallPath::parse("/etc/c").unwrap());
        let mut added = TrackedFile::new(InstallPath::parse("/etc/a").unwrap());
        added
            .placeholders
            .insert("jitsi-meet.example.com".into(), "a.de".into());
        m.track(added);
        m.max_file_size = Some(1024);
        let text = m.edited_toml(old);
        assert!(
            text.starts_with("# mine\ndomain = \"a.de\" # the domain\nmax_file_size = 1024\n\n# the card\n[[file]]\npath = \"/etc/b\"\n"),
            "{text}"
        );
        assert!(!text.contains("/etc/c"), "{text}");
        let mut back = Manifest::parse(&text, Path::new("m")).unwrap();
        back.files.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(back, m);
        // A file that does not parse is written afresh.
        assert_eq!(m.edited_toml("[[file"), m.to_toml());
    }

    #[test]
    fn broken_manifest_is_one_clear_line() {
        let err = Manifest::parse("[[file]]\npath = 3\n", Path::new("/s/jitsi-custom.toml")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("/s/jitsi-custom.toml: "), "{text}");
        assert_eq!(text.lines().count(), 2, "one error line and a hint: {text}");
        let err = Manifest::parse("[[file]]\npath = \"../etc/shadow\"\n", Path::new("m")).unwrap_err();
        assert!(err.to_string().contains("leaves the root"), "{err}");
    }

    #[test]
    fn placeholders_are_replaced_longest_first() {
        let mut f = TrackedFile::new(InstallPath::parse("/etc/x").unwrap());
        f.placeholders.insert("example.com".into(), "A".into());
        f.placeholders.insert("meet.example.com".into(), "B".into());
        assert_eq!(f.render_template(b"meet.example.com example.com"), b"B A");
    }
}
