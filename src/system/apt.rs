//! Package holds, as `apt-mark hold` keeps them: the selection `hold` in the dpkg database, set
//! with `dpkg --root=<root> --set-selections` (what apt-mark runs underneath for `/`) so that a
//! sandbox root works the same way as a server. Reading holds needs no process: the dpkg status
//! says it ([`crate::system::dpkg::Package::is_held`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::tr;
use anyhow::{Result, bail};

use crate::system::dpkg::Dpkg;
use crate::system::process;

/// How long `dpkg --set-selections` may take.
const SELECTIONS_LIMIT: Duration = Duration::from_secs(120);
/// How long `apt-cache policy` may take (it reads apt's lists).
const POLICY_LIMIT: Duration = Duration::from_secs(30);
/// How long one `apt-get` run may take (an upgrade downloads and installs).
const APT_GET_LIMIT: Duration = Duration::from_secs(3600);

/// The search path dpkg runs with; nothing else of the caller's environment passes.
const DPKG_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A dpkg selection for a package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Kept back by apt until released.
    Hold,
    /// The normal state of an installed package.
    Install,
}

impl Selection {
    pub fn word(self) -> &'static str {
        match self {
            Selection::Hold => "hold",
            Selection::Install => "install",
        }
    }
}

/// What a hold or unhold would do to each package of a set.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SelectionPlan {
    /// Installed packages whose selection changes.
    pub changed: Vec<String>,
    /// Installed packages that already have the wanted selection.
    pub unchanged: Vec<String>,
    /// Packages of the set that are not installed (left alone).
    pub not_installed: Vec<String>,
}

/// Sorts the packages of `set` by what setting `selection` would do to them.
pub fn plan_selection(dpkg: &Dpkg, set: &[String], selection: Selection) -> SelectionPlan {
    let mut plan = SelectionPlan::default();
    let mut names: Vec<&String> = set.iter().collect();
    names.sort();
    names.dedup();
    for name in names {
        match dpkg.package(name) {
            None => plan.not_installed.push(name.clone()),
            Some(pkg) if pkg.is_held() == (selection == Selection::Hold) => plan.unchanged.push(name.clone()),
            Some(_) => plan.changed.push(name.clone()),
        }
    }
    plan
}

/// Sets the selection of packages with `dpkg --root=<root> --set-selections`.
pub fn set_selections(root: &Path, packages: &[String], selection: Selection) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    for name in packages {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | ':'));
        if !valid {
            bail!(crate::error::Error::Usage(tr!(
                "invalid package name {name} in the package set\nhint: fix `packages` in the manifest",
                name = format!("{name:?}")
            )));
        }
    }
    let mut cmd = Command::new("dpkg");
    cmd.env_clear()
        .env("PATH", DPKG_PATH)
        .env("LC_ALL", "C")
        .arg(format!("--root={}", root.display()));
    // Inside apt's Post-Invoke apt still holds the frontend lock and says so: dpkg then only
    // takes the database lock, as it does for apt's own calls.
    if let Some(locked) = std::env::var_os("DPKG_FRONTEND_LOCKED") {
        cmd.env("DPKG_FRONTEND_LOCKED", locked);
    }
    if root != Path::new("/") {
        cmd.arg(format!("--log={}", root.join("var/log/dpkg.log").display()));
        // A sandbox owned by an ordinary user (tests); on `/` dpkg's own refusal stands.
        if !rustix::process::geteuid().is_root() {
            cmd.arg("--force-not-root");
        }
    }
    cmd.arg("--set-selections");
    let input: String = packages
        .iter()
        .map(|p| format!("{p} {}\n", selection.word()))
        .collect();
    let output = process::output(&mut cmd, Some(input.as_bytes()), process::limit(SELECTIONS_LIMIT))?;
    if !output.status.success() {
        bail!(
            "{}",
            tr!(
                "dpkg --root={root} --set-selections failed ({status}): {error}",
                root = root.display(),
                status = output.status,
                error = String::from_utf8_lossy(&output.stderr).trim()
            )
        );
    }
    Ok(())
}

/// `-o` options that keep dpkg from asking about conffiles: keep the local file (dpkg writes the
/// package's as `.dpkg-dist`, which `rebase` merges).
pub const KEEP_CONFFILES: &[&str] = &[
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
];

/// Runs `apt-get` non-interactively on this machine, with `extra_env` for the apt hooks. The
/// output is kept and only shown (its end) when apt-get fails.
pub fn apt_get(args: &[&str], extra_env: &[(&str, &str)]) -> Result<()> {
    let line = format!("apt-get {}", args.join(" "));
    let mut cmd = Command::new("apt-get");
    cmd.args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env("APT_LISTCHANGES_FRONTEND", "none")
        .stdin(Stdio::null());
    for (key, value) in extra_env {
        cmd.env(key, value);
    }
    let output = process::output(&mut cmd, None, process::limit(APT_GET_LIMIT))?;
    if !output.status.success() {
        let text =
            String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = text
            .lines()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        bail!(
            "{}",
            tr!(
                "`{line}` failed ({status}): {output}",
                line,
                status = output.status,
                output = tail.join(" | ")
            )
        );
    }
    Ok(())
}

/// The versions apt would install for `names` (`apt-cache policy`'s "Candidate:"), read with the
/// root's apt configuration and lists. Only packages with a candidate appear.
pub fn candidates(root: &Path, names: &[String]) -> Result<BTreeMap<String, String>> {
    let mut cmd = Command::new("apt-cache");
    cmd.env("LC_ALL", "C").stdin(Stdio::null()).stderr(Stdio::null());
    if root != Path::new("/") {
        cmd.arg("-o").arg(format!("Dir={}", root.display()));
    }
    cmd.arg("policy").args(names);
    let output = process::output(&mut cmd, None, process::limit(POLICY_LIMIT))?;
    if !output.status.success() {
        bail!(
            "{}",
            tr!("apt-cache policy failed ({status})", status = output.status)
        );
    }
    Ok(parse_policy(&String::from_utf8_lossy(&output.stdout)))
}

/// Package → candidate version from `apt-cache policy` output.
fn parse_policy(text: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut package: Option<&str> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            package = Some(line.trim_end_matches(':'));
        } else if let (Some(name), Some(version)) = (package, line.trim().strip_prefix("Candidate: "))
            && version != "(none)"
        {
            found.insert(name.to_string(), version.to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_touches_only_installed_packages_whose_selection_differs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
        std::fs::write(
            dir.path().join("var/lib/dpkg/status"),
            "Package: jicofo\nStatus: hold ok installed\nVersion: 1\n\n\
             Package: jitsi-meet-web\nStatus: install ok installed\nVersion: 1\n\n\
             Package: prosody\nStatus: deinstall ok config-files\nVersion: 1\n",
        )
        .unwrap();
        let dpkg = Dpkg::read(dir.path()).unwrap();
        let set: Vec<String> = ["jitsi-meet-web", "jicofo", "prosody", "coturn", "jicofo"]
            .map(String::from)
            .to_vec();
        let hold = plan_selection(&dpkg, &set, Selection::Hold);
        assert_eq!(hold.changed, ["jitsi-meet-web"]);
        assert_eq!(hold.unchanged, ["jicofo"]);
        assert_eq!(hold.not_installed, ["coturn", "prosody"]);
        let unhold = plan_selection(&dpkg, &set, Selection::Install);
        assert_eq!(unhold.changed, ["jicofo"]);
    }

    #[test]
    fn policy_output_gives_each_package_its_candidate() {
        let text = "jitsi-meet-web:\n  Installed: 1.0.1-1\n  Candidate: 1.0.2-1\n  Version table:\n     1.0.2-1 500\n        500 file:/srv/repo ./ Packages\n *** 1.0.1-1 100\n\
                    jicofo:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n";
        let found = parse_policy(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found["jitsi-meet-web"], "1.0.2-1");
    }

    #[test]
    fn odd_package_names_never_reach_dpkg() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            set_selections(dir.path(), &["ok".into(), "x hold\ny".into()], Selection::Hold).unwrap_err();
        assert!(err.to_string().contains("invalid package name"), "{err}");
    }
}
