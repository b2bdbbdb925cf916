//! Reading the dpkg database under the root: `var/lib/dpkg/status` (versions, holds, conffile
//! hashes) and `var/lib/dpkg/info/<pkg>.{list,md5sums}`. Read-only; dpkg owns these files.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result};

/// One installed (or once installed) package as `status` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub architecture: String,
    /// `install`, `hold`, `deinstall`, `purge`.
    pub want: String,
    /// `installed`, `half-installed`, `unpacked`, `config-files`, …
    pub state: String,
    /// Conffile path → md5 as recorded by dpkg (`newconffile` while unpacked).
    pub conffiles: BTreeMap<String, String>,
    /// Conffiles dpkg flags `obsolete` (no longer shipped; left on disk) or `remove-on-upgrade`:
    /// nothing to verify them against.
    pub retired_conffiles: BTreeSet<String>,
}

impl Package {
    pub fn is_held(&self) -> bool {
        self.want == "hold"
    }

    /// Files are on disk for this package (fully or partly configured).
    pub fn has_files(&self) -> bool {
        !matches!(self.state.as_str(), "not-installed" | "config-files")
    }

    /// dpkg's `info/` file name for this package (`foo` or `foo:amd64` for multi-arch same).
    fn info_names(&self) -> [String; 2] {
        [self.name.clone(), format!("{}:{}", self.name, self.architecture)]
    }
}

/// The dpkg database of one root.
pub struct Dpkg {
    admindir: PathBuf,
    packages: HashMap<String, Package>,
}

impl Dpkg {
    /// Reads `var/lib/dpkg/status` under `root`. A root without a dpkg database yields an empty
    /// database (files are then tracked without package knowledge).
    pub fn read(root: &Path) -> Result<Dpkg> {
        let status_path = root.join("var/lib/dpkg/status");
        let text = match std::fs::read_to_string(&status_path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| tr!("cannot read {path}", path = status_path.display())),
        };
        Dpkg::from_status(root, &text)
            .with_context(|| tr!("cannot parse {path}", path = status_path.display()))
    }

    /// The database of `root` with `status` as the text of its `var/lib/dpkg/status`, as if read
    /// from there; the `info/` files are still looked up under `root`, and only when asked. For
    /// status text that does not come from the file (tests, fuzzing).
    pub fn from_status(root: &Path, status: &str) -> Result<Dpkg> {
        Ok(Dpkg {
            admindir: root.join("var/lib/dpkg"),
            packages: parse_status(status)?,
        })
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.get(name).filter(|p| p.has_files())
    }

    pub fn packages(&self) -> impl Iterator<Item = &Package> {
        self.packages.values().filter(|p| p.has_files())
    }

    /// The md5 dpkg expects for an install path of a package: from `Conffiles:` for conffiles,
    /// from `info/<pkg>.md5sums` otherwise.
    pub fn expected_md5(&self, package: &str, install_path: &str) -> Result<Option<String>> {
        let Some(pkg) = self.package(package) else {
            return Ok(None);
        };
        if let Some(md5) = pkg.conffiles.get(install_path) {
            return Ok(Some(md5.clone()).filter(|m| m.len() == 32));
        }
        let rel = install_path.trim_start_matches('/');
        Ok(self.info_file(pkg, "md5sums")?.and_then(|text| {
            text.lines().find_map(|line| {
                let (md5, file) = line.split_once(char::is_whitespace)?;
                (file.trim_start() == rel).then(|| md5.to_string())
            })
        }))
    }

    /// The paths a package's `info/<pkg>.list` names (directories too), in its order; empty when
    /// the package has no list.
    pub fn listed_paths(&self, package: &str) -> Result<Vec<String>> {
        let Some(pkg) = self.packages.get(package) else {
            return Ok(Vec::new());
        };
        Ok(self
            .info_file(pkg, "list")?
            .map(|text| {
                text.lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Every md5 of a package's `info/<pkg>.md5sums`, keyed by install path (`/usr/...`).
    pub fn md5sums(&self, package: &str) -> Result<HashMap<String, String>> {
        let Some(pkg) = self.packages.get(package) else {
            return Ok(HashMap::new());
        };
        Ok(self
            .info_file(pkg, "md5sums")?
            .map(|text| {
                text.lines()
                    .filter_map(|line| {
                        let (md5, file) = line.split_once(char::is_whitespace)?;
                        Some((format!("/{}", file.trim_start()), md5.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Every path any package's list names, packages left with only their conffiles included
    /// (as `dpkg -S` answers): one pass over `info/`, for asking about many paths at once.
    pub fn all_listed_paths(&self) -> Result<HashSet<String>> {
        let mut paths = HashSet::new();
        for pkg in self.packages.values() {
            paths.extend(pkg.conffiles.keys().cloned());
            if let Some(text) = self.info_file(pkg, "list")? {
                paths.extend(text.lines().map(str::to_string));
            }
        }
        Ok(paths)
    }

    /// The text of `info/<pkg>.<ext>` (or `<pkg>:<arch>.<ext>`); `None` when there is none.
    fn info_file(&self, pkg: &Package, ext: &str) -> Result<Option<String>> {
        for name in pkg.info_names() {
            let path = self.admindir.join("info").join(format!("{name}.{ext}"));
            match std::fs::read_to_string(&path) {
                Ok(text) => return Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| tr!("cannot read {path}", path = path.display())),
            }
        }
        Ok(None)
    }

    /// Whether the path is a conffile of the package.
    pub fn is_conffile(&self, package: &str, install_path: &str) -> bool {
        self.package(package)
            .is_some_and(|p| p.conffiles.contains_key(install_path))
    }

    /// The package whose `info/<pkg>.list` names the install path.
    pub fn owner_of(&self, install_path: &str) -> Result<Option<String>> {
        let mut names: Vec<&Package> = self.packages().collect();
        names.sort_by(|a, b| a.name.cmp(&b.name));
        for pkg in names {
            if pkg.conffiles.contains_key(install_path) {
                return Ok(Some(pkg.name.clone()));
            }
            if let Some(text) = self.info_file(pkg, "list")?
                && text.lines().any(|line| line == install_path)
            {
                return Ok(Some(pkg.name.clone()));
            }
        }
        Ok(None)
    }
}

fn parse_status(text: &str) -> Result<HashMap<String, Package>> {
    let paragraphs = deb822_fast::borrowed::parse_borrowed(text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut packages = HashMap::new();
    for para in paragraphs {
        let Some(name) = para.get_single("Package") else {
            continue;
        };
        let status = para.get_single("Status").unwrap_or("");
        let mut words = status.split_whitespace();
        let want = words.next().unwrap_or("unknown").to_string();
        let state = words.nth(1).unwrap_or("not-installed").to_string();
        let mut conffiles = BTreeMap::new();
        let mut retired_conffiles = BTreeSet::new();
        for line in para.get("Conffiles").unwrap_or(&[]) {
            let mut fields = line.split_whitespace();
            let (Some(path), Some(md5)) = (fields.next(), fields.next()) else {
                continue;
            };
            if fields.any(|flag| flag == "obsolete" || flag == "remove-on-upgrade") {
                retired_conffiles.insert(path.to_string());
            }
            conffiles.insert(path.to_string(), md5.to_string());
        }
        packages.insert(
            name.to_string(),
            Package {
                name: name.to_string(),
                version: para.get_single("Version").unwrap_or("").to_string(),
                architecture: para.get_single("Architecture").unwrap_or("all").to_string(),
                want,
                state,
                conffiles,
                retired_conffiles,
            },
        );
    }
    Ok(packages)
}

/// Installs package archives with `dpkg -i`, keeping local conffiles and allowing downgrades (how
/// a rolled-back maintenance window puts the previous versions back from apt's cache).
pub fn install_archives(debs: &[PathBuf], extra_env: &[(&str, &str)]) -> Result<()> {
    let mut cmd = std::process::Command::new("dpkg");
    cmd.args(["-i", "--force-confdef", "--force-confold", "--force-downgrade"])
        .args(debs)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(std::process::Stdio::null());
    for (key, value) in extra_env {
        cmd.env(key, value);
    }
    let status = crate::system::process::status(
        &mut cmd,
        crate::system::process::limit(std::time::Duration::from_secs(1800)),
    )?;
    if !status.success() {
        anyhow::bail!(
            "{}",
            tr!(
                "dpkg -i of {n} failed ({status})" | "dpkg -i of {n} failed ({status})" % debs.len(),
                status
            )
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: jitsi-videobridge2
Status: hold ok installed
Priority: optional
Architecture: all
Version: 2.3-1
Conffiles:
 /etc/jitsi/videobridge/logging.properties 0123456789abcdef0123456789abcdef
 /etc/jitsi/videobridge/gone.conf 0123456789abcdef0123456789abcdef obsolete
Description: bridge
 long text

Package: old-thing
Status: deinstall ok config-files
Version: 1
";

    fn db() -> (tempfile::TempDir, Dpkg) {
        let dir = tempfile::tempdir().unwrap();
        let admin = dir.path().join("var/lib/dpkg/info");
        std::fs::create_dir_all(&admin).unwrap();
        std::fs::write(dir.path().join("var/lib/dpkg/status"), STATUS).unwrap();
        std::fs::write(
            admin.join("jitsi-videobridge2.md5sums"),
            "fedcba9876543210fedcba9876543210  usr/share/jvb/jvb.jar\n",
        )
        .unwrap();
        std::fs::write(
            admin.join("jitsi-videobridge2.list"),
            "/.\n/usr/share/jvb/jvb.jar\n/etc/jitsi/videobridge/logging.properties\n",
        )
        .unwrap();
        let db = Dpkg::read(dir.path()).unwrap();
        (dir, db)
    }

    #[test]
    fn status_gives_version_hold_and_conffiles() {
        let (_dir, db) = db();
        let p = db.package("jitsi-videobridge2").unwrap();
        assert_eq!(p.version, "2.3-1");
        assert!(p.is_held());
        assert_eq!(p.conffiles.len(), 2);
        assert!(
            db.package("old-thing").is_none(),
            "config-files only is not installed"
        );
    }

    #[test]
    fn expected_md5_reads_conffiles_and_md5sums() {
        let (_dir, db) = db();
        let conf = db
            .expected_md5("jitsi-videobridge2", "/etc/jitsi/videobridge/logging.properties")
            .unwrap();
        assert_eq!(conf.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        let jar = db
            .expected_md5("jitsi-videobridge2", "/usr/share/jvb/jvb.jar")
            .unwrap();
        assert_eq!(jar.as_deref(), Some("fedcba9876543210fedcba9876543210"));
        assert_eq!(db.expected_md5("jitsi-videobridge2", "/nope").unwrap(), None);
    }

    #[test]
    fn owner_comes_from_the_list_file() {
        let (_dir, db) = db();
        assert_eq!(
            db.owner_of("/usr/share/jvb/jvb.jar").unwrap().as_deref(),
            Some("jitsi-videobridge2")
        );
        assert_eq!(db.owner_of("/usr/share/other").unwrap(), None);
    }

    #[test]
    fn lists_md5sums_and_retired_conffiles_are_read_whole() {
        let (_dir, db) = db();
        assert_eq!(
            db.listed_paths("jitsi-videobridge2").unwrap(),
            [
                "/.",
                "/usr/share/jvb/jvb.jar",
                "/etc/jitsi/videobridge/logging.properties"
            ]
        );
        let sums = db.md5sums("jitsi-videobridge2").unwrap();
        assert_eq!(
            sums.get("/usr/share/jvb/jvb.jar").map(String::as_str),
            Some("fedcba9876543210fedcba9876543210")
        );
        let p = db.package("jitsi-videobridge2").unwrap();
        assert!(p.retired_conffiles.contains("/etc/jitsi/videobridge/gone.conf"));
        assert!(
            !p.retired_conffiles
                .contains("/etc/jitsi/videobridge/logging.properties")
        );
        let all = db.all_listed_paths().unwrap();
        assert!(all.contains("/usr/share/jvb/jvb.jar") && all.contains("/etc/jitsi/videobridge/gone.conf"));
        assert!(db.listed_paths("nope").unwrap().is_empty());
    }

    #[test]
    fn a_root_without_dpkg_is_an_empty_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = Dpkg::read(dir.path()).unwrap();
        assert_eq!(db.packages().count(), 0);
    }
}
