//! What apt writes to a `DPkg::Pre-Install-Pkgs` hook's stdin. With
//! `DPkg::Tools::Options::<first word>::Version "3"`: a `VERSION 3` line, apt's configuration as
//! `key=value` lines, a blank line, then one line per package dpkg is about to act on:
//!
//! ```text
//! jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none /var/cache/apt/archives/jitsi-meet-web_1.0.2-1_all.deb
//! jicofo - - none < 1.0.2-1 all none /var/cache/apt/archives/jicofo_1.0.2-1_all.deb
//! jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none **CONFIGURE**
//! coturn 4.6.1-1 amd64 same > - - none **REMOVE**
//! ```
//!
//! Version 2 lines lack the architecture and multi-arch columns; version 1 is one `.deb` path a
//! line. The parser takes all three and never fails: a line it cannot read is counted and skipped.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One version side of a package line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PkgVersion {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

/// What dpkg is about to do with a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Unpack this archive.
    Unpack(PathBuf),
    Configure,
    Remove,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageLine {
    /// The package name without an architecture qualifier.
    pub name: String,
    /// The installed version; `None` for a new package.
    pub old: Option<PkgVersion>,
    /// The version to be installed; `None` for a removal.
    pub new: Option<PkgVersion>,
    pub step: Step,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkgsInfo {
    /// The protocol version (1 when the input has no `VERSION` line).
    pub version: u32,
    /// apt's configuration dump, in order.
    pub config: Vec<(String, String)>,
    pub packages: Vec<PackageLine>,
    /// Lines that could not be read.
    pub skipped: usize,
}

impl PkgsInfo {
    /// A configuration value by its key (case-insensitive, like apt's).
    pub fn config(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The apt command line (`apt-get upgrade`), when apt passed it.
    pub fn command_line(&self) -> Option<&str> {
        self.config("CommandLine::AsString")
            .filter(|s| !s.trim().is_empty())
    }
}

/// Reads the hook's input.
pub fn parse(input: &str) -> PkgsInfo {
    let mut lines = input.lines().peekable();
    let mut info = PkgsInfo {
        version: 1,
        ..PkgsInfo::default()
    };
    if let Some(first) = lines.peek()
        && let Some(v) = first.strip_prefix("VERSION ")
    {
        info.version = v.trim().parse().unwrap_or(0);
        lines.next();
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
            match line.split_once('=') {
                Some((k, v)) => info.config.push((k.to_string(), unquote(v))),
                None => info.skipped += 1,
            }
        }
    }
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match info.version {
            1 => parse_v1(line),
            2 => parse_line(line, false),
            _ => parse_line(line, true),
        };
        match parsed {
            Some(p) => info.packages.push(p),
            None => info.skipped += 1,
        }
    }
    info
}

/// apt writes each value through its `QuoteString`: `%`, spaces, control and non-ASCII bytes and
/// `=`, `"` and newlines become `%xx`. Regression: `CommandLine::AsString` was kept as
/// `apt-get%20upgrade`, and named the apt run that way.
fn unquote(value: &str) -> String {
    let v = value.trim_end_matches('\r');
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
        .as_bytes();
    let mut bytes = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        let decoded = (v[i] == b'%')
            .then(|| v.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match decoded {
            Some(byte) => {
                bytes.push(byte);
                i += 3;
            }
            None => {
                bytes.push(v[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn parse_line(line: &str, with_arch: bool) -> Option<PackageLine> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let side = if with_arch { 3 } else { 1 };
    // name, old side, operator, new side, step
    if fields.len() < 1 + side + 1 + side + 1 {
        return None;
    }
    let name = package_name(fields[0])?;
    let version_of = |at: usize| -> Option<Option<PkgVersion>> {
        let version = fields[at];
        if version == "-" {
            return Some(None);
        }
        if !valid_version(version) {
            return None;
        }
        let arch = (with_arch && fields[at + 1] != "-").then(|| fields[at + 1].to_string());
        Some(Some(PkgVersion {
            version: version.to_string(),
            arch,
        }))
    };
    let old = version_of(1)?;
    let operator = fields[1 + side];
    if !matches!(operator, "<" | ">" | "=") {
        return None;
    }
    let new = version_of(2 + side)?;
    let step = match &fields[2 + 2 * side..] {
        ["**CONFIGURE**"] => Step::Configure,
        ["**REMOVE**"] => Step::Remove,
        rest => {
            // A file name with spaces comes back as several fields.
            let path = rest.join(" ");
            if !path.starts_with('/') || !path.ends_with(".deb") {
                return None;
            }
            Step::Unpack(PathBuf::from(path))
        }
    };
    Some(PackageLine { name, old, new, step })
}

/// Version 1: an archive path a line; the name and version come from apt's file name
/// `<name>_<version>_<arch>.deb` (the epoch's `:` written as `%3a`).
fn parse_v1(line: &str) -> Option<PackageLine> {
    let path = line.trim();
    if !path.starts_with('/') || !path.ends_with(".deb") {
        return None;
    }
    let file = path.rsplit('/').next()?.strip_suffix(".deb")?;
    let mut parts = file.split('_');
    let name = package_name(parts.next()?)?;
    let version = parts.next()?.replace("%3a", ":");
    let arch = parts.next().map(str::to_string);
    Some(PackageLine {
        name,
        old: None,
        new: Some(PkgVersion { version, arch }),
        step: Step::Unpack(PathBuf::from(path)),
    })
}

fn package_name(field: &str) -> Option<String> {
    let name = field.split(':').next()?;
    let valid = name.len() >= 2
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
    valid.then(|| name.to_string())
}

fn valid_version(version: &str) -> bool {
    !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '~' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump as apt 2.6 writes it for `apt-get upgrade` of two Jitsi packages (config shortened).
    const DUMP: &str = "VERSION 3
APT::Architecture=amd64
APT::Build-Essential::=build-essential
APT::Install-Recommends=1
Dir=/
Dir::Cache::archives=archives/
DPkg::Options::=--force-confdef
DPkg::Options::=--force-confold
DPkg::Pre-Install-Pkgs::=/usr/bin/jitsi-custom hook pre-install-pkgs || cat >/dev/null || true
DPkg::Tools::Options::/usr/bin/jitsi-custom=
DPkg::Tools::Options::/usr/bin/jitsi-custom::Version=3
CommandLine::AsString=apt-get -y upgrade
Unattended-Upgrade::Origins-Pattern::=\"origin=Debian,codename=${distro_codename}\"

jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none /var/cache/apt/archives/jitsi-meet-web_1.0.2-1_all.deb
jicofo 1.0.1-1 all none < 2:1.0.2-1 all none /var/cache/apt/archives/jicofo_2%3a1.0.2-1_all.deb
libfoo1:amd64 - - none < 1.2-3 amd64 same /var/cache/apt/archives/libfoo1_1.2-3_amd64.deb
coturn 4.6.1-1 amd64 none > - - none **REMOVE**
jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none **CONFIGURE**
jicofo 1.0.1-1 all none = 1.0.1-1 all none **CONFIGURE**
this is garbage
jitsi-meet-web 1.0.1-1 all none ? 1.0.2-1 all none /x.deb
";

    #[test]
    fn version_3_dump_gives_config_and_every_package_line() {
        let info = parse(DUMP);
        assert_eq!(info.version, 3);
        assert_eq!(info.command_line(), Some("apt-get -y upgrade"));
        assert_eq!(info.config("dpkg::options::"), Some("--force-confold"));
        assert_eq!(info.skipped, 2, "garbage and an unknown operator");
        assert_eq!(info.packages.len(), 6);
        let web = &info.packages[0];
        assert_eq!(web.name, "jitsi-meet-web");
        assert_eq!(web.old.as_ref().unwrap().version, "1.0.1-1");
        assert_eq!(web.new.as_ref().unwrap().version, "1.0.2-1");
        assert_eq!(web.new.as_ref().unwrap().arch.as_deref(), Some("all"));
        assert_eq!(
            web.step,
            Step::Unpack("/var/cache/apt/archives/jitsi-meet-web_1.0.2-1_all.deb".into())
        );
        assert_eq!(info.packages[1].new.as_ref().unwrap().version, "2:1.0.2-1");
        let lib = &info.packages[2];
        assert_eq!(lib.name, "libfoo1", "the architecture qualifier is dropped");
        assert_eq!(lib.old, None);
        let coturn = &info.packages[3];
        assert_eq!(coturn.step, Step::Remove);
        assert_eq!(coturn.new, None);
        assert_eq!(info.packages[4].step, Step::Configure);
    }

    #[test]
    fn quoted_values_are_decoded() {
        // As apt 2.6 writes `apt-get -y install jicofo` (seen in the end-to-end chroot).
        let info = parse("VERSION 3\nCommandLine::AsString=apt-get%20-y%20install%20jicofo\nX=a%zz%2\n\n");
        assert_eq!(info.command_line(), Some("apt-get -y install jicofo"));
        assert_eq!(info.config("X"), Some("a%zz%2"));
    }

    #[test]
    fn version_2_and_1_are_read_too() {
        let v2 = parse("VERSION 2\nA=b\n\njicofo 1.0 < 1.1 /var/cache/apt/archives/jicofo_1.1_all.deb\n");
        assert_eq!(v2.version, 2);
        assert_eq!(v2.packages[0].new.as_ref().unwrap().version, "1.1");
        let v1 = parse("/var/cache/apt/archives/jicofo_1%3a1.1-1_all.deb\n");
        assert_eq!(v1.version, 1);
        assert_eq!(v1.packages[0].name, "jicofo");
        assert_eq!(v1.packages[0].new.as_ref().unwrap().version, "1:1.1-1");
    }

    #[test]
    fn garbage_never_panics() {
        for input in [
            "",
            "\n\n",
            "VERSION",
            "VERSION x\n\n- - - - - - - - -",
            "VERSION 3\nno blank line ever",
            "VERSION 3\n\n\u{0}\u{1} < > = **CONFIGURE**",
            "VERSION 3\n\na - - none < - - none **REMOVE** extra",
            "VERSION 3\n\nname 1 a b < 2 a b relative.deb",
        ] {
            let info = parse(input);
            assert!(info.packages.is_empty(), "{input:?}: {info:?}");
        }
    }
}
