//! The files `install-hooks` puts under the root: the apt.conf.d snippet, the systemd units
//! of the maintenance window and the login message (`update-motd.d`). They are embedded in the binary, so an installed binary can put
//! them in place without its source tree.

use std::path::Path;

use crate::tr;
use anyhow::Result;
use serde::Serialize;

use crate::InstallPath;
use crate::system::fs::path_error;
use crate::system::fs::{self as livefs, FileMeta, PathProblem};

pub const APT_SNIPPET_PATH: &str = "/etc/apt/apt.conf.d/80jitsi-custom";
pub const SERVICE_PATH: &str = "/etc/systemd/system/jitsi-custom-upgrade.service";
pub const TIMER_PATH: &str = "/etc/systemd/system/jitsi-custom-upgrade.timer";
pub const TIMER_UNIT: &str = "jitsi-custom-upgrade.timer";
/// The link `systemctl enable` makes for the timer (`WantedBy=timers.target`).
pub const TIMER_WANTS_PATH: &str = "/etc/systemd/system/timers.target.wants/jitsi-custom-upgrade.timer";
/// Run by pam_motd at login (Debian's `update-motd.d`): one line while `status` needs attention.
pub const MOTD_PATH: &str = "/etc/update-motd.d/90-jitsi-custom";
/// Where the Debian package puts the units (bookworm's merged /usr makes them one directory).
pub const PACKAGED_UNIT_DIRS: &[&str] = &["/usr/lib/systemd/system", "/lib/systemd/system"];

/// The files, path, content and mode, in the order they are installed.
pub const FILES: &[(&str, &str, u32)] = &[
    (
        APT_SNIPPET_PATH,
        include_str!("../../hooks/apt/80jitsi-custom"),
        0o644,
    ),
    (
        SERVICE_PATH,
        include_str!("../../hooks/systemd/jitsi-custom-upgrade.service"),
        0o644,
    ),
    (
        TIMER_PATH,
        include_str!("../../hooks/systemd/jitsi-custom-upgrade.timer"),
        0o644,
    ),
    (MOTD_PATH, include_str!("../../hooks/motd/90-jitsi-custom"), 0o755),
];

/// Whether the hook and the timer are in place under a root.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HookStatus {
    /// The apt.conf.d snippet exists.
    pub apt: bool,
    /// The timer is enabled (its `timers.target.wants` link exists).
    pub timer: bool,
}

/// Looks whether the hook files are there (without reading them).
pub fn hook_status(root: &Path) -> HookStatus {
    let exists = |p: &str| {
        InstallPath::parse(p)
            .map(|p| std::fs::symlink_metadata(p.under(root)).is_ok())
            .unwrap_or(false)
    };
    HookStatus {
        apt: exists(APT_SNIPPET_PATH),
        timer: exists(TIMER_WANTS_PATH),
    }
}

/// What installing or removing did (or would do) to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Created,
    Updated,
    Unchanged,
    Removed,
    Absent,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub path: InstallPath,
    pub action: Action,
}

impl FileChange {
    pub fn changes_something(&self) -> bool {
        matches!(self.action, Action::Created | Action::Updated | Action::Removed)
    }
}

/// The copy of a unit the Debian package installed under the root, for a unit `install-hooks`
/// would put in /etc/systemd/system (`None` for other files, or without the package).
pub fn packaged_unit(root: &Path, etc_path: &str) -> Option<InstallPath> {
    if etc_path != SERVICE_PATH && etc_path != TIMER_PATH {
        return None;
    }
    let name = Path::new(etc_path).file_name()?.to_str()?;
    PACKAGED_UNIT_DIRS
        .iter()
        .filter_map(|dir| InstallPath::parse(&format!("{dir}/{name}")).ok())
        .find(|p| std::fs::symlink_metadata(p.under(root)).is_ok_and(|m| m.is_file() || m.is_symlink()))
}

/// Installs the snippet and the units (mode 0644, root-owned), atomically, never through a
/// symlink. A unit the Debian package installed is used as it is (no copy in /etc that would
/// hide the package's next version). Every target is checked before the first write, so a
/// refused one leaves all as they were. With `dry_run` nothing is written.
pub fn install(root: &Path, dry_run: bool) -> Result<Vec<FileChange>> {
    let mut plan = Vec::new();
    for (path, content, mode) in FILES {
        if let Some(packaged) = packaged_unit(root, path) {
            plan.push((
                FileChange {
                    path: packaged,
                    action: Action::Unchanged,
                },
                *content,
                *mode,
            ));
            continue;
        }
        let path = InstallPath::parse(path)?;
        let action = match livefs::read(root, &path).map_err(|e| refused(&path, e))? {
            None => Action::Created,
            Some(old) if old == content.as_bytes() && mode_of(root, &path)? == Some(*mode) => {
                Action::Unchanged
            }
            Some(_) => Action::Updated,
        };
        plan.push((FileChange { path, action }, *content, *mode));
    }
    if !dry_run {
        for (change, content, mode) in &plan {
            if change.changes_something() {
                let meta = FileMeta {
                    mode: *mode,
                    ..FileMeta::default()
                };
                livefs::write_atomic(root, &change.path, content.as_bytes(), meta)
                    .map_err(|e| refused(&change.path, e))?;
            }
        }
    }
    Ok(plan.into_iter().map(|(c, _, _)| c).collect())
}

/// Creates the timer's `timers.target.wants` link, as `systemctl enable` does for a root
/// systemd does not run (an image, a chroot, a sandbox).
pub fn link_timer(root: &Path, dry_run: bool) -> Result<FileChange> {
    let path = InstallPath::parse(TIMER_WANTS_PATH)?;
    let target = packaged_unit(root, TIMER_PATH)
        .map_or_else(|| std::path::PathBuf::from(TIMER_PATH), |p| p.to_string().into());
    let target = target.as_path();
    let action = match livefs::read_link(root, &path).map_err(|e| refused(&path, e))? {
        Some(old) if old == target => Action::Unchanged,
        Some(_) => Action::Updated,
        None => Action::Created,
    };
    if !dry_run && action != Action::Unchanged {
        livefs::symlink_atomic(root, &path, target).map_err(|e| refused(&path, e))?;
    }
    Ok(FileChange { path, action })
}

/// Removes exactly the installed files and the timer link; missing ones are fine.
pub fn uninstall(root: &Path, dry_run: bool) -> Result<Vec<FileChange>> {
    let mut paths: Vec<&str> = vec![TIMER_WANTS_PATH];
    paths.extend(FILES.iter().map(|(p, _, _)| *p));
    let mut plan = Vec::new();
    for path in paths {
        let path = InstallPath::parse(path)?;
        let present = match livefs::read_link(root, &path) {
            Ok(Some(_)) => true,
            Ok(None) => livefs::stamp(root, &path)
                .map_err(|e| refused(&path, e))?
                .is_some(),
            Err(e) => return Err(refused(&path, e)),
        };
        plan.push(FileChange {
            path,
            action: if present { Action::Removed } else { Action::Absent },
        });
    }
    if !dry_run {
        for change in &plan {
            if change.action == Action::Removed {
                livefs::remove(root, &change.path).map_err(|e| refused(&change.path, e))?;
            }
        }
    }
    Ok(plan)
}

fn mode_of(root: &Path, path: &InstallPath) -> Result<Option<u32>> {
    Ok(livefs::stamp(root, path)
        .map_err(|e| refused(path, e))?
        .map(|(_, meta)| meta.mode))
}

fn refused(path: &InstallPath, problem: PathProblem) -> anyhow::Error {
    match problem {
        PathProblem::Symlink => crate::Error::BadPath {
            path: path.to_string(),
            reason: tr!(
                "is a symbolic link or lies below one; refusing to write through it\nhint: replace the link with a real directory or file"
            ),
        }
        .into(),
        other => path_error(path, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apt_snippet_guards_every_line_and_keys_the_protocol_on_the_first_word() {
        let snippet = FILES[0].1;
        assert_eq!(FILES[0].2, 0o644);
        let commands: Vec<&str> = snippet
            .lines()
            .filter(|l| l.starts_with("DPkg::") && l.contains('{'))
            .collect();
        assert_eq!(commands.len(), 3, "{snippet}");
        for line in &commands {
            assert!(line.contains("|| true"), "{line}");
        }
        let pre_install = commands
            .iter()
            .find(|l| l.starts_with("DPkg::Pre-Install-Pkgs"))
            .unwrap();
        let command = pre_install.split('"').nth(1).unwrap();
        let first_word = command.split(' ').next().unwrap();
        assert!(
            snippet.contains(&format!("DPkg::Tools::Options::{first_word}::Version \"3\";")),
            "{snippet}"
        );
    }

    #[test]
    fn the_timer_opens_the_window_on_sunday_night() {
        let timer = FILES[2].1;
        assert!(timer.contains("OnCalendar=Sun *-*-* 03:00:00"));
        assert!(timer.contains("Persistent=true"));
        let service = FILES[1].1;
        assert!(service.contains("Type=oneshot"));
        assert!(service.contains("ExecStart=/usr/bin/jitsi-custom upgrade --non-interactive"));
    }

    #[test]
    fn the_login_message_is_an_executable_script_that_never_fails_a_login() {
        let (path, script, mode) = FILES[3];
        assert_eq!(path, MOTD_PATH);
        assert_eq!(mode, 0o755, "update-motd.d runs only executable files");
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains("status --brief"));
        assert!(script.trim_end().ends_with("exit 0"));
    }
}
