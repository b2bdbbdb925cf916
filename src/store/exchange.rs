//! The patch stack as patch files, out and back in (`export` / `import`): each customisation as a
//! `git format-patch` style mail (its name on the `Subject:` line, the diff against the
//! customisation below it, binary files in git's binary patch format), and such a file parsed and
//! applied onto a tree by libgit2, never by a parser of our own.
//!
//! Importing must be able to refuse without writing anything, while libgit2 stores a blob for
//! every file it patches: a [`Scratch`] is a second handle on the repository whose new objects
//! stay in memory, so the whole series is tried there first.

use std::path::Path;

use crate::tr;
use anyhow::{Context, Result};
use git2::{ApplyOptions, Diff, DiffOptions, Email, EmailCreateOptions, Oid, Repository};

use super::Store;
use super::stack::Patch;
use super::upstream::META_DIR;

/// One customisation as a patch file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedPatch {
    pub name: String,
    /// Root-relative paths it changes.
    pub paths: Vec<String>,
    /// The mail: header, diffstat, the diff (`git apply` / `patch -p1` in the root).
    pub text: Vec<u8>,
}

/// The diff between two trees as the patch files show it: binary content in git's binary patch
/// format, full object ids (which `git apply` needs for binary patches).
fn patch_options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.show_binary(true).id_abbrev(40).context_lines(3);
    opts
}

impl Store {
    /// Every customisation of the stack, oldest first, as a patch file against the one below it
    /// (the first against upstream), so that the files applied in order rebuild the stack.
    pub fn export_patches(&self) -> Result<Vec<ExportedPatch>> {
        let patches = self.patches()?;
        let count = patches.len();
        let mut out = Vec::with_capacity(count);
        for (index, patch) in patches.iter().enumerate() {
            out.push(self.export_patch(patch, index + 1, count)?);
        }
        Ok(out)
    }

    fn export_patch(&self, patch: &Patch, number: usize, count: usize) -> Result<ExportedPatch> {
        let commit = self.repo.find_commit(patch.id)?;
        let parent = commit.parent(0).with_context(|| {
            tr!(
                "customisation {name} has no parent",
                name = format!("{:?}", patch.name)
            )
        })?;
        let diff = self.repo.diff_tree_to_tree(
            Some(&parent.tree()?),
            Some(&commit.tree()?),
            Some(&mut patch_options()),
        )?;
        if let Some(meta) = diff
            .deltas()
            .filter_map(|d| d.new_file().path().or_else(|| d.old_file().path()))
            .find(|p| p.starts_with(META_DIR))
        {
            return Err(crate::error::Error::NeedsRepair(tr!(
                "the customisation {name} changes the store's own {path}",
                name = format!("{:?}", patch.name),
                path = meta.display()
            ))
            .into());
        }
        let mut opts = EmailCreateOptions::new();
        opts.always_number(true);
        let email = Email::from_diff(
            &diff,
            number,
            count,
            &patch.id,
            patch.name.as_str(),
            "",
            &commit.author(),
            &mut opts,
        )
        .with_context(|| {
            tr!(
                "cannot write the customisation {name} as a patch",
                name = format!("{:?}", patch.name)
            )
        })?;
        Ok(ExportedPatch {
            name: patch.name.clone(),
            paths: patch.paths.clone(),
            text: email.as_slice().to_vec(),
        })
    }

    /// A second handle on the repository for trying patches: it reads the store's objects and
    /// keeps the ones it makes in memory.
    pub fn scratch(&self) -> Result<Scratch> {
        let repo = Repository::open_bare(self.repo.path())
            .with_context(|| tr!("cannot open {path}", path = self.repo.path().display()))?;
        repo.odb()
            .and_then(|odb| odb.add_new_mempack_backend(1000).map(|_| ()))
            .with_context(|| tr!("cannot keep trial objects in memory"))?;
        Ok(Scratch { repo })
    }
}

/// One change of a parsed patch file, as libgit2 read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchDelta {
    /// The path before (`None`: the patch creates the file).
    pub old_path: Option<String>,
    /// The path after (`None`: the patch deletes the file).
    pub new_path: Option<String>,
}

/// A patch file parsed by libgit2.
pub struct PatchFile {
    diff: Diff<'static>,
    /// What the `Subject:` line names (without git's `[PATCH n/m]`), if it has one.
    pub subject: Option<String>,
    pub deltas: Vec<PatchDelta>,
}

impl PatchFile {
    /// Parses a patch file (a `git format-patch` mail, or a bare `git diff` with a description
    /// above it); the error says why it is not one, in English (it goes into `--json`;
    /// [`crate::i18n::shown`] gives it for a person).
    pub fn parse(text: &[u8]) -> Result<PatchFile, String> {
        let diff = Diff::from_buffer(text)
            .map_err(|e| crate::english!("does not parse as a patch: {error}", error = e.message()))?;
        // Modes are checked on the applied result ([`Scratch::apply`]): git2 panics when asked
        // for a mode git does not know (a device), which a hostile patch may well name.
        let deltas: Vec<PatchDelta> = diff
            .deltas()
            .map(|delta| {
                let path = |file: git2::DiffFile<'_>| {
                    file.path_bytes().map(|p| String::from_utf8_lossy(p).into_owned())
                };
                let (old, new) = match delta.status() {
                    git2::Delta::Added => (None, path(delta.new_file())),
                    git2::Delta::Deleted => (path(delta.old_file()), None),
                    _ => (path(delta.old_file()), path(delta.new_file())),
                };
                PatchDelta {
                    old_path: old,
                    new_path: new,
                }
            })
            .collect();
        if deltas.is_empty() {
            return Err(crate::english!("holds no change"));
        }
        Ok(PatchFile {
            diff,
            subject: subject_of(text),
            deltas,
        })
    }
}

/// The customisation's name a `Subject:` line carries: what follows `Subject: ` and the `[PATCH …]`
/// that `git format-patch` (and [`Store::export_patches`]) put before it, byte for byte; a line
/// `git format-patch` folded is unfolded. Only the mail header (the lines up to the first empty
/// one) is looked at.
fn subject_of(text: &[u8]) -> Option<String> {
    let mut lines = text.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() || line.starts_with(b"diff --git ") || line.starts_with(b"--- ") {
            return None;
        }
        let Some(subject) = line.strip_prefix(b"Subject: ") else {
            continue;
        };
        let mut subject = subject.to_vec();
        while let Some(next) = lines.next_if(|l| l.starts_with(b" ") || l.starts_with(b"\t")) {
            subject.extend_from_slice(next);
        }
        let subject = String::from_utf8_lossy(&subject).into_owned();
        let name = match subject
            .strip_prefix("[PATCH")
            .and_then(|rest| rest.split_once(']'))
        {
            Some((_, name)) => name.strip_prefix(' ').unwrap_or(name).to_string(),
            None => subject,
        };
        return Some(name);
    }
    None
}

/// What trying a patch on a tree came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The tree with the patch applied.
    Tree(Oid),
    /// libgit2's word for why it does not apply.
    DoesNotApply(String),
    /// The patch makes something other than a regular file: `mode` is git's (0o120000 a
    /// symlink, 0o100755 an executable); `None` for one git has no name for (a device).
    NotARegularFile { path: String, mode: Option<u32> },
}

/// A handle on the store's repository whose new objects stay in memory ([`Store::scratch`]).
pub struct Scratch {
    repo: Repository,
}

impl Scratch {
    /// The tree of a commit.
    pub fn tree_of(&self, commit: Oid) -> Result<Oid> {
        Ok(self.repo.find_commit(commit)?.tree_id())
    }

    /// A tree with some files set (`Some`) or removed (`None`).
    pub fn tree_with(&self, tree: Oid, changes: &[(&str, Option<&[u8]>)]) -> Result<Oid> {
        super::update_tree(&self.repo, &self.repo.find_tree(tree)?, changes)
    }

    /// The tree with the patch applied, or why it does not apply. Every file of the result must
    /// be a regular file (the store keeps nothing else): a patch that makes a symlink, a device or
    /// an executable is refused here.
    pub fn apply(&self, tree: Oid, patch: &PatchFile) -> Result<Applied> {
        apply_in(&self.repo, tree, patch)
    }

    /// The content of a path in a tree, if present.
    pub fn content(&self, tree: Oid, path: &str) -> Result<Option<Vec<u8>>> {
        let tree = self.repo.find_tree(tree)?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
                Ok(Some(self.repo.find_blob(entry.id())?.content().to_vec()))
            }
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl Store {
    /// [`Scratch::apply`] in the store itself: the result's objects are the store's (a dry
    /// run's stay in memory). For series already checked, such as a pulled one.
    pub fn apply_patch(&self, tree: Oid, patch: &PatchFile) -> Result<Applied> {
        apply_in(&self.repo, tree, patch)
    }
}

/// The tree with the patch applied in `repo`; see [`Scratch::apply`].
fn apply_in(repo: &Repository, tree: Oid, patch: &PatchFile) -> Result<Applied> {
    let base = repo.find_tree(tree)?;
    let mut index = match repo.apply_to_tree(&base, &patch.diff, Some(&mut ApplyOptions::new())) {
        Ok(index) => index,
        // libgit2's word for a mode git has no name for (a device, a FIFO).
        Err(e) if e.message() == "invalid entry mode" => {
            return Ok(Applied::NotARegularFile {
                path: patch
                    .deltas
                    .iter()
                    .find_map(|d| d.new_path.clone())
                    .unwrap_or_default(),
                mode: None,
            });
        }
        Err(e) => return Ok(Applied::DoesNotApply(e.message().to_string())),
    };
    if let Some(entry) = index.iter().find(|e| e.mode != u32::from(git2::FileMode::Blob)) {
        return Ok(Applied::NotARegularFile {
            path: String::from_utf8_lossy(&entry.path).into_owned(),
            mode: Some(entry.mode),
        });
    }
    Ok(Applied::Tree(index.write_tree_to(repo)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstallPath;

    fn store_with_stack(dir: &Path) -> Store {
        let store = Store::create(dir, false).unwrap();
        let card = InstallPath::parse("/usr/share/jitsi-meet/static/card.html").unwrap();
        let logo = InstallPath::parse("/usr/share/jitsi-meet/images/logo.png").unwrap();
        let meta = super::super::upstream::UpstreamMeta::default();
        store
            .commit_upstream(&[(card.as_rel(), Some(b"<p>Jitsi</p>\n<p>two</p>\n"))], &meta)
            .unwrap();
        let upstream = store.upstream_tip().unwrap();
        store.set_ref(super::super::CUSTOM_REF, upstream, "test").unwrap();
        store
            .record_patch(
                "German [texts]: ä",
                &[(card.as_rel(), Some(b"<p>Praxis</p>\n<p>two</p>\n"))],
            )
            .unwrap();
        let png: Vec<u8> = (0u8..=255).chain([0, 0, 1, 2]).collect();
        store
            .record_patch("[PATCH] logo", &[(logo.as_rel(), Some(&png))])
            .unwrap();
        store
    }

    #[test]
    fn exported_patches_parse_and_apply_back_with_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_stack(dir.path());
        let exported = store.export_patches().unwrap();
        assert_eq!(exported.len(), 2);
        let text = String::from_utf8_lossy(&exported[0].text);
        assert!(
            text.contains("Subject: [PATCH 1/2] German [texts]: ä\n"),
            "{text}"
        );
        assert!(String::from_utf8_lossy(&exported[1].text).contains("GIT binary patch"));
        let scratch = store.scratch().unwrap();
        let mut tree = scratch.tree_of(store.upstream_tip().unwrap().unwrap()).unwrap();
        for (patch, original) in exported.iter().zip(store.patches().unwrap()) {
            let parsed = PatchFile::parse(&patch.text).unwrap();
            assert_eq!(parsed.subject.as_deref(), Some(original.name.as_str()));
            let Applied::Tree(next) = scratch.apply(tree, &parsed).unwrap() else {
                panic!("{} does not apply", patch.name)
            };
            tree = next;
            assert_eq!(tree, store.tree_of(original.id).unwrap());
        }
    }

    #[test]
    fn subjects_lose_only_the_patch_marker_and_are_unfolded() {
        let name = |text: &str| subject_of(text.as_bytes());
        assert_eq!(
            name("From: a\nSubject: [PATCH 2/9] [x] y: z\n\n"),
            Some("[x] y: z".into())
        );
        assert_eq!(
            name("Subject: [PATCH] [PATCH] logo\n"),
            Some("[PATCH] logo".into())
        );
        assert_eq!(name("Subject: plain\n"), Some("plain".into()));
        assert_eq!(
            name("Subject: [PATCH] a long\n  subject\n\n"),
            Some("a long  subject".into())
        );
        assert_eq!(name("From: a\n\nSubject: in the body\n"), None);
        assert_eq!(name("diff --git a/x b/x\n"), None);
    }

    #[test]
    fn symlinks_devices_and_paths_are_seen_before_anything_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_stack(dir.path());
        let scratch = store.scratch().unwrap();
        let tree = scratch.tree_of(store.custom_tip().unwrap().unwrap()).unwrap();
        for (text, path, expect) in [
            (&b"diff --git a/etc/x b/etc/x\nnew file mode 020644\nindex 0000000..257cc56\n--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1 @@\n+foo\n"[..], "etc/x", None),
            (&b"diff --git a/l b/l\nnew file mode 120000\nindex 0000000..257cc56\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc/shadow\n\\ No newline at end of file\n"[..], "l", Some(0o120000)),
        ] {
            let parsed = PatchFile::parse(text).unwrap();
            let applied = scratch.apply(tree, &parsed).unwrap();
            assert_eq!(
                applied,
                Applied::NotARegularFile {
                    path: path.to_string(),
                    mode: expect
                }
            );
        }
        // `..` is libgit2's to read and ours to refuse (engine::exchange); plain unified diffs
        // without git's header are not taken.
        let climbing = b"diff --git a/../etc/shadow b/../etc/shadow\n--- a/../etc/shadow\n+++ b/../etc/shadow\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(
            PatchFile::parse(climbing).unwrap().deltas[0].new_path.as_deref(),
            Some("../etc/shadow")
        );
        assert!(PatchFile::parse(b"--- a/etc/x\n+++ b/etc/x\n@@ -1 +1 @@\n-a\n+b\n").is_err());
    }
}
