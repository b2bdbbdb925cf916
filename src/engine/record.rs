//! Turning live edits into customisations: shared by `record`, the apt hook's pre-invoke and every
//! command that must not overwrite an admin's edit before it is kept (invariant 1).

use std::path::Path;

use crate::tr;
use anyhow::Result;

use crate::InstallPath;
use crate::engine::live;
use crate::engine::status::{FileState, Survey};
use crate::error::Error;
use crate::store::{Manifest, Store};

/// Live content of the tracked files with edits no customisation records yet. `only` limits the
/// search to some files (all when empty); naming a file a package overwrote, or a missing one,
/// is an error since there is nothing to record.
pub fn unrecorded_edits(
    root: &Path,
    survey: &Survey,
    only: &[InstallPath],
) -> Result<Vec<(InstallPath, Vec<u8>)>> {
    let mut edits = Vec::new();
    for file in &survey.files {
        let named = only.contains(&file.path);
        if !only.is_empty() && !named {
            continue;
        }
        match file.state {
            FileState::Unrecorded => {
                if let Some(content) = file.recordable.clone() {
                    edits.push((file.path.clone(), content));
                } else if let Some(content) = live::read(root, &file.path)? {
                    edits.push((file.path.clone(), content));
                }
            }
            FileState::Overwritten if named => {
                return Err(Error::Usage(tr!(
                    "{path}: a package overwrote this customised file; there is no edit to record\nhint: `jitsi-custom rebase` puts the customisation back",
                    path = file.path
                ))
                .into());
            }
            FileState::Missing if named => {
                return Err(Error::BadPath {
                    path: file.path.to_string(),
                    reason: tr!("does not exist"),
                }
                .into());
            }
            _ => {}
        }
    }
    Ok(edits)
}

/// Invariant 1 for a command about to write live files: records every unrecorded edit (but those
/// in `except`, which are known to be upstream's) as the customisation `name`. Returns the paths.
pub fn protect_edits(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &crate::system::dpkg::Dpkg,
    name: &str,
    except: &[InstallPath],
) -> Result<Vec<InstallPath>> {
    let survey = crate::engine::status::survey(root, store, manifest, dpkg)?;
    let edits: Vec<(InstallPath, Vec<u8>)> = unrecorded_edits(root, &survey, &[])?
        .into_iter()
        .filter(|(p, _)| !except.contains(p))
        .collect();
    if !edits.is_empty() {
        record_edits(root, store, manifest, "record", name, &edits, Into::NewPatch)?;
    }
    Ok(edits.into_iter().map(|(p, _)| p).collect())
}

/// How recorded edits join the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Into {
    /// A new customisation on top of the stack.
    NewPatch,
    /// Folded into the existing customisation of that name.
    Existing,
}

/// Records edits as the customisation `name` and logs the operation (`kind` names it in the log).
pub fn record_edits(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    kind: &str,
    name: &str,
    edits: &[(InstallPath, Vec<u8>)],
    into: Into,
) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.contains('\n') {
        return Err(Error::Usage(tr!("the customisation's name must be one non-empty line")).into());
    }
    let before = store.refs_now()?;
    let changes: Vec<(&str, Option<&[u8]>)> = edits
        .iter()
        .map(|(p, c)| (p.as_rel(), Some(c.as_slice())))
        .collect();
    match into {
        Into::NewPatch => store.record_patch(name, &changes)?,
        Into::Existing => store.amend_patch(name, &changes)?,
    };
    let paths: Vec<String> = edits.iter().map(|(p, _)| p.to_string()).collect();
    // The docker variant: `custom-config.js` and the override follow the new customisation.
    crate::engine::docker::stage_outputs(root, store, manifest)?;
    store.log_operation(
        root,
        kind,
        &format!("{name}: {}", paths.join(" ")),
        before,
        &live::snapshot(root, manifest)?,
    )?;
    Ok(())
}
