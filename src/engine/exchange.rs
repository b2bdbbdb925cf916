//! The patch stack as a quilt-style series, out and back in: `export DIR` writes `DIR/series`
//! (the patch files in order) and one `git format-patch` style file per customisation, which
//! `git apply` (and, for text, `patch -p1`) accepts in the root; `import DIR` takes such a series
//! back as customisations on top of the stack, with the same names, order and content.
//!
//! Import is all or nothing. Every patch is checked first — its paths (no `..`, nothing outside
//! the Jitsi trees unless allowed or tracked, never the store's own files), its size, that it
//! makes regular files only, that it applies cleanly, that the tracked files it changes are as
//! recorded, that the results validate — and tried on a scratch copy of the store whose objects
//! stay in memory. Any refusal is one line naming the patch and the reason, and then nothing is
//! written at all. Otherwise the new files are tracked, the patches recorded and the live files
//! written in one operation ([`crate::store::transition`]), which `rollback` undoes.
//!
//! A customisation whose name is already on the stack is taken as present when the patch makes
//! exactly its changes (importing a series twice changes nothing), and refused otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result};

use crate::InstallPath;
use crate::engine::intake::{self, Pristine};
use crate::engine::live;
use crate::engine::status::{self, FileState};
use crate::error::Error;
use crate::store::exchange::{Applied, PatchFile};
use crate::store::upstream::{META_DIR, Origin, Source};
use crate::store::{Manifest, Store, TrackedFile};
use crate::system::dpkg::Dpkg;
use crate::system::fs::PathProblem;
use crate::system::series;

/// The list of patch files, one per line in order (quilt's name for it).
pub const SERIES: &str = "series";

/// One patch file of a series.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SeriesEntry {
    /// The patch file's name in the directory (`0001-german-welcome-texts.patch`).
    pub file: String,
    /// The customisation's name.
    pub name: String,
    pub paths: Vec<InstallPath>,
}

/// What `export` wrote.
#[derive(Debug, Default, serde::Serialize)]
pub struct ExportReport {
    pub dir: PathBuf,
    pub patches: Vec<SeriesEntry>,
    /// Decisions waiting for a person: their customisations are in the series as they stand
    /// in the stack, not as a person may still decide.
    pub parked: usize,
}

/// Writes the stack as a series into `dir`: a missing or empty directory, or (with `force`) one
/// that holds anything, whose earlier series files are replaced (other files stay). `dry_run`
/// writes nothing.
pub fn export_series(store: &Store, dir: &Path, force: bool, dry_run: bool) -> Result<ExportReport> {
    let empty =
        series::is_missing_or_empty(dir).with_context(|| tr!("cannot read {path}", path = dir.display()))?;
    if !empty && !force {
        return Err(Error::Usage(tr!(
            "{dir} is not empty\nhint: export into a new directory, or pass --force to replace the series in it",
            dir = dir.display()
        ))
        .into());
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::BadPath {
            path: dir.display().to_string(),
            reason: tr!("is not a directory"),
        }
        .into());
    }
    let exported = store.export_patches()?;
    let mut report = ExportReport {
        dir: dir.to_path_buf(),
        parked: store.review()?.parked.len(),
        ..Default::default()
    };
    let mut files = Vec::new();
    let mut list = String::new();
    for (index, patch) in exported.into_iter().enumerate() {
        let file = format!("{:04}-{}.patch", index + 1, slug(&patch.name));
        list.push_str(&file);
        list.push('\n');
        report.patches.push(SeriesEntry {
            file: file.clone(),
            name: patch.name,
            paths: patch
                .paths
                .iter()
                .map(|p| InstallPath::parse(p))
                .collect::<Result<_, _>>()?,
        });
        files.push((file, patch.text));
    }
    if dry_run {
        return Ok(report);
    }
    // The patch files of the series the directory held, replaced by the new ones.
    let stale: Vec<String> = if empty {
        Vec::new()
    } else {
        std::fs::read(dir.join(SERIES))
            .map(|text| {
                series_lines(&text)
                    .into_iter()
                    .filter_map(Result::ok)
                    // Only files in the directory itself: an old list is no licence to delete
                    // anything elsewhere.
                    .filter(|file| !file.contains('/') && file != ".." && file != SERIES)
                    .collect()
            })
            .unwrap_or_default()
    };
    series::write_series(dir, &files, &(SERIES.to_string(), list.into_bytes()), &stale)
        .with_context(|| tr!("cannot write the series into {dir}", dir = dir.display()))?;
    Ok(report)
}

/// A file name for a customisation's name, as `git format-patch` makes them: lowercase ASCII
/// letters and digits, every other run of characters one `-`, at most 52 characters.
pub(crate) fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_matches('-').chars().take(52).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "customisation".to_string()
    } else {
        slug
    }
}

/// The patch file names a series lists: one per line, `#` comments and empty lines skipped;
/// quilt's `-p1` after a name is accepted, any other option is an error naming the line.
fn series_lines(text: &[u8]) -> Vec<Result<String, (String, String)>> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let file = words.next().unwrap_or_default().to_string();
            match words.collect::<Vec<_>>().as_slice() {
                [] | ["-p1"] => Ok(file),
                options => Err((
                    file,
                    tr!(
                        "the series gives it {options}; only -p1 patches (paths below the root, as git writes them) are taken",
                        options = format!("{:?}", options.join(" "))
                    ),
                )),
            }
        })
        .collect()
}

/// What `import` may do.
#[derive(Debug, Default)]
pub struct ImportOptions {
    /// Install paths (directories or files) outside the Jitsi trees that patches may change.
    pub allow: Vec<InstallPath>,
    pub dry_run: bool,
}

/// A patch file that cannot be taken, and why, in one line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub patch: String,
    pub reason: String,
}

/// What `import` did (or, in a dry run, would do).
#[derive(Debug, Default, serde::Serialize)]
pub struct ImportReport {
    /// New customisations, in order.
    pub imported: Vec<SeriesEntry>,
    /// Customisations of the series already on the stack with exactly these changes.
    pub present: Vec<SeriesEntry>,
    /// Files tracked for the patches that change them.
    pub tracked: Vec<InstallPath>,
    /// Live files written.
    pub written: Vec<InstallPath>,
    /// Services that read the files written.
    pub services: Vec<String>,
}

#[derive(Debug)]
pub enum ImportOutcome {
    Imported(ImportReport),
    /// Nothing was written.
    Refused(Vec<Refusal>),
}

/// New content (`None`: removed) of the files one patch changes.
type FileChanges = Vec<(InstallPath, Option<Vec<u8>>)>;

/// A patch file read and parsed.
struct Candidate {
    /// Its place in the series.
    index: usize,
    entry: SeriesEntry,
    patch: PatchFile,
}

/// The patch files of a series that passed the checks on their own, and where the first one
/// that did not stands.
struct Series {
    candidates: Vec<Candidate>,
    first_refused: Option<usize>,
}

/// Imports the series in `dir` as customisations on top of the stack (see the module docs).
pub fn import_series(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &Dpkg,
    dir: &Path,
    opts: &ImportOptions,
) -> Result<ImportOutcome> {
    let limit = manifest.max_file_size();
    let mut refusals = Vec::new();
    let Series {
        candidates,
        first_refused,
    } = read_series(dir, limit, manifest, opts, &mut refusals)?;

    // Files the series changes that are not tracked yet: tracked now, with their pristine content.
    let wanted: Vec<(String, Vec<InstallPath>)> = candidates
        .iter()
        .map(|c| (c.entry.file.clone(), c.entry.paths.clone()))
        .collect();
    let new_files = intake_new_files(root, dpkg, manifest, &wanted, &mut refusals)?;

    // The tracked files it changes must be as the store says (no unrecorded edit is overwritten).
    let touched: BTreeSet<&InstallPath> = candidates.iter().flat_map(|c| &c.entry.paths).collect();
    let survey = status::survey(root, store, manifest, dpkg)?;
    let custom = store
        .custom_tip()?
        .with_context(|| tr!("the store has no upstream yet"))?;
    for path in &touched {
        let Some(file) = survey.file(path) else {
            continue;
        };
        let recorded = store.content_at(custom, path.as_rel())?;
        let fine = match file.state {
            FileState::Clean | FileState::Customised => true,
            FileState::Missing => recorded.is_none(),
            _ => false,
        };
        if !fine {
            refusals.push(Refusal {
                patch: first_to_change(&candidates, path),
                reason: format!("{path}: {}", state_problem(file.state)),
            });
        }
    }

    // Try every patch, in order, on a scratch copy of the stack.
    let scratch = store.scratch()?;
    let upstream_changes: Vec<(&str, Option<&[u8]>)> = new_files
        .iter()
        .map(|f| (f.file.path.as_rel(), f.pristine.as_deref()))
        .collect();
    let mut tree = scratch.tree_with(scratch.tree_of(custom)?, &upstream_changes)?;
    let stack = store.patches()?;
    let mut imported: Vec<(SeriesEntry, FileChanges)> = Vec::new();
    let mut present = Vec::new();
    let mut last_changed: BTreeMap<InstallPath, String> = BTreeMap::new();
    let mut blocked = false;
    for candidate in &candidates {
        let entry = &candidate.entry;
        let refuse = |reason: String| Refusal {
            patch: entry.file.clone(),
            reason,
        };
        if let Some(existing) = stack.iter().find(|p| p.name == entry.name) {
            let parent = store.parent_of(existing.id)?.unwrap_or(existing.id);
            match scratch.apply(scratch.tree_of(parent)?, &candidate.patch)? {
                Applied::Tree(t) if t == store.tree_of(existing.id)? => present.push(entry.clone()),
                _ => refusals.push(refuse(tr!(
                    "a customisation named {name} exists already, with other changes; change the patch's Subject: line to import it under another name",
                    name = format!("{:?}", entry.name)
                ))),
            }
            continue;
        }
        if blocked || first_refused.is_some_and(|first| first < candidate.index) {
            // Whether it applies depends on the patches before it, one of which is refused.
            continue;
        }
        match scratch.apply(tree, &candidate.patch)? {
            Applied::Tree(t) if t == tree => {
                refusals.push(refuse(tr!("changes nothing")));
            }
            Applied::Tree(t) => {
                let mut changes = Vec::new();
                for path in &entry.paths {
                    let content = scratch.content(t, path.as_rel())?;
                    if content.as_ref().is_some_and(|c| c.len() as u64 > limit) {
                        refusals.push(refuse(tr!(
                            "{path}: would be larger than max_file_size ({size}) in the manifest",
                            path,
                            size = crate::system::human_size(limit)
                        )));
                    }
                    last_changed.insert(path.clone(), entry.file.clone());
                    changes.push((path.clone(), content));
                }
                imported.push((entry.clone(), changes));
                tree = t;
            }
            Applied::DoesNotApply(why) => {
                refusals.push(refuse(tr!("does not apply to the current files ({why})", why)));
                blocked = true;
            }
            Applied::NotARegularFile { path, mode } => {
                let what = match mode {
                    Some(mode) => tr!(
                        "{kind} (mode {mode})",
                        kind = kind_of_mode(mode),
                        mode = format!("{mode:06o}")
                    ),
                    None => tr!("a device or other special file"),
                };
                refusals.push(refuse(tr!(
                    "would make /{path} {what}; only regular files are kept",
                    path,
                    what
                )));
                blocked = true;
            }
        }
    }

    // Nothing that fails validation goes live.
    let mut writes: Vec<(InstallPath, Option<Vec<u8>>)> = Vec::new();
    if refusals.is_empty() {
        let upstream = store
            .upstream_tip()?
            .with_context(|| tr!("the store has no upstream yet"))?;
        for (path, file) in &last_changed {
            let content = scratch.content(tree, path.as_rel())?;
            let live = live::read(root, path)?;
            if content == live {
                continue;
            }
            if let Some(bytes) = &content {
                let upstream_content = match new_files.iter().find(|f| &f.file.path == path) {
                    Some(new) => new.pristine.clone(),
                    None => store.content_at(upstream, path.as_rel())?,
                };
                let strategy = manifest
                    .file(path)
                    .map(TrackedFile::strategy)
                    .unwrap_or_else(|| crate::profile::strategy_for_path(path.as_rel()));
                if strategy != crate::merge::Strategy::Binary && crate::merge::has_conflict_markers(bytes) {
                    refusals.push(Refusal {
                        patch: file.clone(),
                        reason: tr!("{path}: would hold conflict markers", path),
                    });
                    continue;
                }
                if let Err(why) =
                    crate::validate::validate_merged(root, path, bytes, upstream_content.as_deref())
                {
                    refusals.push(Refusal {
                        patch: file.clone(),
                        reason: tr!("{path}: would not validate: {why}", path, why = first_line(&why)),
                    });
                    continue;
                }
            }
            writes.push((path.clone(), content));
        }
    }
    if !refusals.is_empty() {
        return Ok(ImportOutcome::Refused(refusals));
    }

    let new_manifest = with_new_files(manifest, &new_files);
    let written: Vec<InstallPath> = writes.iter().map(|(p, _)| p.clone()).collect();
    let report = ImportReport {
        services: crate::engine::rebase::services_for(&new_manifest, &written),
        imported: imported.iter().map(|(e, _)| e.clone()).collect(),
        present,
        tracked: new_files.iter().map(|f| f.file.path.clone()).collect(),
        written,
    };
    if opts.dry_run || report.imported.is_empty() {
        return Ok(ImportOutcome::Imported(report));
    }

    // One operation: track, record, write.
    let before = store.refs_now()?;
    track_new_files(store, dpkg, manifest, &new_files)?;
    for (entry, changes) in &imported {
        let changes: Vec<(&str, Option<&[u8]>)> =
            changes.iter().map(|(p, c)| (p.as_rel(), c.as_deref())).collect();
        store.record_patch(&entry.name, &changes)?;
    }
    let custom = store
        .custom_tip()?
        .with_context(|| tr!("the store has no upstream yet"))?;
    for path in last_changed.keys() {
        anyhow::ensure!(
            store.content_at(custom, path.as_rel())? == scratch.content(tree, path.as_rel())?,
            "{}",
            tr!(
                "{path}: the imported customisations came out other than tried",
                path
            )
        );
    }
    for (path, content) in &writes {
        store.stage_live(path, content.clone(), None);
    }
    let names: Vec<&str> = report.imported.iter().map(|e| e.name.as_str()).collect();
    store.log_operation(
        root,
        "import",
        &format!("{} from {}", names.join(", "), dir.display()),
        before,
        &live::snapshot(root, &new_manifest)?,
    )?;
    Ok(ImportOutcome::Imported(report))
}

/// Reads the series list and every patch file it names, checking each file's size, that it
/// parses, its name, and its paths. A refused file is left out of what is returned.
fn read_series(
    dir: &Path,
    limit: u64,
    manifest: &Manifest,
    opts: &ImportOptions,
    refusals: &mut Vec<Refusal>,
) -> Result<Series> {
    let list_path = dir.join(SERIES);
    let list = match series::read_bounded(&list_path, limit) {
        Ok(list) => list,
        Err(PathProblem::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Usage(tr!(
                "{dir}: no series here\nhint: a series is a directory as `jitsi-custom export DIR` writes it: a `series` file listing the patch files in order",
                dir = dir.display()
            ))
            .into());
        }
        Err(problem) => {
            return Err(Error::BadInput(list_path.display().to_string(), problem.to_string()).into());
        }
    };
    let mut series = Series {
        candidates: Vec::new(),
        first_refused: None,
    };
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (index, line) in series_lines(&list).into_iter().enumerate() {
        let checked = line.and_then(
            |file| match read_one(dir, limit, manifest, opts, &file, &mut names) {
                Ok((entry, patch)) => Ok(Candidate { index, entry, patch }),
                Err(reasons) => Err((file, reasons.join("; "))),
            },
        );
        match checked {
            Ok(candidate) => series.candidates.push(candidate),
            Err((patch, reason)) => {
                refusals.push(Refusal { patch, reason });
                series.first_refused.get_or_insert(index);
            }
        }
    }
    if series.candidates.is_empty() && refusals.is_empty() {
        return Err(Error::Usage(tr!(
            "{path}: the series lists no patch",
            path = list_path.display()
        ))
        .into());
    }
    Ok(series)
}

/// Reads and checks one patch file of the series on its own: where it is, its size, that it
/// parses, its name (not twice in the series), its paths. The error holds every reason found.
fn read_one(
    dir: &Path,
    limit: u64,
    manifest: &Manifest,
    opts: &ImportOptions,
    file: &str,
    names: &mut BTreeSet<String>,
) -> Result<(SeriesEntry, PatchFile), Vec<String>> {
    if file.starts_with('/') || file.split('/').any(|part| part == ".." || part.is_empty()) {
        return Err(vec![tr!("the series names a file outside its directory")]);
    }
    let text = series::read_bounded(&dir.join(file), limit).map_err(|problem| {
        vec![match problem {
            too_large @ PathProblem::TooLarge { .. } => {
                tr!("{problem} (max_file_size in the manifest)", problem = too_large)
            }
            PathProblem::Symlink => tr!("is a symbolic link; patch files are read only as regular files"),
            problem => tr!("cannot be read: {problem}", problem),
        }]
    })?;
    let patch = PatchFile::parse(&text).map_err(|reason| vec![reason])?;
    let name = patch
        .subject
        .clone()
        .unwrap_or_else(|| name_from_file(file))
        .trim()
        .to_string();
    if name.is_empty() {
        return Err(vec![tr!("its Subject: line names no customisation")]);
    }
    if !names.insert(name.clone()) {
        return Err(vec![tr!(
            "the series has a customisation named {name} twice",
            name = format!("{name:?}")
        )]);
    }
    let mut paths = Vec::new();
    let mut reasons = Vec::new();
    for raw in patch
        .deltas
        .iter()
        .flat_map(|d| [d.old_path.as_deref(), d.new_path.as_deref()])
        .flatten()
    {
        match check_path(raw, manifest, &opts.allow) {
            Ok(path) if !paths.contains(&path) => paths.push(path),
            Ok(_) => {}
            Err(reason) if !reasons.contains(&reason) => reasons.push(reason),
            Err(_) => {}
        }
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    Ok((
        SeriesEntry {
            file: file.to_string(),
            name,
            paths,
        },
        patch,
    ))
}

/// The customisation's name for a patch without a `Subject:` line: its file name without the
/// number and `.patch` (`0002-practice-logo.patch` → `practice-logo`).
fn name_from_file(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    let base = base
        .strip_suffix(".patch")
        .or_else(|| base.strip_suffix(".diff"))
        .unwrap_or(base);
    match base.split_once('-') {
        Some((number, rest)) if number.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty() => {
            rest.to_string()
        }
        _ => base.to_string(),
    }
}

/// A path as a patch names it (below the root, `a/`/`b/` already taken off), checked: no `..`,
/// not the store's own files, inside the Jitsi trees unless tracked or allowed.
pub(crate) fn check_path(
    raw: &str,
    manifest: &Manifest,
    allow: &[InstallPath],
) -> Result<InstallPath, String> {
    if raw.split('/').any(|part| part == "..") {
        return Err(tr!(
            "/{path}: the path climbs with `..`",
            path = raw.trim_start_matches('/')
        ));
    }
    let path = InstallPath::parse(raw).map_err(|e| e.to_string())?;
    if path.as_rel() == META_DIR || path.as_rel().starts_with(&format!("{META_DIR}/")) {
        return Err(tr!(
            "{path}: is jitsi-custom's own metadata, not a live file",
            path
        ));
    }
    let allowed = manifest.is_tracked(&path)
        || crate::profile::in_trees(&path.to_string())
        || allow
            .iter()
            .any(|a| path == *a || path.as_rel().starts_with(&format!("{}/", a.as_rel())));
    if !allowed {
        return Err(tr!(
            "{path}: is outside the Jitsi trees ({trees}); to take it, pass --allow {path}",
            path,
            trees = crate::profile::TREES
                .iter()
                .map(|t| t.trim_end_matches('/'))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(path)
}

/// The manifest with the new files tracked.
pub(crate) fn with_new_files(manifest: &Manifest, new_files: &[NewFile]) -> Manifest {
    let mut new_manifest = manifest.clone();
    for new in new_files {
        new_manifest.track(new.file.clone());
    }
    new_manifest
}

/// Tracks the new files as part of the operation being prepared: the manifest, their pristine
/// content on the upstream branch, the stack rebuilt on it. Returns the new manifest.
pub(crate) fn track_new_files(
    store: &Store,
    dpkg: &Dpkg,
    manifest: &Manifest,
    new_files: &[NewFile],
) -> Result<Manifest> {
    let new_manifest = with_new_files(manifest, new_files);
    if new_files.is_empty() {
        return Ok(new_manifest);
    }
    let upstream_changes: Vec<(&str, Option<&[u8]>)> = new_files
        .iter()
        .map(|f| (f.file.path.as_rel(), f.pristine.as_deref()))
        .collect();
    let mut meta = store.upstream_meta(None)?;
    for new in new_files {
        meta.files.insert(new.file.path.to_string(), new.origin.clone());
    }
    meta.packages
        .extend(status::installed_versions(dpkg, &new_manifest));
    let stack = store.patches()?;
    store.save_manifest(&new_manifest)?;
    let new_upstream = store.commit_upstream(&upstream_changes, &meta)?;
    store.restack(&stack, new_upstream, &upstream_changes)?;
    Ok(new_manifest)
}

/// A file the series changes that is not tracked yet.
pub(crate) struct NewFile {
    pub(crate) file: TrackedFile,
    /// Upstream's content (`None`: no package ships it).
    pristine: Option<Vec<u8>>,
    origin: Origin,
}

/// Finds the pristine content of the files that patches (`(patch, paths)`) change and that are
/// not tracked yet; each one that cannot be taken is a refusal naming its patch. The live file
/// must be that content (or, for a file no package ships, not exist): anything else is an edit
/// nobody recorded, which importing would overwrite.
pub(crate) fn intake_new_files(
    root: &Path,
    dpkg: &Dpkg,
    manifest: &Manifest,
    wanted: &[(String, Vec<InstallPath>)],
    refusals: &mut Vec<Refusal>,
) -> Result<Vec<NewFile>> {
    let mut new_files: Vec<NewFile> = Vec::new();
    for (patch, paths) in wanted {
        for path in paths {
            if manifest.is_tracked(path) || new_files.iter().any(|f| &f.file.path == path) {
                continue;
            }
            let refuse = |reason: String| Refusal {
                patch: patch.clone(),
                reason: format!("{path}: {reason}"),
            };
            let live = match crate::system::fs::read(root, path) {
                Ok(live) => live,
                Err(problem) => {
                    refusals.push(refuse(problem.to_string()));
                    continue;
                }
            };
            let file = intake::describe(path.clone(), dpkg, manifest.domain.as_deref())?;
            let new = match intake::find_pristine(root, dpkg, &file, live.as_deref(), false, None)? {
                Pristine::Found { content, origin } if live.as_deref() == Some(content.as_slice()) => {
                    NewFile {
                        file,
                        pristine: Some(content),
                        origin,
                    }
                }
                Pristine::Found { .. } if live.is_none() => {
                    refusals.push(refuse(tr!("is missing, though a package ships it")));
                    continue;
                }
                Pristine::Found { origin, .. } => {
                    refusals.push(refuse(match origin.package.as_deref() {
                        Some(package) => tr!(
                            "is not tracked and differs from what {package} installed; track it first (`jitsi-custom track {path}`) and record what it holds",
                            package,
                            path
                        ),
                        None => tr!(
                            "is not tracked and differs from what its package installed; track it first (`jitsi-custom track {path}`) and record what it holds",
                            path
                        ),
                    }));
                    continue;
                }
                Pristine::NotShipped if live.is_none() => NewFile {
                    file,
                    pristine: None,
                    origin: Origin::debian(Source::Absent, None, None),
                },
                Pristine::NotShipped => {
                    refusals.push(refuse(tr!(
                        "exists and is not tracked; track it first (`jitsi-custom track {path}`) and record what it holds",
                        path
                    )));
                    continue;
                }
                Pristine::Unknown { package, .. } => {
                    refusals.push(refuse(tr!(
                        "is not tracked and no pristine copy of what {package} installed was found; track it first (`jitsi-custom track {path}`) and record what it holds",
                        package,
                        path
                    )));
                    continue;
                }
            };
            new_files.push(new);
        }
    }
    Ok(new_files)
}

/// The first patch file of the series that changes a path.
fn first_to_change(candidates: &[Candidate], path: &InstallPath) -> String {
    candidates
        .iter()
        .find(|c| c.entry.paths.contains(path))
        .map(|c| c.entry.file.clone())
        .unwrap_or_default()
}

/// Why a tracked file in this state cannot take an imported change yet, and what to do.
fn state_problem(state: FileState) -> String {
    match state {
        FileState::Unrecorded => {
            tr!("has edits not recorded yet; record them first (`jitsi-custom record -m …`)")
        }
        FileState::Overwritten => tr!("was overwritten by a package; run `jitsi-custom rebase` first"),
        FileState::UpstreamChanged => {
            tr!("has new upstream content not taken in; run `jitsi-custom rebase` first")
        }
        FileState::Conflict => tr!("waits for a decision; run `jitsi-custom resolve` first"),
        FileState::Missing => tr!("is missing; run `jitsi-custom status` to see why"),
        FileState::Clean | FileState::Customised => tr!("is fine"),
    }
}

/// What a git file mode other than a regular file's stands for.
fn kind_of_mode(mode: u32) -> String {
    match mode & 0o170000 {
        0o120000 => tr!("a symbolic link"),
        0o020000 | 0o060000 => tr!("a device"),
        0o160000 => tr!("a submodule"),
        0o040000 => tr!("a directory"),
        0o010000 => tr!("a FIFO"),
        0o140000 => tr!("a socket"),
        0o100000 => tr!("an executable"),
        _ => tr!("a file of an unknown kind"),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_what_format_patch_makes() {
        assert_eq!(slug("German welcome texts"), "german-welcome-texts");
        assert_eq!(slug("Begrüßung: ÄÖÜ!"), "begr-ung");
        assert_eq!(slug("!!!"), "customisation");
        assert_eq!(slug(&"a".repeat(80)).len(), 52);
    }

    #[test]
    fn series_lines_skip_comments_and_take_p1_only() {
        let lines = series_lines(b"# mine\n0001-a.patch\n\n0002-b.patch -p1\n0003-c.patch -p0\n");
        assert_eq!(lines[0], Ok("0001-a.patch".to_string()));
        assert_eq!(lines[1], Ok("0002-b.patch".to_string()));
        assert_eq!(lines[2].as_ref().unwrap_err().0, "0003-c.patch");
    }

    #[test]
    fn names_come_from_files_without_a_subject() {
        assert_eq!(name_from_file("0002-practice-logo.patch"), "practice-logo");
        assert_eq!(name_from_file("logo.diff"), "logo");
    }

    #[test]
    fn paths_outside_the_trees_need_allow() {
        let manifest = Manifest::default();
        assert!(check_path("usr/share/jitsi-meet/x.png", &manifest, &[]).is_ok());
        let err = check_path("etc/shadow", &manifest, &[]).unwrap_err();
        assert!(err.contains("--allow /etc/shadow"), "{err}");
        let allow = [InstallPath::parse("/etc").unwrap()];
        assert!(check_path("etc/shadow", &manifest, &allow).is_ok());
        assert!(check_path("usr/share/jitsi-meet/../../../etc/shadow", &manifest, &allow).is_err());
        assert!(check_path(".jitsi-custom/upstream.toml", &manifest, &allow).is_err());
    }
}
