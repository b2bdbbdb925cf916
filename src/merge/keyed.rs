//! Settling the conflicts of a line merge setting by setting.
//!
//! libgit2 joins every change that touches or neighbours another into one conflict block, so two
//! settings changed on neighbouring lines, a value changed below a comment upstream reworded, or two
//! settings added at the same place all come back as conflicts, although nobody has to choose
//! anything. This module takes such a block apart with a [`Dialect`] that knows which line holds
//! which setting (by its identity: section or block path plus key), merges the settings by identity
//! and puts the block back together in upstream's order. The rules, per setting:
//!
//! - changed on one side only: that side's line (with upstream's indentation when whitespace does
//!   not count);
//! - changed on both sides to different values: the admin's value stays (a person overrode a
//!   default; a new default does not undo that), reported as [`DecisionKind::KeptYours`];
//! - removed by the admin, changed by upstream: stays removed, reported;
//! - changed by the admin, removed by upstream: kept where the format shrugs at an unknown setting
//!   ([`Dialect::keeps_removed`]), reported as [`DecisionKind::KeptRemoved`]; else still a conflict;
//! - added on either side: kept, after the setting it follows on its side.
//!
//! Comment and blank lines travel with the setting below them and are merged as a unit of their
//! own; both sides rewriting the same comment stays a conflict. A settled block is read back with
//! the dialect: when any setting would end up in another section or block than on its side (a
//! setting placed after a new `VirtualHost` line), the block stays a conflict. Everything outside
//! the conflict blocks is the line merge's result, byte for byte.

use std::collections::HashMap;
use std::ops::Range;

use super::text::Whitespace;
use super::{Decision, DecisionKind, Labels};

/// What one line holds, as a dialect reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Keyed {
    /// Identity of the setting or statement, context included (`VirtualHost "x" > authentication`).
    pub id: String,
    /// A setting whose value can change under the same identity. Statements that are keyed by
    /// their own text (`Include "conf.d/*.cfg.lua"`, a block's closing brace) are not.
    pub setting: bool,
    /// The value's bytes within the line, for the review notes.
    pub value: Range<usize>,
}

/// How a file format's lines map to settings.
pub(crate) trait Dialect {
    /// What the reader carries from line to line (open sections, blocks, multi-line values).
    type State: Clone + PartialEq + Default;

    /// Reads one line (without its line break) and updates the state: the setting or statement
    /// the line holds, `None` for comments, blank lines and continuation lines.
    fn read(&self, state: &mut Self::State, line: &str) -> Option<Keyed>;

    /// Whether a setting upstream removed, but the admin had changed, can simply stay: true for
    /// formats whose readers ignore an unknown key.
    fn keeps_removed(&self) -> bool;

    /// Both sides changed the value of one setting: the merged line and what was decided. By
    /// default the admin's line, reported as kept.
    fn merge_both_changed(&self, both: &BothChanged<'_>) -> Option<(Vec<u8>, Vec<Decision>)> {
        Some((both.local.to_vec(), vec![kept_yours(both)]))
    }
}

/// One setting both sides changed differently, with its lines (no line break) and values.
pub(crate) struct BothChanged<'a> {
    pub id: &'a str,
    pub base_value: Option<&'a str>,
    pub local: &'a [u8],
    pub local_value: &'a str,
    pub upstream: &'a [u8],
    pub upstream_value: &'a str,
}

/// A value as a note shows it: as written when quoted, else in quotes; long values shortened.
pub(crate) fn show_value(value: &str) -> String {
    let value = value.trim();
    let short = match value.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    };
    if short.starts_with(['\'', '"', '`']) {
        short
    } else {
        format!("'{short}'")
    }
}

pub(crate) fn kept_yours(both: &BothChanged<'_>) -> Decision {
    let (id, upstream) = (both.id, show_value(both.upstream_value));
    let message = match both.base_value {
        Some(base) => crate::english!(
            "kept your {setting}; upstream changed its default from {old} to {new}",
            setting = id,
            old = show_value(base),
            new = upstream
        ),
        None => crate::english!(
            "kept your {setting}; upstream now sets it too, to {new}",
            setting = id,
            new = upstream
        ),
    };
    Decision {
        moved_to: None,
        kind: DecisionKind::KeptYours,
        setting: Some(id.to_string()),
        message,
    }
}

/// The result of settling a merge's conflict blocks.
pub(crate) struct Settled {
    /// The merge with settled blocks replaced; unsettled ones keep diff3 markers, local first.
    pub content: Vec<u8>,
    pub decisions: Vec<Decision>,
    /// How many blocks still need a person.
    pub unsettled: usize,
}

/// Settles what it can of a diff3-style merge result. `swapped` says that the merge ran with
/// upstream as "ours" (the first marker section), as the whitespace-insensitive merge does to keep
/// upstream's indentation; unsettled blocks are written back with the admin's side first either way.
pub(crate) fn settle<D: Dialect>(
    dialect: &D,
    merged: &[u8],
    ws: Whitespace,
    swapped: bool,
    labels: &Labels,
) -> Settled {
    let lines: Vec<&[u8]> = merged.split_inclusive(|&b| b == b'\n').collect();
    let mut out: Vec<u8> = Vec::with_capacity(merged.len());
    let mut decisions = Vec::new();
    let mut unsettled = 0;
    let mut state = D::State::default();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if !super::markers::opens_block(line) {
            dialect.read(&mut state, &text_of(line));
            out.extend_from_slice(line);
            i += 1;
            continue;
        }
        let Some((block, next)) = super::markers::read_block(&lines, i) else {
            // Not a well-formed block: leave the rest as it is.
            for line in &lines[i..] {
                out.extend_from_slice(line);
            }
            unsettled += 1;
            break;
        };
        let (local, upstream) = if swapped {
            (&block.theirs, &block.ours)
        } else {
            (&block.ours, &block.theirs)
        };
        let at_end = lines[next..]
            .iter()
            .all(|l| l.iter().all(u8::is_ascii_whitespace));
        let sides = Sides {
            base: &block.base,
            local,
            upstream,
        };
        match settle_block(dialect, &state, &sides, ws, at_end) {
            Some((resolved, mut decided)) => {
                for line in &resolved {
                    dialect.read(&mut state, &text_of(line));
                    out.extend_from_slice(line);
                }
                decisions.append(&mut decided);
            }
            None => {
                unsettled += 1;
                for line in local.iter() {
                    dialect.read(&mut state, &text_of(line));
                }
                write_markers(&mut out, &sides, labels);
            }
        }
        i = next;
    }
    Settled {
        content: out,
        decisions,
        unsettled,
    }
}

fn text_of(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    String::from_utf8_lossy(line).into_owned()
}

struct Sides<'s, 'a> {
    base: &'s [&'a [u8]],
    local: &'s [&'a [u8]],
    upstream: &'s [&'a [u8]],
}

fn write_markers(out: &mut Vec<u8>, sides: &Sides<'_, '_>, labels: &Labels) {
    let section = |out: &mut Vec<u8>, marker: String, lines: &[&[u8]]| {
        if out.last().is_some_and(|&b| b != b'\n') {
            out.push(b'\n');
        }
        out.extend_from_slice(marker.as_bytes());
        for line in lines {
            out.extend_from_slice(line);
        }
    };
    section(out, format!("<<<<<<< {}\n", labels.local), sides.local);
    section(out, format!("||||||| {}\n", labels.base), sides.base);
    section(out, "=======\n".to_string(), sides.upstream);
    section(out, format!(">>>>>>> {}\n", labels.upstream), &[]);
}

/// A keyed line with the comment and blank lines above it (`trivia`), or, with `keyed` None, the
/// free lines at the end of a block.
struct Item<'a> {
    keyed: Option<Keyed>,
    trivia: Vec<&'a [u8]>,
    line: &'a [u8],
}

impl Item<'_> {
    fn id(&self) -> Option<&str> {
        self.keyed.as_ref().map(|k| k.id.as_str())
    }

    fn value(&self) -> &str {
        let text = std::str::from_utf8(self.line).unwrap_or("");
        self.keyed
            .as_ref()
            .and_then(|k| text.get(k.value.clone()))
            .unwrap_or("")
    }
}

fn items<'a, D: Dialect>(dialect: &D, state: &mut D::State, lines: &[&'a [u8]]) -> Vec<Item<'a>> {
    let mut out = Vec::new();
    let mut trivia = Vec::new();
    for &line in lines {
        match dialect.read(state, &text_of(line)) {
            Some(keyed) => out.push(Item {
                keyed: Some(keyed),
                trivia: std::mem::take(&mut trivia),
                line,
            }),
            None => trivia.push(line),
        }
    }
    out.push(Item {
        keyed: None,
        trivia,
        line: b"",
    });
    out
}

/// Lines equal as the merge sees them: byte for byte, or word for word where whitespace does not
/// count.
fn same(ws: Whitespace, a: &[u8], b: &[u8]) -> bool {
    let bare = |l: &[u8]| -> Vec<u8> {
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        l.strip_suffix(b"\r").unwrap_or(l).to_vec()
    };
    match ws {
        Whitespace::Exact => bare(a) == bare(b),
        Whitespace::Ignore => a
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .eq(b.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty())),
    }
}

fn same_lines(ws: Whitespace, a: &[&[u8]], b: &[&[u8]]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(ws, x, y))
}

/// `line` with the leading whitespace of `like` (where whitespace does not count), and `like`'s
/// line break.
fn with_layout_of(ws: Whitespace, line: &[u8], like: &[u8]) -> Vec<u8> {
    let lead = |l: &[u8]| l.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let ending = |l: &[u8]| -> &[u8] {
        if l.ends_with(b"\r\n") {
            b"\r\n"
        } else if l.ends_with(b"\n") {
            b"\n"
        } else {
            b""
        }
    };
    let body = &line[..line.len() - ending(line).len()];
    let mut out = Vec::with_capacity(line.len() + 4);
    if ws == Whitespace::Ignore {
        out.extend_from_slice(&like[..lead(like)]);
        out.extend_from_slice(&body[lead(body)..]);
    } else {
        out.extend_from_slice(body);
    }
    out.extend_from_slice(ending(like));
    out
}

/// Picks between three versions of one unit; `None` when both sides changed it differently.
fn pick3<'x, T: ?Sized>(
    eq: impl Fn(&T, &T) -> bool,
    base: Option<&'x T>,
    local: &'x T,
    upstream: &'x T,
) -> Option<&'x T> {
    match base {
        Some(b) if eq(local, b) => Some(upstream),
        Some(b) if eq(upstream, b) => Some(local),
        _ if eq(local, upstream) => Some(upstream),
        _ => None,
    }
}

/// One line of the settled block with the identity it must read back as.
struct Out {
    line: Vec<u8>,
    id: Option<String>,
}

/// Merges one conflict block by setting identity; `None` when a person must decide.
fn settle_block<D: Dialect>(
    dialect: &D,
    state: &D::State,
    sides: &Sides<'_, '_>,
    ws: Whitespace,
    at_end: bool,
) -> Option<(Vec<Vec<u8>>, Vec<Decision>)> {
    let mut local_end = state.clone();
    let mut upstream_end = state.clone();
    let base = items(dialect, &mut state.clone(), sides.base);
    let local = items(dialect, &mut local_end, sides.local);
    let upstream = items(dialect, &mut upstream_end, sides.upstream);
    let index = |items: &[Item<'_>]| -> Option<HashMap<String, usize>> {
        let mut map = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(id) = item.id()
                && map.insert(id.to_string(), i).is_some()
            {
                return None; // the same identity twice: no telling which is which
            }
        }
        Some(map)
    };
    let (b_index, l_index, u_index) = (index(&base)?, index(&local)?, index(&upstream)?);
    if !at_end && (local_end != upstream_end) {
        // The sides leave the block in different sections: the lines after it would move.
        return None;
    }
    let eq_lines = |a: &Vec<&[u8]>, b: &Vec<&[u8]>| same_lines(ws, a, b);
    let mut decisions = Vec::new();
    // Upstream's items in upstream's order, each merged with its counterparts.
    let mut merged: Vec<(Option<String>, Vec<Vec<u8>>)> = Vec::new();
    for u in &upstream {
        let Some(id) = u.id() else { continue };
        let b = b_index.get(id).map(|&i| &base[i]);
        let l = l_index.get(id).map(|&i| &local[i]);
        let Some(l) = l else {
            if let Some(b) = b
                && !same(ws, b.line, u.line)
            {
                decisions.push(Decision {
                    moved_to: None,
                    kind: DecisionKind::KeptYours,
                    setting: Some(id.to_string()),
                    message: crate::english!(
                        "kept your removal of {setting}; upstream changed it from {old} to {new}",
                        setting = id,
                        old = show_value(b.value()),
                        new = show_value(u.value())
                    ),
                });
            }
            if b.is_none() {
                merged.push((Some(id.to_string()), unit_lines(&u.trivia, u.line)));
            }
            continue;
        };
        let trivia = pick3(eq_lines, b.map(|b| &b.trivia), &l.trivia, &u.trivia).or_else(|| {
            // Both added the setting with their own comment above it: one comment is enough.
            match b {
                None if l.trivia.iter().all(|t| t.trim_ascii().is_empty()) => Some(&u.trivia),
                None if u.trivia.iter().all(|t| t.trim_ascii().is_empty()) => Some(&l.trivia),
                _ => None,
            }
        })?;
        let line = match pick3(
            |x: &[u8], y: &[u8]| same(ws, x, y),
            b.map(|b| b.line),
            l.line,
            u.line,
        ) {
            Some(line) if std::ptr::eq(line, l.line) => with_layout_of(ws, l.line, u.line),
            Some(line) => line.to_vec(),
            None => {
                if !u.keyed.as_ref().is_some_and(|k| k.setting) {
                    return None;
                }
                let both = BothChanged {
                    id,
                    base_value: b.map(Item::value),
                    local: l.line,
                    local_value: l.value(),
                    upstream: u.line,
                    upstream_value: u.value(),
                };
                let (line, mut decided) = dialect.merge_both_changed(&both)?;
                decisions.append(&mut decided);
                with_layout_of(ws, &line, u.line)
            }
        };
        let mut lines: Vec<Vec<u8>> = trivia.iter().map(|t| t.to_vec()).collect();
        lines.push(line);
        merged.push((Some(id.to_string()), lines));
    }
    // The admin's items upstream does not have: removed upstream, or added by the admin. Each
    // goes after the item it follows on the admin's side.
    let mut pending: Vec<Placed> = Vec::new();
    for (position, l) in local.iter().enumerate() {
        let Some(id) = l.id() else { continue };
        if u_index.contains_key(id) {
            continue;
        }
        let anchor = local[..position]
            .iter()
            .rev()
            .find_map(Item::id)
            .map(str::to_string);
        let placed = Placed {
            anchor,
            id: id.to_string(),
            lines: unit_lines(&l.trivia, l.line),
        };
        match b_index.get(id).map(|&i| &base[i]) {
            Some(b) if same(ws, b.line, l.line) && eq_lines(&b.trivia, &l.trivia) => {}
            Some(b) => {
                if !(l.keyed.as_ref().is_some_and(|k| k.setting) && dialect.keeps_removed()) {
                    return None;
                }
                decisions.push(Decision {
                    moved_to: None,
                    kind: DecisionKind::KeptRemoved,
                    setting: Some(id.to_string()),
                    message: crate::english!(
                        "upstream removed {setting}; kept your value {value} (it had {old})",
                        setting = id,
                        value = show_value(l.value()),
                        old = show_value(b.value())
                    ),
                });
                pending.push(placed);
            }
            None => pending.push(placed),
        }
    }
    let trailing = pick3(
        eq_lines,
        base.last().map(|b| &b.trivia),
        &local.last()?.trivia,
        &upstream.last()?.trivia,
    )?;
    // Items that follow nothing placed go first, or, when that puts something in the wrong
    // section, last.
    for orphans_first in [true, false] {
        let mut out = merged.clone();
        let mut waiting: Vec<&Placed> = pending.iter().collect();
        while !waiting.is_empty() {
            let before = waiting.len();
            waiting.retain(|item| {
                let at = match &item.anchor {
                    Some(anchor) => out
                        .iter()
                        .position(|(id, _)| id.as_deref() == Some(anchor.as_str()))
                        .map(|p| p + 1),
                    None if orphans_first => Some(0),
                    None => Some(out.len()),
                };
                if let Some(at) = at {
                    out.insert(at, (Some(item.id.clone()), item.lines.clone()));
                }
                at.is_none()
            });
            if waiting.len() == before {
                // Anchored on something that is gone (removed on both sides): at the end.
                for item in waiting.drain(..) {
                    out.push((Some(item.id.clone()), item.lines.clone()));
                }
            }
        }
        let mut lines: Vec<Out> = Vec::new();
        for (id, unit) in out {
            let last = unit.len().saturating_sub(1);
            for (k, line) in unit.into_iter().enumerate() {
                lines.push(Out {
                    line,
                    id: if k == last { id.clone() } else { None },
                });
            }
        }
        lines.extend(trailing.iter().map(|t| Out {
            line: t.to_vec(),
            id: None,
        }));
        if reads_back(
            dialect,
            state,
            &lines,
            if at_end { None } else { Some(&upstream_end) },
        ) {
            let resolved = lines.into_iter().map(|o| o.line).collect();
            return Some((resolved, decisions));
        }
    }
    None
}

/// An item of the admin's to be placed after `anchor`.
struct Placed {
    anchor: Option<String>,
    id: String,
    lines: Vec<Vec<u8>>,
}

fn unit_lines(trivia: &[&[u8]], line: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = trivia.iter().map(|t| t.to_vec()).collect();
    lines.push(line.to_vec());
    lines
}

/// True when every keyed line of the settled block reads back with the identity it had on its side,
/// and the block ends in the state the sides end in.
fn reads_back<D: Dialect>(dialect: &D, state: &D::State, lines: &[Out], end: Option<&D::State>) -> bool {
    let mut state = state.clone();
    for out in lines {
        let read = dialect.read(&mut state, &text_of(&out.line));
        if let Some(expected) = &out.id
            && read.map(|k| k.id).as_deref() != Some(expected.as_str())
        {
            return false;
        }
    }
    end.is_none_or(|end| *end == state)
}
