//! Fault injection (DESIGN invariant 8): every writing command is crashed — killed as by
//! `kill -9`, or failed with a full disk — at each point where it writes state or live files, then
//! run again; the end state must be the one an uninterrupted run leaves: every live file, the
//! branches' content, the manifest and the review list, the synced markers of `pull`, no journal
//! and no temp file left, and exit ≤ 1 on the second run.
//!
//! Needs the crash points compiled in: `cargo test --features failpoints` (`scripts/test` does).
#![cfg(feature = "failpoints")]

mod common;

use std::path::Path;

use common::*;

/// The crash points of one operation's commit (`src/store/transition.rs`) and of a live write
/// (`src/system/fs.rs`); `n*off->` skips the first n hits.
const POINTS: &[&str] = &[
    "transition::journal-written",
    "transition::committed",
    "transition::upstream-moved",
    "transition::refs-moved",
    "transition::state-file-written",
    "1*off->transition::state-file-written",
    "transition::live-file-written",
    "1*off->transition::live-file-written",
    "2*off->transition::live-file-written",
    "4*off->transition::live-file-written",
    "fs::temp-file-written",
    "2*off->fs::temp-file-written",
];

/// What a run leaves that matters: every file under the root (live files, and no temp file),
/// the branches' content, the manifest and the review list, and whether a journal is left.
#[derive(Debug, PartialEq, Eq)]
struct EndState {
    root: Vec<(std::path::PathBuf, Vec<u8>)>,
    upstream_tree: String,
    custom: Vec<(String, String)>,
    manifest: String,
    review: String,
    /// The markers of what was last pulled or pushed (`refs/jitsi-custom/synced/*`).
    synced: String,
    journal: bool,
    temp_files: Vec<String>,
}

fn git(state: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg(format!("--git-dir={}", state.join("repo").display()))
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn end_state(w: &World) -> EndState {
    let tree = |rev: &str| git(&w.state, &["rev-parse", &format!("{rev}^{{tree}}")]);
    // Each customisation by name and the tree it leaves: commit ids may differ (times).
    let custom = git(
        &w.state,
        &["log", "--format=%s %T", "--first-parent", "upstream..custom"],
    )
    .lines()
    .map(|l| {
        let (name, tree) = l.rsplit_once(' ').unwrap_or((l, ""));
        (name.to_string(), tree.to_string())
    })
    .collect();
    let temp_files = walkdir::WalkDir::new(&w.state)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.starts_with(".tmp"))
        .collect();
    EndState {
        root: World::snapshot(&w.root)
            .into_iter()
            .map(|(path, content)| (path.strip_prefix(&w.root).unwrap().to_path_buf(), content))
            // dpkg's log has the times of the sandbox's installs.
            .filter(|(path, _)| !path.starts_with("var/log"))
            .collect(),
        upstream_tree: tree("upstream"),
        custom,
        manifest: std::fs::read_to_string(w.state.join("jitsi-custom.toml")).unwrap_or_default(),
        review: std::fs::read_to_string(w.state.join("parked.toml")).unwrap_or_default(),
        synced: git(
            &w.state,
            &[
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/jitsi-custom/synced",
            ],
        ),
        journal: w.state.join("journal.toml").exists(),
        temp_files,
    }
}

struct Scenario {
    name: &'static str,
    prepare: fn() -> World,
    /// The command line, given the prepared world (a rollback names its target, so that running
    /// it again means the same thing).
    args: fn(&World) -> Vec<String>,
}

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "record",
            prepare: || {
                let w = World::jitsi_customised();
                let text = w
                    .read_string(MAIN_DE)
                    .replace("Videotermin starten", "Sitzung starten");
                w.write(MAIN_DE, text);
                w.write(
                    CARD,
                    w.read_string(CARD).replace("Impressum", "Impressum der Praxis"),
                );
                w
            },
            args: |_| words(&["record", "-m", "later edits"]),
        },
        Scenario {
            name: "rebase",
            prepare: || {
                let w = World::jitsi_customised();
                w.install("1.0.2-1");
                w
            },
            args: |_| words(&["--non-interactive", "rebase", "--no-restart"]),
        },
        Scenario {
            name: "rollback",
            prepare: || {
                let w = World::jitsi_customised();
                w.install("1.0.2-1");
                w.cmd(&["--non-interactive", "rebase", "--no-restart"])
                    .assert()
                    .code(0);
                w
            },
            args: |w| {
                // The operation before the rebase.
                let log: serde_json::Value =
                    serde_json::from_slice(&w.cmd(&["log", "--json"]).output().unwrap().stdout).unwrap();
                let id = log[1]["id"]
                    .as_str()
                    .expect("an operation before the rebase")
                    .to_string();
                vec!["rollback".into(), id]
            },
        },
        Scenario {
            name: "track",
            prepare: || {
                let w = World::jitsi_customised();
                w.write(
                    "/usr/share/jitsi-meet/images/praxis-logo.svg",
                    "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
                );
                w
            },
            args: |_| words(&["track", "/usr/share/jitsi-meet/images/praxis-logo.svg"]),
        },
        Scenario {
            name: "untrack",
            prepare: World::jitsi_customised,
            args: |_| words(&["untrack", "--drop-customisation", CARD]),
        },
        Scenario {
            name: "resolve --acknowledge",
            prepare: || {
                // The practice's background colour, which 1.0.2 changes too: kept, and a notice.
                let w = World::jitsi_customised();
                let text = w
                    .read_string(INTERFACE)
                    .replace("DEFAULT_BACKGROUND: '#040404'", "DEFAULT_BACKGROUND: '#00407a'");
                w.write(INTERFACE, text);
                w.cmd(&["record", "-m", "practice colour"]).assert().code(0);
                w.install("1.0.2-1");
                w.cmd(&["--non-interactive", "rebase", "--no-restart"])
                    .assert()
                    .code(0);
                w
            },
            args: |_| words(&["resolve", "--acknowledge"]),
        },
        Scenario {
            name: "import",
            prepare: || {
                // A fresh server, and a series that changes the card and the German texts and
                // adds a file no package ships (so it tracks it too).
                let w = World::new();
                w.install("1.0.1-1");
                w.cmd(&["init"]).assert().code(0);
                let dir = w.dir.path().join("series-in");
                std::fs::create_dir(&dir).unwrap();
                let change = |path: &str, from: &str, to: &str| {
                    let rel = path.trim_start_matches('/');
                    format!(
                        "diff --git a/{rel} b/{rel}\n--- a/{rel}\n+++ b/{rel}\n@@ -1 +1 @@\n-{from}\n+{to}\n"
                    )
                };
                let card = change(CARD, "<!--", "<!-- Praxis Sonnenschein");
                let de_first = w.read_string(MAIN_DE).lines().next().unwrap().to_string();
                let de = change(MAIN_DE, &de_first, &de_first);
                assert_eq!(de_first, "{", "main-de.json starts with a lone brace");
                let de = de.replace("+{\n", "+{ \"imprint\": \"Impressum\",\n");
                let logo = "usr/share/jitsi-meet/images/praxis-logo.svg";
                let svg = format!(
                    "diff --git a/{logo} b/{logo}\nnew file mode 100644\n--- /dev/null\n+++ b/{logo}\n@@ -0,0 +1 @@\n+<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"
                );
                std::fs::write(
                    dir.join("0001-card.patch"),
                    format!("Subject: [PATCH 1/2] card\n\n{card}"),
                )
                .unwrap();
                std::fs::write(
                    dir.join("0002-texts.patch"),
                    format!("Subject: [PATCH 2/2] texts and logo\n\n{de}{svg}"),
                )
                .unwrap();
                std::fs::write(dir.join("series"), "0001-card.patch\n0002-texts.patch\n").unwrap();
                w
            },
            args: |w| {
                vec![
                    "import".into(),
                    w.dir.path().join("series-in").display().to_string(),
                ]
            },
        },
        Scenario {
            name: "apply",
            prepare: || {
                // jicofo.conf arrives with 1.0.2: the apply tracks it first, then records both
                // recipes and writes both files in one operation.
                let w = World::jitsi_customised();
                w.install("1.0.2-1");
                w.cmd(&["--non-interactive", "rebase", "--no-restart"])
                    .assert()
                    .code(0);
                w
            },
            args: |_| {
                words(&[
                    "apply",
                    "--no-restart",
                    "5.2.1/jicofo-auth-conf",
                    "5.2.4/interface-config",
                ])
            },
        },
        Scenario {
            name: "pull",
            prepare: || {
                // A server for another domain, and the guide's customisations pushed by the
                // template server to a bare repository beside it.
                let debs = bundled_debs("1.0.1-1");
                let w = World::with_packages(&debs, |sandbox| {
                    sandbox.set_domain("video.praxis-nord.de").unwrap();
                });
                w.cmd(&["init"]).assert().code(0);
                let remote = w.dir.path().join("fleet.git");
                let status = std::process::Command::new("git")
                    .args(["init", "--bare", "-q"])
                    .arg(&remote)
                    .status()
                    .unwrap();
                assert!(status.success());
                let template = World::jitsi_customised();
                for host in [&template, &w] {
                    host.cmd(&["remote", "add", "origin", remote.to_str().unwrap()])
                        .assert()
                        .code(0);
                }
                template.cmd(&["push"]).assert().code(0);
                w
            },
            args: |_| words(&["--non-interactive", "pull", "--no-restart"]),
        },
        Scenario {
            name: "hook post-invoke",
            prepare: || {
                let w = World::jitsi_customised();
                w.cmd(&["hook", "pre-invoke"]).assert().code(0);
                w.install("1.0.2-1");
                w
            },
            args: |_| words(&["hook", "post-invoke"]),
        },
    ]
}

fn run(w: &World, args: &[String], failpoints: Option<&str>) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = w.cmd(&args);
    if let Some(spec) = failpoints {
        cmd.env("FAILPOINTS", spec);
    }
    cmd.env("JITSI_CUSTOM_SYSTEMCTL", "/bin/true").output().unwrap()
}

fn crash_everywhere(action: &str) {
    for scenario in scenarios() {
        let reference = (scenario.prepare)();
        let out = run(&reference, &(scenario.args)(&reference), None);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}: {}",
            scenario.name,
            stderr(&out)
        );
        let expected = end_state(&reference);
        assert!(!expected.journal);
        let mut hit = 0;
        for point in POINTS {
            let spec = match point.split_once("->") {
                Some((skip, name)) => format!("{name}={skip}->{action}"),
                None => format!("{point}={action}"),
            };
            let w = (scenario.prepare)();
            let args = (scenario.args)(&w);
            let crashed = run(&w, &args, Some(&spec));
            let code = crashed.status.code();
            let reached = match action {
                // Killed: exit 137. An I/O error: a runtime failure, exit 3, or (a hook step)
                // its one line and exit 0.
                "return" => code == Some(137),
                _ if scenario.name.starts_with("hook") => {
                    code == Some(0) && stderr(&crashed).contains("jitsi-custom: post-invoke: ")
                }
                _ => code == Some(3),
            };
            if !reached {
                // The run never got to this point (fewer writes than the count).
                assert!(
                    matches!(code, Some(0 | 1)),
                    "{} at {spec}: exit {code:?}: {}",
                    scenario.name,
                    stderr(&crashed)
                );
                continue;
            }
            hit += 1;
            let again = run(&w, &args, None);
            assert!(
                matches!(again.status.code(), Some(0 | 1)),
                "{} after {spec}: exit {:?}: {}",
                scenario.name,
                again.status.code(),
                stderr(&again)
            );
            let state = end_state(&w);
            assert!(
                state == expected,
                "{} interrupted at {spec} ends elsewhere than an uninterrupted run:\n{}",
                scenario.name,
                describe_difference(&expected, &state)
            );
        }
        assert!(hit >= 3, "{}: only {hit} crash points reached", scenario.name);
    }
}

fn describe_difference(expected: &EndState, got: &EndState) -> String {
    let mut lines = Vec::new();
    let expected_files: std::collections::BTreeMap<_, _> = expected.root.iter().cloned().collect();
    let got_files: std::collections::BTreeMap<_, _> = got.root.iter().cloned().collect();
    for (path, content) in &expected_files {
        match got_files.get(path) {
            None => lines.push(format!("missing {}", path.display())),
            Some(c) if c != content => lines.push(format!("differs {}", path.display())),
            _ => {}
        }
    }
    for path in got_files.keys().filter(|p| !expected_files.contains_key(*p)) {
        lines.push(format!("extra {}", path.display()));
    }
    if expected.upstream_tree != got.upstream_tree {
        lines.push("upstream branch differs".into());
    }
    if expected.custom != got.custom {
        lines.push(format!(
            "custom branch: {:?} vs {:?}",
            expected.custom, got.custom
        ));
    }
    if expected.manifest != got.manifest {
        lines.push("manifest differs".into());
    }
    if expected.synced != got.synced {
        lines.push(format!("synced:\n{}\nvs\n{}", expected.synced, got.synced));
    }
    if expected.review != got.review {
        lines.push(format!("review list:\n{}\nvs\n{}", expected.review, got.review));
    }
    if got.journal {
        lines.push("a journal is left".into());
    }
    if !got.temp_files.is_empty() {
        lines.push(format!("temp files left: {:?}", got.temp_files));
    }
    lines.join("\n")
}

#[test]
fn a_kill_at_any_write_point_ends_where_an_uninterrupted_run_ends() {
    crash_everywhere("return");
}

#[test]
fn a_full_disk_at_any_write_point_ends_where_an_uninterrupted_run_ends() {
    crash_everywhere("return(io)");
}

// --- the defects of issue #10 that the single commit point fixes ---------------------------

fn status_json(w: &World) -> serde_json::Value {
    serde_json::from_slice(&w.cmd(&["status", "--json"]).output().unwrap().stdout).unwrap()
}

fn upgraded_to_1_0_2() -> World {
    let w = World::jitsi_customised();
    w.install("1.0.2-1");
    w
}

#[test]
fn an_interrupted_rebase_never_writes_old_content_over_new_upstream_files() {
    // Regression (#10 defect 1): the write journal was persisted before the branches moved; the
    // next run "finished" it against the old custom tip and wrote the old customised content
    // over dpkg's new files, exit 0.
    for (point, killed) in [
        ("transition::journal-written=return", Some(137)),
        ("transition::journal-written=return(io)", Some(3)),
    ] {
        let w = upgraded_to_1_0_2();
        let dpkg_interface = w.read(INTERFACE);
        let out = w
            .cmd(&["--non-interactive", "rebase", "--no-restart"])
            .env("FAILPOINTS", point)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), killed, "{point}: {}", stderr(&out));
        // The next writer drops what had not been committed, and writes nothing.
        let out = w.cmd(&["record", "-m", "later edits"]).output().unwrap();
        assert!(
            stderr(&out).contains("interrupted before its changes took effect"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            w.read(INTERFACE),
            dpkg_interface,
            "{point}: old content written over 1.0.2's"
        );
        assert!(!w.state.join("journal.toml").exists());
        // And the rebase then carries everything onto 1.0.2.
        w.cmd(&["--non-interactive", "rebase", "--no-restart"])
            .assert()
            .code(0);
        assert!(
            w.read_string(INTERFACE)
                .contains("APP_NAME: 'Praxis Videosprechstunde'")
        );
        assert!(w.read_string(INTERFACE).contains("DEFAULT_BACKGROUND: '#1e1e1e'"));
    }
}

#[test]
fn a_run_killed_between_moving_the_branches_is_finished_by_the_next_command() {
    // Regression (#10 defect 3): killed between moving `upstream` and `custom` (rebase, track,
    // untrack), every command refused with "the state needs repair".
    for args in [
        &["--non-interactive", "rebase", "--no-restart"][..],
        &["untrack", "--drop-customisation", CARD][..],
    ] {
        let w = upgraded_to_1_0_2();
        let out = w
            .cmd(args)
            .env("FAILPOINTS", "transition::upstream-moved=return")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(137), "{args:?}: {}", stderr(&out));
        // A reader sees the committed state already.
        let out = w.cmd(&["status", "--json"]).output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
        // The next writer finishes it.
        let out = w.cmd(&["record", "-m", "nothing"]).output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("needs repair"), "{}", stderr(&out));
        w.cmd(&["log"]).assert().code(0);
        assert!(!w.state.join("journal.toml").exists());
    }
}

#[test]
fn an_interrupted_record_is_either_recorded_and_logged_or_not_at_all() {
    // Regression (#10 defect 8): killed after moving `custom` but before the operation log, the
    // customisation was in the store but not in the log; the next `record` found nothing to do,
    // and two rollbacks destroyed it.
    for point in ["transition::journal-written", "transition::committed"] {
        let w = World::jitsi_customised();
        let edited = w
            .read_string(MAIN_DE)
            .replace("Videotermin starten", "Sitzung beginnen");
        w.write(MAIN_DE, &edited);
        let out = w
            .cmd(&["record", "-m", "wording"])
            .env("FAILPOINTS", format!("{point}=return"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(137));
        w.cmd(&["record", "-m", "wording"]).assert().code(0);
        let log = stdout(&w.cmd(&["log"]).output().unwrap());
        assert_eq!(log.matches("wording").count(), 1, "{point}: {log}");
        let status = status_json(&w);
        let main_de = status["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == MAIN_DE)
            .unwrap();
        assert_eq!(main_de["state"], "customised", "{point}: {status}");
        assert!(
            main_de["customisations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "wording")
        );
        // Undone and redone through the log: never lost.
        let log: serde_json::Value =
            serde_json::from_slice(&w.cmd(&["log", "--json"]).output().unwrap().stdout).unwrap();
        let recorded = log[0]["id"].as_str().unwrap().to_string();
        w.cmd(&["rollback"]).assert().code(0);
        w.cmd(&["rollback"]).assert().code(0);
        w.cmd(&["rollback", &recorded]).assert().code(0);
        assert_eq!(w.read_string(MAIN_DE), edited, "{point}: the edit is gone");
        assert_eq!(
            status_json(&w)["files"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["path"] == MAIN_DE)
                .unwrap()["state"],
            "customised"
        );
    }
}

#[test]
fn the_next_writer_never_overwrites_an_edit_made_after_the_crash() {
    // Regression (#10 defect 10): the journal replay overwrote live files without checking that
    // they still held what the interrupted run left; an admin edit made after the crash was lost
    // with only a warning.
    let w = upgraded_to_1_0_2();
    // Killed after the first live write of the rebase's commit (the files are written in path
    // order: /etc first, main-de.json later).
    let out = w
        .cmd(&["--non-interactive", "rebase", "--no-restart"])
        .env("FAILPOINTS", "transition::live-file-written=return")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
    let journal = std::fs::read_to_string(w.state.join("journal.toml")).unwrap();
    assert!(journal.contains(MAIN_DE), "{journal}");
    // The admin edits a file the interrupted rebase had not written yet.
    let edit = w.read_string(MAIN_DE).replace("\"Los\"", "\"Auf geht's\"");
    assert_ne!(edit, w.read_string(MAIN_DE));
    w.write(MAIN_DE, &edit);
    let out = w.cmd(&["status"]).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let out = w
        .cmd(&["--non-interactive", "rebase", "--no-restart"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains(&format!(
            "{MAIN_DE}: changed since an interrupted run; your change is kept, merged with what that run was to write"
        )),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // Not overwritten: recorded first (invariant 1), then carried.
    assert!(
        stdout(&out).contains(&format!("recorded unrecorded edits of {MAIN_DE} first")),
        "{}",
        stdout(&out)
    );
    let live = w.read_string(MAIN_DE);
    assert!(live.contains("\"go\": \"Auf geht's\""), "the edit is gone");
    assert!(live.contains("\"headerTitle\": \"Praxis Videosprechstunde\""));
    assert!(
        w.read_string(INTERFACE)
            .contains("APP_NAME: 'Praxis Videosprechstunde'")
    );
}

#[test]
fn a_dry_run_writes_nothing_not_even_an_interrupted_runs_files() {
    // Regression (#10 defect 9): every writing verb finished interrupted writes first, so a
    // `--dry-run rollback` overwrote a live file and lost an unrecorded edit.
    let w = upgraded_to_1_0_2();
    let out = w
        .cmd(&["--non-interactive", "rebase", "--no-restart"])
        .env("FAILPOINTS", "transition::committed=return")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137));
    w.write(CARD, w.read_string(CARD).replace("Impressum", "Impressum (neu)"));
    let root_before = World::snapshot(&w.root);
    let state_before = World::snapshot(&w.state);
    for args in [
        &["--dry-run", "rollback"][..],
        &["--dry-run", "--non-interactive", "rebase", "--no-restart"][..],
        &["--dry-run", "record", "-m", "x"][..],
        &["--dry-run", "resolve", "--acknowledge"][..],
        &["--dry-run", "untrack", "--drop-customisation", CARD][..],
        &["--dry-run", "track", "/usr/share/jitsi-meet/images/watermark.svg"][..],
    ] {
        let out = w.cmd(args).output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(
            World::snapshot(&w.root),
            root_before,
            "{args:?} wrote under the root"
        );
        assert_eq!(
            World::snapshot(&w.state),
            state_before,
            "{args:?} wrote in the state dir"
        );
    }
}
