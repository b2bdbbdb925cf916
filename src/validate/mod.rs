//! Syntax checks per file kind, run before anything goes live and by `jitsi-custom validate`.
//!
//! This module owns the question "may this content be written to this path?". It answers from the
//! content alone (JSON, JavaScript, Lua, XML/SVG parsers, conflict markers) and, for the nginx
//! configuration, by asking the installed nginx itself (`nginx -t`) about the configuration as it
//! would be with the candidate in place. Every failure is one line that names the problem and,
//! where the parser knows it, `line L, column C`. No input, however broken, makes a checker panic:
//! invariant 3 ("nothing that fails validation goes live") must hold for garbage too.

mod javascript;
mod json;
mod lua;
mod nginx;
mod xml;

use std::collections::HashSet;
use std::path::Path;

use crate::install_path::InstallPath;
use crate::merge::has_conflict_markers;

pub use nginx::check_nginx;

/// What a file's content is checked as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Json,
    JavaScript,
    Lua,
    Xml,
    /// HOCON (`jicofo.conf`, `jvb.conf`): jicofo and the videobridge refuse to start on a syntax
    /// error.
    Hocon,
    /// Part of the nginx configuration: the content is checked for conflict markers only; the
    /// syntax is nginx's to judge ([`check_nginx`]).
    Nginx,
    /// No checker: any content is accepted (HTML, properties, binary files), except that text
    /// with conflict markers is refused.
    Unchecked,
}

impl FileKind {
    /// The kind for a root-relative install path (`etc/nginx/sites-available/x.conf`), chosen by
    /// file extension, then by the nginx configuration directory.
    pub fn for_path(path: &str) -> FileKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "json" => FileKind::Json,
            "js" => FileKind::JavaScript,
            "lua" => FileKind::Lua,
            "svg" | "xml" => FileKind::Xml,
            "hocon" => FileKind::Hocon,
            "conf" if name == "jicofo.conf" || name == "jvb.conf" => FileKind::Hocon,
            _ if is_nginx_path(path) => FileKind::Nginx,
            _ => FileKind::Unchecked,
        }
    }
}

/// How a check that did not fail ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checked {
    /// Every check that applies to the file ran and accepted it.
    Passed,
    /// The content was accepted without the full check; the reason says what was not checked
    /// (no checker for this kind of file, nginx not installed, ...).
    Skipped(String),
}

/// Checks the content; `Err` carries one line that names the problem and where it is, in English
/// (it is kept with a parked decision; [`crate::i18n::shown`] gives it for a person).
///
/// Conflict markers are looked for first in every kind that is text (for [`FileKind::Unchecked`]:
/// content without NUL bytes, git's own test for text), so a half-merged file never passes.
pub fn check(kind: FileKind, content: &[u8]) -> Result<(), String> {
    check_tolerating(kind, content, &HashSet::new())
}

/// [`check`], with JSON keys named in `repeats` allowed to repeat (upstream's own repeats).
fn check_tolerating(kind: FileKind, content: &[u8], repeats: &HashSet<String>) -> Result<(), String> {
    if kind != FileKind::Unchecked || looks_like_text(content) {
        refuse_conflict_markers(content)?;
    }
    match kind {
        FileKind::Json => json::check_json_tolerating(utf8_text(content)?, repeats),
        FileKind::JavaScript => javascript::check_javascript(utf8_text(content)?),
        FileKind::Lua => lua::check_lua(utf8_text(content)?),
        FileKind::Xml => xml::check_xml(utf8_text(content)?),
        FileKind::Hocon => crate::merge::check_hocon(utf8_text(content)?),
        FileKind::Nginx | FileKind::Unchecked => Ok(()),
    }
}

/// Validates `content` as the new content of `path` under `root`: the syntax check for the path's
/// kind, then, for a file of the nginx configuration, `nginx -t` on the configuration as it would
/// be ([`check_nginx`]). Kinds without a checker pass as [`Checked::Skipped`].
pub fn validate_file(root: &Path, path: &InstallPath, content: &[u8]) -> Result<Checked, String> {
    validate_merged(root, path, content, None)
}

/// [`validate_file`] for a merge result: a JSON key that `upstream`'s own file repeats may repeat
/// in the result too (browsers read the last one); any other repeat is refused as always.
pub fn validate_merged(
    root: &Path,
    path: &InstallPath,
    content: &[u8],
    upstream: Option<&[u8]>,
) -> Result<Checked, String> {
    let kind = FileKind::for_path(path.as_rel());
    let repeats = match (kind, upstream) {
        (FileKind::Json, Some(upstream)) => json::repeated_keys(&String::from_utf8_lossy(upstream)),
        _ => HashSet::new(),
    };
    check_tolerating(kind, content, &repeats)?;
    if is_nginx_path(path.as_rel()) {
        return check_nginx(root, path, content);
    }
    match kind {
        FileKind::Unchecked => Ok(Checked::Skipped(crate::english!(
            "no syntax check for this kind of file"
        ))),
        _ => Ok(Checked::Passed),
    }
}

/// Whether a root-relative path belongs to the nginx configuration ([`crate::profile`] knows).
fn is_nginx_path(rel: &str) -> bool {
    crate::profile::is_nginx_config(rel)
}

fn refuse_conflict_markers(content: &[u8]) -> Result<(), String> {
    if !has_conflict_markers(content) {
        return Ok(());
    }
    // The predicate is line-based, so asking it line by line finds the first marker's line.
    let line = content
        .split(|&b| b == b'\n')
        .position(has_conflict_markers)
        .map(|index| index + 1);
    Err(match line {
        Some(line) => crate::english!("conflict markers left in the file at line {line}", line),
        None => crate::english!("conflict markers left in the file"),
    })
}

/// Git's test for text: no NUL byte in the first 8000 bytes.
fn looks_like_text(content: &[u8]) -> bool {
    !content.iter().take(8000).any(|&b| b == 0)
}

/// The content as UTF-8, or an error naming where the first invalid byte is.
fn utf8_text(content: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(content).map_err(|e| {
        let valid = &content[..e.valid_up_to()];
        // The prefix is valid UTF-8 by construction; lossy conversion cannot change it.
        let (line, column) = line_column(&String::from_utf8_lossy(valid), valid.len());
        crate::english!(
            "file is not valid UTF-8 text: invalid byte at line {line}, column {column}",
            line,
            column
        )
    })
}

/// 1-based line and column (in characters) of a byte offset; an offset past the end or inside a
/// character counts as the position just after the last whole character before it.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Makes a parser's message fit the one-line error format: whitespace runs (newlines included)
/// become one space, and a capitalised first word is lowercased unless it is an acronym.
fn one_line(message: &str) -> String {
    let joined = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = joined.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => first
            .to_lowercase()
            .chain(joined[first.len_utf8()..].chars())
            .collect(),
        _ => joined,
    }
}

/// Runs a recursive-descent parser on a thread with a large stack, so deeply nested input ends in
/// a parse error or a refusal, never in a stack overflow that would abort the whole process; a
/// panic inside the parser becomes an error too.
fn run_parser<F>(language: &str, parse: F) -> Result<(), String>
where
    F: FnOnce() -> Result<(), String> + Send,
{
    crate::depth::on_large_stack(&format!("{language} parser"), parse)?
}

/// The deepest nesting the JavaScript and Lua checks accept before handing the text to their
/// recursive-descent parsers; each refuses deeper input with a "nested too deeply" error.
const MAX_NESTING: usize = crate::depth::MAX_NESTING;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [FileKind; 7] = [
        FileKind::Json,
        FileKind::JavaScript,
        FileKind::Lua,
        FileKind::Xml,
        FileKind::Hocon,
        FileKind::Nginx,
        FileKind::Unchecked,
    ];

    #[test]
    fn kind_follows_the_path() {
        assert_eq!(
            FileKind::for_path("usr/share/jitsi-meet/lang/main-de.json"),
            FileKind::Json
        );
        assert_eq!(
            FileKind::for_path("etc/jitsi/meet/tele.praxis.de-config.js"),
            FileKind::JavaScript
        );
        assert_eq!(
            FileKind::for_path("etc/prosody/conf.avail/tele.praxis.de.cfg.lua"),
            FileKind::Lua
        );
        assert_eq!(
            FileKind::for_path("usr/share/jitsi-meet/images/watermark.svg"),
            FileKind::Xml
        );
        assert_eq!(
            FileKind::for_path("etc/nginx/sites-available/tele.praxis.de.conf"),
            FileKind::Nginx
        );
        assert_eq!(
            FileKind::for_path("etc/jitsi/jicofo/jicofo.conf"),
            FileKind::Hocon
        );
        assert_eq!(
            check(
                FileKind::Hocon,
                b"jicofo {\n  bridge {\n    max-bridge-participants = 50\n}\n"
            ),
            Err("invalid HOCON at line 4: missing '}'".to_string())
        );
        assert_eq!(
            FileKind::for_path("usr/share/jitsi-meet/images/favicon.ico"),
            FileKind::Unchecked
        );
    }

    #[test]
    fn conflict_markers_fail_every_text_kind_with_their_line() {
        let merged = b"a\n<<<<<<< local\nb\n=======\nc\n>>>>>>> upstream\n";
        for kind in KINDS {
            let err = check(kind, merged).unwrap_err();
            assert_eq!(err, "conflict markers left in the file at line 2", "{kind:?}");
        }
    }

    #[test]
    fn conflict_markers_are_found_before_syntax_errors() {
        let js = b"var config = {\n<<<<<<< local\n  a: 1,\n=======\n  a: 2,\n>>>>>>> upstream\n};\n";
        let err = check(FileKind::JavaScript, js).unwrap_err();
        assert!(err.starts_with("conflict markers left in the file"), "{err}");
    }

    #[test]
    fn binary_content_is_not_searched_for_markers() {
        let ico = b"\0\0\x01\0\n<<<<<<< x\n";
        assert_eq!(check(FileKind::Unchecked, ico), Ok(()));
    }

    #[test]
    fn invalid_utf8_fails_text_kinds_with_its_position() {
        let content = b"{\n  \"a\": \"\xc3\xa4\xff\"\n}\n";
        for kind in [
            FileKind::Json,
            FileKind::JavaScript,
            FileKind::Lua,
            FileKind::Xml,
            FileKind::Hocon,
        ] {
            let err = check(kind, content).unwrap_err();
            assert_eq!(
                err, "file is not valid UTF-8 text: invalid byte at line 2, column 10",
                "{kind:?}"
            );
        }
        assert_eq!(check(FileKind::Unchecked, content), Ok(()));
        assert_eq!(check(FileKind::Nginx, content), Ok(()));
    }

    #[test]
    fn line_column_counts_characters_not_bytes() {
        assert_eq!(line_column("ab\nüx", 5), (2, 2));
        assert_eq!(line_column("ab\nüx", 4), (2, 1));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn one_line_joins_and_lowercases_but_keeps_acronyms() {
        assert_eq!(one_line("Unexpected token\n  here"), "unexpected token here");
        assert_eq!(one_line("JSON is odd"), "JSON is odd");
    }

    #[test]
    fn deep_nesting_fails_every_parsing_kind_without_overflowing() {
        let deep_js = format!("x = {}1{};", "(".repeat(100_000), ")".repeat(100_000));
        let deep_lua = format!("x = {}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let deep_json = "[".repeat(100_000);
        let deep_xml = "<a>".repeat(100_000);
        assert!(check(FileKind::JavaScript, deep_js.as_bytes()).is_err());
        assert!(check(FileKind::Lua, deep_lua.as_bytes()).is_err());
        assert!(check(FileKind::Json, deep_json.as_bytes()).is_err());
        assert!(check(FileKind::Xml, deep_xml.as_bytes()).is_err());
    }

    #[test]
    fn validate_file_skips_kinds_without_a_checker() {
        let root = Path::new("/nonexistent-root");
        let html = InstallPath::parse("/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html").unwrap();
        assert!(matches!(
            validate_file(root, &html, b"<p>Praxis</p>"),
            Ok(Checked::Skipped(_))
        ));
        let json = InstallPath::parse("/usr/share/jitsi-meet/lang/main-de.json").unwrap();
        assert_eq!(validate_file(root, &json, b"{}"), Ok(Checked::Passed));
        assert!(validate_file(root, &json, b"{\"a\":1,\"a\":2}").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for kind in KINDS {
                let _ = check(kind, &bytes);
            }
        }

        #[test]
        fn random_code_like_text_never_panics(
            text in "[ \n\t{}()\\[\\]<>\"'`/*=,;:.!?a-z0-9\\-#&$\\\\]{0,300}"
        ) {
            for kind in KINDS {
                let _ = check(kind, text.as_bytes());
            }
        }
    }
}
