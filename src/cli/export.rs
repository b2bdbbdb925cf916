//! `jitsi-custom export`: the customisations as a quilt-style series of patch files.

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::exchange;

/// Write the customisations as a series of patch files.
///
/// DIR gets a `series` file listing the patch files in order and one patch per customisation
/// (`0001-german-welcome-texts.patch`, in `git format-patch` form: its name on the `Subject:`
/// line, binary files in git's binary patch format). In the root, `git apply -p1 FILE` (or
/// `patch -p1 < FILE` for text) applies them in order; `jitsi-custom import DIR` takes them in
/// on another server with the same names, order and content.
///
/// DIR must be new or empty; with --force the series in it is replaced and other files stay.
/// The series appears whole or not at all.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Directory to write the series into.
    #[arg(value_name = "DIR")]
    dir: std::path::PathBuf,

    /// Write into a directory that holds files already, replacing the series there.
    #[arg(long)]
    force: bool,
}

pub fn run(ctx: &Ctx, args: ExportArgs) -> Result<Outcome> {
    let store = ctx.open_store()?;
    let dir = ctx.cwd.join(&args.dir);
    let report = exchange::export_series(&store, &dir, args.force, ctx.dry_run)?;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        for patch in &report.patches {
            let paths = patch
                .paths
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let (file, name) = (&patch.file, format!("{:?}", patch.name));
            ctx.say(if ctx.dry_run {
                tr!("would write {file} ({name}): {paths}", file, name, paths)
            } else {
                tr!("wrote {file} ({name}): {paths}", file, name, paths)
            });
        }
        let dir = dir.display();
        ctx.say(match (report.patches.len(), ctx.dry_run) {
            (0, true) => tr!("no customisations; would write an empty series into {dir}", dir),
            (0, false) => tr!("no customisations; wrote an empty series into {dir}", dir),
            (n, true) => tr!(
                "would write {n} customisation(s) and `series` into {dir}"
                    | "would write {n} customisation(s) and `series` into {dir}" % n,
                dir
            ),
            (n, false) => tr!(
                "wrote {n} customisation(s) and `series` into {dir}"
                    | "wrote {n} customisation(s) and `series` into {dir}" % n,
                dir
            ),
        });
    }
    if report.parked > 0 {
        ctx.warn(tr!(
            "{n} decision(s) are parked; the series holds those customisations as the stack has them\nhint: `jitsi-custom resolve` first to export what you decide"
                | "{n} decision(s) are parked; the series holds those customisations as the stack has them\nhint: `jitsi-custom resolve` first to export what you decide"
                % report.parked
        ));
    }
    Ok(Outcome::Ok)
}
