//! Damaged objects in the store's repository. A loose object whose zlib stream is cut short (what
//! a power loss after an unsynced write leaves) makes libgit2 spin for ever: its inflate loop
//! takes zlib's "no progress possible" for "try again". Checking every object before every run
//! would cost more than the run, so [`watch`] starts a watchdog instead: when the main thread has
//! been running (or waiting only for a CPU) for several seconds in a row, the loose objects are
//! checked (inflated within the size their header gives, and hashed); a damaged one is handed to
//! the caller's handler, which reports it and ends the process. A run that is merely long finds
//! nothing and goes on; one waiting for a person or the disk sleeps and is never checked.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use git2::{ObjectType, Oid};

/// A damaged object file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    pub object: PathBuf,
    /// What is wrong with it (`is cut short`, …), in English: doctor's findings carry it into
    /// `--json`; [`crate::i18n::shown`] gives it for a person.
    pub reason: String,
}

/// How long the main thread must have been busy before the objects are checked.
const BUSY_SECONDS: u32 = 3;
/// After a check that found nothing, how long until the next one.
const RECHECK_SECONDS: u32 = 60;

/// Starts the watchdog for the repository at `repo` (once per process; later calls do nothing).
/// `on_damage` is called from the watchdog's thread and must end the process.
pub fn watch(repo: &Path, on_damage: impl Fn(Damage) + Send + 'static) {
    static STARTED: OnceLock<()> = OnceLock::new();
    if STARTED.set(()).is_err() {
        return;
    }
    let repo = repo.to_path_buf();
    let main = std::process::id();
    let spawned = std::thread::Builder::new()
        .name("store-watchdog".into())
        .spawn(move || {
            let mut busy_for = 0;
            let mut needed = BUSY_SECONDS;
            loop {
                // Busy: on a CPU or waiting for one at every look during a second. Waiting for
                // a person or for the disk is sleeping. (CPU time would not do: on a loaded
                // machine a spinning thread gets only its share.)
                let busy = (0..4).all(|_| {
                    std::thread::sleep(Duration::from_millis(250));
                    thread_state(main) == Some('R')
                });
                busy_for = if busy { busy_for + 1 } else { 0 };
                if busy_for >= needed {
                    if let Some(damage) = find_damaged_object(&repo) {
                        on_damage(damage);
                    }
                    busy_for = 0;
                    needed = RECHECK_SECONDS;
                }
            }
        });
    // Without a watchdog the run is as it was before; nothing to report.
    drop(spawned);
}

/// The scheduler state of the thread `tid` of this process (`R` running or runnable, `S`
/// sleeping, …), from `/proc`.
fn thread_state(tid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // The command name in parentheses may hold spaces; the state follows it.
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// The first damaged loose object of the repository at `repo`, if any.
pub fn find_damaged_object(repo: &Path) -> Option<Damage> {
    let objects = repo.join("objects");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&objects)
        .ok()?
        .flatten()
        .filter(|e| is_hex(&e.file_name().to_string_lossy(), 2))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let prefix = dir.file_name()?.to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let rest = entry.file_name().to_string_lossy().into_owned();
            if !is_hex(&rest, 38) {
                continue;
            }
            if let Err(reason) = check_loose_object(&entry.path(), &format!("{prefix}{rest}")) {
                return Some(Damage {
                    object: entry.path(),
                    reason,
                });
            }
        }
    }
    None
}

fn is_hex(name: &str, len: usize) -> bool {
    name.len() == len && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Inflates a loose object within the size its header gives and checks it against its name.
fn check_loose_object(path: &Path, name: &str) -> Result<(), String> {
    let compressed =
        std::fs::read(path).map_err(|e| crate::english!("cannot be read: {error}", error = e))?;
    let mut inflated = flate2::read::ZlibDecoder::new(compressed.as_slice());
    let cut_short = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            crate::english!("is cut short (its compressed data ends early)")
        } else {
            crate::english!("does not inflate: {error}", error = e)
        }
    };
    // The header: `<type> <size>\0`, at most a few dozen bytes.
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    while header.len() < 32 {
        inflated.read_exact(&mut byte).map_err(cut_short)?;
        if byte[0] == 0 {
            break;
        }
        header.push(byte[0]);
    }
    let header = String::from_utf8_lossy(&header).into_owned();
    let (kind, size) = header
        .split_once(' ')
        .and_then(|(kind, size)| Some((kind, size.parse::<u64>().ok()?)))
        .ok_or_else(|| crate::english!("has no object header ({header})", header = format!("{header:?}")))?;
    let kind = match kind {
        "blob" => ObjectType::Blob,
        "tree" => ObjectType::Tree,
        "commit" => ObjectType::Commit,
        "tag" => ObjectType::Tag,
        other => {
            return Err(crate::english!(
                "has an unknown object type {kind}",
                kind = format!("{other:?}")
            ));
        }
    };
    let mut body = Vec::new();
    inflated
        .take(size.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(cut_short)?;
    if (body.len() as u64) < size {
        return Err(crate::english!("is cut short (its compressed data ends early)"));
    }
    if body.len() as u64 > size {
        return Err(crate::english!("holds more than its header says"));
    }
    match Oid::hash_object(kind, &body) {
        Ok(oid) if oid.to_string() == name => Ok(()),
        Ok(_) => Err(crate::english!("does not match its name (its content changed)")),
        Err(e) => Err(crate::english!("cannot be hashed: {error}", error = e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_and_changed_objects_are_found_and_sound_ones_pass() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let sound = repo.blob(b"sound\n").unwrap();
        assert_eq!(find_damaged_object(dir.path()), None);
        let cut = repo.blob(&vec![b'x'; 4096]).unwrap();
        let file = |oid: Oid| {
            let hex = oid.to_string();
            dir.path().join("objects").join(&hex[..2]).join(&hex[2..])
        };
        let bytes = std::fs::read(file(cut)).unwrap();
        std::fs::remove_file(file(cut)).unwrap();
        std::fs::write(file(cut), &bytes[..bytes.len() - 6]).unwrap();
        let damage = find_damaged_object(dir.path()).unwrap();
        assert_eq!(damage.object, file(cut));
        assert!(damage.reason.contains("cut short"), "{damage:?}");
        std::fs::remove_file(file(cut)).unwrap();
        // A sound stream under the wrong name.
        std::fs::rename(file(sound), file(cut)).unwrap();
        let damage = find_damaged_object(dir.path()).unwrap();
        assert!(damage.reason.contains("does not match its name"), "{damage:?}");
    }
}
