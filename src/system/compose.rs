//! docker compose's files as the tool reads and writes them: the image and the volumes of a
//! service in `docker-compose.yml` (with `${VAR:-default}` from `.env`), and the bind mounts of the
//! overlay files added to `docker-compose.override.yml` beside whatever the admin keeps there.
//!
//! YAML is read with `yaml-rust2` (maintained, pure Rust, YAML 1.2; `serde_yaml` is deprecated and
//! `serde_yml` is flagged unsound and unmaintained). No maintained Rust crate edits YAML losslessly,
//! so the override is edited as text: our lines carry a `# jitsi-custom` mark and are inserted
//! under `services.<service>.volumes` in the file's own indentation, the admin's lines and comments
//! stay byte for byte, and the result is parsed again and must read as the admin's document plus
//! exactly our mounts; otherwise nothing is written and the error says what to add by hand.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use yaml_rust2::{Yaml, YamlLoader};

/// The mark on every line the tool adds to the override.
pub const MARK: &str = "# jitsi-custom";

/// Which document [`load`] reads, for its error.
#[derive(Clone, Copy)]
enum Doc<'a> {
    /// A file by its name.
    File(&'a str),
    /// One of the compose files of a service.
    AnyCompose,
    /// The override as the tool edited it.
    EditedOverride,
}

fn load(text: &str, what: Doc) -> Result<Yaml> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        anyhow::anyhow!(match what {
            Doc::File(file) => crate::english!("{file} does not parse as YAML: {error}", file, error = e),
            Doc::AnyCompose => crate::english!("a compose file does not parse as YAML: {error}", error = e),
            Doc::EditedOverride => crate::english!(
                "the edited docker-compose.override.yml does not parse as YAML: {error}",
                error = e
            ),
        })
    })?;
    Ok(docs.into_iter().next().unwrap_or(Yaml::Null))
}

/// Replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$VAR` with values from `env`
/// (compose's interpolation; an unset variable is empty).
pub fn interpolate(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(inner) = after.strip_prefix('{')
            && let Some(end) = inner.find('}')
        {
            let expr = &inner[..end];
            let (name, default, use_default_if_empty) = if let Some((n, d)) = expr.split_once(":-") {
                (n, Some(d), true)
            } else if let Some((n, d)) = expr.split_once('-') {
                (n, Some(d), false)
            } else {
                (expr, None, false)
            };
            let value = env.get(name).map(String::as_str);
            let chosen = match (value, default) {
                (Some(v), Some(d)) if v.is_empty() && use_default_if_empty => d.to_string(),
                (Some(v), _) => v.to_string(),
                (None, Some(d)) => d.to_string(),
                (None, None) => String::new(),
            };
            out.push_str(&chosen);
            rest = &inner[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(env.get(&after[..len]).map(String::as_str).unwrap_or(""));
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

/// Reads `.env`-style variables (`KEY=value`, comments skipped, surrounding quotes removed).
pub fn read_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Some((key.trim().to_string(), value.to_string()))
        })
        .collect()
}

/// The image of a service in a compose file, interpolated.
pub fn service_image(compose: &str, service: &str, env: &BTreeMap<String, String>) -> Result<Option<String>> {
    let doc = load(compose, Doc::File("docker-compose.yml"))?;
    Ok(doc["services"][service]["image"]
        .as_str()
        .map(|i| interpolate(i, env)))
}

/// A bind mount or volume of a service: what is mounted (a host path or a volume name) and
/// where in the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub target: String,
}

/// The volumes of a service across compose files (later files add to earlier ones), interpolated.
pub fn service_mounts(files: &[&str], service: &str, env: &BTreeMap<String, String>) -> Result<Vec<Mount>> {
    let mut mounts = Vec::new();
    for text in files {
        let doc = load(text, Doc::AnyCompose)?;
        let Some(list) = doc["services"][service]["volumes"].as_vec() else {
            continue;
        };
        for item in list {
            if let Some(short) = item.as_str() {
                let short = interpolate(short, env);
                let mut parts = short.splitn(3, ':');
                let (Some(source), Some(target)) = (parts.next(), parts.next()) else {
                    continue;
                };
                mounts.push(Mount {
                    source: source.to_string(),
                    target: target.to_string(),
                });
            } else if let (Some(source), Some(target)) = (item["source"].as_str(), item["target"].as_str()) {
                mounts.push(Mount {
                    source: interpolate(source, env),
                    target: interpolate(target, env),
                });
            }
        }
    }
    Ok(mounts)
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// `key:` on a line of its own (a block follows), at exactly `indent`.
fn is_block_key(line: &str, key: &str, indent: usize) -> bool {
    if indent_of(line) != indent {
        return false;
    }
    let rest = line.trim_start();
    let Some(after) = rest.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    let after = after.trim();
    after.is_empty() || after.starts_with('#')
}

/// The end (exclusive) of the block that the key line at `at` opens: the next content line at or
/// left of its indentation.
fn block_end(lines: &[String], at: usize) -> usize {
    let indent = indent_of(&lines[at]);
    (at + 1..lines.len())
        .find(|&i| {
            is_content(&lines[i])
                && indent_of(&lines[i]) <= indent
                && !lines[i].trim_start().starts_with("- ")
        })
        .or_else(|| (at + 1..lines.len()).find(|&i| is_content(&lines[i]) && indent_of(&lines[i]) < indent))
        .unwrap_or(lines.len())
}

/// The indentation of the children of the block opened at `at`, when it has any.
fn child_indent(lines: &[String], at: usize) -> Option<usize> {
    let end = block_end(lines, at);
    (at + 1..end)
        .find(|&i| is_content(&lines[i]))
        .map(|i| indent_of(&lines[i]))
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The override with exactly `mounts` (`(host path, container path)`, mounted read-only) as the
/// tool's bind mounts of `service`, the admin's content kept byte for byte. `existing` is the
/// file as it is (`None`: there is none). `Ok(None)`: no file is needed (no mounts, no file).
/// The error is English: the caller keeps it as a note (`--json`); [`crate::i18n::shown`] gives
/// it for a person.
pub fn edit_override(
    existing: Option<&str>,
    service: &str,
    mounts: &[(String, String)],
) -> Result<Option<String>> {
    let original = existing.unwrap_or("");
    // Our lines from last time go; then the admin's document is what is left.
    let mut lines: Vec<String> = original
        .lines()
        .filter(|l| !l.trim_end().ends_with(MARK))
        .map(str::to_string)
        .collect();
    let admins = load(&lines.join("\n"), Doc::File("docker-compose.override.yml"))
        .with_context(|| crate::english!("docker-compose.override.yml: cannot add the overlay mounts"))?;
    if mounts.is_empty() {
        if existing.is_none()
            || lines.iter().all(|l| !is_content(l))
                && original.contains(MARK)
                && lines.iter().all(|l| l.trim().is_empty())
        {
            return Ok(if existing.is_some() {
                Some(String::new())
            } else {
                None
            });
        }
        return Ok(Some(join(&lines, original)));
    }
    let items = |indent: usize| -> Vec<String> {
        mounts
            .iter()
            .map(|(host, target)| {
                format!(
                    "{}- {} {MARK}",
                    " ".repeat(indent),
                    quoted(&format!("{host}:{target}:ro"))
                )
            })
            .collect()
    };
    let services_at = lines.iter().position(|l| is_block_key(l, "services", 0));
    match services_at {
        None => {
            if admins["services"] != Yaml::BadValue {
                bail!(not_block_style(service, mounts));
            }
            if !lines.is_empty() && !lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.push(String::new());
            }
            lines.push(format!("services: {MARK}"));
            lines.push(format!("  {service}: {MARK}"));
            lines.push(format!("    volumes: {MARK}"));
            lines.extend(items(6));
        }
        Some(s) => {
            let ci = child_indent(&lines, s).unwrap_or(2);
            let end = block_end(&lines, s);
            match (s + 1..end).find(|&i| is_block_key(&lines[i], service, ci)) {
                None => {
                    if !admins["services"][service].is_badvalue() {
                        bail!(not_block_style(service, mounts));
                    }
                    let step = ci.max(2);
                    let mut block = vec![
                        format!("{}{service}: {MARK}", " ".repeat(ci)),
                        format!("{}volumes: {MARK}", " ".repeat(ci + step)),
                    ];
                    block.extend(items(ci + 2 * step));
                    lines.splice(s + 1..s + 1, block);
                }
                Some(w) => {
                    let step = ci.max(2);
                    let wi = child_indent(&lines, w).unwrap_or(ci + step);
                    let wend = block_end(&lines, w);
                    match (w + 1..wend).find(|&i| is_block_key(&lines[i], "volumes", wi)) {
                        None => {
                            if !admins["services"][service]["volumes"].is_badvalue() {
                                bail!(not_block_style(service, mounts));
                            }
                            let mut block = vec![format!("{}volumes: {MARK}", " ".repeat(wi))];
                            block.extend(items(wi + step));
                            lines.splice(w + 1..w + 1, block);
                        }
                        Some(v) => {
                            let vi = (v + 1..lines.len())
                                .find(|&i| is_content(&lines[i]))
                                .filter(|&i| {
                                    lines[i].trim_start().starts_with("- ") && indent_of(&lines[i]) >= wi
                                })
                                .map(|i| indent_of(&lines[i]))
                                .unwrap_or(wi + step);
                            lines.splice(v + 1..v + 1, items(vi));
                        }
                    }
                }
            }
        }
    }
    let text = join(&lines, original);
    check_override(&admins, &text, service, mounts)?;
    Ok(Some(text))
}

fn join(lines: &[String], original: &str) -> String {
    let mut text = lines.join("\n");
    if !text.is_empty() && (original.ends_with('\n') || original.is_empty() || !original.contains('\n')) {
        text.push('\n');
    }
    text
}

fn not_block_style(service: &str, mounts: &[(String, String)]) -> String {
    let lines: Vec<String> = mounts
        .iter()
        .map(|(h, t)| format!("      - {}", quoted(&format!("{h}:{t}:ro"))))
        .collect();
    crate::english!(
        "docker-compose.override.yml: services.{service}.volumes is not written in block style; it was left as it is\nhint: add these mounts under services.{service}.volumes yourself:\n{mounts}",
        service,
        mounts = lines.join("\n")
    )
}

/// The edited override must read as the admin's document plus exactly our mounts.
fn check_override(admins: &Yaml, text: &str, service: &str, mounts: &[(String, String)]) -> Result<()> {
    let ours: Vec<Yaml> = mounts
        .iter()
        .map(|(h, t)| Yaml::String(format!("{h}:{t}:ro")))
        .collect();
    let mut edited = load(text, Doc::EditedOverride)?;
    let volumes = edited["services"][service]["volumes"]
        .as_vec()
        .cloned()
        .unwrap_or_default();
    if !ours.iter().all(|m| volumes.contains(m)) {
        bail!(not_block_style(service, mounts));
    }
    // Take ours out again (and the structure only we added) and compare with the admin's.
    if let Some(services) = edited
        .as_mut_hash()
        .and_then(|h| h.get_mut(&Yaml::String("services".into())))
        && let Some(services_hash) = services.as_mut_hash()
    {
        let key = Yaml::String(service.into());
        if let Some(svc) = services_hash.get_mut(&key)
            && let Some(svc_hash) = svc.as_mut_hash()
        {
            let vkey = Yaml::String("volumes".into());
            if let Some(list) = svc_hash.get_mut(&vkey).and_then(|v| v.as_mut_vec()) {
                list.retain(|v| !ours.contains(v));
            }
            let admin_had = |path: &[&str]| {
                let mut node = admins;
                for p in path {
                    node = &node[*p];
                }
                !node.is_badvalue()
            };
            if svc_hash
                .get(&vkey)
                .and_then(Yaml::as_vec)
                .is_some_and(Vec::is_empty)
                && !admin_had(&["services", service, "volumes"])
            {
                svc_hash.remove(&vkey);
            }
            if svc_hash.is_empty() && !admin_had(&["services", service]) {
                services_hash.remove(&key);
            }
        }
        if services_hash.is_empty() && admins["services"].is_badvalue() {
            edited
                .as_mut_hash()
                .map(|h| h.remove(&Yaml::String("services".into())));
        }
    }
    let normalise = |y: &Yaml| match y {
        Yaml::Hash(h) if h.is_empty() => Yaml::Null,
        other => other.clone(),
    };
    if normalise(&edited) != normalise(admins) {
        bail!(not_block_style(service, mounts));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mounts() -> Vec<(String, String)> {
        vec![(
            "${CONFIG}/jitsi-custom/web/usr/share/jitsi-meet/css/all.css".into(),
            "/usr/share/jitsi-meet/css/all.css".into(),
        )]
    }

    #[test]
    fn a_new_override_holds_only_our_mounts() {
        let text = edit_override(None, "web", &mounts()).unwrap().unwrap();
        assert_eq!(
            text,
            "services: # jitsi-custom\n  web: # jitsi-custom\n    volumes: # jitsi-custom\n      - \"${CONFIG}/jitsi-custom/web/usr/share/jitsi-meet/css/all.css:/usr/share/jitsi-meet/css/all.css:ro\" # jitsi-custom\n"
        );
        // Again with none: nothing of ours is left.
        assert_eq!(edit_override(Some(&text), "web", &[]).unwrap().unwrap(), "");
        assert_eq!(edit_override(None, "web", &[]).unwrap(), None);
    }

    #[test]
    fn the_admins_override_keeps_its_content_and_comments() {
        let admins = "\
# my override
version: '3.5'

services:
    # the web service
    web:
        ports:
            - '8080:80'
        volumes:
            - ./my-logo.png:/usr/share/jitsi-meet/images/mylogo.png:ro   # practice logo
    jvb:
        environment:
            - JVB_TCP_HARVESTER_DISABLED=true
";
        let text = edit_override(Some(admins), "web", &mounts()).unwrap().unwrap();
        for line in admins.lines() {
            assert!(text.lines().any(|l| l == line), "{line:?} lost:\n{text}");
        }
        let doc = load(&text, Doc::File("t")).unwrap();
        assert_eq!(doc["services"]["web"]["volumes"].as_vec().unwrap().len(), 2);
        assert_eq!(
            doc["services"]["jvb"]["environment"][0].as_str(),
            Some("JVB_TCP_HARVESTER_DISABLED=true")
        );
        // Rendering again replaces ours, it does not add a second copy; none gives the admin's back.
        let again = edit_override(Some(&text), "web", &mounts()).unwrap().unwrap();
        assert_eq!(again, text);
        assert_eq!(edit_override(Some(&text), "web", &[]).unwrap().unwrap(), admins);
    }

    #[test]
    fn a_service_without_volumes_gets_them_in_its_indentation() {
        let admins = "services:\n  web:\n    restart: always\n  prosody:\n    restart: always\n";
        let text = edit_override(Some(admins), "web", &mounts()).unwrap().unwrap();
        let doc = load(&text, Doc::File("t")).unwrap();
        assert_eq!(doc["services"]["web"]["restart"].as_str(), Some("always"));
        assert_eq!(doc["services"]["web"]["volumes"].as_vec().unwrap().len(), 1);
        assert_eq!(doc["services"]["prosody"]["restart"].as_str(), Some("always"));
        let admins = "services:\n  prosody:\n    restart: always\n";
        let text = edit_override(Some(admins), "web", &mounts()).unwrap().unwrap();
        assert_eq!(
            load(&text, Doc::File("t")).unwrap()["services"]["prosody"]["restart"].as_str(),
            Some("always")
        );
    }

    #[test]
    fn flow_style_is_left_alone_with_a_hint() {
        let admins = "services: {web: {volumes: [a:/b]}}\n";
        let err = edit_override(Some(admins), "web", &mounts()).unwrap_err();
        assert!(format!("{err:#}").contains("hint: add these mounts"), "{err:#}");
        assert!(edit_override(Some("services: [\n"), "web", &mounts()).is_err());
    }

    #[test]
    fn interpolation_and_the_services_image() {
        let env: BTreeMap<String, String> = [("CONFIG".to_string(), "/cfg".to_string())].into();
        assert_eq!(interpolate("${CONFIG}/web:/config:Z", &env), "/cfg/web:/config:Z");
        assert_eq!(
            interpolate("jitsi/web:${JITSI_IMAGE_VERSION:-stable}", &env),
            "jitsi/web:stable"
        );
        let compose = "services:\n  web:\n    image: jitsi/web:${JITSI_IMAGE_VERSION:-stable}\n    volumes:\n      - ${CONFIG}/web:/config:Z\n";
        assert_eq!(
            service_image(compose, "web", &env).unwrap().as_deref(),
            Some("jitsi/web:stable")
        );
        let mounts = service_mounts(&[compose], "web", &env).unwrap();
        assert_eq!(
            mounts,
            [Mount {
                source: "/cfg/web".into(),
                target: "/config".into()
            }]
        );
        assert_eq!(read_env("# x\nA=1\nB=\"two\"\n")["B"], "two");
    }
}
