//! Running the outside world's programs (dpkg, apt-get, systemctl, `nginx -t`, curl) with a time
//! limit. A program that hangs (a unit that never finishes starting, a stuck lock) must not hang
//! the tool, least of all the apt hook: past its limit the program is killed and the caller gets
//! one error saying so. Output is collected while the program runs, so a full pipe never blocks
//! it, and a grandchild that keeps a pipe open cannot hold the caller either.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::tr;
use anyhow::{Context, Result};
use wait_timeout::ChildExt;

/// How long a program may run: `default`, unless `--program-timeout` said otherwise
/// ([`super::Settings`]).
pub fn limit(default: Duration) -> Duration {
    super::settings().program_timeout.unwrap_or(default)
}

/// The command as a person would type it, for messages.
pub fn command_line(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd` to the end, with `input` on its stdin (else the stdin the caller set), and returns
/// its status and output. Past `limit` (see [`limit`]) it is killed and this is an error.
pub fn output(cmd: &mut Command, input: Option<&[u8]>, limit: Duration) -> Result<Output> {
    let line = command_line(cmd);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().with_context(|| tr!("cannot run {line}", line))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        let input = input.to_vec();
        // A program that stops reading fails on its own; its status tells.
        std::thread::spawn(move || stdin.write_all(&input));
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait(&mut child, &line, limit)?;
    // Whatever is still to come arrives at once, unless a grandchild holds the pipe open.
    let collect = |rx: mpsc::Receiver<Vec<u8>>| rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    Ok(Output {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// Runs `cmd` to the end with the stdio the caller set (a person sees its output). Past `limit`
/// it is killed and this is an error.
pub fn status(cmd: &mut Command, limit: Duration) -> Result<ExitStatus> {
    let line = command_line(cmd);
    let mut child = cmd.spawn().with_context(|| tr!("cannot run {line}", line))?;
    wait(&mut child, &line, limit)
}

fn wait(child: &mut Child, line: &str, limit: Duration) -> Result<ExitStatus> {
    match child
        .wait_timeout(limit)
        .with_context(|| tr!("cannot wait for {line}", line))?
    {
        Some(status) => Ok(status),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "{}",
                tr!(
                    "`{line}` did not finish within {seconds} s and was stopped",
                    line,
                    seconds = limit.as_secs()
                )
            )
        }
    }
}

/// Reads a pipe to its end on a thread of its own; the content arrives on the channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    match pipe {
        Some(mut pipe) => {
            std::thread::spawn(move || {
                let mut content = Vec::new();
                let _ = pipe.read_to_end(&mut content);
                let _ = tx.send(content);
            });
        }
        None => {
            let _ = tx.send(Vec::new());
        }
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn output_and_input_pass_through() {
        let out = output(
            Command::new("sh").args(["-c", "cat; echo err >&2; exit 3"]),
            Some(b"in\n"),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"in\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    fn a_program_past_its_limit_is_stopped_even_when_a_grandchild_keeps_the_pipe() {
        let started = Instant::now();
        let err = output(
            Command::new("sh")
                .args(["-c", "sleep 30 & sleep 30"])
                .stdin(Stdio::null()),
            None,
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`sh -c sleep 30 & sleep 30` did not finish within 1 s and was stopped"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        let err = status(Command::new("sleep").arg("30"), Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("did not finish"), "{err}");
        let err = status(&mut Command::new("/nonexistent/program"), Duration::from_secs(1)).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot run /nonexistent/program"),
            "{err}"
        );
    }
}
