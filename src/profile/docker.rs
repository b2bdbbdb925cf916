//! What we know about docker-jitsi-meet: the `.env` options upstream renamed or dropped (with the
//! commit or pull request that did it), where the web container's files are in the image and in
//! the config folder, which files the container regenerates at start and which file it appends to
//! each, and where Prosody keeps its accounts.
//!
//! Sources are in `jitsi/docker-jitsi-meet`: `web/rootfs/etc/cont-init.d/10-config` (config.js is
//! `tpl system-config.js` + `tpl settings-config.js` + `custom-config.js`; interface_config.js is
//! `/defaults/interface_config.js` + `custom-interface_config.js`, since c1494638 (2020-05) and
//! 1835d651/ff8c1c2e (2021-09)); `docker-compose.yml` (the `${CONFIG}` bind mounts); the
//! `env.example` history for the renames.

/// An `.env` option upstream renamed; the admin's value is carried to the new name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvRename {
    pub from: &'static str,
    pub to: &'static str,
    pub source: &'static str,
}

pub const ENV_RENAMES: &[EnvRename] = &[
    EnvRename {
        from: "DOCKER_HOST_ADDRESS",
        to: "JVB_ADVERTISE_IPS",
        source: "docker-jitsi-meet c53de728 (the old name is still read as a fallback at runtime)",
    },
    EnvRename {
        from: "XMPP_RECORDER_DOMAIN",
        to: "XMPP_HIDDEN_DOMAIN",
        source: "docker-jitsi-meet 345f8c2a",
    },
    EnvRename {
        from: "BRANDING_DATA_URL",
        to: "DYNAMIC_BRANDING_URL",
        source: "docker-jitsi-meet PR #937",
    },
    EnvRename {
        from: "ENABLE_FILE_RECORDING_SERVICE_SHARING",
        to: "ENABLE_FILE_RECORDING_SHARING",
        source: "docker-jitsi-meet 164d28b2",
    },
];

/// An `.env` option upstream dropped.
#[derive(Clone, Copy, Debug)]
pub struct EnvRemoved {
    pub key: &'static str,
    /// What became of the option, for the admin: English, kept in the review list
    /// (`i18n::shown` puts it in German).
    pub note: fn() -> String,
    pub source: &'static str,
}

pub const ENV_REMOVED: &[EnvRemoved] = &[
    EnvRemoved {
        key: "BRIDGE_CHANNEL",
        note: || crate::english!("websocket is the only bridge channel now; it has no effect"),
        source: "docker-jitsi-meet 73acbade",
    },
    EnvRemoved {
        key: "ENABLE_FILE_RECORDING_SERVICE",
        note: || crate::english!("replaced by {option}", option = "ENABLE_FILE_RECORDING_SHARING"),
        source: "docker-jitsi-meet 164d28b2",
    },
];

pub fn env_rename(key: &str) -> Option<&'static EnvRename> {
    ENV_RENAMES.iter().find(|r| r.from == key)
}

pub fn env_removed(key: &str) -> Option<&'static EnvRemoved> {
    ENV_REMOVED.iter().find(|r| r.key == key)
}

/// The compose service of the web container.
pub const WEB_SERVICE: &str = "web";
/// The compose service of Prosody.
pub const PROSODY_SERVICE: &str = "prosody";

/// The config folder when `.env` does not say (`CONFIG=~/.jitsi-meet-cfg`).
pub const DEFAULT_CONFIG: &str = "~/.jitsi-meet-cfg";

/// A config file the web container regenerates at every start, appending the admin's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regenerated {
    /// Below the config folder.
    pub file: &'static str,
    /// The file the container appends to it, below the config folder.
    pub appended: &'static str,
    /// The file in the image it is copied from, when it is copied as it is.
    pub image_path: Option<&'static str>,
    /// The variable the file's settings object is in (`config`, `interfaceConfig`).
    pub object: &'static str,
}

pub const REGENERATED: &[Regenerated] = &[
    Regenerated {
        file: "web/config.js",
        appended: "web/custom-config.js",
        image_path: None,
        object: "config",
    },
    Regenerated {
        file: "web/interface_config.js",
        appended: "web/custom-interface_config.js",
        image_path: Some("/defaults/interface_config.js"),
        object: "interfaceConfig",
    },
];

/// The regenerated file that `appended` is appended to.
pub fn regenerated_by_appended(appended_rel: &str) -> Option<&'static Regenerated> {
    REGENERATED.iter().find(|r| appended_rel.ends_with(r.appended))
}

/// Where the web image serves Jitsi Meet from.
pub const WEB_ROOT: &str = "/usr/share/jitsi-meet";

/// Files of the web image that admins customise (changed before with `docker cp` or
/// `docker compose exec web`): kept as overlay files and bind-mounted over the image's.
pub const WEB_IMAGE_FILES: &[&str] = &[
    "/usr/share/jitsi-meet/title.html",
    "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html",
    "/usr/share/jitsi-meet/lang/main-de.json",
    "/usr/share/jitsi-meet/css/all.css",
    "/usr/share/jitsi-meet/images/watermark.svg",
    "/usr/share/jitsi-meet/images/favicon.ico",
];

/// The folder below the config folder that holds the overlay files of a service, laid out like
/// the image (`<CONFIG>/jitsi-custom/web/usr/share/jitsi-meet/css/all.css`).
pub fn overlay_dir(service: &str) -> String {
    format!("jitsi-custom/{service}")
}

/// Where the Prosody container keeps its data (accounts made with `prosodyctl register`):
/// `data_path` in the container's `/config/prosody.cfg.lua`, generated from
/// `prosody/rootfs/defaults/prosody.cfg.lua` (`data_path = "/config/data"`).
pub const PROSODY_DATA_PATH: &str = "/config/data";
/// Prosody's `data_path` in the config file the container generates, below the config folder.
pub const PROSODY_CONFIG: &str = "prosody/config/prosody.cfg.lua";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_are_unambiguous() {
        for r in ENV_RENAMES {
            assert_eq!(ENV_RENAMES.iter().filter(|o| o.from == r.from).count(), 1);
            assert!(env_rename(r.to).is_none(), "{} is renamed again", r.to);
        }
        assert_eq!(env_rename("DOCKER_HOST_ADDRESS").unwrap().to, "JVB_ADVERTISE_IPS");
    }
}
