//! `rebase` end to end on the bundled Jitsi-like world, with the real dpkg installing the
//! upgrades: customisations carried onto 1.0.2, a parked conflict at 1.0.3 that does not hold the
//! other files back, recorded resolutions, validation, rollback, restarts, a killed run repaired,
//! and `merge-file` on its own and as a git merge driver.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;
use predicates::prelude::*;

/// A stand-in for systemctl that appends its arguments to `log`, one call a line.
fn stub_systemctl(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let log = dir.join("systemctl.log");
    let script = dir.join("systemctl");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

fn log_lines(log: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn status_json(w: &World) -> (Option<i32>, serde_json::Value) {
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap())
}

fn file_state(json: &serde_json::Value, path: &str) -> String {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {json}"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every guide customisation is in the live files (concrete strings from `examples/customisations`).
fn assert_customisations_live(w: &World) {
    let checks: &[(&str, &str)] = &[
        (INTERFACE, "APP_NAME: 'Praxis Videosprechstunde',"),
        (INTERFACE, "SHOW_JITSI_WATERMARK: false,"),
        (MAIN_DE, "\"headerTitle\": \"Praxis Videosprechstunde\""),
        (MAIN_DE, "\"startMeeting\": \"Videotermin starten\""),
        (LOGGING, "\n.level=WARNING\n"),
        (NGINX_SITE, "ssl_protocols TLSv1.2 TLSv1.3;"),
        (MEET_CONFIG, "defaultLanguage: 'de',"),
        (PROSODY, "authentication = \"internal_hashed\""),
        (PROSODY, "VirtualHost \"guest.tele.praxis.de\""),
        (SIP, "\norg.jitsi.jicofo.auth.URL=XMPP:tele.praxis.de\n"),
    ];
    for (path, needle) in checks {
        let text = w.read_string(path);
        assert!(text.contains(needle), "{path} lost {needle:?}:\n{text}");
    }
    let css = w.read_string(ALL_CSS);
    assert!(
        css.contains(".chatconversation{display:flex;") && css.contains("font-size:13pt"),
        "chat font size lost"
    );
    assert!(
        !css.contains("font-size:10pt;line-height:1.4"),
        "old chat font size live"
    );
    assert_eq!(css.lines().count(), 1, "all.css is no longer one line");
    assert_eq!(
        w.read("/usr/share/jitsi-meet/images/favicon.ico"),
        customised("/usr/share/jitsi-meet/images/favicon.ico")
    );
}

/// Upstream's 1.0.2 changes are live beside the customisations.
fn assert_upstream_1_0_2_live(w: &World) {
    let checks: &[(&str, &str)] = &[
        (INTERFACE, "FILM_STRIP_MAX_HEIGHT: 150,"),
        (INTERFACE, "HIDE_DEEP_LINKING_LOGO"),
        (MAIN_DE, "\"breakoutRooms\": {"),
        (MAIN_DE, "\"recentMeetings\""),
        (ALL_CSS, ".reactions-animations-container{"),
        (LOGGING, "BandwidthEstimator.level=WARNING"),
        (NGINX_SITE, "X-Content-Type-Options"),
        (MEET_CONFIG, "enableCodecSelectionAPI: true,"),
        (PROSODY, "smacks_max_unacked_stanzas = 5;"),
    ];
    for (path, needle) in checks {
        let text = w.read_string(path);
        assert!(text.contains(needle), "{path} misses upstream's {needle:?}");
    }
    assert_eq!(
        w.read_string(PROSODY).matches("\"room_metadata\"").count(),
        1,
        "room_metadata not exactly once"
    );
    serde_json::from_slice::<serde_json::Value>(&w.read(MAIN_DE)).expect("main-de.json parses");
}

/// The bundled world customised at 1.0.1 and upgraded to 1.0.2 with dpkg, before any rebase.
fn upgraded_to_1_0_2() -> World {
    let w = World::jitsi_customised();
    w.install("1.0.2-1");
    w
}

#[test]
fn upgrade_to_1_0_2_carries_every_customisation_and_restarts_what_changed() {
    let w = upgraded_to_1_0_2();
    // dpkg overwrote the /usr/share files and kept the changed conffile beside a .dpkg-dist.
    assert!(w.read_string(INTERFACE).contains("APP_NAME: 'Jitsi Meet',"));
    assert!(w.live(&format!("{LOGGING}.dpkg-dist")).is_file());
    let (code, json) = status_json(&w);
    assert_eq!(code, Some(1));
    assert_eq!(file_state(&json, INTERFACE), "overwritten");
    assert_eq!(file_state(&json, CARD), "overwritten");
    assert_eq!(file_state(&json, LOGGING), "upstream-changed");
    assert_eq!(file_state(&json, MEET_CONFIG), "upstream-changed");

    let (systemctl, log) = stub_systemctl(w.dir.path());
    let out = w
        .cmd(&["--non-interactive", "rebase"])
        .env("JITSI_CUSTOM_SYSTEMCTL", &systemctl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("PARKED"), "{}", stdout(&out));

    assert_customisations_live(&w);
    assert_upstream_1_0_2_live(&w);
    let card = w.read_string(CARD);
    assert!(card.contains("Logopädische Praxis Sommer"), "{card}");
    assert!(
        card.contains("hidden on narrow screens."),
        "upstream's comment lost:\n{card}"
    );
    assert!(
        !w.live(&format!("{LOGGING}.dpkg-dist")).exists(),
        ".dpkg-dist not tidied away"
    );

    // Exactly the services whose files were written, each once: jicofo's file did not change,
    // /usr/share files need no restart.
    assert_eq!(
        log_lines(&log),
        ["reload nginx", "restart jitsi-videobridge2", "restart prosody"]
    );

    let (code, json) = status_json(&w);
    assert_eq!(code, Some(0), "{json}");
    for file in json["files"].as_array().unwrap() {
        assert_eq!(file["state"], "customised", "{file}");
    }
    for package in json["packages"].as_array().unwrap() {
        assert_eq!(package["recorded"], "1.0.2-1", "{package}");
    }
    assert_eq!(json["parked"], serde_json::json!([]));
    let brief = w.cmd(&["status", "--brief"]).output().unwrap();
    assert_eq!(brief.status.code(), Some(0));
    assert_eq!(
        stdout(&brief),
        "",
        "the login message says nothing when all is well"
    );

    // Nothing left to do: a second rebase writes and restarts nothing.
    let out = w
        .cmd(&["--non-interactive", "rebase"])
        .env("JITSI_CUSTOM_SYSTEMCTL", &systemctl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!stdout(&out).contains("wrote "), "{}", stdout(&out));
    assert_eq!(log_lines(&log).len(), 3);
}

#[test]
fn no_restart_runs_no_systemctl() {
    let w = upgraded_to_1_0_2();
    let (systemctl, log) = stub_systemctl(w.dir.path());
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .env("JITSI_CUSTOM_SYSTEMCTL", &systemctl)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "wrote /etc/nginx/sites-available/tele.praxis.de.conf",
        ));
    assert!(!log.exists(), "systemctl ran: {:?}", log_lines(&log));
    assert!(
        w.read_string(NGINX_SITE)
            .contains("ssl_protocols TLSv1.2 TLSv1.3;")
    );
}

/// The bundled world rebased onto 1.0.2, then jitsi-meet-web upgraded to 1.0.3 with dpkg.
fn upgraded_to_1_0_3() -> World {
    let w = upgraded_to_1_0_2();
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(0);
    w.install("1.0.3-1");
    w
}

#[test]
fn conflict_at_1_0_3_is_parked_and_the_other_files_carry_on() {
    let w = upgraded_to_1_0_3();
    // dpkg overwrote every jitsi-meet-web file again.
    assert!(w.read_string(INTERFACE).contains("APP_NAME: 'Jitsi Meet',"));
    let out = w.cmd(&["--non-interactive", "rebase"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("{CARD}  \"guide\": PARKED: conflicting changes")),
        "{text}"
    );
    assert!(stderr(&out).contains("hint: work through parked conflicts with `jitsi-custom resolve`"));

    // Never weaker: while the card waits for a person, the practice's card stays live (each
    // conflicting region on the customisation's side; upstream changed nothing else there),
    // without markers. The other files were rewritten with their customisations.
    let card = w.read_string(CARD);
    assert!(
        card.contains("<h2>Logopädische Praxis Sommer – Videosprechstunde</h2>"),
        "{card}"
    );
    assert!(card.contains("datenschutz/#videosprechstunde"), "{card}");
    // 1.0.2's upstream change to the comment stays; 1.0.3's heading collides with the practice's.
    assert!(card.contains("hidden on narrow screens"), "{card}");
    assert!(!card.contains("<h2>Jitsi Meet</h2>"), "{card}");
    assert!(!card.contains("<<<<<<<") && !card.contains(">>>>>>>") && !card.contains("======="));
    assert!(card.contains("Praxis Sommer"), "{card}");
    for path in [
        INTERFACE,
        MAIN_DE,
        ALL_CSS,
        CARD,
        "/usr/share/jitsi-meet/images/favicon.ico",
    ] {
        assert!(
            text.contains(&format!("wrote {path}")),
            "{path} not written:\n{text}"
        );
    }
    assert!(text.contains("live: your side of each conflict"), "{text}");
    assert_customisations_live(&w);
    assert_upstream_1_0_2_live(&w);

    let (code, json) = status_json(&w);
    assert_eq!(code, Some(1));
    assert_eq!(file_state(&json, CARD), "conflict");
    assert_eq!(file_state(&json, INTERFACE), "customised");
    let parked = json["parked"].as_array().expect("parked list");
    assert_eq!(parked.len(), 1, "{json}");
    assert_eq!(parked[0]["customisation"], "guide");
    assert_eq!(parked[0]["fallback"], "yours", "{json}");
    let card_status = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == CARD)
        .unwrap();
    assert_eq!(
        card_status["customisations"],
        serde_json::json!(["guide"]),
        "{json}"
    );
    let notices = json["notices"].as_array().expect("notices");
    assert!(
        notices
            .iter()
            .any(|n| n["path"] == CARD && n["customisation"] == "guide" && n["kind"] == "parked"),
        "{json}"
    );
    assert_eq!(parked[0]["path"], CARD);
    assert!(
        parked[0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("conflicting changes"),
        "{json}"
    );

    // The login message: one line while a decision waits.
    let brief = w.cmd(&["status", "--brief"]).output().unwrap();
    assert_eq!(
        stdout(&brief),
        "jitsi-custom: 1 decision waits — run `jitsi-custom status`\n"
    );

    // Still parked on the next run; nothing else changes.
    let before = w.tracked_files();
    w.cmd(&["--non-interactive", "rebase"]).assert().code(1);
    assert_eq!(w.tracked_files(), before);
}

#[test]
fn rollback_restores_every_tracked_file_byte_for_byte_in_one_command() {
    let w = upgraded_to_1_0_2();
    // What rebase first records (the postinst's in-place edit of the Prosody file) is recorded
    // here, so that the rebase is the last operation.
    w.cmd(&["record", "-m", "prosody postinst"]).assert().code(0);
    let before = w.tracked_files();
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(0);
    let after = w.tracked_files();
    let changed: Vec<&String> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| &b.0)
        .collect();
    assert!(changed.len() >= 8, "the rebase changed only {changed:?}");

    w.cmd(&["rollback"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("restored 11 files"));
    assert_eq!(
        w.tracked_files(),
        before,
        "content or mode differs after rollback"
    );

    // The same rebase again (upstream from the cached .debs) gives the same files.
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(0);
    assert_eq!(w.tracked_files(), after);
}

// --- validation ----------------------------------------------------------------------------

const EXTRA: &str = "/usr/share/jitsi-meet/static/extra-settings.json";

/// Builds a one-file package `jitsi-meet-extra` shipping EXTRA with `content`.
fn extra_deb(dir: &Path, version: &str, content: &str) -> std::path::PathBuf {
    one_file_deb(dir, "jitsi-meet-extra", version, EXTRA, content.as_bytes(), "xz")
}

#[test]
fn a_clean_text_merge_that_does_not_validate_is_parked_and_the_customised_file_stays() {
    let w = World::jitsi_customised();
    let base = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"m\": 3,\n  \"y\": 4,\n  \"z\": 5\n}\n";
    // Both sides add the key "c", far enough apart for a line merge to take both.
    let local = base.replace("\"a\": 1,\n", "\"a\": 1,\n  \"c\": \"ours\",\n");
    let upstream = base.replace("\"y\": 4,\n", "\"y\": 4,\n  \"c\": \"theirs\",\n");
    let sandbox = w.sandbox();
    sandbox
        .install(&[extra_deb(w.dir.path(), "1.0-1", base)])
        .unwrap();
    w.cmd(&["track", EXTRA]).assert().code(0);
    // The line merge is asked for explicitly, as an admin may do in the manifest.
    let manifest = w.state.join("jitsi-custom.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let entry = format!("path = \"{EXTRA}\"\n");
    assert!(text.contains(&entry), "{text}");
    std::fs::write(
        &manifest,
        text.replace(&entry, &format!("{entry}strategy = \"text\"\n")),
    )
    .unwrap();
    w.write(EXTRA, &local);
    w.cmd(&["record", "-m", "extra setting c"]).assert().code(0);
    sandbox
        .install(&[extra_deb(w.dir.path(), "2.0-1", &upstream)])
        .unwrap();

    // The text merge alone is clean, and its result has "c" twice.
    let dir = w.dir.path();
    for (name, content) in [("base", base), ("local", &local), ("upstream", &upstream)] {
        std::fs::write(dir.join(name), content).unwrap();
    }
    let merged = w
        .cmd(&["merge-file", "--strategy", "text"])
        .args([dir.join("base"), dir.join("local"), dir.join("upstream")])
        .output()
        .unwrap();
    assert_eq!(merged.status.code(), Some(0));
    assert_eq!(stdout(&merged).matches("\"c\"").count(), 2);

    let out = w.cmd(&["--non-interactive", "rebase"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!(
            "{EXTRA}  \"extra setting c\": PARKED: the merged file does not validate"
        )),
        "{text}"
    );
    assert!(text.contains("duplicate key c"), "{text}");
    // Never weaker: the merge cannot go live, the file as customised before validates, so that
    // is what stays live (not upstream's file without the setting) until a person decides.
    assert!(text.contains(&format!("wrote {EXTRA}")), "{text}");
    assert_eq!(w.read_string(EXTRA), local, "the customised file is not live");
    let (_, json) = status_json(&w);
    assert_eq!(file_state(&json, EXTRA), "conflict");
    assert_eq!(json["parked"][0]["fallback"], "previous", "{json}");
    assert!(
        json["parked"][0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("does not validate"),
        "{json}"
    );
}

// --- merge-file ------------------------------------------------------------------------------

const BASE_JSON: &str = "{\n    \"welcomepage\": {\n        \"headerTitle\": \"Jitsi Meet\",\n        \"startMeeting\": \"Meeting starten\"\n    }\n}\n";

fn write_inputs(dir: &Path, name: &str, base: &str, local: &str, upstream: &str) -> [String; 3] {
    ["base", "local", "upstream"]
        .iter()
        .zip([base, local, upstream])
        .map(|(side, content)| {
            let path = dir.join(format!("{side}-{name}"));
            std::fs::write(&path, content).unwrap();
            path.display().to_string()
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap()
}

#[test]
fn merge_file_exit_codes_and_strategy_by_path() {
    let w = World::new();
    let dir = w.dir.path();

    let base = "a\nb\nc\nd\ne\n";
    let [b, l, u] = write_inputs(dir, "clean.txt", base, "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n");
    w.cmd(&["merge-file", &b, &l, &u])
        .assert()
        .code(0)
        .stdout("A\nb\nc\nd\nE\n");

    let [b, l, u] = write_inputs(dir, "conflict.txt", base, "a\nB\nc\nd\ne\n", "a\nX\nc\nd\ne\n");
    let out = w.cmd(&["merge-file", &b, &l, &u]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("<<<<<<< ") && text.contains("=======\n") && text.contains(">>>>>>> "),
        "{text}"
    );
    assert!(text.contains("B\n") && text.contains("X\n"));

    let missing = dir.join("no-such-file").display().to_string();
    let out = w.cmd(&["merge-file", &b, &missing, &u]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-file"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());

    // Neighbouring keys changed on both sides: a line conflict, a clean key-level merge.
    let local = BASE_JSON.replace("\"Jitsi Meet\"", "\"Praxis Videosprechstunde\"");
    let upstream = BASE_JSON.replace("\"Meeting starten\"", "\"Konferenz starten\"");
    let [b, l, u] = write_inputs(dir, "de.txt", BASE_JSON, &local, &upstream);
    w.cmd(&["merge-file", &b, &l, &u]).assert().code(1);
    let out = w
        .cmd(&[
            "merge-file",
            "--path",
            "/usr/share/jitsi-meet/lang/main-de.json",
            &b,
            &l,
            &u,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["welcomepage"]["headerTitle"], "Praxis Videosprechstunde");
    assert_eq!(json["welcomepage"]["startMeeting"], "Konferenz starten");
}

fn git(repo: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap()
}

fn git_ok(repo: &Path, args: &[&str]) {
    let out = git(repo, args);
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

#[test]
fn merge_file_works_as_a_git_merge_driver() {
    let w = World::new();
    let repo = w.dir.path().join("repo");
    std::fs::create_dir_all(repo.join("lang")).unwrap();
    git_ok(&repo, &["init", "-q"]);
    let file = repo.join("lang/main-de.json");
    std::fs::write(&file, BASE_JSON).unwrap();
    git_ok(&repo, &["add", "."]);
    git_ok(&repo, &["commit", "-qm", "base"]);
    // Upstream adds a key at the end of the object and changes its neighbour …
    git_ok(&repo, &["checkout", "-qb", "upstream"]);
    std::fs::write(
        &file,
        BASE_JSON.replace(
            "\"startMeeting\": \"Meeting starten\"\n",
            "\"startMeeting\": \"Konferenz starten\",\n        \"recentMeetings\": \"Ihre letzten Meetings\"\n",
        ),
    )
    .unwrap();
    git_ok(&repo, &["commit", "-qam", "upstream"]);
    // … the customisation changes the title and adds a key at the same place.
    git_ok(&repo, &["checkout", "-q", "main"]);
    std::fs::write(
        &file,
        BASE_JSON
            .replace("\"Jitsi Meet\"", "\"Praxis Videosprechstunde\"")
            .replace(
                "\"startMeeting\": \"Meeting starten\"\n",
                "\"startMeeting\": \"Meeting starten\",\n        \"headerSubtitle\": \"Ihr Termin bei uns\"\n",
            ),
    )
    .unwrap();
    git_ok(&repo, &["commit", "-qam", "customisation"]);

    // git's own line merge cannot do it.
    let out = git(&repo, &["merge", "--no-edit", "upstream"]);
    assert!(!out.status.success(), "line merge unexpectedly clean");
    git_ok(&repo, &["merge", "--abort"]);

    let driver = format!(
        "'{}' merge-file --path %P %O %A %B -o %A",
        env!("CARGO_BIN_EXE_jitsi-custom")
    );
    git_ok(&repo, &["config", "merge.jitsi.driver", &driver]);
    std::fs::write(repo.join(".gitattributes"), "*.json merge=jitsi\n").unwrap();
    let out = git(&repo, &["merge", "--no-edit", "upstream"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let merged = std::fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&merged).unwrap();
    let page = &json["welcomepage"];
    assert_eq!(page["headerTitle"], "Praxis Videosprechstunde");
    assert_eq!(page["headerSubtitle"], "Ihr Termin bei uns");
    assert_eq!(page["startMeeting"], "Konferenz starten");
    assert_eq!(page["recentMeetings"], "Ihre letzten Meetings");
    for key in ["headerTitle", "headerSubtitle", "startMeeting", "recentMeetings"] {
        assert_eq!(
            merged.matches(&format!("\"{key}\"")).count(),
            1,
            "{key} in\n{merged}"
        );
    }
    let status = git(&repo, &["status", "--porcelain"]);
    assert_eq!(stdout(&status).trim(), "?? .gitattributes");
}
