//! HOCON, the format of `jicofo.conf` and `jvb.conf` (which newer jicofo and videobridge packages
//! edit in place with `hocon set`): the settings reader for the merge and a syntax check.
//!
//! No maintained Rust HOCON crate exists (`hocon` 0.9.0 is the last release, from 2022, and keeps no
//! source positions), so this is a small reader of our own for the subset these files use: objects
//! (`key { … }`, `key = { … }`), `key = value` and `key: value` with dotted keys (`a.b.c = 1`) and
//! quoted keys, quoted, unquoted and triple-quoted strings, arrays, `+=`, substitutions
//! (`${a.b}`, `${?ENV}`), `#` and `//` comments, and `include` lines, which are kept as opaque
//! statements. A setting's identity is its full key path, so `jicofo { xmpp { port = 5222 } }` and
//! `jicofo.xmpp.port = 5222` name the same setting.

use super::keyed::{Dialect, Keyed};
use super::settings::range_in;
use crate::depth;

pub(crate) struct Hocon;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct HoconState {
    /// Open objects (`key`) and arrays (`key[]`), outermost first.
    open: Vec<String>,
    /// Inside a `"""` string that goes on past the line.
    in_triple: bool,
}

impl HoconState {
    fn path(&self, key: &str) -> String {
        let mut parts: Vec<&str> = self.open.iter().map(String::as_str).collect();
        parts.push(key);
        parts.retain(|p| !p.is_empty());
        parts.join(".")
    }

    fn in_array(&self) -> bool {
        self.open.last().is_some_and(|k| k.ends_with("[]"))
    }
}

/// A line's code without its comment, and the balance of `{`/`[` against `}`/`]` outside strings.
fn code_of(line: &str, in_triple: &mut bool) -> (String, i32) {
    let bytes = line.as_bytes();
    let mut code = String::new();
    let mut balance = 0;
    let mut i = 0;
    if *in_triple {
        match line.find("\"\"\"") {
            Some(at) => {
                *in_triple = false;
                i = at + 3;
            }
            None => return (String::new(), 0),
        }
    }
    let start = i;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => break,
            b'/' if bytes.get(i + 1) == Some(&b'/') => break,
            b'"' if line[i..].starts_with("\"\"\"") => match line[i + 3..].find("\"\"\"") {
                Some(at) => i += 6 + at,
                None => {
                    *in_triple = true;
                    i = bytes.len();
                }
            },
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' | b'[' => {
                balance += 1;
                i += 1;
            }
            b'}' | b']' => {
                balance -= 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    code.push_str(line.get(start..i.min(line.len())).unwrap_or("").trim());
    (code, balance)
}

/// The key at the start of `code` and the rest after its separator (`=`, `:`, `+=`, or none
/// before `{`). Quoted segments keep their quotes in the key.
fn split_key(code: &str) -> Option<(String, &str)> {
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'=' | b':' | b'{' => break,
            b'+' if bytes.get(i + 1) == Some(&b'=') => break,
            b'[' | b']' | b'}' | b',' | b'$' => return None,
            _ => i += 1,
        }
    }
    let key = code.get(..i.min(code.len()))?.trim();
    if key.is_empty() {
        return None;
    }
    let rest = code.get(i.min(code.len())..)?;
    let rest = rest
        .strip_prefix("+=")
        .or_else(|| rest.strip_prefix('='))
        .or_else(|| rest.strip_prefix(':'))
        .unwrap_or(rest)
        .trim();
    Some((key.split_whitespace().collect::<Vec<_>>().join(" "), rest))
}

impl Dialect for Hocon {
    type State = HoconState;

    fn read(&self, state: &mut HoconState, line: &str) -> Option<Keyed> {
        let (code, balance) = code_of(line, &mut state.in_triple);
        if code.is_empty() {
            return None;
        }
        let statement = |id: String| {
            Some(Keyed {
                id,
                setting: false,
                value: 0..0,
            })
        };
        if code.starts_with(['}', ']']) {
            let id = state.path(&code[..1]);
            for _ in 0..(-balance).max(1) {
                state.open.pop();
            }
            return statement(id);
        }
        if code.starts_with("include ") || code.starts_with("include(") {
            return statement(state.path(&code));
        }
        if state.in_array() {
            let entry = code.trim_end_matches(',').trim_end();
            let id = state.path(entry);
            for _ in 0..balance.max(0) {
                state.open.push(String::new());
            }
            return statement(id);
        }
        let Some((key, rest)) = split_key(&code) else {
            return statement(state.path(&code));
        };
        let path = state.path(&key);
        if balance > 0 {
            let opener = if rest.starts_with('[') {
                format!("{key}[]")
            } else {
                key.clone()
            };
            // The opening character, which need not be ASCII (`key: ä {`).
            let opening = rest.chars().next().map_or("", |c| &rest[..c.len_utf8()]);
            let id = format!("{path} {opening}");
            state.open.push(opener);
            for _ in 1..balance {
                state.open.push(String::new());
            }
            return statement(id);
        }
        let value = rest.trim_end_matches(',').trim_end();
        // The value as it stands in the line (the code was trimmed of comments only).
        let value = line.find(value).map_or("", |at| &line[at..at + value.len()]);
        Some(Keyed {
            id: path,
            setting: true,
            value: range_in(line, value),
        })
    }

    fn keeps_removed(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax check.

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open(u8),
    Close(u8),
    Comma,
    Newline,
    Separator,
    /// A quoted, triple-quoted or unquoted piece of text, a number, a substitution.
    Text,
    Space,
}

/// The error for a problem at a line.
fn invalid(line: usize, problem: String) -> String {
    crate::english!("invalid HOCON at line {line}: {problem}", line, problem)
}

/// Checks `text` as HOCON; the error names the first problem and its line.
pub fn check_hocon(text: &str) -> Result<(), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let tokens = tokenize(text)?;
    // The parser below recurses once per bracket level: measure first, so deep input is refused
    // or parsed on a large stack instead of overflowing this one.
    let mut nesting: usize = 0;
    let mut deepest: usize = 0;
    for (token, line) in &tokens {
        match token {
            Token::Open(_) => nesting += 1,
            Token::Close(_) => nesting = nesting.saturating_sub(1),
            _ => {}
        }
        deepest = deepest.max(nesting);
        if deepest > depth::MAX_NESTING {
            return Err(invalid(*line, crate::english!("nested too deeply")));
        }
    }
    depth::run_within_stack(deepest, "HOCON parser", || parse_tokens(tokens))?
}

fn parse_tokens(tokens: Vec<(Token, usize)>) -> Result<(), String> {
    let mut parser = Parser { tokens, at: 0 };
    parser.skip_blank();
    let braced = matches!(parser.peek(), Some((Token::Open(b'{'), _)));
    if braced {
        parser.at += 1;
    }
    parser.object_body(if braced { Some(b'}') } else { None }, 0)?;
    parser.skip_blank();
    match parser.peek() {
        None => Ok(()),
        Some((_, line)) => Err(invalid(*line, crate::english!("unexpected content"))),
    }
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, String> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let unquoted_end = |b: u8| b" \t\r\n{}[],=:#\"+$".contains(&b);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                tokens.push((Token::Newline, line));
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => {
                if tokens.last().map(|(t, _)| t) != Some(&Token::Space) {
                    tokens.push((Token::Space, line));
                }
                i += 1;
            }
            b'#' => i = text[i..].find('\n').map_or(bytes.len(), |at| i + at),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |at| i + at)
            }
            b'{' | b'[' => {
                tokens.push((Token::Open(b), line));
                i += 1;
            }
            b'}' | b']' => {
                tokens.push((Token::Close(b), line));
                i += 1;
            }
            b',' => {
                tokens.push((Token::Comma, line));
                i += 1;
            }
            b'=' | b':' => {
                tokens.push((Token::Separator, line));
                i += 1;
            }
            b'+' if bytes.get(i + 1) == Some(&b'=') => {
                tokens.push((Token::Separator, line));
                i += 2;
            }
            b'"' if text[i..].starts_with("\"\"\"") => {
                let end = text[i + 3..]
                    .find("\"\"\"")
                    .ok_or_else(|| invalid(line, crate::english!("unterminated \"\"\" string")))?;
                let mut close = i + 3 + end + 3;
                // A triple-quoted string ends at the last of a run of quotes.
                while bytes.get(close) == Some(&b'"') {
                    close += 1;
                }
                line += text[i..close].matches('\n').count();
                tokens.push((Token::Text, line));
                i = close;
            }
            b'"' => {
                let mut j = i + 1;
                loop {
                    match bytes.get(j) {
                        None | Some(b'\n') => {
                            return Err(invalid(line, crate::english!("unterminated string")));
                        }
                        Some(b'\\') => j += 2,
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                tokens.push((Token::Text, line));
                i = j + 1;
            }
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                let end = text[i..]
                    .find('}')
                    .filter(|&at| !text[i..i + at].contains('\n'))
                    .ok_or_else(|| invalid(line, crate::english!("unterminated substitution")))?;
                tokens.push((Token::Text, line));
                i += end + 1;
            }
            b'+' | b'$' => {
                tokens.push((Token::Text, line));
                i += 1;
            }
            _ => {
                let mut j = i;
                // Byte by byte: `j` may be inside a multi-byte character, where `text[j..]` panics.
                while j < bytes.len() && !unquoted_end(bytes[j]) && !bytes[j..].starts_with(b"//") {
                    j += 1;
                }
                tokens.push((Token::Text, line));
                i = j.max(i + 1);
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&(Token, usize)> {
        self.tokens.get(self.at)
    }

    fn line(&self) -> usize {
        self.tokens
            .get(self.at)
            .or(self.tokens.last())
            .map_or(1, |(_, line)| *line)
    }

    fn error(&self, problem: String) -> String {
        invalid(self.line(), problem)
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some((Token::Space, _))) {
            self.at += 1;
        }
    }

    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some((Token::Space | Token::Newline, _))) {
            self.at += 1;
        }
    }

    /// Members until `close` (or the end for a root without braces).
    fn object_body(&mut self, close: Option<u8>, depth: usize) -> Result<(), String> {
        if depth > depth::MAX_NESTING {
            return Err(self.error(crate::english!("nested too deeply")));
        }
        loop {
            while matches!(
                self.peek(),
                Some((Token::Space | Token::Newline | Token::Comma, _))
            ) {
                self.at += 1;
            }
            match (self.peek().map(|(t, _)| t.clone()), close) {
                (None, None) => return Ok(()),
                (None, Some(_)) => {
                    return Err(self.error(crate::english!("missing {bracket}", bracket = "'}'")));
                }
                (Some(Token::Close(c)), Some(want)) if c == want => {
                    self.at += 1;
                    return Ok(());
                }
                (Some(Token::Close(_)), _) => {
                    return Err(self.error(crate::english!("unexpected closing bracket")));
                }
                (Some(Token::Text), _) => self.member(depth)?,
                _ => return Err(self.error(crate::english!("expected a key"))),
            }
        }
    }

    fn member(&mut self, depth: usize) -> Result<(), String> {
        // The key: text pieces (spaces between them belong to the key).
        let mut pieces = 0;
        while matches!(self.peek(), Some((Token::Text | Token::Space, _))) {
            if matches!(self.peek(), Some((Token::Text, _))) {
                pieces += 1;
            }
            self.at += 1;
        }
        if pieces == 0 {
            return Err(self.error(crate::english!("expected a key")));
        }
        match self.peek().map(|(t, _)| t.clone()) {
            Some(Token::Separator) => {
                self.at += 1;
                self.skip_space();
                self.value(depth)
            }
            Some(Token::Open(b'{')) => {
                self.at += 1;
                self.object_body(Some(b'}'), depth + 1)
            }
            // `include "file"` and friends: a key-like line with nothing after it.
            Some(Token::Newline | Token::Comma) | None if pieces >= 2 => Ok(()),
            _ => Err(self.error(crate::english!(
                "expected {equals}, {colon} or {brace} after the key",
                equals = "'='",
                colon = "':'",
                brace = "'{'"
            ))),
        }
    }

    /// One value: concatenated text pieces, an object or an array, up to the end of the line, a
    /// comma or a closing bracket.
    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > depth::MAX_NESTING {
            return Err(self.error(crate::english!("nested too deeply")));
        }
        let mut any = false;
        loop {
            match self.peek().map(|(t, _)| t.clone()) {
                Some(Token::Text | Token::Space) => {
                    any = true;
                    self.at += 1;
                }
                Some(Token::Open(b'{')) => {
                    any = true;
                    self.at += 1;
                    self.object_body(Some(b'}'), depth + 1)?;
                }
                Some(Token::Open(_)) => {
                    any = true;
                    self.at += 1;
                    self.array(depth + 1)?;
                }
                _ => break,
            }
        }
        if any {
            Ok(())
        } else {
            Err(self.error(crate::english!("missing value")))
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), String> {
        loop {
            while matches!(
                self.peek(),
                Some((Token::Space | Token::Newline | Token::Comma, _))
            ) {
                self.at += 1;
            }
            match self.peek().map(|(t, _)| t.clone()) {
                Some(Token::Close(b']')) => {
                    self.at += 1;
                    return Ok(());
                }
                None => return Err(self.error(crate::english!("missing {bracket}", bracket = "']'"))),
                Some(Token::Close(_) | Token::Separator) => {
                    return Err(self.error(crate::english!("unexpected token in array")));
                }
                _ => self.value(depth)?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JICOFO: &str = "jicofo {\n  // Authentication\n  authentication: {\n    enabled: true\n    type: XMPP\n    login-url: \"tele.praxis.de\"\n  }\n  bridge {\n    brewery-jid = \"JvbBrewery@internal.auth.tele.praxis.de\"\n    selection-strategy = SplitBridgeSelectionStrategy\n  }\n  xmpp.client.client-proxy = focus.tele.praxis.de\n  conference.max-ssrcs-per-user = 20 # default 20\n  codec.video.vp9.enabled = ${?VP9}\n  trusted-domains = [ \"recorder.tele.praxis.de\" ]\n  sip.brewery = [\n    \"a\",\n    \"b\"\n  ]\n  text = \"\"\"multi\nline\"\"\"\n}\ninclude \"custom-jicofo.conf\"\n";

    #[test]
    fn settings_are_named_by_their_full_key_path() {
        let mut state = HoconState::default();
        let ids: Vec<String> = JICOFO
            .lines()
            .filter_map(|l| Hocon.read(&mut state, l).map(|k| k.id))
            .collect();
        assert_eq!(
            ids,
            [
                "jicofo {",
                "jicofo.authentication {",
                "jicofo.authentication.enabled",
                "jicofo.authentication.type",
                "jicofo.authentication.login-url",
                "jicofo.authentication.}",
                "jicofo.bridge {",
                "jicofo.bridge.brewery-jid",
                "jicofo.bridge.selection-strategy",
                "jicofo.bridge.}",
                "jicofo.xmpp.client.client-proxy",
                "jicofo.conference.max-ssrcs-per-user",
                "jicofo.codec.video.vp9.enabled",
                "jicofo.trusted-domains",
                "jicofo.sip.brewery [",
                "jicofo.sip.brewery[].\"a\"",
                "jicofo.sip.brewery[].\"b\"",
                "jicofo.sip.brewery[].]",
                "jicofo.text",
                "jicofo.}",
                "include \"custom-jicofo.conf\"",
            ]
        );
        let mut state = HoconState::default();
        state.open.push("jicofo".into());
        let line = "  conference.max-ssrcs-per-user = 20 # default 20";
        let keyed = Hocon.read(&mut state, line).unwrap();
        assert_eq!(&line[keyed.value], "20");
    }

    #[test]
    fn the_check_accepts_jitsi_files_and_names_the_line_of_a_problem() {
        assert_eq!(check_hocon(JICOFO), Ok(()));
        assert_eq!(check_hocon("{ a = 1, b { c: [1, 2] } }\n"), Ok(()));
        assert_eq!(check_hocon(""), Ok(()));
        for (bad, line) in [
            ("jicofo {\n  a = 1\n", 2),
            ("a = \"open\nb = 2\n", 1),
            ("a {\n  b = \n}\n", 2),
            ("a = [1, 2\n", 1),
            ("a = 1 }\n", 1),
            ("a {\n  = 1\n}\n", 2),
        ] {
            let err = check_hocon(bad).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid HOCON at line {line}")),
                "{bad:?}: {err}"
            );
        }
        let deep = format!("a = {}1{}", "[".repeat(5000), "]".repeat(5000));
        assert!(check_hocon(&deep).unwrap_err().contains("nested too deeply"));
    }

    /// Regression (fuzz target `validate_hocon`, minimised input `d6 8b`): the tokenizer looked
    /// for `//` by slicing the text at every byte of an unquoted value and panicked inside a
    /// multi-byte character; any non-ASCII unquoted value (`password = Geheimnis§`) did.
    #[test]
    fn unquoted_non_ascii_values_are_checked_without_a_panic() {
        assert_eq!(
            check_hocon("jicofo {\n  sip.password = Geheimnis§\n  x = ä//c\n}\n"),
            Ok(())
        );
        assert_eq!(check_hocon("\u{58b}"), check_hocon("a"));
    }

    /// Regression (fuzz target `merge_hocon`, minimised input `ff 64 3a c5 7b ff 0a`): a line that
    /// opens a block after a non-ASCII character was named by slicing its first byte, which
    /// panicked inside the character.
    #[test]
    fn a_block_opened_after_a_non_ascii_character_is_named_without_a_panic() {
        let mut state = HoconState::default();
        let keyed = Hocon.read(&mut state, "d: ä {").unwrap();
        assert_eq!(keyed.id, "d ä");
        // The fuzzer's input, which reaches the same line through the merge: it must not panic.
        let _ = crate::merge::merge(
            crate::merge::Strategy::Hocon,
            b"",
            b"d:\xc5{",
            b"\n",
            &crate::merge::Labels::default(),
        );
    }
}
