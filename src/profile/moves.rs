//! Settings that Jitsi Meet moved from one file to another between releases, so that a value the
//! admin set in its old home can be offered for its new one.
//!
//! Most moves went from `interface_config.js` into `config.js` (upstream's config.js still says
//! "Moved from interfaceConfig.X" above the new option). After such a move the old key is ignored
//! sooner or later, and a plain merge would silently drop the admin's value: the `js-config` merge
//! uses this table to name the new home in its conflict, and the rebase engine to carry the value.

/// One setting that moved. Files are named by their kind (`config.js` stands for
/// `/etc/jitsi/meet/<domain>-config.js`), keys and paths are relative to the file's config object
/// (`interfaceConfig`, `config`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub from_file: &'static str,
    pub from_key: &'static str,
    pub to_file: &'static str,
    /// A dotted property path inside the target file's config object.
    pub to_path: &'static str,
}

const INTERFACE_CONFIG: &str = "interface_config.js";
const CONFIG: &str = "config.js";

const fn interface_to_config(from_key: &'static str, to_path: &'static str) -> Move {
    Move {
        from_file: INTERFACE_CONFIG,
        from_key,
        to_file: CONFIG,
        to_path,
    }
}

/// The known moves. Only moves that keep the value's meaning are listed (`MOBILE_APP_PROMO`
/// became `deeplinking.disabled`, the opposite, so it is not here).
pub const MOVES: &[Move] = &[
    interface_to_config("TOOLBAR_ALWAYS_VISIBLE", "toolbarConfig.alwaysVisible"),
    interface_to_config("INITIAL_TOOLBAR_TIMEOUT", "toolbarConfig.initialTimeout"),
    interface_to_config("TOOLBAR_TIMEOUT", "toolbarConfig.timeout"),
    interface_to_config("TOOLBAR_BUTTONS", "toolbarButtons"),
    interface_to_config("MOBILE_DOWNLOAD_LINK_ANDROID", "deeplinking.android.downloadLink"),
    interface_to_config("MOBILE_DOWNLOAD_LINK_F_DROID", "deeplinking.android.fDroidUrl"),
    interface_to_config("MOBILE_DOWNLOAD_LINK_IOS", "deeplinking.ios.downloadLink"),
    interface_to_config("HIDE_DEEP_LINKING_LOGO", "deeplinking.hideLogo"),
    interface_to_config("DEFAULT_LOGO_URL", "defaultLogoUrl"),
    interface_to_config("DEFAULT_LOCAL_DISPLAY_NAME", "defaultLocalDisplayName"),
    interface_to_config("DEFAULT_REMOTE_DISPLAY_NAME", "defaultRemoteDisplayName"),
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

impl Move {
    /// The conflict hint for a value left behind in the old file.
    pub fn hint(&self) -> String {
        format!(
            "moved to {} in {}: carry the value over there or drop it",
            self.to_path, self.to_file
        )
    }
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
        assert_eq!(moves_into("interface_config.js").count(), 0);
    }
}
