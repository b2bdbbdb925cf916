//! `jitsi-custom init`: create the state, track the Jitsi files that exist, establish their
//! pristine upstream content, and record whatever differs from it as the first customisations.

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::init::{self, InitOptions};
use crate::engine::scan::ScanReport;
use crate::store::Manifest;
use crate::store::upstream::Source;
use crate::system::dpkg::Dpkg;

/// Start keeping customisations.
///
/// Detects the Jitsi packages, versions and domain, track the files admins customise, and take their
/// pristine upstream content from dpkg, the guide's `*.BKP` copies or apt's package cache. Edits
/// already made become the first customisations.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The Jitsi domain (default: found from /etc/jitsi/meet/<domain>-config.js).
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<String>,

    /// Take pristine copies from the guide's `<file>.BKP` backups when dpkg's md5 confirms them
    /// (the default when such copies exist).
    #[arg(long, overrides_with = "no_adopt_bkp")]
    adopt_bkp: bool,

    /// Ignore `<file>.BKP` backups.
    #[arg(long)]
    no_adopt_bkp: bool,

    /// Start over when the state dir is already initialised (the old state is moved aside).
    #[arg(long)]
    force: bool,

    /// The docker-jitsi-meet variant: DIR is the checkout (docker-compose.yml, env.example,
    /// .env). Tracks .env against env.example, the web configs the container generates (your
    /// edits go to custom-config.js / custom-interface_config.js) and overlay files of the web
    /// image (under the config folder, bind-mounted through docker-compose.override.yml).
    #[arg(long, value_name = "DIR")]
    docker: Option<std::path::PathBuf>,

    /// With --docker: the web image, instead of the one docker-compose.yml names.
    #[arg(long, value_name = "REF", requires = "docker")]
    image: Option<String>,
}

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<Outcome> {
    let dpkg = ctx.dpkg()?;
    let docker = match &args.docker {
        Some(dir) => Some(crate::engine::docker::DockerInit {
            checkout: crate::InstallPath::from_user(dir, &ctx.root, &ctx.cwd)?,
            web_image: args.image.clone(),
            // `~` in the checkout's CONFIG is the home of the user running docker compose.
            home: std::env::var("HOME").unwrap_or_else(|_| "/root".into()),
        }),
        None => None,
    };
    let opts = InitOptions {
        docker,
        domain: args.domain.clone(),
        adopt_bkp: !args.no_adopt_bkp,
        force: args.force,
        dry_run: ctx.dry_run,
        prompt: ctx.prompt.as_ref(),
    };
    let report = init::init(&ctx.root, &ctx.state_dir, &dpkg, &opts)?;
    if ctx.dry_run {
        for file in &report.files {
            ctx.say(tr!("would track {path}", path = file.path));
        }
        say_found(ctx, &report.found)?;
        return Ok(Outcome::Ok);
    }
    for detail in &report.details {
        ctx.detail(detail);
    }
    for warning in &report.warnings {
        ctx.warn(warning);
    }
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        let what = match &report.manifest.docker {
            Some(setup) => tr!("docker-jitsi-meet in {checkout}", checkout = setup.checkout),
            None => match report.domain.as_deref() {
                Some(domain) => domain.to_string(),
                None => tr!("no domain found"),
            },
        };
        ctx.say(tr!(
            "initialised {dir} for {what} ({n} files)"
                | "initialised {dir} for {what} ({n} files)" % report.files.len(),
            dir = ctx.state_dir.display(),
            what
        ));
        for r in &report.files {
            let what = if r.customised {
                tr!("customised")
            } else {
                tr!("clean")
            };
            let line = tr!(
                "{path}  (upstream from {source})",
                path = r.path,
                source = source_name(r.source)
            );
            ctx.say(format_args!("  {what:<11} {line}"));
        }
        if report.files.is_empty() {
            ctx.say(tr!(
                "hint: no Jitsi files found under the root; add files with `jitsi-custom track PATH`"
            ));
        }
        say_found(ctx, &report.found)?;
    }
    if report.manifest.docker.is_none() {
        offer_hold(ctx, &dpkg, &report.manifest)?;
    }
    Ok(Outcome::Ok)
}

/// Names what init found changed but does not track, with how to keep it.
fn say_found(ctx: &Ctx, found: &ScanReport) -> Result<()> {
    if !found.needs_attention() {
        return Ok(());
    }
    let mut lines = Vec::new();
    super::scan::write_report(&mut lines, found, true)?;
    ctx.say(tr!(
        "changed before init and not tracked (`jitsi-custom scan` lists them again):"
    ));
    for line in String::from_utf8_lossy(&lines).lines() {
        ctx.say(format_args!("  {line}"));
    }
    if !found.trackable().is_empty() {
        ctx.say(tr!(
            "hint: keep them with `jitsi-custom track PATH…`, then `jitsi-custom record -m \"what it is\"`"
        ));
        super::scan::hint_pristine(ctx, found);
    }
    Ok(())
}

/// On a terminal, offers to hold the Jitsi packages so that `apt upgrade` leaves them to the
/// maintenance window; otherwise says how.
fn offer_hold(ctx: &Ctx, dpkg: &Dpkg, manifest: &Manifest) -> Result<()> {
    use crate::system::apt::{self, Selection};
    let plan = apt::plan_selection(dpkg, &manifest.package_set(), Selection::Hold);
    if plan.changed.is_empty() {
        return Ok(());
    }
    let question = tr!(
        "Hold {packages} so that `apt upgrade` keeps them back until the maintenance window (`jitsi-custom upgrade`)?",
        packages = plan.changed.join(", ")
    );
    match ctx.prompt.confirm(&question, true) {
        Ok(true) => {
            apt::set_selections(&ctx.root, &plan.changed, Selection::Hold)?;
            ctx.say(tr!("held {packages}", packages = plan.changed.join(", ")));
        }
        Ok(false) => {}
        Err(_) => ctx.say(tr!(
            "hint: hold the Jitsi packages with `jitsi-custom hold` and upgrade them with `jitsi-custom upgrade`"
        )),
    }
    Ok(())
}

pub(super) fn source_name(source: Source) -> String {
    match source {
        Source::Dpkg => tr!("the live file, matching dpkg"),
        Source::Bkp => tr!("the .BKP copy, matching dpkg"),
        Source::DebCache => tr!("the cached .deb"),
        Source::DpkgDist => tr!("dpkg's .dpkg-dist"),
        Source::Template => tr!("the package template"),
        Source::Live => tr!("the live file, unverified"),
        Source::Absent => tr!("nowhere: not shipped by a package"),
        Source::Image => tr!("the web image"),
        Source::Container => tr!("the file the web container generated"),
    }
}
