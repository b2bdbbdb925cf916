//! The Ansible rollout of `examples/ansible/` (issue #15), run by a real `ansible-core` (from
//! PyPI, in a venv under the target directory) against three sandbox hosts with their own
//! domains and TURN secrets (`ansible_connection=local` with the role's `--root`/`--state-dir`):
//! check mode changes nothing, the rollout brings the customisation recorded once on one host
//! into effect on every host with its own values, a second run changes nothing, and the first
//! host that parks a decision stops the rollout before the next.
//!
//! Not a syntax check: the playbook runs. `upgrade` needs apt on `/`, so the sandbox hosts run
//! the role with `jitsi_custom_upgrade: false` (the window is `rebase`); the pull and the status
//! summary run as on a real server. Without `ansible-core` (no Python venv, no PyPI) the test
//! says so and passes, except under CI (`CI=true`), where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{CARD, MEET_CONFIG, PROSODY, World, stderr, stdout};

const HOSTS: [(&str, &str, &str); 3] = [
    ("praxis-sued", "tele.praxis.de", "k7Hq2WzR9mLp4TxV"),
    ("praxis-nord", "video.praxis-nord.de", "N0rdTurnS3cret42"),
    ("praxis-west", "meet.praxis-west.de", "W3stTurnS3cret77"),
];

/// `ansible-playbook` from a venv under the target directory, installed once per test run (the
/// tests of this file share it; a second installer racing the first found a half-made venv);
/// `None` when it cannot be had (a failure under CI).
fn ansible_playbook() -> Option<PathBuf> {
    static INSTALLED: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    match INSTALLED.get_or_init(install_ansible) {
        Ok(playbook) => Some(playbook.clone()),
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("cannot install ansible-core under CI: {why}");
            }
            eprintln!("skipping the Ansible rollout: cannot install ansible-core ({why})");
            None
        }
    }
}

fn install_ansible() -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ansible-venv");
    let playbook = venv.join("bin/ansible-playbook");
    let works = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&playbook) {
        return Ok(playbook);
    }
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)))
        }
    };
    // --clear: a venv an interrupted run left half-made is made again.
    run(Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv))?;
    // The package index may hiccup: three attempts.
    let mut last = Ok(());
    for attempt in 1..=3 {
        last =
            run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "ansible-core>=2.15,<2.18"]));
        if last.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(5 * attempt));
    }
    last?;
    if works(&playbook) {
        Ok(playbook)
    } else {
        Err("ansible-playbook does not run".into())
    }
}

/// A sandbox host for `domain` with its own TURN secret: 1.0.1-1 installed by dpkg, `init`.
fn host(domain: &str, secret: &str) -> World {
    let debs = common::bundled_debs("1.0.1-1");
    let w = World::with_packages(&debs, |sandbox| {
        sandbox.set_domain(domain).unwrap();
        std::fs::write(sandbox.path("/etc/jitsi/meet/turnsecret"), format!("{secret}\n")).unwrap();
    });
    w.cmd(&["init"]).assert().code(0);
    w
}

struct Fleet {
    dir: tempfile::TempDir,
    hosts: Vec<World>,
    inventory: PathBuf,
    summary: PathBuf,
}

impl Fleet {
    /// Three hosts; the first (the template server) has the guide's customisations recorded and
    /// pushed to a bare repository.
    fn new() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let remote = dir.path().join("fleet.git");
        assert!(
            Command::new("git")
                .args(["init", "--bare", "-q"])
                .arg(&remote)
                .status()
                .unwrap()
                .success()
        );
        let hosts: Vec<World> = HOSTS.iter().map(|(_, d, s)| host(d, s)).collect();
        let template = &hosts[0];
        template
            .sandbox()
            .apply_customisations(&jitsi_custom::sandbox::examples_dir())
            .unwrap();
        template.cmd(&["record", "-m", "guide"]).assert().code(0);
        template
            .cmd(&["remote", "add", "origin", remote.to_str().unwrap()])
            .assert()
            .code(0);
        template.cmd(&["push"]).assert().code(0);

        let summary = dir.path().join("summary.json");
        let mut inventory = String::from("[jitsi]\n");
        for ((name, _, _), w) in HOSTS.iter().zip(&hosts) {
            inventory.push_str(&format!(
                "{name} jitsi_custom_root={} jitsi_custom_state_dir={}\n",
                w.root.display(),
                w.state.display()
            ));
        }
        inventory.push_str(&format!(
            "\n[jitsi:vars]\nansible_connection=local\nansible_python_interpreter={{{{ ansible_playbook_python }}}}\njitsi_custom_bin={}\njitsi_custom_remote_url={}\njitsi_custom_upgrade=false\njitsi_custom_summary_file={}\n",
            env!("CARGO_BIN_EXE_jitsi-custom"),
            remote.display(),
            summary.display()
        ));
        let path = dir.path().join("inventory.ini");
        std::fs::write(&path, inventory).unwrap();
        Fleet {
            dir,
            hosts,
            inventory: path,
            summary,
        }
    }

    /// `ansible-playbook -i inventory examples/ansible/rollout.yml ARGS…`, with Ansible's own
    /// files kept in the test's directory (not $HOME).
    fn playbook(&self, ansible: &Path, args: &[&str]) -> std::process::Output {
        let examples = jitsi_custom::sandbox::examples_dir().join("ansible");
        let home = self.dir.path().join("ansible-home");
        std::fs::create_dir_all(&home).unwrap();
        Command::new(ansible)
            .current_dir(&examples)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("ANSIBLE_HOME", &home)
            .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
            .env("ANSIBLE_REMOTE_TEMP", home.join("remote-tmp"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_FORCE_COLOR", "0")
            .env("LC_ALL", "C.UTF-8")
            .env("SOURCE_DATE_EPOCH", "1795910400")
            .env("NO_COLOR", "1")
            .arg("-i")
            .arg(&self.inventory)
            .arg("rollout.yml")
            .args(args)
            .output()
            .unwrap()
    }

    /// Every host's root and state, to prove that nothing was written.
    fn snapshot(&self) -> Vec<Vec<(PathBuf, Vec<u8>)>> {
        self.hosts
            .iter()
            .flat_map(|w| [World::snapshot(&w.state), World::snapshot(&w.root)])
            .collect()
    }
}

/// The `PLAY RECAP` counts of one host: (ok, changed, failed).
fn recap(output: &str, host: &str) -> (u32, u32, u32) {
    let line = output
        .lines()
        .rev()
        .find(|l| l.starts_with(host) && l.contains("ok="))
        .unwrap_or_else(|| panic!("no recap for {host} in\n{output}"));
    let count = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (count("ok="), count("changed="), count("failed="))
}

#[test]
fn the_rollout_brings_one_customisation_into_effect_on_every_host_with_its_own_values() {
    let Some(ansible) = ansible_playbook() else {
        return;
    };
    let fleet = Fleet::new();

    // Check mode: says what would change (the remote would be added), writes nothing.
    let before = fleet.snapshot();
    let out = fleet.playbook(&ansible, &["--check"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(fleet.snapshot() == before, "check mode wrote something\n{text}");
    assert_eq!(
        recap(&text, "praxis-nord").1,
        1,
        "the remote would be added\n{text}"
    );

    // The rollout: one host after the other.
    let out = fleet.playbook(&ansible, &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    for ((name, domain, secret), w) in HOSTS.iter().zip(&fleet.hosts) {
        let config = w.read_string(&MEET_CONFIG.replace("tele.praxis.de", domain));
        assert!(
            config.contains(&format!("anonymousdomain: 'guest.{domain}'")),
            "{name}: {config}"
        );
        assert!(config.contains("defaultLanguage: 'de'"), "{name}");
        let prosody = w.read_string(&PROSODY.replace("tele.praxis.de", domain));
        assert!(
            prosody.contains(&format!("VirtualHost \"guest.{domain}\"")),
            "{name}"
        );
        assert!(
            prosody.contains(&format!("external_service_secret = \"{secret}\"")),
            "{name}"
        );
        assert_eq!(w.read(CARD), fleet.hosts[0].read(CARD), "{name}");
        let status = w.cmd(&["status"]).output().unwrap();
        assert_eq!(status.status.code(), Some(0), "{name}: {}", stdout(&status));
    }
    // The template host had it already; the others changed in the pull (and the remote add).
    assert_eq!(recap(&text, "praxis-sued").1, 1, "{text}");
    assert_eq!(recap(&text, "praxis-nord").1, 2, "{text}");
    assert!(text.contains("added: guide"), "{text}");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&fleet.summary).unwrap()).unwrap();
    for (name, _, _) in HOSTS {
        assert_eq!(summary[name]["needs_attention"], false, "{summary}");
        assert_eq!(summary[name]["remotes"]["origin"], 0, "{summary}");
        assert_eq!(
            summary[name]["packages"]["jitsi-meet-web"], "1.0.1-1",
            "{summary}"
        );
    }

    // Again: nothing to do, nothing changed.
    let out = fleet.playbook(&ansible, &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    for (name, _, _) in HOSTS {
        assert_eq!(
            recap(&text, name).1,
            0,
            "{name} changed on the second run\n{text}"
        );
    }

    // A new customisation on the template server: check mode runs each pull as a dry run and
    // reports it as a change, writing nothing; the rollout then brings it everywhere.
    let template = &fleet.hosts[0];
    template.write(
        CARD,
        template
            .read_string(CARD)
            .replace("</div>\n", "<p>Sprechzeiten: Mo–Fr</p>\n</div>\n"),
    );
    template.cmd(&["record", "-m", "opening hours"]).assert().code(0);
    template.cmd(&["push"]).assert().code(0);
    let before = fleet.snapshot();
    let out = fleet.playbook(&ansible, &["--check"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(fleet.snapshot() == before, "check mode wrote something\n{text}");
    assert_eq!(recap(&text, "praxis-west").1, 1, "the pull would change\n{text}");
    assert!(text.contains("added: opening hours"), "{text}");
    let out = fleet.playbook(&ansible, &[]);
    assert!(out.status.success(), "{}", stdout(&out));
    for w in &fleet.hosts {
        assert!(w.read_string(CARD).contains("Sprechzeiten"));
    }
}

#[test]
fn the_first_host_that_parks_a_decision_stops_the_rollout() {
    let Some(ansible) = ansible_playbook() else {
        return;
    };
    let fleet = Fleet::new();
    // praxis-nord made the card's heading its own before joining: its pull parks (its side live).
    let nord = &fleet.hosts[1];
    nord.write(
        CARD,
        nord.read_string(CARD)
            .replace("<h2>Welcome to Jitsi Meet</h2>", "<h2>Praxis Nord</h2>"),
    );
    nord.cmd(&["record", "-m", "Nord card"]).assert().code(0);

    let out = fleet.playbook(&ansible, &[]);
    let text = stdout(&out);
    assert!(!out.status.success(), "{text}");
    assert_eq!(recap(&text, "praxis-nord").2, 1, "{text}");
    assert!(nord.read_string(CARD).contains("<h2>Praxis Nord</h2>"));
    // praxis-west comes after it: left as it was.
    let west = &fleet.hosts[2];
    assert!(
        !west.read_string(CARD).contains("Praxis Sommer"),
        "the rollout went on"
    );
    let status = stdout(&west.cmd(&["remote", "list"]).output().unwrap());
    assert_eq!(status, "", "praxis-west was not touched");
}
