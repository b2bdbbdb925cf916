//! The Debian package under test: `target/debian/jitsi-custom_<version>-1_<arch>.deb`, built by
//! `scripts/build-deb` when it is missing or older than any file it is made from. CI builds it
//! first (`.ci/run`), so the tests reuse that one release build. Included with
//! `#[path = "common/deb.rs"] mod deb;` by the tests that need the package.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

pub fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is target/tmp")
        .to_path_buf()
}

/// What the package is made from (relative to the project).
const INPUTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "scripts/build-deb",
    "src",
    "hooks",
    "examples",
    "patches",
    "debian",
];

fn newest_input() -> SystemTime {
    INPUTS
        .iter()
        .flat_map(|input| walkdir::WalkDir::new(project().join(input)))
        .filter_map(|entry| entry.ok()?.metadata().ok()?.modified().ok())
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

fn architecture() -> Result<String, String> {
    let out = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .map_err(|e| format!("dpkg --print-architecture: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The path of the package, up to date with the sources; built (once per test binary) when it
/// is not. `Err` says why there is none (cargo-deb not installable offline, a failed build).
pub fn package() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let deb = target_dir().join("debian").join(format!(
                "jitsi-custom_{}-1_{}.deb",
                env!("CARGO_PKG_VERSION"),
                architecture()?
            ));
            let fresh = std::fs::metadata(&deb)
                .and_then(|m| m.modified())
                .is_ok_and(|built| built >= newest_input());
            if fresh {
                return Ok(deb);
            }
            eprintln!("building {} with scripts/build-deb", deb.display());
            let out = Command::new(project().join("scripts/build-deb"))
                .env("CARGO_TARGET_DIR", target_dir())
                .output()
                .map_err(|e| format!("cannot run scripts/build-deb: {e}"))?;
            if !out.status.success() || !deb.is_file() {
                return Err(format!(
                    "scripts/build-deb failed ({}):\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(deb)
        })
        .clone()
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The package, or `None` after saying why the test is skipped; under CI a missing package
/// fails the test instead.
pub fn package_or_skip(test: &str) -> Option<PathBuf> {
    match package() {
        Ok(deb) => Some(deb),
        Err(why) if in_ci() => panic!("{test}: no Debian package under CI: {why}"),
        Err(why) => {
            eprintln!("{test}: SKIPPED, no Debian package: {why}");
            None
        }
    }
}

/// Whether `tool` is on PATH.
pub fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

/// True when `tools` are all there; otherwise says why the test is skipped, or fails under CI
/// (`scripts/test` installs them).
pub fn tools_or_skip(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("missing {} (scripts/test installs them)", missing.join(", "));
    if in_ci() {
        panic!("{test}: {why}");
    }
    eprintln!("{test}: SKIPPED, {why}");
    false
}
