//! `jitsi-custom merge-file` as an admin or git runs it: what it decided goes to stderr as `note:`
//! lines with exit 0 when nobody is needed, and no input, however deep or damaged, aborts it.

use std::path::Path;

use assert_cmd::Command;

fn merge_file(dir: &Path, path: &str, base: &str, local: &str, upstream: &str) -> std::process::Output {
    for (name, content) in [("base", base), ("local", local), ("upstream", upstream)] {
        std::fs::write(dir.join(name), content).unwrap();
    }
    Command::cargo_bin("jitsi-custom")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["merge-file", "--path", path, "base", "local", "upstream"])
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_value_both_sides_changed_keeps_yours_with_a_note_and_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let base = "var interfaceConfig = {\n    APP_NAME: 'Jitsi Meet',\n    MOBILE_DOWNLOAD_LINK_ANDROID: 'https://play.google.com/store/apps/details?id=org.jitsi.meet',\n    SHOW_JITSI_WATERMARK: true,\n};\n";
    let local = base.replace(
        "https://play.google.com/store/apps/details?id=org.jitsi.meet",
        "https://f-droid.org/packages/org.jitsi.meet/",
    );
    let upstream = base
        .replace("?id=org.jitsi.meet", "?id=org.jitsi.meet&hl=en")
        .replace("SHOW_JITSI_WATERMARK: true", "SHOW_JITSI_WATERMARK: false");
    let out = merge_file(
        dir.path(),
        "/usr/share/jitsi-meet/interface_config.js",
        base,
        &local,
        &upstream,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        merged.contains("'https://f-droid.org/packages/org.jitsi.meet/'"),
        "{merged}"
    );
    assert!(merged.contains("SHOW_JITSI_WATERMARK: false"), "{merged}");
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l
            .starts_with("note: kept your MOBILE_DOWNLOAD_LINK_ANDROID; upstream changed its default from")),
        "{err}"
    );
    assert!(!err.contains("conflict:"), "{err}");
}

/// Regression: a config.js nested about 5000 levels deep overflowed the stack of the js-config
/// merge, and the process aborted (exit 134) instead of merging or failing with one error line.
#[test]
fn a_deeply_nested_config_js_falls_back_instead_of_aborting() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}1{}", "{ a: ".repeat(5000), " }".repeat(5000));
    let base = format!("var config = {{\n    channelLastN: -1,\n    deep: {deep},\n}};\n");
    let local = base.replace("channelLastN: -1", "channelLastN: 4");
    let upstream = base.replace("var config", "// new comment\nvar config");
    let out = merge_file(
        dir.path(),
        "/etc/jitsi/meet/tele.praxis.de-config.js",
        &base,
        &local,
        &upstream,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("note: fell back to text"), "{err}");
    assert!(err.contains("nested more than 1000 levels deep"), "{err}");
    let merged = String::from_utf8(out.stdout).unwrap();
    assert!(merged.starts_with("// new comment\nvar config = {\n    channelLastN: 4,"));
}
