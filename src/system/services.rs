//! Services, through `systemctl` (found on `PATH`, or the program `JITSI_CUSTOM_SYSTEMCTL`
//! names; tests point it at a stub that logs): restart, reload and ask whether a service runs. Each service is acted on once per call, in the order
//! given; the caller learns what was done and prints it.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::tr;
use anyhow::{Result, bail};

use super::process;

/// How long `systemctl` may take to start, stop or reload a unit: Java services take their time.
const ACTION_LIMIT: Duration = Duration::from_secs(180);
/// How long a question to `systemctl` or a health check may take.
const QUERY_LIMIT: Duration = Duration::from_secs(30);

/// What was done to one service.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ServiceAction {
    pub service: String,
    /// `restart`, `reload`, `enable`, …
    pub action: String,
}

/// Restarts each service once.
pub fn restart(services: &[&str]) -> Result<Vec<ServiceAction>> {
    each_once(services, "restart")
}

/// Reloads each service once (nginx takes a new configuration without dropping connections).
pub fn reload(services: &[&str]) -> Result<Vec<ServiceAction>> {
    each_once(services, "reload")
}

/// Whether a service is running (`systemctl is-active --quiet`).
pub fn is_active(service: &str) -> Result<bool> {
    check_name(service)?;
    let status = process::status(
        Command::new(program())
            .args(["is-active", "--quiet", service])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
        process::limit(QUERY_LIMIT),
    )?;
    Ok(status.success())
}

/// `systemctl daemon-reload`: systemd reads changed unit files.
pub fn daemon_reload() -> Result<()> {
    systemctl(&["daemon-reload"])
}

/// `systemctl enable --now UNIT`.
pub fn enable_now(unit: &str) -> Result<ServiceAction> {
    check_name(unit)?;
    systemctl(&["enable", "--now", unit])?;
    Ok(ServiceAction {
        service: unit.to_string(),
        action: "enable".into(),
    })
}

/// `systemctl disable --now UNIT`.
pub fn disable_now(unit: &str) -> Result<ServiceAction> {
    check_name(unit)?;
    systemctl(&["disable", "--now", unit])?;
    Ok(ServiceAction {
        service: unit.to_string(),
        action: "disable".into(),
    })
}

fn each_once(services: &[&str], action: &str) -> Result<Vec<ServiceAction>> {
    let mut done: Vec<ServiceAction> = Vec::new();
    for service in services {
        if done.iter().any(|d| d.service == *service) {
            continue;
        }
        check_name(service)?;
        systemctl(&[action, service])?;
        done.push(ServiceAction {
            service: service.to_string(),
            action: action.to_string(),
        });
    }
    Ok(done)
}

/// A unit name never reaches systemctl as an option or with odd characters.
fn check_name(unit: &str) -> Result<()> {
    let valid = !unit.is_empty()
        && !unit.starts_with('-')
        && unit
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':' | '\\'));
    if !valid {
        bail!(crate::error::Error::Usage(tr!(
            "invalid service name {unit}",
            unit = format!("{unit:?}")
        )));
    }
    Ok(())
}

/// The systemctl to run: `--systemctl` ([`super::Settings`]), else the one on `PATH`.
pub fn program() -> std::ffi::OsString {
    super::settings()
        .systemctl
        .clone()
        .map(Into::into)
        .unwrap_or_else(|| "systemctl".into())
}

fn systemctl(args: &[&str]) -> Result<()> {
    let line = format!("systemctl {}", args.join(" "));
    let output = process::output(
        Command::new(program()).args(args).stdin(Stdio::null()),
        None,
        process::limit(ACTION_LIMIT),
    )?;
    if !output.status.success() {
        bail!(
            "{}",
            tr!(
                "{line} failed ({status}): {error}",
                line,
                status = output.status,
                error = String::from_utf8_lossy(&output.stderr).trim()
            )
        );
    }
    Ok(())
}

/// An HTTP(S) health check through curl: a non-2xx answer, or none within 15 s, is an error.
pub fn check_url(url: &str) -> Result<()> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!(crate::error::Error::Usage(tr!(
            "health check {url} is not an http(s) URL",
            url = format!("{url:?}")
        )));
    }
    let output = process::output(
        Command::new("curl")
            .args([
                "--fail",
                "--silent",
                "--show-error",
                "--max-time",
                "15",
                "--output",
                "/dev/null",
                "--",
                url,
            ])
            .stdin(Stdio::null()),
        None,
        process::limit(QUERY_LIMIT),
    )?;
    if !output.status.success() {
        bail!(
            "{}",
            tr!(
                "the health check {url} failed: {error}",
                url,
                error = String::from_utf8_lossy(&output.stderr).trim()
            )
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves one HTTP response with the given status line on a free loopback port.
    fn serve_once(status: &'static str) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/health", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            }
        });
        url
    }

    #[test]
    fn a_health_check_passes_on_2xx_and_fails_otherwise() {
        check_url(&serve_once("200 OK")).unwrap();
        let err = check_url(&serve_once("503 Service Unavailable")).unwrap_err();
        assert!(format!("{err:#}").contains("503"), "{err:#}");
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(
            check_url(&format!("http://{closed}/")).is_err(),
            "nobody listening"
        );
        assert!(check_url("file:///etc/shadow").is_err(), "only http(s)");
    }

    #[test]
    fn odd_unit_names_never_reach_systemctl() {
        for bad in ["", "--now", "a b", "x;rm", "a/b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in [
            "nginx",
            "jitsi-videobridge2",
            "jitsi-custom-upgrade.timer",
            "getty@tty1.service",
        ] {
            check_name(good).unwrap();
        }
    }
}
