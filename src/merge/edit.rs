//! Declarative edits: "set this setting", as the recipes in `patches/` say it, applied to a file's
//! content with the same structure-aware readers the merges use. Pure functions over bytes.
//!
//! A recipe names what it changes by structure, never by line: a property path in a JavaScript
//! config object, a key path in JSON, a setting inside a named block of a Lua, nginx, properties or
//! HOCON file, a declaration in a CSS rule. So a recipe applies to every upstream version that has
//! the place it names, wherever upstream moved it. Each edit changes only the bytes of the setting
//! it sets (or adds one line for a new one, indented like its neighbours); setting a value that is
//! already there gives the content back unchanged, so applying a recipe twice changes nothing.
//! When the place is missing (no such block, object or rule) the edit says exactly what is missing
//! and changes nothing.

use crate::tr;

use super::SettingsFormat;
use super::hocon::Hocon;
use super::keyed::{Dialect, Keyed};
use super::settings::{Lua, Nginx, Properties};

/// Why an edit could not be made. The texts are for the person applying a recipe, in their
/// language: edits run for recipes only, and a recipe that cannot apply changes nothing, so they
/// are never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditError {
    /// The place the edit names does not exist in this content (`the block VirtualHost "x"`): a
    /// noun phrase, the subject of "… is missing".
    Missing(String),
    /// The content cannot be read as its format, or the edit makes no sense for it.
    Invalid(String),
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::Missing(what) => f.write_str(&tr!("{what} is missing", what)),
            EditError::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for EditError {}

/// Sets a property of a Jitsi config object (`config.js`, `interface_config.js`) to a JavaScript
/// value (source text). An active property gets the new value in place; a commented-out option is
/// replaced by the live property (its documentation comments stay); a property the file does not
/// mention is added to its object. The object (`hosts` for `hosts.anonymousdomain`) must exist
/// unless `create`, which makes missing objects on the way.
pub fn set_js_property(content: &[u8], path: &str, value: &str, create: bool) -> Result<Vec<u8>, EditError> {
    let invalid = |e: super::JsConfigError| EditError::Invalid(e.shown());
    let parent = path.rsplit_once('.').map_or("", |(parent, _)| parent);
    if !super::jsconfig::has_object(content, "").map_err(invalid)? {
        return Err(EditError::Missing(tr!(
            "the config object ({example})",
            example = "`var config = {…}`"
        )));
    }
    if !create && !super::jsconfig::has_object(content, parent).map_err(invalid)? {
        return Err(EditError::Missing(tr!(
            "the object `{parent}` of the config",
            parent
        )));
    }
    if super::active_value(content, path).map_err(invalid)?.as_deref() == Some(value) {
        return Ok(content.to_vec());
    }
    super::apply_ops(
        content,
        &[super::Op::Set {
            path: path.to_string(),
            value: value.to_string(),
        }],
    )
    .map_err(invalid)
}

/// Sets a key of a JSON document (a `lang/main-*.json`); see [`super::json::set_key`].
pub fn set_json_key(
    content: &[u8],
    path: &[String],
    value: serde_json::Value,
    create: bool,
) -> Result<Vec<u8>, EditError> {
    super::json::set_key(content, path, value, create)
}

/// Sets a declaration in the CSS rules with `selector`; see [`super::minified::set_declaration`].
pub fn set_css_declaration(
    content: &[u8],
    context: &[String],
    selector: &str,
    property: &str,
    value: &str,
) -> Result<Vec<u8>, EditError> {
    let unfit = |text: &str| text.trim().is_empty() || text.contains(['{', '}', ';', '\n', '\r']);
    if unfit(property) {
        return Err(EditError::Invalid(tr!(
            "the CSS property `{text}` must be one declaration part without braces or semicolons",
            text = property
        )));
    }
    if unfit(value) {
        return Err(EditError::Invalid(tr!(
            "the CSS value `{text}` must be one declaration part without braces or semicolons",
            text = value
        )));
    }
    super::minified::set_declaration(content, context, selector, property, value)
}

/// Where a setting goes in a line-per-setting file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingPlace {
    /// The blocks the setting is in, outermost first, as their header lines read
    /// (`VirtualHost "tele.praxis.de"`, `server`, `jicofo`, `authentication`); empty for the top
    /// level (properties, HOCON).
    pub block: Vec<String>,
    /// When several blocks have that header (nginx's `server`): the one holding this setting
    /// (`listen 443`), as the reader names it.
    pub block_with: Option<String>,
    /// Create missing blocks on the way (HOCON objects only).
    pub create: bool,
}

/// Sets a setting in a Java properties, Prosody Lua, nginx or HOCON file to `value` (source text
/// in the format: `"internal_hashed"` for Lua, `TLSv1.2 TLSv1.3` for nginx). A present setting
/// gets the new value in place (every occurrence); a new one is a line of its own at the end of
/// its block, indented like the block's settings — for properties right below a commented-out
/// form of it (`#org.jitsi.jicofo.auth.URL=…`), else at the end of the file. The result is read
/// back: the setting must be where it was meant to go.
pub fn set_setting(
    format: SettingsFormat,
    content: &[u8],
    place: &SettingPlace,
    key: &str,
    value: &str,
) -> Result<Vec<u8>, EditError> {
    match format {
        SettingsFormat::Properties => set_in(&Properties, format, content, place, key, value),
        SettingsFormat::Lua => set_in(&Lua, format, content, place, key, value),
        SettingsFormat::Nginx => set_in(&Nginx, format, content, place, key, value),
        SettingsFormat::Hocon => set_in(&Hocon, format, content, place, key, value),
    }
}

/// Adds a Prosody section (`VirtualHost "guest.x"`, `Component "x" "muc"`) with the settings in
/// `body` (Lua lines, indented as they are to appear), right after the section `after` (before the
/// blank lines that end it) or at the end of the file. When the section exists already, each
/// `key = value` of the body is set in it instead, so adding twice changes nothing.
pub fn add_lua_section(
    content: &[u8],
    header: &str,
    after: Option<&str>,
    body: &str,
) -> Result<Vec<u8>, EditError> {
    let header = squeeze(header);
    if !(header.starts_with("VirtualHost ") || header.starts_with("Component ")) {
        return Err(EditError::Invalid(tr!(
            "`{header}` is not a Prosody section header (VirtualHost or Component)",
            header
        )));
    }
    let text = text_of(content)?;
    let lines = read_lines(&Lua, text);
    let body_settings = section_settings(&header, body)?;
    if lines.iter().any(|l| is_section(l, &header)) {
        let mut out = content.to_vec();
        let place = SettingPlace {
            block: vec![header.clone()],
            ..SettingPlace::default()
        };
        for (key, value) in &body_settings {
            out = set_setting(SettingsFormat::Lua, &out, &place, key, value)?;
        }
        return Ok(out);
    }
    let newline = newline_of(text);
    let mut block = format!("{header}{newline}");
    for line in body.lines() {
        block.push_str(line.trim_end());
        block.push_str(newline);
    }
    let mut out = text.to_string();
    let at = match after {
        Some(after) => {
            let after = squeeze(after);
            let Some(start) = lines.iter().position(|l| is_section(l, &after)) else {
                return Err(EditError::Missing(tr!("the section {after}", after)));
            };
            match lines.iter().skip(start + 1).position(is_any_section) {
                Some(offset) => {
                    let mut end = start + 1 + offset;
                    while end > start + 1 && lines[end - 1].text.trim().is_empty() {
                        end -= 1;
                    }
                    Some(lines[end].offset)
                }
                None => None,
            }
        }
        None => None,
    };
    match at {
        Some(at) => out.insert_str(at, &format!("{newline}{block}")),
        None => {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(newline);
            }
            out.push_str(newline);
            out.push_str(&block);
        }
    }
    let added = read_lines(&Lua, &out);
    if !added.iter().any(|l| is_section(l, &header)) {
        return Err(EditError::Invalid(tr!(
            "the section {header} would not read back",
            header
        )));
    }
    Ok(out.into_bytes())
}

/// The `key = value` settings of a section body, as the Lua reader sees them in that section.
fn section_settings(header: &str, body: &str) -> Result<Vec<(String, String)>, EditError> {
    let mut state = Default::default();
    Lua.read(&mut state, header);
    let prefix = format!("{header} > ");
    let mut out = Vec::new();
    for line in body.lines() {
        let Some(keyed) = Lua.read(&mut state, line) else {
            continue;
        };
        match keyed.id.strip_prefix(&prefix) {
            Some(key) if keyed.setting && !key.contains(" > ") => {
                out.push((key.to_string(), line[keyed.value].to_string()));
            }
            _ => {
                return Err(EditError::Invalid(tr!(
                    "the section body may hold only `key = value` lines; `{line}` is not one",
                    line = line.trim()
                )));
            }
        }
    }
    Ok(out)
}

/// One line of a file as a dialect reads it.
struct Line<'t> {
    /// Byte offset of the line in the file.
    offset: usize,
    /// The line without its line break.
    text: &'t str,
    keyed: Option<Keyed>,
}

fn text_of(content: &[u8]) -> Result<&str, EditError> {
    std::str::from_utf8(content).map_err(|_| EditError::Invalid(tr!("is not UTF-8 text")))
}

fn read_lines<'t, D: Dialect>(dialect: &D, text: &'t str) -> Vec<Line<'t>> {
    let mut state = D::State::default();
    let mut offset = 0;
    let mut out = Vec::new();
    for raw in text.split_inclusive('\n') {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        out.push(Line {
            offset,
            text: line,
            keyed: dialect.read(&mut state, line),
        });
        offset += raw.len();
    }
    out
}

fn is_section(line: &Line<'_>, header: &str) -> bool {
    line.keyed.as_ref().is_some_and(|k| !k.setting && k.id == header)
}

fn is_any_section(line: &Line<'_>) -> bool {
    line.keyed.as_ref().is_some_and(|k| {
        !k.setting
            && !k.id.contains(" > ")
            && (k.id.starts_with("VirtualHost ") || k.id.starts_with("Component "))
    })
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn newline_of(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// How a format joins a block path and a key into the reader's identities.
fn separator(format: SettingsFormat) -> &'static str {
    match format {
        SettingsFormat::Hocon => ".",
        _ => " > ",
    }
}

/// An identity with nginx's position marks (`server #2`) taken out.
fn unnumbered(id: &str) -> String {
    id.split(" > ")
        .map(|segment| match segment.rsplit_once(" #") {
            Some((head, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => head,
            _ => segment,
        })
        .collect::<Vec<_>>()
        .join(" > ")
}

/// A block of the file: its identity as the reader spells it (with position marks) and the line
/// that opens it.
struct Block {
    id: String,
    opener: usize,
}

/// The blocks whose identity (without position marks) is `path`.
fn blocks_named(lines: &[Line<'_>], format: SettingsFormat, path: &str) -> Vec<Block> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(keyed) = &line.keyed else { continue };
        if keyed.setting {
            continue;
        }
        let id = match format {
            // A Prosody section is its header line; a table is `name = {`.
            SettingsFormat::Lua => keyed.id.strip_suffix(" = {").unwrap_or(&keyed.id),
            _ => match keyed.id.strip_suffix(" {") {
                Some(id) => id,
                None => continue,
            },
        };
        if unnumbered(id) == path {
            out.push(Block {
                id: id.to_string(),
                opener: i,
            });
        }
    }
    out
}

fn set_in<D: Dialect>(
    dialect: &D,
    format: SettingsFormat,
    content: &[u8],
    place: &SettingPlace,
    key: &str,
    value: &str,
) -> Result<Vec<u8>, EditError> {
    let key = key.trim();
    if key.is_empty() || key.contains(['\n', '\r']) || value.contains(['\n', '\r']) {
        return Err(EditError::Invalid(tr!(
            "a setting needs a key, and key and value one line each"
        )));
    }
    if format == SettingsFormat::Properties && !place.block.is_empty() {
        return Err(EditError::Invalid(tr!("a properties file has no blocks")));
    }
    let text = text_of(content)?;
    let sep = separator(format);
    let block_path = place
        .block
        .iter()
        .map(|b| squeeze(b))
        .collect::<Vec<_>>()
        .join(sep);
    let target = if block_path.is_empty() {
        key.to_string()
    } else {
        format!("{block_path}{sep}{key}")
    };
    let lines = read_lines(dialect, text);
    let holds = |block_id: &str| match &place.block_with {
        None => true,
        Some(with) => {
            let wanted = format!("{block_id}{sep}{}", squeeze(with));
            lines
                .iter()
                .any(|l| l.keyed.as_ref().is_some_and(|k| k.id == wanted))
        }
    };
    // A present setting: its value replaced in place.
    let present: Vec<&Line<'_>> = lines
        .iter()
        .filter(|l| {
            l.keyed.as_ref().is_some_and(|k| {
                k.setting
                    && unnumbered(&k.id) == target
                    && holds(k.id.strip_suffix(&format!("{sep}{key}")).unwrap_or(""))
            })
        })
        .collect();
    let mut out = text.to_string();
    if !present.is_empty() {
        for line in present.iter().rev() {
            let Some(keyed) = &line.keyed else { continue };
            let range = line.offset + keyed.value.start..line.offset + keyed.value.end;
            out.replace_range(range, value);
        }
    } else {
        out = insert_setting(dialect, format, text, place, &block_path, key, value)?;
    }
    // Read back: the setting is where it was meant to go, with the value.
    let check = read_lines(dialect, &out);
    let found = check.iter().any(|l| {
        l.keyed.as_ref().is_some_and(|k| {
            k.setting && unnumbered(&k.id) == target && l.text.get(k.value.clone()) == Some(value.trim())
        })
    });
    if !found {
        return Err(EditError::Invalid(if block_path.is_empty() {
            tr!("`{key}` would not read back as a setting of the file", key)
        } else {
            tr!(
                "`{key}` would not read back as a setting of the block {block}",
                key,
                block = block_path
            )
        }));
    }
    Ok(out.into_bytes())
}

/// The text with a new setting line added to its block (creating HOCON objects when asked).
fn insert_setting<D: Dialect>(
    dialect: &D,
    format: SettingsFormat,
    text: &str,
    place: &SettingPlace,
    block_path: &str,
    key: &str,
    value: &str,
) -> Result<String, EditError> {
    let newline = newline_of(text);
    let lines = read_lines(dialect, text);
    let sep = separator(format);
    let line_for = |indent: &str| match format {
        SettingsFormat::Properties => format!("{key}={value}"),
        SettingsFormat::Nginx => format!("{indent}{key} {value};"),
        SettingsFormat::Lua | SettingsFormat::Hocon => format!("{indent}{key} = {value}"),
    };
    if block_path.is_empty() {
        let mut out = text.to_string();
        if format == SettingsFormat::Properties
            && let Some(line) = lines.iter().rev().find(|l| is_commented_form(l.text, key))
        {
            let at = line.offset + line.text.len();
            out.insert_str(at, &format!("{newline}{}", line_for("")));
            return Ok(out);
        }
        if matches!(format, SettingsFormat::Lua | SettingsFormat::Nginx) {
            return Err(EditError::Invalid(tr!(
                "`{key}` needs the block it belongs in",
                key
            )));
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(&line_for(""));
        out.push_str(newline);
        return Ok(out);
    }
    let mut blocks = blocks_named(&lines, format, block_path);
    if let Some(with) = &place.block_with {
        let with = squeeze(with);
        blocks.retain(|b| {
            let wanted = format!("{}{sep}{with}", b.id);
            lines
                .iter()
                .any(|l| l.keyed.as_ref().is_some_and(|k| k.id == wanted))
        });
    }
    let wanted = match &place.block_with {
        Some(with) => tr!(
            "the block {block} (the one with `{with}`)",
            block = block_path,
            with = squeeze(with)
        ),
        None => tr!("the block {block}", block = block_path),
    };
    let block = match blocks.len() {
        1 => blocks.remove(0),
        0 if place.create && format == SettingsFormat::Hocon && !place.block.is_empty() => {
            let created = create_hocon_object(text, place)?;
            return insert_setting(dialect, format, &created, place, block_path, key, value);
        }
        0 => return Err(EditError::Missing(wanted)),
        n => {
            return Err(EditError::Invalid(tr!(
                "{n} blocks match the block {block}; the recipe must say which one (`block_with`)",
                n,
                block = block_path
            )));
        }
    };
    let inner = format!("{}{sep}", block.id);
    let closer = format!("{inner}}}");
    let mut last = block.opener;
    let mut sibling_indent: Option<&str> = None;
    for (i, line) in lines.iter().enumerate().skip(block.opener + 1) {
        let Some(keyed) = &line.keyed else { continue };
        if keyed.id == closer {
            break;
        }
        if !keyed.id.starts_with(&inner) {
            if format == SettingsFormat::Lua && is_any_section(line) {
                break;
            }
            continue;
        }
        last = i;
        if sibling_indent.is_none() && !keyed.id[inner.len()..].contains(sep) {
            sibling_indent = Some(indent_of(line.text));
        }
    }
    let indent = match sibling_indent {
        Some(indent) => indent.to_string(),
        None => format!("{}{}", indent_of(lines[block.opener].text), indent_unit(text)),
    };
    let line = &lines[last];
    let at = line.offset + line.text.len();
    let mut out = text.to_string();
    out.insert_str(at, &format!("{newline}{}", line_for(&indent)));
    Ok(out)
}

/// Adds the innermost missing object of `place.block` as an empty `key {` … `}` inside the
/// deepest object that exists (or at the end of the file).
fn create_hocon_object(text: &str, place: &SettingPlace) -> Result<String, EditError> {
    let lines = read_lines(&Hocon, text);
    let segments: Vec<String> = place.block.iter().map(|b| squeeze(b)).collect();
    let newline = newline_of(text);
    for depth in (0..segments.len()).rev() {
        let parent = segments[..depth].join(".");
        let name = &segments[depth];
        let (indent, at) = if depth == 0 {
            (String::new(), None)
        } else {
            let blocks = blocks_named(&lines, SettingsFormat::Hocon, &parent);
            let Some(block) = blocks.first() else { continue };
            let inner = format!("{}.", block.id);
            let closer = format!("{inner}}}");
            let mut last = block.opener;
            for (i, line) in lines.iter().enumerate().skip(block.opener + 1) {
                match &line.keyed {
                    Some(k) if k.id == closer => break,
                    Some(k) if k.id.starts_with(&inner) => last = i,
                    _ => {}
                }
            }
            let indent = format!("{}{}", indent_of(lines[block.opener].text), indent_unit(text));
            (indent, Some(lines[last].offset + lines[last].text.len()))
        };
        let object = format!("{indent}{name} {{{newline}{indent}}}");
        let mut out = text.to_string();
        match at {
            Some(at) => out.insert_str(at, &format!("{newline}{object}")),
            None => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push_str(newline);
                }
                out.push_str(&object);
                out.push_str(newline);
            }
        }
        if depth + 1 == segments.len() {
            return Ok(out);
        }
        // The next level down goes inside the object just made.
        return create_hocon_object(&out, place);
    }
    Err(EditError::Missing(tr!(
        "the block {block}",
        block = segments.join(".")
    )))
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// The file's indentation step: a tab when its indented lines use tabs, else the smallest run of
/// spaces, else four spaces.
fn indent_unit(text: &str) -> String {
    let mut smallest: Option<usize> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('\t') {
            return "\t".into();
        }
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if spaces > 0 {
            smallest = Some(smallest.map_or(spaces, |s| s.min(spaces)));
        }
    }
    " ".repeat(smallest.unwrap_or(4))
}

/// A properties comment that shows the setting (`#org.jitsi.jicofo.auth.URL=XMPP:…`).
fn is_commented_form(line: &str, key: &str) -> bool {
    let body = line.trim_start();
    let Some(body) = body.strip_prefix(['#', '!']) else {
        return false;
    };
    let body = body.trim_start();
    body.strip_prefix(key)
        .is_some_and(|rest| rest.starts_with(['=', ':', ' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(format: SettingsFormat, text: &str, block: &[&str], key: &str, value: &str) -> String {
        let place = SettingPlace {
            block: block.iter().map(|b| b.to_string()).collect(),
            ..SettingPlace::default()
        };
        String::from_utf8(set_setting(format, text.as_bytes(), &place, key, value).unwrap()).unwrap()
    }

    const PROSODY: &str = "plugin_paths = { \"/x/\" }\n\nVirtualHost \"tele.praxis.de\"\n    authentication = \"jitsi-anonymous\" -- do not delete me\n    modules_enabled = {\n        \"bosh\";\n    }\n    main_muc = \"conference.tele.praxis.de\"\n\nComponent \"conference.tele.praxis.de\" \"muc\"\n    storage = \"memory\"\n";

    #[test]
    fn a_lua_setting_is_set_in_its_section_only() {
        let out = set(
            SettingsFormat::Lua,
            PROSODY,
            &["VirtualHost \"tele.praxis.de\""],
            "authentication",
            "\"internal_hashed\"",
        );
        assert_eq!(
            out,
            PROSODY.replace("\"jitsi-anonymous\" --", "\"internal_hashed\" --")
        );
        // Twice: nothing changes.
        assert_eq!(
            set(
                SettingsFormat::Lua,
                &out,
                &["VirtualHost \"tele.praxis.de\""],
                "authentication",
                "\"internal_hashed\""
            ),
            out
        );
    }

    #[test]
    fn a_new_lua_setting_goes_at_the_end_of_its_section() {
        let out = set(
            SettingsFormat::Lua,
            PROSODY,
            &["VirtualHost \"tele.praxis.de\""],
            "c2s_require_encryption",
            "true",
        );
        assert!(
            out.contains(
                "    main_muc = \"conference.tele.praxis.de\"\n    c2s_require_encryption = true\n\nComponent"
            ),
            "{out}"
        );
    }

    #[test]
    fn a_missing_block_is_named() {
        let place = SettingPlace {
            block: vec!["VirtualHost \"other.de\"".into()],
            ..SettingPlace::default()
        };
        let err = set_setting(
            SettingsFormat::Lua,
            PROSODY.as_bytes(),
            &place,
            "authentication",
            "\"x\"",
        )
        .unwrap_err();
        assert_eq!(
            err,
            EditError::Missing("the block VirtualHost \"other.de\"".into())
        );
        assert_eq!(err.to_string(), "the block VirtualHost \"other.de\" is missing");
    }

    #[test]
    fn a_prosody_section_is_added_after_the_one_named() {
        let out = add_lua_section(
            PROSODY.as_bytes(),
            "VirtualHost \"guest.tele.praxis.de\"",
            Some("VirtualHost \"tele.praxis.de\""),
            "    authentication = \"anonymous\"\n    c2s_require_encryption = false\n",
        )
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("    main_muc = \"conference.tele.praxis.de\"\n\nVirtualHost \"guest.tele.praxis.de\"\n    authentication = \"anonymous\"\n    c2s_require_encryption = false\n\nComponent"), "{out}");
        // Adding it again changes nothing; a changed value is set in the existing section.
        let again = add_lua_section(
            out.as_bytes(),
            "VirtualHost \"guest.tele.praxis.de\"",
            Some("VirtualHost \"tele.praxis.de\""),
            "    authentication = \"anonymous\"\n    c2s_require_encryption = false\n",
        )
        .unwrap();
        assert_eq!(String::from_utf8(again).unwrap(), out);
    }

    #[test]
    fn nginx_picks_the_block_holding_a_directive() {
        let site = "server {\n    listen 80;\n}\nserver {\n    listen 443 ssl;\n    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n}\n";
        let place = SettingPlace {
            block: vec!["server".into()],
            block_with: Some("listen 443".into()),
            create: false,
        };
        let out = set_setting(
            SettingsFormat::Nginx,
            site.as_bytes(),
            &place,
            "ssl_protocols",
            "TLSv1.2 TLSv1.3",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            site.replace("TLSv1 TLSv1.1 TLSv1.2", "TLSv1.2 TLSv1.3")
        );
        let without = site.replace("    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n", "");
        let out = set_setting(
            SettingsFormat::Nginx,
            without.as_bytes(),
            &place,
            "ssl_protocols",
            "TLSv1.2 TLSv1.3",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "server {\n    listen 80;\n}\nserver {\n    listen 443 ssl;\n    ssl_protocols TLSv1.2 TLSv1.3;\n}\n"
        );
        // Without saying which, two server blocks are one too many.
        let ambiguous = SettingPlace {
            block_with: None,
            ..place
        };
        assert!(matches!(
            set_setting(
                SettingsFormat::Nginx,
                without.as_bytes(),
                &ambiguous,
                "ssl_protocols",
                "x"
            ),
            Err(EditError::Invalid(_))
        ));
    }

    #[test]
    fn a_properties_key_goes_below_its_commented_form() {
        let text = "a=1\n# Secure domain\n#org.jitsi.jicofo.auth.URL=XMPP:example.com\n#other=2\n";
        let out = set(
            SettingsFormat::Properties,
            text,
            &[],
            "org.jitsi.jicofo.auth.URL",
            "XMPP:tele.praxis.de",
        );
        assert_eq!(
            out,
            "a=1\n# Secure domain\n#org.jitsi.jicofo.auth.URL=XMPP:example.com\norg.jitsi.jicofo.auth.URL=XMPP:tele.praxis.de\n#other=2\n"
        );
        let out = set(
            SettingsFormat::Properties,
            "a=1\n.level=INFO\n",
            &[],
            ".level",
            "WARNING",
        );
        assert_eq!(out, "a=1\n.level=WARNING\n");
        let out = set(SettingsFormat::Properties, "a=1", &[], "b", "2");
        assert_eq!(out, "a=1\nb=2\n");
    }

    #[test]
    fn hocon_objects_are_created_when_asked() {
        let text = "jicofo {\n  xmpp {\n    client {\n      port = 5222\n    }\n  }\n}\n";
        let place = SettingPlace {
            block: vec!["jicofo".into(), "authentication".into()],
            block_with: None,
            create: true,
        };
        let out = set_setting(SettingsFormat::Hocon, text.as_bytes(), &place, "enabled", "true").unwrap();
        let out = set_setting(SettingsFormat::Hocon, &out, &place, "type", "XMPP").unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "jicofo {\n  xmpp {\n    client {\n      port = 5222\n    }\n  }\n  authentication {\n    enabled = true\n    type = XMPP\n  }\n}\n"
        );
        super::super::check_hocon(&out).unwrap();
        let strict = SettingPlace {
            create: false,
            ..place
        };
        assert_eq!(
            set_setting(SettingsFormat::Hocon, text.as_bytes(), &strict, "enabled", "true").unwrap_err(),
            EditError::Missing("the block jicofo.authentication".into())
        );
        // A dotted key names the same setting as nested objects.
        let dotted = "jicofo.authentication.enabled = false\n";
        let out = set_setting(
            SettingsFormat::Hocon,
            dotted.as_bytes(),
            &strict,
            "enabled",
            "true",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "jicofo.authentication.enabled = true\n"
        );
    }

    #[test]
    fn css_declarations_are_set_in_their_rule() {
        let css = b"a{color:red}.chat{display:flex;font-size:10pt}.chat{padding:0}@media (max-width:600px){.chat{font-size:9pt}}";
        let out = set_css_declaration(css, &[], ".chat", "font-size", "13pt").unwrap();
        assert_eq!(
            out,
            b"a{color:red}.chat{display:flex;font-size:13pt}.chat{padding:0}@media (max-width:600px){.chat{font-size:9pt}}"
        );
        let out = set_css_declaration(css, &[], "a", "font-size", "2em").unwrap();
        assert!(out.starts_with(b"a{color:red;font-size:2em}"));
        assert_eq!(
            set_css_declaration(css, &[], ".missing", "x", "y").unwrap_err(),
            EditError::Missing("the CSS rule `.missing`".into())
        );
        let media = ["@media (max-width:600px)".to_string()];
        let out = set_css_declaration(css, &media, ".chat", "font-size", "11pt").unwrap();
        assert!(out.ends_with(b"{.chat{font-size:11pt}}"));
    }

    #[test]
    fn json_keys_are_set_in_place() {
        let text = b"{\n    \"welcomepage\": {\n        \"headerTitle\": \"Jitsi Meet\",\n        \"go\": \"Los\"\n    }\n}\n";
        let path = ["welcomepage".to_string(), "headerTitle".to_string()];
        let out = set_json_key(text, &path, serde_json::json!("Praxis"), false).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            String::from_utf8_lossy(text).replace("\"Jitsi Meet\"", "\"Praxis\"")
        );
        assert_eq!(
            set_json_key(&out, &path, serde_json::json!("Praxis"), false).unwrap(),
            out
        );
        let missing = ["nowhere".to_string(), "x".to_string()];
        assert_eq!(
            set_json_key(text, &missing, serde_json::json!(1), false).unwrap_err(),
            EditError::Missing("the JSON object nowhere".into())
        );
    }

    #[test]
    fn js_properties_need_their_object() {
        let config = b"var config = {\n    hosts: {\n        domain: 'x',\n        // anonymousdomain: 'guest.example.com',\n    },\n    // defaultLanguage: 'en',\n};\n";
        let out = set_js_property(config, "hosts.anonymousdomain", "'guest.x'", false).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("        anonymousdomain: 'guest.x',\n"), "{text}");
        assert_eq!(
            set_js_property(&out, "hosts.anonymousdomain", "'guest.x'", false).unwrap(),
            out
        );
        assert_eq!(
            set_js_property(config, "p2p.stunServers", "[]", false).unwrap_err(),
            EditError::Missing("the object `p2p` of the config".into())
        );
        let created = set_js_property(config, "p2p.stunServers", "[]", true).unwrap();
        assert!(
            String::from_utf8(created)
                .unwrap()
                .contains("p2p: { stunServers: [] }")
        );
    }
}
