//! The container tool (`docker`, or podman through `podman-docker`), each call with a time limit:
//! what an image reference names now, an image saved to an archive (read by [`super::image`]), the
//! container a compose service runs in, and `docker compose pull` / `up -d` for the maintenance
//! window. Nothing here needs a running container.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::tr;
use anyhow::{Result, bail};

use super::process;

/// The program to run: `--docker-tool`, else `docker` from `PATH`.
fn program() -> PathBuf {
    super::settings()
        .docker
        .clone()
        .unwrap_or_else(|| PathBuf::from("docker"))
}

fn docker(args: &[&str]) -> Command {
    let mut cmd = Command::new(program());
    cmd.args(args);
    cmd
}

/// Runs a question; its trimmed stdout, or `None` when the tool says no (unknown image).
fn ask(args: &[&str]) -> Result<Option<String>> {
    let output = process::output(&mut docker(args), None, process::limit(Duration::from_secs(60)))?;
    if !output.status.success() {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&output.stdout).trim().to_string()))
}

/// The id (`sha256:…`) of the image a reference names now; `None` when there is no such image.
pub fn image_id(reference: &str) -> Result<Option<String>> {
    Ok(ask(&["image", "inspect", "--format", "{{.Id}}", reference])?
        .filter(|id| !id.is_empty())
        .map(|id| {
            if id.contains(':') {
                id
            } else {
                format!("sha256:{id}")
            }
        }))
}

/// Writes the image to `dest` as `docker image save` does (read it with
/// [`super::image::read_files`]).
pub fn save_image(reference: &str, dest: &Path) -> Result<()> {
    let dest_text = dest.to_string_lossy();
    let mut cmd = docker(&["image", "save", "-o", &dest_text, reference]);
    let output = process::output(&mut cmd, None, process::limit(Duration::from_secs(600)))?;
    if !output.status.success() {
        bail!(
            "{}",
            tr!(
                "`{line}` failed: {error}",
                line = process::command_line(&cmd),
                error = String::from_utf8_lossy(&output.stderr).trim()
            )
        );
    }
    Ok(())
}

/// The container of a compose service (created or running, newest first): its id and the id of
/// its image. `None` when there is none.
pub fn service_container(project: &str, service: &str) -> Result<Option<(String, String)>> {
    let project_filter = format!("label=com.docker.compose.project={project}");
    let service_filter = format!("label=com.docker.compose.service={service}");
    let Some(ids) = ask(&[
        "ps",
        "-a",
        "--no-trunc",
        "--filter",
        &project_filter,
        "--filter",
        &service_filter,
        "--format",
        "{{.ID}}",
    ])?
    else {
        return Ok(None);
    };
    let Some(id) = ids.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let image = ask(&["container", "inspect", "--format", "{{.Image}}", id])?.unwrap_or_default();
    Ok(Some((id.to_string(), image)))
}

/// `docker compose ARGS` in the checkout, its output shown to the person.
pub fn compose(checkout: &Path, args: &[&str]) -> Result<()> {
    let mut cmd = docker(&["compose"]);
    cmd.args(args).current_dir(checkout);
    let status = process::status(&mut cmd, process::limit(Duration::from_secs(1800)))?;
    if !status.success() {
        bail!(
            "{}",
            tr!(
                "`{line}` failed ({status})",
                line = process::command_line(&cmd),
                status
            )
        );
    }
    Ok(())
}
