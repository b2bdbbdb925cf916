//! `apply` and the recipes in `patches/` end to end on the bundled Jitsi-like world, with the real
//! dpkg installing every version: each recipe applies to each version that has its place and stays
//! in effect through the upgrades and rebases after it; a recipe whose place is missing fails with
//! one line and changes nothing; applying twice changes nothing; `--dry-run` writes nothing;
//! `rollback` undoes an apply; `apply --list --json` has its shape.

mod common;

use std::path::Path;

use common::*;
use jitsi_custom::sandbox;

const JICOFO_CONF: &str = "/etc/jitsi/jicofo/jicofo.conf";
/// The recipe whose file only jicofo 1.0.2-1 ships.
const NEEDS_JICOFO_CONF: &str = "5.2.1/jicofo-auth-conf";

/// Every recipe's name, in the guide's order, from `apply --list --json`.
fn all_recipes(w: &World) -> Vec<String> {
    let out = w.cmd(&["apply", "--list", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// The recipes that apply to a version without jicofo.conf.
fn without_jicofo_conf(all: &[String]) -> Vec<String> {
    all.iter().filter(|r| *r != NEEDS_JICOFO_CONF).cloned().collect()
}

fn apply(w: &World, extra: &[&str], recipes: &[String]) -> std::process::Output {
    let mut args: Vec<&str> = vec!["apply"];
    args.extend(extra);
    args.extend(recipes.iter().map(String::as_str));
    w.cmd(&args).output().unwrap()
}

/// `apply --dry-run --json` of the recipes: each recipe's state (`in-effect`, `would-apply`).
fn states(w: &World, recipes: &[String]) -> Vec<(String, String)> {
    let out = apply(w, &["--dry-run", "--json"], recipes);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["recipes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_in_effect(w: &World, recipes: &[String], when: &str) {
    let not: Vec<(String, String)> = states(w, recipes)
        .into_iter()
        .filter(|(_, state)| state != "in-effect")
        .collect();
    assert!(not.is_empty(), "{when}: not in effect: {not:?}");
}

/// Every file under the root and the state dir with its content (lock and stat cache left out).
fn everything(w: &World) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut all = World::snapshot(&w.root);
    all.extend(World::snapshot(&w.state));
    all
}

fn operations(w: &World) -> usize {
    let out = w.cmd(&["log"]).output().unwrap();
    stdout(&out).lines().filter(|l| !l.trim().is_empty()).count()
}

/// A root with the bundled packages installed version by version up to `last` (as upgrades with
/// plain dpkg would leave it), then `init`.
fn world_at(last: &str) -> World {
    let w = World::new();
    for version in sandbox::VERSIONS {
        w.install(version);
        if *version == last {
            break;
        }
    }
    let out = w.cmd(&["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "init at {last}: {}", stderr(&out));
    w
}

#[test]
fn every_recipe_applies_to_every_version_and_twice_is_a_no_op() {
    for version in sandbox::VERSIONS {
        let w = world_at(version);
        let all = all_recipes(&w);
        assert_eq!(all.len(), 20, "{all:?}");
        let recipes = if *version == "1.0.1-1" {
            without_jicofo_conf(&all)
        } else {
            all.clone()
        };
        let out = apply(&w, &[], &recipes);
        assert_eq!(out.status.code(), Some(0), "{version}: {}", stderr(&out));
        assert_in_effect(&w, &recipes, version);
        let out = w.cmd(&["status", "--json"]).output().unwrap();
        let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for file in status["files"].as_array().unwrap() {
            assert_eq!(file["state"], "customised", "{version}: {file}");
        }
        let validate = w.cmd(&["validate"]).output().unwrap();
        assert_eq!(
            validate.status.code(),
            Some(0),
            "{version}: {}",
            stderr(&validate)
        );

        // Twice: nothing changes, no operation is logged.
        let before = everything(&w);
        let ops = operations(&w);
        let out = apply(&w, &[], &recipes);
        assert_eq!(out.status.code(), Some(0), "{version}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).matches("already in effect; nothing to do").count(),
            recipes.len(),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            operations(&w),
            ops,
            "{version}: a second apply logged an operation"
        );
        assert!(
            everything(&w) == before,
            "{version}: a second apply changed files"
        );
    }
}

#[test]
fn recipes_survive_every_upgrade_and_rebase() {
    let w = world_at("1.0.1-1");
    let all = all_recipes(&w);
    let recipes = without_jicofo_conf(&all);
    let out = apply(&w, &[], &recipes);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Spot checks of what the recipes say, in the files.
    let config = w.read_string(MEET_CONFIG);
    for needle in [
        "anonymousdomain: 'guest.tele.praxis.de',",
        "defaultLanguage: 'de',",
        "stunServers: [ { urls: 'stun:tele.praxis.de:3478' } ]",
        "disableThirdPartyRequests: true,",
        "resolution: 480,",
        "ideal: 480,",
        "enableLayerSuspension: true,",
        "channelLastN: 4,",
    ] {
        assert!(config.contains(needle), "{needle}:\n{config}");
    }
    let prosody = w.read_string(PROSODY);
    assert!(prosody.contains("VirtualHost \"tele.praxis.de\"\n    authentication = \"internal_hashed\""));
    assert!(prosody.contains(
        "\n\nVirtualHost \"guest.tele.praxis.de\"\n    authentication = \"anonymous\"\n    c2s_require_encryption = false\n\nComponent"
    ));
    assert!(
        w.read_string(SIP)
            .contains("\norg.jitsi.jicofo.auth.URL=XMPP:tele.praxis.de\n")
    );
    assert!(w.read_string(LOGGING).contains("\n.level=WARNING\n"));
    assert!(
        w.read_string(NGINX_SITE)
            .contains("    ssl_protocols TLSv1.2 TLSv1.3;\n")
    );
    assert!(
        w.read_string(ALL_CSS)
            .contains("overflow:hidden;font-size:13pt;line-height:1.4")
    );
    assert!(
        w.read_string(MAIN_DE)
            .contains("\"headerTitle\": \"Videosprechstunde\"")
    );
    assert!(
        w.read_string(CARD)
            .contains("<h2>Unsere Praxis – Videosprechstunde</h2>")
    );
    let interface = w.read_string(INTERFACE);
    for needle in [
        "APP_NAME: 'Videosprechstunde',",
        "SHOW_JITSI_WATERMARK: false,",
        "GENERATE_ROOMNAMES_ON_WELCOME_PAGE: false,",
        "MOBILE_DOWNLOAD_LINK_ANDROID: 'https://f-droid.org/packages/org.jitsi.meet/',",
    ] {
        assert!(interface.contains(needle), "{needle}");
    }
    let patches = Path::new(env!("CARGO_MANIFEST_DIR")).join("patches/5.2.4");
    assert_eq!(
        w.read("/usr/share/jitsi-meet/images/favicon.ico"),
        std::fs::read(patches.join("favicon.ico")).unwrap()
    );

    for version in &sandbox::VERSIONS[1..] {
        w.install(version);
        let out = w
            .cmd(&["rebase", "--no-restart", "--changed-by-packages", PROSODY])
            .output()
            .unwrap();
        // 1.0.3 rewrites the welcome card the recipe replaced: parked, the practice's card live.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{version}: {}",
            stderr(&out)
        );
        assert_in_effect(&w, &recipes, version);
        if *version == "1.0.2-1" {
            // jicofo.conf arrives with 1.0.2: now its recipe applies, and carries on.
            let conf = [NEEDS_JICOFO_CONF.to_string()];
            let out = apply(&w, &[], &conf);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            assert!(stderr(&out).contains("tracking /etc/jitsi/jicofo/jicofo.conf"));
            let text = w.read_string(JICOFO_CONF);
            assert!(
                text.contains(
                    "  authentication {\n    enabled = true\n    type = XMPP\n    login-url = \"tele.praxis.de\"\n  }\n}\n"
                ),
                "{text}"
            );
        }
        if *version != "1.0.1-1" {
            assert_in_effect(&w, &[NEEDS_JICOFO_CONF.to_string()], version);
        }
    }
    // The new upstream content came in where nothing collides (1.0.2's new options, 1.0.4's
    // new Prosody component).
    assert!(w.read_string(MEET_CONFIG).contains("enableCodecSelectionAPI"));
    assert!(w.read_string(PROSODY).contains("room_metadata_component"));
}

#[test]
fn a_recipe_whose_place_is_missing_fails_cleanly_and_changes_nothing() {
    let w = world_at("1.0.1-1");
    let all = all_recipes(&w);
    let before = everything(&w);
    // 1.0.1's jicofo has no jicofo.conf; together with a recipe that would apply, nothing of
    // either happens.
    let out = w
        .cmd(&["apply", "5.2.2/default-language", NEEDS_JICOFO_CONF])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "error: 5.2.1/jicofo-auth-conf cannot apply to this version: /etc/jitsi/jicofo/jicofo.conf: the file is missing; nothing was changed\nhint: this jicofo has no jicofo.conf yet: apply 5.2.1/jicofo-auth-url instead\n"
        ),
        "{err}"
    );
    assert!(everything(&w) == before, "a failed apply changed files");

    // A block missing inside a file that is there: the Prosody file without the domain's
    // VirtualHost (an unrecorded edit, which a failing apply does not record either).
    let prosody = w
        .read_string(PROSODY)
        .replace("VirtualHost \"tele.praxis.de\"", "VirtualHost \"other.example\"");
    w.write(PROSODY, &prosody);
    let before = everything(&w);
    let out = w.cmd(&["apply", "5.2.1/prosody-internal-auth"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: 5.2.1/prosody-internal-auth cannot apply to this version: /etc/prosody/conf.avail/tele.praxis.de.cfg.lua: the block VirtualHost \"tele.praxis.de\" is missing; nothing was changed\n"),
        "{}",
        stderr(&out)
    );
    assert!(everything(&w) == before);
    let out = w
        .cmd(&["apply", "--dry-run", "5.2.1/prosody-guest-host"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the section VirtualHost \"tele.praxis.de\" is missing"));
    assert!(everything(&w) == before);
    assert_eq!(all.len(), 20);
}

#[test]
fn dry_run_shows_the_diff_and_writes_nothing() {
    let w = world_at("1.0.2-1");
    let all = all_recipes(&w);
    let before = everything(&w);
    let out = apply(&w, &["--dry-run"], &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(
        diff.contains("--- a/etc/jitsi/meet/tele.praxis.de-config.js\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-    // defaultLanguage: 'en',\n+    defaultLanguage: 'de',\n"),
        "{diff}"
    );
    assert!(diff.contains("+VirtualHost \"guest.tele.praxis.de\"\n"), "{diff}");
    // The minified CSS is shown one rule a line.
    assert!(diff.contains("\n+.chatconversation{display:flex;"), "{diff}");
    assert!(
        diff.contains("Binary files a/usr/share/jitsi-meet/images/favicon.ico"),
        "{diff}"
    );
    let err = stderr(&out);
    assert!(err.contains("would track /etc/jitsi/jicofo/jicofo.conf"), "{err}");
    assert!(err.contains("would apply 5.2.2/default-language: /etc/jitsi/meet/tele.praxis.de-config.js"));
    assert!(everything(&w) == before, "--dry-run wrote something");
}

#[test]
fn rollback_undoes_an_apply_and_values_come_from_set() {
    let w = world_at("1.0.2-1");
    let before = World::snapshot(&w.root);
    let recipes = ["5.2.4/interface-config", "5.2.4/welcome-card", NEEDS_JICOFO_CONF];
    let out = w
        .cmd(&[
            "apply",
            "--set",
            "app_name=Praxis Sommer's Videosprechstunde",
            "--set",
            "practice_name=Logopädie <Sommer> & Partner",
            "--no-restart",
            recipes[0],
            recipes[1],
            recipes[2],
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        w.read_string(INTERFACE)
            .contains("APP_NAME: 'Praxis Sommer\\'s Videosprechstunde',")
    );
    assert!(
        w.read_string(CARD)
            .contains("<h2>Logopädie &lt;Sommer&gt; &amp; Partner – Videosprechstunde</h2>")
    );
    // Upstream's explanation at the top of the card stays.
    assert!(w.read_string(CARD).starts_with("<!--\n"));
    let log = stdout(&w.cmd(&["log"]).output().unwrap());
    let kinds: Vec<&str> = log.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert_eq!(kinds[..3], ["apply", "track", "init"], "{log}");
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<String> = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["customisations"].as_array().unwrap().clone())
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    for recipe in recipes {
        assert!(
            names.iter().any(|n| n == recipe),
            "{recipe} not recorded: {names:?}"
        );
    }

    let out = w.cmd(&["rollback"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        World::snapshot(&w.root) == before,
        "rollback left the apply's changes"
    );

    // Unknown and bad values are refused before anything happens.
    for (set, message) in [
        ("colour=red", "--set colour: no recipe here asks for colour"),
        ("app_name=two\nlines", "holds a control character"),
    ] {
        let out = w
            .cmd(&["apply", "--set", set, "5.2.4/interface-config"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{set}");
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }
    assert!(World::snapshot(&w.root) == before);
}

#[test]
fn list_json_names_each_recipe_with_its_description_and_targets() {
    let w = world_at("1.0.1-1");
    let out = w.cmd(&["apply", "--list", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 20);
    for recipe in list {
        let object = recipe.as_object().unwrap();
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["description", "name", "targets"], "{recipe}");
        let name = recipe["name"].as_str().unwrap();
        let (section, what) = name.split_once('/').unwrap();
        assert!(section.starts_with("5.2."), "{name}");
        assert!(
            what.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name}"
        );
        let description = recipe["description"].as_str().unwrap();
        assert!(!description.is_empty() && !description.contains('\n'));
        for target in recipe["targets"].as_array().unwrap() {
            let target = target.as_str().unwrap();
            assert!(
                target.starts_with('/') && !target.contains("{domain}"),
                "{target}"
            );
        }
    }
    // The guide's order: sections in turn, the Prosody steps first.
    let names: Vec<&str> = list.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "5.2.1/prosody-internal-auth");
    assert_eq!(names[19], "5.2.4/watermark");
    let site = list.iter().find(|r| r["name"] == "5.2.3/nginx-tls").unwrap();
    assert_eq!(site["targets"], serde_json::json!([NGINX_SITE]));

    // Without a Jitsi installation the domain stays a placeholder; the text list is one a line.
    let bare = World::new();
    let out = bare.cmd(&["apply", "--list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["targets"][0], "/etc/prosody/conf.avail/{domain}.cfg.lua");
    let out = bare.cmd(&["apply", "--list"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 20);
    assert!(
        text.lines().any(|l| l.starts_with("5.2.2/default-language  ")),
        "{text}"
    );
}

#[test]
fn a_recipe_file_of_ones_own_applies_by_path() {
    let w = world_at("1.0.1-1");
    let dir = w.dir.path().join("mine/5.2.9");
    std::fs::create_dir_all(&dir).unwrap();
    let recipe = dir.join("start-muted.toml");
    std::fs::write(
        &recipe,
        "description = \"config.js: start with audio muted\"\n\n[[op]]\nkind = \"js-set\"\nfile = \"/etc/jitsi/meet/{domain}-config.js\"\npath = \"startWithAudioMuted\"\nvalue = true\n",
    )
    .unwrap();
    let out = w.cmd(&["apply", recipe.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("applied 5.2.9/start-muted"));
    assert!(
        w.read_string(MEET_CONFIG)
            .contains("    startWithAudioMuted: true,\n")
    );

    // A typo in a placeholder is found when the recipe is read.
    std::fs::write(
        &recipe,
        "description = \"x\"\n\n[[op]]\nkind = \"js-set\"\nfile = \"/etc/jitsi/meet/{domian}-config.js\"\npath = \"x\"\nvalue = 1\n",
    )
    .unwrap();
    let out = w.cmd(&["apply", recipe.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("uses the placeholder {domian} without declaring it"));
    let out = w.cmd(&["apply", "5.2.2/no-such-recipe"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no recipe named \"5.2.2/no-such-recipe\""));
}

#[test]
fn applying_again_with_other_values_changes_the_customisation_of_that_name() {
    let w = world_at("1.0.1-1");
    let customisations = |w: &World, path: &str| -> Vec<String> {
        let out = w.cmd(&["status", "--json"]).output().unwrap();
        let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        status["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap()["customisations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    let run = |args: &[&str]| {
        let out = w.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    };
    // Alone on its file: amended in place.
    run(&["apply", "5.2.4/chat-font-size"]);
    run(&["apply", "--set", "chat_font_size=15pt", "5.2.4/chat-font-size"]);
    assert!(
        w.read_string(ALL_CSS)
            .contains("overflow:hidden;font-size:15pt;line-height")
    );
    assert_eq!(customisations(&w, ALL_CSS), ["5.2.4/chat-font-size"]);
    // Another customisation changed the file since: the new values go on top, same name.
    run(&["apply", "--set", "app_name=Praxis A", "5.2.4/interface-config"]);
    run(&["apply", "5.2.2/f-droid-link"]);
    run(&["apply", "--set", "app_name=Praxis B", "5.2.4/interface-config"]);
    let interface = w.read_string(INTERFACE);
    assert!(interface.contains("APP_NAME: 'Praxis B',"), "{interface}");
    assert!(interface.contains("https://f-droid.org/packages/org.jitsi.meet/"));
    assert_eq!(
        customisations(&w, INTERFACE),
        [
            "5.2.4/interface-config",
            "5.2.2/f-droid-link",
            "5.2.4/interface-config"
        ]
    );
    let out = w
        .cmd(&["apply", "--set", "app_name=Praxis B", "5.2.4/interface-config"])
        .output()
        .unwrap();
    assert!(stderr(&out).contains("already in effect"));
}

#[test]
fn placeholders_are_asked_on_a_terminal() {
    let w = world_at("1.0.1-1");
    let mut session = w.pty(&["apply", "5.2.4/interface-config", "5.2.4/german-texts"], &[]);
    // Asked once for both recipes, the default offered; the second question is taken as offered.
    session
        .exp_string("Name shown in the browser tab and on the welcome page (app_name)")
        .expect("the question for app_name");
    session.send_line("Praxis am Markt").unwrap();
    session.flush().unwrap();
    session
        .exp_string("Subtitle on the welcome page (subtitle)")
        .expect("the question for subtitle");
    session.send_line("").unwrap();
    session.flush().unwrap();
    let output = session.exp_eof().expect("apply ends");
    assert!(output.contains("applied 5.2.4/german-texts"), "{output}");
    assert!(w.read_string(INTERFACE).contains("APP_NAME: 'Praxis am Markt',"));
    let texts = w.read_string(MAIN_DE);
    assert!(texts.contains("\"headerTitle\": \"Praxis am Markt\""), "{texts}");
    assert!(texts.contains(
        "\"headerSubtitle\": \"Ihr Termin bei uns – sicher, verschlüsselt und ohne Installation\""
    ));
}
