//! Many servers (issue #15): a customisation set shared through a git remote. Two sandbox hosts
//! with their own domains and TURN secrets, installed by the real dpkg, and a bare repository
//! made by the real git: what one records and pushes ends in effect on the other with the
//! other's values; the remote never holds a host's domain or secret; a pull that meets a local
//! customisation follows the never-weaker rules.

mod common;

use std::path::{Path, PathBuf};

use common::{CARD, MAIN_DE, MEET_CONFIG, PROSODY, SIP, World, stderr, stdout};

/// Host A: the guide's world (`tele.praxis.de`, the packages' default TURN secret).
const SUED_DOMAIN: &str = "tele.praxis.de";
const SUED_SECRET: &str = "k7Hq2WzR9mLp4TxV";
/// Host B: another practice of the same group.
const NORD_DOMAIN: &str = "video.praxis-nord.de";
const NORD_SECRET: &str = "N0rdTurnS3cret42";

fn nord(path: &str) -> String {
    path.replace(SUED_DOMAIN, NORD_DOMAIN)
}

/// Host A with the guide's customisations recorded as "guide".
fn host_a() -> World {
    World::jitsi_customised()
}

/// Host B: the same packages installed for another domain and TURN secret, `init`, nothing
/// customised.
fn host_b() -> World {
    let debs = common::bundled_debs("1.0.1-1");
    let w = World::with_packages(&debs, |sandbox| {
        sandbox.set_domain(NORD_DOMAIN).unwrap();
        std::fs::write(
            sandbox.path("/etc/jitsi/meet/turnsecret"),
            format!("{NORD_SECRET}\n"),
        )
        .unwrap();
    });
    for deb in &debs {
        w.sandbox().cache_deb(deb).unwrap();
    }
    w.cmd(&["init"]).assert().code(0);
    w
}

/// A bare repository made by git, as an IT service would host it.
fn bare_remote(dir: &Path) -> PathBuf {
    let repo = dir.join("fleet.git");
    let status = std::process::Command::new("git")
        .args(["init", "--bare", "-q"])
        .arg(&repo)
        .status()
        .expect("git");
    assert!(status.success());
    repo
}

fn git(repo: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .arg(format!("--git-dir={}", repo.display()))
        .args(args)
        .output()
        .expect("git")
}

/// Every object the remote holds, content and all (every commit ever pushed, not only the tip).
fn every_object(repo: &Path) -> String {
    let out = git(repo, &["cat-file", "--batch-all-objects", "--batch"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The files of the remote's shared tip.
fn shared_files(repo: &Path) -> Vec<String> {
    let out = git(
        repo,
        &["ls-tree", "-r", "--name-only", "refs/heads/jitsi-custom/shared"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).lines().map(str::to_string).collect()
}

fn join(w: &World, remote: &Path) {
    w.cmd(&["remote", "add", "origin", remote.to_str().unwrap()])
        .assert()
        .code(0);
}

/// A bare remote in a temporary directory, with the template host `a` joined to it.
struct Fleet {
    _dir: tempfile::TempDir,
    remote: PathBuf,
    a: World,
}

impl Fleet {
    fn of(a: World) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let remote = bare_remote(dir.path());
        join(&a, &remote);
        Fleet { _dir: dir, remote, a }
    }

    /// The template's customisations pushed, and `b` joined to the remote, before it pulls.
    fn pushed_and_joined_by(&self, b: World) -> World {
        self.a.cmd(&["push"]).assert().code(0);
        join(&b, &self.remote);
        b
    }
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

fn changes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["customisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_customisation_pushed_from_one_host_is_in_effect_on_the_other_with_its_own_values() {
    let fleet = Fleet::of(host_a());
    let (remote, a) = (&fleet.remote, &fleet.a);
    let out = a.cmd(&["push", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(changes(&report), [("guide".to_string(), "added".to_string())]);
    assert_eq!(
        report["placeholders"],
        serde_json::json!(["domain", "guest_domain", "turn_secret"])
    );

    // What travelled: the shared branch only, with placeholders; neither host's domain nor
    // secret in any object the remote holds.
    let refs = stdout(&git(remote, &["for-each-ref", "--format=%(refname)"]));
    assert_eq!(refs.trim(), "refs/heads/jitsi-custom/shared");
    let files = shared_files(remote);
    assert!(files.contains(&"0001-guide.patch".to_string()), "{files:?}");
    assert!(
        files.contains(&"base/etc/prosody/conf.avail/{domain}.cfg.lua".to_string()),
        "{files:?}"
    );
    let everything = every_object(remote);
    for secret in [SUED_DOMAIN, SUED_SECRET, NORD_DOMAIN, NORD_SECRET, "praxis.de"] {
        assert!(!everything.contains(secret), "the remote holds {secret}");
    }
    assert!(everything.contains("VirtualHost \"{guest_domain}\""));
    assert!(everything.contains("external_service_secret = \"{turn_secret}\""));

    // Host B pulls: the guide is in effect with B's domain, guest domain and TURN secret.
    let b = host_b();
    join(&b, remote);
    let out = b.cmd(&["pull", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(changes(&report), [("guide".to_string(), "added".to_string())]);
    assert_eq!(report["changed"], true);
    let config = b.read_string(&nord(MEET_CONFIG));
    assert!(
        config.contains(&format!("anonymousdomain: 'guest.{NORD_DOMAIN}'")),
        "{config}"
    );
    assert!(config.contains("defaultLanguage: 'de'"));
    assert!(config.contains("disableThirdPartyRequests: true"));
    assert!(config.contains(&format!("{{ urls: 'stun:{NORD_DOMAIN}:3478' }}")));
    let prosody = b.read_string(&nord(PROSODY));
    assert!(prosody.contains("authentication = \"internal_hashed\""));
    assert!(prosody.contains(&format!("VirtualHost \"guest.{NORD_DOMAIN}\"")));
    assert!(prosody.contains(&format!("external_service_secret = \"{NORD_SECRET}\"")));
    assert!(
        b.read_string(SIP)
            .contains(&format!("auth.URL=XMPP:{NORD_DOMAIN}"))
    );
    for path in [CARD, MAIN_DE, "/usr/share/jitsi-meet/images/favicon.ico"] {
        assert_eq!(b.read(path), a.read(path), "{path}");
    }
    let everything_b: String = b
        .tracked_files()
        .into_iter()
        .map(|(_, content, _)| String::from_utf8_lossy(&content).into_owned())
        .collect();
    assert!(!everything_b.contains(SUED_DOMAIN) && !everything_b.contains(SUED_SECRET));

    // B is clean and in step; pulling again changes nothing.
    let status = b.cmd(&["status", "--json"]).output().unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", stdout(&status));
    let status = json(&status);
    assert_eq!(status["remotes"][0]["ahead"], 0);
    assert_eq!(status["remotes"][0]["behind"], 0);
    let again = json(&b.cmd(&["pull", "--json"]).output().unwrap());
    assert_eq!(again["changed"], false);
    assert_eq!(changes(&again), [("guide".to_string(), "unchanged".to_string())]);
    let log = stdout(&b.cmd(&["log"]).output().unwrap());
    assert!(log.contains("pull"), "{log}");
}

#[test]
fn a_pull_that_meets_a_local_customisation_keeps_the_admins_side_live() {
    let fleet = Fleet::of(host_a());
    let (remote, a) = (&fleet.remote, &fleet.a);
    a.cmd(&["push"]).assert().code(0);

    // B's admin had made the card and the title their own before the group's set arrived.
    let b = host_b();
    let card = b
        .read_string(CARD)
        .replace("<h2>Welcome to Jitsi Meet</h2>", "<h2>Praxis Nord</h2>");
    b.write(CARD, card);
    let de = b.read_string(MAIN_DE).replace(
        "\"headerTitle\": \"Jitsi Meet\"",
        "\"headerTitle\": \"Praxis Nord\"",
    );
    b.write(MAIN_DE, de);
    b.cmd(&["record", "-m", "Nord"]).assert().code(0);
    join(&b, remote);
    let out = b.cmd(&["pull", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "parked: attention\n{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        changes(&report),
        [
            ("guide".to_string(), "added".to_string()),
            ("Nord".to_string(), "parked".to_string())
        ]
    );
    assert_eq!(report["parked"][0]["path"], CARD, "{report}");
    assert_eq!(report["parked"][0]["fallback"], "yours", "{report}");
    // Never weaker: the admin's heading is live, with the group's other changes to the card.
    let card = b.read_string(CARD);
    assert!(card.contains("<h2>Praxis Nord</h2>"), "{card}");
    assert!(
        card.contains("Datenschutzhinweise zur Videosprechstunde"),
        "{card}"
    );
    assert!(!card.contains("<<<<<<<"));
    // The title: the admin's value kept over the group's without asking, listed for review;
    // the group's other texts of the file are live.
    let de = b.read_string(MAIN_DE);
    assert!(de.contains("\"headerTitle\": \"Praxis Nord\""), "{de}");
    assert!(de.contains("\"startMeeting\": \"Videotermin starten\""), "{de}");
    // And everything else of the guide is in effect.
    assert!(
        b.read_string(&nord(PROSODY))
            .contains(&format!("VirtualHost \"guest.{NORD_DOMAIN}\""))
    );
    let status = b.cmd(&["status"]).output().unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert!(stdout(&status).contains("parked \"Nord\""), "{}", stdout(&status));
    assert!(stdout(&status).contains("review \"Nord\""), "{}", stdout(&status));
    // What waits for a decision is not pushed: the stack holds its fallback, not the intent.
    let out = b.cmd(&["push"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("\"Nord\" waits for a decision"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("hint: `jitsi-custom resolve` first"));
}

#[test]
fn push_refuses_a_secret_it_recognises_and_says_where_it_is() {
    let fleet = Fleet::of(host_a());
    let (remote, a) = (&fleet.remote, &fleet.a);
    let sip = a.read_string(SIP) + "org.jitsi.jicofo.auth.PASSWORD=Focus2Secret9\n";
    a.write(SIP, sip);
    a.cmd(&["record", "-m", "jicofo login"]).assert().code(0);
    let out = a.cmd(&["push"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("refused: \"jicofo login\": /etc/jitsi/jicofo/sip-communicator.properties:10: holds a value for org.jitsi.jicofo.auth.PASSWORD"),
        "{err}"
    );
    assert!(!err.contains("Focus2Secret9"), "the message shows no secret");
    assert_eq!(stdout(&git(remote, &["for-each-ref"])), "", "nothing was sent");

    // Made a host value, it travels as a placeholder; a host without that value cannot pull.
    a.cmd(&["host-value", "set", "jicofo_password", "Focus2Secret9"])
        .assert()
        .code(0);
    let values = std::fs::metadata(a.state.join("host-values.toml")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(values.permissions().mode() & 0o777, 0o600);
    a.cmd(&["push"]).assert().code(0);
    let everything = every_object(remote);
    assert!(!everything.contains("Focus2Secret9"));
    assert!(everything.contains("PASSWORD={jicofo_password}"));
    let b = host_b();
    join(&b, remote);
    let out = b.cmd(&["pull"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("{jicofo_password}"), "{}", stderr(&out));
    b.cmd(&["host-value", "set", "jicofo_password", "-"])
        .write_stdin("Nord8Focus8Pw\n")
        .assert()
        .code(0);
    b.cmd(&["pull"]).assert().code(0);
    assert!(b.read_string(SIP).contains("PASSWORD=Nord8Focus8Pw"));
    let list = stdout(&b.cmd(&["host-value", "list"]).output().unwrap());
    assert!(
        !list.contains("Nord8Focus8Pw") && !list.contains(NORD_SECRET),
        "{list}"
    );
    assert!(
        list.contains(NORD_DOMAIN) && list.contains("jicofo_password  (secret"),
        "{list}"
    );
}

#[test]
fn push_needs_a_pull_first_when_the_remote_moved_and_changes_travel_both_ways() {
    let fleet = Fleet::of(host_a());
    let (remote, a) = (&fleet.remote, &fleet.a);
    let b = fleet.pushed_and_joined_by(host_b());
    b.cmd(&["pull"]).assert().code(0);

    // A changes the card and pushes; B, not having pulled, records and pushes: refused.
    a.write(
        CARD,
        a.read_string(CARD)
            .replace("</div>", "<p>Sprechzeiten: Mo–Fr</p>\n</div>"),
    );
    a.cmd(&["record", "-m", "opening hours"]).assert().code(0);
    a.cmd(&["push"]).assert().code(0);
    let css = b
        .read_string(common::ALL_CSS)
        .replace("font-size:13pt", "font-size:15pt");
    b.write(common::ALL_CSS, css);
    b.cmd(&["record", "--into", "guide"]).assert().code(0);
    let status = json(&b.cmd(&["status", "--json"]).output().unwrap());
    assert_eq!(status["remotes"][0]["ahead"], 1, "{status}");
    let out = b.cmd(&["push"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("hint: `jitsi-custom pull origin` first"),
        "{}",
        stderr(&out)
    );

    // B pulls: A's new customisation arrives, B's own change to the guide stays.
    let out = b.cmd(&["pull", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        changes(&json(&out)),
        [
            ("guide".to_string(), "kept-local".to_string()),
            ("opening hours".to_string(), "added".to_string())
        ]
    );
    assert!(b.read_string(CARD).contains("Sprechzeiten"));
    assert!(b.read_string(common::ALL_CSS).contains("font-size:15pt"));
    b.cmd(&["push"]).assert().code(0);

    // A pulls B's change to the guide back: both servers are the same now.
    let out = a.cmd(&["pull", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        changes(&json(&out)),
        [
            ("guide".to_string(), "updated".to_string()),
            ("opening hours".to_string(), "unchanged".to_string())
        ]
    );
    assert!(a.read_string(common::ALL_CSS).contains("font-size:15pt"));
    assert_eq!(a.read(CARD), b.read(CARD));
    let everything = every_object(remote);
    assert!(!everything.contains(NORD_DOMAIN) && !everything.contains(NORD_SECRET));
}

#[test]
fn a_dry_run_pull_changes_nothing_and_rollback_takes_a_pull_back() {
    let fleet = Fleet::of(host_a());
    let b = fleet.pushed_and_joined_by(host_b());
    let before = (World::snapshot(&b.state), World::snapshot(&b.root));
    let out = b.cmd(&["--dry-run", "pull"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("added      \"guide\""), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("would write {}", nord(PROSODY))));
    assert!(
        before == (World::snapshot(&b.state), World::snapshot(&b.root)),
        "a dry run wrote"
    );

    b.cmd(&["pull"]).assert().code(0);
    b.cmd(&["rollback"]).assert().code(0);
    let guest = format!("VirtualHost \"guest.{NORD_DOMAIN}\"");
    assert!(!b.read_string(&nord(PROSODY)).contains(&guest));
    // The synced marker went back with the stack: B is behind again, and a push must wait.
    let status = json(&b.cmd(&["status", "--json"]).output().unwrap());
    assert_eq!(status["remotes"][0]["behind"], 1, "{status}");
    b.cmd(&["push"]).assert().code(2);
    b.cmd(&["pull"]).assert().code(0);
    assert!(b.read_string(&nord(PROSODY)).contains(&guest));
}

#[test]
fn a_new_file_no_package_ships_travels_and_is_tracked_on_the_other_host() {
    const LOGO: &str = "/usr/share/jitsi-meet/images/praxis-logo.png";
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..600u32).map(|i| (i * 7 % 251) as u8));
    let a = host_a();
    a.write(LOGO, &png);
    a.cmd(&["track", LOGO]).assert().code(0);
    a.cmd(&["record", "-m", "practice logo"]).assert().code(0);
    let fleet = Fleet::of(a);
    let b = fleet.pushed_and_joined_by(host_b());
    let out = b.cmd(&["pull"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("track {LOGO}")),
        "{}",
        stdout(&out)
    );
    assert_eq!(b.read(LOGO), png);
    let status = stdout(&b.cmd(&["status"]).output().unwrap());
    assert!(
        status.contains(LOGO) && status.contains("(practice logo)"),
        "{status}"
    );
}

/// Writes a shared branch by hand into the bare repository, as a hostile remote might hold it.
fn hostile_remote(dir: &Path, patch: &str) -> PathBuf {
    let remote = bare_remote(dir);
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("jitsi-custom-shared.toml"),
        "format = 1\nplaceholders = []\n\n[[customisation]]\nname = \"innocent\"\nfile = \"0001-innocent.patch\"\n",
    )
    .unwrap();
    std::fs::write(work.join("series"), "0001-innocent.patch\n").unwrap();
    std::fs::write(work.join("0001-innocent.patch"), patch).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&work)
            .env("GIT_AUTHOR_NAME", "x")
            .env("GIT_AUTHOR_EMAIL", "x@x")
            .env("GIT_COMMITTER_NAME", "x")
            .env("GIT_COMMITTER_EMAIL", "x@x")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "innocent"]);
    git(&[
        "push",
        "-q",
        remote.to_str().unwrap(),
        "HEAD:refs/heads/jitsi-custom/shared",
    ]);
    remote
}

#[test]
fn a_hostile_shared_branch_is_refused_and_nothing_is_written() {
    for (patch, needle) in [
        (
            "diff --git a/etc/shadow b/etc/shadow\n--- a/etc/shadow\n+++ b/etc/shadow\n@@ -1 +1 @@\n-root:x:\n+root::\n",
            "/etc/shadow: is outside the Jitsi trees",
        ),
        (
            "diff --git a/usr/share/jitsi-meet/../../../etc/shadow b/usr/share/jitsi-meet/../../../etc/shadow\n--- a/usr/share/jitsi-meet/../../../etc/shadow\n+++ b/usr/share/jitsi-meet/../../../etc/shadow\n@@ -1 +1 @@\n-a\n+b\n",
            "climbs with `..`",
        ),
        ("not a patch at all\n", "does not parse as a patch"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let remote = hostile_remote(dir.path(), patch);
        let b = host_b();
        join(&b, &remote);
        let before = (World::snapshot(&b.state), World::snapshot(&b.root));
        let out = b.cmd(&["pull"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{needle}: {}", stderr(&out));
        assert!(stderr(&out).contains("refused: \"innocent\""), "{}", stderr(&out));
        let after = (World::snapshot(&b.state), World::snapshot(&b.root));
        // Fetching keeps the remote's objects and its tip in the store; nothing else changes.
        let changed: Vec<&PathBuf> = after
            .0
            .iter()
            .chain(&after.1)
            .filter(|f| !before.0.contains(f) && !before.1.contains(f))
            .map(|(p, _)| p)
            .filter(|p| {
                let p = p.to_string_lossy();
                !p.contains("/repo/objects/") && !p.contains("/repo/refs/remotes/")
            })
            .collect();
        assert!(changed.is_empty(), "{changed:?}");
    }
}

#[test]
fn a_pull_onto_a_newer_jitsi_merges_each_setting_onto_this_hosts_upstream() {
    let fleet = Fleet::of(host_a());
    let (remote, a) = (&fleet.remote, &fleet.a);
    a.cmd(&["push"]).assert().code(0);
    // B runs 1.0.2 already: its upstream differs from the one the guide was made on.
    let b = host_b();
    b.install("1.0.2-1");
    b.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(0);
    join(&b, remote);
    let out = b.cmd(&["pull"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let interface = b.read_string(common::INTERFACE);
    assert!(
        interface.contains("APP_NAME: 'Praxis Videosprechstunde'"),
        "{interface}"
    );
    assert!(
        interface.contains("HIDE_DEEP_LINKING_LOGO"),
        "1.0.2's new setting stays: {interface}"
    );
    let de = b.read_string(MAIN_DE);
    assert!(de.contains("\"headerTitle\": \"Praxis Videosprechstunde\"") && de.contains("breakoutRooms"));
    let prosody = b.read_string(&nord(PROSODY));
    assert!(prosody.contains(&format!("VirtualHost \"guest.{NORD_DOMAIN}\"")));
    assert!(
        prosody.contains("smacks_max_unacked_stanzas"),
        "1.0.2's Prosody setting stays"
    );
    b.cmd(&["status"]).assert().code(0);
}

#[test]
fn customisations_listed_local_stay_on_their_host_and_on_top() {
    let a = host_a();
    a.write(
        CARD,
        a.read_string(CARD)
            .replace("</div>\n", "<p>Nur in Süd: Parkplatz im Hof</p>\n</div>\n"),
    );
    a.cmd(&["record", "-m", "Süd parking"]).assert().code(0);
    // The admin's hand edit of the file `host-value` writes.
    a.cmd(&[
        "host-value",
        "set",
        "imprint_url",
        "https://sued.example/impressum",
    ])
    .assert()
    .code(0);
    let values = std::fs::read_to_string(a.state.join("host-values.toml")).unwrap();
    std::fs::write(
        a.state.join("host-values.toml"),
        values.replace("local = []", "local = [\"Süd parking\"]"),
    )
    .unwrap();
    let fleet = Fleet::of(a);
    let (remote, a) = (&fleet.remote, &fleet.a);
    let out = a.cmd(&["push", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        changes(&json(&out)),
        [
            ("guide".to_string(), "added".to_string()),
            ("Süd parking".to_string(), "kept-local".to_string())
        ]
    );
    assert!(!every_object(remote).contains("Parkplatz"));
    let b = host_b();
    join(&b, remote);
    b.cmd(&["pull"]).assert().code(0);
    assert!(!b.read_string(CARD).contains("Parkplatz"));
    // A pulls: its local customisation stays, on top.
    let out = a.cmd(&["pull", "--json"]).output().unwrap();
    assert_eq!(
        changes(&json(&out)),
        [
            ("guide".to_string(), "unchanged".to_string()),
            ("Süd parking".to_string(), "kept-local".to_string())
        ]
    );
    assert!(a.read_string(CARD).contains("Parkplatz"));
    let status = json(&a.cmd(&["status", "--json"]).output().unwrap());
    assert_eq!(status["remotes"][0]["ahead"], 0, "{status}");
}

#[test]
fn remote_remove_stops_sharing_and_keeps_the_customisations() {
    let fleet = Fleet::of(host_a());
    let a = &fleet.a;
    a.cmd(&["push"]).assert().code(0);
    let live_before = a.tracked_files();

    let dry = a
        .cmd(&["--dry-run", "remote", "remove", "origin"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(stdout(&a.cmd(&["remote", "list"]).output().unwrap()).contains("origin"));

    let out = a.cmd(&["remote", "remove", "origin", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["removed"], true);
    let list = a.cmd(&["remote", "list", "--json"]).output().unwrap();
    assert_eq!(json(&list), serde_json::json!([]));
    let status = json(&a.cmd(&["status", "--json"]).output().unwrap());
    assert!(status.get("remotes").is_none(), "no remote to show: {status}");
    // Nothing of the remote is left in the store: no config, no fetched branch, no marker.
    let refs = stdout(&git(
        &a.state.join("repo"),
        &["for-each-ref", "--format=%(refname)"],
    ));
    assert!(!refs.contains("origin"), "{refs}");
    assert_eq!(
        a.tracked_files(),
        live_before,
        "the customisations stay live as they were"
    );
    let log = stdout(&a.cmd(&["log"]).output().unwrap());
    assert!(log.contains("remove origin"), "{log}");

    // An unknown remote: one error line with a hint, nothing written.
    let before = World::snapshot(&a.state);
    let unknown = a.cmd(&["remote", "remove", "origin"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(common::one_error_line(&unknown).contains("no remote named \"origin\""));
    assert!(stderr(&unknown).contains("hint: add it with `jitsi-custom remote add origin URL`"));
    assert_eq!(World::snapshot(&a.state), before);

    // Added again, the remote starts afresh: this host pulls what it holds before it pushes.
    join(a, &fleet.remote);
    let push = a.cmd(&["push"]).output().unwrap();
    assert_eq!(push.status.code(), Some(2), "{}", stderr(&push));
    assert!(stderr(&push).contains("`jitsi-custom pull origin` first"));
    a.cmd(&["pull"]).assert().code(0);
    a.cmd(&["push"]).assert().code(0);
    assert_eq!(a.tracked_files(), live_before);
}
