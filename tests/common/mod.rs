//! Shared pieces of the integration tests: a sandbox root with a state dir, and the command
//! under test with a fixed environment (fixed commit times, no colour, no terminal).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use std::sync::OnceLock;

use assert_cmd::Command;
use jitsi_custom::sandbox::{self, Sandbox};

pub const CARD: &str = "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html";
pub const INTERFACE: &str = "/usr/share/jitsi-meet/interface_config.js";
pub const MAIN_DE: &str = "/usr/share/jitsi-meet/lang/main-de.json";
pub const ALL_CSS: &str = "/usr/share/jitsi-meet/css/all.css";
pub const LOGGING: &str = "/etc/jitsi/videobridge/logging.properties";
pub const NGINX_SITE: &str = "/etc/nginx/sites-available/tele.praxis.de.conf";
pub const MEET_CONFIG: &str = "/etc/jitsi/meet/tele.praxis.de-config.js";
pub const PROSODY: &str = "/etc/prosody/conf.avail/tele.praxis.de.cfg.lua";
pub const SIP: &str = "/etc/jitsi/jicofo/sip-communicator.properties";

/// The bundled packages of one version, built with `dpkg-deb` once per test binary.
pub fn bundled_debs(version: &str) -> Vec<PathBuf> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        // A static is never dropped, so the directory is named for this process and those of
        // earlier runs (whose process is gone) are removed here.
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("bundled-debs-")
                && !Path::new("/proc").join(pid).exists()
            {
                std::fs::remove_dir_all(entry.path()).ok();
            }
        }
        let dir = tmp.join(format!("bundled-debs-{}", std::process::id()));
        let examples = sandbox::examples_dir();
        for version in sandbox::VERSIONS {
            sandbox::build_version(&examples, version, &dir.join(version)).expect("build debs");
        }
        dir
    });
    let mut debs: Vec<PathBuf> = std::fs::read_dir(dir.join(version))
        .unwrap_or_else(|e| panic!("no bundled version {version}: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    debs.sort();
    debs
}

/// A file of a bundled package version, as the package ships it.
pub fn shipped(package: &str, version: &str, install_path: &str) -> Vec<u8> {
    let path = sandbox::examples_dir()
        .join("packages")
        .join(package)
        .join(version)
        .join(install_path.trim_start_matches('/'));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A file of the guide's customisations (`examples/customisations`).
pub fn customised(install_path: &str) -> Vec<u8> {
    let path = sandbox::examples_dir()
        .join("customisations")
        .join(install_path.trim_start_matches('/'));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A tracked file as it is live: install path, content, mode.
pub type LiveFile = (String, Vec<u8>, u32);

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

    /// The Jitsi-like world of `examples/`: 1.0.1-1 installed with the real dpkg, `init`, the
    /// guide's customisations laid over the live files and recorded as "guide".
    pub fn jitsi_customised() -> World {
        let w = World::new();
        w.install("1.0.1-1");
        w.cmd(&["init"]).assert().code(0);
        w.sandbox()
            .apply_customisations(&sandbox::examples_dir())
            .unwrap();
        w.cmd(&["record", "-m", "guide"]).assert().code(0);
        w
    }

    /// A root without a dpkg database holding only the welcome card, initialised.
    pub fn card_initialised() -> World {
        let w = World::new();
        w.write(CARD, "<div class=\"card\">\n<p>Jitsi</p>\n</div>\n");
        w.cmd(&["init"]).assert().success();
        w
    }

    pub fn sandbox(&self) -> Sandbox {
        Sandbox::create(&self.root).unwrap()
    }

    /// Installs every bundled package of `version` with the real dpkg, leaving the `.deb`s in
    /// `var/cache/apt/archives` as apt would.
    pub fn install(&self, version: &str) {
        let sandbox = self.sandbox();
        let debs = bundled_debs(version);
        for deb in &debs {
            sandbox.cache_deb(deb).unwrap();
        }
        sandbox.install(&debs).unwrap();
    }

    /// The tracked files of the bundled world with content and mode.
    pub fn tracked_files(&self) -> Vec<LiveFile> {
        use std::os::unix::fs::PermissionsExt;
        let out = self.cmd(&["status", "--json"]).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let files = json["files"].as_array().expect("files in status --json");
        assert!(files.len() >= 11, "{json}");
        files
            .iter()
            .map(|f| {
                let path = f["path"].as_str().unwrap().to_string();
                let live = self.live(&path);
                let mode = std::fs::metadata(&live)
                    .unwrap_or_else(|e| panic!("{path}: {e}"))
                    .permissions()
                    .mode();
                (path, std::fs::read(&live).unwrap(), mode)
            })
            .collect()
    }

    pub fn read_string(&self, install_path: &str) -> String {
        String::from_utf8(self.read(install_path)).unwrap()
    }

    /// `jitsi-custom --root <root> --state-dir <state> ARGS…`
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_cmd(args))
    }

    /// The same command as a plain `std::process::Command` (for a pseudo-terminal).
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jitsi-custom"));
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

    /// Starts `jitsi-custom ARGS…` on a pseudo-terminal, with `env` added.
    pub fn pty(&self, args: &[&str], env: &[(&str, &str)]) -> rexpect::session::PtySession {
        let mut cmd = self.std_cmd(args);
        cmd.env("TERM", "xterm");
        for (key, value) in env {
            cmd.env(key, value);
        }
        rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn on a pty")
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
    /// lock file is left out (taking the lock writes the holder's pid into it), and so is the
    /// stat cache (derived data any look at the files may refresh).
    pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file() && e.file_name() != "lock" && e.file_name() != "stat-cache.json"
            })
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

/// The first line of stderr that says `error:`, and that there is exactly one.
pub fn one_error_line(output: &std::process::Output) -> String {
    let err = stderr(output);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line in {err:?}");
    errors[0].to_string()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Builds a package `package` of `version` that ships one file, `install_path` with `content`,
/// with the archive members compressed by `compress` (`xz`, `none`, …), using the real dpkg-deb.
pub fn one_file_deb(
    dir: &Path,
    package: &str,
    version: &str,
    install_path: &str,
    content: &[u8],
    compress: &str,
) -> PathBuf {
    let tree = dir.join(format!("{package}-{version}-{compress}"));
    let file = tree.join(install_path.trim_start_matches('/'));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, content).unwrap();
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!(
            "Package: {package}\nVersion: {version}\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: one file\n"
        ),
    )
    .unwrap();
    let deb = dir.join(format!("{package}_{version}_all.deb"));
    let status = std::process::Command::new("dpkg-deb")
        .args(["--root-owner-group", &format!("-Z{compress}"), "--build"])
        .arg(&tree)
        .arg(&deb)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    deb
}
