//! The first state: the Jitsi files found under the root are tracked, their pristine upstream
//! content established (dpkg, the guide's `.BKP` copies, apt's cache), and whatever differs from
//! it recorded as the first customisations, one per file. What the admin changed elsewhere before
//! (other packaged files, files no package owns) is found with [`scan`] and reported.

use std::collections::BTreeSet;
use std::path::Path;

use crate::tr;
use anyhow::Result;

use crate::InstallPath;
use crate::engine::intake::{self, Pristine};
use crate::engine::live;
use crate::engine::scan::{self, ChangedFile, ScanReport, Scope, UnownedFile};
use crate::store::upstream::{Origin, Source, UpstreamMeta};
use crate::store::{CUSTOM_REF, Manifest, Refs, Store, TrackedFile};
use crate::system::dpkg::Dpkg;
use crate::ui::prompt::Prompt;

/// What `init` is asked to do.
pub struct InitOptions<'a> {
    /// The Jitsi domain; found from `/etc/jitsi/meet/<domain>-config.js` when not given.
    pub domain: Option<String>,
    /// Take pristine copies from the guide's `<file>.BKP` backups when dpkg's md5 confirms them.
    pub adopt_bkp: bool,
    /// Start over when the state dir is initialised (the old state is moved aside).
    pub force: bool,
    pub dry_run: bool,
    /// Asked whether to take a live file as upstream when no pristine copy is found.
    pub prompt: &'a dyn Prompt,
    /// The docker-jitsi-meet variant (`init --docker DIR`) instead of the Debian packages.
    pub docker: Option<crate::engine::docker::DockerInit>,
}

/// What init found for one file.
#[derive(Debug, serde::Serialize)]
pub struct Adopted {
    pub path: InstallPath,
    pub source: Source,
    pub customised: bool,
}

/// What init did (in a dry run: the files it would track, with no source established).
#[derive(Debug, Default, serde::Serialize)]
pub struct Initialised {
    pub domain: Option<String>,
    pub files: Vec<Adopted>,
    /// What `scan` finds that init does not track: the admin's edits of other packaged files and
    /// files no package owns under the Jitsi trees. Serialised as `not_tracked`, the untracked
    /// `changed` and `unowned` files only.
    #[serde(rename = "not_tracked", serialize_with = "untracked_only")]
    pub found: ScanReport,
    #[serde(skip)]
    pub manifest: Manifest,
    /// What a person should know.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// Shown with `-v`.
    #[serde(skip)]
    pub details: Vec<String>,
}

/// Creates the state dir and its first operation. Declining to take a live file as upstream
/// aborts before the first operation is logged.
pub fn init(root: &Path, state_dir: &Path, dpkg: &Dpkg, opts: &InitOptions) -> Result<Initialised> {
    if let Some(docker) = &opts.docker {
        return init_docker(root, state_dir, dpkg, opts, docker);
    }
    let domain = opts
        .domain
        .clone()
        .or_else(|| crate::profile::detect_domain(root));
    if let Some(domain) = &domain {
        InstallPath::parse(domain).map_err(|_| {
            crate::Error::Usage(tr!("invalid domain {domain}", domain = format!("{domain:?}")))
        })?;
    }
    let files = known_files(root, dpkg, domain.as_deref())?;
    let tracked: BTreeSet<InstallPath> = files.iter().map(|(f, _)| f.path.clone()).collect();
    let found = scan::scan(
        root,
        dpkg,
        &Scope {
            packages: &Manifest::default().package_set(),
            domain: domain.as_deref(),
            tracked: &tracked,
            threads: 0,
        },
    )?;
    let mut report = Initialised {
        domain: domain.clone(),
        found,
        ..Initialised::default()
    };
    if opts.dry_run {
        report.files = would_track(&files);
        return Ok(report);
    }
    let store = Store::create(state_dir, opts.force)?;
    let mut manifest = Manifest {
        domain,
        ..Manifest::default()
    };
    let mut adoption = adopt(root, dpkg, &files, opts, None, &mut report, &mut manifest)?;
    adoption.meta.packages = crate::engine::status::installed_versions(dpkg, &manifest);
    commit_first(&store, &manifest, &adoption)?;
    let snapshot = live::snapshot(root, &manifest)?;
    let description = format!("{} files tracked", files.len());
    store.log_operation(root, "init", &description, Refs::default(), &snapshot)?;
    report.manifest = manifest;
    Ok(report)
}

/// The untracked part of a scan, for `init --json`.
/// What `init` takes from the files it tracks: each one's pristine content and origin, and the
/// content of those that differ from it, to record as the first customisations.
struct Adoption {
    meta: UpstreamMeta,
    upstream: Vec<(InstallPath, Vec<u8>)>,
    customised: Vec<(InstallPath, Vec<u8>)>,
}

/// Establishes each file's pristine content and origin, tracks it in `manifest` and says what
/// was found in `report`. A file counts as customised by what it holds beside a file the docker
/// variant appends to it (the whole live file otherwise).
fn adopt(
    root: &Path,
    dpkg: &Dpkg,
    files: &[(TrackedFile, Vec<u8>)],
    opts: &InitOptions,
    image: Option<&crate::engine::docker::Image>,
    report: &mut Initialised,
    manifest: &mut Manifest,
) -> Result<Adoption> {
    let mut adoption = Adoption {
        meta: UpstreamMeta::default(),
        upstream: Vec::new(),
        customised: Vec::new(),
    };
    let meta = &mut adoption.meta;
    for (file, content) in files {
        let (pristine, origin) = establish_upstream(root, dpkg, file, content, opts, image, report)?;
        let seen = crate::engine::docker::live_view(root, file, content)?;
        let customised = pristine.as_deref() != Some(seen.as_slice());
        report.files.push(Adopted {
            path: file.path.clone(),
            source: origin.source,
            customised,
        });
        meta.files.insert(file.path.to_string(), origin);
        if let Some(pristine) = pristine {
            adoption.upstream.push((file.path.clone(), pristine));
        }
        if customised {
            adoption.customised.push((file.path.clone(), seen));
        }
        manifest.track(file.clone());
    }
    Ok(adoption)
}

/// The first operation's commits: the manifest, the upstream commit the `custom` stack starts
/// from, and one customisation per file found customised ("found at init: <file>").
fn commit_first(store: &Store, manifest: &Manifest, adoption: &Adoption) -> Result<()> {
    let changes: Vec<(&str, Option<&[u8]>)> = adoption
        .upstream
        .iter()
        .map(|(path, content)| (path.as_rel(), Some(content.as_slice())))
        .collect();
    // The manifest first: one that lists a file the store does not hold yet is taken as it is,
    // the other way round every writer refuses (see `Store::check_manifest_covers`).
    store.save_manifest(manifest)?;
    let base = store.commit_upstream(&changes, &adoption.meta)?;
    store.set_ref(CUSTOM_REF, Some(base), "init")?;
    for (path, content) in &adoption.customised {
        let name = format!("found at init: {}", path.file_name());
        store.record_patch(&name, &[(path.as_rel(), Some(content))])?;
    }
    Ok(())
}

fn untracked_only<S: serde::Serializer>(found: &ScanReport, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    #[derive(Serialize)]
    struct Untracked<'a> {
        changed: Vec<&'a ChangedFile>,
        unowned: Vec<&'a UnownedFile>,
    }
    Untracked {
        changed: found.changed.iter().filter(|f| !f.tracked).collect(),
        unowned: found.unowned.iter().filter(|f| !f.tracked).collect(),
    }
    .serialize(s)
}

/// A dry run's report: the files init would track, no source established yet.
fn would_track(files: &[(TrackedFile, Vec<u8>)]) -> Vec<Adopted> {
    files
        .iter()
        .map(|(file, _)| Adopted {
            path: file.path.clone(),
            source: Source::Absent,
            customised: false,
        })
        .collect()
}

/// The files of the profile that exist under the root, described, with their live content.
fn known_files(root: &Path, dpkg: &Dpkg, domain: Option<&str>) -> Result<Vec<(TrackedFile, Vec<u8>)>> {
    let mut files = Vec::new();
    for known in crate::profile::KNOWN_FILES {
        let Some(path) = known.path_for(domain) else {
            continue;
        };
        let path = InstallPath::parse(&path)?;
        if let Some(content) = live::read(root, &path)? {
            let mut file = intake::describe(path, dpkg, domain)?;
            if let (Some(template), Some(t)) = (known.template, &file.template)
                && let Some(template_content) = live::read(root, t)?
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
    Ok(files)
}

/// The pristine content of a file at init (`None`: upstream does not ship it).
fn establish_upstream(
    root: &Path,
    dpkg: &Dpkg,
    file: &TrackedFile,
    live: &[u8],
    opts: &InitOptions,
    image: Option<&crate::engine::docker::Image>,
    report: &mut Initialised,
) -> Result<(Option<Vec<u8>>, Origin)> {
    Ok(
        match intake::find_pristine(root, dpkg, file, Some(live), opts.adopt_bkp, image)? {
            Pristine::Found { content, origin } => (Some(content), origin),
            // A Jitsi file no package owns was made by a package script (or by hand) before
            // init; what is there now is the best upstream there is.
            Pristine::NotShipped => {
                report.details.push(tr!(
                    "{path}: no package owns it; taking the live file as upstream",
                    path = file.path
                ));
                (Some(live.to_vec()), Origin::debian(Source::Live, None, None))
            }
            Pristine::Unknown {
                package,
                dpkg_md5,
                archive_problem,
            } => {
                let why = match archive_problem {
                    Some(problem) => tr!(
                        "no matching .BKP, and the cached package is unusable: {problem}",
                        problem
                    ),
                    None => tr!("no matching .BKP, no cached .deb"),
                };
                let question = tr!(
                    "{path} differs from what {package} installed and no pristine copy was found ({why}). Take the live file as upstream?",
                    path = file.path,
                    package,
                    why
                );
                let take_live = match opts.prompt.confirm(&question, true) {
                    Ok(answer) => answer,
                    Err(_) => {
                        report.warnings.push(tr!(
                            "{path}: no pristine copy found ({why}); taking the live file as upstream, so edits made before init are not a customisation",
                            path = file.path,
                            why
                        ));
                        true
                    }
                };
                if !take_live {
                    return Err(crate::Error::Aborted.into());
                }
                let origin = Origin::debian(Source::Live, Some(package), dpkg_md5);
                (Some(live.to_vec()), origin)
            }
        },
    )
}

/// `init --docker`: the checkout's `.env`, the web configs the container generates and the overlay
/// files of the web image's customisable files. An overlay file that does not exist yet is made
/// from the image's (pristine, so it is not mounted until it is customised): the place to edit.
fn init_docker(
    root: &Path,
    state_dir: &Path,
    dpkg: &Dpkg,
    opts: &InitOptions,
    docker: &crate::engine::docker::DockerInit,
) -> Result<Initialised> {
    use crate::engine::docker;
    let setup = docker::detect(root, docker)?;
    let candidates = docker::known_files(&setup)?;
    let mut manifest = Manifest {
        docker: Some(setup.clone()),
        packages: Some(Vec::new()),
        files: candidates.clone(),
        ..Manifest::default()
    };
    let mut report = Initialised::default();
    let image = docker::read_image(&setup, &manifest)?;
    report.details.push(tr!(
        "web image {image} ({id})",
        image = image.reference,
        id = image.id
    ));
    // What exists, and the overlay files to make from the image.
    let mut files: Vec<(TrackedFile, Vec<u8>)> = Vec::new();
    let mut made: Vec<(InstallPath, Vec<u8>)> = Vec::new();
    for file in candidates {
        match live::read(root, &file.path)? {
            Some(content) => files.push((file, content)),
            None if file.image_path.is_some() && file.appended.is_none() => {
                if let Some(content) = file.image_path.as_ref().and_then(|p| image.file(p)) {
                    made.push((file.path.clone(), content.clone()));
                    files.push((file, content.clone()));
                } else {
                    report.details.push(tr!(
                        "{path}: the web image has no such file; not tracked",
                        path = file.path
                    ));
                }
            }
            None => report
                .details
                .push(tr!("{path}: not there (yet); not tracked", path = file.path)),
        }
    }
    if opts.dry_run {
        report.files = would_track(&files);
        return Ok(report);
    }
    let store = Store::create(state_dir, opts.force)?;
    manifest.files.clear();
    let mut adoption = adopt(root, dpkg, &files, opts, Some(&image), &mut report, &mut manifest)?;
    adoption
        .meta
        .packages
        .insert(format!("image {}", setup.web_image), image.id.clone());
    // The container that generated the web configs, so that a recreated one is recognised.
    let (now, problem) = docker::now(&setup);
    if let Some(problem) = problem {
        report.warnings.push(problem);
    }
    for origin in adoption
        .meta
        .files
        .values_mut()
        .filter(|o| o.source == Source::Container)
    {
        origin.image = now.container.clone();
    }
    commit_first(&store, &manifest, &adoption)?;
    for (path, content) in made {
        store.stage_live(&path, Some(content), None);
    }
    report
        .warnings
        .extend(docker::stage_outputs(root, &store, &manifest)?);
    let snapshot = live::snapshot(root, &manifest)?;
    let description = format!(
        "docker-jitsi-meet in {}: {} files tracked",
        setup.checkout,
        files.len()
    );
    store.log_operation(root, "init", &description, Refs::default(), &snapshot)?;
    report.manifest = manifest;
    Ok(report)
}
