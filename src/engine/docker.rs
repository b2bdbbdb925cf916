//! The docker-jitsi-meet variant: the same store, stack and strategies, with three sources of
//! pristine content that a Debian install does not have, and three files the tool writes beside
//! the customised ones.
//!
//! Pristine content: `env.example` for `.env` (a template with no placeholders); the web image,
//! read from `docker image save` without running a container, for the overlay files and
//! `interface_config.js` (`/defaults/interface_config.js`); and for `config.js`, which the web
//! container generates from its templates and the environment at every start, the file as the
//! container generated it, without the `custom-config.js` it appends ([`live_view`]).
//!
//! Written beside (the outputs, [`outputs`]): `custom-config.js` and `custom-interface_config.js`,
//! each with a block of statements that re-applies the recorded customisations of its file to
//! whatever the container generates (`config.defaultLanguage = 'de';`), the admin's own content of
//! those files kept below the block; and `docker-compose.override.yml`, which bind-mounts every
//! customised overlay file over the image's, beside the admin's own services and keys. Outputs are
//! staged with the operation that changes what they are made from, so they go live in the same
//! atomic step and a rollback puts them back with the tracked files.

use std::collections::BTreeMap;
use std::path::Path;

use crate::tr;
use anyhow::{Context, Result};
use serde::Serialize;

use crate::InstallPath;
use crate::engine::live;
use crate::profile::docker::{self as facts};
use crate::store::upstream::{Origin, Source};
use crate::store::{DockerSetup, Manifest, Oid, Store, TrackedFile};
use crate::system::{compose, docker};

/// The files read out of the web image.
#[derive(Clone, Debug, Default)]
pub struct Image {
    pub reference: String,
    /// `sha256:…`
    pub id: String,
    /// Install path in the image → content.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Image {
    pub fn file(&self, path: &InstallPath) -> Option<&Vec<u8>> {
        self.files.get(&path.to_string())
    }
}

/// Saves the web image (`docker image save`) and reads the files the tracked files come from.
pub fn read_image(setup: &DockerSetup, manifest: &Manifest) -> Result<Image> {
    let id = docker::image_id(&setup.web_image)?.with_context(|| {
        tr!(
            "the web image {image} is not there\nhint: `docker compose pull` in {checkout} fetches it",
            image = setup.web_image,
            checkout = setup.checkout
        )
    })?;
    let wanted: Vec<String> = manifest
        .files
        .iter()
        .filter_map(|f| f.image_path.as_ref().map(InstallPath::to_string))
        .collect();
    let dir = tempfile::tempdir().with_context(|| tr!("cannot make a temporary directory for the image"))?;
    let archive = dir.path().join("web-image.tar");
    docker::save_image(&setup.web_image, &archive)?;
    let files = crate::system::image::read_files(&archive, &wanted, Default::default())?;
    Ok(Image {
        reference: setup.web_image.clone(),
        id,
        files,
    })
}

/// What `init --docker` is given.
pub struct DockerInit {
    /// The docker-jitsi-meet checkout (as given on the command line, resolved in the root).
    pub checkout: InstallPath,
    /// The web image, when not the one `docker-compose.yml` names.
    pub web_image: Option<String>,
    /// The home directory `~` in `CONFIG` stands for.
    pub home: String,
}

/// Finds the config folder, the web image and the compose project of a checkout.
pub fn detect(root: &Path, init: &DockerInit) -> Result<DockerSetup> {
    let read = |name: &str| -> Result<Option<String>> {
        Ok(
            live::read(root, &InstallPath::parse(&format!("{}/{name}", init.checkout))?)?
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
        )
    };
    let compose_text = read("docker-compose.yml")?.with_context(|| {
        tr!(
            "{checkout}: no docker-compose.yml\nhint: --docker names the docker-jitsi-meet checkout",
            checkout = init.checkout
        )
    })?;
    let env_text = match read(".env")? {
        Some(text) => text,
        None => read("env.example")?.unwrap_or_default(),
    };
    let env = compose::read_env(&env_text);
    let config = env
        .get("CONFIG")
        .cloned()
        .unwrap_or_else(|| facts::DEFAULT_CONFIG.to_string());
    let config = match config.strip_prefix('~') {
        Some(rest) => format!("{}{rest}", init.home),
        None if config.starts_with('/') => config,
        None => format!("{}/{config}", init.checkout),
    };
    let web_image = match &init.web_image {
        Some(image) => image.clone(),
        None => compose::service_image(&compose_text, facts::WEB_SERVICE, &env)?.with_context(|| {
            tr!(
                "{checkout}/docker-compose.yml names no image for the {service} service\nhint: --image names it",
                checkout = init.checkout,
                service = facts::WEB_SERVICE
            )
        })?,
    };
    let project: String = env
        .get("COMPOSE_PROJECT_NAME")
        .cloned()
        .unwrap_or_else(|| init.checkout.file_name().to_string())
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    Ok(DockerSetup {
        checkout: init.checkout.clone(),
        config: InstallPath::parse(&config)?,
        web_image,
        project,
    })
}

fn join(dir: &InstallPath, rel: &str) -> Result<InstallPath> {
    Ok(InstallPath::parse(&format!("{dir}/{rel}"))?)
}

/// The overlay file that stands for a file of the web image.
pub fn overlay_path(setup: &DockerSetup, image_path: &str) -> Result<InstallPath> {
    join(
        &setup.config,
        &format!("{}{image_path}", facts::overlay_dir(facts::WEB_SERVICE)),
    )
}

/// The files `init --docker` tracks: `.env` (from `env.example`), the web configs the container
/// regenerates, and an overlay file for each web image file admins customise.
pub fn known_files(setup: &DockerSetup) -> Result<Vec<TrackedFile>> {
    let mut files = Vec::new();
    let mut env = TrackedFile::new(join(&setup.checkout, ".env")?);
    env.template = Some(join(&setup.checkout, "env.example")?);
    files.push(env);
    for regenerated in facts::REGENERATED {
        let mut file = TrackedFile::new(join(&setup.config, regenerated.file)?);
        file.appended = Some(join(&setup.config, regenerated.appended)?);
        file.image_path = regenerated.image_path.map(InstallPath::parse).transpose()?;
        files.push(file);
    }
    for image_path in facts::WEB_IMAGE_FILES {
        let mut file = TrackedFile::new(overlay_path(setup, image_path)?);
        file.image_path = Some(InstallPath::parse(image_path)?);
        files.push(file);
    }
    Ok(files)
}

/// The first line of the block the tool writes into `custom-config.js`.
const BLOCK_START: &str = "// jitsi-custom: begin";
const BLOCK_END: &str = "// jitsi-custom: end";

/// A regenerated file as the container made it, without what it appended: the content from the
/// tool's block on (a file generated with an earlier block), else without the appended file's
/// current content when it ends with it.
pub fn live_view(root: &Path, file: &TrackedFile, live: &[u8]) -> Result<Vec<u8>> {
    let Some(appended) = &file.appended else {
        return Ok(live.to_vec());
    };
    let text = live;
    if let Some(at) = find_line(text, BLOCK_START.as_bytes()) {
        return Ok(text[..at].to_vec());
    }
    if let Some(tail) = live::read(root, appended)?
        && !tail.is_empty()
        && text.ends_with(&tail)
    {
        return Ok(text[..text.len() - tail.len()].to_vec());
    }
    Ok(text.to_vec())
}

/// The byte offset of the first line starting with `start`.
fn find_line(text: &[u8], start: &[u8]) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(start) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The pristine content of a docker file: `None` when the file is not one of the variant's
/// image or container files.
pub fn pristine(
    root: &Path,
    file: &TrackedFile,
    live: Option<&[u8]>,
    image: Option<&Image>,
) -> Result<Option<super::intake::Pristine>> {
    use super::intake::Pristine;
    if let Some(image_path) = &file.image_path {
        let Some(image) = image else {
            return Ok(None);
        };
        return Ok(Some(match image.file(image_path) {
            Some(content) => Pristine::Found {
                content: content.clone(),
                origin: Origin::docker(Source::Image, Some(image.id.clone())),
            },
            None => Pristine::NotShipped,
        }));
    }
    if file.appended.is_some() {
        let Some(live) = live else {
            return Ok(Some(Pristine::NotShipped));
        };
        return Ok(Some(Pristine::Found {
            content: live_view(root, file, live)?,
            origin: Origin::docker(Source::Container, None),
        }));
    }
    Ok(None)
}

/// What a rebase takes in for the docker variant.
pub struct Intake {
    pub image: Image,
    pub now: Now,
}

/// Reads the image and asks about the container, for a rebase.
pub fn intake(setup: &DockerSetup, manifest: &Manifest) -> Result<Intake> {
    let image = read_image(setup, manifest)?;
    let (now, _) = now(setup);
    Ok(Intake { image, now })
}

/// What the container tool says now: the web image's id and the web container.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Now {
    pub image_id: Option<String>,
    pub container: Option<String>,
}

/// Asks the container tool; a tool that cannot be run says nothing (and `problem` says why).
pub fn now(setup: &DockerSetup) -> (Now, Option<String>) {
    let mut problem = None;
    let image_id = docker::image_id(&setup.web_image).unwrap_or_else(|e| {
        problem = Some(format!("{e:#}"));
        None
    });
    let container = docker::service_container(&setup.project, facts::WEB_SERVICE)
        .ok()
        .flatten()
        .map(|(id, _)| id);
    (Now { image_id, container }, problem)
}

/// Whether new upstream content waits for a docker file: the image changed under an image file,
/// or the container that generates a file was recreated and generated something else.
pub fn new_upstream(
    root: &Path,
    file: &TrackedFile,
    origin: Option<&Origin>,
    upstream: Option<&[u8]>,
    now: &Now,
) -> Result<bool> {
    let recorded = origin.and_then(|o| o.image.clone());
    if file.image_path.is_some() {
        return Ok(now.image_id.is_some() && now.image_id != recorded);
    }
    if file.appended.is_some() {
        return Ok(match (&now.container, live::read(root, &file.path)?) {
            (Some(container), Some(live)) if Some(container) != recorded.as_ref() => {
                live_view(root, file, &live)? != upstream.unwrap_or_default()
            }
            _ => false,
        });
    }
    Ok(false)
}

/// Content for a regenerated file's live form when the container generated it anew since the
/// customisation was recorded: the new edit merged onto the recorded customisation (the view
/// holds the container's output with the admin's edit, not the customisations written in place).
pub fn recordable(
    root: &Path,
    file: &TrackedFile,
    live: &[u8],
    upstream: &[u8],
    custom: &[u8],
) -> Result<Vec<u8>> {
    let view = live_view(root, file, live)?;
    if file.appended.is_none() || custom == upstream {
        return Ok(view);
    }
    let merged = crate::merge::merge(file.strategy(), upstream, custom, &view, &Default::default());
    Ok(if merged.is_clean() { merged.content } else { view })
}

/// One output and its content.
pub type Output = (InstallPath, Option<Vec<u8>>);

/// The paths of the outputs, for snapshots.
pub fn output_paths(manifest: &Manifest) -> Vec<InstallPath> {
    let Some(setup) = &manifest.docker else {
        return Vec::new();
    };
    let mut paths: Vec<InstallPath> = manifest.files.iter().filter_map(|f| f.appended.clone()).collect();
    if let Ok(path) = join(&setup.checkout, "docker-compose.override.yml") {
        paths.push(path);
    }
    paths
}

/// The outputs made from the stack at `upstream` and `custom`: each that differs from the live
/// file, with notes for the person.
pub fn outputs(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    upstream: Oid,
    custom: Oid,
) -> Result<(Vec<Output>, Vec<String>)> {
    let Some(setup) = &manifest.docker else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut notes = Vec::new();
    let mut out: Vec<Output> = Vec::new();
    // Statements per appended file; settings Jitsi moved into config.js are set there too.
    let mut statements: BTreeMap<InstallPath, Vec<String>> = BTreeMap::new();
    let mut moved_into_config: Vec<(String, String)> = Vec::new();
    for file in manifest.files.iter().filter(|f| f.appended.is_some()) {
        let rel = file.path.as_rel();
        let (Some(base), Some(local)) = (store.content_at(upstream, rel)?, store.content_at(custom, rel)?)
        else {
            continue;
        };
        let Some(regenerated) = facts::REGENERATED.iter().find(|r| rel.ends_with(r.file)) else {
            continue;
        };
        let ops = match crate::merge::customisation_ops(&base, &local) {
            Ok(ops) => ops,
            Err(e) => {
                notes.push(tr!(
                    "{path}: its customisations cannot be written as statements ({error}); {appended} keeps what it holds",
                    path = file.path,
                    error = e,
                    appended = file.appended.as_ref().map(ToString::to_string).unwrap_or_default()
                ));
                continue;
            }
        };
        let mut lines = Vec::new();
        for op in &ops {
            lines.extend(statement(regenerated.object, op));
            if regenerated.object == "interfaceConfig"
                && let Some(value) = op_value(op)
                && let Some(moved) = crate::profile::moves::moved_setting("interface_config.js", op.path())
            {
                moved_into_config.push((moved.to_path.to_string(), value.to_string()));
            }
        }
        if let Some(appended) = &file.appended {
            statements.insert(appended.clone(), lines);
        }
    }
    if let Some((_, lines)) = statements
        .iter_mut()
        .find(|(p, _)| p.as_rel().ends_with("custom-config.js"))
    {
        for (path, value) in moved_into_config {
            let target = format!("config.{path} =");
            if !lines.iter().any(|l| l.contains(&target)) {
                lines.push(
                    "// moved from interface_config.js (jitsi-custom's table of moved settings)".to_string(),
                );
                lines.extend(statement("config", &crate::merge::Op::Set { path, value }));
            }
        }
    }
    for (appended, lines) in statements {
        let live_text = live::read(root, &appended)?;
        let admins = without_block(live_text.as_deref().unwrap_or_default());
        let mut text = String::new();
        if !lines.is_empty() {
            text.push_str(BLOCK_START);
            text.push_str(": the recorded customisations, re-applied to what the web container generates.\n");
            text.push_str("// Written by jitsi-custom: edit the generated file and `jitsi-custom record`; your own lines go below the block.\n");
            for line in lines {
                text.push_str(&line);
                text.push('\n');
            }
            text.push_str(BLOCK_END);
            text.push('\n');
        }
        text.push_str(&admins);
        let desired = if text.is_empty() && live_text.is_none() {
            None
        } else {
            Some(text.into_bytes())
        };
        if desired != live_text {
            out.push((appended, desired));
        }
    }
    // The overlay files that hold a customisation are mounted over the image's.
    let mut mounts = Vec::new();
    for file in manifest
        .files
        .iter()
        .filter(|f| f.image_path.is_some() && f.appended.is_none())
    {
        let rel = file.path.as_rel();
        let customised = store.content_at(custom, rel)? != store.content_at(upstream, rel)?;
        if customised && let Some(image_path) = &file.image_path {
            let inside = file
                .path
                .as_rel()
                .strip_prefix(setup.config.as_rel())
                .unwrap_or(file.path.as_rel());
            mounts.push((format!("${{CONFIG}}{inside}"), image_path.to_string()));
        }
    }
    let override_path = join(&setup.checkout, "docker-compose.override.yml")?;
    let existing = live::read(root, &override_path)?.map(|b| String::from_utf8_lossy(&b).into_owned());
    match compose::edit_override(existing.as_deref(), facts::WEB_SERVICE, &mounts) {
        Ok(text) => {
            let desired = text.map(String::into_bytes);
            let desired = match (&existing, desired) {
                // Nothing of ours and nothing of the admin's: no file.
                (Some(_), Some(d)) if d.is_empty() => None,
                (_, d) => d,
            };
            if desired.as_deref() != existing.as_deref().map(str::as_bytes) {
                out.push((override_path, desired));
            }
        }
        Err(e) => notes.push(format!("{e:#}")),
    }
    Ok((out, notes))
}

/// Stages the outputs with the operation about to be logged; returns notes for the person.
pub fn stage_outputs(root: &Path, store: &Store, manifest: &Manifest) -> Result<Vec<String>> {
    if manifest.docker.is_none() {
        return Ok(Vec::new());
    }
    let (Some(upstream), Some(custom)) = (store.upstream_tip()?, store.custom_tip()?) else {
        return Ok(Vec::new());
    };
    stage_outputs_at(root, store, manifest, upstream, custom)
}

/// [`stage_outputs`] for a stack that is not committed yet.
pub fn stage_outputs_at(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    upstream: Oid,
    custom: Oid,
) -> Result<Vec<String>> {
    let (outputs, notes) = outputs(root, store, manifest, upstream, custom)?;
    for (path, content) in outputs {
        store.stage_live(&path, content, None);
    }
    Ok(notes)
}

fn without_block(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with(BLOCK_START) {
            inside = true;
        } else if inside && line.starts_with(BLOCK_END) {
            inside = false;
        } else if !inside {
            out.push_str(line);
        }
    }
    out
}

fn op_value(op: &crate::merge::Op) -> Option<&str> {
    use crate::merge::Op;
    match op {
        Op::Set { value, .. } | Op::Enable { value, .. } | Op::Add { value, .. } => Some(value),
        Op::Disable { .. } | Op::Remove { .. } => None,
    }
}

/// A property access for a dotted path: `config.toolbarConfig.alwaysVisible`, brackets for keys
/// that are not identifiers.
fn access(object: &str, segments: &[&str]) -> String {
    let mut out = object.to_string();
    for segment in segments {
        let identifier = segment
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if identifier {
            out.push('.');
            out.push_str(segment);
        } else {
            out.push_str(&format!("[{}]", serde_json::Value::String(segment.to_string())));
        }
    }
    out
}

/// The statements that apply one customisation to the generated object: intermediate objects
/// are made when the container's file has none.
fn statement(object: &str, op: &crate::merge::Op) -> Vec<String> {
    let segments: Vec<&str> = op.path().split('.').collect();
    let mut lines = Vec::new();
    for depth in 1..segments.len() {
        let parent = access(object, &segments[..depth]);
        lines.push(format!("{parent} = {parent} || {{}};"));
    }
    let target = access(object, &segments);
    match op_value(op) {
        Some(value) => lines.push(format!("{target} = {value};")),
        None => {
            lines.clear();
            let parent = access(object, &segments[..segments.len() - 1]);
            if segments.len() > 1 {
                lines.push(format!("if ({parent}) delete {target};"));
            } else {
                lines.push(format!("delete {target};"));
            }
        }
    }
    lines
}

/// Where Prosody's accounts live in the docker variant, for `status`.
#[derive(Clone, Debug, Serialize)]
pub struct ProsodyAccounts {
    /// Prosody's data path in the container.
    pub data_path: String,
    /// The host folder or volume it is on; `None`: on the container's own file system.
    pub volume: Option<String>,
    /// Accounts found on the host (`<volume>/<host>/accounts/*.dat`).
    pub accounts: usize,
    pub survives: bool,
}

/// Whether accounts made with `prosodyctl register` in the prosody container survive it being
/// recreated: Prosody's `data_path` must be on a volume or bind mount.
pub fn prosody_accounts(root: &Path, setup: &DockerSetup) -> Result<ProsodyAccounts> {
    let read = |path: &InstallPath| -> Result<Option<String>> {
        Ok(live::read(root, path)?.map(|b| String::from_utf8_lossy(&b).into_owned()))
    };
    let env_text = read(&join(&setup.checkout, ".env")?)?.unwrap_or_default();
    let mut env = compose::read_env(&env_text);
    // `CONFIG` as init resolved it (`~` expanded).
    env.insert("CONFIG".into(), setup.config.to_string());
    let mut files = Vec::new();
    for name in ["docker-compose.yml", "docker-compose.override.yml"] {
        if let Some(text) = read(&join(&setup.checkout, name)?)? {
            files.push(text);
        }
    }
    let borrowed: Vec<&str> = files.iter().map(String::as_str).collect();
    let mounts = compose::service_mounts(&borrowed, facts::PROSODY_SERVICE, &env)?;
    // The data path the container's generated config names, else the image's default.
    let data_path = read(&join(&setup.config, facts::PROSODY_CONFIG)?)?
        .and_then(|cfg| {
            cfg.lines().find_map(|l| {
                let l = l.trim();
                let rest = l.strip_prefix("data_path")?.trim_start().strip_prefix('=')?;
                Some(
                    rest.trim()
                        .trim_end_matches(';')
                        .trim_matches(['"', '\''])
                        .to_string(),
                )
            })
        })
        .unwrap_or_else(|| facts::PROSODY_DATA_PATH.to_string());
    let on = mounts
        .iter()
        .filter(|m| {
            data_path == m.target || data_path.starts_with(&format!("{}/", m.target.trim_end_matches('/')))
        })
        .max_by_key(|m| m.target.len());
    let mut accounts = 0;
    let volume = on.map(|m| {
        let source = m.source.clone();
        if source.starts_with('/') {
            let inside = data_path[m.target.trim_end_matches('/').len()..].trim_start_matches('/');
            let host_dir = root.join(source.trim_start_matches('/')).join(inside);
            if let Ok(hosts) = std::fs::read_dir(&host_dir) {
                for host in hosts.flatten() {
                    if let Ok(files) = std::fs::read_dir(host.path().join("accounts")) {
                        accounts += files
                            .flatten()
                            .filter(|f| f.file_name().to_string_lossy().ends_with(".dat"))
                            .count();
                    }
                }
            }
        }
        source
    });
    Ok(ProsodyAccounts {
        survives: volume.is_some(),
        data_path,
        volume,
        accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::Op;

    #[test]
    fn statements_set_nested_paths_and_delete() {
        let set = Op::Set {
            path: "toolbarConfig.alwaysVisible".into(),
            value: "true".into(),
        };
        assert_eq!(
            statement("config", &set),
            [
                "config.toolbarConfig = config.toolbarConfig || {};",
                "config.toolbarConfig.alwaysVisible = true;"
            ]
        );
        let top = Op::Enable {
            path: "defaultLanguage".into(),
            value: "'de'".into(),
        };
        assert_eq!(statement("config", &top), ["config.defaultLanguage = 'de';"]);
        assert_eq!(
            statement(
                "interfaceConfig",
                &Op::Remove {
                    path: "APP_NAME".into()
                }
            ),
            ["delete interfaceConfig.APP_NAME;"]
        );
        assert_eq!(access("config", &["hosts", "muc-x"]), "config.hosts[\"muc-x\"]");
    }

    #[test]
    fn the_block_is_replaced_and_the_admins_lines_stay() {
        let text = format!("{BLOCK_START}: x\nconfig.a = 1;\n{BLOCK_END}\n// mine\nconfig.b = 2;\n");
        assert_eq!(without_block(text.as_bytes()), "// mine\nconfig.b = 2;\n");
    }
}

/// How `upgrade --docker` ended.
#[derive(Debug)]
pub enum Upgraded {
    /// The new image runs with the customisations.
    Started,
    /// A decision waits for a person and nobody is there: the new image is pulled and the
    /// overlays rebased onto it, but the containers were not recreated (the running ones keep
    /// the files they have open).
    Postponed { decisions: usize },
}

/// What `upgrade --docker` is asked to do.
pub struct UpgradeOptions<'a> {
    pub resolver: &'a dyn super::rebase::Resolver,
    pub interactive: bool,
    pub accept_fallbacks: bool,
    /// Run `docker compose pull` first.
    pub pull: bool,
    pub progress: &'a dyn Fn(&str),
}

/// The docker maintenance window: record unrecorded edits, `docker compose pull`, rebase onto
/// the new image (overlays, custom-*.js, the override), `docker compose up -d`, and once the web
/// container has generated its configs anew, take those in too. Returns the rebases' reports.
pub fn upgrade(
    root: &Path,
    store: &Store,
    manifest: &Manifest,
    dpkg: &crate::system::dpkg::Dpkg,
    opts: &UpgradeOptions,
) -> Result<(Upgraded, Vec<super::rebase::Report>)> {
    let setup = manifest.docker.as_ref().with_context(|| {
        tr!("this state is not for docker-jitsi-meet\nhint: `jitsi-custom init --docker DIR`")
    })?;
    let checkout = setup.checkout.under(root);
    if opts.pull {
        (opts.progress)("docker compose pull");
        docker::compose(&checkout, &["pull"])?;
    }
    (opts.progress)(&tr!("rebase onto the new image"));
    let rebase_once = |store: &Store| -> Result<super::rebase::Report> {
        let intake = intake(setup, manifest)?;
        let rebase_opts = super::rebase::Options {
            changed_by_packages: Vec::new(),
            pending_upstream: BTreeMap::new(),
            resolver: opts.resolver,
            dry_run: false,
            docker: Some(&intake),
            replace: None,
        };
        super::rebase::rebase(root, store, manifest, dpkg, &rebase_opts)
    };
    let first = rebase_once(store)?;
    let decisions = first.parked().count();
    if decisions > 0 && !opts.interactive && !opts.accept_fallbacks {
        return Ok((Upgraded::Postponed { decisions }, vec![first]));
    }
    // The web container regenerates config.js at its start: wait for it (a minute at most).
    let config_js = manifest
        .files
        .iter()
        .find(|f| f.appended.is_some() && f.image_path.is_none());
    let stamp = |f: &TrackedFile| {
        std::fs::metadata(f.path.under(root))
            .and_then(|m| m.modified())
            .ok()
    };
    let before = config_js.and_then(stamp);
    (opts.progress)("docker compose up -d");
    docker::compose(&checkout, &["up", "-d"])?;
    if let Some(file) = config_js {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while stamp(file) == before && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
    (opts.progress)(&tr!("take in the configs the new container generated"));
    let second = rebase_once(store)?;
    Ok((Upgraded::Started, vec![first, second]))
}
