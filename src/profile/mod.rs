//! What we know about Jitsi Meet on Debian: its packages, the files admins customise, the templates
//! that postinst scripts copy into `/etc`, and which service reads which file.
//!
//! Everything else in the crate is generic; this is the one module that speaks Jitsi.

pub mod docker;
pub mod hostvalues;
pub mod moves;

use crate::merge::Strategy;

/// The guide's hold set: the packages upgraded together in a maintenance window.
pub const JITSI_PACKAGES: &[&str] = &[
    "coturn",
    "jicofo",
    "prosody",
    "jitsi-meet",
    "jitsi-meet-web",
    "jitsi-meet-web-config",
    "jitsi-meet-prosody",
    "jitsi-meet-turnserver",
    "jitsi-videobridge2",
];

/// The placeholder domain in jitsi-meet-web-config's templates.
pub const WEB_PLACEHOLDER_DOMAIN: &str = "jitsi-meet.example.com";
/// The placeholder domain in jitsi-meet-prosody's template.
pub const PROSODY_PLACEHOLDER_DOMAIN: &str = "jitmeet.example.com";

/// A file admins customise. `{domain}` in a path stands for the server's Jitsi domain.
#[derive(Clone, Copy, Debug)]
pub struct KnownFile {
    pub path: &'static str,
    /// A file that a postinst generated once from this template (with placeholders replaced),
    /// rather than one a package ships.
    pub template: Option<Template>,
}

/// A template in a package and the placeholders a postinst replaces when copying it.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    pub path: &'static str,
    /// The placeholder that stands for the domain.
    pub domain_placeholder: &'static str,
    /// Placeholders whose per-install value is learnt from the live file (secrets, user names).
    pub learnt_placeholders: &'static [&'static str],
}

pub const KNOWN_FILES: &[KnownFile] = &[
    KnownFile {
        path: "/usr/share/jitsi-meet/interface_config.js",
        template: None,
    },
    KnownFile {
        path: "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html",
        template: None,
    },
    KnownFile {
        path: "/usr/share/jitsi-meet/lang/main-de.json",
        template: None,
    },
    KnownFile {
        path: "/usr/share/jitsi-meet/css/all.css",
        template: None,
    },
    KnownFile {
        path: "/usr/share/jitsi-meet/images/watermark.svg",
        template: None,
    },
    KnownFile {
        path: "/usr/share/jitsi-meet/images/favicon.ico",
        template: None,
    },
    KnownFile {
        path: "/etc/jitsi/meet/{domain}-config.js",
        template: Some(Template {
            path: "/usr/share/jitsi-meet-web-config/config.js",
            domain_placeholder: WEB_PLACEHOLDER_DOMAIN,
            learnt_placeholders: &[],
        }),
    },
    KnownFile {
        path: "/etc/prosody/conf.avail/{domain}.cfg.lua",
        template: Some(Template {
            path: "/usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example",
            domain_placeholder: PROSODY_PLACEHOLDER_DOMAIN,
            learnt_placeholders: &["focusUser", "__turnSecret__"],
        }),
    },
    KnownFile {
        path: "/etc/jitsi/jicofo/sip-communicator.properties",
        template: None,
    },
    KnownFile {
        path: "/etc/jitsi/videobridge/logging.properties",
        template: None,
    },
    KnownFile {
        path: "/etc/nginx/sites-available/{domain}.conf",
        template: Some(Template {
            path: "/usr/share/jitsi-meet-web-config/jitsi-meet.example",
            domain_placeholder: WEB_PLACEHOLDER_DOMAIN,
            learnt_placeholders: &[],
        }),
    },
];

/// The directories where an admin following the guide puts files of their own (a logo, a page)
/// beside the packages' files: `scan` lists what no package owns there.
pub const SCAN_TREES: &[&str] = &["/usr/share/jitsi-meet", "/etc/jitsi"];

/// Files under [`SCAN_TREES`] that the Jitsi packages' scripts make on the server rather than
/// ship, so no package owns them and they are not the admin's own. Those with a template in
/// [`KNOWN_FILES`] can be compared with it; the others (secrets, per-install settings) cannot.
pub const GENERATED_FILES: &[&str] = &[
    "/etc/jitsi/meet/{domain}-config.js",
    "/etc/jitsi/meet/{domain}.crt",
    "/etc/jitsi/meet/{domain}.key",
    "/etc/jitsi/jicofo/config",
    "/etc/jitsi/jicofo/jicofo.conf",
    "/etc/jitsi/videobridge/config",
    "/etc/jitsi/videobridge/jvb.conf",
    "/etc/jitsi/videobridge/sip-communicator.properties",
];

/// Whether an install path is one package scripts generate (see [`GENERATED_FILES`]).
pub fn is_generated(install_path: &str, domain: Option<&str>) -> bool {
    GENERATED_FILES.iter().any(|pattern| {
        if pattern.contains("{domain}") {
            domain.is_some_and(|d| pattern.replace("{domain}", d) == install_path)
        } else {
            *pattern == install_path
        }
    })
}

/// Copies beside a file that are not files of their own: dpkg's (`.dpkg-dist`, `.dpkg-new`,
/// `.dpkg-old`) and the guide's backups (`.BKP`).
pub fn is_side_copy(file_name: &str) -> bool {
    [".dpkg-dist", ".dpkg-new", ".dpkg-old", ".BKP"]
        .iter()
        .any(|suffix| file_name.ends_with(suffix))
}

/// Whether a file looks like a private key or a key store, which must not be copied into the
/// state repository without a person deciding so.
pub fn looks_secret(install_path: &str) -> bool {
    let name = install_path.rsplit('/').next().unwrap_or(install_path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(ext, "key" | "pem" | "p12" | "pfx" | "jks" | "keystore")
}

impl KnownFile {
    /// The path with `{domain}` filled in; `None` when the path needs a domain and none is known.
    pub fn path_for(&self, domain: Option<&str>) -> Option<String> {
        if self.path.contains("{domain}") {
            domain.map(|d| self.path.replace("{domain}", d))
        } else {
            Some(self.path.to_string())
        }
    }
}

/// The template behind a generated file, matched on its path shape.
pub fn template_for(install_path: &str, domain: Option<&str>) -> Option<Template> {
    KNOWN_FILES
        .iter()
        .find(|f| f.template.is_some() && f.path_for(domain).as_deref() == Some(install_path))
        .and_then(|f| f.template)
}

/// Where a Jitsi server's customisations live: the directories (and the one file) an imported
/// patch may change without `import --allow`. Anything else (`/etc/shadow`, `/root/.ssh/…`) is
/// refused unless it is tracked already.
pub const TREES: &[&str] = &[
    "/usr/share/jitsi-meet/",
    "/etc/jitsi/",
    "/etc/prosody/",
    "/etc/nginx/",
    "/etc/turnserver.conf",
];

/// Whether an install path (`/etc/jitsi/meet/x-config.js`) lies in one of the [`TREES`].
pub fn in_trees(install_path: &str) -> bool {
    TREES.iter().any(|tree| match tree.strip_suffix('/') {
        Some(_) => install_path.starts_with(tree),
        None => install_path == *tree,
    })
}

/// Services that read a file; restarted (nginx: reloaded) when it changes. Files under
/// `/usr/share/jitsi-meet` are served as they are and need no restart.
pub fn services_for(install_path: &str) -> &'static [&'static str] {
    const TABLE: &[(&str, &[&str])] = &[
        ("/etc/prosody/", &["prosody"]),
        ("/etc/jitsi/jicofo/", &["jicofo"]),
        ("/etc/jitsi/videobridge/", &["jitsi-videobridge2"]),
        ("/etc/turnserver.conf", &["coturn"]),
        ("/etc/nginx/", &["nginx"]),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| install_path.starts_with(prefix))
        .map(|(_, services)| *services)
        .unwrap_or(&[])
}

/// The Jitsi domain, read from the name of `/etc/jitsi/meet/<domain>-config.js` under `root`.
pub fn detect_domain(root: &std::path::Path) -> Option<String> {
    let dir = root.join("etc/jitsi/meet");
    let mut domains: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix("-config.js").map(str::to_string))
        .filter(|d| !d.is_empty() && d.contains('.'))
        .collect();
    domains.sort();
    domains.into_iter().next()
}

/// The merge strategy a tracked file's path calls for (the manifest's `strategy` overrides it):
/// Jitsi's config files by property path, its translations by key, its minified CSS by rule, the
/// Prosody, nginx, jicofo and videobridge configs setting by setting, images whole.
pub fn strategy_for_path(path: &str) -> Strategy {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if name == ".env" || name == "env.example" {
        return Strategy::Dotenv;
    }
    match ext {
        "json" => Strategy::Json,
        "lua" => Strategy::Lua,
        "properties" => Strategy::Properties,
        "hocon" => Strategy::Hocon,
        "conf" if name == "jicofo.conf" || name == "jvb.conf" => Strategy::Hocon,
        _ if path.trim_start_matches('/').starts_with("etc/nginx/") => Strategy::Nginx,
        "conf" => Strategy::TextIgnoreSpace,
        "css" if name.ends_with(".min.css") || name == "all.css" => Strategy::Minified,
        "js" if name.ends_with(".min.js") => Strategy::Minified,
        "png" | "ico" | "jpg" | "jpeg" | "gif" | "webp" | "woff" | "woff2" | "ttf" | "wasm" => {
            Strategy::Binary
        }
        "js" if moves::config_file_kind(name).is_some()
            && (!name.ends_with("-config.js")
                || path.trim_start_matches('/').starts_with("etc/jitsi/meet/")) =>
        {
            Strategy::JsConfig
        }
        _ => Strategy::Text,
    }
}

/// Whether a root-relative path belongs to the nginx configuration (checked with `nginx -t`).
pub fn is_nginx_config(rel: &str) -> bool {
    rel.trim_start_matches('/').starts_with("etc/nginx/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn strategy_follows_the_file_kind() {
        assert_eq!(
            strategy_for_path("usr/share/jitsi-meet/lang/main-de.json"),
            Strategy::Json
        );
        assert_eq!(
            strategy_for_path("usr/share/jitsi-meet/css/all.css"),
            Strategy::Minified
        );
        assert_eq!(
            strategy_for_path("usr/share/jitsi-meet/libs/app.bundle.min.js"),
            Strategy::Minified
        );
        assert_eq!(
            strategy_for_path("etc/prosody/conf.avail/x.cfg.lua"),
            Strategy::Lua
        );
        assert_eq!(
            strategy_for_path("etc/jitsi/jicofo/sip-communicator.properties"),
            Strategy::Properties
        );
        assert_eq!(
            strategy_for_path("/etc/jitsi/jicofo/jicofo.conf"),
            Strategy::Hocon
        );
        assert_eq!(
            strategy_for_path("etc/jitsi/videobridge/jvb.conf"),
            Strategy::Hocon
        );
        assert_eq!(
            strategy_for_path("etc/turnserver.conf"),
            Strategy::TextIgnoreSpace
        );
        assert_eq!(
            strategy_for_path("usr/share/jitsi-meet/images/favicon.ico"),
            Strategy::Binary
        );
        assert_eq!(strategy_for_path("etc/nginx/sites-available/x"), Strategy::Nginx);
        assert_eq!(strategy_for_path("opt/docker-jitsi-meet/.env"), Strategy::Dotenv);
        assert_eq!(
            strategy_for_path("usr/share/jitsi-meet/static/card.html"),
            Strategy::Text
        );
        assert_eq!(
            strategy_for_path("etc/jitsi/meet/tele.praxis.de-config.js"),
            Strategy::JsConfig
        );
        assert_eq!(
            strategy_for_path("/usr/share/jitsi-meet/interface_config.js"),
            Strategy::JsConfig
        );
        assert_eq!(
            strategy_for_path("usr/share/jitsi-meet-web-config/config.js"),
            Strategy::JsConfig
        );
        assert_eq!(
            strategy_for_path("usr/share/jitsi-meet/libs/lib-config.js"),
            Strategy::Text
        );
    }

    use super::*;

    #[test]
    fn generated_files_know_their_template() {
        let t = template_for("/etc/jitsi/meet/tele.praxis.de-config.js", Some("tele.praxis.de")).unwrap();
        assert_eq!(t.path, "/usr/share/jitsi-meet-web-config/config.js");
        assert!(template_for("/usr/share/jitsi-meet/interface_config.js", Some("x.de")).is_none());
    }

    #[test]
    fn the_trees_hold_the_known_files_and_nothing_of_the_system() {
        for file in KNOWN_FILES {
            assert!(in_trees(&file.path_for(Some("x.de")).unwrap()), "{}", file.path);
        }
        assert!(in_trees("/etc/turnserver.conf"));
        for outside in [
            "/etc/shadow",
            "/etc/jitsi",
            "/etc/turnserver.conf.d/x",
            "/usr/share/jitsi-meet-web-config/config.js",
        ] {
            assert!(!in_trees(outside), "{outside}");
        }
    }

    #[test]
    fn services_follow_the_directory() {
        assert_eq!(services_for("/etc/prosody/conf.avail/x.cfg.lua"), &["prosody"]);
        assert!(services_for("/usr/share/jitsi-meet/interface_config.js").is_empty());
    }

    #[test]
    fn generated_files_side_copies_and_secrets_are_known_by_name() {
        assert!(is_generated("/etc/jitsi/meet/x.de-config.js", Some("x.de")));
        assert!(is_generated("/etc/jitsi/jicofo/jicofo.conf", None));
        assert!(!is_generated("/etc/jitsi/meet/x.de-config.js", None));
        assert!(!is_generated("/etc/jitsi/meet/other.js", Some("x.de")));
        assert!(is_side_copy("interface_config.js.BKP"));
        assert!(is_side_copy("logging.properties.dpkg-dist"));
        assert!(!is_side_copy("interface_config.js"));
        assert!(looks_secret("/etc/jitsi/meet/x.de.key"));
        assert!(!looks_secret("/etc/jitsi/meet/x.de.crt"));
    }

    #[test]
    fn domain_comes_from_the_meet_config_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/jitsi/meet")).unwrap();
        std::fs::write(dir.path().join("etc/jitsi/meet/tele.praxis.de-config.js"), "").unwrap();
        assert_eq!(detect_domain(dir.path()).as_deref(), Some("tele.praxis.de"));
    }
}
