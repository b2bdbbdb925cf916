//! What differs from one Jitsi server to the next, and what is secret: the values a shared
//! customisation names as `{placeholders}` (the domain, the guest domain, the TURN secret) and
//! where a Jitsi server keeps them, and what a secret looks like in Jitsi's config files (a
//! `*secret*`/`*password*` setting with a value, a PEM private key). Pure functions over text;
//! the engine reads the files.

/// The server's Jitsi domain (the manifest's `domain`).
pub const DOMAIN: &str = "domain";
/// The domain of guests (`anonymousdomain` in config.js, Prosody's guest VirtualHost).
pub const GUEST_DOMAIN: &str = "guest_domain";
/// The secret Prosody and coturn share for TURN credentials.
pub const TURN_SECRET: &str = "turn_secret";

/// Words that make a setting's value (or a host value of that name) a secret.
pub const SECRET_WORDS: &[&str] = &["secret", "password", "passwd", "private_key", "privatekey"];

/// Whether a setting or host value of this name holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
}

/// The guest domain when the guide's convention is followed: `guest.<domain>`.
pub fn default_guest_domain(domain: &str) -> String {
    format!("guest.{domain}")
}

/// Whether a line is a comment in one of Jitsi's config languages (JavaScript, Lua, properties,
/// shell, nginx, HTML, CSS).
pub fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    ["//", "--", "#", ";", "/*", "*", "<!--"]
        .iter()
        .any(|c| t.starts_with(c))
}

/// A quoted value after `key:` or `key =` on a line, if the line sets `key` (not in a comment).
fn quoted_value_of(line: &str, key: &str) -> Option<String> {
    if is_comment(line) {
        return None;
    }
    let at = line.find(key)?;
    let before = line[..at].chars().last();
    if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let rest = line[at + key.len()..].trim_start();
    let rest = rest.strip_prefix(['=', ':'])?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let end = value.find(quote)?;
    Some(value[..end].to_string()).filter(|v| !v.is_empty())
}

/// The guest domain a meet `config.js` sets (`anonymousdomain: 'guest.x'`, not commented out).
pub fn guest_domain_in_config_js(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| quoted_value_of(line, "anonymousdomain"))
}

/// The guest VirtualHost of a Prosody host config: a `VirtualHost "guest.…"` other than the
/// domain's own.
pub fn guest_domain_in_prosody(text: &str, domain: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("VirtualHost")?.trim();
        let name = rest.trim_matches(|c| c == '"' || c == '\'');
        (name != domain && name.starts_with("guest.") && !name.contains(char::is_whitespace))
            .then(|| name.to_string())
    })
}

/// The TURN secret of a Prosody host config (`external_service_secret` or the older
/// `turncredentials_secret`) or of coturn's `turnserver.conf` (`static-auth-secret=`).
pub fn turn_secret_in(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        quoted_value_of(line, "external_service_secret")
            .or_else(|| quoted_value_of(line, "turncredentials_secret"))
            .or_else(|| {
                if is_comment(line) {
                    return None;
                }
                let value = line.trim().strip_prefix("static-auth-secret")?.trim_start();
                let value = value.strip_prefix('=')?.trim();
                (!value.is_empty()).then(|| value.to_string())
            })
    })
}

/// Whether a file may hold secret settings: configuration under `/etc` and Jitsi's config.js
/// files. Elsewhere (translations, pages, styles) only a private key counts: a German text
/// `"password": "Passwort"` is no secret.
pub fn may_hold_secret_settings(install_path: &str) -> bool {
    install_path.trim_start_matches('/').starts_with("etc/") || install_path.ends_with("config.js")
}

/// A secret on one line of a config file: what it is, for the message (never the value).
pub fn secret_on_line(line: &str) -> Option<String> {
    if line.contains("-----BEGIN") && line.contains("PRIVATE KEY-----") {
        return Some("a private key".to_string());
    }
    if is_comment(line) {
        return None;
    }
    let lower = line.to_ascii_lowercase();
    for word in SECRET_WORDS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(word) {
            let at = from + found;
            from = at + word.len();
            // The whole setting name around the word.
            let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
            let start = line[..at]
                .rfind(|c: char| !is_name(c))
                .map(|i| i + 1)
                .unwrap_or(0);
            let end = line[at..]
                .find(|c: char| !is_name(c))
                .map(|i| at + i)
                .unwrap_or(line.len());
            let name = &line[start..end];
            let rest = line[end..].trim_start_matches(['"', '\'']).trim_start();
            let Some((separator, rest)) = rest
                .strip_prefix('=')
                .map(|r| ('=', r))
                .or_else(|| rest.strip_prefix(':').map(|r| (':', r)))
            else {
                continue;
            };
            let rest = rest.trim_start();
            let value = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => match rest[1..].find(q) {
                    Some(end) => &rest[1..1 + end],
                    None => &rest[1..],
                },
                // Unquoted values only in `key=value` files (properties, coturn, shell).
                Some(_) if separator == '=' => rest
                    .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
                    .next()
                    .unwrap_or_default(),
                _ => continue,
            };
            if is_secret_value(value) {
                return Some(format!("a value for {name}"));
            }
        }
    }
    None
}

/// Whether a value set for a secret-named setting is a real secret (not a placeholder, a
/// keyword, a number or empty).
fn is_secret_value(value: &str) -> bool {
    let v = value.trim();
    let placeholder = v.starts_with('{') && v.ends_with('}') && !v[1..v.len() - 1].contains(['{', '}']);
    !(v.is_empty()
        || placeholder
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "nil" | "null" | "none" | "yes" | "no" | "undefined"
        )
        || v.chars().all(|c| c.is_ascii_digit() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_where_jitsi_keeps_them() {
        let config = "    // anonymousdomain: 'guest.example.com',\n        anonymousdomain: 'guest.tele.praxis.de',\n";
        assert_eq!(
            guest_domain_in_config_js(config).as_deref(),
            Some("guest.tele.praxis.de")
        );
        assert_eq!(guest_domain_in_config_js("// anonymousdomain: 'g.x'\n"), None);
        let prosody = "VirtualHost \"tele.praxis.de\"\nVirtualHost \"guest.tele.praxis.de\"\n";
        assert_eq!(
            guest_domain_in_prosody(prosody, "tele.praxis.de").as_deref(),
            Some("guest.tele.praxis.de")
        );
        assert_eq!(
            turn_secret_in("external_service_secret = \"k7Hq2WzR9mLp4TxV\";\n").as_deref(),
            Some("k7Hq2WzR9mLp4TxV")
        );
        assert_eq!(
            turn_secret_in("# static-auth-secret=x\nstatic-auth-secret=abc123\n").as_deref(),
            Some("abc123")
        );
    }

    #[test]
    fn only_config_files_hold_secret_settings() {
        assert!(may_hold_secret_settings("/etc/prosody/conf.avail/x.cfg.lua"));
        assert!(may_hold_secret_settings(
            "/usr/share/jitsi-meet/interface_config.js"
        ));
        assert!(!may_hold_secret_settings(
            "/usr/share/jitsi-meet/lang/main-de.json"
        ));
    }

    #[test]
    fn secrets_are_recognised_and_placeholders_and_switches_are_not() {
        for line in [
            "external_service_secret = \"k7Hq2WzR9mLp4TxV\";",
            "    component_secret = 'abcdef'",
            "JICOFO_AUTH_PASSWORD=s3cr3t",
            "org.jitsi.jicofo.auth.PASSWORD=hunter22",
            "  \"password\": \"x1\"",
            "-----BEGIN RSA PRIVATE KEY-----",
            "static-auth-secret=abc",
        ] {
            assert!(secret_on_line(line).is_some(), "{line}");
        }
        for line in [
            "external_service_secret = \"{turn_secret}\";",
            "{ type = \"turn\", secret = true, ttl = 86400 },",
            "    --app_secret=\"example_app_secret\"",
            "// password: 'x'",
            "passwordRequired: false,",
            "enableSecretLink: 5,",
        ] {
            assert!(secret_on_line(line).is_none(), "{line}");
        }
    }
}
