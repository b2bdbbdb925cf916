//! Whether the state dir and the manifest can be trusted. They steer what root's runs (the apt
//! hook above all) read and copy: a manifest somebody else could write might track `/etc/shadow`
//! and have it copied into the repository. So both must belong to the user running the tool and
//! must not be writable by group or others; anything else is refused before it is read.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::tr;
use anyhow::{Context, Result};

use crate::error::Error;

/// Refuses a state dir that is not the running user's own or that others may write.
pub fn check_state_dir(dir: &Path) -> Result<()> {
    let md = match std::fs::metadata(dir) {
        Ok(md) => md,
        // A missing state dir is reported where it matters ("not initialised").
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e)
                .with_context(|| tr!("cannot examine the state directory {dir}", dir = dir.display()));
        }
    };
    check(dir, &md, Checked::StateDir)
}

/// Refuses a manifest (given its metadata, from the open file) that is not the running user's
/// own or that others may write.
pub fn check_manifest(path: &Path, md: &std::fs::Metadata) -> Result<()> {
    check(path, md, Checked::Manifest)
}

/// What is checked, for the messages.
#[derive(Clone, Copy)]
enum Checked {
    StateDir,
    Manifest,
}

fn check(path: &Path, md: &std::fs::Metadata, what: Checked) -> Result<()> {
    let me = rustix::process::geteuid().as_raw();
    if md.uid() != me {
        let (uid, user) = (md.uid(), user_name(me));
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            problem: match what {
                Checked::StateDir => tr!("state directory is owned by uid {uid}, not by {user}", uid, user),
                Checked::Manifest => tr!("manifest is owned by uid {uid}, not by {user}", uid, user),
            },
            hint: format!("chown {} {}", owner_arg(me), path.display()),
        }
        .into());
    }
    let mode = md.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            problem: match what {
                Checked::StateDir => tr!(
                    "state directory is writable by group or others (mode {mode})",
                    mode = format!("{mode:04o}")
                ),
                Checked::Manifest => tr!(
                    "manifest is writable by group or others (mode {mode})",
                    mode = format!("{mode:04o}")
                ),
            },
            hint: format!("chmod go-w {}", path.display()),
        }
        .into());
    }
    Ok(())
}

/// The owner as `chown` takes it.
fn owner_arg(uid: u32) -> String {
    if uid == 0 { "root".into() } else { uid.to_string() }
}

fn user_name(uid: u32) -> String {
    if uid == 0 {
        "root".into()
    } else {
        format!("uid {uid}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_private_dir_passes_and_a_shared_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        check_state_dir(dir.path()).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o775)).unwrap();
        let err = check_state_dir(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("writable by group or others (mode 0775)"), "{text}");
        assert!(
            text.ends_with(&format!("hint: chmod go-w {}", dir.path().display())),
            "{text}"
        );
        check_state_dir(&dir.path().join("missing")).unwrap();
    }
}
