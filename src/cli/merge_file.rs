//! `jitsi-custom merge-file`: one three-way merge with the strategy a file's path calls for;
//! usable as a git merge driver.

use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result};
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::error::Error;
use crate::merge::{self, Labels, Strategy};

/// Merge three versions of one file, as a git merge driver can.
///
/// BASE is the old upstream, LOCAL the customised file, UPSTREAM the new upstream; the strategy is the
/// one for INSTALL_PATH (or the files' kind): text, text-ignore-space, properties, lua, nginx, hocon,
/// json, dotenv, js-config, minified or binary; input holding NUL bytes is merged as binary (whole file).
/// The result goes to stdout or OUT, which is replaced whole. What the merge settled
/// without a person (a value both sides changed keeps yours, a setting upstream removed stays) is
/// listed as `note:` lines on stderr. Exit status 0 when clean, 1 when a person is needed
/// (text-like results then hold git-style conflict markers), 2 on bad input.
#[derive(Debug, Args)]
#[command(
    after_long_help = "As a git merge driver:\n\n  # .git/config\n  [merge \"jitsi\"]\n      driver = jitsi-custom merge-file --path %P %O %A %B -o %A\n\n  # .gitattributes\n  *.json merge=jitsi"
)]
pub struct MergeFileArgs {
    /// The install path the files stand for; picks the strategy.
    #[arg(long, value_name = "INSTALL_PATH")]
    path: Option<String>,

    /// Use this strategy whatever the path.
    #[arg(long, value_name = "STRATEGY", value_parser = super::strategy_parser())]
    strategy: Option<Strategy>,

    /// Write the result here instead of stdout.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    base: PathBuf,
    local: PathBuf,
    upstream: PathBuf,
}

pub fn run(ctx: &Ctx, args: MergeFileArgs) -> Result<Outcome> {
    let read = |path: &PathBuf| -> Result<Vec<u8>> {
        std::fs::read(path).map_err(|e| Error::BadInput(path.display().to_string(), e.to_string()).into())
    };
    let (base, local, upstream) = (read(&args.base)?, read(&args.local)?, read(&args.upstream)?);
    let install_path = args.path.as_deref().map(InstallPath::parse).transpose()?;
    let strategy = args.strategy.unwrap_or_else(|| {
        let name = install_path
            .as_ref()
            .map(|p| p.as_rel().to_string())
            .unwrap_or_else(|| args.local.display().to_string());
        crate::profile::strategy_for_path(&name)
    });
    let labels = Labels {
        base: args.base.display().to_string(),
        local: args.local.display().to_string(),
        upstream: args.upstream.display().to_string(),
        moved_settings: crate::profile::moves::MOVES,
    };
    let merged = merge::merge(strategy, &base, &local, &upstream, &labels);
    for note in &merged.notes {
        ctx.say(tr!("note: {note}", note = crate::i18n::shown(note)));
    }
    // What was settled without a person: the admin's side is in effect, the note says so.
    for decision in &merged.decisions {
        ctx.say(tr!("note: {note}", note = crate::i18n::shown(&decision.message)));
    }
    for conflict in &merged.conflicts {
        ctx.say(tr!("conflict: {what}", what = crate::i18n::shown(&conflict.what)));
        if let Some(hint) = &conflict.hint {
            ctx.say(tr!("hint: {hint}", hint = crate::i18n::shown(hint)));
        }
    }
    match &args.output {
        Some(out) => write_replacing(out, &merged.content)?,
        None => std::io::Write::write_all(&mut ctx.out(), &merged.content)?,
    }
    Ok(if merged.is_clean() {
        Outcome::Ok
    } else {
        Outcome::Attention
    })
}

/// Replaces OUT by renaming a complete temporary file over it (keeping OUT's mode), so that OUT,
/// usually the local side itself under git, is never left empty or cut short.
fn write_replacing(out: &Path, content: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".jitsi-custom-merge-")
        .tempfile_in(dir)
        .with_context(|| tr!("cannot write {path}", path = out.display()))?;
    temp.write_all(content)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| tr!("cannot write {path}", path = out.display()))?;
    if let Ok(md) = std::fs::metadata(out) {
        temp.as_file()
            .set_permissions(md.permissions())
            .with_context(|| tr!("cannot write {path}", path = out.display()))?;
    }
    temp.persist(out)
        .with_context(|| tr!("cannot replace {path}", path = out.display()))?;
    Ok(())
}
