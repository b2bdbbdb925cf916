//! The live tracked files as they are on disk under the root, hashed once per run (and not at all
//! when the stat cache says the file did not change).

use std::path::Path;

use anyhow::Result;

use crate::InstallPath;
use crate::store::Oid;
use crate::store::statcache::{Entry, StatCache};
use crate::system::fs::{self as livefs, FileMeta, path_error};
use crate::system::md5_hex;

/// A live file's identity without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// git blob id of the content.
    pub oid: Oid,
    pub md5: String,
    pub meta: FileMeta,
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
        oid: crate::store::blob_id_of(&content),
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
    // The docker variant's outputs (`custom-config.js`, the override) are put back with the
    // tracked files.
    manifest
        .files
        .iter()
        .map(|file| file.path.clone())
        .chain(crate::engine::docker::output_paths(manifest))
        .map(|path| {
            let meta = livefs::stamp(root, &path)
                .map_err(|e| path_error(&path, e))?
                .map(|(_, meta)| meta)
                .unwrap_or_default();
            Ok(crate::store::oplog::LiveFile {
                content: read(root, &path)?,
                path,
                meta,
            })
        })
        .collect()
}
