//! Which services to restart and whether this run may: services belong to the machine, so with a
//! root other than `/` nothing is restarted unless a systemctl for that root was named
//! (`--systemctl`). nginx is reloaded, never restarted: a reload keeps the calls going.

use std::path::Path;

use anyhow::Result;

use crate::system::services;

/// Whether a run may restart the machine's services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    /// The root is `/`, or a systemctl was named for another root.
    Restart,
    /// Another root without a systemctl of its own: say what would be restarted.
    NotForThisRoot,
}

impl RestartPolicy {
    pub fn for_root(root: &Path, systemctl_given: bool) -> RestartPolicy {
        if root == Path::new("/") || systemctl_given {
            RestartPolicy::Restart
        } else {
            RestartPolicy::NotForThisRoot
        }
    }
}

/// What [`restart`] did.
#[derive(Debug, Default)]
pub struct Restarted {
    /// Restarted or reloaded.
    pub done: Vec<String>,
    /// Left alone because of the policy.
    pub left: Vec<String>,
}

/// Restarts (nginx: reloads) each service once, as the policy allows.
pub fn restart(policy: RestartPolicy, names: &[String]) -> Result<Restarted> {
    if names.is_empty() {
        return Ok(Restarted::default());
    }
    if policy == RestartPolicy::NotForThisRoot {
        return Ok(Restarted {
            done: Vec::new(),
            left: names.to_vec(),
        });
    }
    let (reload, restart): (Vec<&str>, Vec<&str>) =
        names.iter().map(String::as_str).partition(|s| *s == "nginx");
    let mut done: Vec<String> = services::restart(&restart)?
        .into_iter()
        .map(|a| a.service)
        .collect();
    done.extend(services::reload(&reload)?.into_iter().map(|a| a.service));
    Ok(Restarted {
        done,
        left: Vec::new(),
    })
}
