//! `scan` on sandbox roots whose dpkg database is real (the bundled example packages, and
//! one-file packages, installed with `dpkg --root`): modified, missing and replaced packaged files,
//! conffiles (whose md5 dpkg keeps in `status`, not in `md5sums`), generated files against their
//! template, unowned files under the Jitsi trees, `--json`, the offer to track on a terminal, and
//! `init` naming what was changed before it. Cross-checked with the real `dpkg --verify`.

mod common;

use std::collections::BTreeSet;

use common::{CARD, INTERFACE, LOGGING, MEET_CONFIG, World, bundled_debs, one_file_deb, stderr, stdout};
use rexpect::process::WaitStatus;
use serde_json::Value;

const LOGO: &str = "/usr/share/jitsi-meet/images/praxis-logo.png";
const JVB_SH: &str = "/usr/share/jitsi-videobridge/jvb.sh";
const JICOFO_SH: &str = "/usr/share/jicofo/jicofo.sh";
const FAVICON: &str = "/usr/share/jitsi-meet/images/favicon.ico";

/// The bundled 1.0.1-1 packages freshly installed with the real dpkg.
fn installed() -> World {
    World::with_packages(&bundled_debs("1.0.1-1"), |_| {})
}

/// `scan --json`: exit code and document.
fn scan_json(w: &World, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json", "scan"];
    all.extend_from_slice(args);
    let out = w.cmd(&all).output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("scan --json: {e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), json)
}

/// path → state of every changed file, and the unowned paths.
fn found(json: &Value) -> (Vec<(String, String)>, Vec<String>) {
    let changed = json["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let unowned = json["unowned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    (changed, unowned)
}

fn entry<'a>(json: &'a Value, list: &str, path: &str) -> &'a Value {
    json[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {list} of {json:#}"))
}

fn append(w: &World, path: &str, text: &str) {
    let mut content = w.read(path);
    content.extend_from_slice(text.as_bytes());
    w.write(path, content);
}

/// The files the real `dpkg --verify` reports for the given packages (`missing` or a failed md5).
fn dpkg_verify(w: &World, packages: &[&str]) -> BTreeSet<String> {
    let out = std::process::Command::new("dpkg")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C")
        .arg(format!("--root={}", w.root.display()))
        .arg("--verify")
        .args(packages)
        .output()
        .unwrap();
    stdout(&out)
        .lines()
        .filter_map(|line| line.rsplit_once(' ').map(|(_, path)| path.to_string()))
        .collect()
}

#[test]
fn a_clean_install_says_nothing_and_exits_0() {
    let w = installed();
    let out = w.cmd(&["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
    // The generated meet config is its template rendered: nothing to say either.
    let (code, json) = scan_json(&w, &[]);
    assert_eq!(code, 0);
    assert_eq!(found(&json), (vec![], vec![]));
    assert_eq!(json["packages"].as_array().unwrap().len(), 5, "{json:#}");
    // So after init.
    w.cmd(&["init"]).assert().code(0);
    let out = w.cmd(&["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_modified_packaged_file_and_an_unowned_new_logo_are_found() {
    let w = installed();
    append(&w, INTERFACE, "interfaceConfig.APP_NAME = 'Praxis';\n");
    w.write(LOGO, b"\x89PNG\r\n\x1a\nlogo");
    let out = w.cmd(&["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "modified  {INTERFACE}  (jitsi-meet-web, no pristine copy)\nunowned   {LOGO}  (no package owns it)\n"
        )
    );
    assert!(
        stderr(&out).contains("apt-get install --reinstall --download-only jitsi-meet-web"),
        "{}",
        stderr(&out)
    );
    // With the package in apt's cache, there is one.
    let w2 = World::new();
    w2.install("1.0.1-1");
    append(&w2, INTERFACE, "interfaceConfig.APP_NAME = 'Praxis';\n");
    let (_, json) = scan_json(&w2, &[]);
    assert_eq!(entry(&json, "changed", INTERFACE)["pristine"], "deb-cache");
    // Without a terminal: how to keep them; before init, init first.
    assert!(stderr(&out).contains("jitsi-custom init"), "{}", stderr(&out));
}

#[test]
fn the_json_report_has_packages_changed_unowned_and_unchecked() {
    let w = installed();
    // The guide's backup before editing: the pristine copy `track` would take.
    w.write(&format!("{INTERFACE}.BKP"), w.read(INTERFACE));
    append(&w, INTERFACE, "// edited\n");
    append(&w, CARD, "<p>Praxis</p>\n");
    w.write(LOGO, "logo");
    w.write("/etc/jitsi/jicofo/jicofo.conf", "jicofo { }\n");
    let (code, json) = scan_json(&w, &[]);
    assert_eq!(code, 1);
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["packages", "changed", "unowned", "unchecked"]);
    let web = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "jitsi-meet-web")
        .unwrap();
    assert_eq!(web["version"], "1.0.1-1");
    assert_eq!(web["files"], 6);
    assert_eq!(
        *entry(&json, "changed", INTERFACE),
        serde_json::json!({
            "path": INTERFACE, "state": "modified", "package": "jitsi-meet-web",
            "conffile": false, "template": null, "tracked": false, "pristine": "bkp"
        })
    );
    // No backup and no package in apt's cache: no pristine copy.
    assert_eq!(entry(&json, "changed", CARD)["pristine"], Value::Null);
    assert_eq!(
        *entry(&json, "unowned", LOGO),
        serde_json::json!({ "path": LOGO, "size": 4, "secret": false, "tracked": false })
    );
    // jicofo.conf is made by jicofo's postinst on a real server: not the admin's own file,
    // and nothing to compare it with.
    assert_eq!(
        entry(&json, "unchecked", "/etc/jitsi/jicofo/jicofo.conf")["why"],
        "generated"
    );
    assert_eq!(json["unowned"].as_array().unwrap().len(), 1);
}

/// jitsi-videobridge2 as debhelper builds it: a conffile, and `DEBIAN/md5sums` for the other
/// files only (dh_md5sums leaves conffiles out; dpkg keeps their md5 in `status`).
fn videobridge_as_debhelper_builds_it(dir: &std::path::Path) -> std::path::PathBuf {
    let tree = dir.join("jvb");
    let files: [(&str, &[u8]); 2] = [
        (LOGGING, b".level=INFO\n"),
        (JVB_SH, b"#!/bin/sh\nexec java -jar jvb.jar\n"),
    ];
    for (path, content) in files {
        let file = tree.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::write(
        tree.join("DEBIAN/control"),
        "Package: jitsi-videobridge2\nVersion: 2.0-1\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: bridge\n",
    )
    .unwrap();
    std::fs::write(tree.join("DEBIAN/conffiles"), format!("{LOGGING}\n")).unwrap();
    let md5 = md5_hex(files[1].1);
    std::fs::write(
        tree.join("DEBIAN/md5sums"),
        format!("{md5}  {}\n", JVB_SH.trim_start_matches('/')),
    )
    .unwrap();
    let deb = dir.join("jitsi-videobridge2_2.0-1_all.deb");
    let status = std::process::Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&tree)
        .arg(&deb)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    deb
}

/// Hex md5 through the md5sum program.
fn md5_hex(content: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(content).unwrap();
    let out = child.wait_with_output().unwrap();
    stdout(&out).split_whitespace().next().unwrap().to_string()
}

#[test]
fn conffiles_are_checked_against_the_md5_in_dpkgs_status() {
    let dir = tempfile::tempdir().unwrap();
    let w = World::with_packages(&[videobridge_as_debhelper_builds_it(dir.path())], |_| {});
    // dpkg keeps the conffile's md5 in status; the md5sums do not list it.
    let sums = std::fs::read_to_string(w.live("/var/lib/dpkg/info/jitsi-videobridge2.md5sums")).unwrap();
    assert!(!sums.contains("logging.properties"), "{sums}");
    let status = std::fs::read_to_string(w.live("/var/lib/dpkg/status")).unwrap();
    assert!(status.contains(&format!(" {LOGGING} ")), "{status}");
    let (code, _) = scan_json(&w, &[]);
    assert_eq!(code, 0);

    append(&w, LOGGING, ".level=WARNING\n");
    let (code, json) = scan_json(&w, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        json["packages"][0]["files"], 2,
        "the conffile is checked: {json:#}"
    );
    let logging = entry(&json, "changed", LOGGING);
    assert_eq!(logging["state"], "modified");
    assert_eq!(logging["conffile"], true);
    assert_eq!(logging["package"], "jitsi-videobridge2");
    let out = w.cmd(&["scan"]).output().unwrap();
    assert_eq!(
        stdout(&out),
        format!("modified  {LOGGING}  (jitsi-videobridge2, conffile, no pristine copy)\n")
    );
    // dpkg --verify agrees.
    assert_eq!(
        dpkg_verify(&w, &["jitsi-videobridge2"]),
        BTreeSet::from([LOGGING.to_string()])
    );
}

#[test]
fn missing_and_replaced_files_are_found_as_dpkg_verify_finds_them() {
    let w = installed();
    std::fs::remove_file(w.live(JICOFO_SH)).unwrap();
    append(&w, CARD, "<p>Praxis</p>\n");
    append(&w, LOGGING, "# quiet\n");
    // The admin's own icon put in place as a link: no longer the package's file.
    std::fs::write(w.live("/usr/share/jitsi-meet/images/mine.ico"), "icon").unwrap();
    std::fs::remove_file(w.live(FAVICON)).unwrap();
    std::os::unix::fs::symlink("mine.ico", w.live(FAVICON)).unwrap();
    let (code, json) = scan_json(&w, &[]);
    assert_eq!(code, 1);
    let (changed, unowned) = found(&json);
    let expected = [
        (LOGGING, "modified"),
        (JICOFO_SH, "missing"),
        (FAVICON, "replaced"),
        (CARD, "modified"),
    ];
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect();
    expected.sort();
    assert_eq!(changed, expected);
    assert_eq!(unowned, ["/usr/share/jitsi-meet/images/mine.ico"]);

    // The real dpkg --verify names the same files (the link: by its target's md5).
    let packages = [
        "jicofo",
        "jitsi-meet-web",
        "jitsi-meet-web-config",
        "jitsi-meet-prosody",
        "jitsi-videobridge2",
    ];
    let ours: BTreeSet<String> = changed.into_iter().map(|(p, _)| p).collect();
    assert_eq!(dpkg_verify(&w, &packages), ours);
}

#[test]
fn files_of_other_packages_side_copies_and_links_out_of_the_root_are_not_unowned() {
    let w = installed();
    let dir = tempfile::tempdir().unwrap();
    // A theme package (not one of the Jitsi packages) owns a file under the tree.
    let theme = one_file_deb(
        dir.path(),
        "praxis-theme",
        "1",
        "/usr/share/jitsi-meet/images/theme.svg",
        b"<svg/>",
        "xz",
    );
    w.sandbox().install(&[theme]).unwrap();
    // The guide's backup copy and dpkg's side copies are not files of their own.
    w.write(&format!("{INTERFACE}.BKP"), w.read(INTERFACE));
    w.write(&format!("{LOGGING}.dpkg-dist"), w.read(LOGGING));
    // A link to a directory outside the root is never followed.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(outside.path(), w.live("/usr/share/jitsi-meet/outside")).unwrap();
    let out = w.cmd(&["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "");

    // Named on the command line, the theme package's file is verified too.
    w.write("/usr/share/jitsi-meet/images/theme.svg", "<svg>changed</svg>");
    let (code, json) = scan_json(&w, &["praxis-theme"]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&json).0,
        [(
            "/usr/share/jitsi-meet/images/theme.svg".to_string(),
            "modified".to_string()
        )]
    );
    assert_eq!(json["packages"].as_array().unwrap().len(), 1);
}

#[test]
fn a_generated_file_is_compared_with_its_template() {
    let w = installed();
    append(&w, MEET_CONFIG, "config.defaultLanguage = 'de';\n");
    let (code, json) = scan_json(&w, &[]);
    assert_eq!(code, 1);
    let config = entry(&json, "changed", MEET_CONFIG);
    assert_eq!(config["state"], "modified");
    assert_eq!(config["package"], "jitsi-meet-web-config");
    assert_eq!(config["template"], "/usr/share/jitsi-meet-web-config/config.js");
}

#[test]
fn tracked_files_are_marked_and_need_no_attention() {
    let w = World::jitsi_customised();
    let out = w.cmd(&["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("modified  {INTERFACE}  (jitsi-meet-web, tracked)")),
        "{text}"
    );
    let (_, json) = scan_json(&w, &[]);
    assert!(
        json["changed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["tracked"] == true),
        "{json:#}"
    );
    // An untracked change on top: attention, and a hint how to keep it.
    append(&w, JVB_SH, "# tuned\n");
    let out = w.cmd(&["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("jitsi-custom track PATH"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn on_a_terminal_scan_offers_to_track_what_it_found() {
    // The packages in apt's cache: jvb.sh has a pristine copy, so its edit can be kept.
    let w = World::new();
    w.install("1.0.1-1");
    w.cmd(&["init"]).assert().code(0);
    append(&w, JVB_SH, "# tuned\n");
    w.write(LOGO, "logo");
    w.write("/etc/jitsi/meet/praxis-tls.key", "-----BEGIN PRIVATE KEY-----\n");
    w.write(
        "/usr/share/jitsi-meet/static/impressum.html",
        "<p>Impressum</p>\n",
    );
    let mut session = w.pty(&["scan"], &[]);
    session.exp_string("Track these files?").expect("the question");
    // All are picked at first (sorted: logo, imprint, jvb.sh); drop the imprint and go on.
    session.send("\x1b[B").unwrap();
    session.flush().unwrap();
    session.send(" ").unwrap();
    session.flush().unwrap();
    session.send("\r").unwrap();
    session.flush().unwrap();
    let output = session.exp_eof().expect("the command ends");
    let code = match session.process_mut().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("ended with {other:?}: {output}"),
    };
    assert_eq!(code, 1, "{output}");
    let (_, json) = scan_json(&w, &[]);
    assert_eq!(entry(&json, "changed", JVB_SH)["tracked"], true, "{output}");
    assert_eq!(entry(&json, "unowned", LOGO)["tracked"], true);
    assert_eq!(
        entry(&json, "unowned", "/usr/share/jitsi-meet/static/impressum.html")["tracked"],
        false
    );
    // A private key is listed, never offered.
    let key = entry(&json, "unowned", "/etc/jitsi/meet/praxis-tls.key");
    assert_eq!(key["secret"], true);
    assert_eq!(key["tracked"], false);
    // The tracked files wait to be recorded.
    let status = w.cmd(&["--json", "status"]).output().unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let states: Vec<(String, String)> = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == JVB_SH || f["path"] == LOGO)
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (LOGO.to_string(), "unrecorded".to_string()),
            (JVB_SH.to_string(), "unrecorded".to_string())
        ]
    );
}

#[test]
fn init_names_the_changes_made_before_it_that_it_does_not_track() {
    let w = installed();
    append(&w, JVB_SH, "# tuned\n");
    append(&w, INTERFACE, "// edited before init\n");
    w.write(LOGO, "logo");
    let out = w.cmd(&["--json", "init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let changed: Vec<&str> = json["not_tracked"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // interface_config.js is tracked by init (its edit a customisation); jvb.sh is not.
    assert_eq!(changed, [JVB_SH]);
    let unowned: Vec<&str> = json["not_tracked"]["unowned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(unowned, [LOGO]);

    let w = installed();
    w.write(LOGO, "logo");
    append(&w, JVB_SH, "# tuned\n");
    let out = w.cmd(&["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stderr(&out);
    assert!(text.contains("changed before init and not tracked"), "{text}");
    assert!(
        text.contains(&format!(
            "  modified  {JVB_SH}  (jitsi-videobridge2, no pristine copy)"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("  unowned   {LOGO}")), "{text}");
    assert!(text.contains("jitsi-custom track PATH"), "{text}");
    assert!(
        text.contains("apt-get install --reinstall --download-only jitsi-videobridge2"),
        "{text}"
    );
}
