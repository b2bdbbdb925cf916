//! `jitsi-custom record`: turn live edits into a named customisation on the patch stack.

use std::path::PathBuf;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::record::{self, Into};
use crate::engine::status;
use crate::error::Error;

/// Record live edits as a named customisation.
///
/// The edits of tracked files become a patch on the stack, so that upgrades carry them. Only edits are recorded: a file a package overwrote is left for `rebase`.
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
    let edits = record::unrecorded_edits(&ctx.root, &survey, &wanted)?;
    if edits.is_empty() {
        ctx.say(tr!("nothing to record: no tracked file has unrecorded edits"));
        return Ok(Outcome::Ok);
    }
    let (name, into) = match (&args.message, &args.into) {
        (_, Some(name)) => (name.clone(), Into::Existing),
        (Some(message), None) => (message.clone(), Into::NewPatch),
        (None, None) => return Err(Error::Usage(tr!("give the customisation a name with -m MSG")).into()),
    };
    let paths: Vec<String> = edits.iter().map(|(p, _)| p.to_string()).collect();
    if ctx.dry_run {
        ctx.say(tr!(
            "would record {name}: {paths}",
            name = format!("{name:?}"),
            paths = paths.join(", ")
        ));
        return Ok(Outcome::Ok);
    }
    record::record_edits(&ctx.root, &store, &manifest, "record", &name, &edits, into)?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({ "customisation": name.trim(), "files": paths }))?;
    } else {
        ctx.say(tr!(
            "recorded {name}: {paths}",
            name = format!("{:?}", name.trim()),
            paths = paths.join(", ")
        ));
    }
    Ok(Outcome::Ok)
}
