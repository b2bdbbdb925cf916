//! `jitsi-custom init`: create the state, track the Jitsi files that exist, establish their
//! pristine upstream content, and record whatever differs from it as the first customisations.

use std::collections::BTreeSet;

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::InstallPath;
use crate::engine::intake::{self, Pristine};
use crate::engine::live;
use crate::engine::scan::{self, ScanReport, Scope};
use crate::store::upstream::{Origin, Source, UpstreamMeta};
use crate::store::{CUSTOM_REF, Manifest, Refs, Store, TrackedFile};
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
}

/// What init found for one file, for the report.
#[derive(serde::Serialize)]
struct Adopted {
    path: InstallPath,
    source: Source,
    customised: bool,
}

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<Outcome> {
    let dpkg = ctx.dpkg()?;
    let domain = args
        .domain
        .clone()
        .or_else(|| crate::profile::detect_domain(&ctx.root));
    if let Some(domain) = &domain {
        crate::InstallPath::parse(domain)
            .map_err(|_| crate::Error::Usage(format!("invalid domain {domain:?}")))?;
    }
    let mut files = Vec::new();
    for known in crate::profile::KNOWN_FILES {
        let Some(path) = known.path_for(domain.as_deref()) else {
            continue;
        };
        let path = InstallPath::parse(&path)?;
        if let Some(content) = live::read(&ctx.root, &path)? {
            let mut file = intake::describe(path, &dpkg, domain.as_deref())?;
            if let (Some(template), Some(t)) = (known.template, &file.template)
                && let Some(template_content) = live::read(&ctx.root, t)?
            {
                intake::learn_placeholders(
                    &mut file,
                    &template_content,
                    &content,
                    template.learnt_placeholders,
                );
            }
            files.push((file, content));
        }
    }
    let found = changed_before_init(ctx, &dpkg, domain.as_deref(), &files)?;
    if ctx.dry_run {
        for (file, _) in &files {
            ctx.say(format_args!("would track {}", file.path));
        }
        say_found(ctx, &found)?;
        return Ok(Outcome::Ok);
    }
    let store = Store::create(&ctx.state_dir, args.force)?;
    let adopt_bkp = !args.no_adopt_bkp;
    let mut manifest = Manifest {
        domain: domain.clone(),
        ..Manifest::default()
    };
    let mut meta = UpstreamMeta::default();
    let mut upstream: Vec<(InstallPath, Vec<u8>)> = Vec::new();
    let mut report = Vec::new();
    for (file, content) in &files {
        let (pristine, origin) = establish_upstream(ctx, &dpkg, file, content, adopt_bkp)?;
        report.push(Adopted {
            path: file.path.clone(),
            source: origin.source,
            customised: pristine.as_deref() != Some(content.as_slice()),
        });
        meta.files.insert(file.path.to_string(), origin);
        if let Some(pristine) = pristine {
            upstream.push((file.path.clone(), pristine));
        }
        manifest.track(file.clone());
    }
    meta.packages = crate::engine::status::installed_versions(&dpkg, &manifest);
    let changes: Vec<(&str, Option<&[u8]>)> = upstream
        .iter()
        .map(|(p, c)| (p.as_rel(), Some(c.as_slice())))
        .collect();
    // The manifest first: one that lists a file the store does not hold yet is taken as it is,
    // the other way round every writer refuses (see `Store::check_manifest_covers`).
    store.save_manifest(&manifest)?;
    let base = store.commit_upstream(&changes, &meta)?;
    store.set_ref(CUSTOM_REF, Some(base), "init")?;
    for (file, content) in &files {
        if report.iter().any(|r| r.path == file.path && r.customised) {
            let name = format!("found at init: {}", file.path.file_name());
            store.record_patch(&name, &[(file.path.as_rel(), Some(content))])?;
        }
    }
    let snapshot = live::snapshot(&ctx.root, &manifest)?;
    let description = format!("{} files tracked", files.len());
    store.log_operation(&ctx.root, "init", &description, Refs::default(), &snapshot)?;

    if ctx.json {
        let changed: Vec<_> = found.changed.iter().filter(|f| !f.tracked).collect();
        let unowned: Vec<_> = found.unowned.iter().filter(|f| !f.tracked).collect();
        ctx.print_json(&serde_json::json!({
            "domain": domain,
            "files": report,
            "not_tracked": { "changed": changed, "unowned": unowned },
        }))?;
    } else {
        ctx.say(format_args!(
            "initialised {} for {} ({} files)",
            ctx.state_dir.display(),
            domain.as_deref().unwrap_or("no domain found"),
            files.len()
        ));
        for r in &report {
            let what = if r.customised { "customised" } else { "clean" };
            ctx.say(format_args!(
                "  {:<11} {}  (upstream from {})",
                what,
                r.path,
                source_name(r.source)
            ));
        }
        if files.is_empty() {
            ctx.say("hint: no Jitsi files found under the root; add files with `jitsi-custom track PATH`");
        }
        say_found(ctx, &found)?;
    }
    offer_hold(ctx, &dpkg, &manifest)?;
    Ok(Outcome::Ok)
}

/// What the admin changed before init that init does not track: the Jitsi packages' files that
/// differ from dpkg's md5 (`scan`), and the files under the Jitsi trees no package owns.
fn changed_before_init(
    ctx: &Ctx,
    dpkg: &Dpkg,
    domain: Option<&str>,
    files: &[(TrackedFile, Vec<u8>)],
) -> Result<ScanReport> {
    let tracked: BTreeSet<InstallPath> = files.iter().map(|(f, _)| f.path.clone()).collect();
    scan::scan(
        &ctx.root,
        dpkg,
        &Scope {
            packages: &Manifest::default().package_set(),
            domain,
            tracked: &tracked,
            threads: 0,
        },
    )
}

/// Names what [`changed_before_init`] found, with how to keep it.
fn say_found(ctx: &Ctx, found: &ScanReport) -> Result<()> {
    if !found.needs_attention() {
        return Ok(());
    }
    let mut lines = Vec::new();
    super::scan::write_report(&mut lines, found, true)?;
    ctx.say("changed before init and not tracked (`jitsi-custom scan` lists them again):");
    for line in String::from_utf8_lossy(&lines).lines() {
        ctx.say(format_args!("  {line}"));
    }
    if !found.trackable().is_empty() {
        ctx.say(
            "hint: keep them with `jitsi-custom track PATH…`, then `jitsi-custom record -m \"what it is\"`",
        );
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
    let question = format!(
        "Hold {} so that `apt upgrade` keeps them back until the maintenance window (`jitsi-custom upgrade`)?",
        plan.changed.join(", ")
    );
    match ctx.prompt.confirm(&question, true) {
        Ok(true) => {
            apt::set_selections(&ctx.root, &plan.changed, Selection::Hold)?;
            ctx.say(format_args!("held {}", plan.changed.join(", ")));
        }
        Ok(false) => {}
        Err(_) => ctx.say("hint: hold the Jitsi packages with `jitsi-custom hold` and upgrade them with `jitsi-custom upgrade`"),
    }
    Ok(())
}

/// The pristine content of a file at init (`None`: upstream does not ship it).
fn establish_upstream(
    ctx: &Ctx,
    dpkg: &Dpkg,
    file: &TrackedFile,
    live: &[u8],
    adopt_bkp: bool,
) -> Result<(Option<Vec<u8>>, Origin)> {
    Ok(
        match intake::find_pristine(&ctx.root, dpkg, file, Some(live), adopt_bkp)? {
            Pristine::Found { content, origin } => (Some(content), origin),
            // A Jitsi file no package owns was made by a package script (or by hand) before
            // init; what is there now is the best upstream there is.
            Pristine::NotShipped => {
                ctx.detail(format_args!(
                    "{}: no package owns it; taking the live file as upstream",
                    file.path
                ));
                (
                    Some(live.to_vec()),
                    Origin {
                        source: Source::Live,
                        package: None,
                        dpkg_md5: None,
                    },
                )
            }
            Pristine::Unknown {
                package,
                dpkg_md5,
                archive_problem,
            } => {
                let why = match archive_problem {
                    Some(problem) => {
                        format!("no matching .BKP, and the cached package is unusable: {problem}")
                    }
                    None => "no matching .BKP, no cached .deb".to_string(),
                };
                let question = format!(
                    "{} differs from what {package} installed and no pristine copy was found ({why}). Take the live file as upstream?",
                    file.path
                );
                let take_live = match ctx.prompt.confirm(&question, true) {
                    Ok(answer) => answer,
                    Err(_) => {
                        ctx.warn(format_args!(
                        "{}: no pristine copy found ({why}); taking the live file as upstream, so edits made before init are not a customisation",
                        file.path
                    ));
                        true
                    }
                };
                let origin = Origin {
                    source: Source::Live,
                    package: Some(package),
                    dpkg_md5,
                };
                if take_live {
                    (Some(live.to_vec()), origin)
                } else {
                    return Err(crate::Error::Aborted.into());
                }
            }
        },
    )
}

pub(super) fn source_name(source: Source) -> &'static str {
    match source {
        Source::Dpkg => "the live file, matching dpkg",
        Source::Bkp => "the .BKP copy, matching dpkg",
        Source::DebCache => "the cached .deb",
        Source::DpkgDist => "dpkg's .dpkg-dist",
        Source::Template => "the package template",
        Source::Live => "the live file, unverified",
        Source::Absent => "nowhere: not shipped by a package",
    }
}
