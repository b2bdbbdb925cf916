//! `jitsi-custom record`: turn live edits into a named customisation on the patch stack.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::error::Error;
use crate::live;
use crate::status::{self, FileState};

/// Record live edits of tracked files as a named customisation (a patch on the stack), so that
/// upgrades carry them. Only edits are recorded: a file a package overwrote is left for `rebase`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// What the customisation is, in a few words ("German welcome texts").
    #[arg(short, long, value_name = "MSG", required_unless_present = "into")]
    message: Option<String>,

    /// Add the edits to the existing customisation NAME instead of making a new one.
    #[arg(long, value_name = "NAME", conflicts_with = "message")]
    into: Option<String>,

    /// Only these files (default: every tracked file with unrecorded edits).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(ctx: &Ctx, args: RecordArgs) -> Result<Outcome> {
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let wanted: Vec<InstallPath> = args
        .paths
        .iter()
        .map(|p| {
            let path = InstallPath::from_user(p, &ctx.root, &ctx.cwd)?;
            if manifest.is_tracked(&path) {
                Ok(path)
            } else {
                Err(Error::NotTracked(path.to_string()))
            }
        })
        .collect::<Result<_, _>>()?;
    let survey = status::survey(&ctx.root, &store, &manifest, &ctx.dpkg()?)?;
    let mut edits: Vec<(InstallPath, Vec<u8>)> = Vec::new();
    for file in &survey.files {
        let named = wanted.contains(&file.path);
        if !wanted.is_empty() && !named {
            continue;
        }
        match file.state {
            FileState::Unrecorded => {
                if let Some(content) = live::read(&ctx.root, &file.path)? {
                    edits.push((file.path.clone(), content));
                }
            }
            FileState::Overwritten if named => {
                return Err(Error::Usage(format!(
                    "{}: a package overwrote this customised file; there is no edit to record\nhint: `jitsi-custom rebase` puts the customisation back",
                    file.path
                ))
                .into());
            }
            FileState::Missing if named => {
                return Err(Error::BadPath {
                    path: file.path.to_string(),
                    reason: "does not exist".into(),
                }
                .into());
            }
            _ => {}
        }
    }
    if edits.is_empty() {
        ctx.say("nothing to record: no tracked file has unrecorded edits");
        return Ok(Outcome::Ok);
    }
    let name = args
        .message
        .as_deref()
        .or(args.into.as_deref())
        .unwrap_or_default()
        .trim()
        .to_string();
    if name.is_empty() || name.contains('\n') {
        return Err(Error::Usage("the customisation's name must be one non-empty line".into()).into());
    }
    if ctx.dry_run {
        for (path, _) in &edits {
            ctx.say(format_args!("would record {path} into {name:?}"));
        }
        return Ok(Outcome::Ok);
    }
    let before = store.refs_now()?;
    let changes: Vec<(&str, Option<&[u8]>)> = edits
        .iter()
        .map(|(p, c)| (p.as_rel(), Some(c.as_slice())))
        .collect();
    if args.into.is_some() {
        store.amend_patch(&name, &changes)?;
    } else {
        store.record_patch(&name, &changes)?;
    }
    let paths: Vec<String> = edits.iter().map(|(p, _)| p.to_string()).collect();
    store.log_operation(
        "record",
        &format!("{name}: {}", paths.join(" ")),
        before,
        &live::snapshot(&ctx.root, &manifest)?,
    )?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({ "customisation": name, "files": paths }))?;
    } else {
        ctx.say(format_args!("recorded {name:?}: {}", paths.join(", ")));
    }
    Ok(Outcome::Ok)
}
