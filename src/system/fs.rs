//! Reading and writing live files under the root without ever following a symlink, and replacing
//! them atomically (temp file in the same directory, fsync, rename) with mode, owner and group kept.
//!
//! As root, following a symlink planted in a Jitsi directory could overwrite any file on the
//! system; every directory on the way is therefore opened with `O_NOFOLLOW` from the root down.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::tr;
use rustix::fs::{AtFlags, Mode, OFlags};

use crate::InstallPath;

/// The largest tracked file read when the manifest sets no `max_file_size`.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

/// The manifest's `max_file_size`, set when the manifest is loaded: live files and files in
/// package archives larger than this are refused rather than read (invariant 6).
static MAX_FILE_SIZE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(DEFAULT_MAX_FILE_SIZE);

pub fn set_max_file_size(bytes: u64) {
    MAX_FILE_SIZE.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

pub fn max_file_size() -> u64 {
    MAX_FILE_SIZE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Ownership and permissions of a live file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileMeta {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Default for FileMeta {
    fn default() -> Self {
        FileMeta {
            mode: 0o644,
            uid: 0,
            gid: 0,
        }
    }
}

/// What `stat` says about a live file: enough to tell whether it changed since last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub ino: u64,
    pub dev: u64,
}

impl Stamp {
    pub fn of(md: &std::fs::Metadata) -> Stamp {
        Stamp {
            size: md.size(),
            mtime_ns: md.mtime() as i128 * 1_000_000_000 + md.mtime_nsec() as i128,
            ctime_ns: md.ctime() as i128 * 1_000_000_000 + md.ctime_nsec() as i128,
            ino: md.ino(),
            dev: md.dev(),
        }
    }

    /// Whether a change made up to `window_ns` after `at_ns` could have left this stamp as it
    /// is (same size, same coarse timestamp tick): then the stamp cannot vouch for the content.
    pub fn is_racy(&self, at_ns: i128, window_ns: i128) -> bool {
        self.mtime_ns.max(self.ctime_ns) + window_ns > at_ns
    }
}

/// Why a live path cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PathProblem {
    Symlink,
    NotAFile,
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(#[from] io::Error),
    /// Writing failed (a full disk, a read-only file system): the machine's problem, not the
    /// input's.
    Write(io::Error),
}

/// English: the text goes into `--json` (scan's unchecked files); [`crate::i18n::shown`] gives it
/// for a person.
impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            PathProblem::Symlink => crate::english!(
                "is a symbolic link (or lies below one); jitsi-custom never follows links under the root"
            ),
            PathProblem::NotAFile => crate::english!("is not a regular file"),
            PathProblem::TooLarge { size, limit } => crate::english!(
                "is {size}, larger than the limit of {limit}",
                size = crate::system::human_size_english(*size),
                limit = crate::system::human_size_english(*limit)
            ),
            PathProblem::Io(e) => return write!(f, "{e}"),
            PathProblem::Write(e) => crate::english!("cannot write: {error}", error = e),
        };
        f.write_str(&text)
    }
}

impl PathProblem {
    /// Any I/O failure on the way becomes a write failure; the path's own problems stay.
    fn in_writing(self) -> PathProblem {
        match self {
            PathProblem::Io(e) => PathProblem::Write(e),
            other => other,
        }
    }
}

fn open_dir_nofollow(dir: &OwnedFd, name: &str) -> Result<OwnedFd, PathProblem> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => PathProblem::Symlink,
        other => PathProblem::Io(other.into()),
    })
}

/// Opens the directory holding `path`, walking down from `root` without following links. With
/// `create`, missing directories are made (mode 0755).
fn open_parent(root: &Path, path: &InstallPath, create: bool) -> Result<(OwnedFd, String), PathProblem> {
    let mut dir = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io::Error::from)?;
    let mut parts: Vec<&str> = path.as_rel().split('/').collect();
    let name = parts.pop().unwrap_or_default().to_string();
    for part in parts {
        dir = match open_dir_nofollow(&dir, part) {
            Err(PathProblem::Io(e)) if create && e.kind() == io::ErrorKind::NotFound => {
                rustix::fs::mkdirat(&dir, part, Mode::from_raw_mode(0o755)).map_err(io::Error::from)?;
                open_dir_nofollow(&dir, part)?
            }
            other => other?,
        };
    }
    Ok((dir, name))
}

/// Stat of a live file without following links; `None` when it does not exist.
pub fn stamp(root: &Path, path: &InstallPath) -> Result<Option<(Stamp, FileMeta)>, PathProblem> {
    let md = match std::fs::symlink_metadata(path.under(root)) {
        Ok(md) => md,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if md.file_type().is_symlink() {
        return Err(PathProblem::Symlink);
    }
    if !md.is_file() {
        return Err(PathProblem::NotAFile);
    }
    Ok(Some((
        Stamp::of(&md),
        FileMeta {
            mode: md.mode() & 0o7777,
            uid: md.uid(),
            gid: md.gid(),
        },
    )))
}

/// Reads a live file without following links anywhere on its way; `None` when it does not exist.
pub fn read(root: &Path, path: &InstallPath) -> Result<Option<Vec<u8>>, PathProblem> {
    let (dir, name) = match open_parent(root, path, false) {
        Ok(found) => found,
        Err(PathProblem::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let fd = match rustix::fs::openat(
        &dir,
        name.as_str(),
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(rustix::io::Errno::LOOP) => return Err(PathProblem::Symlink),
        Err(e) => return Err(PathProblem::Io(e.into())),
    };
    let file = std::fs::File::from(fd);
    let md = file.metadata()?;
    if !md.is_file() {
        return Err(PathProblem::NotAFile);
    }
    read_open_file(file, md.len(), max_file_size()).map(Some)
}

/// Reads an open regular file of `size` bytes, refusing it past `limit`: before reading, and
/// while reading, since the file may grow meanwhile.
pub(crate) fn read_open_file(file: std::fs::File, size: u64, limit: u64) -> Result<Vec<u8>, PathProblem> {
    if size > limit {
        return Err(PathProblem::TooLarge { size, limit });
    }
    let mut content = Vec::with_capacity(size as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut content)?;
    if content.len() as u64 > limit {
        return Err(PathProblem::TooLarge {
            size: content.len() as u64,
            limit,
        });
    }
    Ok(content)
}

/// Whether a directory exists under the root, reached without following any link on the way
/// or at its end ([`PathProblem::Symlink`] when a link is there).
pub fn is_dir_nofollow(root: &Path, path: &InstallPath) -> Result<bool, PathProblem> {
    let (dir, name) = match open_parent(root, path, false) {
        Ok(found) => found,
        Err(PathProblem::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match rustix::fs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => match rustix::fs::FileType::from_raw_mode(st.st_mode) {
            rustix::fs::FileType::Directory => Ok(true),
            rustix::fs::FileType::Symlink => Err(PathProblem::Symlink),
            _ => Err(PathProblem::NotAFile),
        },
        Err(rustix::io::Errno::NOENT) => Ok(false),
        Err(e) => Err(PathProblem::Io(e.into())),
    }
}

/// The hex md5 of a live file, read in pieces (any size, little memory); `None` when it does not
/// exist. The file itself is never followed when it is a link ([`PathProblem::Symlink`]); links
/// on the way to it are resolved as if the root were `/` (`openat2` with `RESOLVE_IN_ROOT`, as
/// in a chroot: `/lib` → `usr/lib` stays inside the root, nothing leads out of it). Where the
/// kernel lacks `openat2`, no link on the way is followed at all.
pub fn md5_of(root: &Path, path: &InstallPath) -> Result<Option<String>, PathProblem> {
    use md5::Digest;
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let root_dir = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io::Error::from)?;
    let resolve = rustix::fs::ResolveFlags::IN_ROOT | rustix::fs::ResolveFlags::NO_MAGICLINKS;
    let opened = match rustix::fs::openat2(&root_dir, path.as_rel(), flags, Mode::empty(), resolve) {
        Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => match open_parent(root, path, false) {
            Ok((dir, name)) => rustix::fs::openat(&dir, name.as_str(), flags, Mode::empty()),
            Err(PathProblem::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        },
        other => other,
    };
    let fd = match opened {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(rustix::io::Errno::LOOP) => return Err(PathProblem::Symlink),
        Err(rustix::io::Errno::NOTDIR) => return Err(PathProblem::NotAFile),
        Err(e) => return Err(PathProblem::Io(e.into())),
    };
    let mut file = std::fs::File::from(fd);
    if !file.metadata()?.is_file() {
        return Err(PathProblem::NotAFile);
    }
    let mut hasher = md5::Md5::new();
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Some(hex::encode(hasher.finalize())))
}

/// Replaces (or creates) a live file atomically. `meta` is applied to the new file; pass the old
/// file's to keep its mode, owner and group. Refuses to replace a symlink.
pub fn write_atomic(
    root: &Path,
    path: &InstallPath,
    content: &[u8],
    meta: FileMeta,
) -> Result<(), PathProblem> {
    replace_file(root, path, content, meta).map_err(PathProblem::in_writing)
}

fn replace_file(root: &Path, path: &InstallPath, content: &[u8], meta: FileMeta) -> Result<(), PathProblem> {
    let (dir, name) = open_parent(root, path, true)?;
    match rustix::fs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink => {
            return Err(PathProblem::Symlink);
        }
        Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile => {
            return Err(PathProblem::NotAFile);
        }
        _ => {}
    }
    let temp = temp_name(&name);
    let fd = rustix::fs::openat(
        &dir,
        temp.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .or_else(|e| {
        // A temp file left by a killed run of the same pid number: take it over.
        if e == rustix::io::Errno::EXIST {
            rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty())?;
            rustix::fs::openat(
                &dir,
                temp.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
        } else {
            Err(e)
        }
    })
    .map_err(io::Error::from)?;
    let result = (|| -> io::Result<()> {
        let mut file = std::fs::File::from(fd);
        file.write_all(content)?;
        if rustix::process::geteuid().is_root() {
            rustix::fs::fchown(
                &file,
                Some(rustix::fs::Uid::from_raw(meta.uid)),
                Some(rustix::fs::Gid::from_raw(meta.gid)),
            )?;
        }
        rustix::fs::fchmod(&file, Mode::from_raw_mode(meta.mode & 0o7777))?;
        file.sync_all()?;
        super::crash_point("fs::temp-file-written")?;
        rustix::fs::renameat(&dir, temp.as_str(), &dir, name.as_str())?;
        rustix::fs::fsync(&dir)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
        return Err(e.into());
    }
    Ok(())
}

/// The name of this process's temp file for `name`, recognisable as ours and as whose:
/// `.<name>.jitsi-custom-<pid>.tmp`.
fn temp_name(name: &str) -> String {
    format!(".{name}{TEMP_MARK}{}.tmp", std::process::id())
}

const TEMP_MARK: &str = ".jitsi-custom-";

/// The pid in the name of one of our temp files beside a live file.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = rest.rsplit_once(TEMP_MARK)?;
    pid.parse().ok()
}

/// Whether a process with this pid exists.
pub fn process_alive(pid: u32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid as i32) else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Removes our temp files that runs killed while writing left beside the given live files (a
/// temp file whose process still exists is left alone). Best effort: what cannot be removed now
/// is tried again by the next run. Returns the paths removed.
pub fn remove_stale_temp_files(root: &Path, beside: &[InstallPath]) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<&str> = beside
        .iter()
        .map(|p| p.as_rel().rsplit_once('/').map_or("", |(dir, _)| dir))
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut removed = Vec::new();
    for rel in dirs {
        // Any file of the directory will do to open it the safe way.
        let Some(path) = beside
            .iter()
            .find(|p| p.as_rel().rsplit_once('/').map_or("", |(d, _)| d) == rel)
        else {
            continue;
        };
        let Ok((dir, _)) = open_parent(root, path, false) else {
            continue;
        };
        let Ok(entries) = rustix::fs::Dir::read_from(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if temp_owner(&name).is_some_and(|pid| !process_alive(pid))
                && entry.file_type() == rustix::fs::FileType::RegularFile
                && rustix::fs::unlinkat(&dir, name.as_str(), AtFlags::empty()).is_ok()
            {
                removed.push(root.join(rel).join(&name));
            }
        }
    }
    removed
}

/// The target of a symlink under the root (its parents are not followed); `None` when the path
/// does not exist or is not a symlink.
pub fn read_link(root: &Path, path: &InstallPath) -> Result<Option<std::path::PathBuf>, PathProblem> {
    let (dir, name) = match open_parent(root, path, false) {
        Ok(found) => found,
        Err(PathProblem::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    match rustix::fs::readlinkat(&dir, name.as_str(), Vec::new()) {
        Ok(target) => {
            use std::os::unix::ffi::OsStringExt;
            Ok(Some(std::ffi::OsString::from_vec(target.into_bytes()).into()))
        }
        Err(rustix::io::Errno::NOENT | rustix::io::Errno::INVAL) => Ok(None),
        Err(e) => Err(PathProblem::Io(e.into())),
    }
}

/// Creates (or replaces) a symlink under the root atomically: a temporary link renamed over the
/// path. Directories on the way are never followed when they are links.
pub fn symlink_atomic(root: &Path, path: &InstallPath, target: &Path) -> Result<(), PathProblem> {
    replace_link(root, path, target).map_err(PathProblem::in_writing)
}

fn replace_link(root: &Path, path: &InstallPath, target: &Path) -> Result<(), PathProblem> {
    let (dir, name) = open_parent(root, path, true)?;
    let temp = temp_name(&name);
    let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
    rustix::fs::symlinkat(target, &dir, temp.as_str()).map_err(io::Error::from)?;
    if let Err(e) = rustix::fs::renameat(&dir, temp.as_str(), &dir, name.as_str()) {
        let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
        return Err(PathProblem::Io(e.into()));
    }
    rustix::fs::fsync(&dir).map_err(io::Error::from)?;
    Ok(())
}

/// Removes a live file (not following links). Missing is fine.
pub fn remove(root: &Path, path: &InstallPath) -> Result<(), PathProblem> {
    let (dir, name) = match open_parent(root, path, false) {
        Ok(found) => found,
        Err(PathProblem::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    match rustix::fs::unlinkat(&dir, name.as_str(), AtFlags::empty()) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => Err(PathProblem::Write(e.into())),
    }
}

/// Turns a path problem into the one-line error the contract asks for: the path's own problems
/// are input errors, a failed write (a full disk) is a runtime failure.
pub fn path_error(path: &InstallPath, problem: PathProblem) -> anyhow::Error {
    let reason = match problem {
        PathProblem::Symlink => tr!(
            "is a symbolic link; jitsi-custom never follows links under the root\nhint: track the file the link points to"
        ),
        PathProblem::NotAFile => tr!("is not a regular file"),
        PathProblem::TooLarge { size, limit } => tr!(
            "is {size}, larger than the limit of {limit}\nhint: if it is meant to be this large, raise `max_file_size` (in bytes) in the manifest",
            size = crate::system::human_size(size),
            limit = crate::system::human_size(limit)
        ),
        PathProblem::Io(e) => tr!("cannot read: {error}", error = e),
        PathProblem::Write(e) => {
            return crate::error::Error::CannotWrite {
                path: path.to_string(),
                reason: write_failure(&e),
            }
            .into();
        }
    };
    crate::error::Error::BadPath {
        path: path.to_string(),
        reason,
    }
    .into()
}

/// Why a write failed, in words, with what to do about it.
fn write_failure(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::StorageFull => {
            tr!("no space left on its file system\nhint: free some space and run the command again")
        }
        std::io::ErrorKind::QuotaExceeded => {
            tr!("the disk quota is used up\nhint: free some space and run the command again")
        }
        std::io::ErrorKind::ReadOnlyFilesystem => tr!("its file system is mounted read-only"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn p(s: &str) -> InstallPath {
        InstallPath::parse(s).unwrap()
    }

    #[test]
    fn write_keeps_the_given_mode_and_replaces_content() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc/x")).unwrap();
        std::fs::write(root.path().join("etc/x/a.conf"), "old").unwrap();
        let meta = FileMeta {
            mode: 0o640,
            uid: 0,
            gid: 0,
        };
        write_atomic(root.path(), &p("/etc/x/a.conf"), b"new", meta).unwrap();
        assert_eq!(std::fs::read(root.path().join("etc/x/a.conf")).unwrap(), b"new");
        let mode = std::fs::metadata(root.path().join("etc/x/a.conf"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
        let leftovers: Vec<_> = std::fs::read_dir(root.path().join("etc/x")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
    }

    #[test]
    fn symlinks_are_never_followed() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("shadow"), "secret").unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("shadow"), root.path().join("etc/link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("etc/dirlink")).unwrap();
        assert!(matches!(
            read(root.path(), &p("/etc/link")),
            Err(PathProblem::Symlink)
        ));
        assert!(matches!(
            read(root.path(), &p("/etc/dirlink/shadow")),
            Err(PathProblem::Symlink)
        ));
        assert!(matches!(
            write_atomic(root.path(), &p("/etc/link"), b"x", FileMeta::default()),
            Err(PathProblem::Symlink)
        ));
        assert!(matches!(
            write_atomic(root.path(), &p("/etc/dirlink/shadow"), b"x", FileMeta::default()),
            Err(PathProblem::Symlink)
        ));
        assert_eq!(std::fs::read(outside.path().join("shadow")).unwrap(), b"secret");
    }

    #[test]
    fn only_our_temp_files_of_ended_processes_are_removed() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc/x")).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = format!(".a.conf.jitsi-custom-{dead}.tmp");
        let ours_now = temp_name("a.conf");
        for name in [stale.as_str(), &ours_now, ".a.conf.swp", "a.conf"] {
            std::fs::write(root.path().join("etc/x").join(name), "x").unwrap();
        }
        let removed = remove_stale_temp_files(root.path(), &[p("/etc/x/a.conf"), p("/etc/x/b.conf")]);
        assert_eq!(removed, vec![root.path().join("etc/x").join(&stale)]);
        let mut left: Vec<String> = std::fs::read_dir(root.path().join("etc/x"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [ours_now.as_str(), ".a.conf.swp", "a.conf"]);
    }

    #[test]
    fn missing_files_read_as_none() {
        let root = tempfile::tempdir().unwrap();
        assert!(read(root.path(), &p("/etc/none/here")).unwrap().is_none());
        assert!(stamp(root.path(), &p("/etc/none")).unwrap().is_none());
    }

    #[test]
    fn md5_of_streams_and_never_follows_links() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("usr/share/x")).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(root.path().join("usr/share/x/big.bin"), &big).unwrap();
        assert_eq!(
            md5_of(root.path(), &p("/usr/share/x/big.bin")).unwrap(),
            Some(crate::system::md5_hex(&big))
        );
        std::fs::write(outside.path().join("f"), "outside").unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), root.path().join("usr/share/x/f")).unwrap();
        // A link on the way that stays inside the root is resolved there (usrmerge's /lib);
        // one pointing out of it is resolved inside the root too, and finds nothing there.
        std::os::unix::fs::symlink("share/x", root.path().join("usr/inside")).unwrap();
        assert_eq!(
            md5_of(root.path(), &p("/usr/inside/big.bin")).unwrap(),
            Some(crate::system::md5_hex(&big))
        );
        std::os::unix::fs::symlink(outside.path(), root.path().join("usr/share/link")).unwrap();
        assert!(!matches!(
            md5_of(root.path(), &p("/usr/share/link/f")),
            Ok(Some(_))
        ));
        assert!(matches!(
            md5_of(root.path(), &p("/usr/share/x/f")),
            Err(PathProblem::Symlink)
        ));
        assert!(matches!(
            md5_of(root.path(), &p("/usr/share/x")),
            Err(PathProblem::NotAFile)
        ));
        assert_eq!(md5_of(root.path(), &p("/usr/share/none")).unwrap(), None);
    }
}
