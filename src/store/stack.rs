//! The `custom` branch: the patch stack. Each commit on top of the upstream tip is one named
//! customisation; its diff against its parent is the patch.

use crate::tr;
use anyhow::{Result, bail};
use git2::Oid;

use super::{CUSTOM_REF, Store};
use crate::error::Error;

/// One named customisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    pub id: Oid,
    pub name: String,
    /// Root-relative paths the patch changes.
    pub paths: Vec<String>,
}

impl Store {
    /// The patch stack, oldest first.
    pub fn patches(&self) -> Result<Vec<Patch>> {
        let (Some(upstream), Some(mut cursor)) = (self.upstream_tip()?, self.custom_tip()?) else {
            return Ok(Vec::new());
        };
        let mut patches = Vec::new();
        while cursor != upstream {
            let parent = match self.parent_of(cursor)? {
                Some(p) => p,
                None => {
                    return Err(crate::error::Error::NeedsRepair(tr!(
                        "the custom branch does not sit on the upstream branch"
                    ))
                    .into());
                }
            };
            let message = self.message_of(cursor)?;
            patches.push(Patch {
                id: cursor,
                name: message.lines().next().unwrap_or("").to_string(),
                paths: self.changed_paths(Some(parent), Some(cursor))?,
            });
            cursor = parent;
        }
        patches.reverse();
        Ok(patches)
    }

    /// Adds a patch on top of the stack. Moves `custom` and returns the new commit.
    pub fn record_patch(&self, name: &str, changes: &[(&str, Option<&[u8]>)]) -> Result<Oid> {
        let parent = match self.custom_tip()? {
            Some(c) => c,
            None => bail!("{}", tr!("the store has no upstream yet")),
        };
        let tree = self.tree_with(Some(parent), changes)?;
        let commit = self.commit(tree, &[parent], &format!("{name}\n"))?;
        self.set_ref(CUSTOM_REF, Some(commit), "record")?;
        Ok(commit)
    }

    /// Folds changes into an existing patch and re-applies the patches above it. A later patch
    /// that changes one of the same files is refused: which of the two owns the lines would be a
    /// guess.
    pub fn amend_patch(&self, name: &str, changes: &[(&str, Option<&[u8]>)]) -> Result<Oid> {
        let patches = self.patches()?;
        let Some(index) = patches.iter().position(|p| p.name == name) else {
            let known: Vec<&str> = patches.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::Usage(tr!(
                "no customisation named {name}\nhint: the customisations are: {known}",
                name = format!("{name:?}"),
                known = if known.is_empty() {
                    tr!("(none)")
                } else {
                    known.join(", ")
                }
            ))
            .into());
        };
        for later in &patches[index + 1..] {
            if let Some(path) = changes
                .iter()
                .map(|c| c.0)
                .find(|p| later.paths.iter().any(|lp| lp == p))
            {
                return Err(Error::Usage(tr!(
                    "/{path} is also changed by the later customisation {name}\nhint: record into that one, or as a new customisation",
                    path,
                    name = format!("{:?}", later.name)
                ))
                .into());
            }
        }
        let target = &patches[index];
        let parent = self.parent_of(target.id)?.unwrap_or(target.id);
        let mut base = self.commit(
            self.tree_with(Some(target.id), changes)?,
            &[parent],
            &self.message_of(target.id)?,
        )?;
        for later in &patches[index + 1..] {
            let tree = self.tree_with(Some(later.id), changes)?;
            base = self.commit(tree, &[base], &self.message_of(later.id)?)?;
        }
        self.set_ref(CUSTOM_REF, Some(base), "amend")?;
        Ok(base)
    }

    /// Rebuilds the patch stack on a new upstream commit that differs from the old one only in
    /// files no patch touches (or in files being untracked): each patch gets the same changes,
    /// and a patch left with nothing to change is dropped.
    pub fn restack(
        &self,
        patches: &[Patch],
        new_upstream: Oid,
        changes: &[(&str, Option<&[u8]>)],
    ) -> Result<()> {
        let meta = self.content_at(new_upstream, super::upstream::META_PATH)?;
        let mut all = changes.to_vec();
        all.push((super::upstream::META_PATH, meta.as_deref()));
        let mut base = new_upstream;
        for patch in patches {
            let tree = self.tree_with(Some(patch.id), &all)?;
            if tree == self.tree_of(base)? {
                continue;
            }
            base = self.commit(tree, &[base], &self.message_of(patch.id)?)?;
        }
        self.set_ref(CUSTOM_REF, Some(base), "restack")
    }
}
