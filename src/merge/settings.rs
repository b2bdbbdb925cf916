//! Line-per-setting formats read as settings: Java properties (`sip-communicator.properties`,
//! `logging.properties`), Prosody's Lua configuration, nginx sites and HOCON (`jicofo.conf`,
//! `jvb.conf`). Each [`Dialect`] here says which line sets what, so that [`merge_settings`] can settle
//! a line merge's conflicts setting by setting ([`super::keyed`]).
//!
//! The readers are deliberately shallow: one line at a time, with just enough state (open sections,
//! blocks, tables, multi-line strings) to name the setting a line holds. A line they cannot place is
//! a free line (a comment, to the merge), which only ever makes the merge ask more, never lose a
//! change: the line merge underneath still carries every byte.

use std::ops::Range;

use super::keyed::{Dialect, Keyed};
use super::text::merge_text_with;
use super::{Labels, Merged};

/// Which line-per-setting format a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsFormat {
    Properties,
    Lua,
    Nginx,
    Hocon,
}

/// Merges a line-per-setting file: the whitespace-insensitive line merge, then every conflict
/// block settled by setting where nobody has to choose.
pub fn merge_settings(
    format: SettingsFormat,
    base: &[u8],
    local: &[u8],
    upstream: &[u8],
    labels: &Labels,
) -> Merged {
    match format {
        SettingsFormat::Properties => merge_text_with(&Properties, base, local, upstream, labels),
        SettingsFormat::Lua => merge_text_with(&Lua, base, local, upstream, labels),
        SettingsFormat::Nginx => merge_text_with(&Nginx, base, local, upstream, labels),
        SettingsFormat::Hocon => merge_text_with(&super::hocon::Hocon, base, local, upstream, labels),
    }
}

/// The byte range of `part` inside `line` (`part` must be a subslice of it).
pub(crate) fn range_in(line: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    start.min(line.len())..(start + part.len()).min(line.len())
}

fn statement(id: String) -> Option<Keyed> {
    Some(Keyed {
        id,
        setting: false,
        value: 0..0,
    })
}

fn setting(id: String, line: &str, value: &str) -> Option<Keyed> {
    Some(Keyed {
        id,
        setting: true,
        value: range_in(line, value),
    })
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// Java properties.

/// `key=value`, `key: value`, `key value`; `#` and `!` comments; a trailing backslash continues
/// the value on the next line (read as a free line).
pub(crate) struct Properties;

impl Dialect for Properties {
    /// Whether the next line continues a value.
    type State = bool;

    fn read(&self, continued: &mut bool, line: &str) -> Option<Keyed> {
        let was_continued = std::mem::replace(continued, ends_with_odd_backslashes(line));
        let text = line.trim_start();
        if was_continued || text.is_empty() || text.starts_with(['#', '!']) {
            return None;
        }
        let mut key_end = text.len();
        let mut escaped = false;
        for (i, c) in text.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '=' || c == ':' || c.is_whitespace() {
                key_end = i;
                break;
            }
        }
        let key = &text[..key_end];
        let rest = text[key_end..].trim_start();
        let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim_start();
        setting(key.to_string(), line, rest.trim_end_matches('\\').trim_end())
    }

    fn keeps_removed(&self) -> bool {
        true
    }
}

fn ends_with_odd_backslashes(line: &str) -> bool {
    line.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

// ---------------------------------------------------------------------------------------------
// Prosody's Lua configuration.

/// Prosody's config: `key = value` settings, globally or in the section a `VirtualHost "x"` or
/// `Component "x" "y"` line opens (until the next such line); tables opened on one line and
/// closed on a later one, whose `key = value` fields and list entries (`"bosh";`) are settings and
/// entries of their own; long strings and comments.
pub(crate) struct Lua;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LuaState {
    section: String,
    /// The keys of the tables open at the line start (`modules_enabled`, `""` for an unnamed one).
    tables: Vec<String>,
    /// Inside a long string or comment: the closing bracket to look for (`]]`, `]==]`).
    long: Option<String>,
}

impl LuaState {
    fn context(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if !self.section.is_empty() {
            parts.push(&self.section);
        }
        parts.extend(self.tables.iter().map(String::as_str));
        parts.join(" > ")
    }

    fn id(&self, key: &str) -> String {
        let context = self.context();
        if context.is_empty() {
            key.to_string()
        } else {
            format!("{context} > {key}")
        }
    }
}

/// The code of a Lua line without its comment, and how many braces it opens and closes, skipping
/// strings; updates `long` for long brackets left open at the line end.
fn lua_code<'l>(line: &'l str, long: &mut Option<String>) -> (&'l str, i32, bool) {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut balance = 0i32;
    let mut closes_first = false;
    let mut code_end = line.len();
    if let Some(close) = long.clone() {
        match line.find(&close) {
            Some(at) => {
                *long = None;
                i = at + close.len();
            }
            None => return ("", 0, false),
        }
    }
    let code_start = i;
    let long_open = |at: usize| -> Option<(usize, String)> {
        // `[[`, `[=[`, `[==[` …
        let rest = &bytes[at..];
        if rest.first() != Some(&b'[') {
            return None;
        }
        let level = rest[1..].iter().take_while(|&&b| b == b'=').count();
        (rest.get(1 + level) == Some(&b'[')).then(|| (2 + level, format!("]{}]", "=".repeat(level))))
    };
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                code_end = i;
                if let Some((len, close)) = long_open(i + 2) {
                    match line[i + 2 + len..].find(&close) {
                        Some(at) => {
                            i = i + 2 + len + at + close.len();
                            code_end = line.len();
                            continue;
                        }
                        None => *long = Some(close),
                    }
                }
                break;
            }
            b'[' => {
                if let Some((len, close)) = long_open(i) {
                    match line[i + len..].find(&close) {
                        Some(at) => i = i + len + at + close.len(),
                        None => {
                            *long = Some(close);
                            break;
                        }
                    }
                    continue;
                }
                i += 1;
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' => {
                balance += 1;
                i += 1;
            }
            b'}' => {
                if balance == 0 {
                    closes_first = true;
                }
                balance -= 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (
        line.get(code_start..code_end).unwrap_or("").trim(),
        balance,
        closes_first,
    )
}

/// `name = value` (also `local name = value`, `["name"] = value`): the name and the value text.
fn lua_assignment(code: &str) -> Option<(String, &str)> {
    let code = code.strip_prefix("local ").unwrap_or(code).trim_start();
    let eq = code.find('=')?;
    let (name, value) = (code[..eq].trim(), &code[eq + 1..]);
    if value.starts_with('=') || name.ends_with(['~', '<', '>', '=']) {
        return None;
    }
    let name = name
        .strip_prefix("[\"")
        .and_then(|n| n.strip_suffix("\"]"))
        .or_else(|| name.strip_prefix("['").and_then(|n| n.strip_suffix("']")))
        .unwrap_or(name);
    let is_name = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || "_.-".contains(c))
        && !name.starts_with(|c: char| c.is_ascii_digit());
    is_name.then(|| {
        (
            name.to_string(),
            value.trim().trim_end_matches([';', ',']).trim_end(),
        )
    })
}

impl Dialect for Lua {
    type State = LuaState;

    fn read(&self, state: &mut LuaState, line: &str) -> Option<Keyed> {
        let (code, balance, _) = lua_code(line, &mut state.long);
        if code.is_empty() {
            return None;
        }
        let keyed = if state.tables.is_empty()
            && (code.starts_with("VirtualHost ") || code.starts_with("Component "))
        {
            state.section = squeeze(code);
            statement(state.section.clone())
        } else if let Some((name, value)) = lua_assignment(code) {
            let id = state.id(&name);
            let keyed = if balance > 0 {
                statement(format!("{id} = {{"))
            } else {
                setting(id, line, value)
            };
            if balance > 0 {
                state.tables.push(name);
            }
            keyed
        } else if code.starts_with('}') {
            let id = state.id("}");
            keyed_close(state, balance);
            statement(id)
        } else {
            let entry = code.trim_end_matches([';', ',']).trim_end();
            let id = state.id(&squeeze(entry));
            if balance > 0 {
                state.tables.push(squeeze(entry.trim_end_matches('{').trim_end()));
            }
            statement(id)
        };
        if balance < 0 && !code.starts_with('}') {
            keyed_close(state, balance);
        }
        keyed
    }

    fn keeps_removed(&self) -> bool {
        true
    }
}

fn keyed_close(state: &mut LuaState, balance: i32) {
    for _ in 0..(-balance).max(0) {
        state.tables.pop();
    }
}

// ---------------------------------------------------------------------------------------------
// nginx.

/// nginx's configuration: `name args;` directives inside `name args {` … `}` blocks. A directive
/// that may appear several times in one block (`add_header`, `proxy_set_header`, `listen`, …) is
/// told apart by its first argument; blocks with the same header (`server`) by their position.
pub(crate) struct Nginx;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NginxState {
    /// The open blocks, outermost first.
    blocks: Vec<String>,
    /// How many blocks with each path were opened so far, to tell `server` blocks apart.
    seen: std::collections::BTreeMap<String, usize>,
    /// Inside a directive that goes on to the next line (no `;` yet).
    continued: bool,
}

/// Directives that may appear more than once in one block.
const NGINX_REPEATABLE: &[&str] = &[
    "add_header",
    "proxy_set_header",
    "proxy_hide_header",
    "fastcgi_param",
    "uwsgi_param",
    "set",
    "rewrite",
    "include",
    "listen",
    "error_page",
    "sub_filter",
    "allow",
    "deny",
    "ssl_certificate",
    "ssl_certificate_key",
    "set_real_ip_from",
    "access_log",
    "error_log",
    "more_set_headers",
    "more_clear_headers",
    "ssi_types",
    "load_module",
    "return",
    "try_files",
    "server",
];

/// A line's code without its `#` comment (outside quotes).
fn nginx_code(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') => return line[..i].trim(),
            _ => {}
        }
    }
    line.trim()
}

impl Dialect for Nginx {
    type State = NginxState;

    fn read(&self, state: &mut NginxState, line: &str) -> Option<Keyed> {
        let code = nginx_code(line);
        if code.is_empty() {
            return None;
        }
        let context = state.blocks.join(" > ");
        let prefixed = |id: &str| {
            if context.is_empty() {
                id.to_string()
            } else {
                format!("{context} > {id}")
            }
        };
        if std::mem::replace(&mut state.continued, !code.ends_with([';', '{', '}'])) {
            // The rest of a directive begun on an earlier line.
            if code == "}" {
                state.continued = false;
            } else {
                return None;
            }
        }
        if code == "}" || (code.starts_with('}') && code.len() > 1 && !code.contains('{')) {
            state.blocks.pop();
            return statement(prefixed("}"));
        }
        let mut words = code.splitn(2, char::is_whitespace);
        let name = words.next().unwrap_or("");
        let args = words.next().unwrap_or("").trim();
        if let Some(header) = code.strip_suffix('{') {
            let header = squeeze(header);
            let path = prefixed(&header);
            let n = state.seen.entry(path.clone()).or_insert(0);
            *n += 1;
            let segment = if *n > 1 { format!("{header} #{n}") } else { header };
            state.blocks.push(segment.clone());
            return statement(prefixed(&format!("{segment} {{")));
        }
        let args = args.trim_end_matches(';').trim_end();
        let id = if NGINX_REPEATABLE.contains(&name) {
            let first = args.split_whitespace().next().unwrap_or("");
            prefixed(&format!("{name} {first}"))
        } else {
            prefixed(name)
        };
        let value = if NGINX_REPEATABLE.contains(&name) {
            let first_len = args.split_whitespace().next().map_or(0, str::len);
            args[first_len..].trim_start()
        } else {
            args
        };
        setting(id, line, value)
    }

    /// A directive the new nginx template dropped may no longer be valid for the nginx it comes
    /// with: a person decides.
    fn keeps_removed(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<D: Dialect>(dialect: &D, text: &str) -> Vec<String> {
        let mut state = D::State::default();
        text.lines()
            .filter_map(|l| dialect.read(&mut state, l).map(|k| k.id))
            .collect()
    }

    #[test]
    fn properties_name_their_keys_and_skip_continuations() {
        let text =
            "# comment\norg.jitsi.jicofo.auth.URL=XMPP:x\n.level = INFO\nlong = a,\\\n   b\nkey value\n";
        assert_eq!(
            ids(&Properties, text),
            ["org.jitsi.jicofo.auth.URL", ".level", "long", "key"]
        );
        let mut state = false;
        let keyed = Properties.read(&mut state, ".level = INFO").unwrap();
        assert_eq!(&".level = INFO"[keyed.value], "INFO");
    }

    #[test]
    fn lua_settings_belong_to_their_section_and_table() {
        let text = "plugin_paths = { \"/usr/share/jitsi-meet/prosody-plugins/\" }\n\nVirtualHost \"tele.praxis.de\"\n    authentication = \"internal_hashed\" -- was anonymous\n    modules_enabled = {\n        \"bosh\";\n        \"pubsub\"; -- comment\n    }\n    ssl = {\n        key = \"/etc/x.key\";\n    }\n--[[ Component \"x\"\n   long = 1 ]]\nComponent \"conference.tele.praxis.de\" \"muc\"\n    muc_room_locking = false\n";
        assert_eq!(
            ids(&Lua, text),
            [
                "plugin_paths",
                "VirtualHost \"tele.praxis.de\"",
                "VirtualHost \"tele.praxis.de\" > authentication",
                "VirtualHost \"tele.praxis.de\" > modules_enabled = {",
                "VirtualHost \"tele.praxis.de\" > modules_enabled > \"bosh\"",
                "VirtualHost \"tele.praxis.de\" > modules_enabled > \"pubsub\"",
                "VirtualHost \"tele.praxis.de\" > modules_enabled > }",
                "VirtualHost \"tele.praxis.de\" > ssl = {",
                "VirtualHost \"tele.praxis.de\" > ssl > key",
                "VirtualHost \"tele.praxis.de\" > ssl > }",
                "Component \"conference.tele.praxis.de\" \"muc\"",
                "Component \"conference.tele.praxis.de\" \"muc\" > muc_room_locking",
            ]
        );
        let mut state = LuaState::default();
        let line = "    authentication = \"internal_hashed\" -- was anonymous";
        let keyed = Lua.read(&mut state, line).unwrap();
        assert_eq!(&line[keyed.value], "\"internal_hashed\"");
    }

    #[test]
    fn nginx_directives_belong_to_their_block() {
        let text = "server {\n    listen 80;\n    return 301 https://$host$request_uri;\n}\nserver {\n    listen 443 ssl;\n    ssl_protocols TLSv1.2 TLSv1.3; # guide\n    add_header X-Frame-Options SAMEORIGIN;\n    location = /http-bind {\n        proxy_pass http://127.0.0.1:5280/http-bind;\n    }\n    gzip_types text/plain\n        text/css;\n}\n";
        assert_eq!(
            ids(&Nginx, text),
            [
                "server {",
                "server > listen 80",
                "server > return 301",
                "server > }",
                "server #2 {",
                "server #2 > listen 443",
                "server #2 > ssl_protocols",
                "server #2 > add_header X-Frame-Options",
                "server #2 > location = /http-bind {",
                "server #2 > location = /http-bind > proxy_pass",
                "server #2 > location = /http-bind > }",
                "server #2 > gzip_types",
                "server #2 > }",
            ]
        );
    }
}
