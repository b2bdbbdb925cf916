//! The apt integration on sandbox roots with the real dpkg: holds, install-hooks /
//! uninstall-hooks, and the three hook steps apt runs (which must always exit 0).

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{CARD, World, stderr, stdout};
use jitsi_custom::sandbox::{self, Sandbox};

const INTERFACE: &str = "/usr/share/jitsi-meet/interface_config.js";
const MEET_CONFIG: &str = "/etc/jitsi/meet/tele.praxis.de-config.js";
const APT_SNIPPET: &str = "/etc/apt/apt.conf.d/80jitsi-custom";
const MOTD: &str = "/etc/update-motd.d/90-jitsi-custom";
const SERVICE: &str = "/etc/systemd/system/jitsi-custom-upgrade.service";
const TIMER: &str = "/etc/systemd/system/jitsi-custom-upgrade.timer";
const TIMER_LINK: &str = "/etc/systemd/system/timers.target.wants/jitsi-custom-upgrade.timer";

/// The bundled packages of one version, built once per test run.
fn debs(version: &'static str) -> &'static Vec<PathBuf> {
    static V101: OnceLock<Vec<PathBuf>> = OnceLock::new();
    static V102: OnceLock<Vec<PathBuf>> = OnceLock::new();
    let cell = match version {
        "1.0.1-1" => &V101,
        "1.0.2-1" => &V102,
        other => panic!("no cache for {other}"),
    };
    cell.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("apt-hook-debs")
            .join(version);
        sandbox::build_version(&sandbox::examples_dir(), version, &out).unwrap()
    })
}

fn deb_of(version: &'static str, package: &str) -> PathBuf {
    debs(version)
        .iter()
        .find(|d| {
            d.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{package}_"))
        })
        .unwrap()
        .clone()
}

/// A sandbox with the 1.0.1 packages installed, not yet initialised.
fn installed() -> (World, Sandbox) {
    let w = World::new();
    let sandbox = Sandbox::create(&w.root).unwrap();
    sandbox.install(debs("1.0.1-1")).unwrap();
    (w, sandbox)
}

/// … and initialised.
fn initialised() -> (World, Sandbox) {
    let (w, sandbox) = installed();
    w.cmd(&["init"]).assert().success();
    (w, sandbox)
}

fn selections(root: &Path) -> Vec<(String, String)> {
    let out = std::process::Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .arg("--get-selections")
        .output()
        .unwrap();
    assert!(out.status.success());
    stdout(&out)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

/// A hook step: exit 0 always; returns stderr.
fn hook(w: &World, step: &str, stdin: &str) -> String {
    let out = w
        .cmd(&["hook", step])
        .write_stdin(stdin.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{step}: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "hooks print nothing on stdout");
    stderr(&out)
}

fn one_hook_line(err: &str) -> &str {
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {err:?}");
    assert!(lines[0].starts_with("jitsi-custom: "), "{err:?}");
    lines[0]
}

fn operations(w: &World) -> usize {
    json(&w.cmd(&["log", "--json"]).output().unwrap())
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn hold_and_unhold_change_the_dpkg_selections_of_installed_packages_only() {
    let (w, _sandbox) = installed();
    // Works before init too: the guide's package set.
    let out = w.cmd(&["hold", "--dry-run"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("would be held"));
    assert!(selections(&w.root).iter().all(|(_, s)| s == "install"));

    let out = w.cmd(&["hold", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["changed"].as_array().unwrap().len(), 5);
    assert!(
        report["not_installed"]
            .as_array()
            .unwrap()
            .contains(&"coturn".into())
    );
    let held = selections(&w.root);
    assert_eq!(held.len(), 5, "{held:?}: nothing that is not installed");
    assert!(held.iter().all(|(_, s)| s == "hold"), "{held:?}");

    let out = w.cmd(&["hold"]).output().unwrap();
    assert!(stdout(&out).contains("already held"));

    w.cmd(&["init"]).assert().success();
    let status = json(&w.cmd(&["status", "--json"]).output().unwrap());
    assert!(
        status["packages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["held"] == true)
    );

    let out = w.cmd(&["unhold"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("released"));
    assert!(selections(&w.root).iter().all(|(_, s)| s == "install"));
}

#[test]
fn hold_follows_the_manifest_package_list() {
    let (w, _sandbox) = initialised();
    let manifest = w.state.join("jitsi-custom.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("packages = [\"jicofo\", \"coturn\"]\n{text}")).unwrap();
    w.cmd(&["hold"]).assert().success();
    let held: Vec<String> = selections(&w.root)
        .into_iter()
        .filter(|(_, s)| s == "hold")
        .map(|(p, _)| p)
        .collect();
    assert_eq!(held, ["jicofo"]);
}

#[test]
fn install_and_uninstall_hooks_put_exactly_their_files_and_repeat_harmlessly() {
    let (w, _sandbox) = initialised();
    let before = World::snapshot(&w.root);

    w.cmd(&["install-hooks", "--dry-run"]).assert().success();
    assert_eq!(World::snapshot(&w.root), before, "dry run writes nothing");

    let out = w.cmd(&["install-hooks"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("created").count(), 5, "{}", stdout(&out));
    let apt = String::from_utf8(w.read(APT_SNIPPET)).unwrap();
    assert!(apt.contains("DPkg::Tools::Options::/usr/bin/jitsi-custom::Version \"3\";"));
    assert!(w.read(TIMER).starts_with(b"# jitsi-custom"));
    assert_eq!(
        std::fs::read_link(w.live(TIMER_LINK)).unwrap(),
        Path::new(TIMER),
        "enabled as systemctl enable would"
    );
    let installed = World::snapshot(&w.root);
    let added: Vec<_> = installed
        .iter()
        .filter(|f| !before.contains(f))
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(
        added,
        [w.live(APT_SNIPPET), w.live(SERVICE), w.live(TIMER), w.live(MOTD)]
    );
    let motd_mode = std::fs::metadata(w.live(MOTD)).unwrap().permissions().mode();
    assert_eq!(
        motd_mode & 0o777,
        0o755,
        "update-motd.d runs only executable scripts"
    );

    let out = w.cmd(&["install-hooks", "--json"]).output().unwrap();
    let report = json(&out);
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["action"] == "unchanged"),
        "{report}"
    );
    assert_eq!(World::snapshot(&w.root), installed);

    let status = json(&w.cmd(&["status", "--json"]).output().unwrap());
    assert_eq!(status["hook"], serde_json::json!({"apt": true, "timer": true}));
    let text = stdout(&w.cmd(&["status"]).output().unwrap());
    assert!(text.contains("apt hook: installed, timer: enabled"), "{text}");

    // A changed file is put back.
    w.write(TIMER, "edited");
    let out = w.cmd(&["install-hooks", "--no-enable"]).output().unwrap();
    assert!(stdout(&out).contains("updated"), "{}", stdout(&out));
    assert_eq!(World::snapshot(&w.root), installed);

    let out = w.cmd(&["uninstall-hooks"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("removed").count(), 5, "{}", stdout(&out));
    assert_eq!(World::snapshot(&w.root), before);
    assert!(std::fs::symlink_metadata(w.live(TIMER_LINK)).is_err());
    let out = w.cmd(&["uninstall-hooks"]).output().unwrap();
    assert!(out.status.success(), "already gone is fine");
    assert_eq!(stdout(&out).matches("absent").count(), 5);
}

/// With the Debian package, the units are the package's (/usr/lib/systemd/system): a copy in
/// /etc/systemd/system would hide the package's next version of them.
#[test]
fn install_hooks_enables_the_units_the_debian_package_installed_without_copying_them() {
    let (w, _sandbox) = initialised();
    let packaged_timer = "/usr/lib/systemd/system/jitsi-custom-upgrade.timer";
    for unit in ["jitsi-custom-upgrade.service", "jitsi-custom-upgrade.timer"] {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("hooks/systemd")
            .join(unit);
        w.write(
            &format!("/usr/lib/systemd/system/{unit}"),
            std::fs::read(source).unwrap(),
        );
    }
    let out = w.cmd(&["install-hooks"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains(&format!("unchanged     {packaged_timer}")),
        "{report}"
    );
    assert!(!w.live(SERVICE).exists() && !w.live(TIMER).exists(), "{report}");
    assert_eq!(
        std::fs::read_link(w.live(TIMER_LINK)).unwrap(),
        Path::new(packaged_timer),
        "enabled as systemctl enable would, on the package's unit"
    );
    assert!(w.live(APT_SNIPPET).exists() && w.live(MOTD).exists());

    let out = w.cmd(&["uninstall-hooks"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(w.live(TIMER_LINK)).is_err());
    assert!(
        w.live(packaged_timer).exists(),
        "the package's files are dpkg's to remove"
    );
}

#[test]
fn install_hooks_refuses_a_symlinked_apt_conf_dir() {
    let (w, _sandbox) = initialised();
    let outside = w.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(w.live("/etc/apt")).unwrap();
    std::os::unix::fs::symlink(&outside, w.live("/etc/apt/apt.conf.d")).unwrap();
    let out = w.cmd(&["install-hooks"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    assert!(
        !w.live(SERVICE).exists(),
        "nothing is written when one target is refused"
    );
    let out = w.cmd(&["uninstall-hooks"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "never removes through a link either");
}

#[test]
fn hook_help_explains_the_steps_and_top_level_help_hides_them() {
    let w = World::new();
    let help = stdout(&w.cmd(&["hook", "--help"]).output().unwrap());
    for step in ["pre-invoke", "pre-install-pkgs", "post-invoke", "exits 0"] {
        assert!(help.contains(step), "{step}: {help}");
    }
    let top = stdout(&w.cmd(&["--help"]).output().unwrap());
    assert!(top.contains("install-hooks") && top.contains("hold"));
    assert!(!top.contains("  hook "), "{top}");
}

#[test]
fn hooks_do_nothing_before_init() {
    let (w, _sandbox) = installed();
    for step in ["pre-invoke", "pre-install-pkgs", "post-invoke"] {
        assert_eq!(hook(&w, step, "VERSION 3\n\n"), "", "{step}");
    }
    assert!(!w.state.exists());
}

#[test]
fn pre_invoke_records_unrecorded_edits_named_after_the_apt_run_and_is_a_no_op_otherwise() {
    let (w, _sandbox) = initialised();
    let ops = operations(&w);
    assert_eq!(hook(&w, "pre-invoke", ""), "");
    assert_eq!(operations(&w), ops, "nothing to record, nothing logged");
    assert!(w.state.join("apt-run.json").is_file());

    let mut content = w.read(INTERFACE);
    content.extend_from_slice(b"\n// Praxis: APP_NAME\n");
    w.write(INTERFACE, &content);
    let err = hook(&w, "pre-invoke", "");
    assert!(one_hook_line(&err).contains("edits before apt: apt run"), "{err}");
    let status = json(&w.cmd(&["status", "--json"]).output().unwrap());
    let file = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == INTERFACE)
        .unwrap();
    assert_eq!(file["state"], "customised");
    assert_eq!(file["customisations"][0], "edits before apt: apt run");
    let log = stdout(&w.cmd(&["log"]).output().unwrap());
    assert!(log.contains("apt-hook") && log.contains(INTERFACE), "{log}");
    assert_eq!(operations(&w), ops + 1);

    assert_eq!(hook(&w, "pre-invoke", ""), "");
    assert_eq!(operations(&w), ops + 1, "the second run finds nothing new");
}

#[test]
fn hook_steps_exit_0_with_one_line_on_a_corrupt_manifest() {
    let (w, _sandbox) = initialised();
    std::fs::write(w.state.join("jitsi-custom.toml"), "[[file]]\npath = 3\n").unwrap();
    let input = format!(
        "VERSION 3\n\njitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none {}\n",
        deb_of("1.0.2-1", "jitsi-meet-web").display()
    );
    for step in ["pre-invoke", "pre-install-pkgs"] {
        let err = hook(&w, step, &input);
        assert!(one_hook_line(&err).contains("jitsi-custom.toml"), "{step}: {err}");
    }
    // post-invoke without a record of the run goes to the survey, which needs the manifest.
    let err = hook(&w, "post-invoke", "");
    assert!(one_hook_line(&err).contains("post-invoke"), "{err}");
}

#[test]
fn hook_steps_exit_0_with_one_line_when_the_state_dir_is_locked() {
    let (w, _sandbox) = initialised();
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(w.state.join("lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let err = hook(&w, "pre-invoke", "");
    assert!(one_hook_line(&err).contains("locked"), "{err}");
    drop(lock);
}

#[test]
fn a_broken_command_line_does_not_fail_the_hook_either() {
    let w = World::new();
    std::fs::remove_dir(&w.root).unwrap();
    let err = hook(&w, "post-invoke", "");
    assert!(one_hook_line(&err).contains("is not a directory"), "{err}");
}

#[test]
fn pre_install_pkgs_keeps_the_pristine_new_content_of_tracked_files() {
    let (w, sandbox) = initialised();
    hook(&w, "pre-invoke", "");
    let web = sandbox.cache_deb(&deb_of("1.0.2-1", "jitsi-meet-web")).unwrap();
    let config = sandbox
        .cache_deb(&deb_of("1.0.2-1", "jitsi-meet-web-config"))
        .unwrap();
    let input = format!(
        "VERSION 3\nAPT::Architecture=amd64\nCommandLine::AsString=apt-get upgrade\n\n\
         jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none {}\n\
         jitsi-meet-web-config 1.0.1-1 all none < 1.0.2-1 all none {}\n\
         jicofo 1.0.1-1 all none < 1.0.2-1 all none /nonexistent/jicofo_1.0.2-1_all.deb\n\
         unrelated 1 amd64 none < 2 amd64 none /var/cache/apt/archives/unrelated_2_amd64.deb\n\
         jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none **CONFIGURE**\n\
         garbage line\n",
        web.display(),
        config.display()
    );
    let err = hook(&w, "pre-install-pkgs", &input);
    let line = one_hook_line(&err);
    assert!(line.contains("jicofo"), "the unreadable archive is named: {line}");

    let pending = w.state.join("pending-upstream");
    let expected = std::fs::read(
        sandbox::examples_dir()
            .join("packages/jitsi-meet-web/1.0.2-1/usr/share/jitsi-meet/interface_config.js"),
    )
    .unwrap();
    assert_eq!(std::fs::read(pending.join(&INTERFACE[1..])).unwrap(), expected);
    let generated = std::fs::read_to_string(pending.join(&MEET_CONFIG[1..])).unwrap();
    assert!(generated.contains("tele.praxis.de"), "the template is rendered");
    assert!(!generated.contains("jitsi-meet.example.com"));
    assert_ne!(
        generated.as_bytes(),
        w.read(MEET_CONFIG),
        "1.0.2's template is not 1.0.1's"
    );

    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.state.join("apt-run.json")).unwrap()).unwrap();
    let entry = &run["upstream"][INTERFACE];
    assert_eq!(entry["package"], "jitsi-meet-web");
    assert_eq!(entry["old"], "1.0.1-1");
    assert_eq!(entry["new"], "1.0.2-1");
    assert_eq!(
        run["upstream"][MEET_CONFIG]["source"],
        "/usr/share/jitsi-meet-web-config/config.js"
    );
    assert!(run["finished"].is_null(), "the run stays open for post-invoke");
    assert_eq!(
        std::fs::read(w.live(INTERFACE)).unwrap(),
        w.read(INTERFACE),
        "live files untouched"
    );

    // Nothing for us in the list: not even the lock is taken.
    let before = World::snapshot(&w.state);
    assert_eq!(
        hook(
            &w,
            "pre-install-pkgs",
            "VERSION 3\n\nfoo 1 all none < 2 all none /var/cache/apt/archives/foo_2_all.deb\n"
        ),
        ""
    );
    assert_eq!(World::snapshot(&w.state), before);
}

#[test]
fn post_invoke_fast_path_writes_nothing_when_nothing_changed() {
    let (w, _sandbox) = initialised();
    hook(&w, "pre-invoke", "");
    let before = World::snapshot(&w.state);
    assert_eq!(hook(&w, "post-invoke", ""), "");
    assert_eq!(World::snapshot(&w.state), before);
}

#[test]
fn post_invoke_names_the_files_dpkg_changed_during_the_run() {
    let (w, sandbox) = initialised();
    hook(&w, "pre-invoke", "");
    sandbox
        .install(&[
            deb_of("1.0.2-1", "jitsi-meet-web"),
            deb_of("1.0.2-1", "jitsi-meet-web-config"),
        ])
        .unwrap();
    let err = hook(&w, "post-invoke", "");
    assert!(err.contains("jitsi-meet-web: 1.0.1-1 → 1.0.2-1"), "{err}");
    assert!(
        err.contains("wrote /etc/jitsi/meet/tele.praxis.de-config.js"),
        "{err}"
    );
    assert!(
        !err.contains("package scripts"),
        "dpkg's own overwrites are not script edits: {err}"
    );
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.state.join("apt-run.json")).unwrap()).unwrap();
    let changed: Vec<&str> = run["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(changed.contains(&INTERFACE), "{changed:?}");
    assert!(
        changed.contains(&MEET_CONFIG),
        "its template changed: {changed:?}"
    );
    assert!(run["finished"].is_number());
    // Post-invoke carried the new upstream content in: everything is clean at 1.0.2-1.
    let status = w.cmd(&["status", "--json"]).output().unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", stdout(&status));
    let json = json(&status);
    assert!(
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["state"] == "clean"),
        "{json}"
    );
    let web = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "jitsi-meet-web")
        .unwrap();
    assert_eq!(web["recorded"], "1.0.2-1");
    // The run is closed: a second post-invoke asks the survey instead, and stays quiet since
    // nothing is left to carry.
    let err = hook(&w, "post-invoke", "");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn hook_steps_never_write_on_dry_run() {
    let (w, _sandbox) = initialised();
    let mut content = w.read(INTERFACE);
    content.extend_from_slice(b"// edit\n");
    w.write(INTERFACE, &content);
    let before = World::snapshot(&w.state);
    let mut cmd = w.cmd(&["--dry-run", "hook", "pre-invoke"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("would record"), "{}", stderr(&out));
    let after = World::snapshot(&w.state);
    let changed: Vec<_> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(changed.iter().all(|n| n == "stat-cache.json"), "{changed:?}");
    let _ = std::io::stderr().flush();
}

#[test]
fn init_on_a_terminal_offers_to_hold_the_jitsi_packages() {
    let (w, _sandbox) = installed();
    let mut session = w.pty(&["init"], &[]);
    session
        .exp_string("so that `apt upgrade` keeps them back")
        .unwrap();
    session.send("y").unwrap();
    session.flush().unwrap();
    session.exp_string("held jicofo").unwrap();
    session.exp_eof().unwrap();
    let held: Vec<String> = selections(&w.root)
        .into_iter()
        .filter(|(_, s)| s == "hold")
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        held,
        [
            "jicofo",
            "jitsi-meet-prosody",
            "jitsi-meet-web",
            "jitsi-meet-web-config",
            "jitsi-videobridge2"
        ]
    );
}

/// Regression: when pre-install-pkgs kept a conffile's new content from the archive, the rebase
/// took it from there and left the `.dpkg-dist` that `--force-confold` wrote beside the live
/// file for ever.
#[test]
fn post_invoke_tidies_the_dpkg_dist_of_a_conffile_it_took_from_the_archive() {
    const LOGGING: &str = "/etc/jitsi/videobridge/logging.properties";
    let (w, sandbox) = initialised();
    let customised = w.read_string(LOGGING).replace(".level=INFO", ".level=WARNING");
    w.write(LOGGING, customised.as_bytes());
    w.cmd(&["record", "-m", "quiet logs"]).assert().success();
    hook(&w, "pre-invoke", "");
    let jvb = sandbox
        .cache_deb(&deb_of("1.0.2-1", "jitsi-videobridge2"))
        .unwrap();
    let input = format!(
        "VERSION 3\n\njitsi-videobridge2 1.0.1-1 all none < 1.0.2-1 all none {}\n",
        jvb.display()
    );
    assert_eq!(hook(&w, "pre-install-pkgs", &input), "");
    sandbox
        .install(&[deb_of("1.0.2-1", "jitsi-videobridge2")])
        .unwrap();
    let dist = w.live(&format!("{LOGGING}.dpkg-dist"));
    assert!(dist.is_file(), "dpkg kept the local file under --force-confold");
    let err = hook(&w, "post-invoke", "");
    assert!(err.contains(&format!("wrote {LOGGING}")), "{err}");
    let live = w.read_string(LOGGING);
    assert!(live.contains("\n.level=WARNING\n"), "{live}");
    assert!(live.contains("BandwidthEstimator.level=WARNING"), "{live}");
    assert!(!dist.exists(), ".dpkg-dist left behind");
}

/// Regression: a generated file whose new content pre-install-pkgs rendered from the archive's
/// template was noted with the md5 of the rendered file instead of dpkg's md5 of the template,
/// so `status` kept calling it (and the nginx site) `upstream-changed` (exit 1) after a clean
/// apt run.
#[test]
fn a_generated_file_taken_from_the_archive_is_clean_after_post_invoke() {
    let (w, sandbox) = initialised();
    let customised = w
        .read_string(MEET_CONFIG)
        .replace("// defaultLanguage: 'en',", "defaultLanguage: 'de',");
    assert!(customised.contains("defaultLanguage: 'de',"));
    w.write(MEET_CONFIG, customised.as_bytes());
    w.cmd(&["record", "-m", "German"]).assert().success();
    hook(&w, "pre-invoke", "");
    let config = sandbox
        .cache_deb(&deb_of("1.0.2-1", "jitsi-meet-web-config"))
        .unwrap();
    let input = format!(
        "VERSION 3\n\njitsi-meet-web-config 1.0.1-1 all none < 1.0.2-1 all none {}\n",
        config.display()
    );
    assert_eq!(hook(&w, "pre-install-pkgs", &input), "");
    sandbox
        .install(&[deb_of("1.0.2-1", "jitsi-meet-web-config")])
        .unwrap();
    let err = hook(&w, "post-invoke", "");
    assert!(err.contains(&format!("wrote {MEET_CONFIG}")), "{err}");
    assert!(w.read_string(MEET_CONFIG).contains("enableCodecSelectionAPI"));
    let status = w.cmd(&["status", "--json"]).output().unwrap();
    let json = json(&status);
    let states: Vec<(String, String)> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].to_string(), f["state"].to_string()))
        .collect();
    assert_eq!(status.status.code(), Some(0), "{states:?}");
}

fn apt_run(w: &World) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(w.state.join("apt-run.json")).unwrap()).unwrap()
}

/// Stamps younger than a second cannot vouch for a file (a change in the same timestamp tick
/// could hide); the fast path needs older ones.
fn let_stamps_age() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

/// Invariant 4: with nothing changed since the last marks, pre-invoke reuses them (no store, no
/// survey); any edit, a newly tracked file or a store operation sends it down the full path,
/// so no edit is ever missed.
#[test]
fn pre_invoke_reuses_its_marks_while_nothing_moves_and_never_misses_an_edit() {
    let (w, _sandbox) = initialised();
    let_stamps_age();
    hook(&w, "pre-invoke", "");
    let first = apt_run(&w);
    assert!(first["marked_ns"].is_number(), "{first}");
    let ops = operations(&w);

    // Nothing moved: the same marks, a new open run.
    let_stamps_age();
    assert_eq!(hook(&w, "pre-invoke", ""), "");
    let again = apt_run(&w);
    assert_eq!(
        again["marked_ns"], first["marked_ns"],
        "the fast path reuses the marks"
    );
    assert_eq!(again["files"], first["files"]);
    assert!(again["finished"].is_null());
    assert_eq!(operations(&w), ops);

    // An edit moves a stamp: recorded, newly marked.
    let mut content = w.read(INTERFACE);
    content.extend_from_slice(b"// edited right after the marks\n");
    w.write(INTERFACE, &content);
    let err = hook(&w, "pre-invoke", "");
    assert!(err.contains("recorded \"edits before apt: apt run\""), "{err}");
    assert_eq!(operations(&w), ops + 1);
    let marked = apt_run(&w);
    assert_ne!(marked["marked_ns"], first["marked_ns"]);

    // A store operation (here: track) moves the operation log: full path, the new file marked.
    let extra = "/usr/share/jitsi-meet/static/extra.html";
    w.write(extra, b"<p>extra</p>\n");
    w.cmd(&["track", extra]).assert().success();
    w.cmd(&["record", "-m", "extra page", extra]).assert().success();
    let_stamps_age();
    hook(&w, "pre-invoke", "");
    let tracked = apt_run(&w);
    assert_ne!(tracked["marked_ns"], marked["marked_ns"]);
    assert!(tracked["files"][extra].is_object(), "{tracked}");
}

/// The fast path's record still lets post-invoke find what dpkg changed.
#[test]
fn post_invoke_after_a_fast_pre_invoke_carries_what_dpkg_changed() {
    let (w, sandbox) = initialised();
    let ours = w
        .read_string(INTERFACE)
        .replace("    APP_NAME: 'Jitsi Meet'", "    APP_NAME: 'Praxis'");
    w.write(INTERFACE, ours.as_bytes());
    w.cmd(&["record", "-m", "ours"]).assert().success();
    let_stamps_age();
    hook(&w, "pre-invoke", "");
    let marked = apt_run(&w)["marked_ns"].clone();
    let_stamps_age();
    hook(&w, "pre-invoke", "");
    assert_eq!(apt_run(&w)["marked_ns"], marked, "the fast path was taken");
    sandbox.install(&[deb_of("1.0.2-1", "jitsi-meet-web")]).unwrap();
    let err = hook(&w, "post-invoke", "");
    assert!(err.contains(&format!("wrote {INTERFACE}")), "{err}");
    let live = w.read_string(INTERFACE);
    assert!(
        live.contains("    APP_NAME: 'Praxis',") && live.contains("HIDE_DEEP_LINKING_LOGO"),
        "{live}"
    );
    let changed = &apt_run(&w)["changed"];
    assert!(
        changed.as_array().unwrap().iter().any(|p| p == INTERFACE),
        "{changed}"
    );
}

#[test]
fn post_invoke_holds_again_what_the_apt_run_released() {
    let (w, sandbox) = initialised();
    w.cmd(&["hold"]).assert().success();
    hook(&w, "pre-invoke", "");
    // What `apt-get install --allow-change-held-packages jitsi-meet-web` does: the selection
    // goes back to install, and the new version is unpacked.
    let status = std::process::Command::new("dpkg")
        .arg(format!("--root={}", w.root.display()))
        .arg(format!("--log={}", w.root.join("var/log/dpkg.log").display()))
        .arg("--set-selections")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"jitsi-meet-web install\n")?;
            child.wait()
        })
        .unwrap();
    assert!(status.success());
    sandbox.install(&[deb_of("1.0.2-1", "jitsi-meet-web")]).unwrap();
    let err = hook(&w, "post-invoke", "");
    assert!(
        err.contains("jitsi-custom: held jitsi-meet-web again (this apt run released them)"),
        "{err}"
    );
    let held: Vec<String> = selections(&w.root)
        .into_iter()
        .filter(|(_, s)| s == "hold")
        .map(|(p, _)| p)
        .collect();
    assert!(held.contains(&"jitsi-meet-web".to_string()), "{held:?}");
    assert!(held.contains(&"jicofo".to_string()), "{held:?}");
}

#[test]
fn post_invoke_mails_the_report_when_a_decision_waits() {
    let w = World::jitsi_customised();
    w.install("1.0.2-1");
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(0);
    let manifest = w.state.join("jitsi-custom.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("mail_to = \"praxis-admin@example.org\"\n{text}"),
    )
    .unwrap();
    // A stand-in for the MTA that keeps what it was given.
    let mailbox = w.dir.path().join("mailbox");
    let sendmail = w.dir.path().join("sendmail");
    std::fs::write(
        &sendmail,
        format!(
            "#!/bin/sh\necho \"args: $*\" > '{0}'\ncat >> '{0}'\n",
            mailbox.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
    hook(&w, "pre-invoke", "");
    w.install("1.0.3-1");
    let out = w
        .cmd(&["hook", "post-invoke"])
        .env("JITSI_CUSTOM_SENDMAIL", &sendmail)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("run `jitsi-custom resolve`"),
        "{}",
        stderr(&out)
    );
    let mail = std::fs::read_to_string(&mailbox).expect("no mail was sent");
    assert!(mail.starts_with("args: -t\n"), "{mail}");
    assert!(mail.contains("\nTo: praxis-admin@example.org\n"), "{mail}");
    assert!(mail.contains("\nSubject: jitsi-custom on "), "{mail}");
    assert!(mail.contains("\nAuto-Submitted: auto-generated\n"), "{mail}");
    assert!(
        mail.contains(&format!("{CARD}  (\"guide\")")),
        "the mail does not name the card: {mail}"
    );
    assert!(mail.contains("your side of each conflict"), "{mail}");
    assert!(mail.contains("jitsi-custom resolve"), "{mail}");
}
