//! The manual pages and completions `jitsi-custom generate` writes, and the Debian package
//! `scripts/build-deb` makes of them: pages that man renders without a warning and that carry
//! the sections admins look for, bash completion offering the verbs (driven in a real bash),
//! the package's layout, and lintian. Installing, removing and purging the package in a chroot
//! is `tests/e2e/scenarios/30-package-lifecycle.sh`.
//!
//! The package is built only when `target/debian/` holds none newer than the sources (CI builds
//! it first); tools missing here (man, lintian, bash-completion: `scripts/test` installs them)
//! skip a test, except under CI.

#[path = "common/deb.rs"]
mod deb;

use std::path::Path;
use std::process::Command;

fn jitsi_custom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jitsi-custom"))
}

fn generate(what: &str, dir: &Path) {
    let out = jitsi_custom().args(["generate", what]).arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "generate {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The verbs `--help` lists (hidden ones are not), from the command line's own definition.
fn verbs() -> Vec<String> {
    use clap::CommandFactory;
    let verbs: Vec<String> = jitsi_custom::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    for core in [
        "init", "record", "status", "rebase", "resolve", "rollback", "upgrade", "apply", "scan",
    ] {
        assert!(
            verbs.iter().any(|v| v == core),
            "{core} is a visible verb: {verbs:?}"
        );
    }
    assert!(!verbs.iter().any(|v| v == "hook" || v == "generate"));
    verbs
}

/// The visible verbs starting with `prefix`, sorted: what bash offers at `jitsi-custom PREFIX<TAB>`.
fn verbs_starting(prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = verbs().into_iter().filter(|v| v.starts_with(prefix)).collect();
    found.sort();
    found
}

/// `man -l PAGE` as text, failing on any warning man or groff prints.
fn render(page: &Path) -> String {
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", page.display());
    assert!(stderr.trim().is_empty(), "{}: warnings: {stderr}", page.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_manual_page_for_the_command_and_each_verb_renders_with_the_sections_admins_look_for() {
    if !deb::tools_or_skip("manual pages", &["man", "groff"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    generate("man", dir.path());
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = verbs().iter().map(|v| format!("jitsi-custom-{v}.1")).collect();
    expected.push("jitsi-custom.1".into());
    expected.sort();
    assert_eq!(
        pages, expected,
        "one page per visible verb, none for hook or generate"
    );

    let main = render(&dir.path().join("jitsi-custom.1"));
    for section in [
        "SYNOPSIS",
        "OPTIONS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(main.contains(&format!("\n{section}\n")), "{section}:\n{main}");
    }
    for text in [
        "jitsi-custom-rebase(1)",
        "/var/lib/jitsi-custom/jitsi-custom.toml",
        "/etc/apt/apt.conf.d/80jitsi-custom",
        "jitsi-custom-upgrade.timer",
        "JITSI_CUSTOM_STATE",
        "--state-dir",
    ] {
        assert!(main.contains(text), "{text}:\n{main}");
    }
    for verb in &verbs() {
        let page = render(&dir.path().join(format!("jitsi-custom-{verb}.1")));
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
        ] {
            assert!(
                page.contains(&format!("\n{section}\n")),
                "{verb}: {section}:\n{page}"
            );
        }
        assert!(page.contains(&format!("jitsi-custom {verb}")), "{verb}:\n{page}");
    }
    let rebase = render(&dir.path().join("jitsi-custom-rebase.1"));
    assert!(rebase.contains("--no-restart"), "{rebase}");
}

/// Runs bash with `script` after the completion's definitions and returns what it prints.
fn bash(setup: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        r#"{setup}
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
spec=$(complete -p jitsi-custom) || exit 3
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
"$fn" jitsi-custom "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_the_verbs_and_each_verbs_options() {
    let dir = tempfile::tempdir().unwrap();
    generate("completions", dir.path());
    for file in ["jitsi-custom.bash", "_jitsi-custom", "jitsi-custom.fish"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let setup = format!("source '{}'", dir.path().join("jitsi-custom.bash").display());
    let mut verbs = bash(&setup, &["jitsi-custom", "re"]);
    verbs.sort();
    assert_eq!(verbs, verbs_starting("re"));
    for verb in ["rebase", "record", "resolve"] {
        assert!(verbs.iter().any(|v| v == verb), "{verb} in {verbs:?}");
    }
    let mut ho = bash(&setup, &["jitsi-custom", "ho"]);
    ho.sort();
    assert_eq!(ho, verbs_starting("ho"), "the hidden hook verb is not offered");
    assert!(
        ho.iter().any(|v| v == "hold") && !ho.iter().any(|v| v == "hook"),
        "{ho:?}"
    );
    // Regression: clap_complete labelled each verb's options for a binary name without a hyphen,
    // so no verb's options were ever completed.
    assert_eq!(
        bash(&setup, &["jitsi-custom", "rebase", "--no-r"]),
        ["--no-restart"]
    );
    let strategies = bash(&setup, &["jitsi-custom", "merge-file", "--strategy", ""]);
    assert!(strategies.contains(&"js-config".to_string()), "{strategies:?}");
}

/// The package, extracted into a temporary directory.
fn extracted(deb: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn field(deb: &Path, name: &str) -> String {
    let out = Command::new("dpkg-deb")
        .arg("--field")
        .arg(deb)
        .arg(name)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn control_file(deb: &Path, name: &str) -> String {
    let out = Command::new("dpkg-deb")
        .arg("--info")
        .arg(deb)
        .arg(name)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_package_puts_every_file_where_debian_looks_for_it() {
    let Some(deb) = deb::package_or_skip("the_package_puts_every_file_where_debian_looks_for_it") else {
        return;
    };
    let root = extracted(&deb);
    let at = |p: &str| root.path().join(p.trim_start_matches('/'));
    for file in [
        "/usr/bin/jitsi-custom",
        "/etc/apt/apt.conf.d/80jitsi-custom",
        "/usr/lib/systemd/system/jitsi-custom-upgrade.service",
        "/usr/lib/systemd/system/jitsi-custom-upgrade.timer",
        "/usr/share/man/man1/jitsi-custom.1.gz",
        "/usr/share/man/man1/jitsi-custom-rebase.1.gz",
        "/usr/share/bash-completion/completions/jitsi-custom",
        "/usr/share/zsh/vendor-completions/_jitsi-custom",
        "/usr/share/fish/vendor_completions.d/jitsi-custom.fish",
        "/usr/share/locale/de/LC_MESSAGES/jitsi-custom.mo",
        "/usr/share/doc/jitsi-custom/README.md",
        "/usr/share/doc/jitsi-custom/copyright",
        "/usr/share/doc/jitsi-custom/changelog.Debian.gz",
        "/usr/share/lintian/overrides/jitsi-custom",
        "/usr/share/jitsi-custom/examples/build-repo.sh",
        "/usr/share/jitsi-custom/examples/packages/jitsi-meet-web/1.0.1-1/DEBIAN/control",
        "/usr/share/jitsi-custom/patches/README.md",
    ] {
        assert!(at(file).is_file(), "{file} missing from the package");
    }
    assert!(
        !at("/etc/systemd/system").exists(),
        "the timer is not enabled by the package"
    );
    // The apt snippet is taken as it is in hooks/apt/ (install-hooks finds it unchanged).
    assert_eq!(
        std::fs::read(at("/etc/apt/apt.conf.d/80jitsi-custom")).unwrap(),
        std::fs::read(deb::project().join("hooks/apt/80jitsi-custom")).unwrap()
    );
    // The binary runs and knows its version.
    let out = Command::new(at("/usr/bin/jitsi-custom"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("jitsi-custom {}", env!("CARGO_PKG_VERSION"))
    );

    // The installed German catalogue is the one the binary speaks.
    let catalogue = at("/usr/share/locale/de/LC_MESSAGES/jitsi-custom.mo");
    let catalogue = rspolib::mofile(catalogue.to_str().unwrap()).expect("the .mo parses");
    let usage = catalogue
        .find_by_msgid("Usage:")
        .expect("the catalogue has the --help headings");
    assert_eq!(usage.msgstr.as_deref(), Some("Verwendung:"));
    let out = Command::new(at("/usr/bin/jitsi-custom"))
        .arg("--help")
        .env("LANG", "de_DE.UTF-8")
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verwendung: jitsi-custom"));

    let depends = field(&deb, "Depends");
    for dependency in ["libc6", "apt"] {
        assert!(depends.contains(dependency), "Depends: {depends}");
    }
    assert!(!depends.contains("git"), "git2 needs no git binary: {depends}");
    assert_eq!(
        control_file(&deb, "conffiles").trim(),
        "/etc/apt/apt.conf.d/80jitsi-custom"
    );
    let md5sums = control_file(&deb, "md5sums");
    assert!(md5sums.contains("  usr/bin/jitsi-custom\n"), "{md5sums}");
    assert!(
        !control_file(&deb, "postrm").contains("/var/lib/jitsi-custom"),
        "purge leaves the state directory, the admin's data"
    );
}

#[test]
fn the_packaged_bash_completion_is_found_by_bash_completions_loader() {
    let test = "the_packaged_bash_completion_is_found_by_bash_completions_loader";
    if !deb::tools_or_skip(test, &["bash"]) {
        return;
    }
    let loader = Path::new("/usr/share/bash-completion/bash_completion");
    if !loader.is_file() {
        assert!(!deb::in_ci(), "{test}: bash-completion is not installed");
        eprintln!("{test}: SKIPPED, bash-completion is not installed");
        return;
    }
    let Some(deb) = deb::package_or_skip(test) else {
        return;
    };
    let root = extracted(&deb);
    // As on a server: bash-completion loads the file named after the command on first use.
    let setup = format!(
        "BASH_COMPLETION_USER_DIR='{}'\nsource {}\n_completion_loader jitsi-custom",
        root.path().join("usr/share/bash-completion").display(),
        loader.display()
    );
    let mut verbs = bash(&setup, &["jitsi-custom", "re"]);
    verbs.sort();
    assert_eq!(verbs, verbs_starting("re"));
    for verb in ["rebase", "record", "resolve"] {
        assert!(verbs.iter().any(|v| v == verb), "{verb} in {verbs:?}");
    }
}

#[test]
fn the_packaged_manual_page_renders() {
    let test = "the_packaged_manual_page_renders";
    if !deb::tools_or_skip(test, &["man", "groff"]) {
        return;
    }
    let Some(deb) = deb::package_or_skip(test) else {
        return;
    };
    let root = extracted(&deb);
    let page = render(&root.path().join("usr/share/man/man1/jitsi-custom.1.gz"));
    assert!(
        page.contains("EXIT STATUS") && page.contains("jitsi-custom demo"),
        "{page}"
    );
}

#[test]
fn lintian_reports_no_error_and_no_warning_without_a_reason() {
    let test = "lintian_reports_no_error_and_no_warning_without_a_reason";
    if !deb::tools_or_skip(test, &["lintian"]) {
        return;
    }
    let Some(deb) = deb::package_or_skip(test) else {
        return;
    };
    // Overridden tags (debian/jitsi-custom.lintian-overrides) say why in a comment.
    let out = Command::new("lintian")
        .args(["--fail-on", "error,warning", "--no-tag-display-limit"])
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lintian:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
