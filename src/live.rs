//! The live tracked files as they are on disk under the root, hashed once per run (and not at all
//! when the stat cache says the file did not change).

use std::path::Path;

use anyhow::Result;
use git2::Oid;

use crate::InstallPath;
use crate::error::Error;
use crate::store::statcache::{Entry, StatCache};
use crate::system::fs::{self as livefs, FileMeta, PathProblem};
use crate::system::md5_hex;

/// A live file's identity without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// git blob id of the content.
    pub oid: Oid,
    pub md5: String,
    pub meta: FileMeta,
}

/// The git blob id of some content.
pub fn blob_oid(content: &[u8]) -> Oid {
    Oid::hash_object(git2::ObjectType::Blob, content).unwrap_or(Oid::ZERO_SHA1)
}

/// Turns a path problem into the one-line error the contract asks for: the path's own problems
/// are input errors, a failed write (a full disk) is a runtime failure.
pub fn path_error(path: &InstallPath, problem: PathProblem) -> anyhow::Error {
    let reason = match problem {
        PathProblem::Symlink => "is a symbolic link; jitsi-custom never follows links under the root\nhint: track the file the link points to".to_string(),
        PathProblem::NotAFile => "is not a regular file".to_string(),
        too_large @ PathProblem::TooLarge { .. } => format!(
            "{too_large}\nhint: if it is meant to be this large, raise `max_file_size` (in bytes) in the manifest"
        ),
        PathProblem::Io(e) => format!("cannot read: {e}"),
        PathProblem::Write(e) => {
            return Error::CannotWrite {
                path: path.to_string(),
                reason: write_failure(&e),
            }
            .into();
        }
    };
    Error::BadPath {
        path: path.to_string(),
        reason,
    }
    .into()
}

/// Why a write failed, in words, with what to do about it.
fn write_failure(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::StorageFull => {
            "no space left on its file system\nhint: free some space and run the command again".into()
        }
        std::io::ErrorKind::QuotaExceeded => {
            "the disk quota is used up\nhint: free some space and run the command again".into()
        }
        std::io::ErrorKind::ReadOnlyFilesystem => "its file system is mounted read-only".into(),
        _ => e.to_string(),
    }
}

/// Reads a tracked live file; `None` when missing.
pub fn read(root: &Path, path: &InstallPath) -> Result<Option<Vec<u8>>> {
    livefs::read(root, path).map_err(|e| path_error(path, e))
}

/// Stats a live file and hashes it unless the cache already knows this exact stamp.
pub fn see(root: &Path, path: &InstallPath, cache: &mut StatCache) -> Result<Option<Seen>> {
    let Some((stamp, meta)) = livefs::stamp(root, path).map_err(|e| path_error(path, e))? else {
        return Ok(None);
    };
    if let Some(entry) = cache.lookup(path.as_rel(), &stamp)
        && let Ok(oid) = Oid::from_str(&entry.oid)
    {
        return Ok(Some(Seen {
            oid,
            md5: entry.md5.clone(),
            meta,
        }));
    }
    let Some(content) = read(root, path)? else {
        return Ok(None);
    };
    let seen = Seen {
        oid: blob_oid(&content),
        md5: md5_hex(&content),
        meta,
    };
    cache.insert(
        path.as_rel(),
        Entry {
            stamp,
            oid: seen.oid.to_string(),
            md5: seen.md5.clone(),
        },
    );
    Ok(Some(seen))
}

/// Every tracked file as it is live now, with mode and owner: what the operation log keeps.
pub fn snapshot(
    root: &Path,
    manifest: &crate::store::Manifest,
) -> Result<Vec<crate::store::oplog::LiveFile>> {
    manifest
        .files
        .iter()
        .map(|file| {
            let meta = livefs::stamp(root, &file.path)
                .map_err(|e| path_error(&file.path, e))?
                .map(|(_, meta)| meta)
                .unwrap_or_default();
            Ok(crate::store::oplog::LiveFile {
                path: file.path.clone(),
                content: read(root, &file.path)?,
                meta,
            })
        })
        .collect()
}
