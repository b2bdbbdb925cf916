//! `jitsi-custom diff`: the customisations (or unrecorded edits) as unified diffs.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::live;
use crate::error::Error;
use crate::ui::diff::{line_counts, write_unified};

/// Show the customisations as unified diffs.
///
/// Against upstream, what `record` kept; with `--live`, the edits not recorded yet. The output applies with `patch -p1` in the root.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Only this file.
    #[arg(value_name = "PATH")]
    path: Option<std::path::PathBuf>,

    /// Show unrecorded live edits (recorded state → live) instead of the customisations.
    #[arg(long)]
    live: bool,

    /// Only count changed lines per file.
    #[arg(long)]
    stat: bool,
}

pub fn run(ctx: &Ctx, args: DiffArgs) -> Result<Outcome> {
    let store = ctx.open_store()?;
    let manifest = store.load_manifest()?;
    let only = args
        .path
        .as_ref()
        .map(|p| InstallPath::from_user(p, &ctx.root, &ctx.cwd))
        .transpose()?;
    if let Some(path) = &only
        && !manifest.is_tracked(path)
    {
        return Err(Error::NotTracked(path.to_string()).into());
    }
    let upstream = store.upstream_tip()?;
    let custom = store.custom_tip()?;
    let mut out = ctx.out();
    let mut rows = Vec::new();
    for file in manifest
        .files
        .iter()
        .filter(|f| only.as_ref().is_none_or(|p| p == &f.path))
    {
        let rel = file.path.as_rel();
        let recorded = custom.map(|c| store.content_at(c, rel)).transpose()?.flatten();
        let (old, new) = if args.live {
            (recorded, live::read(&ctx.root, &file.path)?)
        } else {
            (
                upstream.map(|c| store.content_at(c, rel)).transpose()?.flatten(),
                recorded,
            )
        };
        if old == new {
            continue;
        }
        let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
        if ctx.json || args.stat {
            let counts = line_counts(&old, &new);
            rows.push(serde_json::json!({
                "path": file.path,
                "insertions": counts.map(|c| c.0),
                "deletions": counts.map(|c| c.1),
                "binary": counts.is_none(),
            }));
            if !ctx.json {
                match counts {
                    Some((ins, del)) => writeln!(out, "{}  +{ins} -{del}", file.path)?,
                    None => writeln!(out, "{}", tr!("{path}  binary", path = file.path))?,
                }
            }
        } else {
            write_unified(&mut out, rel, &old, &new, ctx.color)?;
        }
    }
    if ctx.json {
        drop(out);
        ctx.print_json(&rows)?;
    }
    Ok(Outcome::Ok)
}
