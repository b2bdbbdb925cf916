//! Settings that Jitsi Meet moved from one file to another between releases, so that a value the
//! admin set in its old home can be carried to its new one.
//!
//! Most moves went from `interface_config.js` into `config.js` (upstream's interface_config.js
//! says "Moved to config.js as `X`" in its deprecated section, and Jitsi's config reducer,
//! `react/features/base/config/reducer.ts`, `_translateInterfaceConfig`, still reads the old key).
//! The reducer reads the old key only while the new one is unset, and for some moves only while a
//! whole object is unset: once `config.js` has a `deeplinking` object, every interface_config
//! deep-link key is ignored ([`Move::ignored_once`]). The `js-config` merge keeps an old key the admin
//! set (an unknown key is harmless there), names the new home in its review decision and warns about
//! that precedence trap; the rebase writes the value into `config.js` when the key is absent there.
//!
//! Each entry notes where the move is documented; only moves that keep the value's meaning are
//! listed (`MOBILE_APP_PROMO` became `deeplinking.disabled`, the opposite, so it is not here).

/// One setting that moved; the merge's vocabulary, this module's table.
pub type Move = crate::merge::MovedSetting;

const INTERFACE_CONFIG: &str = "interface_config.js";
const CONFIG: &str = "config.js";

const fn interface_to_config(
    from_key: &'static str,
    to_path: &'static str,
    ignored_once: &'static str,
    source: &'static str,
) -> Move {
    Move {
        from_file: INTERFACE_CONFIG,
        from_object: "interfaceConfig",
        from_key,
        to_file: CONFIG,
        to_object: "config",
        to_path,
        ignored_once,
        source,
    }
}

/// The known moves.
pub const MOVES: &[Move] = &[
    interface_to_config(
        "TOOLBAR_ALWAYS_VISIBLE",
        "toolbarConfig.alwaysVisible",
        "toolbarConfig.alwaysVisible",
        "jitsi-meet PR #9897 (2021-09); interface_config.js: Moved to config.js as `toolbarConfig.alwaysVisible`",
    ),
    interface_to_config(
        "INITIAL_TOOLBAR_TIMEOUT",
        "toolbarConfig.initialTimeout",
        "toolbarConfig.initialTimeout",
        "jitsi-meet PR #9897; reducer",
    ),
    interface_to_config(
        "TOOLBAR_TIMEOUT",
        "toolbarConfig.timeout",
        "toolbarConfig.timeout",
        "jitsi-meet PR #9897; reducer",
    ),
    interface_to_config(
        "TOOLBAR_BUTTONS",
        "toolbarButtons",
        "toolbarButtons",
        "jitsi-meet PR #8735 (2021-03), PR #9223; reducer (used only while config.toolbarButtons is not an array)",
    ),
    interface_to_config(
        "MOBILE_DOWNLOAD_LINK_ANDROID",
        "deeplinking.android.downloadLink",
        "deeplinking",
        "jitsi-meet PR #12704 \"Move deeplinking to config.js\" (2022-12); reducer",
    ),
    interface_to_config(
        "MOBILE_DOWNLOAD_LINK_F_DROID",
        "deeplinking.android.fDroidUrl",
        "deeplinking",
        "jitsi-meet PR #12704; reducer",
    ),
    interface_to_config(
        "MOBILE_DOWNLOAD_LINK_IOS",
        "deeplinking.ios.downloadLink",
        "deeplinking",
        "jitsi-meet PR #12704; reducer",
    ),
    interface_to_config(
        "ANDROID_APP_PACKAGE",
        "deeplinking.android.appPackage",
        "deeplinking",
        "jitsi-meet PR #12704; reducer",
    ),
    interface_to_config(
        "HIDE_DEEP_LINKING_LOGO",
        "deeplinking.hideLogo",
        "deeplinking",
        "jitsi-meet PR #12704; reducer",
    ),
    interface_to_config(
        "CONNECTION_INDICATOR_DISABLED",
        "connectionIndicators.disabled",
        "connectionIndicators",
        "jitsi-meet PR #9887; reducer (only while config.connectionIndicators is absent)",
    ),
    interface_to_config(
        "CONNECTION_INDICATOR_AUTO_HIDE_ENABLED",
        "connectionIndicators.autoHide",
        "connectionIndicators",
        "jitsi-meet PR #9887; reducer",
    ),
    interface_to_config(
        "CONNECTION_INDICATOR_AUTO_HIDE_TIMEOUT",
        "connectionIndicators.autoHideTimeout",
        "connectionIndicators",
        "jitsi-meet PR #9887; reducer",
    ),
    interface_to_config(
        "DISABLE_FOCUS_INDICATOR",
        "disableModeratorIndicator",
        "disableModeratorIndicator",
        "interface_config.js: Please use disableModeratorIndicator from config.js; reducer",
    ),
    interface_to_config(
        "LIVE_STREAMING_HELP_LINK",
        "liveStreaming.helpLink",
        "liveStreaming",
        "reducer: Migrate interfaceConfig.LIVE_STREAMING_HELP_LINK (only while config.liveStreaming is undefined)",
    ),
    interface_to_config(
        "DEFAULT_LOGO_URL",
        "defaultLogoUrl",
        "defaultLogoUrl",
        "jitsi-meet PR #12087 (2022-08); reducer",
    ),
    interface_to_config(
        "DEFAULT_LOCAL_DISPLAY_NAME",
        "defaultLocalDisplayName",
        "defaultLocalDisplayName",
        "jitsi-meet PR #10427 (2021-11); reducer",
    ),
    interface_to_config(
        "DEFAULT_REMOTE_DISPLAY_NAME",
        "defaultRemoteDisplayName",
        "defaultRemoteDisplayName",
        "jitsi-meet PR #10427; reducer",
    ),
];

/// The kind of a Jitsi config file from its install path or name: `config.js` for
/// `/etc/jitsi/meet/<domain>-config.js` (and the template `config.js`), `interface_config.js`.
pub fn config_file_kind(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == INTERFACE_CONFIG {
        Some(INTERFACE_CONFIG)
    } else if name == CONFIG || name.ends_with("-config.js") {
        Some(CONFIG)
    } else {
        None
    }
}

/// The file kind whose config object has this variable name (`interfaceConfig`, `config`).
pub fn config_file_of_object(variable: &str) -> Option<&'static str> {
    match variable {
        "interfaceConfig" => Some(INTERFACE_CONFIG),
        "config" => Some(CONFIG),
        _ => None,
    }
}

/// Where a setting of `from_file` (a path or a file kind) went, if it moved.
pub fn moved_setting(from_file: &str, from_key: &str) -> Option<&'static Move> {
    let kind = config_file_kind(from_file)?;
    MOVES
        .iter()
        .find(|m| m.from_file == kind && m.from_key == from_key)
}

/// The settings that moved into `to_file` (a path or a file kind).
pub fn moves_into(to_file: &str) -> impl Iterator<Item = &'static Move> {
    let kind = config_file_kind(to_file);
    MOVES.iter().filter(move |m| Some(m.to_file) == kind)
}

/// The old keys Jitsi ignores once `to_file` sets `key` (`deeplinking` → every deep-link key of
/// interface_config.js).
pub fn ignored_once_set(to_file: &str, key: &str) -> impl Iterator<Item = &'static Move> {
    let kind = config_file_kind(to_file);
    MOVES
        .iter()
        .filter(move |m| Some(m.to_file) == kind && m.ignored_once == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolbar_always_visible_moved_into_toolbar_config() {
        let m = moved_setting(
            "/usr/share/jitsi-meet/interface_config.js",
            "TOOLBAR_ALWAYS_VISIBLE",
        )
        .unwrap();
        assert_eq!(m.to_path, "toolbarConfig.alwaysVisible");
        assert_eq!(m.to_file, "config.js");
        assert!(m.hint().contains("toolbarConfig.alwaysVisible in config.js"));
    }

    #[test]
    fn the_guide_settings_have_a_new_home() {
        for (key, path) in [
            ("MOBILE_DOWNLOAD_LINK_ANDROID", "deeplinking.android.downloadLink"),
            ("DEFAULT_LOGO_URL", "defaultLogoUrl"),
            ("TOOLBAR_BUTTONS", "toolbarButtons"),
        ] {
            assert_eq!(moved_setting("interface_config.js", key).unwrap().to_path, path);
        }
        assert!(moved_setting("interface_config.js", "APP_NAME").is_none());
        // The same key in another file has not moved.
        assert!(moved_setting("config.js", "TOOLBAR_ALWAYS_VISIBLE").is_none());
    }

    #[test]
    fn file_kinds_follow_jitsi_names() {
        assert_eq!(
            config_file_kind("/etc/jitsi/meet/tele.praxis.de-config.js"),
            Some("config.js")
        );
        assert_eq!(
            config_file_kind("/usr/share/jitsi-meet/interface_config.js"),
            Some("interface_config.js")
        );
        assert_eq!(
            config_file_kind("/usr/share/jitsi-meet/libs/app.bundle.min.js"),
            None
        );
        assert_eq!(
            config_file_of_object("interfaceConfig"),
            Some("interface_config.js")
        );
        assert!(moves_into("tele.praxis.de-config.js").any(|m| m.from_key == "TOOLBAR_BUTTONS"));
        assert!(MOVES.iter().all(|m| !m.source.is_empty()));
        let deep_links: Vec<&str> = ignored_once_set("config.js", "deeplinking")
            .map(|m| m.from_key)
            .collect();
        assert!(deep_links.contains(&"MOBILE_DOWNLOAD_LINK_ANDROID") && deep_links.len() == 5);
        assert_eq!(moves_into("interface_config.js").count(), 0);
    }
}
