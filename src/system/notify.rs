//! Telling a person when nobody was at the terminal: mail through the local MTA (`sendmail -t`,
//! as unattended-upgrades does), and the system journal through `logger` when stderr does not
//! already go there. Both are best effort: a report that cannot be sent is a warning, never a
//! reason to fail the run it reports on.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::tr;
use anyhow::{Context, Result, bail};

/// Debian's path of the MTA's sendmail, whichever MTA is installed.
pub const SENDMAIL: &str = "/usr/sbin/sendmail";
/// An MTA that does not take a message in this time is given up on.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends a plain-text mail to `to` with `sendmail -t` (recipients from the headers).
pub fn send_mail(sendmail: &Path, to: &str, subject: &str, body: &str) -> Result<()> {
    if to.contains(['\n', '\r']) || subject.contains(['\n', '\r']) {
        bail!("{}", tr!("mail_to and the subject must be one line"));
    }
    let program = sendmail;
    if !program.exists() {
        bail!(
            "{}",
            tr!(
                "{program} is not installed; cannot mail the report to {to}\nhint: install an MTA (e.g. `apt install dma`) or unset mail_to",
                program = program.display(),
                to
            )
        );
    }
    let message = format!(
        "To: {to}\nSubject: {subject}\nAuto-Submitted: auto-generated\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n{body}"
    );
    let mut child = Command::new(program)
        .arg("-t")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| tr!("cannot run {program}", program = program.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(message.as_bytes())
            .with_context(|| tr!("cannot hand the mail to sendmail"))?;
    }
    let status = wait_at_most(&mut child, SEND_TIMEOUT)?;
    if !status.success() {
        bail!("{}", tr!("sendmail exited with {status}", status));
    }
    Ok(())
}

/// Writes `text` to the system journal (syslog facility user) unless stderr already goes there:
/// systemd sets `JOURNAL_STREAM` for a unit whose stderr is the journal.
pub fn to_journal(root: &Path, text: &str) {
    if root != Path::new("/") || std::env::var_os("JOURNAL_STREAM").is_some() {
        return;
    }
    let Ok(mut child) = Command::new("logger")
        .args(["-t", "jitsi-custom", "-p", "user.warning"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    let _ = wait_at_most(&mut child, Duration::from_secs(10));
}

/// Waits for a child, killing it after `limit`.
fn wait_at_most(child: &mut std::process::Child, limit: Duration) -> Result<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{}", tr!("gave up after {seconds} s", seconds = limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
