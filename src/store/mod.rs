//! The state directory and its git repository: the only code that uses git2 for storage.
//!
//! Layout of the state dir (mode 0700):
//! - `jitsi-custom.toml`: the manifest, hand-editable;
//! - `repo/`: a bare git repository with
//!   - `refs/heads/upstream`: pristine vendor content, one commit per observed upstream version,
//!     with `.jitsi-custom/upstream.toml` saying where each file came from and the package versions;
//!   - `refs/heads/custom`: the patch stack, one commit per named customisation on top of upstream;
//!   - `refs/jitsi-custom/oplog`: the operation log (see [`oplog`]);
//! - `lock`: held (flock) by the one writer;
//! - `stat-cache.json`: what `status` saw last time, to avoid re-hashing unchanged files.
//!
//! Trees hold files at their root-relative path (`usr/share/jitsi-meet/...`), so a diff between
//! two commits is directly a `patch -p1` for the root.

pub mod exchange;
pub mod integrity;
pub mod manifest;
pub mod oplog;
pub mod parked;
pub mod remote;
pub mod stack;
pub mod statcache;
pub mod transition;
pub mod trust;
pub mod upstream;

use std::cell::RefCell;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result};
/// The id of a stored object (a commit, a tree, a blob): the one git2 type the rest of the code
/// sees, as an opaque handle it passes back to the store.
pub use git2::Oid;
use git2::{Repository, Signature};

use crate::InstallPath;
use crate::error::Error;
pub use manifest::{DockerSetup, Manifest, TrackedFile};
pub use oplog::Refs;
pub use transition::Access;
use transition::{STATE_FILES, Staged};

pub const UPSTREAM_REF: &str = "refs/heads/upstream";
pub const CUSTOM_REF: &str = "refs/heads/custom";
pub const OPLOG_REF: &str = "refs/jitsi-custom/oplog";
/// `refs/jitsi-custom/synced/<remote>`: the shared stack (a commit of the remote's shared
/// branch) this stack was last pulled from or pushed as. It moves with the stack, in the same
/// operation, and `rollback` puts it back with the stack ([`remote`]).
pub const SYNCED_PREFIX: &str = "refs/jitsi-custom/synced/";

/// A content change to a tree: `Some(content)` sets the file, `None` removes it.
pub type Change<'a> = (&'a InstallPath, Option<&'a [u8]>);

pub struct Store {
    dir: PathBuf,
    repo: Repository,
    /// Held for the lifetime of a writing store; the kernel releases it if the process dies.
    _lock: Option<File>,
    /// Lock files of killed runs removed when the store was opened for writing.
    cleared: Vec<PathBuf>,
    /// Temp files of killed runs removed then.
    cleared_temps: Vec<PathBuf>,
    access: Access,
    /// What the operation being prepared changes, until [`Store::log_operation`] commits it.
    staged: RefCell<Staged>,
}

impl Store {
    /// Creates the state dir and its repository. An existing state is refused unless `force`, in
    /// which case it is moved aside to `<dir>.backup-<time>` first, never deleted.
    pub fn create(dir: &Path, force: bool) -> Result<Store> {
        if dir.join("repo").exists() || dir.join(manifest::FILE_NAME).exists() {
            if !force {
                return Err(Error::AlreadyInitialised(dir.to_path_buf()).into());
            }
            let lock = lock_state_dir(dir)?;
            let backup = PathBuf::from(format!("{}.backup-{}", dir.display(), now_secs()));
            drop(lock);
            std::fs::rename(dir, &backup)
                .with_context(|| tr!("cannot move the old state {dir} aside", dir = dir.display()))?;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| tr!("cannot create the state directory {dir}", dir = dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| tr!("cannot restrict {dir} to mode 0700", dir = dir.display()))?;
        // A directory somebody else made beforehand stays theirs whatever its mode.
        trust::check_state_dir(dir)?;
        let lock = lock_state_dir(dir)?;
        skip_rehashing_on_read();
        let repo = Repository::init_bare(dir.join("repo"))
            .with_context(|| tr!("cannot create the repository in {dir}", dir = dir.display()))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            repo,
            access: Access::Write,
            staged: RefCell::default(),
            _lock: Some(lock),
            cleared: Vec::new(),
            cleared_temps: Vec::new(),
        })
    }

    /// Opens an initialised state dir for reading. Readers take no lock: refs move atomically.
    pub fn open(dir: &Path) -> Result<Store> {
        trust::check_state_dir(dir)?;
        skip_rehashing_on_read();
        let repo_dir = dir.join("repo");
        if !repo_dir.is_dir() {
            return Err(Error::NotInitialised(dir.to_path_buf()).into());
        }
        let repo = Repository::open_bare(&repo_dir)
            .with_context(|| tr!("cannot open the repository {dir}", dir = repo_dir.display()))?;
        let store = Store {
            dir: dir.to_path_buf(),
            repo,
            _lock: None,
            cleared: Vec::new(),
            cleared_temps: Vec::new(),
            access: Access::Read,
            staged: RefCell::default(),
        };
        store.view_committed()?;
        Ok(store)
    }

    /// Opens the state dir for a dry run of a writing command: it prepares like a writer and
    /// writes nothing at all, not even objects (they go to memory). An interrupted operation is
    /// seen as committed, not finished.
    pub fn open_for_dry_run(dir: &Path) -> Result<Store> {
        let mut store = Store::open(dir)?;
        store
            .repo
            .odb()
            .and_then(|odb| odb.add_new_mempack_backend(1000).map(|_| ()))
            .with_context(|| tr!("cannot keep a dry run's objects in memory"))?;
        store.access = Access::DryRun;
        Ok(store)
    }

    pub fn access(&self) -> Access {
        self.access
    }

    /// Opens the state dir as its one writer. Lock files a killed run left in the repository
    /// are removed (see [`Store::cleared_locks`]).
    pub fn open_for_writing(dir: &Path) -> Result<Store> {
        if !dir.join("repo").is_dir() {
            return Err(Error::NotInitialised(dir.to_path_buf()).into());
        }
        let lock = lock_state_dir(dir)?;
        let cleared = clear_stale_git_locks(&dir.join("repo"))?;
        let mut store = Store::open(dir)?;
        // A writer finishes what an interrupted run committed instead of viewing it.
        store.staged = RefCell::default();
        store.access = Access::Write;
        store._lock = Some(lock);
        store.cleared = cleared;
        store.cleared_temps = clear_stale_temp_files(dir);
        Ok(store)
    }

    /// The lock files of killed runs that opening for writing removed.
    pub fn cleared_locks(&self) -> &[PathBuf] {
        &self.cleared
    }

    /// The temp files of killed runs that opening for writing removed.
    pub fn cleared_temp_files(&self) -> &[PathBuf] {
        &self.cleared_temps
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(manifest::FILE_NAME)
    }

    pub fn load_manifest(&self) -> Result<Manifest> {
        match self.staged_file(manifest::FILE_NAME) {
            Some(text) => {
                Manifest::parse(&String::from_utf8_lossy(&text), &self.manifest_path()).map_err(Into::into)
            }
            None => Manifest::load(&self.manifest_path()),
        }
    }

    /// Saves the manifest, editing the file in place so that the admin's comments stay.
    pub fn save_manifest(&self, manifest: &Manifest) -> Result<()> {
        let old = match self.staged_file(manifest::FILE_NAME) {
            Some(text) => Some(String::from_utf8_lossy(&text).into_owned()),
            None => std::fs::read_to_string(self.manifest_path()).ok(),
        };
        let text = match old {
            Some(old) => manifest.edited_toml(&old),
            None => manifest.to_toml(),
        };
        self.write_state_file(manifest::FILE_NAME, text.as_bytes())
    }

    /// A state file as the operation being prepared sees it (staged, else on disk).
    pub fn read_state_file(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        if let Some(content) = self.staged_file(name) {
            return Ok(Some(content));
        }
        match std::fs::read(self.dir.join(name)) {
            Ok(content) => Ok(Some(content)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes a file in the state dir. The manifest and the review list belong to the state an
    /// operation commits: a writer stages them ([`transition`]); other files are written at once.
    pub fn write_state_file(&self, name: &str, content: &[u8]) -> Result<()> {
        if self.access != Access::Read && STATE_FILES.contains(&name) {
            self.staged
                .borrow_mut()
                .files
                .insert(name.to_string(), content.to_vec());
            return Ok(());
        }
        self.write_state_file_now(name, content)
    }

    /// Writes a file in the state dir atomically (temp file, fsync, rename); nothing in a dry run.
    fn write_state_file_now(&self, name: &str, content: &[u8]) -> Result<()> {
        if self.access == Access::DryRun {
            return Ok(());
        }
        replace_state_file(&self.dir, Path::new(name), content, Durability::Synced)
    }

    /// The commit a ref points at, if the ref exists: for the branches, as the operation being
    /// prepared has moved them.
    pub fn ref_target(&self, name: &str) -> Result<Option<Oid>> {
        if let Some(target) = self.staged.borrow().refs.get(name) {
            return Ok(*target);
        }
        self.read_ref(name)
    }

    /// The commit a ref points at in the repository.
    fn read_ref(&self, name: &str) -> Result<Option<Oid>> {
        match self.repo.refname_to_id(name) {
            Ok(oid) => Ok(Some(oid)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| tr!("cannot read {name}", name)),
        }
    }

    /// Points a branch (or a synced marker, [`SYNCED_PREFIX`]) at a commit, or deletes it for
    /// `None`: staged by a writer until the operation commits ([`transition`]). Other refs move
    /// at once.
    pub fn set_ref(&self, name: &str, target: Option<Oid>, why: &str) -> Result<()> {
        let staged = name == UPSTREAM_REF || name == CUSTOM_REF || name.starts_with(SYNCED_PREFIX);
        if staged && self.access != Access::Read {
            self.staged.borrow_mut().refs.insert(name.to_string(), target);
            return Ok(());
        }
        self.set_ref_now(name, target, why)
    }

    /// Moves a ref in the repository; nothing in a dry run.
    fn set_ref_now(&self, name: &str, target: Option<Oid>, why: &str) -> Result<()> {
        if self.access == Access::DryRun {
            return Ok(());
        }
        match target {
            Some(oid) => {
                self.repo
                    .reference(name, oid, true, why)
                    .with_context(|| tr!("cannot update {name}", name))?;
            }
            None => {
                if let Ok(mut r) = self.repo.find_reference(name) {
                    r.delete().with_context(|| tr!("cannot delete {name}", name))?;
                }
            }
        }
        Ok(())
    }

    pub fn upstream_tip(&self) -> Result<Option<Oid>> {
        self.ref_target(UPSTREAM_REF)
    }

    pub fn custom_tip(&self) -> Result<Option<Oid>> {
        self.ref_target(CUSTOM_REF)
    }

    /// The blob id of a path in a commit's tree.
    pub fn blob_id(&self, commit: Oid, path: &str) -> Result<Option<Oid>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => Ok(Some(entry.id())),
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn read_blob(&self, id: Oid) -> Result<Vec<u8>> {
        Ok(self.repo.find_blob(id)?.content().to_vec())
    }

    /// The content of a path in a commit, if present.
    pub fn content_at(&self, commit: Oid, path: &str) -> Result<Option<Vec<u8>>> {
        self.blob_id(commit, path)?
            .map(|id| self.read_blob(id))
            .transpose()
    }

    /// A new tree: `base` (or the empty tree) with the changes applied.
    pub fn tree_with(&self, base: Option<Oid>, changes: &[(&str, Option<&[u8]>)]) -> Result<Oid> {
        let base_tree = match base {
            Some(commit) => self.repo.find_commit(commit)?.tree()?,
            None => {
                let empty = self.repo.treebuilder(None)?.write()?;
                self.repo.find_tree(empty)?
            }
        };
        update_tree(&self.repo, &base_tree, changes)
    }

    /// Writes a commit with the given tree and parents; no ref moves.
    pub fn commit(&self, tree: Oid, parents: &[Oid], message: &str) -> Result<Oid> {
        let sig = signature()?;
        let tree = self.repo.find_tree(tree)?;
        let parents: Vec<git2::Commit> = parents
            .iter()
            .map(|p| self.repo.find_commit(*p))
            .collect::<Result<_, _>>()?;
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        Ok(self.repo.commit(None, &sig, &sig, message, &tree, &parent_refs)?)
    }

    pub fn tree_of(&self, commit: Oid) -> Result<Oid> {
        Ok(self.repo.find_commit(commit)?.tree_id())
    }

    pub fn message_of(&self, commit: Oid) -> Result<String> {
        Ok(self.repo.find_commit(commit)?.message().unwrap_or("").to_string())
    }

    pub fn parent_of(&self, commit: Oid) -> Result<Option<Oid>> {
        Ok(self.repo.find_commit(commit)?.parent_ids().next())
    }

    /// Root-relative paths of the files the `upstream` and `custom` branches hold.
    pub fn files_held(&self) -> Result<std::collections::BTreeSet<String>> {
        let mut held = std::collections::BTreeSet::new();
        for tip in [self.upstream_tip()?, self.custom_tip()?].into_iter().flatten() {
            let tree = self.repo.find_commit(tip)?.tree()?;
            tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob)
                    && let Ok(name) = entry.name()
                {
                    let path = format!("{dir}{name}");
                    if !path.starts_with(upstream::META_DIR) {
                        held.insert(path);
                    }
                }
                git2::TreeWalkResult::Ok
            })?;
        }
        Ok(held)
    }

    /// Refuses a manifest that no longer lists every file the branches hold: an emptied or
    /// hand-trimmed manifest would otherwise read as "nothing tracked", and the next writer
    /// would drop those files' customisations. Listing more files than the store holds is fine
    /// (they are being tracked).
    pub fn check_manifest_covers(&self, manifest: &Manifest) -> Result<()> {
        let lost: Vec<String> = self
            .files_held()?
            .into_iter()
            .filter(|p| !manifest.files.iter().any(|f| f.path.as_rel() == p))
            .map(|p| format!("/{p}"))
            .collect();
        if lost.is_empty() {
            return Ok(());
        }
        let last_operation = self
            .ref_target(OPLOG_REF)?
            .map(|id| id.to_string()[..12].to_string());
        Err(Error::ManifestLostFiles {
            path: self.manifest_path(),
            lost,
            last_operation,
        }
        .into())
    }

    /// Paths whose blobs differ between two commits (either may be absent: the empty tree).
    pub fn changed_paths(&self, old: Option<Oid>, new: Option<Oid>) -> Result<Vec<String>> {
        let tree = |c: Option<Oid>| -> Result<Option<git2::Tree>> {
            c.map(|c| Ok(self.repo.find_commit(c)?.tree()?)).transpose()
        };
        let (old, new) = (tree(old)?, tree(new)?);
        let diff = self.repo.diff_tree_to_tree(old.as_ref(), new.as_ref(), None)?;
        let mut paths: Vec<String> = diff
            .deltas()
            .filter_map(|d| d.new_file().path().or_else(|| d.old_file().path()))
            .filter_map(|p| p.to_str().map(str::to_string))
            .filter(|p| !p.starts_with(upstream::META_DIR))
            .collect();
        paths.sort();
        paths.dedup();
        Ok(paths)
    }
}

/// libgit2 re-hashes every object it reads (with collision-detecting SHA-1) to check it against
/// its name; for a private repository only this tool writes, that is most of a rebase's CPU time.
fn skip_rehashing_on_read() {
    git2::opts::strict_hash_verification(false);
}

/// Takes the state dir's lock without waiting: a second writer gets a clear error at once. Held
/// until the file is dropped; [`Store::open_for_writing`] takes it, the apt hook's fast path
/// takes only the lock.
pub fn lock_state_dir(dir: &Path) -> Result<File> {
    trust::check_state_dir(dir)?;
    let path = dir.join("lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| tr!("cannot open the lock {path}", path = path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            return Err(Error::Locked {
                path: dir.to_path_buf(),
                holder,
            }
            .into());
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| tr!("cannot lock {path}", path = path.display()));
        }
    }
    file.set_len(0)?;
    write!(file, "pid {}", std::process::id())?;
    Ok(file)
}

/// Removes the `*.lock` files libgit2 leaves in the repository (`refs/**/<ref>.lock`,
/// `packed-refs.lock`, `index.lock`, `config.lock`, …) when a run is killed while it moves a ref.
/// Only a holder of the state dir's lock may call this: every jitsi-custom run that writes the
/// repository holds that lock for as long as it writes, so while we hold it, any such file is a
/// leftover of a process that is gone; left in place, it would refuse every later ref update.
/// Objects are written under temporary names and renamed, so `objects/` is not searched.
fn clear_stale_git_locks(repo: &Path) -> Result<Vec<PathBuf>> {
    let mut cleared = Vec::new();
    let walk = walkdir::WalkDir::new(repo)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() != 1 || e.file_name() != "objects");
    for entry in walk {
        let entry =
            entry.with_context(|| tr!("cannot look for stale locks in {dir}", dir = repo.display()))?;
        if entry.file_type().is_file() && entry.file_name().to_string_lossy().ends_with(".lock") {
            std::fs::remove_file(entry.path()).with_context(|| {
                tr!(
                    "cannot remove the stale lock {path}",
                    path = entry.path().display()
                )
            })?;
            cleared.push(entry.path().to_path_buf());
        }
    }
    cleared.sort();
    Ok(cleared)
}

/// Whether [`replace_state_file`] waits for the disk before the rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// fsync first: after a crash the file is the old or the new content, never empty.
    Synced,
    /// No fsync, for files whose loss only costs work (a cache, the hook's run record): an
    /// fsync is most of what a hook step costs when nothing changed.
    Relaxed,
}

/// The one way a file below the state dir is written: a marked temp file beside it (see
/// [`temp_file_in`]), renamed over it; missing directories are created private (0700).
pub fn replace_state_file(
    state_dir: &Path,
    relative: &Path,
    content: &[u8],
    durability: Durability,
) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let path = state_dir.join(relative);
    let dir = path.parent().unwrap_or(state_dir);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| tr!("cannot create {dir}", dir = dir.display()))?;
    let mut temp = temp_file_in(dir).with_context(|| tr!("cannot write in {dir}", dir = dir.display()))?;
    temp.write_all(content)?;
    if durability == Durability::Synced {
        temp.as_file().sync_all()?;
    }
    temp.persist(&path)
        .with_context(|| tr!("cannot replace {path}", path = path.display()))?;
    Ok(())
}

/// `base` with some files set (`Some`) or removed (`None`), written to `repo`.
fn update_tree(repo: &Repository, base: &git2::Tree, changes: &[(&str, Option<&[u8]>)]) -> Result<Oid> {
    let mut update = git2::build::TreeUpdateBuilder::new();
    for (path, content) in changes {
        match content {
            Some(bytes) => {
                let blob = repo.blob(bytes)?;
                update.upsert(*path, blob, git2::FileMode::Blob);
            }
            None => {
                if base.get_path(Path::new(path)).is_ok() {
                    update.remove(*path);
                }
            }
        }
    }
    Ok(update.create_updated(repo, base)?)
}

/// The id the store gives `content` as a file (git's blob id), without storing it: how a live
/// file is compared with stored content without reading the stored blob.
pub fn blob_id_of(content: &[u8]) -> Oid {
    Oid::hash_object(git2::ObjectType::Blob, content).unwrap_or(Oid::ZERO_SHA1)
}

/// A temp file in a directory of the state dir, named `.jitsi-custom-<pid>-XXXXXX.tmp`: ours and
/// whose, so that one a killed run left is recognised ([`clear_stale_temp_files`]).
pub fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
}

const TEMP_PREFIX: &str = ".jitsi-custom-";

/// The pid in the name of a temp file [`temp_file_in`] made.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(".tmp")?;
    rest.split_once('-')?.0.parse().ok()
}

/// Removes the temp files that runs killed while writing left in the state dir and its
/// directories (`pending-upstream/`; not the repository): ours whose process has ended, and at
/// the top the unmarked `.tmpXXXXXX` names earlier versions used (nothing else writes in a
/// private state dir). Best effort: what cannot be removed now is tried again next time.
fn clear_stale_temp_files(dir: &Path) -> Vec<PathBuf> {
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() != 1 || e.file_name() != "repo");
    let mut removed = Vec::new();
    for entry in walk.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let stale = match temp_owner(&name) {
            Some(pid) => !crate::system::fs::process_alive(pid),
            None => entry.depth() == 1 && name.len() == 10 && name.starts_with(".tmp"),
        };
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path().to_path_buf());
        }
    }
    removed.sort();
    removed
}

/// Commits are signed by the tool; `SOURCE_DATE_EPOCH` fixes their time so output repeats.
fn signature() -> Result<Signature<'static>> {
    let time = git2::Time::new(now_secs(), 0);
    Ok(Signature::new("jitsi-custom", "jitsi-custom@localhost", &time)?)
}

/// Seconds since the epoch; `SOURCE_DATE_EPOCH` overrides the clock (reproducible tests).
pub fn now_secs() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = Store::create(&state, false).unwrap();
        let err = Store::open_for_writing(&state).err().unwrap();
        assert!(
            matches!(err.downcast_ref::<Error>(), Some(Error::Locked { .. })),
            "{err:#}"
        );
        drop(first);
        Store::open_for_writing(&state).unwrap();
    }

    #[test]
    fn state_dir_is_private_and_reinit_needs_force() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        drop(Store::create(&state, false).unwrap());
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let err = Store::create(&state, false).err().unwrap();
        assert!(matches!(
            err.downcast_ref::<Error>(),
            Some(Error::AlreadyInitialised(_))
        ));
        drop(Store::create(&state, true).unwrap());
        let backups = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(backups, 2, "the old state is kept beside the new one");
    }

    #[test]
    fn trees_and_commits_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path(), false).unwrap();
        let p = InstallPath::parse("/etc/a/b.conf").unwrap();
        let tree = store.tree_with(None, &[(p.as_rel(), Some(b"x"))]).unwrap();
        let c1 = store.commit(tree, &[], "one").unwrap();
        assert_eq!(store.content_at(c1, p.as_rel()).unwrap().unwrap(), b"x");
        let tree = store.tree_with(Some(c1), &[(p.as_rel(), None)]).unwrap();
        let c2 = store.commit(tree, &[c1], "two").unwrap();
        assert_eq!(store.content_at(c2, p.as_rel()).unwrap(), None);
        assert_eq!(
            store.changed_paths(Some(c1), Some(c2)).unwrap(),
            vec!["etc/a/b.conf"]
        );
    }
}
