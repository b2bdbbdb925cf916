//! Shared pieces of the integration tests: a sandbox root with a state dir, and the command
//! under test with a fixed environment (fixed commit times, no colour, no terminal).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use jitsi_custom::sandbox::Sandbox;

pub struct World {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub state: PathBuf,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        let state = dir.path().join("state");
        World { dir, root, state }
    }

    /// A world whose root is a dpkg sandbox (`jitsi_custom::sandbox`) with these packages
    /// installed by the real dpkg. `prepare` runs on the empty sandbox before dpkg does, e.g. to
    /// name the domain the postinst scripts generate their files for.
    pub fn with_packages(debs: &[PathBuf], prepare: impl FnOnce(&Sandbox)) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox = Sandbox::create(&dir.path().join("root")).expect("sandbox");
        prepare(&sandbox);
        sandbox.install(debs).expect("dpkg --install");
        let state = dir.path().join("state");
        World {
            root: sandbox.root,
            dir,
            state,
        }
    }

    /// The root as a dpkg sandbox, to install more packages or cache them like apt.
    pub fn sandbox(&self) -> Sandbox {
        Sandbox {
            root: self.root.clone(),
        }
    }

    /// `jitsi-custom --root <root> --state-dir <state> ARGS…`
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("jitsi-custom").unwrap();
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SOURCE_DATE_EPOCH", "1795910400")
            .env("NO_COLOR", "1")
            .arg("--root")
            .arg(&self.root)
            .arg("--state-dir")
            .arg(&self.state)
            .args(args);
        cmd
    }

    /// Writes a live file under the root (creating directories).
    pub fn write(&self, install_path: &str, content: impl AsRef<[u8]>) {
        let path = self.live(install_path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, install_path: &str) -> Vec<u8> {
        std::fs::read(self.live(install_path)).unwrap()
    }

    pub fn live(&self, install_path: &str) -> PathBuf {
        self.root.join(install_path.trim_start_matches('/'))
    }

    /// Every file under a directory with its content, to prove that nothing was written. The
    /// lock file is left out: taking the lock writes the holder's pid into it.
    pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && e.file_name() != "lock")
            .map(|e| {
                (
                    e.path().to_path_buf(),
                    std::fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect();
        files.sort();
        files
    }
}

/// stdout of a finished command as text.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
