//! Remotes and the shared branch: how one customisation set travels between servers through git.
//!
//! A remote is a git remote in the store's repository config (`remote.<name>.url`). What travels
//! is one branch, `refs/heads/jitsi-custom/shared` on the remote, whose every commit's tree is a
//! shared stack (the series with `{placeholders}`, written by `engine::fleet`); never `upstream`,
//! `custom`, the operation log or a state file. Per remote the store keeps
//! - `refs/remotes/<name>/jitsi-custom/shared`: the remote's tip as last fetched;
//! - `refs/jitsi-custom/synced/<name>` ([`super::SYNCED_PREFIX`]): the shared commit this stack
//!   was last pulled from or pushed as, moved with the stack in one operation.
//!
//! Transports: local paths and `file://` (libgit2's own), ssh (the agent's keys) and https (git's
//! credential helpers, `credential.helper` in the git config). A dry run fetches into a
//! throw-away repository, so that the store gets no object and no ref.
//!
//! What a remote sends is untrusted: [`SharedTree`] reads a tree within bounds (regular files
//! only, each at most `max_file_size`, a bounded count) and the engine checks every path.

use std::collections::BTreeMap;

use crate::tr;
use anyhow::{Context, Result};
use git2::{Cred, CredentialType, FetchOptions, Oid, PushOptions, RemoteCallbacks, Repository};

use super::{SYNCED_PREFIX, Store};
use crate::error::Error;

/// The branch on the remote that holds the shared stack.
pub const SHARED_BRANCH: &str = "refs/heads/jitsi-custom/shared";

/// The most files a shared tree may hold.
const MAX_SHARED_FILES: usize = 2000;

/// A remote as the store's config names it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RemoteInfo {
    pub name: String,
    pub url: String,
}

/// The files of one shared commit, read within bounds.
#[derive(Clone, Debug, Default)]
pub struct SharedTree {
    pub commit: Option<Oid>,
    /// Its tree's id: two shared commits with the same tree hold the same stack.
    pub tree: Option<Oid>,
    /// Path in the tree → content.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Where the remote-tracking ref of a remote's shared branch is.
pub fn tracking_ref(remote: &str) -> String {
    format!("refs/remotes/{remote}/jitsi-custom/shared")
}

/// Where the synced marker of a remote is.
pub fn synced_ref(remote: &str) -> String {
    format!("{SYNCED_PREFIX}{remote}")
}

/// Credentials for a remote, tried a few times each: an ssh key from the agent, git's
/// credential helpers for https, else libgit2's default (Kerberos/NTLM).
fn callbacks<'a>(config: Option<git2::Config>) -> RemoteCallbacks<'a> {
    let mut callbacks = RemoteCallbacks::new();
    let mut tries = 0;
    callbacks.credentials(move |url, username, allowed| {
        tries += 1;
        if tries > 3 {
            return Err(git2::Error::from_str(&tr!(
                "authentication failed (tried the ssh agent and git's credential helpers)"
            )));
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        #[cfg(feature = "network-remotes")]
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && let Some(config) = &config
        {
            return Cred::credential_helper(config, url, username);
        }
        #[cfg(not(feature = "network-remotes"))]
        let _ = (url, &config);
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(username.unwrap_or("git"));
        }
        Cred::default()
    });
    callbacks
}

/// Refuses a network URL in a build without the ssh and https transports, saying how to get
/// them (libgit2 would only say "unsupported URL protocol").
fn check_transport(url: &str) -> Result<()> {
    let network = ["ssh://", "https://", "http://", "git@"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
        || (url.contains(':') && !url.starts_with('/') && !url.starts_with("file://") && url.contains('@'));
    if network && !cfg!(feature = "network-remotes") {
        return Err(Error::Usage(tr!(
            "{url}: this build of jitsi-custom talks to file remotes only\nhint: the Debian package has ssh and https; from source, build with `--features network-remotes` (needs pkg-config and libssl-dev)",
            url
        ))
        .into());
    }
    Ok(())
}

/// One line for a transport's error, naming the remote.
fn transport_error(remote: &str, url: &str, e: git2::Error) -> anyhow::Error {
    Error::Usage(tr!(
        "remote {remote} ({url}): {error}\nhint: check the URL (`jitsi-custom remote list`), the network and the credentials (ssh agent, git credential helper)",
        remote,
        url,
        error = e.message()
    ))
    .into()
}

impl Store {
    /// The remotes of the store's config, by name.
    pub fn remotes(&self) -> Result<Vec<RemoteInfo>> {
        let names = self
            .repo
            .remotes()
            .with_context(|| tr!("cannot read the remotes"))?;
        let mut remotes = Vec::new();
        for name in names.iter().flatten().flatten() {
            let remote = self.repo.find_remote(name)?;
            remotes.push(RemoteInfo {
                name: name.to_string(),
                url: remote.url().unwrap_or_default().to_string(),
            });
        }
        Ok(remotes)
    }

    /// The remote of that name.
    pub fn remote_info(&self, name: &str) -> Result<RemoteInfo> {
        self.remotes()?
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| {
                Error::Usage(tr!(
                    "no remote named {quoted_name}\nhint: add it with `jitsi-custom remote add {name} URL`",
                    quoted_name = format!("{name:?}"),
                    name
                ))
                .into()
            })
    }

    /// Adds a remote to the store's config, fetching only the shared branch. Nothing in a dry
    /// run.
    pub fn add_remote(&self, name: &str, url: &str) -> Result<()> {
        if !git2::Remote::is_valid_name(name) || name.contains('/') {
            return Err(Error::Usage(tr!(
                "{name} is not a usable remote name\nhint: use letters, digits, `-` and `_`, e.g. `origin`",
                name = format!("{name:?}")
            ))
            .into());
        }
        check_transport(url)?;
        if self.access() == super::Access::DryRun {
            return Ok(());
        }
        let fetch = format!("+{SHARED_BRANCH}:{}", tracking_ref(name));
        self.repo
            .remote_with_fetch(name, url, &fetch)
            .with_context(|| tr!("cannot add the remote {name} ({url})", name, url))?;
        Ok(())
    }

    /// Points an existing remote at another URL. Nothing in a dry run.
    pub fn set_remote_url(&self, name: &str, url: &str) -> Result<()> {
        if self.access() == super::Access::DryRun {
            return Ok(());
        }
        self.repo
            .remote_set_url(name, url)
            .with_context(|| tr!("cannot set the URL of the remote {name}", name))
    }

    /// Removes a remote from the store's config, with what was fetched from it. Nothing in a dry
    /// run.
    pub fn remove_remote(&self, name: &str) -> Result<()> {
        if self.access() == super::Access::DryRun {
            return Ok(());
        }
        self.repo
            .remote_delete(name)
            .with_context(|| tr!("cannot remove the remote {name}", name))
    }

    /// The remotes that have a synced marker, staged or committed.
    pub fn synced_remotes(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        for reference in self.repo.references_glob(&format!("{SYNCED_PREFIX}*"))? {
            if let Ok(name) = reference?.name() {
                names.push(name.trim_start_matches(SYNCED_PREFIX).to_string());
            }
        }
        for (name, target) in &self.staged.borrow().refs {
            if let Some(remote) = name.strip_prefix(SYNCED_PREFIX) {
                names.retain(|n| n != remote);
                if target.is_some() {
                    names.push(remote.to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The shared commit this stack was last synced with.
    pub fn synced_tip(&self, remote: &str) -> Result<Option<Oid>> {
        self.ref_target(&synced_ref(remote))
    }

    /// The remote's shared tip as last fetched (no network).
    pub fn fetched_tip(&self, remote: &str) -> Result<Option<Oid>> {
        self.read_ref(&tracking_ref(remote))
    }

    /// Fetches the remote's shared branch and reads its tip's files (`limit`: the most bytes one
    /// file may have). A writer keeps the objects and moves the remote-tracking ref; a dry run
    /// fetches into a throw-away repository. `None`: the remote has no shared branch yet.
    pub fn fetch_shared(&self, remote: &str, limit: u64) -> Result<Option<SharedTree>> {
        let info = self.remote_info(remote)?;
        check_transport(&info.url)?;
        let fetch_into = |repo: &Repository, target_ref: &str| -> Result<Option<Oid>> {
            let mut handle = repo
                .remote_anonymous(&info.url)
                .with_context(|| tr!("cannot use the remote {remote} ({url})", remote, url = info.url))?;
            let mut opts = FetchOptions::new();
            opts.remote_callbacks(callbacks(self.repo.config().ok()))
                .download_tags(git2::AutotagOption::None)
                .update_fetchhead(false);
            let spec = format!("+{SHARED_BRANCH}:{target_ref}");
            handle
                .fetch(&[spec.as_str()], Some(&mut opts), None)
                .map_err(|e| transport_error(remote, &info.url, e))?;
            let tip = handle
                .list()
                .map_err(|e| transport_error(remote, &info.url, e))?
                .iter()
                .find(|head| head.name() == SHARED_BRANCH)
                .map(|head| head.oid());
            Ok(tip)
        };
        if self.access() == super::Access::DryRun {
            let scratch = tempfile::tempdir().with_context(|| tr!("cannot make a temporary repository"))?;
            let repo = Repository::init_bare(scratch.path())?;
            let Some(tip) = fetch_into(&repo, "refs/heads/shared")? else {
                return Ok(None);
            };
            return read_shared_tree(&repo, tip, limit).map(Some);
        }
        let tracking = tracking_ref(remote);
        let tip = fetch_into(&self.repo, &tracking)?;
        // libgit2 notes the fetch in FETCH_HEAD whatever it is told; nothing here reads it.
        let _ = std::fs::remove_file(self.repo.path().join("FETCH_HEAD"));
        match tip {
            Some(tip) => read_shared_tree(&self.repo, tip, limit).map(Some),
            None => {
                // The branch is gone on the remote: so is what we knew of it.
                self.set_ref_now(&tracking, None, "fetch")?;
                Ok(None)
            }
        }
    }

    /// The files of a shared commit the store has (fetched earlier, or pushed).
    pub fn shared_tree(&self, commit: Oid, limit: u64) -> Result<SharedTree> {
        read_shared_tree(&self.repo, commit, limit)
    }

    /// The tree holding `files` (path → content), stored (in a dry run: in memory).
    pub fn shared_tree_of(&self, files: &BTreeMap<String, Vec<u8>>) -> Result<Oid> {
        let changes: Vec<(&str, Option<&[u8]>)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), Some(c.as_slice())))
            .collect();
        self.tree_with(None, &changes)
    }

    /// Writes a commit of the shared branch with that tree on `parent`.
    pub fn commit_shared(&self, tree: Oid, parent: Option<Oid>, message: &str) -> Result<Oid> {
        self.commit(tree, parent.as_slice(), message)
    }

    /// Pushes a shared commit to the remote's shared branch, as a fast-forward only: the remote
    /// refuses it when its branch moved in the meantime. Moves the remote-tracking ref. Nothing
    /// in a dry run.
    pub fn push_shared(&self, remote: &str, commit: Oid) -> Result<()> {
        if self.access() == super::Access::DryRun {
            return Ok(());
        }
        let info = self.remote_info(remote)?;
        check_transport(&info.url)?;
        let outgoing = format!("refs/jitsi-custom/outgoing/{remote}");
        self.set_ref_now(&outgoing, Some(commit), "push")?;
        let result = (|| -> Result<()> {
            let mut handle = self
                .repo
                .remote_anonymous(&info.url)
                .with_context(|| tr!("cannot use the remote {remote} ({url})", remote, url = info.url))?;
            let rejected = std::cell::RefCell::new(None::<String>);
            let mut cbs = callbacks(self.repo.config().ok());
            cbs.push_update_reference(|_, status| {
                if let Some(status) = status {
                    *rejected.borrow_mut() = Some(status.to_string());
                }
                Ok(())
            });
            let mut opts = PushOptions::new();
            opts.remote_callbacks(cbs);
            let spec = format!("{outgoing}:{SHARED_BRANCH}");
            handle
                .push(&[spec.as_str()], Some(&mut opts))
                .map_err(|e| transport_error(remote, &info.url, e))?;
            drop(opts);
            if let Some(why) = rejected.into_inner() {
                return Err(Error::Usage(tr!(
                    "remote {remote} refused the shared customisations: {why}\nhint: someone pushed meanwhile: `jitsi-custom pull {remote}`, then push again",
                    remote,
                    why
                ))
                .into());
            }
            Ok(())
        })();
        self.set_ref_now(&outgoing, None, "push")?;
        result?;
        self.set_ref_now(&tracking_ref(remote), Some(commit), "push")
    }
}

/// Reads the files of a shared commit within bounds: regular files only, each at most `limit`
/// bytes, at most [`MAX_SHARED_FILES`] of them.
fn read_shared_tree(repo: &Repository, commit: Oid, limit: u64) -> Result<SharedTree> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .with_context(|| tr!("the shared commit {commit} cannot be read", commit))?;
    let mut files = BTreeMap::new();
    let mut problem: Option<String> = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let name = String::from_utf8_lossy(entry.name_bytes());
        let path = format!("{dir}{name}");
        match entry.kind() {
            Some(git2::ObjectType::Tree) => git2::TreeWalkResult::Ok,
            Some(git2::ObjectType::Blob) if entry.filemode() == i32::from(git2::FileMode::Blob) => {
                if files.len() >= MAX_SHARED_FILES {
                    problem = Some(tr!("holds more than {max} files", max = MAX_SHARED_FILES));
                    return git2::TreeWalkResult::Abort;
                }
                match repo.find_blob(entry.id()) {
                    Ok(blob) if blob.size() as u64 > limit => {
                        problem = Some(tr!(
                            "{path} is larger than max_file_size ({limit})",
                            path,
                            limit = crate::system::human_size(limit)
                        ));
                        git2::TreeWalkResult::Abort
                    }
                    Ok(blob) => {
                        files.insert(path, blob.content().to_vec());
                        git2::TreeWalkResult::Ok
                    }
                    Err(e) => {
                        problem = Some(tr!("{path} cannot be read: {error}", path, error = e.message()));
                        git2::TreeWalkResult::Abort
                    }
                }
            }
            _ => {
                problem = Some(tr!("{path} is not a regular file", path));
                git2::TreeWalkResult::Abort
            }
        }
    })
    .ok();
    if let Some(problem) = problem {
        return Err(Error::BadInput(tr!("the shared commit {commit}", commit), problem).into());
    }
    Ok(SharedTree {
        commit: Some(commit),
        tree: Some(tree.id()),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_urls_need_the_network_transports_and_paths_never_do() {
        for url in ["/srv/fleet.git", "file:///srv/fleet.git", "../fleet.git"] {
            assert!(check_transport(url).is_ok(), "{url}");
        }
        for url in [
            "ssh://git@git.praxis-it.de/fleet.git",
            "git@git.praxis-it.de:fleet.git",
            "https://git.praxis-it.de/fleet.git",
        ] {
            let result = check_transport(url);
            if cfg!(feature = "network-remotes") {
                assert!(result.is_ok(), "{url}");
            } else {
                let err = format!("{:#}", result.unwrap_err());
                assert!(err.contains("file remotes only"), "{err}");
                assert!(err.contains("--features network-remotes"), "{err}");
            }
        }
    }
}
