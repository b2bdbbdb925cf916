//! Recipes: the admin guide's customisations as declarative operations (`patches/<section>/<name>.toml`,
//! format in `patches/README.md`). This module finds and reads them, resolves their placeholders
//! and applies their operations to file contents in memory, with the structure-aware edits of
//! [`crate::merge::edit`]; `engine::apply` writes and records the result.
//!
//! A recipe says where a setting goes by structure (a property path, a key path, a block and a key,
//! a CSS rule), never by line, so it applies to every Jitsi version that has that place. When the
//! place is missing, applying fails with one line naming it and changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result};
use serde::Deserialize;

use crate::InstallPath;
use crate::error::Error;
use crate::merge::edit::{self, EditError, SettingPlace};
use crate::merge::{SettingsFormat, Strategy};
use crate::ui::prompt::Prompt;

/// `JITSI_CUSTOM_PATCHES`: the directory of recipes, instead of the one found beside the program.
pub const RECIPES_ENV: &str = "JITSI_CUSTOM_PATCHES";
/// Where the Debian package installs the recipes.
pub const INSTALLED_RECIPES: &str = "/usr/share/jitsi-custom/patches";

/// The largest recipe file read, in bytes.
const MAX_RECIPE_SIZE: u64 = 256 * 1024;
/// The most operations one recipe may hold.
const MAX_OPS: usize = 200;
/// The longest value a placeholder may take, in bytes.
const MAX_VALUE_LEN: usize = 512;

/// A recipe read from its file.
#[derive(Clone, Debug)]
pub struct Recipe {
    /// `5.2.2/default-language`: the guide's section and what it does; the customisation's name.
    pub name: String,
    /// One line for `apply --list`.
    pub description: String,
    /// What to do instead when the recipe cannot apply to this version.
    pub hint: Option<String>,
    /// Its place among its section's steps in the guide.
    pub step: Option<u32>,
    /// The recipe file.
    pub source: PathBuf,
    placeholders: BTreeMap<String, PlaceholderSpec>,
    ops: Vec<OpSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeFile {
    description: String,
    /// The recipe's place among its section's steps in the guide (listing order).
    #[serde(default)]
    step: Option<u32>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    placeholders: BTreeMap<String, PlaceholderSpec>,
    #[serde(rename = "op")]
    ops: Vec<OpSpec>,
}

/// A value the recipe asks for (`--set name=value`, a question on a terminal, else the default).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceholderSpec {
    pub prompt: String,
    #[serde(default)]
    pub default: Option<String>,
}

/// A key path in JSON: dotted (`welcomepage.headerTitle`), or a list of keys for keys that hold
/// dots themselves.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum KeyPath {
    Dotted(String),
    Keys(Vec<String>),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum OpSpec {
    /// Set a property of a JavaScript config object (`config.js`, `interface_config.js`).
    JsSet {
        file: String,
        path: String,
        #[serde(default)]
        value: Option<toml::Value>,
        /// JavaScript source text instead of `value`.
        #[serde(default)]
        raw: Option<String>,
        #[serde(default)]
        create: bool,
    },
    /// Set a key of a JSON document.
    JsonSet {
        file: String,
        path: KeyPath,
        value: toml::Value,
        #[serde(default)]
        create: bool,
    },
    /// Set a setting inside a named block of a Lua, nginx, properties or HOCON file.
    Setting {
        file: String,
        #[serde(default)]
        block: Vec<String>,
        #[serde(default)]
        block_with: Option<String>,
        key: String,
        #[serde(default)]
        value: Option<toml::Value>,
        /// Source text in the file's format instead of `value`.
        #[serde(default)]
        raw: Option<String>,
        #[serde(default)]
        create: bool,
    },
    /// Add a Prosody section with its settings (or set them in it when it exists).
    Section {
        file: String,
        header: String,
        #[serde(default)]
        after: Option<String>,
        body: String,
    },
    /// Set a declaration in a CSS rule.
    CssSet {
        file: String,
        #[serde(default)]
        media: Vec<String>,
        selector: String,
        property: String,
        value: String,
    },
    /// Place a file shipped beside the recipe (placeholders filled in when `template`).
    Place {
        file: String,
        source: String,
        #[serde(default)]
        template: bool,
        /// Keep the leading `<!-- … -->` comment of the file in place (upstream's explanation),
        /// so that upstream rewording it does not collide with the placed content.
        #[serde(default)]
        keep_leading_comment: bool,
    },
}

impl OpSpec {
    fn file(&self) -> &str {
        match self {
            OpSpec::JsSet { file, .. }
            | OpSpec::JsonSet { file, .. }
            | OpSpec::Setting { file, .. }
            | OpSpec::Section { file, .. }
            | OpSpec::CssSet { file, .. }
            | OpSpec::Place { file, .. } => file,
        }
    }

    /// Every text of the operation that may hold placeholders.
    fn texts(&self) -> Vec<String> {
        let mut out = vec![self.file().to_string()];
        let mut value_texts = |value: &Option<toml::Value>| {
            if let Some(value) = value {
                collect_strings(value, &mut out);
            }
        };
        match self {
            OpSpec::JsSet { path, value, raw, .. } => {
                value_texts(value);
                out.extend([path.clone()]);
                out.extend(raw.clone());
            }
            OpSpec::JsonSet { path, value, .. } => {
                value_texts(&Some(value.clone()));
                match path {
                    KeyPath::Dotted(p) => out.push(p.clone()),
                    KeyPath::Keys(keys) => out.extend(keys.iter().cloned()),
                }
            }
            OpSpec::Setting {
                block,
                block_with,
                key,
                value,
                raw,
                ..
            } => {
                value_texts(value);
                out.extend(block.iter().cloned());
                out.extend(block_with.clone());
                out.push(key.clone());
                out.extend(raw.clone());
            }
            OpSpec::Section {
                header, after, body, ..
            } => {
                out.push(header.clone());
                out.extend(after.clone());
                out.push(body.clone());
            }
            OpSpec::CssSet {
                media,
                selector,
                property,
                value,
                ..
            } => {
                out.extend(media.iter().cloned());
                out.extend([selector.clone(), property.clone(), value.clone()]);
            }
            OpSpec::Place { .. } => {}
        }
        out
    }
}

fn collect_strings(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        toml::Value::Table(table) => table.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Finding and reading recipes.

/// The recipes directory, found at run time like the bundled examples (`apply --recipes-dir`
/// names another): `patches/` of the source checkout the program was built in (`target/<profile>/` → `patches/`);
/// `patches/` in the working directory; else the copy the Debian package installs.
pub fn recipes_dir() -> PathBuf {
    let has_recipes = |dir: &Path| dir.join("README.md").is_file();
    let beside_build = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .take(3)
            .map(|dir| dir.join("patches"))
            .find(|dir| has_recipes(dir))
    });
    if let Some(dir) = beside_build {
        return dir;
    }
    let here = PathBuf::from("patches");
    if has_recipes(&here) {
        return std::path::absolute(&here).unwrap_or(here);
    }
    PathBuf::from(INSTALLED_RECIPES)
}

/// Every recipe in `dir` (`<section>/<name>.toml`) in the guide's order: by section number, then
/// by `step`, then by name.
pub fn list(dir: &Path) -> Result<Vec<Recipe>> {
    let mut found = Vec::new();
    let sections = std::fs::read_dir(dir).with_context(|| {
        tr!(
            "cannot read the recipes in {dir}\nhint: `--recipes-dir DIR` (or {variable}) names the directory holding them",
            dir = dir.display(),
            variable = RECIPES_ENV
        )
    })?;
    for section in sections {
        let section = section.with_context(|| tr!("cannot read {path}", path = dir.display()))?;
        if !section.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for entry in std::fs::read_dir(section.path())
            .with_context(|| tr!("cannot read {path}", path = section.path().display()))?
        {
            let entry = entry.with_context(|| tr!("cannot read {path}", path = section.path().display()))?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") && entry.file_type().is_ok_and(|t| t.is_file()) {
                found.push(path);
            }
        }
    }
    let mut recipes = found
        .iter()
        .map(|path| load_file(path, dir))
        .collect::<Result<Vec<_>>>()?;
    recipes.sort_by_key(|r| {
        let (section, rest) = section_key(&r.name);
        (section, r.step.unwrap_or(u32::MAX), rest)
    });
    Ok(recipes)
}

/// `5.2.10/x` after `5.2.2/y`: sections compare by number.
fn section_key(name: &str) -> (Vec<u32>, String) {
    let (section, rest) = name.split_once('/').unwrap_or(("", name));
    (
        section
            .split('.')
            .map(|n| n.parse().unwrap_or(u32::MAX))
            .collect(),
        rest.to_string(),
    )
}

/// A recipe by name (`5.2.2/default-language`) from `dir`, or a path to a `.toml` file.
pub fn find(spec: &str, dir: &Path) -> Result<Recipe> {
    if spec.ends_with(".toml") {
        let path = Path::new(spec);
        if path.is_file() {
            return load_file(path, dir);
        }
        return Err(Error::Usage(tr!("recipe file {spec} does not exist", spec)).into());
    }
    let valid = spec.split('/').count() == 2
        && spec.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        });
    let path = dir.join(format!("{spec}.toml"));
    if !valid || !path.is_file() {
        return Err(Error::Usage(tr!(
            "no recipe named {spec} in {dir}\nhint: `jitsi-custom apply --list` shows the recipes; a recipe file is given by its path (ending in .toml)",
            spec = format!("{spec:?}"),
            dir = dir.display()
        ))
        .into());
    }
    load_file(&path, dir)
}

/// Reads one recipe file; its name is its path below `dir` (without `.toml`), or, for a file
/// elsewhere, `<its directory's name>/<its name>`.
pub fn load_file(path: &Path, dir: &Path) -> Result<Recipe> {
    let bad =
        |reason: String| -> anyhow::Error { Error::Usage(format!("{}: {reason}", path.display())).into() };
    let meta = std::fs::metadata(path).map_err(|e| bad(tr!("cannot read: {error}", error = e)))?;
    if meta.len() > MAX_RECIPE_SIZE {
        return Err(bad(tr!(
            "larger than {size} bytes; not a recipe",
            size = MAX_RECIPE_SIZE
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(tr!("cannot read: {error}", error = e)))?;
    let file: RecipeFile = toml::from_str(&text).map_err(|e| {
        bad(tr!(
            "is not a valid recipe: {error}",
            error = e.to_string().lines().collect::<Vec<_>>().join(" ")
        ))
    })?;
    let name = recipe_name(path, dir);
    if file.description.trim().is_empty() || file.description.contains('\n') {
        return Err(bad(tr!("the description must be one line")));
    }
    if file.ops.is_empty() || file.ops.len() > MAX_OPS {
        return Err(bad(tr!(
            "a recipe holds 1 to {max} operations ([[op]])",
            max = MAX_OPS
        )));
    }
    for placeholder in file.placeholders.keys() {
        if !is_placeholder_name(placeholder) || placeholder == "domain" {
            return Err(bad(tr!(
                "placeholder {placeholder}: names are lowercase letters, digits and _ (and `domain` is built in)",
                placeholder = format!("{placeholder:?}")
            )));
        }
    }
    let recipe = Recipe {
        name,
        description: file.description.trim().to_string(),
        hint: file.hint,
        step: file.step,
        source: path.to_path_buf(),
        placeholders: file.placeholders,
        ops: file.ops,
    };
    for op in &recipe.ops {
        for text in op.texts() {
            for name in references(&text) {
                if name != "domain" && !recipe.placeholders.contains_key(&name) {
                    return Err(bad(tr!(
                        "uses the placeholder {{{name}}} without declaring it",
                        name
                    )));
                }
            }
        }
        if let OpSpec::JsSet { value, raw, .. } | OpSpec::Setting { value, raw, .. } = op
            && value.is_some() == raw.is_some()
        {
            return Err(bad(tr!(
                "an operation on {file} needs `value` or `raw`",
                file = op.file()
            )));
        }
    }
    Ok(recipe)
}

fn recipe_name(path: &Path, dir: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let in_dir = std::fs::canonicalize(path)
        .ok()
        .zip(std::fs::canonicalize(dir).ok())
        .and_then(|(p, d)| p.strip_prefix(&d).ok().map(Path::to_path_buf));
    if let Some(relative) = in_dir {
        let name = relative.with_extension("").to_string_lossy().into_owned();
        if !name.is_empty() {
            return name;
        }
    }
    match path
        .parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
    {
        Some(section) if !section.is_empty() => format!("{section}/{stem}"),
        _ => stem,
    }
}

impl Recipe {
    /// The files the recipe changes, as install paths with `{domain}` filled in when known.
    pub fn targets(&self, domain: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for op in &self.ops {
            let file = match domain {
                Some(d) => op.file().replace("{domain}", d),
                None => op.file().to_string(),
            };
            if !out.contains(&file) {
                out.push(file);
            }
        }
        out
    }

    /// The placeholders it asks for, with their question and default.
    pub fn placeholders(&self) -> impl Iterator<Item = (&String, &PlaceholderSpec)> {
        self.placeholders.iter()
    }

    /// Whether any of its texts needs the domain.
    pub fn needs_domain(&self) -> bool {
        self.ops
            .iter()
            .flat_map(OpSpec::texts)
            .chain(self.placeholders.values().filter_map(|p| p.default.clone()))
            .any(|text| references(&text).iter().any(|n| n == "domain"))
    }

    fn dir(&self) -> &Path {
        self.source.parent().unwrap_or(Path::new("."))
    }
}

// ---------------------------------------------------------------------------------------------
// Placeholders.

/// The values of the placeholders, `domain` included.
#[derive(Clone, Debug, Default)]
pub struct Values(BTreeMap<String, String>);

impl Values {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
}

fn is_placeholder_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The placeholder names `{name}` in a text, in order.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(close) = rest.find('}') {
            let name = &rest[..close];
            if is_placeholder_name(name) {
                out.push(name.to_string());
                rest = &rest[close + 1..];
            }
        }
    }
    out
}

/// Where a placeholder's value lands, which decides what it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fill {
    /// Inside a value the format quotes itself (a JS, JSON, Lua or HOCON string): anything.
    Quoted,
    /// Into source text as it is (a path, a block header, nginx or properties values): no quotes,
    /// backslashes, braces, semicolons or angle brackets.
    Raw,
    /// Into HTML or SVG: escaped.
    Markup,
}

/// `text` with every `{name}` replaced by its value.
fn fill(text: &str, values: &Values, how: Fill) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after
            .find('}')
            .map(|close| &after[..close])
            .filter(|n| is_placeholder_name(n));
        match name {
            Some(name) => {
                let value = values
                    .get(name)
                    .ok_or_else(|| tr!("the placeholder {{{name}}} has no value", name))?;
                match how {
                    Fill::Quoted => out.push_str(value),
                    Fill::Raw => {
                        if let Some(bad) = value.chars().find(|c| "\"'`\\;{}<>".contains(*c)) {
                            return Err(tr!(
                                "the value of {{{name}}} may not hold {character} here ({value})",
                                name,
                                character = format!("{bad:?}"),
                                value = format!("{value:?}")
                            ));
                        }
                        out.push_str(value);
                    }
                    Fill::Markup => out.push_str(&escape_markup(value)),
                }
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn escape_markup(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn check_value(name: &str, value: &str) -> Result<()> {
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::Usage(tr!(
            "the value of {name} is longer than {max} bytes",
            name,
            max = MAX_VALUE_LEN
        ))
        .into());
    }
    if value.chars().any(char::is_control) {
        return Err(Error::Usage(tr!(
            "the value of {name} holds a control character (a line break?); give one line",
            name
        ))
        .into());
    }
    if name == "domain" {
        let valid = !value.is_empty()
            && !value.starts_with(['.', '-'])
            && !value.contains("..")
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !valid {
            return Err(
                Error::Usage(tr!("{value} is not a domain name", value = format!("{value:?}"))).into(),
            );
        }
    }
    Ok(())
}

/// The value of every placeholder the recipes use: `given` (`--set name=value`) first, then a
/// question when a person can be asked, then the recipe's default. `domain` defaults to the
/// domain the state or the installed meet config names.
pub fn resolve_values(
    recipes: &[Recipe],
    given: &BTreeMap<String, String>,
    known_domain: Option<&str>,
    prompt: &dyn Prompt,
) -> Result<Values> {
    let declared: BTreeSet<&String> = recipes.iter().flat_map(|r| r.placeholders.keys()).collect();
    for name in given.keys() {
        if name != "domain" && !declared.contains(name) {
            let known: Vec<String> = std::iter::once("domain".to_string())
                .chain(declared.iter().map(|s| s.to_string()))
                .collect();
            return Err(Error::Usage(tr!(
                "--set {name}: no recipe here asks for {name}\nhint: these take: {names}",
                name,
                names = known.join(", ")
            ))
            .into());
        }
    }
    for (name, value) in given {
        check_value(name, value)?;
    }
    let mut values = Values::default();
    if let Some(domain) = given.get("domain").map(String::as_str).or(known_domain) {
        check_value("domain", domain)?;
        values.0.insert("domain".into(), domain.to_string());
    } else if recipes.iter().any(Recipe::needs_domain) {
        return Err(Error::Usage(tr!(
            "the Jitsi domain is not known (no /etc/jitsi/meet/<domain>-config.js)\nhint: name it with --set domain=meet.example.org"
        ))
        .into());
    }
    for recipe in recipes {
        for (name, spec) in &recipe.placeholders {
            if values.0.contains_key(name) {
                continue;
            }
            let default = spec
                .default
                .as_deref()
                .map(|d| fill(d, &values, Fill::Quoted))
                .transpose()
                .map_err(|why| Error::Usage(format!("{}: {why}", recipe.name)))?;
            let value = match given.get(name) {
                Some(value) => value.clone(),
                None if prompt.is_interactive() => {
                    let answer = prompt.input(&format!("{} ({name})", spec.prompt), default.as_deref())?;
                    check_value(name, &answer)?;
                    answer
                }
                None => default.ok_or_else(|| {
                    Error::Usage(tr!(
                        "{recipe} needs a value for {name} ({question})\nhint: give it with --set {name}=VALUE",
                        recipe = recipe.name,
                        name,
                        question = spec.prompt
                    ))
                })?,
            };
            values.0.insert(name.clone(), value);
        }
    }
    Ok(values)
}

// ---------------------------------------------------------------------------------------------
// Applying a recipe to contents in memory.

/// Reads a live file: its content, `None` when it does not exist.
type Reader<'r> = dyn FnMut(&InstallPath) -> Result<Option<Vec<u8>>> + 'r;

/// The files a run of recipes reads and changes, in memory: each read once from `read` (the live
/// file), then as the recipes before left it.
pub struct Files<'r> {
    read: Box<Reader<'r>>,
    contents: BTreeMap<InstallPath, Option<Vec<u8>>>,
}

impl<'r> Files<'r> {
    pub fn new(read: impl FnMut(&InstallPath) -> Result<Option<Vec<u8>>> + 'r) -> Files<'r> {
        Files {
            read: Box::new(read),
            contents: BTreeMap::new(),
        }
    }

    pub fn get(&mut self, path: &InstallPath) -> Result<Option<Vec<u8>>> {
        if !self.contents.contains_key(path) {
            let content = (self.read)(path)?;
            self.contents.insert(path.clone(), content);
        }
        Ok(self.contents.get(path).cloned().flatten())
    }

    fn set(&mut self, path: &InstallPath, content: Vec<u8>) {
        self.contents.insert(path.clone(), Some(content));
    }
}

/// One file a recipe changes: its content before the recipe and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: InstallPath,
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
}

/// Applies a recipe's operations to `files`; returns the files whose content changed, in the order
/// first touched (none when the recipe is in effect already). A place that is missing, or an
/// operation that cannot be made, fails the whole recipe: one line naming the file and what is
/// missing, and `files` is left as it was.
pub fn apply(recipe: &Recipe, values: &Values, files: &mut Files<'_>) -> Result<Vec<Change>> {
    let mut before: Vec<(InstallPath, Option<Vec<u8>>)> = Vec::new();
    let mut working: BTreeMap<InstallPath, Vec<u8>> = BTreeMap::new();
    for op in &recipe.ops {
        let file = fill(op.file(), values, Fill::Raw).map_err(|why| recipe_error(recipe, op.file(), &why))?;
        let path = InstallPath::parse(&file).map_err(|e| recipe_error(recipe, &file, &e.to_string()))?;
        if !before.iter().any(|(p, _)| p == &path) {
            before.push((path.clone(), files.get(&path)?));
        }
        let current = match working.get(&path) {
            Some(content) => Some(content.clone()),
            None => before
                .iter()
                .find(|(p, _)| p == &path)
                .and_then(|(_, c)| c.clone()),
        };
        let new = apply_op(recipe, op, values, &path, current.as_deref())?;
        working.insert(path, new);
    }
    let mut changes = Vec::new();
    for (path, before) in before {
        let Some(after) = working.remove(&path) else {
            continue;
        };
        if before.as_deref() != Some(after.as_slice()) {
            files.set(&path, after.clone());
            changes.push(Change { path, before, after });
        }
    }
    Ok(changes)
}

fn recipe_error(recipe: &Recipe, file: &str, why: &str) -> anyhow::Error {
    Error::Usage(tr!(
        "{recipe}: {file}: {why}; nothing was changed",
        recipe = recipe.name,
        file,
        why
    ))
    .into()
}

/// The place a recipe needs is missing: `what` names it, `None` for the whole file.
fn missing_error(recipe: &Recipe, path: &InstallPath, what: Option<&str>) -> anyhow::Error {
    let name = &recipe.name;
    let message = match (what, recipe.hint.as_deref()) {
        (Some(what), Some(hint)) => tr!(
            "{name} cannot apply to this version: {path}: {what} is missing; nothing was changed\nhint: {hint}",
            name,
            path,
            what,
            hint
        ),
        (Some(what), None) => tr!(
            "{name} cannot apply to this version: {path}: {what} is missing; nothing was changed",
            name,
            path,
            what
        ),
        (None, Some(hint)) => tr!(
            "{name} cannot apply to this version: {path}: the file is missing; nothing was changed\nhint: {hint}",
            name,
            path,
            hint
        ),
        (None, None) => tr!(
            "{name} cannot apply to this version: {path}: the file is missing; nothing was changed",
            name,
            path
        ),
    };
    Error::Usage(message).into()
}

fn apply_op(
    recipe: &Recipe,
    op: &OpSpec,
    values: &Values,
    path: &InstallPath,
    current: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let fail = |why: String| recipe_error(recipe, &path.to_string(), &why);
    let edit_error = |e: EditError| match e {
        EditError::Missing(what) => missing_error(recipe, path, Some(&what)),
        EditError::Invalid(why) => fail(why),
    };
    let fill_quoted = |text: &str| fill(text, values, Fill::Quoted).map_err(&fail);
    let fill_raw = |text: &str| fill(text, values, Fill::Raw).map_err(&fail);
    if let OpSpec::Place {
        source,
        template,
        keep_leading_comment,
        ..
    } = op
    {
        let placed = place(recipe, path, source, *template, values).map_err(|e| fail(format!("{e:#}")))?;
        return Ok(match (keep_leading_comment, current.and_then(leading_comment)) {
            (true, Some(comment)) if leading_comment(&placed).is_none() => [comment, &placed].concat(),
            _ => placed,
        });
    }
    let Some(content) = current else {
        return Err(missing_error(recipe, path, None));
    };
    match op {
        OpSpec::JsSet {
            path: property,
            value,
            raw,
            create,
            ..
        } => {
            let source = match (value, raw) {
                (Some(value), _) => js_source(&fill_value(value, values).map_err(&fail)?).map_err(&fail)?,
                (None, Some(raw)) => fill_raw(raw)?,
                (None, None) => return Err(fail(tr!("needs `value` or `raw`"))),
            };
            edit::set_js_property(content, &fill_raw(property)?, &source, *create).map_err(edit_error)
        }
        OpSpec::JsonSet {
            path: key_path,
            value,
            create,
            ..
        } => {
            let keys: Vec<String> = match key_path {
                KeyPath::Dotted(dotted) => fill_quoted(dotted)?.split('.').map(str::to_string).collect(),
                KeyPath::Keys(keys) => keys.iter().map(|k| fill_quoted(k)).collect::<Result<_>>()?,
            };
            let value = json_value(&fill_value(value, values).map_err(&fail)?).map_err(&fail)?;
            edit::set_json_key(content, &keys, value, *create).map_err(edit_error)
        }
        OpSpec::Setting {
            block,
            block_with,
            key,
            value,
            raw,
            create,
            ..
        } => {
            let format = settings_format(path).ok_or_else(|| {
                fail(tr!(
                    "is not a Lua, nginx, properties or HOCON file; `setting` does not apply"
                ))
            })?;
            let source = match (value, raw) {
                (Some(value), _) => {
                    let value = fill_value(value, values).map_err(&fail)?;
                    setting_source(format, &value).map_err(&fail)?
                }
                (None, Some(raw)) => fill_raw(raw)?,
                (None, None) => return Err(fail(tr!("needs `value` or `raw`"))),
            };
            let place = SettingPlace {
                block: block.iter().map(|b| fill_raw(b)).collect::<Result<_>>()?,
                block_with: block_with.as_deref().map(fill_raw).transpose()?,
                create: *create,
            };
            edit::set_setting(format, content, &place, &fill_raw(key)?, &source).map_err(edit_error)
        }
        OpSpec::Section {
            header, after, body, ..
        } => {
            if settings_format(path) != Some(SettingsFormat::Lua) {
                return Err(fail(tr!("is not a Prosody Lua file; `section` does not apply")));
            }
            edit::add_lua_section(
                content,
                &fill_raw(header)?,
                after.as_deref().map(fill_raw).transpose()?.as_deref(),
                &fill_raw(body)?,
            )
            .map_err(edit_error)
        }
        OpSpec::CssSet {
            media,
            selector,
            property,
            value,
            ..
        } => {
            let media: Vec<String> = media.iter().map(|m| fill_raw(m)).collect::<Result<_>>()?;
            edit::set_css_declaration(
                content,
                &media,
                &fill_raw(selector)?,
                &fill_raw(property)?,
                &fill_raw(value)?,
            )
            .map_err(edit_error)
        }
        OpSpec::Place { .. } => unreachable!("handled above"),
    }
}

fn settings_format(path: &InstallPath) -> Option<SettingsFormat> {
    match crate::profile::strategy_for_path(path.as_rel()) {
        Strategy::Lua => Some(SettingsFormat::Lua),
        Strategy::Nginx => Some(SettingsFormat::Nginx),
        Strategy::Properties => Some(SettingsFormat::Properties),
        Strategy::Hocon => Some(SettingsFormat::Hocon),
        _ => None,
    }
}

/// The content of a file shipped beside the recipe, placeholders filled in for a template.
fn place(
    recipe: &Recipe,
    path: &InstallPath,
    source: &str,
    template: bool,
    values: &Values,
) -> Result<Vec<u8>> {
    let relative = Path::new(source);
    if source.is_empty() || relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        anyhow::bail!(
            "{}",
            tr!(
                "the source {source} must be a file beside the recipe",
                source = format!("{source:?}")
            )
        );
    }
    let file = recipe.dir().join(relative);
    let meta =
        std::fs::symlink_metadata(&file).with_context(|| tr!("cannot read {path}", path = file.display()))?;
    if !meta.is_file() {
        anyhow::bail!("{}", tr!("{path} is not a regular file", path = file.display()));
    }
    let limit = crate::system::fs::max_file_size();
    if meta.len() > limit {
        anyhow::bail!(
            "{}",
            tr!(
                "{path} is larger than {limit} bytes",
                path = file.display(),
                limit
            )
        );
    }
    let content = std::fs::read(&file).with_context(|| tr!("cannot read {path}", path = file.display()))?;
    if !template {
        return Ok(content);
    }
    let text = String::from_utf8(content)
        .map_err(|_| anyhow::anyhow!(tr!("the template {path} is not UTF-8", path = file.display())))?;
    let markup = matches!(
        path.as_rel().rsplit_once('.').map(|(_, e)| e),
        Some("html" | "htm" | "svg" | "xml")
    );
    fill(&text, values, if markup { Fill::Markup } else { Fill::Quoted })
        .map(String::into_bytes)
        .map_err(anyhow::Error::msg)
}

/// A leading `<!-- … -->` comment with the line break after it.
fn leading_comment(content: &[u8]) -> Option<&[u8]> {
    let start = content.iter().position(|b| !b.is_ascii_whitespace())?;
    if !content[start..].starts_with(b"<!--") {
        return None;
    }
    let end = content[start..].windows(3).position(|w| w == b"-->")? + start + 3;
    let end = match content.get(end..) {
        Some([b'\r', b'\n', ..]) => end + 2,
        Some([b'\n', ..]) => end + 1,
        _ => end,
    };
    Some(&content[..end])
}

// ---------------------------------------------------------------------------------------------
// Values in each format.

fn fill_value(value: &toml::Value, values: &Values) -> Result<toml::Value, String> {
    Ok(match value {
        toml::Value::String(s) => toml::Value::String(fill(s, values, Fill::Quoted)?),
        toml::Value::Array(items) => toml::Value::Array(
            items
                .iter()
                .map(|v| fill_value(v, values))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => {
            let mut out = toml::map::Map::new();
            for (k, v) in table {
                out.insert(k.clone(), fill_value(v, values)?);
            }
            toml::Value::Table(out)
        }
        other => other.clone(),
    })
}

fn number_or_bool(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) if f.is_finite() => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A JavaScript literal, strings in single quotes as Jitsi writes them.
fn js_source(value: &toml::Value) -> Result<String, String> {
    if let Some(plain) = number_or_bool(value) {
        return Ok(plain);
    }
    Ok(match value {
        toml::Value::String(s) => {
            let mut out = String::from("'");
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '\n' => out.push_str("\\n"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        toml::Value::Array(items) => {
            let items = items.iter().map(js_source).collect::<Result<Vec<_>, _>>()?;
            format!("[ {} ]", items.join(", "))
        }
        toml::Value::Table(table) => {
            let members = table
                .iter()
                .map(|(k, v)| {
                    let key = if k
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                        && !k.starts_with(|c: char| c.is_ascii_digit())
                    {
                        k.clone()
                    } else {
                        js_source(&toml::Value::String(k.clone()))?
                    };
                    Ok(format!("{key}: {}", js_source(v)?))
                })
                .collect::<Result<Vec<_>, String>>()?;
            format!("{{ {} }}", members.join(", "))
        }
        _ => return Err(tr!("a date is no JavaScript value here")),
    })
}

fn json_value(value: &toml::Value) -> Result<serde_json::Value, String> {
    serde_json::to_value(value).map_err(|e| tr!("no JSON value: {error}", error = e))
}

/// A setting's value written in the file's format.
fn setting_source(format: SettingsFormat, value: &toml::Value) -> Result<String, String> {
    if let Some(plain) = number_or_bool(value) {
        return Ok(plain);
    }
    let toml::Value::String(s) = value else {
        return Err(tr!(
            "a setting takes a string, number or boolean (use `raw` for anything else)"
        ));
    };
    match format {
        SettingsFormat::Lua | SettingsFormat::Hocon => serde_json::to_string(s).map_err(|e| {
            tr!(
                "cannot quote {value}: {error}",
                value = format!("{s:?}"),
                error = e
            )
        }),
        SettingsFormat::Nginx => {
            if s.chars().any(|c| "\"'\\;{}#".contains(c)) {
                return Err(tr!(
                    "{value} is not a plain nginx value (use `raw`)",
                    value = format!("{s:?}")
                ));
            }
            Ok(s.clone())
        }
        SettingsFormat::Properties => Ok(s.replace('\\', "\\\\")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_filled() {
        assert_eq!(references("x {domain} {a_b} { no } {Up} {}"), ["domain", "a_b"]);
        let mut values = Values::default();
        values.0.insert("domain".into(), "tele.praxis.de".into());
        values.0.insert("name".into(), "Praxis \"Sommer\" & Co".into());
        assert_eq!(
            fill("guest.{domain} {video: 1}", &values, Fill::Raw).unwrap(),
            "guest.tele.praxis.de {video: 1}"
        );
        assert!(fill("{name}", &values, Fill::Raw).is_err());
        assert_eq!(
            fill("<h2>{name}</h2>", &values, Fill::Markup).unwrap(),
            "<h2>Praxis &quot;Sommer&quot; &amp; Co</h2>"
        );
        assert_eq!(
            js_source(&toml::Value::String(
                fill("{name}", &values, Fill::Quoted).unwrap()
            ))
            .unwrap(),
            "'Praxis \"Sommer\" & Co'"
        );
    }

    #[test]
    fn values_are_written_in_each_format() {
        let v: toml::Value =
            toml::from_str::<toml::Table>("v = [{ urls = \"stun:x:3478\" }]").unwrap()["v"].clone();
        assert_eq!(js_source(&v).unwrap(), "[ { urls: 'stun:x:3478' } ]");
        let s = toml::Value::String("it's".into());
        assert_eq!(js_source(&s).unwrap(), "'it\\'s'");
        assert_eq!(setting_source(SettingsFormat::Lua, &s).unwrap(), "\"it's\"");
        assert_eq!(
            setting_source(SettingsFormat::Nginx, &toml::Value::Integer(3)).unwrap(),
            "3"
        );
        assert!(setting_source(SettingsFormat::Nginx, &toml::Value::String("a;b".into())).is_err());
    }

    #[test]
    fn recipe_names_are_checked_before_a_path_is_made() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x", "5.2.2/../../etc", "x", "a/b/c", "5.2.2/.hidden"] {
            let err = find(bad, dir.path()).unwrap_err();
            assert!(err.to_string().contains("no recipe named"), "{bad}: {err:#}");
        }
    }
}
