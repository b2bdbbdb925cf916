//! Never weaker (DESIGN invariant 7): after a `rebase` that nobody attends, every customisation
//! that was in effect before is still in effect on the live file, and upstream's changes that do
//! not collide with it are live too — whether the merge settles it by itself or a decision is
//! parked with a fallback. Each case is a real-sized Jitsi file (the bundled packages' config.js,
//! Prosody template, `main-de.json`, one-line `all.css`) shipped by a package of its own, installed
//! and upgraded with the real dpkg, customised as the admin guide does, with an upstream change
//! that collides with the customisation in one place.

mod common;

use common::*;

/// A file of a bundled package, as text.
fn bundled(package: &str, version: &str, path: &str) -> String {
    String::from_utf8(shipped(package, version, path)).unwrap()
}

/// Replaces `from` with `to`, insisting that `from` is there.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found");
    text.replacen(from, to, 1)
}

struct Carried {
    world: World,
    live: String,
    stdout: String,
    code: Option<i32>,
}

/// `base` installed with dpkg and tracked, customised to `local` and recorded as "praxis", then
/// dpkg upgrades the file to `upstream` and `rebase` runs without a terminal.
fn carry(path: &str, base: &str, local: &str, upstream: &str) -> Carried {
    let world = World::jitsi_customised();
    let sandbox = world.sandbox();
    sandbox
        .install(&[one_file_deb(
            world.dir.path(),
            "jitsi-meet-extra",
            "1.0-1",
            path,
            base.as_bytes(),
            "xz",
        )])
        .unwrap();
    world.cmd(&["track", path]).assert().code(0);
    world.write(path, local);
    world.cmd(&["record", "-m", "praxis", path]).assert().code(0);
    sandbox
        .install(&[one_file_deb(
            world.dir.path(),
            "jitsi-meet-extra",
            "2.0-1",
            path,
            upstream.as_bytes(),
            "xz",
        )])
        .unwrap();
    assert_eq!(
        world.read_string(path),
        upstream,
        "dpkg did not overwrite the file"
    );
    let out = world
        .cmd(&["--non-interactive", "rebase", "--no-restart"])
        .output()
        .unwrap();
    let stdout = stdout(&out) + &stderr(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stdout}");
    let live = world.read_string(path);
    assert!(
        !live.contains("<<<<<<<") && !live.contains(">>>>>>>"),
        "conflict markers went live:\n{live}"
    );
    world.cmd(&["validate", path]).assert().code(0);
    Carried {
        live,
        stdout,
        code: out.status.code(),
        world,
    }
}

fn status_json(w: &World) -> serde_json::Value {
    serde_json::from_slice(&w.cmd(&["status", "--json"]).output().unwrap().stdout).unwrap()
}

/// Whatever was decided without a person is on the review list, naming the customisation.
fn assert_reviewable(carried: &Carried, path: &str) {
    let json = status_json(&carried.world);
    let named = |list: &serde_json::Value, key: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == path && e[key] == "praxis")
    };
    if carried.code == Some(1) {
        assert!(named(&json["parked"], "customisation"), "{json}");
        assert!(named(&json["notices"], "customisation"), "{json}");
        let file = json["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap();
        assert_eq!(file["customisations"], serde_json::json!(["praxis"]), "{json}");
    }
}

const CONFIG: &str = "/etc/jitsi/meet/extra.praxis.de-config.js";

#[test]
fn an_admin_comment_beside_settings_next_to_a_reworded_upstream_comment_keeps_every_setting() {
    // Regression (never weaker): the admin's added comment made the js-config merge fall back to
    // a line merge, which conflicted on the comment upstream reworded next to it, and the whole
    // customisation of config.js went out: defaultLanguage, STUN, third-party requests, 480p,
    // layer suspension and lastN all stopped working.
    let domain = |t: String| t.replace("jitsi-meet.example.com", "extra.praxis.de");
    let template = "/usr/share/jitsi-meet-web-config/config.js";
    let base = domain(bundled("jitsi-meet-web-config", "1.0.1-1", template));
    let mut local = base.clone();
    for (from, to) in [
        ("    // resolution: 720,", "    resolution: 480,"),
        (
            "    // requested again.\n    // enableLayerSuspension: false,",
            "    // requested again.\n    // Praxis: weniger Bandbreite\n    enableLayerSuspension: true,",
        ),
        ("    // defaultLanguage: 'en',", "    defaultLanguage: 'de',"),
        ("    channelLastN: -1,", "    channelLastN: 4,"),
        (
            "    // disableThirdPartyRequests: false,",
            "    disableThirdPartyRequests: true,",
        ),
    ] {
        local = edit(&local, from, to);
    }
    let upstream = edit(
        &domain(bundled("jitsi-meet-web-config", "1.0.2-1", template)),
        "    // requested again.\n",
        "    // requested again by the receiver.\n",
    );
    let carried = carry(CONFIG, &base, &local, &upstream);
    let value = |path: &str| {
        jitsi_custom::merge::active_value(carried.live.as_bytes(), path)
            .unwrap_or_else(|e| panic!("{path}: {e}\n{}", carried.live))
    };
    assert_eq!(
        value("defaultLanguage").as_deref(),
        Some("'de'"),
        "{}",
        carried.stdout
    );
    assert_eq!(value("resolution").as_deref(), Some("480"));
    assert_eq!(value("enableLayerSuspension").as_deref(), Some("true"));
    assert_eq!(value("channelLastN").as_deref(), Some("4"));
    assert_eq!(value("disableThirdPartyRequests").as_deref(), Some("true"));
    // Upstream's changes that do not collide are live.
    assert_eq!(value("testing.enableCodecSelectionAPI").as_deref(), Some("true"));
    assert!(
        carried
            .live
            .contains("// Hides the conference timer in the header.")
    );
    assert!(carried.live.contains("// disableReactionsModeration: false,"));
    assert_reviewable(&carried, CONFIG);
}

const PROSODY: &str = "/etc/prosody/conf.avail/extra.praxis.de.cfg.lua";

#[test]
fn both_changing_prosody_authentication_leaves_the_server_closed_to_strangers() {
    // Regression (never weaker): a parked conflict on the `authentication` line put upstream's
    // anonymous authentication live and dropped the guest VirtualHost.
    let template = "/usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example";
    let base = bundled("jitsi-meet-prosody", "1.0.1-1", template);
    let local = edit(
        &edit(
            &base,
            "    authentication = \"jitsi-anonymous\" -- do not delete me\n",
            "    authentication = \"internal_hashed\"\n",
        ),
        "Component \"conference.jitmeet.example.com\" \"muc\"\n",
        "VirtualHost \"guest.jitmeet.example.com\"\n    authentication = \"anonymous\"\n    c2s_require_encryption = false\n\nComponent \"conference.jitmeet.example.com\" \"muc\"\n",
    );
    // Upstream re-indents with tabs, adds a setting, and rewords the comment on the very line
    // the practice changed.
    let upstream = edit(
        &bundled("jitsi-meet-prosody", "1.0.2-1", template),
        "\tauthentication = \"jitsi-anonymous\" -- do not delete me\n",
        "\tauthentication = \"jitsi-anonymous\" -- do not change this\n",
    );
    let carried = carry(PROSODY, &base, &local, &upstream);
    let main_host = carried
        .live
        .split("VirtualHost \"")
        .find(|block| block.starts_with("jitmeet.example.com\""))
        .unwrap_or_else(|| panic!("no main VirtualHost:\n{}", carried.live));
    assert!(
        main_host.contains("authentication = \"internal_hashed\""),
        "the main VirtualHost is open to anyone:\n{}\n{}",
        carried.live,
        carried.stdout
    );
    assert!(!main_host.contains("jitsi-anonymous"), "{}", carried.live);
    assert!(
        carried.live.contains("VirtualHost \"guest.jitmeet.example.com\""),
        "{}",
        carried.live
    );
    assert!(
        carried.live.contains("smacks_max_unacked_stanzas = 5;"),
        "{}",
        carried.live
    );
    assert_reviewable(&carried, PROSODY);
}

const MAIN_DE_EXTRA: &str = "/usr/share/jitsi-meet/lang/main-extra.json";

#[test]
fn a_conflict_on_one_json_key_does_not_take_the_practices_other_keys() {
    // Regression (never weaker): both changed `headerSubtitle`, and the conflict also took out
    // the unconflicted `headerTitle`.
    let lang = "/usr/share/jitsi-meet/lang/main-de.json";
    let base = bundled("jitsi-meet-web", "1.0.1-1", lang);
    let local = edit(
        &edit(
            &base,
            "\"headerTitle\": \"Jitsi Meet\"",
            "\"headerTitle\": \"Praxis Videosprechstunde\"",
        ),
        "\"headerSubtitle\": \"Sichere und hochqualitative Meetings\"",
        "\"headerSubtitle\": \"Logopädie Sommer – sicher und vertraulich\"",
    );
    let upstream = edit(
        &bundled("jitsi-meet-web", "1.0.2-1", lang),
        "\"headerSubtitle\": \"Sichere und hochqualitative Meetings\"",
        "\"headerSubtitle\": \"Sichere Meetings in hoher Qualität\"",
    );
    let carried = carry(MAIN_DE_EXTRA, &base, &local, &upstream);
    let json: serde_json::Value = serde_json::from_str(&carried.live).unwrap();
    assert_eq!(
        json["welcomepage"]["headerTitle"], "Praxis Videosprechstunde",
        "{}",
        carried.stdout
    );
    assert_eq!(
        json["welcomepage"]["headerSubtitle"],
        "Logopädie Sommer – sicher und vertraulich"
    );
    // 1.0.2's new keys are live.
    assert!(
        json["welcomepage"]["recentMeetings"].is_string(),
        "{}",
        carried.live
    );
    assert!(json["breakoutRooms"].is_object());
    assert_reviewable(&carried, MAIN_DE_EXTRA);
}

const CSS_EXTRA: &str = "/usr/share/jitsi-meet/css/extra.min.css";

#[test]
fn a_css_rule_conflict_does_not_take_an_unrelated_rule_edit() {
    // Regression (never weaker): one CSS rule conflict took out the practice's unrelated chat
    // font size.
    let css = "/usr/share/jitsi-meet/css/all.css";
    let base = bundled("jitsi-meet-web", "1.0.1-1", css);
    let watermark = ".welcome-watermark{position:absolute;width:100%;height:100%;z-index:2;";
    let local = edit(
        &edit(
            &base,
            "overflow:hidden;font-size:10pt;line-height:1.4",
            "overflow:hidden;font-size:13pt;line-height:1.4",
        ),
        watermark,
        ".welcome-watermark{position:absolute;width:100%;z-index:2;",
    );
    let upstream = edit(
        &bundled("jitsi-meet-web", "1.0.2-1", css),
        watermark,
        ".welcome-watermark{position:absolute;width:100%;height:100%;max-height:12rem;z-index:3;",
    );
    let carried = carry(CSS_EXTRA, &base, &local, &upstream);
    assert_eq!(
        carried.live.lines().count(),
        1,
        "still one line:\n{}",
        carried.stdout
    );
    assert!(
        carried
            .live
            .contains("overflow:hidden;font-size:13pt;line-height:1.4"),
        "the chat font size is gone:\n{}",
        carried.stdout
    );
    let rule = carried
        .live
        .split(".welcome-watermark{")
        .nth(1)
        .and_then(|r| r.split('}').next())
        .unwrap();
    assert!(
        !rule.contains("height:100%"),
        "the practice's watermark edit is gone: {rule}"
    );
    // Upstream's 1.0.2 changes to other rules are live.
    let upstream_only = bundled("jitsi-meet-web", "1.0.2-1", css);
    assert!(upstream_only.contains(".reactions-animations-container"));
    assert!(
        carried.live.contains(".reactions-animations-container"),
        "{}",
        carried.stdout
    );
    assert_reviewable(&carried, CSS_EXTRA);
}

#[test]
fn a_key_upstreams_own_translation_repeats_does_not_hold_the_practices_texts_back() {
    // Real main-de.json releases repeated a key in one object; browsers read the last one. The
    // merge carries upstream's repeat (and adds none); validation must not then refuse the file
    // and put the practice's texts out of effect.
    let lang = "/usr/share/jitsi-meet/lang/main-de.json";
    let repeat = "\"welcomepage\": {\n";
    let with_repeat = |text: String| edit(&text, repeat, "\"welcomepage\": {\n        \"go\": \"LOS\",\n");
    let base = bundled("jitsi-meet-web", "1.0.1-1", lang);
    let local = edit(
        &base,
        "\"headerTitle\": \"Jitsi Meet\"",
        "\"headerTitle\": \"Praxis Videosprechstunde\"",
    );
    let upstream = with_repeat(bundled("jitsi-meet-web", "1.0.2-1", lang));
    let upstream_value: serde_json::Value = serde_json::from_str(&upstream).unwrap();
    assert!(
        upstream.matches("\"go\":").count() >= 2,
        "the fixture repeats \"go\""
    );
    let carried = carry(MAIN_DE_EXTRA, &base, &local, &upstream);
    assert_eq!(carried.code, Some(0), "{}", carried.stdout);
    let json: serde_json::Value = serde_json::from_str(&carried.live).unwrap();
    assert_eq!(json["welcomepage"]["headerTitle"], "Praxis Videosprechstunde");
    assert_eq!(json["welcomepage"]["go"], upstream_value["welcomepage"]["go"]);
    assert_eq!(
        carried.live.matches("\"go\":").count(),
        upstream.matches("\"go\":").count(),
        "no repeat of its own"
    );
    let status = status_json(&carried.world);
    assert_eq!(status["parked"], serde_json::json!([]), "{status}");
}
