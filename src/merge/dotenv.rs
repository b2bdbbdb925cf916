//! The `dotenv` strategy: docker-jitsi-meet's `.env` against the `env.example` it was copied from.
//!
//! A `.env` is read as variables: `KEY=value` lines (active), `#KEY=value` lines (an option shipped
//! commented out) and free lines (comments, blank lines). The merge starts from upstream's new
//! `env.example`, so every option it adds or re-documents arrives as upstream ships it (commented
//! out where upstream has it commented out), and then puts back every variable the admin changed,
//! at upstream's line for that variable: the admin's value stays when upstream changes a default;
//! an option upstream renamed (the table in [`crate::profile::docker::ENV_RENAMES`]) takes the
//! admin's value under its new name; an option upstream dropped stays with the admin's value.
//! Comment lines the admin added travel with the variable below them. Each decision taken without a
//! person is a [`Decision`] for the review list; the merge never conflicts.

use std::collections::{BTreeMap, BTreeSet};

use super::{Decision, DecisionKind, Labels, Merged};
use crate::profile::docker::{self as facts};

/// One line of a dotenv file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    /// `KEY=value` (active) or `#KEY=value` (commented out); `raw` is the whole line.
    Var {
        key: String,
        active: bool,
        value: String,
        raw: String,
    },
    Free(String),
}

impl Line {
    fn raw(&self) -> &str {
        match self {
            Line::Var { raw, .. } | Line::Free(raw) => raw,
        }
    }
}

/// A variable's state in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Active(String),
    Commented(String),
    Absent,
}

fn is_key(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_line(raw: &str) -> Line {
    let trimmed = raw.trim_start();
    let (active, body) = match trimmed.strip_prefix('#') {
        Some(rest) => (false, rest.trim_start()),
        None => (true, trimmed),
    };
    let body = body.strip_prefix("export ").unwrap_or(body);
    if let Some((key, value)) = body.split_once('=')
        && is_key(key)
    {
        return Line::Var {
            key: key.to_string(),
            active,
            value: value.trim_end().to_string(),
            raw: raw.to_string(),
        };
    }
    Line::Free(raw.to_string())
}

fn parse(text: &str) -> Vec<Line> {
    text.lines().map(parse_line).collect()
}

/// The state of every variable: the last active line wins (as docker compose reads it), else the
/// first commented-out one.
fn states(lines: &[Line]) -> BTreeMap<String, State> {
    let mut out: BTreeMap<String, State> = BTreeMap::new();
    for line in lines {
        if let Line::Var {
            key, active, value, ..
        } = line
        {
            let entry = out.entry(key.clone()).or_insert(State::Absent);
            match (active, &*entry) {
                (true, _) => *entry = State::Active(value.clone()),
                (false, State::Absent) => *entry = State::Commented(value.clone()),
                _ => {}
            }
        }
    }
    out
}

fn state_of(states: &BTreeMap<String, State>, key: &str) -> State {
    states.get(key).cloned().unwrap_or(State::Absent)
}

/// The line that stands for a variable in a file: its (last) active line, else its first
/// commented-out one.
fn line_of(lines: &[Line], key: &str) -> Option<usize> {
    let matching = |want_active: bool| {
        lines.iter().enumerate().filter(
            move |(_, l)| matches!(l, Line::Var { key: k, active, .. } if k == key && *active == want_active),
        )
    };
    matching(true)
        .next_back()
        .or_else(|| matching(false).next())
        .map(|(i, _)| i)
}

/// Whether `text` is a dotenv file this strategy reads: UTF-8 without NUL bytes.
fn readable(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|t| !t.contains('\0'))
}

/// The admin's line for a variable, under another name when upstream renamed it.
fn renamed_line(raw: &str, from: &str, to: &str) -> String {
    match raw.find(from) {
        Some(at) => format!("{}{to}{}", &raw[..at], &raw[at + from.len()..]),
        None => raw.to_string(),
    }
}

/// Three-way merge of a `.env` (see the module documentation).
pub fn merge_dotenv(base: &[u8], local: &[u8], upstream: &[u8], labels: &Labels) -> Merged {
    if let Some(merged) = super::one_side_unchanged(base, local, upstream) {
        return merged;
    }
    let (Some(base_text), Some(local_text), Some(upstream_text)) =
        (readable(base), readable(local), readable(upstream))
    else {
        let mut merged = super::merge_text(base, local, upstream, labels, super::Whitespace::Exact);
        merged
            .notes
            .push(crate::english!("fell back to text: a side is not UTF-8 text"));
        return merged;
    };
    let (base_lines, local_lines, mut out) = (parse(base_text), parse(local_text), parse(upstream_text));
    let (base_states, local_states, upstream_states) =
        (states(&base_lines), states(&local_lines), states(&out));
    let mut decisions = Vec::new();

    // Free lines the admin added: they travel with the variable below them (or stay at the end).
    let mut base_free: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &base_lines {
        if let Line::Free(raw) = line {
            *base_free.entry(raw.as_str()).or_default() += 1;
        }
    }
    let mut added_free: Vec<(usize, String)> = Vec::new(); // (index of the local line, text)
    for (i, line) in local_lines.iter().enumerate() {
        if let Line::Free(raw) = line {
            match base_free.get_mut(raw.as_str()) {
                Some(n) if *n > 0 => *n -= 1,
                _ if raw.trim().is_empty() => {}
                _ => added_free.push((i, raw.clone())),
            }
        }
    }

    // The variables the admin changed, in the order of the admin's file.
    let mut changed: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for line in local_lines.iter().chain(&base_lines) {
        if let Line::Var { key, .. } = line
            && seen.insert(key.clone())
            && state_of(&base_states, key) != state_of(&local_states, key)
        {
            changed.push(key.clone());
        }
    }

    let mut placed: BTreeMap<String, usize> = BTreeMap::new(); // key → index in `out` of its line
    for key in &changed {
        let (was, now) = (state_of(&base_states, key), state_of(&local_states, key));
        // A renamed option: the admin's value goes to the new name when upstream has it and no
        // longer has the old one.
        let rename = facts::env_rename(key).filter(|r| {
            state_of(&upstream_states, r.to) != State::Absent
                && state_of(&upstream_states, key) == State::Absent
                && !changed.iter().any(|k| k == r.to)
        });
        let target = rename.map(|r| r.to).unwrap_or(key.as_str());
        let up = state_of(&upstream_states, target);
        let local_raw = line_of(&local_lines, key).map(|i| local_lines[i].raw().to_string());
        let new_raw = local_raw.map(|raw| match rename {
            Some(r) => renamed_line(&raw, r.from, r.to),
            None => raw,
        });
        if let Some(r) = rename {
            decisions.push(Decision::new(
                DecisionKind::Moved,
                Some(key.clone()),
                crate::english!(
                    "upstream renamed {from} to {to} ({source}); your setting is carried over under the new name",
                    from = r.from,
                    to = r.to,
                    source = r.source
                ),
            ));
        } else if up == now {
            continue;
        } else if up != was && up != State::Absent {
            decisions.push(Decision::new(
                DecisionKind::KeptYours,
                Some(key.clone()),
                crate::english!(
                    "kept your {setting}; upstream's env.example changed it from {old} to {new}",
                    setting = key,
                    old = describe(&was),
                    new = describe(&up)
                ),
            ));
        } else if up == State::Absent && was != State::Absent && now != State::Absent {
            let message = match facts::env_removed(key) {
                Some(r) => crate::english!(
                    "upstream's env.example no longer has {setting} ({source}: {note}); your setting stays",
                    setting = key,
                    source = r.source,
                    note = (r.note)()
                ),
                None => crate::english!(
                    "upstream's env.example no longer has {setting}; your setting stays",
                    setting = key
                ),
            };
            decisions.push(Decision::new(
                DecisionKind::KeptRemoved,
                Some(key.clone()),
                message,
            ));
        }
        let at = line_of(&out, target);
        match (now, at, new_raw) {
            (State::Absent, _, _) => {
                // The admin deleted the variable: so is upstream's line for it.
                out.retain(|l| !matches!(l, Line::Var { key: k, .. } if k == target));
            }
            (State::Commented(_), Some(i), Some(raw)) => {
                // Only an active line is commented out; an option upstream ships commented out
                // stays as upstream documents it.
                if matches!(&out[i], Line::Var { active: true, .. }) {
                    out[i] = parse_line(&raw);
                }
                placed.insert(key.clone(), i);
            }
            (State::Active(_), Some(i), Some(raw)) => {
                out[i] = parse_line(&raw);
                placed.insert(key.clone(), i);
            }
            (_, None, Some(raw)) => {
                // Upstream has no such line: after the admin's previous variable where that is
                // placed, else at the end.
                let anchor = local_lines
                    .iter()
                    .take(line_of(&local_lines, key).unwrap_or(0))
                    .rev()
                    .find_map(|l| match l {
                        Line::Var { key: k, .. } => line_of(&out, k),
                        Line::Free(_) => None,
                    });
                let i = anchor.map(|a| a + 1).unwrap_or(out.len());
                out.insert(i, parse_line(&raw));
                for index in placed.values_mut().filter(|v| **v >= i) {
                    *index += 1;
                }
                placed.insert(key.clone(), i);
            }
            (_, _, None) => {}
        }
    }

    // The admin's own comment lines, each above the variable that follows it in the admin's file.
    let present: BTreeSet<String> = out.iter().map(|l| l.raw().to_string()).collect();
    let mut trailing = Vec::new();
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for (i, text) in added_free {
        if present.contains(&text) {
            continue;
        }
        let below = local_lines[i..].iter().find_map(|l| match l {
            Line::Var { key, .. } => Some(key.clone()),
            Line::Free(_) => None,
        });
        match below.and_then(|k| line_of(&out, &k)) {
            Some(at) => inserts.push((at, text)),
            None => trailing.push(text),
        }
    }
    // Inserted from the bottom so the indices hold; lines for one place keep their order.
    inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut grouped: Vec<(usize, Vec<String>)> = Vec::new();
    for (at, text) in inserts {
        match grouped.last_mut() {
            Some((last, texts)) if *last == at => texts.insert(0, text),
            _ => grouped.push((at, vec![text])),
        }
    }
    for (at, texts) in grouped {
        for (offset, text) in texts.into_iter().enumerate() {
            out.insert(at + offset, Line::Free(text));
        }
    }
    out.extend(trailing.into_iter().map(Line::Free));

    let mut text: String = out.iter().map(|l| format!("{}\n", l.raw())).collect();
    if !upstream_text.ends_with('\n') && !upstream_text.is_empty() {
        text.pop();
    }
    Merged {
        content: text.into_bytes(),
        decisions,
        ..Merged::default()
    }
}

fn describe(state: &State) -> String {
    match state {
        State::Active(v) => format!("{v:?}"),
        State::Commented(v) => crate::english!("{value} (commented out)", value = format!("{v:?}")),
        State::Absent => crate::english!("nothing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(base: &str, local: &str, upstream: &str) -> (String, Vec<Decision>) {
        let merged = merge_dotenv(
            base.as_bytes(),
            local.as_bytes(),
            upstream.as_bytes(),
            &Labels::default(),
        );
        assert!(merged.is_clean());
        (String::from_utf8(merged.content).unwrap(), merged.decisions)
    }

    const BASE: &str = "\
# Exposed HTTP port
HTTP_PORT=8000

# Exposed HTTPS port
HTTPS_PORT=8443

# IP address of the Docker host
#DOCKER_HOST_ADDRESS=192.168.1.1

# Enable authentication
#ENABLE_AUTH=1

#BRIDGE_CHANNEL=websocket
";

    const LOCAL: &str = "\
# Exposed HTTP port
HTTP_PORT=80

# Exposed HTTPS port
HTTPS_PORT=443

# IP address of the Docker host
DOCKER_HOST_ADDRESS=203.0.113.7

# Enable authentication
# Praxis: only staff start meetings
ENABLE_AUTH=1
AUTH_TYPE=internal

BRIDGE_CHANNEL=websocket
";

    const UPSTREAM: &str = "\
# Exposed HTTP port (default 8000)
HTTP_PORT=8000

# Exposed HTTPS port
HTTPS_PORT=8443

# IP addresses of the Docker host, comma separated
#JVB_ADVERTISE_IPS=192.168.1.1,1.2.3.4

# Enable authentication
#ENABLE_AUTH=1

# Enable the welcome page
#ENABLE_WELCOME_PAGE=1
";

    #[test]
    fn the_admins_values_stay_and_upstreams_new_options_arrive_commented() {
        let (text, decisions) = merge(BASE, LOCAL, UPSTREAM);
        let expected = "\
# Exposed HTTP port (default 8000)
HTTP_PORT=80

# Exposed HTTPS port
HTTPS_PORT=443

# IP addresses of the Docker host, comma separated
JVB_ADVERTISE_IPS=203.0.113.7

# Enable authentication
# Praxis: only staff start meetings
ENABLE_AUTH=1
AUTH_TYPE=internal
BRIDGE_CHANNEL=websocket

# Enable the welcome page
#ENABLE_WELCOME_PAGE=1
";
        assert_eq!(text, expected);
        let kinds: Vec<(DecisionKind, &str)> = decisions
            .iter()
            .map(|d| (d.kind, d.setting.as_deref().unwrap()))
            .collect();
        assert_eq!(
            kinds,
            [
                (DecisionKind::Moved, "DOCKER_HOST_ADDRESS"),
                (DecisionKind::KeptRemoved, "BRIDGE_CHANNEL")
            ]
        );
        assert!(
            decisions[0].message.contains("c53de728"),
            "{}",
            decisions[0].message
        );
    }

    #[test]
    fn both_changed_keeps_yours_and_says_so() {
        let (text, decisions) = merge("A=1\nB=1\n", "A=5\nB=1\n", "A=2\nB=2\n");
        assert_eq!(text, "A=5\nB=2\n");
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].kind, DecisionKind::KeptYours);
    }

    #[test]
    fn commenting_out_and_deleting_are_carried() {
        let (text, _) = merge("A=1\nB=1\nC=1\n", "#A=1\nC=1\n", "A=1\nB=1\nC=1\nD=1\n");
        assert_eq!(text, "#A=1\nC=1\nD=1\n");
    }

    #[test]
    fn a_side_that_changed_nothing_changes_nothing() {
        let (text, _) = merge(BASE, BASE, UPSTREAM);
        assert_eq!(text, UPSTREAM);
        let (text, _) = merge(BASE, LOCAL, BASE);
        assert_eq!(text, LOCAL);
    }
}
