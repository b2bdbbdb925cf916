//! Hostile input and interrupted runs: a state dir others can write, locks and temp files left by
//! killed runs, corrupt objects in the store, garbage package archives, NUL bytes fed to the
//! merge driver, a hand-trimmed manifest, a full disk, runaway external programs. Each case gets
//! one clear error line (or, in the apt hook, one line and exit 0); nothing hangs or is lost.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{CARD, World, one_error_line, stderr};

const LOGO: &str = "/usr/share/jitsi-meet/images/praxis-logo.png";

/// A hook step: it exits 0 whatever happens; returns stderr.
fn hook(w: &World, step: &str) -> String {
    let out = w
        .cmd(&["hook", step])
        .write_stdin("VERSION 3\n\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{step}: {}", stderr(&out));
    stderr(&out)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Whether any object of the store's repository holds these bytes.
fn store_holds(state: &Path, needle: &[u8]) -> bool {
    let repo = git2::Repository::open_bare(state.join("repo")).unwrap();
    let odb = repo.odb().unwrap();
    let mut found = false;
    odb.foreach(|oid| {
        if let Ok(object) = odb.read(*oid)
            && object.data().windows(needle.len()).any(|w| w == needle)
        {
            found = true;
        }
        true
    })
    .unwrap();
    found
}

/// Defect 12: a world-writable state dir was accepted, so anybody could plant a manifest that
/// tracks /etc/shadow and root's apt hook copied the file into the repository.
#[test]
fn a_state_dir_others_can_write_is_refused_and_the_hook_copies_nothing() {
    let w = World::card_initialised();
    w.write("/etc/shadow", "root:$y$secret-hash:19000::::::\n");
    chmod(&w.state, 0o777);
    let manifest = w.state.join("jitsi-custom.toml");
    let planted = std::fs::read_to_string(&manifest).unwrap() + "\n[[file]]\npath = \"/etc/shadow\"\n";
    std::fs::write(&manifest, planted).unwrap();

    let err = hook(&w, "pre-invoke");
    assert!(err.contains("writable"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        !store_holds(&w.state, b"secret-hash"),
        "the hook copied /etc/shadow"
    );

    for args in [&["record", "-m", "x"][..], &["status"], &["rebase"]] {
        let out = w.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let line = one_error_line(&out);
        assert!(line.contains(&w.state.display().to_string()), "{line}");
        assert!(line.contains("writable"), "{line}");
        assert!(
            stderr(&out).contains(&format!("hint: chmod go-w {}", w.state.display())),
            "{}",
            stderr(&out)
        );
    }
    assert!(!store_holds(&w.state, b"secret-hash"));
}

/// Defect 12: the manifest itself may not be writable by others either.
#[test]
fn a_manifest_others_can_write_is_refused() {
    let w = World::card_initialised();
    let manifest = w.state.join("jitsi-custom.toml");
    chmod(&manifest, 0o666);
    let out = w.cmd(&["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let line = one_error_line(&out);
    assert!(
        line.contains("jitsi-custom.toml") && line.contains("writable"),
        "{line}"
    );
    assert!(stderr(&out).contains(&format!("hint: chmod go-w {}", manifest.display())));
    assert!(hook(&w, "post-invoke").contains("writable"));
    chmod(&manifest, 0o644);
    w.cmd(&["status"]).assert().code(0);
}

/// Defect 12: a state dir (or manifest) owned by another user is refused, with the chown that
/// fixes it.
#[test]
fn a_state_dir_owned_by_another_user_is_refused() {
    let w = World::card_initialised();
    std::os::unix::fs::chown(&w.state, Some(65534), None).unwrap();
    let out = w.cmd(&["record", "-m", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains("owned by uid 65534"), "{line}");
    assert!(stderr(&out).contains("hint: chown"), "{}", stderr(&out));
    std::os::unix::fs::chown(&w.state, Some(0), None).unwrap();
    let manifest = w.state.join("jitsi-custom.toml");
    std::os::unix::fs::chown(&manifest, Some(65534), None).unwrap();
    let out = w.cmd(&["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("jitsi-custom.toml"));
    std::os::unix::fs::chown(&manifest, Some(0), None).unwrap();
    w.cmd(&["status"]).assert().code(0);
}

/// The `.lock` files libgit2 leaves when a run is killed while it moves a ref.
fn plant_git_locks(state: &Path) -> Vec<std::path::PathBuf> {
    let locks = [
        "repo/refs/heads/custom.lock",
        "repo/refs/jitsi-custom/oplog.lock",
        "repo/packed-refs.lock",
    ]
    .map(|l| state.join(l));
    for lock in &locks {
        std::fs::write(lock, "").unwrap();
    }
    locks.to_vec()
}

/// Defect 2: a ref lock left by a killed run wedged every writer ("failed to lock file …
/// custom.lock", exit 3) although locks of killed runs are promised to be released.
#[test]
fn locks_a_killed_run_left_are_cleared_by_the_next_writer() {
    let w = World::card_initialised();
    // Our own lock, taken by a process that was then killed.
    let status = std::process::Command::new("sh")
        .args([
            "-c",
            "exec 9>>\"$1\" && flock -x 9 && echo \"pid $$\" >&9 && kill -9 $$",
            "sh",
        ])
        .arg(w.state.join("lock"))
        .status()
        .unwrap();
    assert_eq!(status.code(), None, "the holder was killed");
    let locks = plant_git_locks(&w.state);
    w.write(CARD, "<div class=\"card\">\n<p>Praxis</p>\n</div>\n");
    let out = w.cmd(&["-v", "record", "-m", "card"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("removed the stale lock {}", locks[0].display())),
        "{}",
        stderr(&out)
    );
    assert!(locks.iter().all(|l| !l.exists()));

    // Not a word without -v, and the other writers get past them too.
    plant_git_locks(&w.state);
    let out = w.cmd(&["rollback"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("stale"), "{}", stderr(&out));
    plant_git_locks(&w.state);
    w.write(CARD, "<p>edit before apt</p>\n");
    let err = hook(&w, "pre-invoke");
    assert!(err.contains("recorded"), "{err}");
    assert!(locks.iter().all(|l| !l.exists()));
}

/// Defect 2: a reader takes no lock, so it must not take lock files for stale either.
#[test]
fn readers_leave_lock_files_alone() {
    let w = World::card_initialised();
    let locks = plant_git_locks(&w.state);
    w.cmd(&["status"]).assert().code(0);
    assert!(locks.iter().all(|l| l.exists()));
}

/// Runs `merge-file` the way git runs a merge driver (`--path %P %O %A %B -o %A`): the result
/// replaces the local file. Returns the exit code and what is left in the local file.
fn merge_driver(w: &World, path: &str, base: &[u8], local: &[u8], upstream: &[u8]) -> (i32, Vec<u8>) {
    let dir = w.dir.path().join("merge");
    std::fs::create_dir_all(&dir).unwrap();
    let (o, a, b) = (dir.join("O"), dir.join("A"), dir.join("B"));
    std::fs::write(&o, base).unwrap();
    std::fs::write(&a, local).unwrap();
    std::fs::write(&b, upstream).unwrap();
    let out = w
        .cmd(&["merge-file", "--path", path])
        .arg(&o)
        .arg(&a)
        .arg(&b)
        .arg("-o")
        .arg(&a)
        .output()
        .unwrap();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed: {}", stderr(&out)));
    (code, std::fs::read(&a).unwrap())
}

/// Defect 7: with NUL bytes in its inputs, `merge-file` (text strategy, and the strategies that
/// fall back to it) wrote an empty result and exited 0 — as git's merge driver it emptied the
/// file and reported a clean merge (a debug build aborted instead).
#[test]
fn merge_file_takes_input_with_nul_bytes_as_a_binary_file() {
    let w = World::new();
    let base = b"<p>a\0b</p>\n<p>two</p>\n".as_slice();
    let local = b"<p>a\0b</p>\n<p>two, local</p>\n".as_slice();
    let upstream = b"<p>a\0b upstream</p>\n<p>two</p>\n".as_slice();
    for path in [
        CARD,
        "/usr/share/jitsi-meet/lang/main-de.json",
        "/etc/x/a.cfg.lua",
    ] {
        // Both sides changed the file: a conflict, and the local file stays as it was.
        assert_eq!(
            merge_driver(&w, path, base, local, upstream),
            (1, local.to_vec()),
            "{path}"
        );
        // One side changed it: that side is the result, whole.
        assert_eq!(
            merge_driver(&w, path, base, base, upstream),
            (0, upstream.to_vec()),
            "{path}"
        );
        assert_eq!(
            merge_driver(&w, path, base, local, base),
            (0, local.to_vec()),
            "{path}"
        );
    }
}

/// A world with two tracked files, each with a recorded customisation.
fn customised() -> World {
    let w = World::card_initialised();
    w.write(CARD, "<div class=\"card\">\n<p>Praxis Sonnenschein</p>\n</div>\n");
    w.cmd(&["record", "-m", "practice card"]).assert().success();
    w.write(LOGO, b"\x89PNG\r\n\x1a\n\x00\x00logo");
    w.cmd(&["track", LOGO]).assert().success();
    w.cmd(&["record", "-m", "practice logo"]).assert().success();
    w
}

/// A manifest without the `[[file]]` entry of one path.
fn manifest_without(text: &str, path: &str) -> String {
    let mut entries: Vec<&str> = text.split("[[file]]").collect();
    let head = entries.remove(0);
    let kept: Vec<String> = entries
        .into_iter()
        .filter(|e| !e.contains(&format!("\"{path}\"")))
        .map(|e| format!("[[file]]{e}"))
        .collect();
    format!("{head}{}", kept.concat())
}

/// The command a `hint:` line gives in backticks.
fn hinted_command(err: &str) -> Vec<String> {
    let hint = err.lines().find(|l| l.starts_with("hint:")).expect("a hint");
    let command = hint.split('`').nth(1).expect("a command in backticks");
    command.split(' ').skip(1).map(str::to_string).collect()
}

/// Defect 11: an emptied manifest was taken for "nothing tracked": the next rebase dropped every
/// customisation while saying "nothing to do".
#[test]
fn a_manifest_that_lost_files_the_store_holds_is_refused_by_writers() {
    let w = customised();
    let manifest = w.state.join("jitsi-custom.toml");
    let full = std::fs::read(&manifest).unwrap();
    let repo_before = World::snapshot(&w.state.join("repo"));
    std::fs::write(&manifest, "# emptied by mistake\n").unwrap();
    let out = w.cmd(&["rebase"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains(CARD) && line.contains(LOGO), "{line}");
    assert!(
        stderr(&out).contains("hint:") && stderr(&out).contains("untrack"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        World::snapshot(&w.state.join("repo")),
        repo_before,
        "nothing written"
    );

    // One file cut out is refused just the same, by every writer and by the hook.
    std::fs::write(&manifest, manifest_without(&String::from_utf8_lossy(&full), LOGO)).unwrap();
    w.write(CARD, "<p>another edit</p>\n");
    for args in [&["record", "-m", "x"][..], &["track", CARD], &["untrack", CARD]] {
        let out = w.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let line = one_error_line(&out);
        assert!(line.contains(LOGO) && !line.contains(CARD), "{line}");
    }
    let err = hook(&w, "pre-invoke");
    assert!(err.contains(LOGO), "{err}");
    assert_eq!(
        World::snapshot(&w.state.join("repo")),
        repo_before,
        "nothing written"
    );

    // The hint's rollback brings the manifest back, and the live edit is kept.
    let out = w.cmd(&["rebase"]).output().unwrap();
    let rollback = hinted_command(&stderr(&out));
    assert_eq!(rollback[0], "rollback", "{}", stderr(&out));
    let args: Vec<&str> = rollback.iter().map(String::as_str).collect();
    let out = w.cmd(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(&manifest).unwrap(), full);
    let out = w.cmd(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 2, "{json}");
    w.cmd(&["log"]).assert().success();
    assert!(
        String::from_utf8_lossy(&w.cmd(&["log"]).output().unwrap().stdout)
            .contains("edits found before rollback"),
        "the edit made while the manifest was cut is kept in the log"
    );
}

/// Defect 11: `untrack` of a customised file dropped its customisation without a word.
#[test]
fn untrack_of_a_customised_file_names_what_it_would_drop_and_needs_consent() {
    let w = customised();
    let repo_before = World::snapshot(&w.state.join("repo"));
    let out = w.cmd(&["untrack", LOGO]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        one_error_line(&out).contains("\"practice logo\""),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--drop-customisation"), "{}", stderr(&out));
    assert_eq!(
        World::snapshot(&w.state.join("repo")),
        repo_before,
        "nothing written"
    );
    let out = w
        .cmd(&["untrack", "--drop-customisation", LOGO])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("practice logo"), "{}", stderr(&out));
    // A file without customisations goes without asking.
    w.write(LOGO, b"\x89PNG");
    w.cmd(&["track", LOGO]).assert().success();
    w.cmd(&["untrack", LOGO]).assert().success();
}

/// Builds a one-file `jitsi-meet-web` shipping CARD with `content`, compressed with `compress`
/// (`none`, `xz`, …).
fn card_deb(dir: &Path, version: &str, content: &[u8], compress: &str) -> std::path::PathBuf {
    common::one_file_deb(dir, "jitsi-meet-web", version, CARD, content, compress)
}

/// A sandbox with the one-file `jitsi-meet-web` 1.0-1 installed by dpkg and CARD customised, so
/// that `init` looks for its pristine content in apt's cache; the cached archive is `cached`.
fn customised_card_with_cached(cached: &[u8]) -> (World, std::path::PathBuf) {
    let w = World::new();
    let deb = card_deb(w.dir.path(), "1.0-1", b"<p>Jitsi</p>\n", "none");
    let sandbox = jitsi_custom::sandbox::Sandbox::create(&w.root).unwrap();
    sandbox.install(&[deb]).unwrap();
    w.write(CARD, "<p>Praxis</p>\n");
    let archive = w.root.join("var/cache/apt/archives/jitsi-meet-web_1.0-1_all.deb");
    std::fs::write(&archive, cached).unwrap();
    (w, archive)
}

/// Makes the tar header of `member` in an uncompressed `.deb` claim `size` bytes (GNU base-256
/// size field), with a valid header checksum.
fn claim_size(deb: &mut [u8], member: &str, size: u64) {
    let name = format!("./{}", member.trim_start_matches('/'));
    let at = deb
        .windows(name.len() + 1)
        .position(|w| w == format!("{name}\0").as_bytes())
        .expect("member in the archive");
    let header = &mut deb[at..at + 512];
    header[124] = 0x80;
    header[125..128].fill(0);
    header[128..136].copy_from_slice(&size.to_be_bytes());
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// Defect 6: a cached `.deb` whose tar header claims 2^62 bytes aborted `init` (the allocation
/// failed before anything was read).
#[test]
fn a_cached_deb_claiming_an_enormous_file_is_reported_and_init_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut evil = std::fs::read(card_deb(dir.path(), "1.0-1", b"<p>Jitsi</p>\n", "none")).unwrap();
    claim_size(&mut evil, CARD, 1 << 62);
    let (w, archive) = customised_card_with_cached(&evil);
    let out = w.cmd(&["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warning = stderr(&out)
        .lines()
        .find(|l| l.starts_with("warning:"))
        .unwrap_or_default()
        .to_string();
    assert!(
        warning.contains(&archive.display().to_string()),
        "{}",
        stderr(&out)
    );
    assert!(warning.contains("4611686018427387904 bytes"), "{warning}");
}

/// Defect 6: a cached `.deb` that is garbage was reported as "no cached .deb".
#[test]
fn a_garbage_cached_deb_is_reported_as_garbage() {
    // An ar name table ("//") claiming 9999999999 bytes: the ar crate would allocate them.
    let header = format!(
        "!<arch>\n{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
        "//", 0, 0, 0, 644, 9999999999u64
    );
    let (w, archive) = customised_card_with_cached(header.as_bytes());
    let out = w.cmd(&["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let warning = err
        .lines()
        .find(|l| l.starts_with("warning:"))
        .unwrap_or_default();
    assert!(warning.contains(&archive.display().to_string()), "{err}");
    assert!(warning.contains("not a Debian package"), "{err}");
    assert!(!warning.contains("no cached .deb"), "{err}");
}

/// Defect 6: a member that unpacks far beyond its compressed size (8 MiB from a few KiB of xz)
/// was read whole into memory; past `max_file_size` it is refused, naming the archive.
#[test]
fn a_package_file_larger_than_the_limit_is_not_read() {
    let (w, _) = customised_card_with_cached(b"");
    w.cmd(&["init"]).assert().success();
    let manifest = w.state.join("jitsi-custom.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("max_file_size = 1048576\n{text}")).unwrap();
    let big = vec![b'a'; 8 << 20];
    let deb = card_deb(w.dir.path(), "1.1-1", &big, "xz");
    assert!(std::fs::metadata(&deb).unwrap().len() < 64 << 10);
    let out = w
        .cmd(&["hook", "pre-install-pkgs"])
        .write_stdin(format!(
            "VERSION 3\n\njitsi-meet-web 1.0-1 all none < 1.1-1 all none {}\n",
            deb.display()
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&deb.display().to_string()), "{err}");
    assert!(err.contains("larger than the limit of 1 MiB"), "{err}");
    assert!(!w.state.join("pending-upstream").exists());
}

/// Cuts the zlib stream of the loose object a ref points at short, as a power loss after an
/// unsynced write leaves it; returns the object's file.
fn truncate_object_of(state: &Path, refname: &str) -> std::path::PathBuf {
    let repo = git2::Repository::open_bare(state.join("repo")).unwrap();
    let oid = repo.refname_to_id(refname).unwrap().to_string();
    let file = state.join("repo/objects").join(&oid[..2]).join(&oid[2..]);
    let bytes = std::fs::read(&file).unwrap();
    chmod(&file, 0o644);
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    file
}

/// Defect 4: a truncated object made libgit2 spin at 100 % CPU for ever (its inflate loop takes
/// "no progress" for "retry"): `diff`, `rebase` and `rollback` never returned.
#[test]
fn a_truncated_object_is_reported_as_a_damaged_store_not_a_hang() {
    let w = World::card_initialised();
    w.write(CARD, "<div class=\"card\">\n<p>Praxis</p>\n</div>\n");
    w.cmd(&["record", "-m", "card"]).assert().success();
    let object = truncate_object_of(&w.state, "refs/heads/custom");
    for args in [&["diff"][..], &["rebase"], &["rollback"]] {
        let out = w
            .cmd(args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{args:?} hung or failed otherwise: {}",
            stderr(&out)
        );
        let line = one_error_line(&out);
        assert!(line.contains(&w.state.display().to_string()), "{line}");
        assert!(
            line.contains(&object.display().to_string()) && line.contains("cut short"),
            "{line}"
        );
        assert!(stderr(&out).contains("hint:"), "{}", stderr(&out));
    }
}

/// Defect 4: the apt hook hung on it too, and apt with it; it must give one line and exit 0.
#[test]
fn the_hook_reports_a_truncated_object_in_one_line_and_lets_apt_go_on() {
    let w = World::card_initialised();
    truncate_object_of(&w.state, "refs/heads/custom");
    let out = w
        .cmd(&["hook", "post-invoke"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("jitsi-custom: post-invoke: ") && err.contains("cut short"),
        "{err}"
    );
}

/// Defect 4: whatever keeps a hook step busy, it gives up when its time budget is spent: one
/// line, exit 0, so that apt goes on.
#[test]
fn a_hook_step_gives_up_when_its_time_budget_is_spent() {
    let w = World::card_initialised();
    truncate_object_of(&w.state, "refs/heads/custom");
    let started = std::time::Instant::now();
    let out = w
        .cmd(&["hook", "post-invoke"])
        .env("JITSI_CUSTOM_HOOK_BUDGET", "1")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("post-invoke: gave up after 1 s"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// Defect 13: a full file system under the root was reported as "cannot read" with exit 2 (an
/// input error) instead of a runtime failure saying that no space is left.
#[test]
fn a_full_file_system_is_a_runtime_failure_saying_so() {
    let w = World::card_initialised();
    w.write(CARD, "<div class=\"card\">\n<p>Praxis</p>\n</div>\n");
    w.cmd(&["record", "-m", "card"]).assert().success();
    // Inside a mount namespace of its own: a tiny tmpfs over the card's directory, holding the
    // card as it is and filled up; then a rollback has to write the card.
    let script = r#"
        set -e
        dir="$2/usr/share/jitsi-meet/static"
        cp "$dir/welcomePageAdditionalCard.html" "$4"
        mount -t tmpfs -o size=16k tmpfs "$dir"
        cp "$4" "$dir/welcomePageAdditionalCard.html"
        dd if=/dev/zero of="$dir/filler" bs=1k count=64 2>/dev/null || true
        exec "$1" --root "$2" --state-dir "$3" rollback
    "#;
    let out = std::process::Command::new("unshare")
        .args(["--mount", "sh", "-c", script, "sh"])
        .arg(env!("CARGO_BIN_EXE_jitsi-custom"))
        .arg(&w.root)
        .arg(&w.state)
        .arg(w.dir.path().join("card.copy"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains(CARD) && line.contains("no space left"), "{line}");
}

/// The pid of a process that has ended.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Defect 13: the temp files of a run killed while it wrote (beside live files, in the state
/// dir) were never removed.
#[test]
fn temp_files_of_killed_runs_are_removed_by_the_next_writer() {
    let w = World::card_initialised();
    let dead = dead_pid();
    let live_dir = w.live(CARD).parent().unwrap().to_path_buf();
    let stale_live = live_dir.join(format!(".welcomePageAdditionalCard.html.jitsi-custom-{dead}.tmp"));
    let running = live_dir.join(format!(
        ".welcomePageAdditionalCard.html.jitsi-custom-{}.tmp",
        std::process::id()
    ));
    let stale_state = w.state.join(format!(".jitsi-custom-{dead}-Ab12Cd.tmp"));
    let pending = w.state.join("pending-upstream/usr/share");
    std::fs::create_dir_all(&pending).unwrap();
    let stale_pending = pending.join(format!(".jitsi-custom-{dead}-Xy34Zw.tmp"));
    let someone_elses = live_dir.join(".welcomePageAdditionalCard.html.swp");
    for file in [
        &stale_live,
        &running,
        &stale_state,
        &stale_pending,
        &someone_elses,
    ] {
        std::fs::write(file, "half written").unwrap();
    }
    let out = w.cmd(&["-v", "record", "-m", "nothing"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for gone in [&stale_live, &stale_state, &stale_pending] {
        assert!(!gone.exists(), "{} is still there", gone.display());
        assert!(
            stderr(&out).contains(&gone.display().to_string()),
            "{}",
            stderr(&out)
        );
    }
    assert!(running.exists(), "the temp file of a running process stays");
    assert!(someone_elses.exists(), "other programs' files stay");
}

/// Defect 13: `track` and `untrack` rewrote the hand-editable manifest and dropped the admin's
/// comments.
#[test]
fn track_and_untrack_keep_the_admins_comments() {
    let w = World::card_initialised();
    let manifest = w.state.join("jitsi-custom.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let commented = text.replace(
        "[[file]]\n",
        "# The practice's welcome card: ask Anna before changing it.\n[[file]]\n",
    ) + "strategy = \"text\" # markers are fine here\n";
    std::fs::write(&manifest, &commented).unwrap();
    w.write(LOGO, b"\x89PNG");
    w.cmd(&["track", LOGO]).assert().success();
    let tracked = std::fs::read_to_string(&manifest).unwrap();
    assert!(tracked.starts_with(&commented), "{tracked}");
    assert!(tracked.contains(&format!("path = \"{LOGO}\"")), "{tracked}");
    w.cmd(&["untrack", LOGO]).assert().success();
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), commented);
}

/// Defect 13: tracked files had no size limit (invariant 6: a huge file gets one clear error).
#[test]
fn a_tracked_file_past_max_file_size_is_refused() {
    let w = World::card_initialised();
    let manifest = w.state.join("jitsi-custom.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("max_file_size = 1024\n{text}")).unwrap();
    let repo_before = World::snapshot(&w.state.join("repo"));
    w.write(CARD, "x".repeat(3000));
    w.write(LOGO, vec![0u8; 2048]);
    for args in [&["record", "-m", "big"][..], &["track", LOGO], &["status"]] {
        let out = w.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let line = one_error_line(&out);
        assert!(line.contains("larger than the limit of 1 KiB"), "{line}");
        assert!(stderr(&out).contains("hint:") && stderr(&out).contains("max_file_size"));
    }
    assert_eq!(
        World::snapshot(&w.state.join("repo")),
        repo_before,
        "nothing written"
    );
}

/// Defect 13: external programs ran without a time limit: a `systemctl restart` that never
/// returns hung `rebase` (and the apt hook) with it.
#[test]
fn a_hanging_systemctl_is_stopped_at_its_time_limit() {
    let w = World::jitsi_customised();
    w.install("1.0.2-1");
    let systemctl = w.dir.path().join("systemctl");
    std::fs::write(&systemctl, "#!/bin/sh\nexec sleep 600\n").unwrap();
    chmod(&systemctl, 0o755);
    let started = std::time::Instant::now();
    let out = w
        .cmd(&["--non-interactive", "rebase"])
        .env("JITSI_CUSTOM_SYSTEMCTL", &systemctl)
        .env("JITSI_CUSTOM_PROGRAM_TIMEOUT", "1")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(
        line.contains("did not finish within 1 s and was stopped"),
        "{line}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

fn git(w: &World, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg(format!("--git-dir={}", w.state.join("repo").display()))
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn doctor_puts_branches_moved_by_hand_back_where_the_log_says() {
    let w = World::jitsi_customised();
    let custom = git(&w, &["rev-parse", "custom"]);
    // Someone "cleans up" the repository by hand: the customisations vanish from the stack.
    git(&w, &["update-ref", "refs/heads/custom", "upstream"]);
    assert_eq!(w.cmd(&["status"]).output().unwrap().status.code(), Some(1));
    let out = w.cmd(&["doctor"]).output().unwrap();
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("repaired  the branches were not where the last operation"),
        "{text}"
    );
    assert!(
        text.contains("ok        every stored object reads back whole"),
        "{text}"
    );
    assert_eq!(
        git(&w, &["rev-parse", "custom^{tree}"]),
        git(&w, &["rev-parse", &format!("{custom}^{{tree}}")])
    );
    w.cmd(&["status"]).assert().code(0);
    // A second run finds nothing to repair.
    let text = common::stdout(&w.cmd(&["doctor"]).output().unwrap());
    assert!(!text.contains("repaired"), "{text}");
}

#[test]
fn an_unreadable_journal_points_to_doctor_which_sets_it_aside() {
    let w = World::jitsi_customised();
    std::fs::write(w.state.join("journal.toml"), "target = \n garbage [[[").unwrap();
    let out = w.cmd(&["record", "-m", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("the state needs repair"), "{err}");
    assert!(
        err.contains("hint: `jitsi-custom doctor` explains and repairs it"),
        "{err}"
    );
    let out = w.cmd(&["doctor"]).output().unwrap();
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("repaired  the journal of an interrupted operation was unreadable"),
        "{text}"
    );
    assert!(w.state.join("journal.toml.unreadable").exists());
    w.cmd(&["status"]).assert().code(0);
    w.cmd(&["record", "-m", "x"]).assert().code(0);
}
