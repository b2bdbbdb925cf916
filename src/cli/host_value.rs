//! `jitsi-custom host-value`: this host's values for the placeholders of shared customisations.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Ctx, Outcome};
use crate::engine::fleet::values::{self, Origin};
use crate::error::Error;

/// Show or set this host's values for the placeholders of shared customisations.
///
/// A shared customisation names what differs between servers as placeholders: `{domain}`,
/// `{guest_domain}`, `{turn_secret}` (found by themselves in the manifest and the live Jitsi
/// configuration) and any value set here, e.g. `{imprint_url}`. `push` writes the placeholder
/// wherever this host's value stands; `pull` puts this host's value in. The values live in
/// `host-values.toml` in the state directory (mode 0600) and never leave the host; its `local`
/// list names customisations `push` never sends. Values of names with `secret` or `password` in
/// them are never shown.
#[derive(Debug, Args)]
pub struct HostValueArgs {
    #[command(subcommand)]
    action: Option<HostValueAction>,
}

#[derive(Debug, Subcommand)]
enum HostValueAction {
    /// List the values (secrets hidden) and the local-only customisations.
    List,
    /// Set a value (`-` reads it from stdin, so that a secret stays out of the shell history).
    Set {
        /// Lowercase letters, digits and `_` (e.g. `imprint_url`).
        name: String,
        /// At least 4 characters, one line.
        value: String,
    },
    /// Remove a value set here (a found one comes back).
    Unset { name: String },
}

pub fn run(ctx: &Ctx, args: HostValueArgs) -> Result<Outcome> {
    match args.action.unwrap_or(HostValueAction::List) {
        HostValueAction::List => {
            let store = ctx.open_store()?;
            let manifest = store.load_manifest()?;
            let values = values::load(&ctx.root, &store, &manifest)?;
            if ctx.json {
                ctx.print_json(&values)?;
                return Ok(Outcome::Ok);
            }
            let mut out = ctx.out();
            let width = values.values.iter().map(|v| v.name.len()).max().unwrap_or(0);
            for value in &values.values {
                let shown = if value.secret {
                    tr!("(secret, {n} characters)" | "(secret, {n} characters)" % value.value.chars().count())
                } else {
                    value.value.clone()
                };
                let origin = match &value.origin {
                    Origin::Set => tr!("set in host-values.toml"),
                    Origin::Found(place) => tr!("found in {place}", place = crate::i18n::shown(place)),
                    Origin::Convention => tr!("the guide's convention"),
                };
                writeln!(out, "{:<width$}  {shown}  ({origin})", value.name)?;
            }
            if !values.local.is_empty() {
                writeln!(
                    out,
                    "{}",
                    tr!("local (never pushed): {names}", names = values.local.join(", "))
                )?;
            }
        }
        HostValueAction::Set { name, value } => {
            let value = if value == "-" {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\n', '\r']).to_string()
            } else {
                value
            };
            let store = ctx.open_store_for_writing()?;
            let changed = values::set(&store, &name, Some(&value))?;
            ctx.say(match (changed, ctx.dry_run) {
                (false, _) => tr!("{name} is set to that already", name),
                (true, true) => tr!("would set {name}", name),
                (true, false) => tr!("set {name}", name),
            });
        }
        HostValueAction::Unset { name } => {
            let store = ctx.open_store_for_writing()?;
            if !values::set(&store, &name, None)? {
                return Err(Error::Usage(tr!(
                    "{name} is not set in host-values.toml\nhint: `jitsi-custom host-value list` shows the values",
                    name
                ))
                .into());
            }
            ctx.say(if ctx.dry_run {
                tr!("would unset {name}", name)
            } else {
                tr!("unset {name}", name)
            });
        }
    }
    Ok(Outcome::Ok)
}
