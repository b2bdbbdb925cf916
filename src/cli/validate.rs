//! `jitsi-custom validate`: the syntax checks rebase runs, on demand.

use std::io::Write;
use std::path::PathBuf;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::live;
use crate::error::Error;
use crate::validate::{self, Checked};

/// Check live files the way `rebase` checks a result before it goes live.
///
/// Checks JSON, JavaScript, Lua, XML/SVG, HOCON, conflict markers, and `nginx -t` for nginx files
/// when nginx is installed. Without PATH, every tracked file. A JSON key that the tracked file's
/// upstream content itself repeats is accepted (browsers read the last one); any other repeat is
/// refused. Exit status 1 when a file fails.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(ctx: &Ctx, args: ValidateArgs) -> Result<Outcome> {
    let paths: Vec<InstallPath> = if args.paths.is_empty() {
        ctx.open_store()?
            .load_manifest()?
            .files
            .into_iter()
            .map(|f| f.path)
            .collect()
    } else {
        args.paths
            .iter()
            .map(|p| InstallPath::from_user(p, &ctx.root, &ctx.cwd))
            .collect::<Result<_, _>>()?
    };
    // Upstream's content of tracked files, for what upstream itself does (a repeated JSON key).
    let store = ctx.open_store().ok();
    let upstream_tip = store.as_ref().and_then(|s| s.upstream_tip().ok().flatten());
    let upstream_of = |path: &InstallPath| -> Option<Vec<u8>> {
        store
            .as_ref()?
            .content_at(upstream_tip?, path.as_rel())
            .ok()
            .flatten()
    };
    let mut failed = false;
    let mut rows = Vec::new();
    let mut out = ctx.out();
    for path in &paths {
        let Some(content) = live::read(&ctx.root, path)? else {
            if !args.paths.is_empty() {
                return Err(Error::BadPath {
                    path: path.to_string(),
                    reason: tr!("does not exist"),
                }
                .into());
            }
            continue;
        };
        let upstream = upstream_of(path);
        let (result, detail) = match validate::validate_merged(&ctx.root, path, &content, upstream.as_deref())
        {
            Ok(Checked::Passed) => ("ok", String::new()),
            Ok(Checked::Skipped(why)) => ("ok", why),
            Err(problem) => {
                failed = true;
                ("invalid", problem)
            }
        };
        if ctx.json {
            rows.push(serde_json::json!({ "path": path, "result": result, "detail": detail }));
        } else {
            let result = match result {
                "ok" => tr!("ok"),
                _ => tr!("invalid"),
            };
            let detail = crate::i18n::shown(&detail);
            if detail.is_empty() {
                writeln!(out, "{path}  {result}")?;
            } else {
                writeln!(out, "{path}  {result}: {detail}")?;
            }
        }
    }
    drop(out);
    if ctx.json {
        ctx.print_json(&rows)?;
    }
    Ok(if failed { Outcome::Attention } else { Outcome::Ok })
}
