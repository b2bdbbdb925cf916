//! `jitsi-custom apply`: the admin guide's customisations from the bundled recipes (`patches/`).

use std::collections::BTreeMap;
use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::apply::{self, Report};
use crate::engine::recipe::{self, Recipe};
use crate::error::Error;
use crate::ui::diff::write_unified;

/// Apply customisations of the admin guide from the bundled recipes.
///
/// Each recipe is one customisation the guide makes (its section and what it does:
/// `5.2.2/default-language`), written as operations on settings — a property in config.js, a key
/// in main-de.json, a setting in a Prosody, nginx, properties or HOCON block, a CSS declaration, a
/// file to place — so it applies to every Jitsi version that has the setting's place. The result
/// is validated, written, and recorded as the customisation named after the recipe; `rollback`
/// undoes it. A recipe whose place is missing in the installed version says what is missing and
/// changes nothing; a recipe in effect already changes nothing. Values such as the practice's name
/// are asked on a terminal or given with --set (the domain is found from the installed config).
/// With --dry-run the changes are shown as a diff and nothing is written.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Recipes by name (`5.2.2/default-language`), or recipe files by path (ending in .toml).
    #[arg(value_name = "RECIPE", required_unless_present = "list")]
    recipes: Vec<String>,

    /// List the recipes with a one-line description (--json: name, description, target files).
    #[arg(long, conflicts_with = "recipes")]
    list: bool,

    /// The value of a placeholder, as KEY=VALUE (repeatable): --set app_name="Praxis Sommer".
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_assignment)]
    set: Vec<(String, String)>,

    /// Do not restart or reload the services that read the changed files.
    #[arg(long)]
    no_restart: bool,

    /// Where the recipes are (default: beside the program, `patches/` here, or
    /// /usr/share/jitsi-custom/patches).
    #[arg(long, value_name = "DIR", env = recipe::RECIPES_ENV)]
    recipes_dir: Option<std::path::PathBuf>,
}

fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(tr!("{text} is not KEY=VALUE", text = format!("{text:?}"))),
    }
}

pub fn run(ctx: &Ctx, args: ApplyArgs) -> Result<Outcome> {
    let dir = args.recipes_dir.clone().unwrap_or_else(recipe::recipes_dir);
    if args.list {
        return list(ctx, &recipe::list(&dir)?);
    }
    let mut recipes: Vec<Recipe> = Vec::new();
    for spec in &args.recipes {
        let found = recipe::find(spec, &dir)?;
        if !recipes.iter().any(|r| r.name == found.name) {
            recipes.push(found);
        }
    }
    let mut given = BTreeMap::new();
    for (key, value) in &args.set {
        if given.insert(key.clone(), value.clone()).is_some() {
            return Err(Error::Usage(tr!("--set {key} is given twice", key)).into());
        }
    }
    let store = ctx.open_store_for_writing()?;
    let manifest = store.load_manifest()?;
    let domain = manifest
        .domain
        .clone()
        .or_else(|| crate::profile::detect_domain(&ctx.root));
    let values = recipe::resolve_values(&recipes, &given, domain.as_deref(), ctx.prompt.as_ref())?;
    let report = apply::apply_recipes(&ctx.root, &store, &ctx.dpkg()?, &recipes, &values, ctx.dry_run)?;
    render(ctx, &report)?;
    if !ctx.dry_run && !args.no_restart && !report.written().is_empty() {
        let restarted = ctx.restart_services(&report.services)?;
        if !restarted.is_empty() {
            ctx.say(tr!("restarted {services}", services = restarted.join(", ")));
        }
    }
    Ok(Outcome::Ok)
}

/// The recipes, one a line, or as JSON.
fn list(ctx: &Ctx, recipes: &[Recipe]) -> Result<Outcome> {
    let domain = crate::store::Store::open(&ctx.state_dir)
        .ok()
        .and_then(|s| s.load_manifest().ok())
        .and_then(|m| m.domain)
        .or_else(|| crate::profile::detect_domain(&ctx.root));
    if ctx.json {
        let list: Vec<serde_json::Value> = recipes
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "description": r.description,
                    "targets": r.targets(domain.as_deref()),
                })
            })
            .collect();
        ctx.print_json(&list)?;
        return Ok(Outcome::Ok);
    }
    let width = recipes.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = ctx.out();
    for r in recipes {
        writeln!(out, "{:width$}  {}", r.name, r.description)?;
    }
    Ok(Outcome::Ok)
}

fn render(ctx: &Ctx, report: &Report) -> Result<()> {
    for warning in &report.warnings {
        ctx.warn(warning);
    }
    for path in &report.recorded_first {
        ctx.say(tr!(
            "{path}: recorded edits found before applying as \"edits found before apply\"",
            path
        ));
    }
    if ctx.json {
        let recipes: Vec<serde_json::Value> = report
            .recipes
            .iter()
            .map(|r| {
                let state = match (r.changes.is_empty(), ctx.dry_run) {
                    (true, _) => "in-effect",
                    (false, true) => "would-apply",
                    (false, false) => "applied",
                };
                let files: Vec<String> = r.changes.iter().map(|c| c.path.to_string()).collect();
                serde_json::json!({ "name": r.name, "state": state, "files": files })
            })
            .collect();
        let tracked: Vec<String> = report.tracked.iter().map(ToString::to_string).collect();
        ctx.print_json(&serde_json::json!({ "recipes": recipes, "tracked": tracked }))?;
        return Ok(());
    }
    for path in &report.tracked {
        ctx.say(if ctx.dry_run {
            tr!("would track {path}", path)
        } else {
            tr!("tracking {path}", path)
        });
    }
    let mut out = ctx.out();
    for applied in &report.recipes {
        if applied.changes.is_empty() {
            ctx.say(tr!(
                "{name}: already in effect; nothing to do",
                name = applied.name
            ));
            continue;
        }
        let files: Vec<String> = applied.changes.iter().map(|c| c.path.to_string()).collect();
        if ctx.dry_run {
            ctx.say(tr!(
                "would apply {name}: {files}",
                name = applied.name,
                files = files.join(", ")
            ));
            for change in &applied.changes {
                let before = change.before.as_deref().unwrap_or_default();
                write_diff(ctx, &mut out, change.path.as_rel(), before, &change.after)?;
            }
        } else {
            ctx.say(tr!(
                "applied {name}: {files}",
                name = applied.name,
                files = files.join(", ")
            ));
        }
    }
    Ok(())
}

/// A unified diff; a minified file (one huge line) is shown one CSS rule or JS statement a line.
fn write_diff(ctx: &Ctx, out: &mut dyn Write, rel: &str, before: &[u8], after: &[u8]) -> Result<()> {
    use crate::merge::{MinifiedKind, Strategy, split_into_lines};
    if crate::profile::strategy_for_path(rel) == Strategy::Minified {
        let kind = MinifiedKind::sniff(after);
        if let (Ok(before), Ok(after)) = (split_into_lines(kind, before), split_into_lines(kind, after)) {
            ctx.say(tr!(
                "(/{rel} is minified: shown one rule or statement a line)",
                rel
            ));
            write_unified(out, rel, &before, &after, ctx.color)?;
            return Ok(());
        }
    }
    write_unified(out, rel, before, after, ctx.color)?;
    Ok(())
}
