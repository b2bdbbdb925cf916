//! Settings Jitsi moved from interface_config.js to config.js, through the whole rebase: parked
//! with a hint naming the new key when nobody is there, carried into config.js when the admin
//! says so at the prompt (typed through a real pseudo-terminal).

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

#[test]
fn without_a_terminal_a_moved_setting_is_parked_with_its_new_key() {
    let w = upgraded_world();
    let out = w.cmd(&["rebase", "--non-interactive"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let status = w.cmd(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let reasons = json["parked"][0]["reasons"].to_string();
    assert!(reasons.contains("toolbarConfig.alwaysVisible"), "{reasons}");
    assert!(reasons.contains("deeplinking.android.downloadLink"), "{reasons}");
    let live = String::from_utf8(w.read(INTERFACE)).unwrap();
    assert!(!live.contains("<<<<<<<"), "no markers go live");
    assert!(
        live.contains("MOBILE_DOWNLOAD_LINK_F_DROID"),
        "upstream's 1.0.2 content is live"
    );
}

#[test]
fn at_the_prompt_a_moved_setting_is_carried_into_config_js() {
    let w = upgraded_world();
    let mut session = w.pty(&["rebase", "--no-restart"], &[]);
    for key in ["MOBILE_DOWNLOAD_LINK_ANDROID", "TOOLBAR_ALWAYS_VISIBLE"] {
        session.exp_string(&format!("upstream moved `{key}`")).unwrap();
        session.exp_string("carry the value").unwrap();
        // The first choice, carrying the value over, is preselected: Enter takes it.
        session.send("\r").unwrap();
        session.flush().unwrap();
    }
    session.exp_eof().unwrap();
    match session.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("unexpected end: {other:?}"),
    }
    let config = String::from_utf8(w.read(CONFIG)).unwrap();
    assert!(config.contains("alwaysVisible: true"), "{config}");
    assert!(
        config.contains("https://f-droid.org/de/packages/org.jitsi.meet/"),
        "{config}"
    );
    let interface = String::from_utf8(w.read(INTERFACE)).unwrap();
    assert!(
        interface.contains("APP_NAME: 'Praxis Video'"),
        "the other settings carried"
    );
    assert!(interface.contains("SHOW_JITSI_WATERMARK: false"));
    w.cmd(&["status"]).assert().code(0);
    w.cmd(&["validate"]).assert().code(0);
}

const LUA: &str = "/usr/share/jitsi-meet/prosody-host.cfg.lua";
const LUA_V1: &str = "VirtualHost \"tele.praxis.de\"\n    authentication = \"jitsi-anonymous\"\n    c2s_require_encryption = false\n    modules_enabled = {\n        \"bosh\";\n        \"ping\";\n    }\n";
const LUA_V2: &str = "VirtualHost \"tele.praxis.de\"\n\tauthentication = \"jitsi-anonymous-v2\"\n\tc2s_require_encryption = true\n\tmodules_enabled = {\n\t\t\"bosh\";\n\t\t\"ping\";\n\t\t\"smacks\";\n\t}\n";

#[test]
fn a_setting_both_sides_changed_is_asked_about_by_name() {
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

    let mut session = w.pty(&["rebase", "--no-restart"], &[]);
    session.exp_string("both changed `authentication`").unwrap();
    session.exp_string("keep yours").unwrap();
    // "keep yours" is preselected.
    session.send("\r").unwrap();
    session.flush().unwrap();
    session.exp_eof().unwrap();
    let lua = String::from_utf8(w.read(LUA)).unwrap();
    assert!(lua.contains("\tauthentication = \"internal_hashed\""), "{lua}");
    assert!(
        lua.contains("\tc2s_require_encryption = true"),
        "upstream's other change: {lua}"
    );
    assert!(lua.contains("\"smacks\";"), "{lua}");
    w.cmd(&["status"]).assert().code(0);
}
