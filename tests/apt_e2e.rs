//! The end-to-end test with real apt: every `tests/e2e/scenarios/*.sh` runs through
//! `tests/e2e/run-scenario.sh` in a throw-away Debian bookworm chroot (unshare + tmpfs), with the
//! Debian package of this source tree installed by `apt-get install ./…deb` (`scripts/build-deb`,
//! run only when `target/debian/` holds no up-to-date package; CI builds it first);
//! `tests/e2e/interactive/*.sh` are driven through a pseudo-terminal as an admin at the terminal
//! would. The host's dpkg and apt state must come out untouched.
//!
//! Needs root and mmdebstrap (`scripts/test` installs it). Without them the tests say why and
//! pass, unless `CI` is set: there they fail, so CI never silently skips the apt test. The first
//! run builds the base tarball (`~/.cache/jitsi-custom/e2e/`, about half a minute), later runs reuse it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use md5::{Digest, Md5};
use rexpect::process::{Signal, WaitStatus};

#[path = "common/deb.rs"]
mod deb;

/// Files on the host that apt or dpkg would change if the harness ever leaked out of its chroot.
const HOST_FILES: &[&str] = &[
    "/var/lib/dpkg/status",
    "/var/lib/apt/extended_states",
    "/var/log/dpkg.log",
    "/etc/apt/sources.list",
];

/// Tools the harness runs on the host.
const HOST_TOOLS: &[&str] = &[
    "mmdebstrap",
    "unshare",
    "chroot",
    "zstd",
    "dpkg-deb",
    "apt-ftparchive",
];

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// Why the harness cannot run here, if it cannot.
fn missing_requirement() -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("not running as root (chroot and mounts need it)".into());
    }
    let missing: Vec<&str> = HOST_TOOLS.iter().copied().filter(|t| !deb::on_path(t)).collect();
    if !missing.is_empty() {
        return Some(format!(
            "missing {} (scripts/test installs them)",
            missing.join(", ")
        ));
    }
    deb::package().err()
}

/// True when the harness can run; otherwise prints why and returns false, or fails under CI.
fn harness_available(test: &str) -> bool {
    match missing_requirement() {
        None => true,
        Some(why) if deb::in_ci() => panic!("{test}: the apt end-to-end test cannot run under CI: {why}"),
        Some(why) => {
            eprintln!("{test}: SKIPPED, the apt end-to-end test cannot run here: {why}");
            false
        }
    }
}

/// md5 of each host file that apt or dpkg would write (None when absent).
fn host_state() -> Vec<(&'static str, Option<String>)> {
    HOST_FILES
        .iter()
        .map(|path| {
            let digest = std::fs::read(path).ok().map(|b| hex::encode(Md5::digest(&b)));
            (*path, digest)
        })
        .collect()
}

fn run_scenario(scenario: &Path) -> Command {
    let mut cmd = Command::new(e2e_dir().join("run-scenario.sh"));
    let package = deb::package().expect("checked by harness_available");
    cmd.arg(scenario).env("JITSI_CUSTOM_DEB", package);
    cmd
}

fn scripts_in(dir: &str) -> Vec<PathBuf> {
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(e2e_dir().join(dir))
        .unwrap_or_else(|e| panic!("tests/e2e/{dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sh"))
        .collect();
    scripts.sort();
    scripts
}

#[test]
fn apt_scenarios_pass_in_a_chroot() {
    if !harness_available("apt_scenarios_pass_in_a_chroot") {
        return;
    }
    let scenarios = scripts_in("scenarios");
    assert!(!scenarios.is_empty(), "no scenarios in tests/e2e/scenarios");

    let before = host_state();
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let name = scenario.file_name().unwrap().to_string_lossy().into_owned();
        let start = Instant::now();
        let output = run_scenario(scenario)
            .output()
            .unwrap_or_else(|e| panic!("{name}: cannot start run-scenario.sh: {e}"));
        eprintln!(
            "{name}: {} in {:.1} s",
            output.status,
            start.elapsed().as_secs_f64()
        );
        // The harness's own timing lines (tarball build, extract, scenario), for --nocapture.
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|l| l.starts_with("base.sh: built") || l.starts_with("run-scenario.sh: "))
            .for_each(|l| eprintln!("  {l}"));
        if !output.status.success() {
            failures.push(format!(
                "--- {name}: {}\n--- stdout:\n{}\n--- stderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
    assert_eq!(host_state(), before, "the host's dpkg/apt state changed");
}

/// What the driver does at one point of an interactive scenario.
enum Step<'a> {
    /// Wait for this text.
    Expect(&'a str),
    /// Type this (no newline added).
    Type(&'a str),
    /// Until `until` shows, press Enter each time `menu` shows (a question with its
    /// pre-selected answer, as dialoguer draws it: `> yes, …`), then wait for `answered` (the
    /// line dialoguer leaves once it is answered) before looking for the next one. For questions
    /// whose number the scenario does not fix, such as one "Noted?" per notice.
    EnterAtEach {
        menu: &'a str,
        answered: &'a str,
        until: &'a str,
    },
}

/// Runs `tests/e2e/interactive/<name>` on a pseudo-terminal, going through `steps`, then waits
/// for "=== ok" and exit 0. On a missed prompt the run is killed and the transcript shown.
fn drive_in_pty(name: &str, steps: &[Step]) {
    let scenario = e2e_dir().join("interactive").join(name);
    let before = host_state();

    let mut cmd = run_scenario(&scenario);
    cmd.env("TERM", "dumb");
    let start = Instant::now();
    // Generous: the first run may build the base tarball first.
    let mut session = rexpect::session::spawn_command(cmd, Some(300_000)).expect("spawn in a pty");
    let mut transcript = String::new();
    // Waits for the first of `needles`; returns its index.
    let mut expect_any = |session: &mut rexpect::session::PtySession, needles: &[&str]| -> usize {
        let until = needles
            .iter()
            .map(|n| rexpect::ReadUntil::String(n.to_string()))
            .collect();
        match session.exp_any(until) {
            Ok((seen, found)) => {
                transcript.push_str(&seen);
                transcript.push_str(&found);
                needles.iter().position(|n| *n == found).unwrap_or(0)
            }
            Err(e) => {
                // SIGKILL: unshare ignores the SIGTERM rexpect would send first, and
                // --kill-child takes the chroot's processes with it.
                let _ = session.process_mut().signal(Signal::SIGKILL);
                panic!("{name}: waiting for {needles:?}: {e}\n--- transcript so far:\n{transcript}")
            }
        }
    };
    let press = |session: &mut rexpect::session::PtySession, keys: &str| {
        session.send(keys).expect("type");
        session.flush().expect("flush");
    };
    for step in steps {
        match step {
            Step::Expect(needle) => {
                expect_any(&mut session, &[needle]);
            }
            Step::Type(keys) => press(&mut session, keys),
            Step::EnterAtEach {
                menu,
                answered,
                until,
            } => {
                while expect_any(&mut session, &[until, menu]) == 1 {
                    press(&mut session, "\r");
                    expect_any(&mut session, &[answered]);
                }
            }
        }
    }
    expect_any(&mut session, &["=== ok"]);
    let rest = session.exp_eof().unwrap_or_default();
    transcript.push_str(&rest);
    match session.process().wait() {
        Ok(WaitStatus::Exited(_, 0)) => {}
        other => panic!("{name}: run-scenario.sh ended with {other:?}\n--- transcript:\n{transcript}"),
    }
    eprintln!("{name}: ok in {:.1} s", start.elapsed().as_secs_f64());
    assert_eq!(host_state(), before, "the host's dpkg/apt state changed");
}

/// The pseudo-terminal path: a conffile prompt inside the chroot reaches this driver, and the
/// answer typed here reaches dpkg.
#[test]
fn a_conffile_prompt_in_the_chroot_is_answered_through_a_pty() {
    if !harness_available("a_conffile_prompt_in_the_chroot_is_answered_through_a_pty") {
        return;
    }
    drive_in_pty(
        "conffile-prompt.sh",
        &[
            Step::Expect("*** logging.properties (Y/I/N/O/D/Z) [default=N] ?"),
            Step::Type("Y\n"),
        ],
    );
}

/// Issue scenario 5: apt at the terminal meets a conflict; the hook's Post-Invoke asks about the
/// welcome card on apt's terminal. Enter at each question takes the defaults, "decide conflict by
/// conflict" and then "keep yours here": the practice's card is live and upstream's other
/// changes to it (the reworded comment) too.
#[test]
fn a_conflict_during_apt_at_the_terminal_is_asked_and_answered() {
    if !harness_available("a_conflict_during_apt_at_the_terminal_is_asked_and_answered") {
        return;
    }
    drive_in_pty(
        "conflict-prompt.sh",
        &[
            Step::Expect(
                "conflict: customisation \"guide\" in /usr/share/jitsi-meet/static/welcomePageAdditionalCard.html",
            ),
            Step::Expect("What should happen?"),
            // Pre-selected (dialoguer marks it with `>`).
            Step::Expect("> decide conflict by conflict (upstream's other changes stay)"),
            Step::Expect("keep the customised file as it was (drops ALL of upstream's changes to it)"),
            Step::Expect("abort (change nothing)"),
            Step::Type("\r"),
            Step::Expect("conflict 1/1"),
            Step::Expect("> keep yours here"),
            Step::Type("\r"),
            Step::Expect("=== the practice's card is live"),
        ],
    );
}

/// A conflict parked by an apt run without a terminal, then `jitsi-custom resolve` at the
/// terminal with Enter at every question: the defaults keep the practice's card and upstream's
/// other changes to it, and leave nothing parked and no notice.
#[test]
fn resolve_with_enter_at_every_question_keeps_yours_and_upstreams_other_changes() {
    if !harness_available("resolve_with_enter_at_every_question_keeps_yours_and_upstreams_other_changes") {
        return;
    }
    drive_in_pty(
        "resolve-defaults.sh",
        &[
            Step::Expect("=== jitsi-custom resolve at the terminal"),
            Step::Expect(
                "conflict: customisation \"guide\" in /usr/share/jitsi-meet/static/welcomePageAdditionalCard.html",
            ),
            Step::Expect("What should happen?"),
            Step::Expect("> decide conflict by conflict (upstream's other changes stay)"),
            Step::Type("\r"),
            Step::Expect("conflict 1/1"),
            Step::Expect("> keep yours here"),
            Step::Type("\r"),
            Step::EnterAtEach {
                menu: "> yes, take it off the list",
                answered: "Noted?: yes, take it off the list",
                until: "=== the practice's card with upstream's reworded comment",
            },
        ],
    );
}
