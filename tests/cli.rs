//! The command-line contract on sandbox roots without a dpkg database: exit codes, JSON shape,
//! and bad input getting one clear error with nothing written.

mod common;

use common::{CARD, World, one_error_line, stderr, stdout};
use predicates::prelude::*;

#[test]
fn help_teaches_the_commands() {
    let w = World::new();
    w.cmd(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("record").and(predicate::str::contains("--state-dir")));
}

#[test]
fn a_missing_root_is_a_usage_error() {
    let w = World::new();
    std::fs::remove_dir(&w.root).unwrap();
    let out = w.cmd(&["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains(&w.root.display().to_string()));
}

#[test]
fn status_before_init_says_how_to_start() {
    let w = World::new();
    let out = w.cmd(&["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("not initialised"));
    assert!(stderr(&out).contains("hint: run `jitsi-custom init`"));
}

#[test]
fn reinit_is_refused_without_force_and_keeps_the_old_state_with_it() {
    let w = World::card_initialised();
    let before = World::snapshot(&w.state);
    let out = w.cmd(&["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("already initialised"));
    assert_eq!(World::snapshot(&w.state), before, "nothing written");
    w.cmd(&["init", "--force"]).assert().success();
    let backups: Vec<_> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("state.backup-"))
        .collect();
    assert_eq!(backups.len(), 1, "the old state is moved aside, not deleted");
}

#[test]
fn unrecorded_edit_is_attention_then_recorded_as_named_customisation() {
    let w = World::card_initialised();
    w.cmd(&["status"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("clean"));
    w.write(CARD, "<div class=\"card\">\n<p>Praxis Sonnenschein</p>\n</div>\n");
    w.cmd(&["status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unrecorded"));
    w.cmd(&["diff", "--live"])
        .assert()
        .success()
        .stdout(predicate::str::contains("+<p>Praxis Sonnenschein</p>"));
    w.cmd(&["record", "-m", "practice card"]).assert().success();
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"][0]["path"], CARD);
    assert_eq!(json["files"][0]["state"], "customised");
    assert_eq!(json["files"][0]["customisations"][0], "practice card");
    w.cmd(&["diff"])
        .assert()
        .success()
        .stdout(predicate::str::contains("+<p>Praxis Sonnenschein</p>"));
    w.cmd(&["log"])
        .assert()
        .success()
        .stdout(predicate::str::contains("record").and(predicate::str::contains("init")));
}

#[test]
fn missing_file_is_attention() {
    let w = World::card_initialised();
    std::fs::remove_file(w.live(CARD)).unwrap();
    w.cmd(&["status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("missing"));
}

#[test]
fn record_into_amends_an_existing_customisation() {
    let w = World::card_initialised();
    w.write(CARD, "<div class=\"card\">\n<p>A</p>\n</div>\n");
    w.cmd(&["record", "-m", "card"]).assert().success();
    w.write(CARD, "<div class=\"card\">\n<p>B</p>\n</div>\n");
    w.cmd(&["record", "--into", "card"]).assert().success();
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"][0]["customisations"], serde_json::json!(["card"]));
    let out = w.cmd(&["record", "--into", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "nothing to record is not an error");
    w.write(CARD, "<p>C</p>\n");
    let out = w.cmd(&["record", "--into", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the customisations are: card"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_new_file_upstream_does_not_ship_is_tracked_whole() {
    let w = World::card_initialised();
    w.write(
        "/usr/share/jitsi-meet/images/praxis-logo.png",
        b"\x89PNG\r\n\x1a\n\x00\x00logo",
    );
    w.cmd(&["track", "/usr/share/jitsi-meet/images/praxis-logo.png"])
        .assert()
        .success();
    w.cmd(&["status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unrecorded"));
    w.cmd(&["record", "-m", "practice logo"]).assert().success();
    w.cmd(&["diff", "/usr/share/jitsi-meet/images/praxis-logo.png"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Binary files"));
    w.cmd(&[
        "untrack",
        "--drop-customisation",
        "/usr/share/jitsi-meet/images/praxis-logo.png",
    ])
    .assert()
    .success();
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 1);
    assert!(
        w.live("/usr/share/jitsi-meet/images/praxis-logo.png").exists(),
        "untrack leaves the file"
    );
}

#[test]
fn invalid_utf8_in_a_text_file_is_kept_as_bytes_and_shown_as_binary() {
    let w = World::card_initialised();
    w.write(CARD, b"<p>Gr\xfc\xdfe</p>\n");
    w.cmd(&["record", "-m", "latin-1 card"]).assert().success();
    w.cmd(&["diff"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Binary files"));
    w.cmd(&["status"]).assert().code(0);
    assert_eq!(w.read(CARD), b"<p>Gr\xfc\xdfe</p>\n");
}

#[test]
fn a_path_outside_the_root_is_refused_and_nothing_written() {
    let w = World::card_initialised();
    let before = World::snapshot(&w.state);
    for path in ["../etc/shadow", "/../../etc/shadow"] {
        let out = w.cmd(&["track", path]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{path}");
        let line = one_error_line(&out);
        assert!(
            line.contains("outside the root") || line.contains("leaves the root"),
            "{line}"
        );
    }
    assert_eq!(World::snapshot(&w.state), before);
}

#[test]
fn a_symlink_is_refused_with_a_hint() {
    let w = World::card_initialised();
    let outside = w.dir.path().join("outside");
    std::fs::write(&outside, "secret").unwrap();
    std::os::unix::fs::symlink(&outside, w.live("/usr/share/jitsi-meet/static/link.html")).unwrap();
    let before = World::snapshot(&w.state);
    let out = w
        .cmd(&["track", "/usr/share/jitsi-meet/static/link.html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("symbolic link"));
    assert!(stderr(&out).contains("hint:"));
    assert_eq!(World::snapshot(&w.state), before);
}

#[test]
fn a_file_that_cannot_be_read_is_refused() {
    let w = World::card_initialised();
    let fifo = w.live("/usr/share/jitsi-meet/static/pipe");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let before = World::snapshot(&w.state);
    let out = w
        .cmd(&["track", "/usr/share/jitsi-meet/static/pipe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("not a regular file"));
    assert_eq!(World::snapshot(&w.state), before);
}

#[test]
fn a_corrupt_manifest_is_one_clear_error() {
    let w = World::card_initialised();
    std::fs::write(w.state.join("jitsi-custom.toml"), "[[file]\npath = \n").unwrap();
    let out = w.cmd(&["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("jitsi-custom.toml"));
    std::fs::write(
        w.state.join("jitsi-custom.toml"),
        "[[file]]\npath = \"/../../etc/shadow\"\n",
    )
    .unwrap();
    let out = w.cmd(&["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("leaves the root"));
}

#[test]
fn a_locked_state_dir_is_refused_while_another_run_writes() {
    let w = World::card_initialised();
    w.write(CARD, "<p>edit</p>\n");
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(w.state.join("lock"))
        .unwrap();
    lock.lock().unwrap();
    let out = w.cmd(&["record", "-m", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(one_error_line(&out).contains("locked"));
    // Readers do not wait for the writer.
    w.cmd(&["status"]).assert().code(1);
    drop(lock);
    w.cmd(&["record", "-m", "x"]).assert().success();
}

#[test]
fn status_json_has_the_documented_shape() {
    let w = World::card_initialised();
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let obj = json.as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["files", "packages", "parked", "notices", "hook"]
    );
    assert_eq!(json["hook"], serde_json::json!({"apt": false, "timer": false}));
    assert!(json["files"].is_array() && json["packages"].is_array() && json["parked"].is_array());
    assert_eq!(json["notices"], serde_json::json!([]));
    assert!(stderr(&out).is_empty(), "data on stdout, nothing on stderr");
}

#[test]
fn json_into_a_closed_pipe_exits_0() {
    // Regression: `status --json | head` ended in "error: cannot write JSON: Broken pipe" and
    // exit 3, because serde_json hid the io::Error from the error chain main looks at.
    let w = World::card_initialised();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("jitsi-custom"))
        .env("NO_COLOR", "1")
        .arg("--root")
        .arg(&w.root)
        .arg("--state-dir")
        .arg(&w.state)
        .args(["status", "--json"])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn upgrade_refuses_a_sandbox_root_since_it_runs_apt_on_this_machine() {
    let w = World::card_initialised();
    let before = World::snapshot(&w.state);
    let out = w.cmd(&["upgrade"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("runs apt-get on this machine"));
    assert_eq!(World::snapshot(&w.state), before);
}

#[test]
fn a_directory_stands_for_every_file_below_it() {
    let w = World::card_initialised();
    w.write("/usr/share/jitsi-meet/images/praxis/logo.svg", "<svg/>");
    w.write("/usr/share/jitsi-meet/images/praxis/icons/a.png", b"\x89PNGa");
    w.write("/usr/share/jitsi-meet/images/praxis/logo.svg.BKP", "<svg/>");
    w.cmd(&["track", "/usr/share/jitsi-meet/images/praxis"])
        .assert()
        .success();
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/usr/share/jitsi-meet/images/praxis/logo.svg"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/usr/share/jitsi-meet/images/praxis/icons/a.png"),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.ends_with(".BKP")),
        "backup copies are not tracked: {paths:?}"
    );
}

#[test]
fn watch_records_an_edit_once_the_file_settles() {
    let w = World::card_initialised();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jitsi-custom"))
        .env("SOURCE_DATE_EPOCH", "1795910400")
        .arg("--root")
        .arg(&w.root)
        .arg("--state-dir")
        .arg(&w.state)
        .args(["watch", "--settle", "1"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let the watcher start before editing.
    let mut recorded = false;
    for round in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(250));
        if round == 4 {
            w.write(CARD, "<div class=\"card\">\n<p>Praxis am Markt</p>\n</div>\n");
        }
        let out = w.cmd(&["log", "--json"]).output().unwrap();
        if String::from_utf8_lossy(&out.stdout).contains("edits seen by watch") {
            recorded = true;
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(recorded, "watch did not record the edit");
    w.cmd(&["status"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("customised"));
}

#[test]
fn color_follows_the_flag_and_dry_run_writes_nothing() {
    let w = World::card_initialised();
    w.write(CARD, "<div class=\"card\">\n<p>Praxis</p>\n</div>\n");
    let coloured = w.cmd(&["--color", "always", "diff", "--live"]).output().unwrap();
    assert!(
        stdout(&coloured).contains("\x1b[32m+<p>Praxis</p>"),
        "{}",
        stdout(&coloured)
    );
    let plain = w.cmd(&["--color", "never", "diff", "--live"]).output().unwrap();
    assert!(!stdout(&plain).contains('\x1b'), "{}", stdout(&plain));
    // `auto` off a terminal is plain, whatever NO_COLOR says.
    let auto = w
        .cmd(&["diff", "--live"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!stdout(&auto).contains('\x1b'));

    let before = World::snapshot(&w.state);
    let out = w
        .cmd(&["--dry-run", "record", "-m", "practice card"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("would record"), "{}", stderr(&out));
    assert_eq!(World::snapshot(&w.state), before, "a dry run writes nothing");
    w.cmd(&["status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unrecorded"));
}

#[test]
fn remote_add_is_idempotent_and_push_pull_without_a_remote_say_how_to_start() {
    let w = World::card_initialised();
    for verb in ["push", "pull"] {
        let out = w.cmd(&[verb]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{verb}");
        assert!(one_error_line(&out).contains("no remote yet"), "{}", stderr(&out));
        assert!(stderr(&out).contains("hint: `jitsi-custom remote add origin URL`"));
    }
    let add = |url: &str| {
        w.cmd(&["--json", "remote", "add", "origin", url])
            .output()
            .unwrap()
    };
    let first = add("/srv/git/praxis.git");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let json: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(
        (json["change"].as_str(), json["changed"].as_bool()),
        (Some("added"), Some(true))
    );
    let again: serde_json::Value = serde_json::from_slice(&add("/srv/git/praxis.git").stdout).unwrap();
    assert_eq!(
        (again["change"].as_str(), again["changed"].as_bool()),
        (Some("unchanged"), Some(false))
    );
    let other = add("ssh://git@git.example/praxis.git");
    assert_eq!(other.status.code(), Some(2));
    assert!(
        stderr(&other).contains("hint: `jitsi-custom remote add --replace origin"),
        "{}",
        stderr(&other)
    );
    w.cmd(&[
        "remote",
        "add",
        "--replace",
        "origin",
        "git@git.example:praxis.git",
    ])
    .assert()
    .code(0);
    w.cmd(&["remote", "list"])
        .assert()
        .code(0)
        .stdout("origin\tgit@git.example:praxis.git\n");
    let out = w.cmd(&["remote", "add", "a/b", "/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("not a usable remote name"));
    // A remote that cannot be reached: one line naming it, nothing changed.
    w.cmd(&["remote", "add", "--replace", "origin", "/nonexistent/fleet.git"])
        .assert()
        .code(0);
    let out = w.cmd(&["pull"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        one_error_line(&out).contains("remote origin (/nonexistent/fleet.git)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn host_values_are_checked_and_kept_private() {
    let w = World::card_initialised();
    for (name, value) in [
        ("Imprint", "https://x.example"),
        ("imprint", "abc"),
        ("imprint", "a{b}cd"),
    ] {
        let out = w.cmd(&["host-value", "set", name, value]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name} {value}");
        one_error_line(&out);
    }
    w.cmd(&[
        "host-value",
        "set",
        "imprint_url",
        "https://praxis.example/impressum",
    ])
    .assert()
    .code(0);
    w.cmd(&["host-value", "set", "api_secret", "Zz9Yy8Xx7"])
        .assert()
        .code(0);
    let list = w.cmd(&["host-value", "list"]).output().unwrap();
    assert!(
        stdout(&list).contains("imprint_url  https://praxis.example/impressum  (set in host-values.toml)"),
        "{}",
        stdout(&list)
    );
    assert!(
        stdout(&list).contains("api_secret   (secret, 9 characters)"),
        "{}",
        stdout(&list)
    );
    assert!(!stdout(&list).contains("Zz9Yy8Xx7"));
    w.cmd(&["host-value", "unset", "api_secret"]).assert().code(0);
    w.cmd(&["host-value", "unset", "api_secret"]).assert().code(2);
    let file = std::fs::read_to_string(w.state.join("host-values.toml")).unwrap();
    assert!(
        file.contains("never leaves the host") && !file.contains("Zz9Yy8Xx7"),
        "{file}"
    );
}

#[test]
fn upgrade_has_no_dry_run_and_says_what_shows_one() {
    let w = World::card_initialised();
    for args in [
        &["--dry-run", "upgrade"][..],
        &["--dry-run", "upgrade", "--docker"][..],
    ] {
        let before = World::snapshot(&w.state);
        let out = w.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            one_error_line(&out).contains("upgrade has no dry run"),
            "{args:?}"
        );
        assert!(
            stderr(&out).contains("hint: `jitsi-custom rebase --dry-run`"),
            "{args:?}"
        );
        assert_eq!(World::snapshot(&w.state), before, "{args:?}: nothing written");
    }
}
