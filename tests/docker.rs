//! The docker-jitsi-meet variant (#14) against a real container tool: Debian's `podman` (with
//! `podman-docker`'s `docker` interface) imports Jitsi-like web images of two versions from
//! fixture root file systems (`podman import`), saves them (`docker image save`, what the tool
//! reads) and creates the web container without running it. Its storage is a temporary
//! directory, so the host's images are never touched. `docker-compose config` (Debian's
//! `docker-compose`) checks the override parses as compose reads it.
//!
//! Where podman is missing the tests print why and pass, unless `CI` is set: there they fail.

mod common;

use std::path::{Path, PathBuf};

use common::World;

const CHECKOUT: &str = "/root/docker-jitsi-meet";
const CONFIG: &str = "/root/.jitsi-meet-cfg";
const IMAGE: &str = "localhost/jitsi-web:stable";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// True when `program` runs; otherwise says why and returns false, or fails under CI.
fn have(program: &str, package: &str, test: &str) -> bool {
    let ok = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !in_ci(),
            "{test}: CI=true but `{program}` does not run: install the Debian package `{package}` (scripts/test does)"
        );
        eprintln!("{test}: skipped: `{program}` does not run here (Debian package `{package}`)");
    }
    ok
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn example(rel: &str) -> Vec<u8> {
    std::fs::read(examples().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// podman with its own storage: `docker` for the tool (`--docker-tool`).
struct Podman {
    dir: tempfile::TempDir,
    wrapper: PathBuf,
}

impl Podman {
    fn new() -> Podman {
        let dir = tempfile::tempdir().unwrap();
        let wrapper = dir.path().join("docker");
        let script = format!(
            "#!/bin/sh\nexec podman --root {0}/storage --runroot {0}/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend none \"$@\"\n",
            dir.path().display()
        );
        std::fs::write(&wrapper, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        Podman { dir, wrapper }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(&self.wrapper)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Imports a web image of the bundled version `version` as IMAGE: laid out like
    /// jitsi/web, with `/usr/share/jitsi-meet` from the jitsi-meet-web package and
    /// `/defaults/interface_config.js`.
    fn import_web(&self, version: &str, title: &str) {
        let web = examples().join("packages/jitsi-meet-web").join(version);
        let mut builder = tar::Builder::new(Vec::new());
        let mut add = |path: &str, content: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, path, content).unwrap();
        };
        for entry in walkdir::WalkDir::new(web.join("usr")).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(&web)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                add(&rel, &std::fs::read(entry.path()).unwrap());
            }
        }
        add("usr/share/jitsi-meet/title.html", title.as_bytes());
        add(
            "defaults/interface_config.js",
            &std::fs::read(web.join("usr/share/jitsi-meet/interface_config.js")).unwrap(),
        );
        let rootfs = self.dir.path().join(format!("rootfs-{version}.tar"));
        std::fs::write(&rootfs, builder.into_inner().unwrap()).unwrap();
        self.run(&["import", &rootfs.to_string_lossy(), IMAGE]);
    }

    /// A `docker` whose `compose pull` imports the web image of `version` and whose
    /// `compose up -d` recreates the web container and lets it generate `config.js` from
    /// `generated` plus `custom-config.js`, as the real web container does at its start;
    /// everything else is podman. (No container can run here: compose's part is played.)
    fn with_compose(&self, version: &str, title: &str, config_dir: &Path, generated: &[u8]) -> PathBuf {
        self.import_web(version, title);
        let rootfs = self.dir.path().join(format!("rootfs-{version}.tar"));
        // The image of before comes back until `pull`.
        let generated_path = self.dir.path().join("generated-config.js");
        std::fs::write(&generated_path, generated).unwrap();
        let script = format!(
            "#!/bin/sh\nP={wrapper}\nif [ \"$1\" = compose ]; then\n  case \"$2\" in\n    pull) exec $P import {rootfs} {IMAGE} >/dev/null ;;\n    up) $P rm --force --ignore web-1 web-2 >/dev/null; $P create --name web-2 --label com.docker.compose.project=docker-jitsi-meet --label com.docker.compose.service=web {IMAGE} /bin/true >/dev/null; sleep 1; cat {generated} {cfg}/custom-config.js > {cfg}/config.js; cat {interface} {cfg}/custom-interface_config.js > {cfg}/interface_config.js; exit 0 ;;\n  esac\nfi\nexec $P \"$@\"\n",
            wrapper = self.wrapper.display(),
            rootfs = rootfs.display(),
            generated = generated_path.display(),
            interface = examples()
                .join("packages/jitsi-meet-web")
                .join(version)
                .join("usr/share/jitsi-meet/interface_config.js")
                .display(),
            cfg = config_dir.display(),
        );
        let path = self.dir.path().join("docker-compose-played");
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// The web container as compose would create it (not started).
    fn create_web(&self, name: &str) {
        self.run(&["rm", "--force", "--ignore", "web-1", "web-2"]);
        self.run(&[
            "create",
            "--name",
            name,
            "--label",
            "com.docker.compose.project=docker-jitsi-meet",
            "--label",
            "com.docker.compose.service=web",
            IMAGE,
            "/bin/true",
        ]);
    }
}

const COMPOSE: &str = "\
version: '3.5'

services:
    web:
        image: localhost/jitsi-web:${JITSI_IMAGE_VERSION:-stable}
        restart: ${RESTART_POLICY:-unless-stopped}
        ports:
            - '${HTTP_PORT}:80'
            - '${HTTPS_PORT}:443'
        volumes:
            - ${CONFIG}/web:/config:Z
            - ${CONFIG}/web/crontabs:/var/spool/cron/crontabs:Z
            - ${CONFIG}/transcripts:/usr/share/jitsi-meet/transcripts:Z
        environment:
            - ENABLE_AUTH
            - ENABLE_GUESTS
    prosody:
        image: jitsi/prosody:${JITSI_IMAGE_VERSION:-stable}
        expose:
            - '5222'
        volumes:
            - ${CONFIG}/prosody/config:/config:Z
            - ${CONFIG}/prosody/prosody-plugins-custom:/prosody-plugins-custom:Z
    jvb:
        image: jitsi/jvb:${JITSI_IMAGE_VERSION:-stable}
        volumes:
            - ${CONFIG}/jvb:/config:Z
";

const TITLE_V1: &str =
    "<title>Jitsi Meet</title>\n<meta charset=\"utf-8\">\n<link rel=\"icon\" href=\"images/favicon.ico\">\n";

const ADMINS_OVERRIDE: &str = "\
# Praxis: our own additions (kept by jitsi-custom)
services:
    web:
        environment:
            - TZ=Europe/Berlin
        volumes:
            - ./praxis-logo.png:/usr/share/jitsi-meet/images/praxis-logo.png:ro # our logo
    jvb:
        environment:
            - JVB_TCP_HARVESTER_DISABLED=true
";

/// A generated web config as the container writes it: its own part, then the appended file.
fn regenerate(w: &World, file: &str, generated: &[u8], appended: &str) {
    let mut content = generated.to_vec();
    if let Ok(tail) = std::fs::read(w.live(&format!("{CONFIG}/web/{appended}"))) {
        content.extend_from_slice(&tail);
    }
    w.write(&format!("{CONFIG}/web/{file}"), content);
}

fn docker_world(podman: &Podman) -> World {
    let w = World::new();
    w.write(&format!("{CHECKOUT}/docker-compose.yml"), COMPOSE);
    w.write(
        &format!("{CHECKOUT}/env.example"),
        example("docker/checkout/stable-1/env.example"),
    );
    w.write(&format!("{CHECKOUT}/.env"), example("docker/checkout/guide.env"));
    w.write(
        &format!("{CHECKOUT}/docker-compose.override.yml"),
        ADMINS_OVERRIDE,
    );
    // The web container's first start: it generated its configs.
    let config_v1 =
        example("packages/jitsi-meet-web-config/1.0.1-1/usr/share/jitsi-meet-web-config/config.js");
    regenerate(&w, "config.js", &config_v1, "custom-config.js");
    regenerate(
        &w,
        "interface_config.js",
        &example("packages/jitsi-meet-web/1.0.1-1/usr/share/jitsi-meet/interface_config.js"),
        "custom-interface_config.js",
    );
    // An account made with `prosodyctl register` in the prosody container.
    w.write(
        &format!("{CONFIG}/prosody/config/data/meet%2ejitsi/accounts/praxis.dat"),
        "return {};\n",
    );
    podman.import_web("1.0.1-1", TITLE_V1);
    podman.create_web("web-1");
    w
}

fn cmd(w: &World, podman: &Podman, args: &[&str]) -> assert_cmd::Command {
    let mut all = vec!["--docker-tool", podman.wrapper.to_str().unwrap()];
    all.extend_from_slice(args);
    w.cmd(&all)
}

fn replace(w: &World, path: &str, from: &str, to: &str) {
    let text = w.read_string(path);
    assert!(text.contains(from), "{path} has no {from:?}");
    w.write(path, text.replacen(from, to, 1));
}

fn overlay(image_path: &str) -> String {
    format!("{CONFIG}/jitsi-custom/web{image_path}")
}

/// The guide's §6 customisations: `.env`, config.js and interface_config.js in the config
/// folder, files of the web image; then a checkout and an image update.
#[test]
fn the_guides_customisations_survive_an_image_and_checkout_update() {
    let test = "the_guides_customisations_survive_an_image_and_checkout_update";
    if !have("podman", "podman", test) {
        return;
    }
    let podman = Podman::new();
    let w = docker_world(&podman);
    let out = cmd(&w, &podman, &["init", "--docker", CHECKOUT])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("customised") && said.contains("/.env"), "{said}");
    // The overlay files are made from the image: the place to edit them.
    let css = overlay("/usr/share/jitsi-meet/css/all.css");
    assert_eq!(
        w.read(&css),
        example("packages/jitsi-meet-web/1.0.1-1/usr/share/jitsi-meet/css/all.css")
    );
    // Nothing is mounted while nothing is customised; the admin's override is as it was.
    assert_eq!(
        w.read_string(&format!("{CHECKOUT}/docker-compose.override.yml")),
        ADMINS_OVERRIDE
    );

    // The guide: config.js and interface_config.js edited in place, files of the image changed.
    let config_js = format!("{CONFIG}/web/config.js");
    let interface_js = format!("{CONFIG}/web/interface_config.js");
    replace(
        &w,
        &config_js,
        "// defaultLanguage: 'en',",
        "defaultLanguage: 'de',",
    );
    replace(
        &w,
        &interface_js,
        "APP_NAME: 'Jitsi Meet',",
        "APP_NAME: 'Praxis Video',",
    );
    replace(
        &w,
        &interface_js,
        "TOOLBAR_ALWAYS_VISIBLE: false,",
        "TOOLBAR_ALWAYS_VISIBLE: true,",
    );
    replace(
        &w,
        &interface_js,
        "SHOW_JITSI_WATERMARK: true,",
        "SHOW_JITSI_WATERMARK: false,",
    );
    replace(
        &w,
        &interface_js,
        "GENERATE_ROOMNAMES_ON_WELCOME_PAGE: true,",
        "GENERATE_ROOMNAMES_ON_WELCOME_PAGE: false,",
    );
    replace(
        &w,
        &css,
        ".chatconversation{",
        ".chatconversation{font-size:14pt;",
    );
    let main_de = overlay("/usr/share/jitsi-meet/lang/main-de.json");
    let de = w.read_string(&main_de);
    let header = de.find("\"headerTitle\"").expect("headerTitle");
    let end = header + de[header..].find('\n').unwrap();
    let line = &de[header..end];
    let comma = if line.trim_end().ends_with(',') { "," } else { "" };
    w.write(
        &main_de,
        format!(
            "{}\"headerTitle\": \"Videosprechstunde der Praxis\"{comma}{}",
            &de[..header],
            &de[end..]
        ),
    );
    let favicon = overlay("/usr/share/jitsi-meet/images/favicon.ico");
    w.write(&favicon, b"\0\0\x01\0praxis icon");
    let title = overlay("/usr/share/jitsi-meet/title.html");
    w.write(&title, TITLE_V1.replace("Jitsi Meet", "Praxis Video"));
    cmd(&w, &podman, &["record", "-m", "Praxis"]).assert().code(0);

    // The config edits are statements in custom-*.js, which the container appends.
    let custom_config = w.read_string(&format!("{CONFIG}/web/custom-config.js"));
    assert!(
        custom_config.contains("config.defaultLanguage = 'de';"),
        "{custom_config}"
    );
    assert!(
        custom_config.contains("config.toolbarConfig.alwaysVisible = true;"),
        "the moved setting is set where Jitsi reads it: {custom_config}"
    );
    let custom_interface = w.read_string(&format!("{CONFIG}/web/custom-interface_config.js"));
    for statement in [
        "interfaceConfig.APP_NAME = 'Praxis Video';",
        "interfaceConfig.SHOW_JITSI_WATERMARK = false;",
        "interfaceConfig.GENERATE_ROOMNAMES_ON_WELCOME_PAGE = false;",
    ] {
        assert!(
            custom_interface.contains(statement),
            "{statement}: {custom_interface}"
        );
    }
    // The customised image files are mounted; the admin's own content stays.
    let override_path = format!("{CHECKOUT}/docker-compose.override.yml");
    let override_text = w.read_string(&override_path);
    for line in ADMINS_OVERRIDE.lines() {
        assert!(
            override_text.lines().any(|l| l == line),
            "{line:?} lost:\n{override_text}"
        );
    }
    for image_path in [
        "css/all.css",
        "lang/main-de.json",
        "images/favicon.ico",
        "title.html",
    ] {
        let mount = format!(
            "${{CONFIG}}/jitsi-custom/web/usr/share/jitsi-meet/{image_path}:/usr/share/jitsi-meet/{image_path}:ro"
        );
        assert!(override_text.contains(&mount), "{mount}:\n{override_text}");
    }
    assert!(
        !override_text.contains("watermark.svg"),
        "an uncustomised file is not mounted"
    );
    compose_config_parses(&w, test);

    // The web container restarts: it regenerates its configs, and the edits are in effect
    // through the appended files.
    let config_v1 =
        example("packages/jitsi-meet-web-config/1.0.1-1/usr/share/jitsi-meet-web-config/config.js");
    regenerate(&w, "config.js", &config_v1, "custom-config.js");
    let interface_v1 = example("packages/jitsi-meet-web/1.0.1-1/usr/share/jitsi-meet/interface_config.js");
    regenerate(
        &w,
        "interface_config.js",
        &interface_v1,
        "custom-interface_config.js",
    );
    let status = cmd(&w, &podman, &["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let state_of = |json: &serde_json::Value, path: &str| {
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["state"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{path} not in {json}"))
    };
    assert_eq!(state_of(&json, &config_js), "customised", "{json}");
    assert_eq!(state_of(&json, &interface_js), "customised", "{json}");
    assert_eq!(json["docker"]["prosody"]["survives"], true, "{json}");
    assert_eq!(json["docker"]["prosody"]["accounts"], 1, "{json}");

    // The update: `git pull` of the checkout (env.example renamed DOCKER_HOST_ADDRESS and added
    // options), `docker compose pull` (a new web image), `docker compose up -d` (a new
    // container that generated new configs).
    w.write(
        &format!("{CHECKOUT}/env.example"),
        example("docker/checkout/stable-2/env.example"),
    );
    podman.import_web(
        "1.0.2-1",
        &TITLE_V1.replace(
            "favicon.ico\">",
            "favicon.ico\">\n<meta name=\"robots\" content=\"noindex\">",
        ),
    );
    podman.create_web("web-2");
    let config_v2 =
        example("packages/jitsi-meet-web-config/1.0.2-1/usr/share/jitsi-meet-web-config/config.js");
    regenerate(&w, "config.js", &config_v2, "custom-config.js");
    let interface_v2 = example("packages/jitsi-meet-web/1.0.2-1/usr/share/jitsi-meet/interface_config.js");
    regenerate(
        &w,
        "interface_config.js",
        &interface_v2,
        "custom-interface_config.js",
    );
    let status = cmd(&w, &podman, &["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(state_of(&json, &css), "upstream-changed", "{json}");
    assert_eq!(state_of(&json, &config_js), "upstream-changed", "{json}");

    let out = cmd(&w, &podman, &["rebase", "--non-interactive"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // .env: every value of the guide's stays, the renamed one under its new name, the new
    // options arrive commented out.
    let env = w.read_string(&format!("{CHECKOUT}/.env"));
    for line in [
        "HTTP_PORT=80",
        "HTTPS_PORT=443",
        "ENABLE_LETSENCRYPT=1",
        "LETSENCRYPT_DOMAIN=tele.praxis.de",
        "LETSENCRYPT_EMAIL=admin@praxis.de",
        "ENABLE_AUTH=1",
        "ENABLE_GUESTS=1",
        "AUTH_TYPE=internal",
        "ENABLE_HTTP_REDIRECT=1",
        "ENABLE_RECORDING=0",
        "JVB_ADVERTISE_IPS=203.0.113.7",
        "#ENABLE_WELCOME_PAGE=1",
        "# Exposed HTTPS port (443 when Let's Encrypt is enabled)",
        "JICOFO_AUTH_PASSWORD=1b6f0d9c2e",
    ] {
        assert!(env.lines().any(|l| l == line), "{line:?} missing:\n{env}");
    }
    assert!(!env.contains("DOCKER_HOST_ADDRESS"), "{env}");
    // The overlay files carry the customisations on the new image's files, and stay valid.
    let css_now = w.read_string(&css);
    assert!(css_now.contains("font-size:14pt"), "the chat font size is lost");
    assert!(
        css_now.contains(".reactions-animations-container"),
        "upstream's new rule is missing"
    );
    let de_now = w.read_string(&main_de);
    assert!(de_now.contains("Videosprechstunde der Praxis") && de_now.contains("breakoutRooms"));
    serde_json::from_str::<serde_json::Value>(&de_now).expect("main-de.json stays JSON");
    assert_eq!(w.read(&favicon), b"\0\0\x01\0praxis icon");
    let title_now = w.read_string(&title);
    assert!(
        title_now.contains("Praxis Video") && title_now.contains("noindex"),
        "{title_now}"
    );
    cmd(&w, &podman, &["validate", &css, &main_de]).assert().code(0);
    // The web configs: the statements are still there for the new generated files.
    let custom_config = w.read_string(&format!("{CONFIG}/web/custom-config.js"));
    assert!(
        custom_config.contains("config.defaultLanguage = 'de';"),
        "{custom_config}"
    );
    let override_text = w.read_string(&override_path);
    for line in ADMINS_OVERRIDE.lines() {
        assert!(
            override_text.lines().any(|l| l == line),
            "{line:?} lost:\n{override_text}"
        );
    }
    compose_config_parses(&w, test);
    // Everything is in effect; the rename waits for review.
    let status = cmd(&w, &podman, &["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    for path in [&css, &main_de, &favicon, &title, &config_js, &interface_js] {
        assert_eq!(state_of(&json, path), "customised", "{path}: {json}");
    }
    let env_path = format!("{CHECKOUT}/.env");
    assert_eq!(state_of(&json, &env_path), "customised", "{json}");
    let notices = json["notices"].to_string();
    assert!(notices.contains("JVB_ADVERTISE_IPS"), "{notices}");

    // Every verb works on it: the log, the diff, and a rollback to before the rebase.
    let log = cmd(&w, &podman, &["log"]).output().unwrap();
    assert!(String::from_utf8_lossy(&log.stdout).contains("rebase"));
    let diff = cmd(&w, &podman, &["diff", &env_path]).output().unwrap();
    assert!(String::from_utf8_lossy(&diff.stdout).contains("+JVB_ADVERTISE_IPS=203.0.113.7"));
    cmd(&w, &podman, &["rollback"]).assert().code(0);
    assert!(
        w.read_string(&env_path)
            .contains("DOCKER_HOST_ADDRESS=203.0.113.7")
    );
}

/// `docker-compose config` reads the checkout's compose files with the override, as compose
/// does before it starts anything (no daemon needed).
fn compose_config_parses(w: &World, test: &str) {
    if !have("docker-compose", "docker-compose", test) {
        return;
    }
    let out = std::process::Command::new("docker-compose")
        .args([
            "-f",
            "docker-compose.yml",
            "-f",
            "docker-compose.override.yml",
            "config",
        ])
        .current_dir(w.live(CHECKOUT))
        .env("CONFIG", w.live(CONFIG))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "docker-compose config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("JVB_TCP_HARVESTER_DISABLED"), "{text}");
}

/// `upgrade --docker`: pull, rebase onto the new image, recreate the containers, take in what
/// the new web container generated; the customisations are in effect on the new version.
#[test]
fn upgrade_docker_carries_everything_onto_the_new_image() {
    let test = "upgrade_docker_carries_everything_onto_the_new_image";
    if !have("podman", "podman", test) {
        return;
    }
    let podman = Podman::new();
    let w = docker_world(&podman);
    cmd(&w, &podman, &["init", "--docker", CHECKOUT]).assert().code(0);
    let config_js = format!("{CONFIG}/web/config.js");
    replace(
        &w,
        &config_js,
        "// defaultLanguage: 'en',",
        "defaultLanguage: 'de',",
    );
    let css = overlay("/usr/share/jitsi-meet/css/all.css");
    replace(
        &w,
        &css,
        ".chatconversation{",
        ".chatconversation{font-size:14pt;",
    );
    // Not recorded yet: the window records it first.
    let config_v2 =
        example("packages/jitsi-meet-web-config/1.0.2-1/usr/share/jitsi-meet-web-config/config.js");
    // `pull` brings 1.0.2-1: the images are imported now, so import 1.0.1-1 back until then.
    let played = podman.with_compose("1.0.2-1", TITLE_V1, &w.live(&format!("{CONFIG}/web")), &config_v2);
    podman.import_web("1.0.1-1", TITLE_V1);
    let out = w
        .cmd(&["--docker-tool", played.to_str().unwrap(), "upgrade", "--docker"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(said.contains("==> docker compose up -d"), "{said}");
    let css_now = w.read_string(&css);
    assert!(
        css_now.contains("font-size:14pt") && css_now.contains(".reactions-animations-container"),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The new container's config.js is the new generated one with the statements appended.
    let live = w.read_string(&config_js);
    assert!(
        live.contains("enableCodecSelectionAPI"),
        "not the new generated config.js"
    );
    assert!(live.contains("config.defaultLanguage = 'de';"), "{live}");
    let status = cmd(&w, &podman, &["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    for file in json["files"].as_array().unwrap() {
        let state = file["state"].as_str().unwrap();
        assert!(state == "customised" || state == "clean", "{file}");
    }
}
