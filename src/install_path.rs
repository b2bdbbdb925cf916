//! [`InstallPath`]: a file's path as the packages see it, proven not to leave the root.
//!
//! Every path the tool touches goes through here first, so `../etc/shadow` in a patch or on the
//! command line is refused once, in one place, with one message.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::tr;

use crate::error::Error;

/// An absolute path below the root, stored without the leading `/` (`etc/jitsi/meet/x-config.js`),
/// normalised: no `.`/`..`/empty components. Displayed with the leading `/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstallPath(String);

impl InstallPath {
    /// Parses an install path such as `/usr/share/jitsi-meet/interface_config.js` or the
    /// root-relative form `usr/share/...`. `..` that would climb above the root is refused.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason: String| Error::BadPath {
            path: text.to_string(),
            reason,
        };
        if text.is_empty() {
            return Err(bad(tr!("empty path")));
        }
        if text.contains('\0') {
            return Err(bad(tr!("path contains a NUL byte")));
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in text.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(bad(tr!("path leaves the root")));
                    }
                }
                other => parts.push(other),
            }
        }
        if parts.is_empty() {
            return Err(bad(tr!("path names the root itself, not a file")));
        }
        Ok(InstallPath(parts.join("/")))
    }

    /// Maps a path given on the command line to an install path: an absolute path inside `root`
    /// (when root is not `/`) has the root stripped; any other absolute path is taken as an
    /// install path; a relative path is resolved against `cwd` and must then lie inside `root`.
    pub fn from_user(arg: &Path, root: &Path, cwd: &Path) -> Result<Self, Error> {
        let text = arg.to_str().ok_or_else(|| Error::BadPath {
            path: arg.display().to_string(),
            reason: tr!("path is not valid UTF-8"),
        })?;
        let leaves_root = || Error::BadPath {
            path: text.to_string(),
            reason: tr!("path is outside the root {root}", root = root.display()),
        };
        let is_fs_root = root == Path::new("/");
        let absolute = if arg.is_absolute() {
            if is_fs_root {
                return Self::parse(text);
            }
            lexical_normalise(arg).ok_or_else(leaves_root)?
        } else {
            lexical_normalise(&cwd.join(arg)).ok_or_else(leaves_root)?
        };
        let root = lexical_normalise(root).ok_or_else(leaves_root)?;
        match absolute.strip_prefix(&root) {
            Ok(inside) => Self::parse(inside.to_str().unwrap_or_default()),
            Err(_) if arg.is_absolute() => Self::parse(text),
            Err(_) => Err(leaves_root()),
        }
    }

    /// The path without its leading `/`, as stored in the repository trees.
    pub fn as_rel(&self) -> &str {
        &self.0
    }

    /// Where the file lives on disk for a given root.
    pub fn under(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }

    /// The final component (`interface_config.js`).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The same path with a suffix appended to the file name (`x.cfg.lua` → `x.cfg.lua.dpkg-dist`).
    pub fn with_suffix(&self, suffix: &str) -> InstallPath {
        InstallPath(format!("{}{}", self.0, suffix))
    }
}

impl fmt::Display for InstallPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.0)
    }
}

impl serde::Serialize for InstallPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for InstallPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        InstallPath::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn lexical_normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) => return None,
            Component::RootDir => out.push("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(part) => out.push(part),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_and_refuses_escapes() {
        assert_eq!(InstallPath::parse("/etc//x/./y").unwrap().as_rel(), "etc/x/y");
        assert_eq!(InstallPath::parse("usr/a/../b").unwrap().to_string(), "/usr/b");
        assert!(InstallPath::parse("../etc/shadow").is_err());
        assert!(InstallPath::parse("/etc/../../shadow").is_err());
        assert!(InstallPath::parse("/").is_err());
    }

    #[test]
    fn from_user_strips_a_sandbox_root() {
        let root = Path::new("/tmp/sandbox");
        let cwd = Path::new("/tmp/sandbox/etc");
        let p = InstallPath::from_user(Path::new("/tmp/sandbox/etc/a"), root, cwd).unwrap();
        assert_eq!(p.as_rel(), "etc/a");
        let p = InstallPath::from_user(Path::new("/etc/b"), root, cwd).unwrap();
        assert_eq!(p.as_rel(), "etc/b");
        let p = InstallPath::from_user(Path::new("jitsi/c"), root, cwd).unwrap();
        assert_eq!(p.as_rel(), "etc/jitsi/c");
        assert!(InstallPath::from_user(Path::new("../../x"), root, cwd).is_err());
    }
}
