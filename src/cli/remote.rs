//! `jitsi-custom remote`: the git remotes the customisations are shared through.

use crate::tr;
use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Ctx, Outcome};
use crate::engine::fleet::{self, RemoteChange};

/// Name the git remotes the customisations are shared through (`push`, `pull`).
///
/// A remote is a git repository reachable by ssh (keys from the ssh agent), https (git's
/// credential helpers) or a path. Only one branch of it is used, `jitsi-custom/shared`; the
/// remote is kept in the store's git config.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    #[command(subcommand)]
    action: Option<RemoteAction>,
}

#[derive(Debug, Subcommand)]
enum RemoteAction {
    /// Add a remote (again with the same URL: nothing changes).
    Add(AddArgs),
    /// List the remotes, with where this host stands against each as last fetched.
    List,
    /// Stop sharing through a remote: it leaves the store's config with what was fetched from
    /// it; the customisations stay as they are.
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
struct RemoveArgs {
    /// The remote's name, as `remote list` shows it.
    name: String,
}

#[derive(Debug, Args)]
struct AddArgs {
    /// The remote's name, e.g. `origin`.
    name: String,
    /// A git URL: `ssh://git@host/praxis.git`, `git@host:praxis.git`, `https://…`, or a path.
    url: String,
    /// Point an existing remote of that name at this URL.
    #[arg(long)]
    replace: bool,
}

pub fn run(ctx: &Ctx, args: RemoteArgs) -> Result<Outcome> {
    match args.action.unwrap_or(RemoteAction::List) {
        RemoteAction::Add(add) => {
            let store = ctx.open_store_for_writing()?;
            let url = absolute_path_url(ctx, &add.url);
            let change = fleet::add_remote(&store, &add.name, &url, add.replace)?;
            if ctx.json {
                ctx.print_json(&serde_json::json!({
                    "name": add.name,
                    "url": url,
                    "change": change,
                    "changed": change != RemoteChange::Unchanged,
                    "dry_run": ctx.dry_run,
                }))?;
            } else {
                let name = &add.name;
                ctx.say(match (change, ctx.dry_run) {
                    (RemoteChange::Added, false) => tr!("remote {name} added: {url}", name, url),
                    (RemoteChange::Added, true) => tr!("remote {name} would be added: {url}", name, url),
                    (RemoteChange::UrlChanged, false) => {
                        tr!("remote {name} pointed at {url}", name, url)
                    }
                    (RemoteChange::UrlChanged, true) => {
                        tr!("remote {name} would be pointed at {url}", name, url)
                    }
                    (RemoteChange::Unchanged, _) => tr!("remote {name} is there already: {url}", name, url),
                });
            }
        }
        RemoteAction::Remove(remove) => {
            let store = ctx.open_store_for_writing()?;
            let manifest = store.load_manifest()?;
            let removed = fleet::remove_remote(&ctx.root, &store, &manifest, &remove.name)?;
            if ctx.json {
                ctx.print_json(&serde_json::json!({
                    "name": removed.name,
                    "url": removed.url,
                    "removed": true,
                    "dry_run": ctx.dry_run,
                }))?;
            } else {
                let (name, url) = (&removed.name, &removed.url);
                ctx.say(if ctx.dry_run {
                    tr!("remote {name} would be removed: {url}", name, url)
                } else {
                    tr!("remote {name} removed: {url}", name, url)
                });
            }
        }
        RemoteAction::List => {
            let store = ctx.open_store()?;
            let manifest = store.load_manifest()?;
            let remotes = fleet::remote_status(&ctx.root, &store, &manifest)?;
            if ctx.json {
                ctx.print_json(&remotes)?;
            } else {
                use std::io::Write;
                let mut out = ctx.out();
                for remote in &remotes {
                    writeln!(out, "{}\t{}", remote.name, remote.url)?;
                }
            }
        }
    }
    Ok(Outcome::Ok)
}

/// A URL that is a relative path, made absolute against the working directory (the store may be
/// used from anywhere later); URLs with a scheme or `host:` stay as they are.
fn absolute_path_url(ctx: &Ctx, url: &str) -> String {
    let scp_like = url.split_once(':').is_some_and(|(host, _)| !host.contains('/'));
    if url.contains("://") || scp_like || url.starts_with('/') {
        return url.to_string();
    }
    ctx.cwd.join(url).display().to_string()
}
