//! The bundled Jitsi-like world with the real dpkg: build the example packages, install them into a
//! sandbox root, lay the guide's customisations over them, upgrade, and check that dpkg and the
//! maintainer scripts behave as on a real server. Also checks the promise `examples/README.md`
//! makes: the customisations carry onto 1.0.2 with the per-file merge, and only the welcome card
//! conflicts at 1.0.3.

use std::fs;
use std::path::{Path, PathBuf};

use jitsi_custom::merge::{Labels, Whitespace, merge_text};
use jitsi_custom::sandbox::{self, DEMO_DOMAIN, Sandbox};

const HOST_DPKG_LOG: &str = "/var/log/dpkg.log";

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn host_log_len() -> Option<u64> {
    fs::metadata(HOST_DPKG_LOG).ok().map(|m| m.len())
}

/// The `Version:` of `package` in the sandbox's dpkg status, with its status line.
fn installed(sandbox: &Sandbox, package: &str) -> (String, String) {
    let status = read(sandbox.admindir().join("status"));
    let stanza = status
        .split("\n\n")
        .find(|s| s.lines().any(|l| l == format!("Package: {package}")))
        .unwrap_or_else(|| panic!("{package} not in status:\n{status}"));
    let field = |name: &str| {
        stanza
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {stanza}"))
            .trim()
            .to_string()
    };
    (field("Version:"), field("Status:"))
}

/// A sandbox with every package of `version` installed fresh.
fn fresh_install(dir: &Path, version: &str, debs_dir: &Path) -> Sandbox {
    let examples = sandbox::examples_dir();
    let sandbox = Sandbox::create(dir).unwrap();
    let debs = sandbox::build_version(&examples, version, debs_dir).unwrap();
    sandbox.install(&debs).unwrap();
    sandbox
}

#[test]
fn upgrade_with_dpkg_overwrites_share_files_and_keeps_changed_conffiles() {
    let examples = sandbox::examples_dir();
    let tmp = tempfile::tempdir().unwrap();
    let host_log_before = host_log_len();

    let sandbox = Sandbox::create(&tmp.path().join("root")).unwrap();
    let debs101 = sandbox::build_version(&examples, "1.0.1-1", &tmp.path().join("debs/1.0.1-1")).unwrap();
    assert_eq!(debs101.len(), 5, "{debs101:?}");
    sandbox.install(&debs101).unwrap();

    // postinst generated the /etc files from the templates, domain filled in.
    let meet_config = sandbox.path(&format!("/etc/jitsi/meet/{DEMO_DOMAIN}-config.js"));
    let nginx_site = sandbox.path(&format!("/etc/nginx/sites-available/{DEMO_DOMAIN}.conf"));
    let prosody = sandbox.path(&format!("/etc/prosody/conf.avail/{DEMO_DOMAIN}.cfg.lua"));
    let config = read(&meet_config);
    assert!(config.contains(&format!("domain: '{DEMO_DOMAIN}',")), "{config}");
    assert!(!config.contains("jitsi-meet.example.com"));
    let site = read(&nginx_site);
    assert!(site.contains(&format!("server_name {DEMO_DOMAIN};")));
    assert!(site.contains("ssl_protocols TLSv1 TLSv1.1 TLSv1.2;"));
    assert_eq!(
        fs::read_link(sandbox.path(&format!("/etc/nginx/sites-enabled/{DEMO_DOMAIN}.conf"))).unwrap(),
        PathBuf::from(format!("../sites-available/{DEMO_DOMAIN}.conf"))
    );
    let lua = read(&prosody);
    assert!(
        !lua.contains("\"room_metadata\""),
        "a fresh install is the template: {lua}"
    );
    assert!(lua.contains(&format!("VirtualHost \"{DEMO_DOMAIN}\"")));
    assert!(lua.contains(&format!("\"focus@auth.{DEMO_DOMAIN}\"")));
    assert!(
        !lua.contains("jitmeet.example.com") && !lua.contains("__turnSecret__") && !lua.contains("focusUser")
    );
    for package in [
        "jitsi-meet-web",
        "jitsi-meet-web-config",
        "jitsi-meet-prosody",
        "jicofo",
        "jitsi-videobridge2",
    ] {
        assert_eq!(
            installed(&sandbox, package),
            ("1.0.1-1".into(), "install ok installed".into())
        );
    }

    // The guide's edits, then the upgrade.
    let applied = sandbox.apply_customisations(&examples).unwrap();
    assert_eq!(applied.len(), 11, "{applied:?}");
    let customised_lua = read(&prosody);
    let debs102 = sandbox::build_version(&examples, "1.0.2-1", &tmp.path().join("debs/1.0.2-1")).unwrap();
    sandbox.install(&debs102).unwrap();

    // /usr/share files are overwritten silently: the customisation is gone, as on a real server.
    let interface = read(sandbox.path("/usr/share/jitsi-meet/interface_config.js"));
    assert!(
        interface.contains("APP_NAME: 'Jitsi Meet',"),
        "customisation survived?"
    );
    assert!(
        interface.contains("FILM_STRIP_MAX_HEIGHT: 150,"),
        "not the 1.0.2 file"
    );
    let card = read(sandbox.path("/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html"));
    assert!(!card.contains("Praxis"));
    assert_eq!(
        fs::read(sandbox.path("/usr/share/jitsi-meet/images/favicon.ico")).unwrap(),
        fs::read(examples.join("packages/jitsi-meet-web/1.0.2-1/usr/share/jitsi-meet/images/favicon.ico"))
            .unwrap()
    );

    // A conffile changed on both sides stays local; the new one lands beside it.
    let logging = sandbox.path("/etc/jitsi/videobridge/logging.properties");
    assert!(read(&logging).lines().any(|l| l == ".level=WARNING"));
    let dist = read(logging.with_extension("properties.dpkg-dist"));
    assert!(dist.lines().any(|l| l == ".level=INFO"));
    assert!(dist.contains("BandwidthEstimator.level=WARNING"));
    // A conffile only the admin changed stays local without a .dpkg-dist.
    let sip = sandbox.path("/etc/jitsi/jicofo/sip-communicator.properties");
    assert!(read(&sip).contains(&format!("\norg.jitsi.jicofo.auth.URL=XMPP:{DEMO_DOMAIN}\n")));
    assert!(!sip.with_extension("properties.dpkg-dist").exists());

    // Generated files are not regenerated: the admin's edits are still there …
    assert!(read(&meet_config).contains("defaultLanguage: 'de',"));
    assert!(read(&nginx_site).contains("ssl_protocols TLSv1.2 TLSv1.3;"));
    // … but jitsi-meet-prosody's postinst edited its file in place, and only there.
    let lua = read(&prosody);
    assert!(
        lua.contains("        \"muc_meeting_id\";\n        \"room_metadata\";\n"),
        "{lua}"
    );
    assert!(lua.contains("authentication = \"internal_hashed\""));
    assert!(lua.contains(&format!("VirtualHost \"guest.{DEMO_DOMAIN}\"")));
    let expected = customised_lua.replace(
        "\"muc_meeting_id\";\n",
        "\"muc_meeting_id\";\n        \"room_metadata\";\n",
    );
    assert_eq!(lua, expected);

    for package in [
        "jitsi-meet-web",
        "jitsi-meet-web-config",
        "jitsi-meet-prosody",
        "jicofo",
        "jitsi-videobridge2",
    ] {
        assert_eq!(
            installed(&sandbox, package),
            ("1.0.2-1".into(), "install ok installed".into())
        );
    }
    assert!(read(sandbox.dpkg_log()).contains("status installed jitsi-meet-web:all 1.0.2-1"));
    assert_eq!(host_log_len(), host_log_before, "the host's dpkg log changed");
}

#[test]
fn postinst_uses_the_domain_the_sandbox_names() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::create(&tmp.path().join("root")).unwrap();
    sandbox.set_domain("meet.schule-am-see.de").unwrap();
    fs::write(sandbox.path("/etc/jitsi/meet/turnsecret"), "S3cretFromAdmin\n").unwrap();
    let examples = sandbox::examples_dir();
    let out = tmp.path().join("debs");
    let debs = ["jitsi-meet-web-config", "jitsi-meet-prosody"]
        .map(|p| sandbox::build_deb(&examples, p, "1.0.2-1", &out).unwrap());
    sandbox.install(&debs).unwrap();
    let config = read(sandbox.path("/etc/jitsi/meet/meet.schule-am-see.de-config.js"));
    assert!(config.contains("bosh: 'https://meet.schule-am-see.de/' + subdir + 'http-bind',"));
    let lua = read(sandbox.path("/etc/prosody/conf.avail/meet.schule-am-see.de.cfg.lua"));
    assert!(lua.contains("external_service_secret = \"S3cretFromAdmin\";"));
    // A fresh 1.0.2 install has room_metadata from the template, and only once.
    assert_eq!(lua.matches("\"room_metadata\"").count(), 1, "{lua}");
    assert!(
        !sandbox
            .path(&format!("/etc/jitsi/meet/{DEMO_DOMAIN}-config.js"))
            .exists()
    );
}

#[test]
fn builds_repeat_byte_for_byte_and_cache_like_apt() {
    let examples = sandbox::examples_dir();
    let tmp = tempfile::tempdir().unwrap();
    let a = sandbox::build_deb(&examples, "jitsi-meet-web", "1.0.1-1", &tmp.path().join("a")).unwrap();
    let b = sandbox::build_deb(&examples, "jitsi-meet-web", "1.0.1-1", &tmp.path().join("b")).unwrap();
    assert_eq!(a.file_name().unwrap(), "jitsi-meet-web_1.0.1-1_all.deb");
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    // Nothing but the package is left in the output directory.
    let left: Vec<_> = fs::read_dir(tmp.path().join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["jitsi-meet-web_1.0.1-1_all.deb"]);

    let sandbox = Sandbox::create(&tmp.path().join("root")).unwrap();
    let cached = sandbox.cache_deb(&a).unwrap();
    assert_eq!(
        cached,
        sandbox
            .root
            .join("var/cache/apt/archives/jitsi-meet-web_1.0.1-1_all.deb")
    );
    assert_eq!(fs::read(cached).unwrap(), fs::read(&a).unwrap());

    let err = sandbox::build_deb(&examples, "jicofo", "1.0.3-1", &tmp.path().join("c")).unwrap_err();
    assert!(format!("{err:#}").contains("1.0.1-1, 1.0.2-1"), "{err:#}");
}

/// Splits one-line CSS into one rule per line, as the `minified` strategy does.
fn css_rules(css: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(css).replace('}', "}\n").into_bytes()
}

/// Merges one customised file from `old` onto `new` (trees of live files), picking the line
/// merge the file needs; returns the number of conflicts.
fn merge_conflicts(install_path: &str, old: &Path, local: &[u8], new: &Path) -> usize {
    let relative = install_path.trim_start_matches('/');
    let base = fs::read(old.join(relative)).unwrap();
    let upstream = fs::read(new.join(relative)).unwrap();
    let labels = Labels::default();
    if install_path.ends_with(".ico") {
        // Binary: carried as long as upstream kept the file.
        return usize::from(base != upstream);
    }
    if install_path.ends_with(".css") {
        return merge_text(
            &css_rules(&base),
            &css_rules(local),
            &css_rules(&upstream),
            &labels,
            Whitespace::Exact,
        )
        .conflicts
        .len();
    }
    let ws = if install_path.ends_with(".lua") {
        Whitespace::Ignore
    } else {
        Whitespace::Exact
    };
    let merged = merge_text(&base, local, &upstream, &labels, ws);
    merged.conflicts.len()
}

#[test]
fn customisations_carry_onto_1_0_2_and_only_the_welcome_card_conflicts_at_1_0_3() {
    let examples = sandbox::examples_dir();
    let tmp = tempfile::tempdir().unwrap();
    // Pristine live trees of each version, made by dpkg and the real postinst scripts.
    let v101 = fresh_install(&tmp.path().join("101"), "1.0.1-1", &tmp.path().join("debs"));
    let v102 = fresh_install(&tmp.path().join("102"), "1.0.2-1", &tmp.path().join("debs"));
    let v103 = Sandbox::create(&tmp.path().join("103")).unwrap();
    v103.install(&[
        sandbox::build_deb(&examples, "jitsi-meet-web", "1.0.3-1", &tmp.path().join("debs")).unwrap(),
    ])
    .unwrap();

    // On a fresh 1.0.1 install, applying the customisations changes exactly the guide's files.
    let customised = tempfile::tempdir().unwrap();
    let paths = Sandbox::create(customised.path())
        .unwrap()
        .apply_customisations(&examples)
        .unwrap();
    for path in &paths {
        let relative = path.trim_start_matches('/');
        let pristine = fs::read(v101.root.join(relative)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_ne!(
            pristine,
            fs::read(customised.path().join(relative)).unwrap(),
            "{path} not customised"
        );
    }

    for path in &paths {
        let relative = path.trim_start_matches('/');
        let local = fs::read(customised.path().join(relative)).unwrap();
        assert_eq!(
            merge_conflicts(path, &v101.root, &local, &v102.root),
            0,
            "{path} onto 1.0.2"
        );
        if path.ends_with(".ico") || path.ends_with(".css") {
            continue;
        }
        // Both sides' new lines are in the merge (compared without indentation: the prosody
        // template was re-indented).
        let base = read(v101.root.join(relative));
        let upstream = read(v102.root.join(relative));
        let ws = if path.ends_with(".lua") {
            Whitespace::Ignore
        } else {
            Whitespace::Exact
        };
        let merged = merge_text(
            base.as_bytes(),
            &local,
            upstream.as_bytes(),
            &Labels::default(),
            ws,
        );
        let merged = String::from_utf8(merged.content).unwrap();
        let trimmed = |text: &str| text.lines().map(|l| l.trim().to_string()).collect::<Vec<_>>();
        let (base, merged) = (trimmed(&base), trimmed(&merged));
        for side in [String::from_utf8(local).unwrap(), upstream] {
            for line in trimmed(&side).iter().filter(|l| !base.contains(l)) {
                assert!(merged.contains(line), "{path}: merge lost {line:?}");
            }
        }
    }

    // 1.0.3 of jitsi-meet-web: its files, merged onto the 1.0.2 result.
    let mut conflicted = Vec::new();
    for path in paths.iter().filter(|p| p.starts_with("/usr/share/jitsi-meet/")) {
        let relative = path.trim_start_matches('/');
        let local = fs::read(customised.path().join(relative)).unwrap();
        let on_102 = if path.ends_with(".ico") || path.ends_with(".svg") {
            local
        } else {
            let base = fs::read(v101.root.join(relative)).unwrap();
            let upstream = fs::read(v102.root.join(relative)).unwrap();
            if path.ends_with(".css") {
                let merged = merge_text(
                    &css_rules(&base),
                    &css_rules(&local),
                    &css_rules(&upstream),
                    &Labels::default(),
                    Whitespace::Exact,
                );
                String::from_utf8(merged.content)
                    .unwrap()
                    .replace("}\n", "}")
                    .into_bytes()
            } else {
                merge_text(&base, &local, &upstream, &Labels::default(), Whitespace::Exact).content
            }
        };
        if merge_conflicts(path, &v102.root, &on_102, &v103.root) > 0 {
            conflicted.push(path.as_str());
        }
    }
    assert_eq!(
        conflicted,
        ["/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html"]
    );
}

#[test]
fn build_repo_script_builds_the_same_packages_as_the_library() {
    let examples = sandbox::examples_dir();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let status = std::process::Command::new("sh")
        .arg(examples.join("build-repo.sh"))
        .arg(&repo)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut built = Vec::new();
    for version in sandbox::VERSIONS {
        let mut names: Vec<String> = fs::read_dir(repo.join(version))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        built.extend(names.into_iter().map(|n| format!("{version}/{n}")));
    }
    assert_eq!(built.len(), 12, "{built:?}");
    assert!(built.contains(&"1.0.3-1/jitsi-meet-web_1.0.3-1_all.deb".to_string()));
    // A version only one package has builds that package alone.
    assert!(built.contains(&"1.0.4-1/jitsi-meet-prosody_1.0.4-1_all.deb".to_string()));
    assert_eq!(
        built.iter().filter(|b| b.starts_with("1.0.4-1/")).count(),
        1,
        "{built:?}"
    );
    assert_eq!(fs::read_dir(&repo).unwrap().count(), 4, "staging left behind");
    let lib = sandbox::build_deb(&examples, "jitsi-meet-prosody", "1.0.2-1", tmp.path()).unwrap();
    assert_eq!(
        fs::read(repo.join("1.0.2-1/jitsi-meet-prosody_1.0.2-1_all.deb")).unwrap(),
        fs::read(lib).unwrap()
    );
}

/// Checks one bundled file's syntax by its kind; `Err` names the problem.
fn check_syntax(path: &Path) -> Result<(), String> {
    let name = path.file_name().unwrap().to_string_lossy();
    let text = || fs::read_to_string(path).map_err(|e| e.to_string());
    if name.ends_with(".js") {
        let text = text()?;
        let allocator = oxc_allocator::Allocator::default();
        let parsed = oxc_parser::Parser::new(&allocator, &text, oxc_span::SourceType::cjs()).parse();
        match parsed.diagnostics.first() {
            Some(error) => Err(error.to_string()),
            None => Ok(()),
        }
    } else if name.ends_with(".json") {
        serde_json::from_str::<serde_json::Value>(&text()?)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else if name.ends_with(".lua") || name.ends_with(".lua-jvb.example") {
        full_moon::parse(&text()?)
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    } else if name.ends_with(".svg") {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        roxmltree::Document::parse_with_options(&text()?, options)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else if name.ends_with(".css") {
        let text = text()?;
        let balanced = text.matches('{').count() == text.matches('}').count();
        if text.lines().count() == 1 && balanced {
            Ok(())
        } else {
            Err("not one line of balanced rules".into())
        }
    } else {
        Ok(())
    }
}

#[test]
fn bundled_files_parse() {
    let examples = sandbox::examples_dir();
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&examples) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            if let Err(e) = check_syntax(entry.path()) {
                panic!("{}: {e}", entry.path().display());
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} files");
}
