//! Three-way merge strategies. Pure functions over bytes: no I/O, no git repository.
//!
//! Words: `base` is the old upstream content, `local` the customised content, `upstream` the new
//! upstream content. Only this module translates them to libgit2's ancestor/ours/theirs.

mod binary;
mod jsconfig;
mod json;
mod minified;
mod text;

use serde::{Deserialize, Serialize};

pub use binary::merge_binary;
pub use jsconfig::{
    JsConfigError, LeftBehind, Op, active_value, apply_ops, carry_setting, customisation_ops, left_behind,
    merge_js_config,
};
pub use json::{merge_json, parse_json};
pub use minified::{MinifiedKind, merge_minified};
pub use text::{Whitespace, merge_text, setting_name};

/// How a file is merged. Chosen from the file's kind ([`Strategy::for_path`]); the manifest can
/// override it per file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Line-based 3-way merge through libgit2, diff3 conflict markers.
    Text,
    /// Line-based, but whitespace changes are ignored (Lua, nginx, properties).
    TextIgnoreSpace,
    /// Key-path merge of JSON documents: never duplicate keys.
    Json,
    /// Property-path merge of JavaScript config objects (`config.js`, `interface_config.js`).
    JsConfig,
    /// One-line CSS/JS split into rules or statements for the merge, joined back afterwards.
    Minified,
    /// Whole-file replacement: a conflict only when upstream changed the same file.
    Binary,
}

impl Strategy {
    /// The strategy a file's name suggests.
    pub fn for_path(path: &str) -> Strategy {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "json" => Strategy::Json,
            "lua" | "conf" | "properties" => Strategy::TextIgnoreSpace,
            "css" if name.ends_with(".min.css") || name == "all.css" => Strategy::Minified,
            "js" if name.ends_with(".min.js") => Strategy::Minified,
            "png" | "ico" | "jpg" | "jpeg" | "gif" | "webp" | "woff" | "woff2" | "ttf" | "wasm" => {
                Strategy::Binary
            }
            "js" if crate::profile::moves::config_file_kind(name).is_some()
                && (!name.ends_with("-config.js")
                    || path.trim_start_matches('/').starts_with("etc/jitsi/meet/")) =>
            {
                Strategy::JsConfig
            }
            _ if path.starts_with("etc/nginx/") => Strategy::TextIgnoreSpace,
            _ => Strategy::Text,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Text => "text",
            Strategy::TextIgnoreSpace => "text-ignore-space",
            Strategy::Json => "json",
            Strategy::JsConfig => "js-config",
            Strategy::Minified => "minified",
            Strategy::Binary => "binary",
        }
    }
}

/// Names shown in conflict markers and prompts.
#[derive(Clone, Debug)]
pub struct Labels {
    pub base: String,
    pub local: String,
    pub upstream: String,
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            base: "base".into(),
            local: "local".into(),
            upstream: "upstream".into(),
        }
    }
}

/// One place where the two sides could not be reconciled without a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// A one-line description naming the setting or the lines (`upstream removed enableLayerSuspension`).
    pub what: String,
    /// What to do about it, when the strategy knows (`the setting moved to toolbarConfig.alwaysVisible`).
    pub hint: Option<String>,
}

/// The result of one three-way merge.
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// The merged content. When `conflicts` is not empty and the strategy is text-like, it holds
    /// git-style conflict markers; it must then never go live.
    pub content: Vec<u8>,
    pub conflicts: Vec<Conflict>,
    /// Remarks worth showing (`fell back to text: config.js does not parse`).
    pub notes: Vec<String>,
}

impl Merged {
    pub fn clean(content: Vec<u8>) -> Merged {
        Merged {
            content,
            ..Merged::default()
        }
    }

    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// Merges with the given strategy. A structure-aware strategy that cannot parse one of the
/// inputs falls back to the line merge and says so in [`Merged::notes`].
pub fn merge(strategy: Strategy, base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels) -> Merged {
    match strategy {
        Strategy::Text => merge_text(base, local, upstream, labels, Whitespace::Exact),
        Strategy::TextIgnoreSpace => merge_text(base, local, upstream, labels, Whitespace::Ignore),
        Strategy::Binary => merge_binary(base, local, upstream),
        Strategy::Json => merge_json(base, local, upstream, labels),
        Strategy::Minified => merge_minified(base, local, upstream, labels),
        Strategy::JsConfig => merge_js_config(base, local, upstream, labels),
    }
}

/// One conflict block of a diff3-style result: the lines each side has there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerBlock {
    pub local: Vec<String>,
    pub base: Vec<String>,
    pub upstream: Vec<String>,
}

/// Splits a diff3-style merge result into the text between conflicts and the conflict blocks,
/// so that a person can decide block by block. `None` when the markers are not well formed.
pub fn marker_blocks(content: &[u8]) -> Option<(Vec<String>, Vec<MarkerBlock>)> {
    let text = std::str::from_utf8(content).ok()?;
    let mut between = vec![String::new()];
    let mut blocks = Vec::new();
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        if !line.starts_with("<<<<<<< ") {
            between.last_mut()?.push_str(line);
            continue;
        }
        let mut block = MarkerBlock {
            local: Vec::new(),
            base: Vec::new(),
            upstream: Vec::new(),
        };
        let mut side = 0; // 0 local, 1 base, 2 upstream
        loop {
            let line = lines.next()?;
            let bare = line.trim_end_matches(['\n', '\r']);
            if line.starts_with("||||||| ") {
                side = 1;
            } else if bare == "=======" {
                side = 2;
            } else if line.starts_with(">>>>>>> ") {
                break;
            } else {
                [&mut block.local, &mut block.base, &mut block.upstream][side].push(line.to_string());
            }
        }
        blocks.push(block);
        between.push(String::new());
    }
    Some((between, blocks))
}

/// Joins the text between conflicts with one chosen side per block.
pub fn join_marker_blocks(between: &[String], chosen: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    for (i, text) in between.iter().enumerate() {
        out.push_str(text);
        if let Some(lines) = chosen.get(i) {
            out.extend(lines.iter().map(String::as_str));
        }
    }
    out.into_bytes()
}

/// True when the content holds a git-style conflict marker line (`<<<<<<< `, `=======`, `>>>>>>> `).
pub fn has_conflict_markers(content: &[u8]) -> bool {
    content.split(|&b| b == b'\n').any(|line| {
        line.starts_with(b"<<<<<<< ")
            || line.starts_with(b">>>>>>> ")
            || line.starts_with(b"||||||| ")
            || line == b"======="
            || line == b"=======\r"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_follows_the_file_kind() {
        assert_eq!(
            Strategy::for_path("usr/share/jitsi-meet/lang/main-de.json"),
            Strategy::Json
        );
        assert_eq!(
            Strategy::for_path("usr/share/jitsi-meet/css/all.css"),
            Strategy::Minified
        );
        assert_eq!(
            Strategy::for_path("usr/share/jitsi-meet/libs/app.bundle.min.js"),
            Strategy::Minified
        );
        assert_eq!(
            Strategy::for_path("etc/prosody/conf.avail/x.cfg.lua"),
            Strategy::TextIgnoreSpace
        );
        assert_eq!(
            Strategy::for_path("usr/share/jitsi-meet/images/favicon.ico"),
            Strategy::Binary
        );
        assert_eq!(
            Strategy::for_path("etc/nginx/sites-available/x"),
            Strategy::TextIgnoreSpace
        );
        assert_eq!(
            Strategy::for_path("usr/share/jitsi-meet/static/card.html"),
            Strategy::Text
        );
        assert_eq!(
            Strategy::for_path("etc/jitsi/meet/tele.praxis.de-config.js"),
            Strategy::JsConfig
        );
        assert_eq!(
            Strategy::for_path("/usr/share/jitsi-meet/interface_config.js"),
            Strategy::JsConfig
        );
        assert_eq!(
            Strategy::for_path("usr/share/jitsi-meet-web-config/config.js"),
            Strategy::JsConfig
        );
        assert_eq!(
            Strategy::for_path("usr/share/jitsi-meet/libs/lib-config.js"),
            Strategy::Text
        );
    }

    #[test]
    fn marker_blocks_split_and_join_back() {
        let merged = b"a\n<<<<<<< local\nx = 1\n||||||| base\nx = 0\n=======\nx = 2\n>>>>>>> upstream\nb\n";
        let (between, blocks) = marker_blocks(merged).unwrap();
        assert_eq!(
            blocks,
            vec![MarkerBlock {
                local: vec!["x = 1\n".into()],
                base: vec!["x = 0\n".into()],
                upstream: vec!["x = 2\n".into()]
            }]
        );
        assert_eq!(
            join_marker_blocks(&between, &[blocks[0].local.clone()]),
            b"a\nx = 1\nb\n"
        );
        assert_eq!(
            join_marker_blocks(&between, &[blocks[0].upstream.clone()]),
            b"a\nx = 2\nb\n"
        );
        assert!(marker_blocks(b"<<<<<<< local\nunterminated\n").is_none());
    }

    #[test]
    fn conflict_markers_are_found_only_at_line_start() {
        assert!(has_conflict_markers(
            b"a\n<<<<<<< local\nb\n=======\nc\n>>>>>>> up\n"
        ));
        assert!(!has_conflict_markers(b"a = '<<<<<<< '\n"));
    }
}
