//! The bundled Jitsi-like world under `examples/`: building its packages with `dpkg-deb`, installing
//! them with the real `dpkg` into a sandbox root, and laying the guide's customisations over the
//! live files. Used by the `demo` command and by the integration tests.
//!
//! A sandbox is a directory that holds only dpkg's database skeleton at first; `dpkg --root`
//! unpacks into it and runs the maintainer scripts without chroot (`--force-script-chrootless`,
//! the scripts prefix their paths with `$DPKG_ROOT`). dpkg always gets `--log` inside the sandbox
//! and a cleared environment, so the host's `/var/lib/dpkg` and `/var/log/dpkg.log` are never
//! touched.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::tr;
use anyhow::{Context, Result, bail};

/// The domain the bundled customisations are written for, and the one the packages' postinst
/// scripts fall back to when the sandbox names none in `etc/jitsi/meet/domain`.
pub const DEMO_DOMAIN: &str = "tele.praxis.de";

/// The package versions bundled under `examples/packages/<package>/<version>/`, oldest first.
/// `1.0.3-1` exists only for `jitsi-meet-web`, `1.0.4-1` only for `jitsi-meet-prosody`; a version
/// builds (and installs) the packages that have it.
pub const VERSIONS: &[&str] = &["1.0.1-1", "1.0.2-1", "1.0.3-1", "1.0.4-1"];

/// The timestamp every built package carries, so that builds repeat byte for byte.
const SOURCE_DATE_EPOCH: &str = "1714521600";

/// The search path maintainer scripts run with; nothing else of the caller's environment passes.
const SCRIPT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A dpkg root in a directory of its own.
#[derive(Clone, Debug)]
pub struct Sandbox {
    /// The directory that stands for `/`.
    pub root: PathBuf,
}

impl Sandbox {
    /// Creates the dpkg database skeleton under `dir` (created when missing): empty
    /// `var/lib/dpkg/{status,available}`, `var/lib/dpkg/{info,updates,triggers}/`, `var/log/` and
    /// `var/cache/apt/archives/`. An existing skeleton is kept as it is.
    pub fn create(dir: &Path) -> Result<Sandbox> {
        fs::create_dir_all(dir).with_context(|| tr!("cannot create {path}", path = dir.display()))?;
        let root = dir
            .canonicalize()
            .with_context(|| tr!("cannot resolve {path}", path = dir.display()))?;
        let sandbox = Sandbox { root };
        let admindir = sandbox.admindir();
        for sub in ["info", "updates", "triggers"] {
            create_dir(&admindir.join(sub))?;
        }
        create_dir(&sandbox.root.join("var/log"))?;
        create_dir(&sandbox.root.join("var/cache/apt/archives/partial"))?;
        for file in ["status", "available"] {
            let path = admindir.join(file);
            if !path.exists() {
                fs::write(&path, "").with_context(|| tr!("cannot write {path}", path = path.display()))?;
            }
        }
        Ok(sandbox)
    }

    /// dpkg's database directory inside the sandbox.
    pub fn admindir(&self) -> PathBuf {
        self.root.join("var/lib/dpkg")
    }

    /// The dpkg log inside the sandbox.
    pub fn dpkg_log(&self) -> PathBuf {
        self.root.join("var/log/dpkg.log")
    }

    /// A path inside the sandbox for an install path such as `/etc/jitsi/meet/x-config.js`.
    pub fn path(&self, install_path: &str) -> PathBuf {
        self.root.join(install_path.trim_start_matches('/'))
    }

    /// Names the Jitsi domain the postinst scripts generate their `/etc` files for
    /// (`etc/jitsi/meet/domain`, standing in for the debconf answer). Without it they use
    /// [`DEMO_DOMAIN`].
    pub fn set_domain(&self, domain: &str) -> Result<()> {
        let valid = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !valid {
            bail!(
                "{}",
                tr!(
                    "invalid domain {domain}\nhint: use letters, digits, dots and dashes only",
                    domain = format!("{domain:?}")
                )
            );
        }
        let dir = self.path("/etc/jitsi/meet");
        create_dir(&dir)?;
        let path = dir.join("domain");
        fs::write(&path, format!("{domain}\n"))
            .with_context(|| tr!("cannot write {path}", path = path.display()))
    }

    /// Installs (or upgrades to) the given packages with the real dpkg, keeping locally changed
    /// conffiles (`--force-confdef --force-confold`: the new version lands beside them as
    /// `.dpkg-dist`). Maintainer scripts run on the host with `DPKG_ROOT` set to the sandbox.
    pub fn install(&self, debs: &[PathBuf]) -> Result<()> {
        if debs.is_empty() {
            return Ok(());
        }
        let mut cmd = Command::new("dpkg");
        cmd.env_clear()
            .env("PATH", SCRIPT_PATH)
            .env("LC_ALL", "C")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .arg(format!("--root={}", self.root.display()))
            .arg(format!("--log={}", self.dpkg_log().display()))
            .arg("--force-script-chrootless")
            .arg("--force-confdef")
            .arg("--force-confold");
        if !rustix::process::geteuid().is_root() {
            cmd.arg("--force-not-root");
        }
        cmd.arg("--install").args(debs);
        run(&mut cmd)
    }

    /// Copies a package into the sandbox's `var/cache/apt/archives/`, where apt would have left
    /// it; returns the copy's path.
    pub fn cache_deb(&self, deb: &Path) -> Result<PathBuf> {
        let name = deb
            .file_name()
            .with_context(|| tr!("{path} names no file", path = deb.display()))?;
        let dest = self.root.join("var/cache/apt/archives").join(name);
        fs::copy(deb, &dest).with_context(|| {
            tr!(
                "cannot copy {from} to {to}",
                from = deb.display(),
                to = dest.display()
            )
        })?;
        Ok(dest)
    }

    /// Lays the guide's customisations (`<examples>/customisations/**`, finished live files
    /// relative to `/`) over the live tree, as an admin editing with an editor would: an existing
    /// file is rewritten in place and keeps its mode, a new one gets the mode of its source;
    /// missing directories are created. Returns the install paths written, sorted.
    pub fn apply_customisations(&self, examples: &Path) -> Result<Vec<String>> {
        let source = examples.join("customisations");
        let mut written = Vec::new();
        for entry in walkdir::WalkDir::new(&source).sort_by_file_name() {
            let entry = entry.with_context(|| tr!("cannot read {path}", path = source.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(&source)
                .with_context(|| tr!("walkdir left its root"))?;
            if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
                bail!(
                    "{}",
                    tr!(
                        "{path} leaves the customisation tree",
                        path = entry.path().display()
                    )
                );
            }
            let dest = self.root.join(relative);
            refuse_symlinks_below(&self.root, relative)?;
            if let Some(parent) = dest.parent() {
                create_dir(parent)?;
            }
            if dest.exists() {
                let content = fs::read(entry.path())
                    .with_context(|| tr!("cannot read {path}", path = entry.path().display()))?;
                fs::write(&dest, content)
                    .with_context(|| tr!("cannot write {path}", path = dest.display()))?;
            } else {
                fs::copy(entry.path(), &dest).with_context(|| {
                    tr!(
                        "cannot copy {from} to {to}",
                        from = entry.path().display(),
                        to = dest.display()
                    )
                })?;
            }
            written.push(format!("/{}", relative.display()));
        }
        if written.is_empty() {
            bail!(
                "{}",
                tr!(
                    "no customisations under {path}\nhint: the examples directory is incomplete",
                    path = source.display()
                )
            );
        }
        Ok(written)
    }
}

/// The bundled examples, found at run time (no build machine's path is baked into the binary):
/// the source checkout the binary was built in (`target/<profile>/` →
/// `examples/`); `examples/` in the working directory (`cargo run`, `cargo test`); else the copy
/// the Debian package installs.
pub fn examples_dir() -> PathBuf {
    let has_packages = |dir: &Path| dir.join("packages").is_dir();
    let beside_build = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .take(3)
            .map(|dir| dir.join("examples"))
            .find(|dir| has_packages(dir))
    });
    if let Some(dir) = beside_build {
        return dir;
    }
    let here = PathBuf::from("examples");
    if has_packages(&here) {
        return std::path::absolute(&here).unwrap_or(here);
    }
    PathBuf::from("/usr/share/jitsi-custom/examples")
}

/// The packages bundled under `<examples>/packages/`, sorted.
pub fn bundled_packages(examples: &Path) -> Result<Vec<String>> {
    list_dirs(&examples.join("packages"))
}

/// The versions bundled for one package, oldest first (as [`VERSIONS`] orders them).
pub fn bundled_versions(examples: &Path, package: &str) -> Result<Vec<String>> {
    let mut versions = list_dirs(&examples.join("packages").join(package))?;
    versions.sort_by_key(|v| VERSIONS.iter().position(|known| known == v).unwrap_or(usize::MAX));
    Ok(versions)
}

/// Builds `<examples>/packages/<package>/<version>/` into `<out_dir>/<package>_<version>_all.deb`
/// with `dpkg-deb --root-owner-group --build`. The tree is copied first so that modes are
/// normalised (0755 for directories, maintainer scripts and executables, 0644 for the rest);
/// `SOURCE_DATE_EPOCH` is fixed, so the same tree gives the same bytes.
pub fn build_deb(examples: &Path, package: &str, version: &str, out_dir: &Path) -> Result<PathBuf> {
    let invalid = |value: &str| value.is_empty() || value.contains('/') || value.starts_with('.');
    if invalid(package) {
        bail!(
            "{}",
            tr!("invalid package name {name}", name = format!("{package:?}"))
        );
    }
    if invalid(version) {
        bail!(
            "{}",
            tr!("invalid version name {name}", name = format!("{version:?}"))
        );
    }
    let tree = examples.join("packages").join(package).join(version);
    let control = fs::read_to_string(tree.join("DEBIAN/control")).with_context(|| {
        tr!(
            "cannot read {path}\nhint: bundled versions of {package}: {versions}",
            path = tree.join("DEBIAN/control").display(),
            package,
            versions = bundled_versions(examples, package).unwrap_or_default().join(", ")
        )
    })?;
    for (field, expected) in [("Package", package), ("Version", version)] {
        let found = control_field(&control, field);
        if found != Some(expected) {
            bail!(
                "{}",
                tr!(
                    "{path}: {field} is {found}, expected {expected}",
                    path = tree.join("DEBIAN/control").display(),
                    field,
                    found = format!("{:?}", found.unwrap_or("")),
                    expected = format!("{expected:?}")
                )
            );
        }
    }

    fs::create_dir_all(out_dir).with_context(|| tr!("cannot create {path}", path = out_dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(out_dir)
        .with_context(|| {
            tr!(
                "cannot create a temporary directory in {path}",
                path = out_dir.display()
            )
        })?;
    let copy = staging.path().join(format!("{package}_{version}"));
    copy_normalised(&tree, &copy)?;

    let deb = out_dir.join(format!("{package}_{version}_all.deb"));
    let mut cmd = Command::new("dpkg-deb");
    cmd.env_clear()
        .env("PATH", SCRIPT_PATH)
        .env("LC_ALL", "C")
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&copy)
        .arg(&deb);
    run(&mut cmd)?;
    Ok(deb)
}

/// Builds every bundled package that has `version` into `out_dir`; returns the `.deb` paths in
/// package order.
pub fn build_version(examples: &Path, version: &str, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut debs = Vec::new();
    for package in bundled_packages(examples)? {
        if examples.join("packages").join(&package).join(version).is_dir() {
            debs.push(build_deb(examples, &package, version, out_dir)?);
        }
    }
    if debs.is_empty() {
        bail!(
            "{}",
            tr!(
                "no bundled package has version {version}\nhint: bundled versions: {versions}",
                version,
                versions = VERSIONS.join(", ")
            )
        );
    }
    Ok(debs)
}

fn control_field<'a>(control: &'a str, field: &str) -> Option<&'a str> {
    control.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case(field).then(|| value.trim())
    })
}

/// Copies a package tree with normalised modes; symlinks are copied as symlinks.
fn copy_normalised(from: &Path, to: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.with_context(|| tr!("cannot read {path}", path = from.display()))?;
        let relative = entry
            .path()
            .strip_prefix(from)
            .with_context(|| tr!("walkdir left its root"))?;
        let dest = to.join(relative);
        let kind = entry.file_type();
        if kind.is_dir() {
            create_dir(&dest)?;
            set_mode(&dest, 0o755)?;
        } else if kind.is_symlink() {
            let target = fs::read_link(entry.path())
                .with_context(|| tr!("cannot read link {path}", path = entry.path().display()))?;
            std::os::unix::fs::symlink(&target, &dest)
                .with_context(|| tr!("cannot create link {path}", path = dest.display()))?;
        } else {
            fs::copy(entry.path(), &dest).with_context(|| {
                tr!(
                    "cannot copy {from} to {to}",
                    from = entry.path().display(),
                    to = dest.display()
                )
            })?;
            let metadata = entry
                .metadata()
                .with_context(|| tr!("cannot stat {path}", path = entry.path().display()))?;
            let executable = metadata.permissions().mode() & 0o111 != 0 || is_maintainer_script(relative);
            set_mode(&dest, if executable { 0o755 } else { 0o644 })?;
        }
    }
    Ok(())
}

fn is_maintainer_script(relative: &Path) -> bool {
    relative.parent() == Some(Path::new("DEBIAN"))
        && matches!(
            relative.file_name().and_then(OsStr::to_str),
            Some("preinst" | "postinst" | "prerm" | "postrm" | "config")
        )
}

/// Fails when a directory on the way to `relative` (or the file itself) is a symlink, so that a
/// copy never writes through one.
fn refuse_symlinks_below(root: &Path, relative: &Path) -> Result<()> {
    let mut path = root.to_path_buf();
    for part in relative.components() {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                bail!(
                    "{}",
                    tr!(
                        "{path} is a symbolic link; not writing through it",
                        path = path.display()
                    )
                )
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// The names of the directories in `dir`, sorted.
fn list_dirs(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| tr!("cannot read {path}", path = dir.display()))? {
        let entry = entry.with_context(|| tr!("cannot read {path}", path = dir.display()))?;
        if entry.file_type().is_ok_and(|t| t.is_dir())
            && let Ok(name) = entry.file_name().into_string()
        {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn create_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).with_context(|| tr!("cannot create {path}", path = path.display()))
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| tr!("cannot set the mode of {path}", path = path.display()))
}

/// Runs a command to completion; a failure names the command line and carries its stderr.
fn run(cmd: &mut Command) -> Result<()> {
    let line = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let output = cmd.output().with_context(|| tr!("cannot run {line}", line))?;
    if !output.status.success() {
        bail!(
            "{}",
            tr!(
                "{line} failed ({status}):\n{error}",
                line,
                status = output.status,
                error = String::from_utf8_lossy(&output.stderr).trim_end()
            )
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_lays_out_the_dpkg_skeleton() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::create(&dir.path().join("root")).unwrap();
        for sub in ["info", "updates", "triggers"] {
            assert!(sandbox.admindir().join(sub).is_dir(), "{sub}");
        }
        assert_eq!(fs::read(sandbox.admindir().join("status")).unwrap(), b"");
        assert!(sandbox.root.join("var/cache/apt/archives").is_dir());
        // A second create keeps what is there.
        fs::write(sandbox.admindir().join("status"), "Package: x\n").unwrap();
        Sandbox::create(&sandbox.root).unwrap();
        assert_eq!(
            fs::read(sandbox.admindir().join("status")).unwrap(),
            b"Package: x\n"
        );
    }

    #[test]
    fn set_domain_refuses_what_sed_would_misread() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::create(dir.path()).unwrap();
        sandbox.set_domain("meet.schule.de").unwrap();
        assert_eq!(
            fs::read_to_string(sandbox.path("/etc/jitsi/meet/domain")).unwrap(),
            "meet.schule.de\n"
        );
        for bad in ["", "a/b", "x;rm", "..", ".x"] {
            assert!(sandbox.set_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn control_fields_are_found_by_name() {
        let control = "Package: jicofo\nVersion: 1.0.1-1\nDescription: x\n y\n";
        assert_eq!(control_field(control, "Version"), Some("1.0.1-1"));
        assert_eq!(control_field(control, "package"), Some("jicofo"));
        assert_eq!(control_field(control, "Depends"), None);
    }

    #[test]
    fn maintainer_scripts_are_recognised() {
        assert!(is_maintainer_script(Path::new("DEBIAN/postinst")));
        assert!(!is_maintainer_script(Path::new("DEBIAN/control")));
        assert!(!is_maintainer_script(Path::new("usr/share/postinst")));
    }

    #[test]
    fn customisations_never_write_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::create(&dir.path().join("root")).unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::create_dir_all(sandbox.root.join("etc")).unwrap();
        std::os::unix::fs::symlink(&outside, sandbox.root.join("etc/jitsi")).unwrap();
        let examples = dir.path().join("examples");
        fs::create_dir_all(examples.join("customisations/etc/jitsi")).unwrap();
        fs::write(examples.join("customisations/etc/jitsi/x"), "x").unwrap();
        let err = sandbox.apply_customisations(&examples).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err:#}");
        assert!(!outside.join("x").exists());
    }
}
