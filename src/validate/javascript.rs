//! JavaScript syntax check for Jitsi's `config.js` and `interface_config.js`.
//!
//! The browser loads these files as classic scripts (`<script src="config.js">`), so they are
//! parsed as a script, not a module: `var config = {…};` with comments and trailing commas is the
//! normal shape. A syntax error in either file leaves every visitor with a blank page, which is
//! why it must never go live.

use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;

use super::{line_column, one_line, run_parser};

/// Checks `text` as a classic script; the error names oxc's first diagnostic and its position.
pub(super) fn check_javascript(text: &str) -> Result<(), String> {
    refuse_deep_javascript(text)?;
    run_parser("JavaScript", || {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, text, SourceType::cjs()).parse();
        let Some(diagnostic) = parsed.diagnostics.first() else {
            return Ok(());
        };
        let message = one_line(&diagnostic.message);
        let label = diagnostic
            .labels
            .iter()
            .find(|label| label.primary())
            .or_else(|| diagnostic.labels.first());
        Err(match label {
            Some(label) => {
                let (line, column) = line_column(text, label.offset() as usize);
                crate::english!(
                    "invalid JavaScript at line {line}, column {column}: {message}",
                    line,
                    column,
                    message
                )
            }
            None => crate::english!("invalid JavaScript: {message}", message),
        })
    })
}

/// Refuses input whose nesting could exhaust the parser's stack, before oxc descends into it
/// ([`crate::depth::javascript_nesting`]).
fn refuse_deep_javascript(text: &str) -> Result<(), String> {
    match crate::depth::javascript_nesting(text) {
        Ok(_) => Ok(()),
        Err(deep) => {
            let (line, column) = line_column(text, deep.offset);
            Err(crate::english!(
                "invalid JavaScript at line {line}, column {column}: {message}",
                line,
                column,
                message = crate::english!("nested too deeply to check")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG_JS: &str = r#"/* eslint-disable no-unused-vars, no-var */

var config = {
    // Connection
    //

    hosts: {
        // XMPP domain.
        domain: 'tele.praxis.de',

        // When using authentication, domain for guest users.
        anonymousdomain: 'guest.tele.praxis.de',

        // Domain for authenticated users. Defaults to <domain>.
        // authdomain: 'tele.praxis.de',

        // Focus component domain. Defaults to focus.<domain>.
        // focus: 'focus.tele.praxis.de',

        // XMPP MUC domain. FIXME: use XEP-0030 to discover it.
        muc: 'conference.<!--# echo var="subdomain" default="" -->tele.praxis.de',
    },

    // BOSH URL. FIXME: use XEP-0156 to discover it.
    bosh: 'https://tele.praxis.de/<!--# echo var="subdir" default="" -->http-bind',

    defaultLanguage: 'de',
    disableThirdPartyRequests: true,
    enableLayerSuspension: true,
    channelLastN: 4,

    p2p: {
        enabled: true,
        stunServers: [
            { urls: 'stun:tele.praxis.de:3478' },
        ],
    },

    constraints: {
        video: {
            height: {
                ideal: 480,
                max: 480,
                min: 240,
            },
        },
    },

    toolbarConfig: {
        alwaysVisible: true,
    },
};

/* eslint-enable no-unused-vars, no-var */
"#;

    const INTERFACE_CONFIG_JS: &str = r#"/* eslint-disable no-unused-vars, no-var, max-len */
/* eslint sort-keys: ["error", "asc", {"caseSensitive": false}] */

/**
 * !!!IMPORTANT!!!
 *
 * This file is considered deprecated. All options will eventually be moved to
 * config.js, and no new options should be added here.
 */
var interfaceConfig = {
    APP_NAME: 'Praxis Videosprechstunde',
    AUDIO_LEVEL_PRIMARY_COLOR: 'rgba(255,255,255,0.4)',
    DEFAULT_BACKGROUND: '#040404',
    DEFAULT_LOCAL_DISPLAY_NAME: 'ich',
    MOBILE_DOWNLOAD_LINK_ANDROID: 'https://f-droid.org/en/packages/org.jitsi.meet/',
    SHOW_JITSI_WATERMARK: false,
    TOOLBAR_ALWAYS_VISIBLE: true,
    TOOLBAR_BUTTONS: [ 'microphone', 'camera', 'hangup' ],
    // Allow all above example options to include a trailing comma and
    // prevent fear when commenting out the last value.
    // eslint-disable-next-line sort-keys
    makeJsonParserHappy: 'even if last key had a trailing comma'
};

// Temporary backwards compatibility with old mobile clients.
if (typeof module === 'object') {
    module.exports = interfaceConfig;
}

/* eslint-enable no-unused-vars, no-var, max-len */
"#;

    #[test]
    fn jitsi_config_files_pass() {
        assert_eq!(check_javascript(CONFIG_JS), Ok(()));
        assert_eq!(check_javascript(INTERFACE_CONFIG_JS), Ok(()));
    }

    #[test]
    fn unbalanced_brace_fails_with_line_and_column() {
        let broken = CONFIG_JS.replace(
            "    toolbarConfig: {\n        alwaysVisible: true,\n    },\n",
            "    toolbarConfig: {\n        alwaysVisible: true,\n",
        );
        let err = check_javascript(&broken).unwrap_err();
        assert!(err.starts_with("invalid JavaScript at line "), "{err}");
        assert!(err.contains(", column "), "{err}");
    }

    #[test]
    fn missing_comma_points_at_the_token_after_it() {
        let err = check_javascript("var config = {\n    a: 1\n    b: 2,\n};\n").unwrap_err();
        assert!(
            err.starts_with("invalid JavaScript at line 3, column 5: "),
            "{err}"
        );
    }

    #[test]
    fn unterminated_string_fails_with_its_line() {
        let err = check_javascript("var interfaceConfig = {\n    APP_NAME: 'Praxis,\n};\n").unwrap_err();
        assert!(
            err.starts_with("invalid JavaScript at line 2, column 15: "),
            "{err}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        for deep in [
            format!("x = {}1;", "[".repeat(5000)),
            format!("x = {}1;", "!".repeat(5000)),
            format!("x = {}1;", "- ".repeat(5000)),
            format!("{}1;", "a = ".repeat(5000)),
            format!("x = {}1;", "a ? b : ".repeat(5000)),
        ] {
            let err = check_javascript(&deep).unwrap_err();
            assert!(err.contains("nested too deeply"), "{err}");
        }
    }

    #[test]
    fn brackets_and_dashes_in_comments_and_strings_do_not_count() {
        let text = format!(
            "// {}\n/* {} */\nvar s = '{}';\nvar t = \"a\\\"{}\";\n",
            "(".repeat(5000),
            "----------\n".repeat(500),
            "[".repeat(5000),
            "{".repeat(5000)
        );
        assert_eq!(check_javascript(&text), Ok(()));
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        assert_eq!(check_javascript("\u{feff}var config = {};\n"), Ok(()));
    }

    #[test]
    fn long_binary_chains_are_not_refused() {
        let text = format!("var s = a{};\n", " - b".repeat(5000));
        assert_eq!(check_javascript(&text), Ok(()));
    }
}
