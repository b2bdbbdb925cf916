//! `init`, `status` and `diff` on sandbox roots whose dpkg database is real: the bundled example
//! packages are built with `dpkg-deb` and installed (and upgraded) with `dpkg --root`, so every
//! file state comes from what dpkg really records (`info/<pkg>.md5sums`, `Conffiles:`, holds,
//! `.dpkg-dist`) and where init finds pristine content (dpkg, `.BKP`, apt's cache, templates).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

use common::{World, stderr, stdout};
use jitsi_custom::sandbox::{self, DEMO_DOMAIN, Sandbox};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

const INTERFACE: &str = "/usr/share/jitsi-meet/interface_config.js";
const CARD: &str = "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html";
const MAIN_DE: &str = "/usr/share/jitsi-meet/lang/main-de.json";
const ALL_CSS: &str = "/usr/share/jitsi-meet/css/all.css";
const FAVICON: &str = "/usr/share/jitsi-meet/images/favicon.ico";
const WATERMARK: &str = "/usr/share/jitsi-meet/images/watermark.svg";
const LOGGING: &str = "/etc/jitsi/videobridge/logging.properties";
const SIP: &str = "/etc/jitsi/jicofo/sip-communicator.properties";

const OLD: &str = "1.0.1-1";
const NEW: &str = "1.0.2-1";

fn meet_config(domain: &str) -> String {
    format!("/etc/jitsi/meet/{domain}-config.js")
}

fn prosody_config(domain: &str) -> String {
    format!("/etc/prosody/conf.avail/{domain}.cfg.lua")
}

fn nginx_site(domain: &str) -> String {
    format!("/etc/nginx/sites-available/{domain}.conf")
}

/// The bundled packages of 1.0.1-1 and 1.0.2-1, built once per test binary.
fn debs(version: &str) -> &'static [PathBuf] {
    static DEBS: OnceLock<BTreeMap<&'static str, Vec<PathBuf>>> = OnceLock::new();
    let all = DEBS.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status_dpkg-debs");
        [OLD, NEW]
            .into_iter()
            .map(|v| {
                let debs = sandbox::build_version(&sandbox::examples_dir(), v, &out.join(v))
                    .unwrap_or_else(|e| panic!("building {v}: {e:#}"));
                (v, debs)
            })
            .collect()
    });
    &all[version]
}

/// One built package.
fn deb(package: &str, version: &str) -> PathBuf {
    let name = format!("{package}_{version}_all.deb");
    debs(version)
        .iter()
        .find(|d| d.file_name().is_some_and(|n| n == name.as_str()))
        .unwrap_or_else(|| panic!("{name} is not built"))
        .clone()
}

/// A sandbox with every 1.0.1-1 package freshly installed, for the demo domain.
fn installed() -> World {
    World::with_packages(debs(OLD), |_| {})
}

/// What a package version ships at an install path (its tree under `examples/packages`).
fn shipped(package: &str, version: &str, install_path: &str) -> Vec<u8> {
    let path = sandbox::examples_dir()
        .join("packages")
        .join(package)
        .join(version)
        .join(install_path.trim_start_matches('/'));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The admin guide's finished version of a live file (`examples/customisations`).
fn guide(install_path: &str) -> Vec<u8> {
    let path = sandbox::examples_dir()
        .join("customisations")
        .join(install_path.trim_start_matches('/'));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `init --json`, which must succeed; its report.
fn init(w: &World, args: &[&str]) -> Value {
    let mut all = vec!["--json", "init"];
    all.extend_from_slice(args);
    let out = w.cmd(&all).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "init: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One file's entry in the `init --json` report.
fn adopted<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {report:#}"))
}

/// `status --json`: exit code and the document.
fn status(w: &World) -> (i32, Value) {
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("status --json: {e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), json)
}

/// Every tracked file's state from `status --json`.
fn states(json: &Value) -> BTreeMap<String, String> {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn state_of(json: &Value, path: &str) -> String {
    states(json)
        .remove(path)
        .unwrap_or_else(|| panic!("{path} not tracked: {json:#}"))
}

fn package_of<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {json:#}"))
}

/// stdout of `diff ARGS…`, which must succeed.
fn diff(w: &World, args: &[&str]) -> String {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    let out = w.cmd(&all).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "diff: {}", stderr(&out));
    stdout(&out)
}

/// The removed and the added lines of a unified diff, without headers.
fn changed_lines(unified: &str) -> (Vec<String>, Vec<String>) {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for line in unified.lines() {
        if line.starts_with("--- a/") || line.starts_with("+++ b/") {
            continue;
        }
        if let Some(rest) = line.strip_prefix('-') {
            removed.push(rest.to_string());
        } else if let Some(rest) = line.strip_prefix('+') {
            added.push(rest.to_string());
        }
    }
    (removed, added)
}

/// The lines an edit from `old` to `new` removes and adds.
fn edit_lines(old: &[u8], new: &[u8]) -> (Vec<String>, Vec<String>) {
    let (old, new) = (
        std::str::from_utf8(old).unwrap(),
        std::str::from_utf8(new).unwrap(),
    );
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in TextDiff::from_lines(old, new).iter_all_changes() {
        let line = change.value().trim_end_matches('\n').to_string();
        match change.tag() {
            ChangeTag::Delete => removed.push(line),
            ChangeTag::Insert => added.push(line),
            ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

/// Runs the real dpkg on the sandbox (never on the host's database or log).
fn dpkg(w: &World, args: &[&str], input: &str) {
    use std::io::Write;
    let sandbox = w.sandbox();
    let mut child = std::process::Command::new("dpkg")
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .arg(format!("--root={}", sandbox.root.display()))
        .arg(format!("--admindir={}", sandbox.admindir().display()))
        .arg(format!("--log={}", sandbox.dpkg_log().display()))
        .arg("--force-not-root")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "dpkg {args:?}: {}", stderr(&out));
}

#[test]
fn a_fresh_install_is_clean_everywhere() {
    let w = installed();
    let report = init(&w, &[]);
    assert_eq!(report["domain"], DEMO_DOMAIN);
    for file in report["files"].as_array().unwrap() {
        assert_eq!(file["customised"], false, "{file}");
        let expected = if file["path"].as_str().unwrap().starts_with("/usr/share/")
            || [SIP, LOGGING].contains(&file["path"].as_str().unwrap())
        {
            "dpkg"
        } else {
            "template"
        };
        assert_eq!(file["source"], expected, "{file}");
    }
    let (code, json) = status(&w);
    assert_eq!(code, 0);
    let states = states(&json);
    assert_eq!(states.len(), 11, "the profile's files: {states:?}");
    assert!(states.values().all(|s| s == "clean"), "{states:?}");
    assert_eq!(diff(&w, &[]), "", "no customisation yet");
}

#[test]
fn an_edit_is_unrecorded_until_recorded_then_customised() {
    let w = installed();
    init(&w, &[]);
    w.write(INTERFACE, guide(INTERFACE));
    let (code, json) = status(&w);
    assert_eq!(code, 1, "an unrecorded edit needs attention");
    assert_eq!(state_of(&json, INTERFACE), "unrecorded");
    assert!(diff(&w, &["--live"]).contains("+    APP_NAME: 'Praxis Videosprechstunde',"));

    w.cmd(&["record", "-m", "practice branding"]).assert().success();
    let (code, json) = status(&w);
    assert_eq!(code, 0);
    assert_eq!(state_of(&json, INTERFACE), "customised");
    let file = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == INTERFACE)
        .unwrap();
    assert_eq!(file["customisations"], serde_json::json!(["practice branding"]));
    assert_eq!(file["package"], "jitsi-meet-web");
    let others: Vec<_> = states(&json)
        .into_iter()
        .filter(|(p, s)| p != INTERFACE && s != "clean")
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

#[test]
fn customisations_made_before_init_are_found_with_the_packages_in_apts_cache() {
    let w = installed();
    for deb in debs(OLD) {
        w.sandbox().cache_deb(deb).unwrap();
    }
    let customised = w
        .sandbox()
        .apply_customisations(&sandbox::examples_dir())
        .unwrap();
    let report = init(&w, &[]);
    let (code, json) = status(&w);
    assert_eq!(code, 0, "{json:#}");
    for (path, state) in states(&json) {
        let is_customised = customised.contains(&path);
        assert_eq!(adopted(&report, &path)["customised"], is_customised, "{path}");
        assert_eq!(
            state,
            if is_customised { "customised" } else { "clean" },
            "{path}"
        );
    }
    assert_eq!(customised.len(), 11, "every profile file: {customised:?}");
    // The share files and conffiles were pristine in the cached packages.
    for path in [
        INTERFACE, CARD, MAIN_DE, ALL_CSS, FAVICON, WATERMARK, LOGGING, SIP,
    ] {
        assert_eq!(adopted(&report, path)["source"], "deb-cache", "{path}");
    }
}

#[test]
fn a_package_upgrade_over_a_customised_share_file_is_overwritten() {
    let w = installed();
    init(&w, &[]);
    w.write(INTERFACE, guide(INTERFACE));
    w.cmd(&["record", "-m", "practice branding"]).assert().success();

    w.sandbox().install(&[deb("jitsi-meet-web", NEW)]).unwrap();
    assert_eq!(w.read(INTERFACE), shipped("jitsi-meet-web", NEW, INTERFACE));
    let out = w.cmd(&["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "overwritten needs attention");
    let line = stdout(&out)
        .lines()
        .find(|l| l.starts_with(INTERFACE))
        .unwrap()
        .to_string();
    assert!(
        line.contains("overwritten") && line.contains("(practice branding)"),
        "{line}"
    );
    assert!(
        stderr(&out).contains(
            "hint: carry the customisations onto the new upstream files with `jitsi-custom rebase`"
        )
    );
    assert!(
        diff(&w, &[INTERFACE]).contains("+    APP_NAME: 'Praxis Videosprechstunde',"),
        "the customisation is still kept"
    );
    // Recording is refused: what is live is the package's, not an edit.
    let out = w.cmd(&["record", "-m", "x", INTERFACE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("a package overwrote this customised file"));
}

#[test]
fn a_package_upgrade_of_a_clean_file_is_upstream_changed() {
    let w = installed();
    init(&w, &[]);
    w.sandbox().install(&[deb("jitsi-meet-web", NEW)]).unwrap();
    let (code, json) = status(&w);
    assert_eq!(
        code, 0,
        "new upstream content is for rebase, not a person: {json:#}"
    );
    for path in [INTERFACE, CARD, MAIN_DE, ALL_CSS] {
        assert_eq!(state_of(&json, path), "upstream-changed", "{path}");
    }
    // 1.0.2 ships the logos unchanged: dpkg wrote the same bytes again.
    for path in [FAVICON, WATERMARK] {
        assert_eq!(state_of(&json, path), "clean", "{path}");
    }
    let web = package_of(&json, "jitsi-meet-web");
    assert_eq!(web["installed"], NEW);
    assert_eq!(web["recorded"], OLD);
}

#[test]
fn a_customised_conffile_kept_by_confold_is_upstream_changed() {
    let w = installed();
    init(&w, &[]);
    w.write(LOGGING, guide(LOGGING));
    w.cmd(&["record", "-m", "no IP addresses in logs"])
        .assert()
        .success();

    w.sandbox().install(&[deb("jitsi-videobridge2", NEW)]).unwrap();
    let dist = w.live(&format!("{LOGGING}.dpkg-dist"));
    assert_eq!(
        std::fs::read(&dist).unwrap(),
        shipped("jitsi-videobridge2", NEW, LOGGING),
        "dpkg kept the admin's file and put the new one beside it"
    );
    assert_eq!(w.read(LOGGING), guide(LOGGING));
    let (code, json) = status(&w);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(state_of(&json, LOGGING), "upstream-changed");
    assert_eq!(state_of(&json, SIP), "clean", "jicofo was not upgraded");

    // Without the .dpkg-dist, the conffile hash dpkg now records still tells of the new version.
    std::fs::remove_file(&dist).unwrap();
    let (_, json) = status(&w);
    assert_eq!(state_of(&json, LOGGING), "upstream-changed");
}

#[test]
fn a_deleted_file_is_missing() {
    let w = installed();
    init(&w, &[]);
    std::fs::remove_file(w.live(FAVICON)).unwrap();
    let (code, json) = status(&w);
    assert_eq!(code, 1);
    assert_eq!(state_of(&json, FAVICON), "missing");
    assert_eq!(state_of(&json, WATERMARK), "clean");
}

#[test]
fn init_adopts_a_bkp_copy_that_dpkg_vouches_for() {
    let w = installed();
    // The guide: keep a .BKP copy, then edit.
    std::fs::copy(w.live(INTERFACE), w.live(&format!("{INTERFACE}.BKP"))).unwrap();
    w.write(INTERFACE, guide(INTERFACE));
    // A .BKP taken after editing is no pristine copy.
    w.write(MAIN_DE, guide(MAIN_DE));
    std::fs::copy(w.live(MAIN_DE), w.live(&format!("{MAIN_DE}.BKP"))).unwrap();

    let out = w.cmd(&["--json", "init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(adopted(&report, INTERFACE)["source"], "bkp");
    assert_eq!(adopted(&report, INTERFACE)["customised"], true);
    assert_eq!(adopted(&report, MAIN_DE)["source"], "live");
    assert!(
        stderr(&out).contains(&format!("warning: {MAIN_DE}: no pristine copy found")),
        "{}",
        stderr(&out)
    );

    let (code, json) = status(&w);
    assert_eq!(code, 0);
    assert_eq!(state_of(&json, INTERFACE), "customised");
    assert_eq!(state_of(&json, MAIN_DE), "clean");
    let shown = diff(&w, &[]);
    assert!(
        shown.starts_with(&format!("--- a{INTERFACE}\n")),
        "only this file: {shown}"
    );
    assert_eq!(
        changed_lines(&shown),
        edit_lines(&shipped("jitsi-meet-web", OLD, INTERFACE), &guide(INTERFACE)),
        "exactly the admin's change"
    );

    // --no-adopt-bkp ignores the copy.
    let report = init(&w, &["--force", "--no-adopt-bkp"]);
    assert_eq!(adopted(&report, INTERFACE)["source"], "live");
}

#[test]
fn init_takes_upstream_from_the_cached_package() {
    let w = installed();
    w.write(MAIN_DE, guide(MAIN_DE));
    w.sandbox().cache_deb(&deb("jitsi-meet-web", OLD)).unwrap();
    let report = init(&w, &[]);
    assert_eq!(adopted(&report, MAIN_DE)["source"], "deb-cache");
    assert_eq!(adopted(&report, MAIN_DE)["customised"], true);
    assert_eq!(adopted(&report, INTERFACE)["source"], "dpkg");
    let (code, json) = status(&w);
    assert_eq!(code, 0);
    assert_eq!(state_of(&json, MAIN_DE), "customised");
    let shown = diff(&w, &[]);
    assert!(
        shown.starts_with(&format!("--- a{MAIN_DE}\n")),
        "only this file: {shown}"
    );
    let (removed, added) = changed_lines(&shown);
    assert_eq!(
        (removed.clone(), added.clone()),
        edit_lines(&shipped("jitsi-meet-web", OLD, MAIN_DE), &guide(MAIN_DE)),
    );
    assert_eq!(
        added.len(),
        3,
        "headerTitle, headerSubtitle, startMeeting: {added:?}"
    );
}

#[test]
fn generated_files_are_clean_when_they_are_the_rendered_templates() {
    const DOMAIN: &str = "meet.schule.de";
    const SECRET: &str = "Zq8mW4kRt2";
    let w = World::with_packages(debs(OLD), |sandbox: &Sandbox| {
        sandbox.set_domain(DOMAIN).unwrap();
        std::fs::write(sandbox.path("/etc/jitsi/meet/turnsecret"), format!("{SECRET}\n")).unwrap();
    });
    let report = init(&w, &[]);
    assert_eq!(report["domain"], DOMAIN, "found from the config file's name");
    for path in [meet_config(DOMAIN), prosody_config(DOMAIN), nginx_site(DOMAIN)] {
        assert_eq!(adopted(&report, &path)["source"], "template", "{path}");
        assert_eq!(adopted(&report, &path)["customised"], false, "{path}");
    }
    let (code, json) = status(&w);
    assert_eq!(code, 0);
    for path in [meet_config(DOMAIN), prosody_config(DOMAIN), nginx_site(DOMAIN)] {
        assert_eq!(state_of(&json, &path), "clean", "{path}");
    }
    assert_eq!(diff(&w, &[]), "");
    // The per-install values were learnt from the live file, so the rendering is byte-exact.
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(w.state.join("jitsi-custom.toml")).unwrap()).unwrap();
    let prosody = manifest["file"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str() == Some(prosody_config(DOMAIN).as_str()))
        .unwrap();
    assert_eq!(prosody["placeholders"]["__turnSecret__"].as_str(), Some(SECRET));
    assert_eq!(prosody["placeholders"]["focusUser"].as_str(), Some("focus"));
    assert_eq!(
        prosody["placeholders"]["jitmeet.example.com"].as_str(),
        Some(DOMAIN)
    );
}

#[test]
fn generated_files_with_the_guides_edits_are_customised_by_exactly_those_edits() {
    let w = installed();
    let config = meet_config(DEMO_DOMAIN);
    let prosody = prosody_config(DEMO_DOMAIN);
    let generated: Vec<(String, Vec<u8>)> = [&config, &prosody]
        .into_iter()
        .map(|p| (p.clone(), w.read(p)))
        .collect();
    w.write(&config, guide(&config));
    w.write(&prosody, guide(&prosody));
    let report = init(&w, &[]);
    let (code, json) = status(&w);
    assert_eq!(code, 0);
    for (path, as_generated) in &generated {
        assert_eq!(adopted(&report, path)["source"], "template");
        assert_eq!(state_of(&json, path), "customised", "{path}");
        assert_eq!(
            changed_lines(&diff(&w, &[path])),
            edit_lines(as_generated, &guide(path)),
            "{path}: only the guide's edits"
        );
    }
    let (_, added) = changed_lines(&diff(&w, &[&prosody]));
    assert!(
        added.contains(&"    authentication = \"internal_hashed\"".to_string()),
        "{added:?}"
    );
    assert_eq!(state_of(&json, &nginx_site(DEMO_DOMAIN)), "clean");
}

#[test]
fn a_postinst_edit_during_a_dpkg_upgrade_is_never_taken_for_clean() {
    // Without the apt hook nothing saw dpkg run, so the prosody postinst's in-place edit cannot be
    // told from an admin's; status must not call the file clean, and `diff --live` shows the edit.
    let w = installed();
    init(&w, &[]);
    w.sandbox().install(&[deb("jitsi-meet-prosody", NEW)]).unwrap();
    let prosody = prosody_config(DEMO_DOMAIN);
    let (_, json) = status(&w);
    assert_ne!(state_of(&json, &prosody), "clean");
    let (removed, added) = changed_lines(&diff(&w, &["--live", &prosody]));
    assert!(removed.is_empty(), "{removed:?}");
    assert!(
        added.iter().any(|l| l.contains("\"room_metadata\";")),
        "{added:?}"
    );
}

#[test]
fn a_replaced_logo_is_a_binary_customisation() {
    let w = installed();
    init(&w, &[]);
    w.write(FAVICON, guide(FAVICON));
    w.write(WATERMARK, guide(WATERMARK));
    w.cmd(&["record", "-m", "practice logo"]).assert().success();
    let (code, json) = status(&w);
    assert_eq!(code, 0);
    assert_eq!(state_of(&json, FAVICON), "customised");
    assert_eq!(state_of(&json, WATERMARK), "customised");
    let favicon_rel = FAVICON.trim_start_matches('/');
    assert_eq!(
        diff(&w, &[FAVICON]),
        format!("Binary files a/{favicon_rel} and b/{favicon_rel} differ\n")
    );
    assert!(diff(&w, &["--stat"]).contains(&format!("{FAVICON}  binary")));
    let out = w.cmd(&["--json", "diff", FAVICON]).output().unwrap();
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["binary"], true);
    assert_eq!(
        w.read(FAVICON),
        guide(FAVICON),
        "status and diff leave the live file alone"
    );
}

#[test]
fn status_json_reports_files_and_packages_with_versions_and_holds() {
    let w = installed();
    init(&w, &[]);
    dpkg(&w, &["--set-selections"], "jitsi-meet-web hold\n");
    w.sandbox().install(&[deb("jicofo", NEW)]).unwrap();

    let out = w.cmd(&["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).is_empty(), "data on stdout only: {}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&json), ["files", "packages", "parked", "notices", "hook"]);
    assert_eq!(json["parked"], serde_json::json!([]));
    for file in json["files"].as_array().unwrap() {
        assert_eq!(
            keys(file),
            ["path", "state", "package", "customisations"],
            "{file}"
        );
        assert!(file["path"].as_str().unwrap().starts_with('/'));
    }
    let packages: Vec<&str> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        packages,
        [
            "jicofo",
            "jitsi-meet-prosody",
            "jitsi-meet-web",
            "jitsi-meet-web-config",
            "jitsi-videobridge2"
        ],
        "installed Jitsi packages only, sorted"
    );
    for pkg in json["packages"].as_array().unwrap() {
        assert_eq!(keys(pkg), ["name", "installed", "recorded", "held"], "{pkg}");
    }
    assert_eq!(
        package_of(&json, "jitsi-meet-web"),
        &serde_json::json!({"name": "jitsi-meet-web", "installed": OLD, "recorded": OLD, "held": true})
    );
    assert_eq!(
        package_of(&json, "jicofo"),
        &serde_json::json!({"name": "jicofo", "installed": NEW, "recorded": OLD, "held": false})
    );
    let text = stdout(&w.cmd(&["status"]).output().unwrap());
    let web = text.lines().find(|l| l.starts_with("jitsi-meet-web ")).unwrap();
    assert!(web.ends_with("held"), "{web}");
    let jicofo = text.lines().find(|l| l.starts_with("jicofo ")).unwrap();
    assert!(jicofo.contains(&format!("{NEW}  (recorded {OLD})")), "{jicofo}");
}

#[test]
fn status_names_the_newer_version_apt_knows_for_a_held_package() {
    let w = installed();
    init(&w, &[]);
    dpkg(&w, &["--set-selections"], "jitsi-meet-web hold\njicofo hold\n");
    // apt's view of a repository that has 1.0.2-1 of jitsi-meet-web (what `apt-get update`
    // leaves in the lists), read by the real apt-cache under the root.
    std::fs::create_dir_all(w.live("/etc/apt")).unwrap();
    std::fs::write(
        w.live("/etc/apt/sources.list"),
        "deb [trusted=yes] file:/srv/repo ./\n",
    )
    .unwrap();
    std::fs::create_dir_all(w.live("/var/lib/apt/lists/partial")).unwrap();
    std::fs::create_dir_all(w.live("/var/cache/apt/archives/partial")).unwrap();
    std::fs::write(
        w.live("/var/lib/apt/lists/_srv_repo_._Packages"),
        format!(
            "Package: jitsi-meet-web\nVersion: {NEW}\nArchitecture: all\nMaintainer: x\nFilename: ./jitsi-meet-web.deb\nSize: 1\nDescription: x\n\n"
        ),
    )
    .unwrap();
    for _ in 0..2 {
        // The second run answers from the cache.
        let json: Value =
            serde_json::from_slice(&w.cmd(&["status", "--json"]).output().unwrap().stdout).unwrap();
        let web = json["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "jitsi-meet-web")
            .unwrap();
        assert_eq!(web["candidate"], NEW, "{web}");
        let jicofo = json["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "jicofo")
            .unwrap();
        assert!(
            jicofo.get("candidate").is_none(),
            "nothing newer for jicofo: {jicofo}"
        );
    }
    let text = stdout(&w.cmd(&["status"]).output().unwrap());
    let web = text.lines().find(|l| l.starts_with("jitsi-meet-web ")).unwrap();
    assert!(
        web.contains(&format!("held  (apt has {NEW}; `jitsi-custom upgrade` takes it)")),
        "{web}"
    );
}

#[test]
fn init_without_a_pristine_copy_warns_and_takes_the_live_file() {
    let w = installed();
    w.write(INTERFACE, guide(INTERFACE));
    let out = w.cmd(&["--json", "init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warnings: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .map(str::to_string)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(&format!("warning: {INTERFACE}: no pristine copy found")),
        "{warnings:?}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(adopted(&report, INTERFACE)["source"], "live");
    assert_eq!(adopted(&report, INTERFACE)["customised"], false);
    let (code, json) = status(&w);
    assert_eq!(code, 0);
    assert_eq!(
        state_of(&json, INTERFACE),
        "clean",
        "the live file is the baseline"
    );
    assert_eq!(w.read(INTERFACE), guide(INTERFACE), "init changed no live file");
}
