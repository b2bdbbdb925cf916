//! Hostile input and interrupted runs: a state dir others can write, locks and temp files left by
//! killed runs, corrupt objects in the store, garbage package archives, NUL bytes fed to the
//! merge driver, a hand-trimmed manifest, a full disk, runaway external programs. Each case gets
//! one clear error line (or, in the apt hook, one line and exit 0); nothing hangs or is lost.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{World, stderr};

const CARD: &str = "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html";
const LOGO: &str = "/usr/share/jitsi-meet/images/praxis-logo.png";

fn initialised() -> World {
    let w = World::new();
    w.write(CARD, "<div class=\"card\">\n<p>Jitsi</p>\n</div>\n");
    w.cmd(&["init"]).assert().success();
    w
}

/// The first line of stderr that says `error:`, and that there is exactly one.
fn one_error_line(output: &std::process::Output) -> String {
    let err = stderr(output);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line in {err:?}");
    errors[0].to_string()
}

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
    let w = initialised();
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
    let w = initialised();
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
    let w = initialised();
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
