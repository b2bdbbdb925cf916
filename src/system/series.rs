//! A directory of patch files that people carry between machines (`export` / `import`): read
//! within a size limit and without following links, written whole or not at all.
//!
//! Writing: into a fresh directory beside the target, then renamed into place, so a failed export
//! leaves no half series. Over an existing series (`--force`), the new files are moved in and
//! the list (`series`) is renamed in last: a directory whose list exists holds a whole series.

use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::fs::PathProblem;

/// Reads a regular file, refusing a symlink, anything else that is not a regular file, and a
/// file larger than `limit` (checked before and while reading).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, PathProblem> {
    let md = std::fs::symlink_metadata(path)?;
    if md.file_type().is_symlink() {
        return Err(PathProblem::Symlink);
    }
    if !md.is_file() {
        return Err(PathProblem::NotAFile);
    }
    if md.len() > limit {
        return Err(PathProblem::TooLarge {
            size: md.len(),
            limit,
        });
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32 | rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let mut content = Vec::with_capacity(md.len() as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut content)?;
    if content.len() as u64 > limit {
        return Err(PathProblem::TooLarge {
            size: content.len() as u64,
            limit,
        });
    }
    Ok(content)
}

/// Whether `dir` is missing or an empty directory (what `export` writes into without `--force`).
pub fn is_missing_or_empty(dir: &Path) -> io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Puts `files` (names in the directory, contents) into `dir`, with `last` written after all
/// the others. A missing or empty `dir` is replaced as a whole (a temp directory beside it,
/// renamed). Into an existing one, `stale` (the files of the series it held before) are removed
/// first, then the new files are moved in and `last` renamed in at the end. Nothing is left
/// beside `dir` when it fails.
pub fn write_series(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    last: &(String, Vec<u8>),
    stale: &[String],
) -> io::Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "series".into());
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.jitsi-custom-{}-", std::process::id()))
        .tempdir_in(&parent)?;
    for (file, content) in files.iter().chain(std::iter::once(last)) {
        let path = temp.path().join(file);
        if let Some(sub) = path.parent() {
            std::fs::create_dir_all(sub)?;
        }
        let mut out = std::fs::File::create(&path)?;
        out.write_all(content)?;
        out.sync_all()?;
    }
    if is_missing_or_empty(dir)? {
        if dir.exists() {
            std::fs::remove_dir(dir)?;
        }
        let kept = temp.keep();
        if let Err(e) = std::fs::rename(&kept, dir) {
            let _ = std::fs::remove_dir_all(&kept);
            return Err(e);
        }
        sync_dir(&parent);
        return Ok(());
    }
    let old_list = dir.join(&last.0);
    match std::fs::remove_file(&old_list) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    sync_dir(dir);
    for file in stale {
        match std::fs::remove_file(dir.join(file)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    for (file, _) in files.iter().chain(std::iter::once(last)) {
        let target = dir.join(file);
        if let Some(sub) = target.parent() {
            std::fs::create_dir_all(sub)?;
        }
        std::fs::rename(temp.path().join(file), target)?;
    }
    sync_dir(dir);
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_series_appears_whole_and_leaves_nothing_beside() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("out");
        let files = vec![("0001-a.patch".to_string(), b"a".to_vec())];
        write_series(&dir, &files, &("series".into(), b"0001-a.patch\n".to_vec()), &[]).unwrap();
        assert_eq!(names(&dir), ["0001-a.patch", "series"]);
        assert_eq!(names(top.path()), ["out"]);
    }

    #[test]
    fn over_an_old_series_its_files_go_and_others_stay() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("README"), "mine").unwrap();
        std::fs::write(dir.join("0001-old.patch"), "old").unwrap();
        std::fs::write(dir.join("series"), "0001-old.patch\n").unwrap();
        let files = vec![("0001-new.patch".to_string(), b"new".to_vec())];
        let stale = vec!["0001-old.patch".to_string()];
        write_series(
            &dir,
            &files,
            &("series".into(), b"0001-new.patch\n".to_vec()),
            &stale,
        )
        .unwrap();
        assert_eq!(names(&dir), ["0001-new.patch", "README", "series"]);
        assert_eq!(std::fs::read(dir.join("series")).unwrap(), b"0001-new.patch\n");
        assert_eq!(names(top.path()), ["out"]);
    }

    #[test]
    fn reading_refuses_links_and_large_files() {
        let top = tempfile::tempdir().unwrap();
        std::fs::write(top.path().join("big"), vec![b'x'; 100]).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", top.path().join("link")).unwrap();
        assert!(matches!(
            read_bounded(&top.path().join("big"), 99),
            Err(PathProblem::TooLarge { .. })
        ));
        assert_eq!(read_bounded(&top.path().join("big"), 100).unwrap().len(), 100);
        assert!(matches!(
            read_bounded(&top.path().join("link"), 1000),
            Err(PathProblem::Symlink)
        ));
        assert!(matches!(
            read_bounded(top.path(), 1000),
            Err(PathProblem::NotAFile)
        ));
    }
}
