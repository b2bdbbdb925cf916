//! Three-way merge strategies. Pure functions over bytes: no I/O, no git repository.
//!
//! Words: `base` is the old upstream content, `local` the customised content, `upstream` the new
//! upstream content. Only this module translates them to libgit2's ancestor/ours/theirs.

mod binary;
mod dotenv;
pub mod edit;
mod hocon;
mod jsconfig;
mod json;
mod json_keys;
mod keyed;
mod markers;
mod minified;
mod settings;
mod text;

use serde::{Deserialize, Serialize};

pub use binary::merge_binary;
pub use dotenv::merge_dotenv;
pub use hocon::check_hocon;
pub use jsconfig::{
    ApplyProblem, JsConfigError, LeftBehind, Op, Unreadable, active_value, apply_ops, carry_moved,
    carry_setting, customisation_ops, left_behind, merge_js_config,
};
pub use json::merge_json;
pub use json_keys::{check_unique_keys, read_as_browsers, repeated_keys, without_bom};
pub use minified::{MinifiedKind, merge_minified, split_into_lines};
pub use settings::{SettingsFormat, merge_settings};
pub use text::{Whitespace, merge_text, setting_name};

/// How a file is merged. Chosen from the file's kind ([`Strategy::for_path`]); the manifest can
/// override it per file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Line-based 3-way merge through libgit2, diff3 conflict markers.
    Text,
    /// Line-based, but whitespace changes are ignored.
    TextIgnoreSpace,
    /// Java properties (`sip-communicator.properties`, `logging.properties`): line merge,
    /// conflicts settled key by key.
    Properties,
    /// Prosody's Lua configuration: line merge, conflicts settled setting by setting per section.
    Lua,
    /// An nginx site: line merge, conflicts settled directive by directive per block.
    Nginx,
    /// HOCON (`jicofo.conf`, `jvb.conf`): line merge, conflicts settled by key path.
    Hocon,
    /// Key-path merge of JSON documents: never duplicate keys.
    Json,
    /// Variable by variable: docker-jitsi-meet's `.env` against its `env.example`.
    Dotenv,
    /// Property-path merge of JavaScript config objects (`config.js`, `interface_config.js`).
    JsConfig,
    /// One-line CSS/JS split into rules or statements for the merge, joined back afterwards.
    Minified,
    /// Whole-file replacement: a conflict only when upstream changed the same file.
    Binary,
}

impl Strategy {
    /// Every strategy, in the order `--help` lists them.
    pub const ALL: [Strategy; 11] = [
        Strategy::Text,
        Strategy::TextIgnoreSpace,
        Strategy::Properties,
        Strategy::Lua,
        Strategy::Nginx,
        Strategy::Hocon,
        Strategy::Json,
        Strategy::Dotenv,
        Strategy::JsConfig,
        Strategy::Minified,
        Strategy::Binary,
    ];

    /// The strategy named `name` (as the manifest and `--strategy` spell it).
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Text => "text",
            Strategy::TextIgnoreSpace => "text-ignore-space",
            Strategy::Properties => "properties",
            Strategy::Lua => "lua",
            Strategy::Nginx => "nginx",
            Strategy::Hocon => "hocon",
            Strategy::Json => "json",
            Strategy::Dotenv => "dotenv",
            Strategy::JsConfig => "js-config",
            Strategy::Minified => "minified",
            Strategy::Binary => "binary",
        }
    }

    /// Merged line by line underneath, so a conflict carries diff3 markers that can be decided
    /// block by block.
    pub fn is_line_based(self) -> bool {
        matches!(
            self,
            Strategy::Text
                | Strategy::TextIgnoreSpace
                | Strategy::Properties
                | Strategy::Lua
                | Strategy::Nginx
                | Strategy::Hocon
        )
    }

    /// Whitespace changes do not count, and a kept line of the admin's takes upstream's
    /// indentation.
    pub fn ignores_whitespace(self) -> bool {
        self.is_line_based() && self != Strategy::Text
    }
}

/// Names shown in conflict markers and prompts, and what the merge is told about the files it
/// merges.
#[derive(Clone, Debug)]
pub struct Labels {
    pub base: String,
    pub local: String,
    pub upstream: String,
    /// Settings that moved from one config object to another between releases (the `js-config`
    /// merge names a setting's new home); the table is the profile's.
    pub moved_settings: &'static [MovedSetting],
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            base: "base".into(),
            local: "local".into(),
            upstream: "upstream".into(),
            moved_settings: &[],
        }
    }
}

/// One setting that moved from one config object to another (Jitsi's table is
/// `profile::moves::MOVES`). Keys and paths are relative to the config object; files are named
/// by their kind, for people (`config.js` stands for `/etc/jitsi/meet/<domain>-config.js`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovedSetting {
    pub from_file: &'static str,
    /// The variable holding the old file's config object (`interfaceConfig`).
    pub from_object: &'static str,
    pub from_key: &'static str,
    pub to_file: &'static str,
    /// The variable holding the new file's config object (`config`).
    pub to_object: &'static str,
    /// A dotted property path inside the target file's config object.
    pub to_path: &'static str,
    /// The `to_file` setting whose mere presence makes Jitsi ignore the old key (the new path
    /// itself, or a whole object such as `deeplinking`).
    pub ignored_once: &'static str,
    /// Where the move is documented (upstream pull request, file).
    pub source: &'static str,
}

impl MovedSetting {
    /// The conflict hint for a value left behind in the old file.
    pub fn hint(&self) -> String {
        crate::english!(
            "moved to {to_path} in {to_file}: carry the value over there or drop it",
            to_path = self.to_path,
            to_file = self.to_file
        )
    }
}

/// Lookups in a table of moved settings, by config object.
pub(crate) struct Moves(pub &'static [MovedSetting]);

impl Moves {
    /// Where a setting of the config object `from_object` went, if it moved.
    pub fn moved_setting(&self, from_object: &str, from_key: &str) -> Option<&'static MovedSetting> {
        self.0
            .iter()
            .find(|m| m.from_object == from_object && m.from_key == from_key)
    }

    /// The settings that moved into the config object `to_object`.
    pub fn moves_into<'a>(
        &self,
        to_object: &'a str,
    ) -> impl Iterator<Item = &'static MovedSetting> + use<'a> {
        self.0.iter().filter(move |m| m.to_object == to_object)
    }

    /// The old keys Jitsi ignores once `to_object` sets `key` (`deeplinking` → every deep-link
    /// key of interface_config.js).
    pub fn ignored_once_set<'a>(
        &self,
        to_object: &'a str,
        key: &'a str,
    ) -> impl Iterator<Item = &'static MovedSetting> + use<'a> {
        self.0
            .iter()
            .filter(move |m| m.to_object == to_object && m.ignored_once == key)
    }
}

/// One place where the two sides could not be reconciled without a person. Its texts are English
/// (they are kept in the state directory and shown by `--json`); [`crate::i18n::shown`] gives
/// them in the language of the messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// A one-line description naming the setting or the lines (`upstream removed enableLayerSuspension`).
    pub what: String,
    /// What to do about it, when the strategy knows (`the setting moved to toolbarConfig.alwaysVisible`).
    pub hint: Option<String>,
}

/// Something a strategy settled without a person that a person should still see: the merge is
/// clean, the admin's side is in effect, and the review list says what was decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub kind: DecisionKind,
    /// The setting it is about (`MOBILE_DOWNLOAD_LINK_ANDROID`, `headerSubtitle`,
    /// `.chatconversation { font-size }`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    /// One line for a person: `kept your X; upstream changed its default from A to B` (English,
    /// kept in the review list; [`crate::i18n::shown`] for the terminal).
    pub message: String,
    /// For [`DecisionKind::Moved`]: where the setting now lives and the admin's value, so that the
    /// caller can set it there ([`carry_moved`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<MovedTo>,
}

impl Decision {
    pub fn new(kind: DecisionKind, setting: Option<String>, message: String) -> Decision {
        Decision {
            kind,
            setting,
            message,
            moved_to: None,
        }
    }
}

/// The new home of a setting upstream moved, with the value the admin had set in the old one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedTo {
    /// The file kind the setting moved to (`config.js`, see [`crate::profile::moves`]).
    pub file: String,
    /// The dotted property path there (`toolbarConfig.alwaysVisible`).
    pub path: String,
    /// The admin's value, JavaScript source text (`true`, `'https://f-droid.org/…'`).
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// Both sides changed the same value; the admin's value stays (a new default does not undo
    /// an override).
    KeptYours,
    /// Upstream removed or commented out a setting the admin set; the admin's setting stays.
    KeptRemoved,
    /// Upstream moved the setting elsewhere (named in the message; carried where the engine can).
    Moved,
    /// A value that another setting now overrides (a precedence trap).
    Overridden,
}

/// A conflicting merge laid out for deciding region by region: the bytes between conflicts, and
/// what each side has at each conflict. Joining it with one pick per region gives a result
/// without markers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Regions {
    /// One more than `choices`: before the first conflict, between each pair, after the last.
    pub between: Vec<Vec<u8>>,
    pub choices: Vec<Choice>,
    /// The regions are in the one-piece-a-line form of a minified file ([`minified`]) and are
    /// joined back after the picks.
    pub split_minified: bool,
}

/// What each side has at one conflicting region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    /// Names the setting or lines (`both changed setting authentication (line 12)`).
    pub what: String,
    pub base: Vec<u8>,
    pub local: Vec<u8>,
    pub upstream: Vec<u8>,
}

impl Regions {
    /// The result with `picks[i]` at conflict `i`.
    pub fn join(&self, picks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, text) in self.between.iter().enumerate() {
            out.extend_from_slice(text);
            if let Some(pick) = picks.get(i) {
                out.extend_from_slice(pick);
            }
        }
        if self.split_minified {
            minified::join_lines(&out)
        } else {
            out
        }
    }

    /// Every conflict settled on the customisation's side; everything else merged. Within a
    /// conflict, an upstream line change that only touches (does not overlap) the customisation's
    /// is kept too ([`Choice::favour_local`]).
    pub fn favour_local(&self) -> Vec<u8> {
        let favoured: Vec<Vec<u8>> = self.choices.iter().map(Choice::favour_local).collect();
        let picks: Vec<&[u8]> = favoured.iter().map(Vec::as_slice).collect();
        self.join(&picks)
    }
}

impl Choice {
    /// The customisation's side of this region, with the upstream changes in it that do not
    /// overlap the customisation's. A line merge joins touching changes into one conflict (as
    /// xdiff does); where every side has the same number of lines, each line is its own question
    /// and the lines only upstream changed are upstream's.
    pub fn favour_local(&self) -> Vec<u8> {
        let lines =
            |b: &[u8]| -> Vec<Vec<u8>> { b.split_inclusive(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
        let (base, local, upstream) = (lines(&self.base), lines(&self.local), lines(&self.upstream));
        if base.len() != local.len() || base.len() != upstream.len() {
            return self.local.clone();
        }
        let mut out = Vec::with_capacity(self.local.len());
        for ((b, l), u) in base.iter().zip(&local).zip(&upstream) {
            out.extend_from_slice(if l == b { u } else { l });
        }
        out
    }
}

/// The result of one three-way merge.
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// The merged content. When `conflicts` is not empty and the strategy is text-like, it holds
    /// git-style conflict markers; it must then never go live.
    pub content: Vec<u8>,
    pub conflicts: Vec<Conflict>,
    /// Remarks worth showing (`fell back to text: config.js does not parse`), in English like
    /// [`Conflict`]'s texts.
    pub notes: Vec<String>,
    /// What was settled without a person (the review list).
    pub decisions: Vec<Decision>,
    /// For a conflicting merge: the result laid out region by region, when the strategy can.
    pub regions: Option<Regions>,
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

    /// The result with every conflict settled on the customisation's side, when the strategy laid
    /// its conflicts out as [`Regions`].
    pub fn favour_local(&self) -> Option<Vec<u8>> {
        self.regions.as_ref().map(Regions::favour_local)
    }
}

/// Merges with the given strategy. A structure-aware strategy that cannot parse one of the
/// inputs falls back to the line merge and says so in [`Merged::notes`].
///
/// Input holding NUL bytes is merged whole ([`Strategy::Binary`]) whatever the strategy: libgit2
/// takes such input for binary and returns no merged content at all (as a git merge driver that
/// emptied the file and reported a clean merge).
pub fn merge(strategy: Strategy, base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels) -> Merged {
    if strategy != Strategy::Binary && [base, local, upstream].iter().any(|c| c.contains(&0)) {
        let mut merged = merge_binary(base, local, upstream);
        merged.notes.push(crate::english!(
            "the input holds NUL bytes; merged as a binary file (whole file)"
        ));
        return merged;
    }
    match strategy {
        Strategy::Text => merge_text(base, local, upstream, labels, Whitespace::Exact),
        Strategy::TextIgnoreSpace => merge_text(base, local, upstream, labels, Whitespace::Ignore),
        Strategy::Properties => merge_settings(SettingsFormat::Properties, base, local, upstream, labels),
        Strategy::Lua => merge_settings(SettingsFormat::Lua, base, local, upstream, labels),
        Strategy::Nginx => merge_settings(SettingsFormat::Nginx, base, local, upstream, labels),
        Strategy::Hocon => merge_settings(SettingsFormat::Hocon, base, local, upstream, labels),
        Strategy::Binary => merge_binary(base, local, upstream),
        Strategy::Json => merge_json(base, local, upstream, labels),
        Strategy::Dotenv => merge_dotenv(base, local, upstream, labels),
        Strategy::Minified => merge_minified(base, local, upstream, labels),
        Strategy::JsConfig => merge_js_config(base, local, upstream, labels),
    }
}

/// The merge when a side changed nothing (or both made the same change): the other side, whole.
/// Every strategy starts with it, so that a file only one side touched is never reformatted.
fn one_side_unchanged(base: &[u8], local: &[u8], upstream: &[u8]) -> Option<Merged> {
    if local == upstream || local == base {
        return Some(Merged::clean(upstream.to_vec()));
    }
    if upstream == base {
        return Some(Merged::clean(local.to_vec()));
    }
    None
}

/// Reads a diff3-style result with conflict markers into [`Regions`]. `None` when the markers are
/// not well formed or there are none.
pub fn regions_from_markers(content: &[u8], describe: impl Fn(usize, &Choice) -> String) -> Option<Regions> {
    let lines: Vec<&[u8]> = content.split_inclusive(|&b| b == b'\n').collect();
    let mut regions = Regions {
        between: vec![Vec::new()],
        ..Regions::default()
    };
    let mut i = 0;
    while i < lines.len() {
        if !markers::opens_block(lines[i]) {
            regions.between.last_mut()?.extend_from_slice(lines[i]);
            i += 1;
            continue;
        }
        let (block, next) = markers::read_block(&lines, i)?;
        let mut choice = Choice {
            local: block.ours.concat(),
            base: block.base.concat(),
            upstream: block.theirs.concat(),
            ..Choice::default()
        };
        choice.what = describe(i + 1, &choice);
        regions.choices.push(choice);
        regions.between.push(Vec::new());
        i = next;
    }
    (!regions.choices.is_empty()).then_some(regions)
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
    fn a_text_conflict_is_laid_out_region_by_region() {
        let base = b"<h1>Welcome</h1>\n<p>old text</p>\n<footer>v1</footer>\n";
        let local = b"<h1>Willkommen</h1>\n<p>Praxis text</p>\n<footer>v1</footer>\n";
        let upstream = b"<h1>Welcome</h1>\n<p>new text</p>\n<footer>v2</footer>\n";
        // Two neighbouring lines on each side: one conflict; the footer is upstream's alone.
        let merged = merge(Strategy::Text, base, local, upstream, &Labels::default());
        assert!(!merged.is_clean());
        let regions = merged.regions.as_ref().expect("a text conflict has regions");
        assert_eq!(regions.choices.len(), 1);
        assert_eq!(
            merged.favour_local().unwrap(),
            b"<h1>Willkommen</h1>\n<p>Praxis text</p>\n<footer>v2</footer>\n"
        );
        let up: Vec<&[u8]> = regions.choices.iter().map(|c| c.upstream.as_slice()).collect();
        assert_eq!(regions.join(&up), upstream);
    }

    #[test]
    fn a_minified_conflict_joins_back_to_one_line() {
        let base = b".a{color:red}.chat{font-size:10px}.b{x:1}";
        let local = b".a{color:red}.chat{font-size:14px}.b{x:1}";
        let upstream = b".a{color:red}.chat{font-size:12px;margin:0}.b{x:2}";
        let merged = merge(Strategy::Minified, base, local, upstream, &Labels::default());
        if merged.is_clean() {
            return; // a strategy that settles this by itself needs no regions
        }
        let favoured = merged.favour_local().expect("regions");
        assert!(!favoured.contains(&b'\n'));
        assert!(String::from_utf8_lossy(&favoured).contains("font-size:14px"));
        assert!(String::from_utf8_lossy(&favoured).contains(".b{x:2}"));
    }

    #[test]
    fn input_with_nul_bytes_is_merged_whole_by_every_strategy() {
        // Regression (#10 defect 7): libgit2 returned an empty "clean" result for such input.
        let base = b"a = 1\n\0b = 2\n";
        let local = b"a = 9\n\0b = 2\n";
        for strategy in [Strategy::Text, Strategy::Lua, Strategy::Json, Strategy::Minified] {
            let merged = merge(strategy, base, local, base, &Labels::default());
            assert!(merged.is_clean());
            assert_eq!(merged.content, local, "{strategy:?}");
            let both = merge(strategy, base, local, b"a = 1\n\0b = 3\n", &Labels::default());
            assert!(!both.is_clean(), "{strategy:?}: both changed a binary file");
            assert!(both.notes.iter().any(|n| n.contains("NUL bytes")));
        }
    }

    #[test]
    fn conflict_markers_are_found_only_at_line_start() {
        assert!(has_conflict_markers(
            b"a\n<<<<<<< local\nb\n=======\nc\n>>>>>>> up\n"
        ));
        assert!(!has_conflict_markers(b"a = '<<<<<<< '\n"));
    }
}
