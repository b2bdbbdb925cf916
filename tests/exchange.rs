//! `export DIR` / `import DIR` (issue #12): the stack as a quilt-style series that real `git
//! apply` and `patch -p1` accept in the root, taken back exactly on a fresh server, and hostile
//! series refused with one line each and nothing written.

mod common;

use std::path::{Path, PathBuf};

use common::{ALL_CSS, CARD, MAIN_DE, World, stderr, stdout};

const LOGO: &str = "/usr/share/jitsi-meet/images/praxis-logo.png";
const FAVICON: &str = "/usr/share/jitsi-meet/images/favicon.ico";

/// A PNG-like file with NUL bytes: binary to git and to the store.
fn logo() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..600u32).map(|i| (i * 7 % 251) as u8));
    png
}

/// 1.0.1-1 installed by the real dpkg, nothing else.
fn installed() -> World {
    let w = World::new();
    w.install("1.0.1-1");
    w
}

/// A fresh server with the same upstream: installed and `init`.
fn fresh() -> World {
    let w = installed();
    w.cmd(&["init"]).assert().code(0);
    w
}

/// The guide's customisations (with the binary favicon) as "guide", a new logo no package
/// ships, tracked and recorded, and a name with characters a file name cannot hold.
fn customised() -> World {
    let w = World::jitsi_customised();
    w.write(LOGO, logo());
    w.cmd(&["track", LOGO]).assert().code(0);
    w.cmd(&["record", "-m", "practice logo"]).assert().code(0);
    let de = w
        .read_string(MAIN_DE)
        .replacen('{', "{\n  \"imprint\": \"Impressum: Praxis Sonnenschein\",", 1);
    w.write(MAIN_DE, de);
    w.cmd(&["record", "-m", "Über uns: \"Impressum\" [Sonnenschein] / 100%"])
        .assert()
        .code(0);
    w
}

/// Text customisations only (`patch -p1` takes no binary patch).
fn customised_text_only() -> World {
    let w = fresh();
    w.write(CARD, w.read_string(CARD).replace("Jitsi", "Praxis Sonnenschein"));
    w.cmd(&["record", "-m", "practice card"]).assert().code(0);
    let css = w.read_string(ALL_CSS).replace("font-size:10pt", "font-size:14pt");
    w.write(ALL_CSS, css);
    w.write(
        CARD,
        w.read_string(CARD).replace("</div>", "<p>Impressum</p>\n</div>"),
    );
    w.cmd(&["record", "-m", "chat font and imprint"]).assert().code(0);
    w
}

fn export(w: &World) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("series-out");
    let run = w.cmd(&["export", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    (out, dir)
}

/// The patch files of a series, in its order.
fn series(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("series"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A patch file without its first line (`From <commit id> …`, which names a commit of the
/// store it came from).
fn patch_body(dir: &Path, file: &str) -> String {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    text.split_once('\n').unwrap().1.to_string()
}

/// The tracked live files of a world, by path (content only).
fn live_files(w: &World) -> Vec<(String, Vec<u8>)> {
    w.tracked_files().into_iter().map(|(p, c, _)| (p, c)).collect()
}

#[test]
fn export_then_import_on_a_fresh_server_gives_the_same_customisations_and_files() {
    let a = customised();
    let (_keep, dir) = export(&a);
    let files = series(&dir);
    assert_eq!(
        files,
        [
            "0001-guide.patch",
            "0002-practice-logo.patch",
            "0003-ber-uns-impressum-sonnenschein-100.patch"
        ]
    );
    let first = std::fs::read_to_string(dir.join(&files[0])).unwrap();
    assert!(first.contains("\nSubject: [PATCH 1/3] guide\n"), "{first}");
    assert!(
        first.contains("GIT binary patch"),
        "the favicon in git's binary format"
    );
    let third = std::fs::read_to_string(dir.join(&files[2])).unwrap();
    assert!(third.contains("\nSubject: [PATCH 3/3] Über uns: \"Impressum\" [Sonnenschein] / 100%\n"));

    let b = fresh();
    let run = b.cmd(&["import", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!("track {LOGO}")),
        "{}",
        stderr(&run)
    );

    assert_eq!(live_files(&b), live_files(&a), "the same live files");
    assert_eq!(b.read(LOGO), logo());
    let diff = |w: &World| stdout(&w.cmd(&["diff"]).output().unwrap());
    assert_eq!(diff(&b), diff(&a), "the same `jitsi-custom diff`");
    b.cmd(&["status"]).assert().code(0);

    // Names, order and content: B exports the very same series.
    let (_keep_b, dir_b) = export(&b);
    assert_eq!(series(&dir_b), files);
    for file in &files {
        assert_eq!(patch_body(&dir_b, file), patch_body(&dir, file), "{file}");
    }
}

#[test]
fn git_apply_takes_the_series_in_the_root_binary_files_too() {
    let a = customised();
    let (_keep, dir) = export(&a);
    let c = installed();
    for file in series(&dir) {
        let patch = dir.join(&file);
        for check in [true, false] {
            let mut git = std::process::Command::new("git");
            git.current_dir(&c.root)
                .env("GIT_CEILING_DIRECTORIES", c.root.parent().unwrap())
                .arg("apply");
            if check {
                git.arg("--check");
            }
            let out = git.arg("-p1").arg(&patch).output().unwrap();
            assert!(out.status.success(), "git apply {file}: {}", stderr(&out));
        }
    }
    for (path, content) in live_files(&a) {
        assert_eq!(c.read(&path), content, "{path}");
    }
}

#[test]
fn patch_p1_takes_the_text_patches_in_the_root() {
    let a = customised_text_only();
    let (_keep, dir) = export(&a);
    assert_eq!(series(&dir).len(), 2);
    let c = installed();
    for file in series(&dir) {
        for dry in [true, false] {
            let mut patch = std::process::Command::new("patch");
            patch
                .current_dir(&c.root)
                .args(["-p1", "--batch", "--forward", "-i"])
                .arg(dir.join(&file));
            if dry {
                patch.arg("--dry-run");
            }
            let out = patch.output().unwrap();
            assert!(
                out.status.success(),
                "patch {file}: {}{}",
                stdout(&out),
                stderr(&out)
            );
        }
    }
    assert_eq!(c.read(CARD), a.read(CARD));
    assert_eq!(c.read(ALL_CSS), a.read(ALL_CSS));
}

/// A series directory holding these patch files (name, text), listed in this order.
fn series_of(patches: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("hostile");
    std::fs::create_dir(&dir).unwrap();
    let mut list = String::new();
    for (name, text) in patches {
        std::fs::write(dir.join(name), text).unwrap();
        list.push_str(name);
        list.push('\n');
    }
    std::fs::write(dir.join("series"), list).unwrap();
    (out, dir)
}

/// A patch named "card" that changes the first line of a file.
fn first_line_patch(path: &str, from: &str, to: &str) -> Vec<u8> {
    let rel = path.trim_start_matches('/');
    format!(
        "From: admin\nSubject: [PATCH] card\n\n---\ndiff --git a/{rel} b/{rel}\n--- a/{rel}\n+++ b/{rel}\n@@ -1 +1 @@\n-{from}\n+{to}\n"
    )
    .into_bytes()
}

fn card_patch(from: &str, to: &str) -> Vec<u8> {
    first_line_patch(CARD, from, to)
}

/// The same patch under another name.
fn with_subject(patch: &[u8], subject: &str) -> Vec<u8> {
    String::from_utf8(patch.to_vec())
        .unwrap()
        .replacen("Subject: [PATCH] card", &format!("Subject: [PATCH] {subject}"), 1)
        .into_bytes()
}

fn new_file_patch(rel: &str, mode: &str, lines: &[&str]) -> Vec<u8> {
    let mut text = format!(
        "Subject: [PATCH] new file\n\ndiff --git a/{rel} b/{rel}\nnew file mode {mode}\n--- /dev/null\n+++ b/{rel}\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for line in lines {
        text.push('+');
        text.push_str(line);
        text.push('\n');
    }
    text.into_bytes()
}

/// Imports a series into `w`, expects exit 2 with exactly one refusal line holding every
/// `needle`, and nothing written: the state dir and the root are byte for byte as before.
fn refused(w: &World, dir: &Path, needles: &[&str]) {
    let state = World::snapshot(&w.state);
    let root = World::snapshot(&w.root);
    let run = w.cmd(&["import", dir.to_str().unwrap()]).output().unwrap();
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("refused: ")).collect();
    assert_eq!(lines.len(), 1, "one refusal line in {err}");
    for needle in needles {
        assert!(lines[0].contains(needle), "{needle:?} in {:?}", lines[0]);
    }
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(World::snapshot(&w.state) == state, "the state dir is untouched");
    assert!(World::snapshot(&w.root) == root, "the live files are untouched");
}

#[test]
fn hostile_series_are_refused_one_line_each_and_nothing_is_written() {
    let w = fresh();
    let card_first_line = w.read_string(CARD).lines().next().unwrap().to_string();
    let good = card_patch(&card_first_line, "<!-- Praxis Sonnenschein");
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "0002-climb.patch",
            b"Subject: [PATCH] climb\n\ndiff --git a/usr/share/jitsi-meet/../../../etc/shadow b/usr/share/jitsi-meet/../../../etc/shadow\n--- a/usr/share/jitsi-meet/../../../etc/shadow\n+++ b/usr/share/jitsi-meet/../../../etc/shadow\n@@ -1 +1 @@\n-root:x:0:0\n+root::0:0\n".to_vec(),
            vec!["0002-climb.patch", "`..`"],
        ),
        (
            "0002-shadow.patch",
            new_file_patch("etc/shadow", "100644", &["root::0:0:::::"]),
            vec!["0002-shadow.patch", "/etc/shadow", "outside the Jitsi trees", "--allow"],
        ),
        (
            "0002-symlink.patch",
            new_file_patch("usr/share/jitsi-meet/images/link.png", "120000", &["/etc/shadow"]),
            vec!["0002-symlink.patch", "symbolic link", "120000"],
        ),
        (
            "0002-device.patch",
            new_file_patch("usr/share/jitsi-meet/images/dev", "020644", &["x"]),
            vec!["0002-device.patch", "device"],
        ),
        (
            "0002-no-fit.patch",
            with_subject(&card_patch("this line is not in the card", "<p>mine</p>"), "no fit"),
            vec!["0002-no-fit.patch", "does not apply"],
        ),
        (
            "0002-broken-json.patch",
            with_subject(&first_line_patch(MAIN_DE, "{", "{ \"imprint\": ,"), "broken json"),
            vec!["0002-broken-json.patch", MAIN_DE, "would not validate"],
        ),
        (
            "0002-not-a-patch.patch",
            b"Subject: hello\n\njust some words\n".to_vec(),
            vec!["0002-not-a-patch.patch", "not parse as a patch"],
        ),
    ];
    for (name, text, needles) in &cases {
        // A good patch before the hostile one: nothing of it may be imported either.
        let (_keep, dir) = series_of(&[("0001-good.patch", &good), (name, text)]);
        refused(&w, &dir, needles);
    }
    // The good patch alone goes in.
    let (_keep, dir) = series_of(&[("0001-good.patch", &good)]);
    w.cmd(&["import", dir.to_str().unwrap()]).assert().code(0);
    assert!(w.read_string(CARD).starts_with("<!-- Praxis Sonnenschein\n"));
}

#[test]
fn a_patch_over_max_file_size_is_refused() {
    let w = fresh();
    let manifest = w.state.join("jitsi-custom.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("max_file_size = 100000\n{text}")).unwrap();
    let line = "x".repeat(99);
    let lines: Vec<&str> = (0..1200).map(|_| line.as_str()).collect();
    let big = new_file_patch("usr/share/jitsi-meet/static/big.html", "100644", &lines);
    assert!(big.len() > 100_000);
    let (_keep, dir) = series_of(&[("0001-big.patch", &big)]);
    refused(
        &w,
        &dir,
        &["0001-big.patch", "larger than the limit", "max_file_size"],
    );
}

#[test]
fn outside_the_trees_with_allow_and_unrecorded_edits_refused() {
    let w = fresh();
    let turn = new_file_patch("etc/jitsi-extra/motd", "100644", &["hello"]);
    let (_keep, dir) = series_of(&[("0001-motd.patch", &turn)]);
    refused(&w, &dir, &["/etc/jitsi-extra/motd", "--allow"]);
    w.cmd(&[
        "import",
        "--dry-run",
        "--allow",
        "/etc/jitsi-extra",
        dir.to_str().unwrap(),
    ])
    .assert()
    .code(0);
    assert!(
        !w.live("/etc/jitsi-extra/motd").exists(),
        "a dry run writes nothing"
    );

    // An edit nobody recorded is never overwritten by an import.
    let first = w.read_string(CARD).lines().next().unwrap().to_string();
    w.write(CARD, w.read_string(CARD).replace("Jitsi", "Mine"));
    let (_keep2, dir2) = series_of(&[("0001-card.patch", &card_patch(&first, "<!-- x"))]);
    refused(&w, &dir2, &["0001-card.patch", CARD, "not recorded"]);

    w.cmd(&["import", "--allow", "/etc/jitsi-extra", dir.to_str().unwrap()])
        .assert()
        .code(0);
    assert_eq!(w.read_string("/etc/jitsi-extra/motd"), "hello\n");
}

#[test]
fn a_name_already_there_is_skipped_when_the_same_and_refused_when_not() {
    let a = customised_text_only();
    let (_keep, dir) = export(&a);
    let b = fresh();
    b.cmd(&["import", dir.to_str().unwrap()]).assert().code(0);
    let state = World::snapshot(&b.state);
    let run = b.cmd(&["import", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("already there"), "{}", stderr(&run));
    assert!(
        World::snapshot(&b.state) == state,
        "importing twice changes nothing"
    );

    // Same name, other changes.
    let first = b.read_string(CARD).lines().next().unwrap().to_string();
    let other = with_subject(&card_patch(&first, "<!-- other"), "practice card");
    let (_keep2, dir2) = series_of(&[("0001-practice-card.patch", &other)]);
    refused(
        &b,
        &dir2,
        &["0001-practice-card.patch", "\"practice card\" exists already"],
    );
}

#[test]
fn rollback_undoes_an_import() {
    let a = customised();
    let (_keep, dir) = export(&a);
    let b = fresh();
    let before = live_files(&b);
    b.cmd(&["import", dir.to_str().unwrap()]).assert().code(0);
    let log = stdout(&b.cmd(&["log"]).output().unwrap());
    assert!(log.contains("import"), "{log}");
    b.cmd(&["rollback"]).assert().code(0);
    for (path, content) in before {
        assert_eq!(b.read(&path), content, "{path}");
    }
    assert!(!b.live(LOGO).exists(), "the logo the import made is gone again");
    assert_eq!(stdout(&b.cmd(&["diff"]).output().unwrap()), "");
    assert_ne!(b.read(FAVICON), a.read(FAVICON));
}

#[test]
fn export_needs_an_empty_directory_or_force_and_dry_run_writes_nothing() {
    let a = customised_text_only();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("series");
    a.cmd(&["export", "--dry-run", dir.to_str().unwrap()])
        .assert()
        .code(0);
    assert!(!dir.exists());
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("README"), "the practice's patches").unwrap();
    let run = a.cmd(&["export", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("not empty"), "{}", stderr(&run));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // An old list naming a file outside the directory deletes nothing there.
    std::fs::write(out.path().join("outside"), "keep").unwrap();
    std::fs::write(dir.join("series"), "0001-old.patch\n../outside\n").unwrap();
    std::fs::write(dir.join("0001-old.patch"), "old").unwrap();
    a.cmd(&["export", "--force", dir.to_str().unwrap()])
        .assert()
        .code(0);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "0001-practice-card.patch",
            "0002-chat-font-and-imprint.patch",
            "README",
            "series"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("outside")).unwrap(),
        "keep"
    );
    let leftovers = std::fs::read_dir(out.path()).unwrap().count();
    assert_eq!(leftovers, 2, "no temp directory left beside");
}
