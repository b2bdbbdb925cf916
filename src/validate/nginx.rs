//! nginx configuration check: `nginx -t` on the configuration as it would be with a candidate file
//! in place, without touching the live configuration.
//!
//! nginx's grammar belongs to nginx (and its modules), so the only faithful check is nginx itself.
//! The live `/etc/nginx` is copied to a temporary directory, the candidate replaces its file in the
//! copy, absolute `/etc/nginx/` references in the copied files and symbolic links
//! (`sites-enabled/x.conf -> /etc/nginx/sites-available/x.conf`) are pointed into the copy, and
//! `nginx -t -q -c <copy>/nginx.conf` judges the result. Paths outside `/etc/nginx` (certificates,
//! `/usr/share/nginx/modules-available`) are read where they are under the root.
//!
//! Which binary runs: with the root `/`, the server's own `/usr/sbin/nginx`. With any other root
//! (a sandbox in tests, a mounted image), `root/usr/sbin/nginx` only tells that nginx is installed
//! there; running it would start a program from that tree with this host's libraries (or a stub in
//! a test fixture), so the host's `/usr/sbin/nginx` tests the copied configuration instead, and the
//! check is skipped when the host has none.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use crate::install_path::InstallPath;

use super::{Checked, is_nginx_path};

/// The configuration directory as the packages see it, without the leading `/`.
const CONF_DIR: &str = "etc/nginx";
/// Where Debian's nginx packages install the binary, relative to a root.
const NGINX_BINARY: &str = "usr/sbin/nginx";

/// Tests the nginx configuration under `root` as it would be with `candidate` as the content of
/// `path`, by running `nginx -t` on a temporary copy. `Err` is nginx's first complaint, one line,
/// naming the file by its `/etc/nginx/...` path and the line; [`Checked::Skipped`] says why nginx
/// could not be asked (not installed, `path` not part of its configuration, ...).
pub fn check_nginx(root: &Path, path: &InstallPath, candidate: &[u8]) -> Result<Checked, String> {
    if !is_nginx_path(path.as_rel()) {
        return Ok(Checked::Skipped(crate::english!(
            "{path} is not part of the nginx configuration",
            path
        )));
    }
    if fs::symlink_metadata(root.join(NGINX_BINARY)).is_err() {
        return Ok(Checked::Skipped(crate::english!("nginx is not installed")));
    }
    let Some(binary) = nginx_binary(root) else {
        return Ok(Checked::Skipped(crate::english!(
            "nginx is installed under {root} but not on this host, so the configuration cannot be tested",
            root = root.display()
        )));
    };
    let conf_dir = root.join(CONF_DIR);
    let main_conf = format!("{CONF_DIR}/nginx.conf");
    if path.as_rel() != main_conf && !conf_dir.join("nginx.conf").is_file() {
        return Ok(Checked::Skipped(crate::english!(
            "{path} is missing, so the configuration cannot be tested",
            path = "/etc/nginx/nginx.conf"
        )));
    }

    let copy = temp_conf_dir().map_err(|e| cannot_test(&e))?;
    let copy_dir = copy.path();
    copy_conf_dir(root, &conf_dir, copy_dir).map_err(|e| cannot_test(&e))?;
    place_candidate(copy_dir, path, candidate)?;
    run_nginx_test(&binary, copy_dir)
}

/// The nginx binary that tests a configuration found under `root`: always the host's (see the
/// module documentation), which for the root `/` is the server's own.
fn nginx_binary(_root: &Path) -> Option<PathBuf> {
    let host = Path::new("/").join(NGINX_BINARY);
    host.is_file().then_some(host)
}

fn cannot_test(error: &std::io::Error) -> String {
    crate::english!("could not test the nginx configuration: {error}", error)
}

/// A fresh temporary directory whose path nginx can read unquoted in an `include` (the copy's path
/// replaces `/etc/nginx` inside the configuration, so a `TMPDIR` with spaces would break it).
fn temp_conf_dir() -> std::io::Result<tempfile::TempDir> {
    let system = std::env::temp_dir();
    let plain = system
        .as_os_str()
        .as_bytes()
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(b));
    let parent = if plain { system } else { PathBuf::from("/tmp") };
    tempfile::Builder::new()
        .prefix("jitsi-custom-nginx-")
        .tempdir_in(parent)
}

/// Copies `conf_dir` into `copy_dir`: directories as directories, files with their `/etc/nginx/`
/// references rewritten, symbolic links re-pointed ([`link_target_in_copy`]). Other file types
/// (sockets, fifos) are left out.
fn copy_conf_dir(root: &Path, conf_dir: &Path, copy_dir: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(conf_dir).min_depth(1) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(conf_dir)
            .map_err(std::io::Error::other)?;
        let dest = copy_dir.join(rel);
        let file_type = entry.file_type();
        if file_type.is_dir() {
            fs::create_dir_all(&dest)?;
        } else if file_type.is_file() {
            let content = fs::read(entry.path())?;
            fs::write(&dest, point_into_copy(&content, copy_dir))?;
        } else if file_type.is_symlink() {
            let target = fs::read_link(entry.path())?;
            let link = Path::new(CONF_DIR).join(rel);
            std::os::unix::fs::symlink(link_target_in_copy(root, copy_dir, &link, &target), &dest)?;
        }
    }
    Ok(())
}

/// Where a symbolic link at install path `link` with `target` points in the copy: targets inside
/// `/etc/nginx` (absolute, or relative and resolved from the link's directory) into the copy, all
/// other targets to the same file under the root.
fn link_target_in_copy(root: &Path, copy_dir: &Path, link: &Path, target: &Path) -> PathBuf {
    let joined = if target.is_absolute() {
        target.to_path_buf()
    } else {
        link.parent().unwrap_or(Path::new("")).join(target)
    };
    // Lexical resolution inside the root: `..` never climbs above it, as the kernel does at `/`.
    let mut parts: Vec<&OsStr> = Vec::new();
    for component in joined.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    let install: PathBuf = parts.iter().collect();
    match install.strip_prefix(CONF_DIR) {
        Ok(inside) => copy_dir.join(inside),
        Err(_) => root.join(install),
    }
}

/// `content` with every `/etc/nginx/` replaced by the copy's directory.
fn point_into_copy(content: &[u8], copy_dir: &Path) -> Vec<u8> {
    let needle = b"/etc/nginx/";
    let mut replacement = copy_dir.as_os_str().as_bytes().to_vec();
    replacement.push(b'/');
    let mut out = Vec::with_capacity(content.len());
    let mut rest = content;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(&replacement);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Puts the candidate in the copy as a regular file, as the atomic write would put it live
/// (replacing a symbolic link rather than writing through it).
fn place_candidate(copy_dir: &Path, path: &InstallPath, candidate: &[u8]) -> Result<(), String> {
    let rel = Path::new(path.as_rel())
        .strip_prefix(CONF_DIR)
        .map_err(|_| crate::english!("{path} is not part of the nginx configuration", path))?;
    // Every directory on the way must be a real one in the copy: a symbolic link could lead out
    // of the copy and into the live configuration.
    let mut dir = copy_dir.to_path_buf();
    for part in rel.parent().into_iter().flat_map(Path::components) {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(crate::english!(
                    "could not test the nginx configuration: {path} is a symbolic link",
                    path = format!(
                        "/{CONF_DIR}/{}",
                        dir.strip_prefix(copy_dir).unwrap_or(&dir).display()
                    )
                ));
            }
            Ok(_) => {}
            Err(_) => fs::create_dir(&dir).map_err(|e| cannot_test(&e))?,
        }
    }
    let dest = copy_dir.join(rel);
    if fs::symlink_metadata(&dest).is_ok_and(|meta| !meta.is_dir()) {
        fs::remove_file(&dest).map_err(|e| cannot_test(&e))?;
    }
    fs::write(&dest, point_into_copy(candidate, copy_dir)).map_err(|e| cannot_test(&e))
}

/// Runs `nginx -t` on the copy; nginx's first error becomes the message.
fn run_nginx_test(binary: &Path, copy_dir: &Path) -> Result<Checked, String> {
    let conf = copy_dir.join("nginx.conf");
    // `-e stderr` keeps nginx from opening its compiled-in error log before it reads the
    // configuration; nginx before 1.19.5 (Debian 11) does not know the option, so it is dropped
    // when nginx refuses it.
    let mut output = nginx_test_output(binary, &conf, true)?;
    if !output.status.success() && String::from_utf8_lossy(&output.stderr).contains("invalid option") {
        output = nginx_test_output(binary, &conf, false)?;
    }
    if output.status.success() {
        return Ok(Checked::Passed);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let complaint = first_complaint(&stderr)
        .map(|line| describe_complaint(line, copy_dir))
        .unwrap_or_else(|| crate::english!("nginx -t failed with {status}", status = output.status));
    Err(crate::english!(
        "nginx rejects the configuration: {complaint}",
        complaint
    ))
}

fn nginx_test_output(
    binary: &Path,
    conf: &Path,
    log_to_stderr: bool,
) -> Result<std::process::Output, String> {
    let mut command = Command::new(binary);
    command.arg("-t").arg("-q");
    if log_to_stderr {
        command.args(["-e", "stderr"]);
    }
    command.arg("-c").arg(conf).stdin(Stdio::null());
    crate::system::process::output(
        &mut command,
        None,
        crate::system::process::limit(std::time::Duration::from_secs(60)),
    )
    .map_err(|e| format!("{e:#}"))
}

/// The first `[emerg]` line of nginx's output, else the first line that is not its closing
/// "test failed" summary.
fn first_complaint(stderr: &str) -> Option<&str> {
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| l.contains("[emerg]"))
        .or_else(|| lines().find(|l| !l.contains("test failed") && !l.contains("test is successful")))
}

/// `nginx: [emerg] unexpected "}" in /tmp/x/sites-enabled/a.conf:12` →
/// `unexpected "}" in /etc/nginx/sites-enabled/a.conf, line 12`.
fn describe_complaint(line: &str, copy_dir: &Path) -> String {
    // Both `nginx: [emerg] msg` and the error-log form `2026/01/01 03:00:00 [emerg] 42#42: msg`.
    let line = line.strip_prefix("nginx: ").unwrap_or(line);
    let line = match line.split_once('[').and_then(|(_, l)| l.split_once("] ")) {
        Some((_level, message)) => message,
        None => line,
    };
    let line = match line.split_once(": ") {
        Some((pid, message)) if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit() || b == b'#') => {
            message
        }
        _ => line,
    };
    let copy = copy_dir.to_string_lossy();
    let line = line.replace(copy.as_ref(), "/etc/nginx");
    if let Some((message, number)) = line.rsplit_once(':')
        && message.contains(" in /")
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        return format!("{message}, line {number}");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "server {
    listen 8443;
    server_name tele.praxis.de;
    ssl_protocols TLSv1.2 TLSv1.3;

    location = /config.js {
        alias /etc/jitsi/meet/tele.praxis.de-config.js;
    }

    location / {
        return 200 'ok';
    }
}
";

    /// A sandbox root with a minimal nginx configuration in Debian's layout: `sites-enabled` holds
    /// an absolute symbolic link into `sites-available`, as `jitsi-meet-web-config` creates it.
    fn sandbox() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::create_dir_all(r.join("usr/sbin")).unwrap();
        // Only a marker: with a sandbox root the host's binary runs.
        fs::write(r.join(NGINX_BINARY), b"").unwrap();
        for dir in ["sites-available", "sites-enabled", "snippets"] {
            fs::create_dir_all(r.join(CONF_DIR).join(dir)).unwrap();
        }
        fs::write(
            r.join("etc/nginx/nginx.conf"),
            "worker_processes 1;\nerror_log stderr;\nevents { worker_connections 16; }\nhttp {\n    access_log off;\n    include /etc/nginx/mime.types;\n    include /etc/nginx/sites-enabled/*;\n}\n",
        )
        .unwrap();
        fs::write(r.join("etc/nginx/mime.types"), "types { text/html html; }\n").unwrap();
        fs::write(r.join("etc/nginx/sites-available/tele.praxis.de.conf"), SITE).unwrap();
        std::os::unix::fs::symlink(
            "/etc/nginx/sites-available/tele.praxis.de.conf",
            r.join("etc/nginx/sites-enabled/tele.praxis.de.conf"),
        )
        .unwrap();
        root
    }

    fn site_path() -> InstallPath {
        InstallPath::parse("/etc/nginx/sites-available/tele.praxis.de.conf").unwrap()
    }

    /// Whether the host can run `nginx -t`. On CI (`CI=true`) nginx must be installed, so these
    /// tests cannot pass silently by skipping there.
    fn host_has_nginx() -> bool {
        if Path::new("/usr/sbin/nginx").is_file() {
            return true;
        }
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but /usr/sbin/nginx is missing: install the Debian package `nginx`"
        );
        eprintln!("skipped: /usr/sbin/nginx is not installed on this host");
        false
    }

    #[test]
    fn valid_candidate_passes_and_the_live_file_stays() {
        if !host_has_nginx() {
            return;
        }
        let root = sandbox();
        let candidate = SITE.replace("TLSv1.2 TLSv1.3", "TLSv1.3");
        let result = check_nginx(root.path(), &site_path(), candidate.as_bytes());
        assert_eq!(result, Ok(Checked::Passed));
        let live = fs::read_to_string(site_path().under(root.path())).unwrap();
        assert_eq!(live, SITE);
    }

    #[test]
    fn broken_candidate_fails_through_the_enabled_symlink() {
        if !host_has_nginx() {
            return;
        }
        let root = sandbox();
        // The live file is valid; only the candidate, reached through the absolute symlink in
        // sites-enabled, is broken, so an error proves the copy tested the candidate.
        let candidate = SITE.replace(
            "    ssl_protocols TLSv1.2 TLSv1.3;\n",
            "    ssl_protocols TLSv1.2 TLSv1.3\n",
        );
        let err = check_nginx(root.path(), &site_path(), candidate.as_bytes()).unwrap_err();
        assert!(err.starts_with("nginx rejects the configuration: "), "{err}");
        assert!(
            err.contains("/etc/nginx/sites-enabled/tele.praxis.de.conf, line "),
            "{err}"
        );
        assert!(!err.contains("jitsi-custom-nginx-"), "{err}");
    }

    #[test]
    fn unbalanced_brace_fails_with_its_line() {
        if !host_has_nginx() {
            return;
        }
        let root = sandbox();
        let candidate = format!("{SITE}}}\n");
        let err = check_nginx(root.path(), &site_path(), candidate.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            "nginx rejects the configuration: unexpected \"}\" in /etc/nginx/sites-enabled/tele.praxis.de.conf, line 14"
        );
    }

    #[test]
    fn new_file_in_an_included_directory_is_tested() {
        if !host_has_nginx() {
            return;
        }
        let root = sandbox();
        let path = InstallPath::parse("/etc/nginx/sites-enabled/extra.conf").unwrap();
        let err = check_nginx(
            root.path(),
            &path,
            b"server { listen 8444; bogus_directive on; }\n",
        )
        .unwrap_err();
        assert!(err.contains("unknown directive \"bogus_directive\""), "{err}");
        assert!(!path.under(root.path()).exists());
    }

    #[test]
    fn not_installed_is_skipped() {
        let root = sandbox();
        fs::remove_file(root.path().join(NGINX_BINARY)).unwrap();
        let result = check_nginx(root.path(), &site_path(), b"garbage {");
        assert_eq!(result, Ok(Checked::Skipped("nginx is not installed".to_string())));
    }

    #[test]
    fn other_paths_are_skipped() {
        let root = sandbox();
        let path = InstallPath::parse("/etc/jitsi/meet/tele.praxis.de-config.js").unwrap();
        assert!(matches!(
            check_nginx(root.path(), &path, b""),
            Ok(Checked::Skipped(_))
        ));
    }

    #[test]
    fn validate_file_runs_nginx_for_its_configuration() {
        if !host_has_nginx() {
            return;
        }
        let root = sandbox();
        let ok = super::super::validate_file(root.path(), &site_path(), SITE.as_bytes());
        assert_eq!(ok, Ok(Checked::Passed));
        let err = super::super::validate_file(root.path(), &site_path(), b"server {\n").unwrap_err();
        assert!(err.starts_with("nginx rejects the configuration: "), "{err}");
    }

    #[test]
    fn link_targets_map_into_the_copy_or_the_root() {
        let root = Path::new("/sandbox");
        let copy = Path::new("/tmp/copy");
        let link = Path::new("etc/nginx/sites-enabled/a.conf");
        assert_eq!(
            link_target_in_copy(root, copy, link, Path::new("/etc/nginx/sites-available/a.conf")),
            Path::new("/tmp/copy/sites-available/a.conf")
        );
        assert_eq!(
            link_target_in_copy(root, copy, link, Path::new("../sites-available/a.conf")),
            Path::new("/tmp/copy/sites-available/a.conf")
        );
        assert_eq!(
            link_target_in_copy(
                root,
                copy,
                Path::new("etc/nginx/modules-enabled/50-mod-echo.conf"),
                Path::new("/usr/share/nginx/modules-available/mod-echo.conf")
            ),
            Path::new("/sandbox/usr/share/nginx/modules-available/mod-echo.conf")
        );
        assert_eq!(
            link_target_in_copy(root, copy, link, Path::new("../../../../../etc/passwd")),
            Path::new("/sandbox/etc/passwd")
        );
    }

    #[test]
    fn complaints_name_the_live_path_and_line() {
        let copy = Path::new("/tmp/jitsi-custom-nginx-abc");
        assert_eq!(
            describe_complaint(
                "nginx: [emerg] unexpected \"}\" in /tmp/jitsi-custom-nginx-abc/sites-enabled/a.conf:12",
                copy
            ),
            "unexpected \"}\" in /etc/nginx/sites-enabled/a.conf, line 12"
        );
        assert_eq!(
            describe_complaint(
                "2026/11/29 22:18:00 [emerg] 6265#6265: unknown directive \"x\" in /tmp/jitsi-custom-nginx-abc/nginx.conf:3",
                copy
            ),
            "unknown directive \"x\" in /etc/nginx/nginx.conf, line 3"
        );
        assert_eq!(
            first_complaint("nginx: [warn] x\nnginx: [emerg] y\nnginx: configuration file z test failed\n"),
            Some("nginx: [emerg] y")
        );
    }
}
