//! The conflict prompt through a real pseudo-terminal, answered with arrow keys and Enter as a
//! person types: keep, take upstream, edit (accepted, and refused while markers are left), show
//! the diff, merge tool, park, abort; `resolve` on a parked conflict; a recorded resolution reused
//! after a rollback.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::*;
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;

const DOWN: &str = "\x1b[B";

/// The choices in the order the prompt lists them (the first is pre-selected).
#[derive(Clone, Copy)]
enum Choice {
    ByConflict = 0,
    Keep = 1,
    TakeUpstream = 2,
    Edit = 3,
    ShowDiff = 4,
    MergeTool = 5,
    Park = 6,
    Abort = 7,
}

/// The bundled world rebased onto 1.0.2 and upgraded to jitsi-meet-web 1.0.3 (whose welcome
/// card conflicts with the customisation), with the card as the customisation left it at 1.0.2.
fn conflict_world() -> (World, Vec<u8>) {
    let w = World::jitsi_customised();
    w.install("1.0.2-1");
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(0);
    let card = w.read(CARD);
    w.install("1.0.3-1");
    (w, card)
}

/// Starts `jitsi-custom ARGS…` on a pseudo-terminal.
fn spawn(w: &World, args: &[&str], env: &[(&str, &str)]) -> PtySession {
    w.pty(args, env)
}

/// Waits for the question, moves down to `choice` and presses Enter.
fn choose(session: &mut PtySession, choice: Choice) {
    session.exp_string("What should happen?").expect("the prompt");
    for _ in 0..choice as usize {
        session.send(DOWN).unwrap();
        session.flush().unwrap();
    }
    session.send("\r").unwrap();
    session.flush().unwrap();
}

/// Reads to the end; returns the output and the exit code.
fn finish(mut session: PtySession) -> (String, i32) {
    let output = session.exp_eof().expect("the command ends");
    match session.process_mut().wait().unwrap() {
        WaitStatus::Exited(_, code) => (output, code),
        other => panic!("ended with {other:?}: {output}"),
    }
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs `rebase` on a pty with a merge tool script (called as `tool base local upstream output`)
/// and picks "run a merge tool" at the prompt; returns the output and exit code.
fn rebase_with_merge_tool(w: &World, body: &str) -> (String, i32) {
    let tool = script(w.dir.path(), "mergetool", body);
    let command = format!("{} {{base}} {{local}} {{upstream}} {{output}}", tool.display());
    let mut s = spawn(
        w,
        &["rebase", "--no-restart"],
        &[("JITSI_CUSTOM_MERGETOOL", &command)],
    );
    choose(&mut s, Choice::MergeTool);
    finish(s)
}

fn status(w: &World) -> serde_json::Value {
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
}

fn parked(w: &World) -> serde_json::Value {
    status(w)["parked"].clone()
}

fn has_markers(text: &[u8]) -> bool {
    let text = String::from_utf8_lossy(text);
    text.contains("<<<<<<<") || text.contains(">>>>>>>")
}

/// The live files, the branches and parked.toml: everything an abort must leave alone.
fn observable_state(w: &World) -> (Vec<LiveFile>, String, String) {
    let refs = std::process::Command::new("git")
        .arg(format!("--git-dir={}", w.state.join("repo").display()))
        .args(["for-each-ref", "--format=%(refname) %(objectname)"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(refs.status.success(), "{}", stderr(&refs));
    let refs = stdout(&refs);
    assert!(refs.lines().count() >= 2, "{refs}");
    let parked = std::fs::read_to_string(w.state.join("parked.toml")).unwrap_or_default();
    (w.tracked_files(), refs, parked)
}

fn upstream_card() -> Vec<u8> {
    shipped("jitsi-meet-web", "1.0.3-1", CARD)
}

#[test]
fn keep_local_keeps_the_customised_card() {
    let (w, card_102) = conflict_world();
    let mut s = spawn(&w, &["rebase", "--no-restart"], &[]);
    s.exp_string(&format!("conflict: customisation \"guide\" in {CARD}"))
        .unwrap();
    choose(&mut s, Choice::Keep);
    let (out, code) = finish(s);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{CARD}  \"guide\": resolved")), "{out}");
    let card = w.read(CARD);
    assert_eq!(card, card_102, "upstream's 1.0.3 card changes should be dropped");
    assert!(String::from_utf8_lossy(&card).contains("Logopädische Praxis Sommer"));
    assert!(!has_markers(&card));
    assert_eq!(parked(&w), serde_json::json!([]));
    // Dropping upstream's changes was a person's choice, and status says it was made.
    let json = status(&w);
    assert!(
        json["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["path"] == CARD && n["kind"] == "upstream-dropped"),
        "{json}"
    );
    // The other customisations went live in the same run.
    assert!(
        w.read_string(INTERFACE)
            .contains("APP_NAME: 'Praxis Videosprechstunde',")
    );
}

/// The same question in German: the locale changes the words, not the choices' order or what
/// they do.
#[test]
fn the_conflict_prompt_asks_in_german() {
    let (w, card_102) = conflict_world();
    let mut s = spawn(&w, &["rebase", "--no-restart"], &[("LANG", "de_DE.UTF-8")]);
    // One expectation up to the menu's last choice: rexpect counts the bytes of non-ASCII output
    // as characters, so a second one would start in the wrong place.
    let menu = s.exp_string("abbrechen (nichts").expect("the German menu");
    assert!(
        menu.contains(&format!("Konflikt: Anpassung \"guide\" in {CARD}")),
        "{menu}"
    );
    assert!(menu.contains("Was soll geschehen?"), "{menu}");
    assert!(
        menu.contains("die angepasste Datei so behalten, wie sie war"),
        "{menu}"
    );
    s.send(DOWN).unwrap();
    s.send("\r").unwrap();
    s.flush().unwrap();
    let (out, code) = finish(s);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("resolved"), "{out}");
    assert_eq!(w.read(CARD), card_102, "keep took the customised card");
}

#[test]
fn take_upstream_takes_the_new_card() {
    let (w, _) = conflict_world();
    let mut s = spawn(&w, &["rebase", "--no-restart"], &[]);
    choose(&mut s, Choice::TakeUpstream);
    let (out, code) = finish(s);
    assert_eq!(code, 0, "{out}");
    assert_eq!(w.read(CARD), upstream_card());
    assert_eq!(parked(&w), serde_json::json!([]));
}

#[test]
fn an_edit_without_markers_is_accepted_as_it_was_saved() {
    let (w, _) = conflict_world();
    let resolved = String::from_utf8(upstream_card()).unwrap().replace(
        "<h2>Jitsi Meet</h2>",
        "<h2>Praxis Sommer – Videosprechstunde</h2>",
    );
    assert!(resolved.ends_with("</div>\n"));
    let wanted = w.dir.path().join("resolved.html");
    std::fs::write(&wanted, &resolved).unwrap();
    let seen = w.dir.path().join("editor-saw");
    let editor = script(
        w.dir.path(),
        "editor",
        &format!(
            "echo \"$1\" > '{}'\ncat '{}' > \"$1\"",
            seen.display(),
            wanted.display()
        ),
    );
    let mut s = spawn(
        &w,
        &["rebase", "--no-restart"],
        &[("EDITOR", editor.to_str().unwrap())],
    );
    choose(&mut s, Choice::Edit);
    let (out, code) = finish(s);
    assert_eq!(code, 0, "{out}");
    // Byte for byte what the editor saved, final newline included.
    assert_eq!(w.read_string(CARD), resolved);
    assert!(
        std::fs::read_to_string(&seen)
            .unwrap()
            .trim_end()
            .ends_with(".html"),
        "the editor got no .html file"
    );
}

#[test]
fn an_edit_that_leaves_markers_is_refused_and_abort_changes_nothing() {
    let (w, _) = conflict_world();
    let before = observable_state(&w);
    let log_before = stdout(&w.cmd(&["log"]).output().unwrap());
    // Saves the merged file with its markers still in it.
    let editor = script(w.dir.path(), "editor", "echo '<!-- looked at it -->' >> \"$1\"");
    let mut s = spawn(
        &w,
        &["rebase", "--no-restart"],
        &[("VISUAL", editor.to_str().unwrap())],
    );
    choose(&mut s, Choice::Edit);
    s.exp_string("conflict markers are still in the file; not accepted")
        .unwrap();
    choose(&mut s, Choice::Abort);
    let (out, code) = finish(s);
    assert_ne!(code, 0, "{out}");
    assert_ne!(code, 1, "an abort is not a parked conflict: {out}");
    assert_eq!(observable_state(&w), before, "the abort changed something");
    assert_eq!(stdout(&w.cmd(&["log"]).output().unwrap()), log_before);
    // dpkg's card is still live, unmerged.
    assert_eq!(w.read(CARD), upstream_card());
}

#[test]
fn show_diff_prints_both_sides_and_asks_again() {
    let (w, _) = conflict_world();
    let mut s = spawn(&w, &["rebase", "--no-restart"], &[]);
    choose(&mut s, Choice::ShowDiff);
    s.exp_string("# the customisation (guide):").unwrap();
    // rexpect reads the pty byte by byte: ASCII needles only.
    s.exp_string("Praxis Sommer").unwrap();
    s.exp_string("+        <a href=\"https://www.praxis-sommer.de/impressum/\"")
        .unwrap();
    s.exp_string("# upstream's change:").unwrap();
    s.exp_string("-        <h2>Welcome to Jitsi Meet</h2>").unwrap();
    s.exp_string("+        <h2>Jitsi Meet</h2>").unwrap();
    choose(&mut s, Choice::Park);
    let (out, code) = finish(s);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("PARKED"), "{out}");
}

#[test]
fn a_merge_tool_result_goes_live() {
    let (w, _) = conflict_world();
    let (out, code) = rebase_with_merge_tool(
        &w,
        // base local upstream output: upstream's card with the practice heading.
        "test -f \"$1\" && test -f \"$2\" || exit 9\nsed 's|<h2>Jitsi Meet</h2>|<h2>Praxis per Merge-Tool</h2>|' \"$3\" > \"$4\"",
    );
    assert_eq!(code, 0, "{out}");
    let expected = String::from_utf8(upstream_card())
        .unwrap()
        .replace("<h2>Jitsi Meet</h2>", "<h2>Praxis per Merge-Tool</h2>");
    assert_eq!(w.read_string(CARD), expected);
}

#[test]
fn park_leaves_the_card_for_later_and_resolve_settles_it() {
    let (w, card_102) = conflict_world();
    let mut s = spawn(&w, &["rebase", "--no-restart"], &[]);
    choose(&mut s, Choice::Park);
    let (out, code) = finish(s);
    assert_eq!(code, 1, "{out}");
    let list = parked(&w);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["path"], CARD);
    assert_eq!(list[0]["fallback"], "yours");
    // Parked, yet never weaker: the practice's heading and links stay live, with 1.0.3's
    // reworded comment around them.
    let card = w.read_string(CARD);
    assert!(card.contains("Logopädische Praxis Sommer"), "{card}");
    assert!(card.contains("displayed when"), "{card}");
    assert!(!has_markers(card.as_bytes()));
    assert!(
        w.read_string(INTERFACE)
            .contains("APP_NAME: 'Praxis Videosprechstunde',")
    );

    let mut s = spawn(&w, &["resolve", "--no-restart"], &[]);
    s.exp_string(&format!("conflict: customisation \"guide\" in {CARD}"))
        .unwrap();
    choose(&mut s, Choice::Keep);
    // Keeping the whole customised file is a choice that drops upstream's changes: it stays on
    // the review list, and resolve asks about it next.
    s.exp_string("Noted?").unwrap();
    s.send("\r").unwrap();
    s.flush().unwrap();
    let (out, code) = finish(s);
    assert_eq!(code, 0, "{out}");
    assert_eq!(w.read(CARD), card_102);
    assert_eq!(parked(&w), serde_json::json!([]));
    w.cmd(&["status"]).assert().code(0);
}

#[test]
fn resolve_defaults_keep_yours_where_both_changed_and_upstream_everywhere_else() {
    let (w, _) = conflict_world();
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(1);
    let mut s = spawn(&w, &["resolve", "--no-restart"], &[]);
    // Enter on every question: the pre-selected answers.
    choose(&mut s, Choice::ByConflict);
    s.exp_string("conflict 1/1").unwrap();
    s.exp_string("Videosprechstunde").unwrap();
    s.send("\r").unwrap();
    s.flush().unwrap();
    let (out, code) = finish(s);
    assert_eq!(code, 0, "{out}");
    let card = w.read_string(CARD);
    assert!(
        card.contains("<h2>Logopädische Praxis Sommer – Videosprechstunde</h2>"),
        "{card}"
    );
    assert!(card.contains("datenschutz/#videosprechstunde"), "{card}");
    // Upstream's change that does not collide with the practice's (the reworded comment) is live.
    assert!(card.contains("displayed when"), "{card}");
    assert!(!card.contains("<h2>Jitsi Meet</h2>"), "{card}");
    assert_eq!(parked(&w), serde_json::json!([]));
    let json = status(&w);
    assert_eq!(json["notices"], serde_json::json!([]), "{json}");
    w.cmd(&["status"]).assert().code(0);
}

#[test]
fn a_recorded_resolution_is_reused_after_a_rollback() {
    let (w, _) = conflict_world();
    let (out, code) = rebase_with_merge_tool(
        &w,
        "sed 's|<h2>Jitsi Meet</h2>|<h2>Einmal entschieden</h2>|' \"$3\" > \"$4\"",
    );
    assert_eq!(code, 0, "{out}");
    let resolved = w.read(CARD);
    assert!(String::from_utf8_lossy(&resolved).contains("Einmal entschieden"));

    w.cmd(&["rollback"]).assert().code(0);
    assert_ne!(w.read(CARD), resolved, "rollback left the resolution live");
    let out = w
        .cmd(&["--non-interactive", "rebase", "--no-restart"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("{CARD}  \"guide\": resolved as recorded last time")),
        "{text}"
    );
    assert_eq!(w.read(CARD), resolved);
}
