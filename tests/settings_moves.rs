//! Settings Jitsi moved from interface_config.js to config.js, through the whole rebase: the
//! admin's value stays where it was and is written to its new home in config.js (where it takes
//! effect), and the review list names the move; a person acknowledges it at `resolve` (typed
//! through a real pseudo-terminal). A value both sides changed keeps the admin's.

mod common;

use std::path::{Path, PathBuf};

use common::World;
use jitsi_custom::sandbox::{self, Sandbox};

const INTERFACE: &str = "/usr/share/jitsi-meet/interface_config.js";
const CONFIG: &str = "/usr/share/jitsi-meet/config.js";
const CONFIG_V1: &str = "var config = {\n    hosts: {\n        domain: 'tele.praxis.de',\n    },\n\n    // toolbarConfig: {\n    //     alwaysVisible: false,\n    // },\n\n    // deeplinking: {\n    //     disabled: false,\n    // },\n};\n";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/jsconfig-setting-moved")
            .join(name),
    )
    .unwrap()
}

/// A package whose 1.0.2-1 moves TOOLBAR_ALWAYS_VISIBLE and MOBILE_DOWNLOAD_LINK_ANDROID out of
/// interface_config.js (left commented in a deprecated section), as Jitsi did.
fn packages(dir: &Path) -> (PathBuf, PathBuf) {
    let examples = dir.join("examples");
    for (version, interface) in [("1.0.1-1", fixture("base")), ("1.0.2-1", fixture("upstream"))] {
        let tree = examples.join("packages/jitsi-meet-web").join(version);
        std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
        std::fs::create_dir_all(tree.join("usr/share/jitsi-meet")).unwrap();
        std::fs::write(
            tree.join("DEBIAN/control"),
            format!("Package: jitsi-meet-web\nVersion: {version}\nArchitecture: all\nMaintainer: Praxis <admin@tele.praxis.de>\nDescription: Jitsi-like web files\n"),
        )
        .unwrap();
        std::fs::write(tree.join("usr/share/jitsi-meet/interface_config.js"), interface).unwrap();
        std::fs::write(tree.join("usr/share/jitsi-meet/config.js"), CONFIG_V1).unwrap();
    }
    let out = dir.join("debs");
    (
        sandbox::build_deb(&examples, "jitsi-meet-web", "1.0.1-1", &out).unwrap(),
        sandbox::build_deb(&examples, "jitsi-meet-web", "1.0.2-1", &out).unwrap(),
    )
}

/// 1.0.1 installed and customised as in the fixture, recorded, then 1.0.2 installed.
fn upgraded_world() -> World {
    let w = World::new();
    let (v1, v2) = packages(w.dir.path());
    let sandbox = Sandbox::create(&w.root).unwrap();
    sandbox.install(&[v1]).unwrap();
    w.cmd(&["init"]).assert().success();
    w.cmd(&["track", CONFIG]).assert().success();
    w.write(INTERFACE, fixture("local"));
    w.cmd(&["record", "-m", "practice settings"]).assert().success();
    sandbox.install(&[v2]).unwrap();
    w
}

fn status_json(w: &World) -> (Option<i32>, serde_json::Value) {
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn a_moved_setting_takes_effect_in_its_new_home_without_a_person() {
    let w = upgraded_world();
    let out = w
        .cmd(&["rebase", "--non-interactive", "--no-restart"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let config = String::from_utf8(w.read(CONFIG)).unwrap();
    assert_eq!(
        jitsi_custom::merge::active_value(config.as_bytes(), "toolbarConfig.alwaysVisible")
            .unwrap()
            .as_deref(),
        Some("true"),
        "{config}"
    );
    assert!(
        config.contains("https://f-droid.org/de/packages/org.jitsi.meet/"),
        "{config}"
    );
    let interface = String::from_utf8(w.read(INTERFACE)).unwrap();
    assert!(!interface.contains("<<<<<<<"), "no markers go live");
    assert!(
        interface.contains("MOBILE_DOWNLOAD_LINK_F_DROID"),
        "upstream's 1.0.2 content is live"
    );
    assert!(
        interface.contains("APP_NAME: 'Praxis Video'"),
        "the other settings carried"
    );
    assert!(interface.contains("SHOW_JITSI_WATERMARK: false"));
    w.cmd(&["validate"]).assert().code(0);

    // Decided without a person: on the review list, by setting, with the new home named.
    let (code, json) = status_json(&w);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["parked"], serde_json::json!([]));
    let moved: Vec<&serde_json::Value> = json["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "moved")
        .collect();
    let text = serde_json::to_string(&moved).unwrap();
    for (old, new) in [
        ("TOOLBAR_ALWAYS_VISIBLE", "toolbarConfig.alwaysVisible"),
        ("MOBILE_DOWNLOAD_LINK_ANDROID", "deeplinking.android.downloadLink"),
    ] {
        let notice = moved
            .iter()
            .find(|n| n["setting"].as_str().is_some_and(|s| s.contains(old)))
            .unwrap_or_else(|| panic!("no notice for {old}: {text}"));
        assert_eq!(notice["path"], INTERFACE);
        assert_eq!(notice["customisation"], "practice settings");
        assert!(notice["message"].as_str().unwrap().contains(new), "{notice}");
    }
    assert!(text.contains("is set there now"), "{text}");

    // A second run changes nothing: the values are in config.js now.
    let before = (w.read(CONFIG), w.read(INTERFACE));
    w.cmd(&["rebase", "--non-interactive", "--no-restart"])
        .assert()
        .code(0);
    assert_eq!((w.read(CONFIG), w.read(INTERFACE)), before);
}

#[test]
fn resolve_walks_the_review_list_and_an_acknowledged_notice_goes_away() {
    let w = upgraded_world();
    w.cmd(&["rebase", "--non-interactive", "--no-restart"])
        .assert()
        .code(0);
    let (_, json) = status_json(&w);
    let count = json["notices"].as_array().unwrap().len();
    assert!(count >= 2, "{json}");
    let mut session = w.pty(&["resolve", "--no-restart"], &[]);
    for _ in 0..count {
        session.exp_string("Noted?").unwrap();
        // "yes, take it off the list" is preselected.
        session.send("\r").unwrap();
        session.flush().unwrap();
    }
    session
        .exp_string(&format!("acknowledged {count} notice(s)"))
        .unwrap();
    session.exp_eof().unwrap();
    match session.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("unexpected end: {other:?}"),
    }
    let (code, json) = status_json(&w);
    assert_eq!(json["notices"], serde_json::json!([]), "{json}");
    assert_eq!(code, Some(0), "{json}");
}

const LUA: &str = "/usr/share/jitsi-meet/prosody-host.cfg.lua";
const LUA_V1: &str = "VirtualHost \"tele.praxis.de\"\n    authentication = \"jitsi-anonymous\"\n    c2s_require_encryption = false\n    modules_enabled = {\n        \"bosh\";\n        \"ping\";\n    }\n";
const LUA_V2: &str = "VirtualHost \"tele.praxis.de\"\n\tauthentication = \"jitsi-anonymous-v2\"\n\tc2s_require_encryption = true\n\tmodules_enabled = {\n\t\t\"bosh\";\n\t\t\"ping\";\n\t\t\"smacks\";\n\t}\n";

#[test]
fn a_setting_both_sides_changed_keeps_the_admins_value_and_says_so() {
    let w = World::new();
    let examples = w.dir.path().join("examples");
    for (version, lua) in [("1.0.1-1", LUA_V1), ("1.0.2-1", LUA_V2)] {
        let tree = examples.join("packages/jitsi-meet-web").join(version);
        std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
        std::fs::create_dir_all(tree.join("usr/share/jitsi-meet")).unwrap();
        std::fs::write(
            tree.join("DEBIAN/control"),
            format!("Package: jitsi-meet-web\nVersion: {version}\nArchitecture: all\nMaintainer: Praxis <admin@tele.praxis.de>\nDescription: Jitsi-like web files\n"),
        )
        .unwrap();
        std::fs::write(tree.join("usr/share/jitsi-meet/prosody-host.cfg.lua"), lua).unwrap();
    }
    let out = w.dir.path().join("debs");
    let v1 = sandbox::build_deb(&examples, "jitsi-meet-web", "1.0.1-1", &out).unwrap();
    let v2 = sandbox::build_deb(&examples, "jitsi-meet-web", "1.0.2-1", &out).unwrap();
    let sandbox = Sandbox::create(&w.root).unwrap();
    sandbox.install(&[v1]).unwrap();
    w.cmd(&["init"]).assert().success();
    w.cmd(&["track", LUA]).assert().success();
    w.write(LUA, LUA_V1.replace("jitsi-anonymous", "internal_hashed"));
    w.cmd(&["record", "-m", "registered users only"])
        .assert()
        .success();
    sandbox.install(&[v2]).unwrap();

    // Nobody to ask, and nobody needed: the admin's value stays, upstream's other changes come.
    let out = w
        .cmd(&["rebase", "--non-interactive", "--no-restart"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let lua = String::from_utf8(w.read(LUA)).unwrap();
    assert!(lua.contains("\tauthentication = \"internal_hashed\""), "{lua}");
    assert!(
        lua.contains("\tc2s_require_encryption = true"),
        "upstream's other change: {lua}"
    );
    assert!(lua.contains("\"smacks\";"), "{lua}");
    let (code, json) = status_json(&w);
    assert_eq!(code, Some(1), "a notice waits for review: {json}");
    let kept = json["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "kept-yours")
        .unwrap_or_else(|| panic!("{json}"));
    // Named with its block: the main VirtualHost's authentication, not the guest's.
    assert_eq!(
        kept["setting"], "VirtualHost \"tele.praxis.de\" > authentication",
        "{kept}"
    );
    assert_eq!(kept["path"], LUA);
    assert!(
        kept["message"].as_str().unwrap().contains("jitsi-anonymous-v2"),
        "{kept}"
    );
    w.cmd(&["resolve", "--acknowledge"]).assert().code(0);
    w.cmd(&["status"]).assert().code(0);
}
