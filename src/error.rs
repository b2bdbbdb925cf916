//! The errors callers act on, and how every failure maps to the exit codes of the command-line
//! contract: 2 for usage or input errors, 3 for runtime failures. (Exit 1, "attention needed", is
//! not an error: commands report it as their outcome.)

use std::path::PathBuf;

/// Errors with a meaning of their own. Glue code wraps them in `anyhow` with context; `main` finds
/// them again in the chain to pick the exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {reason}")]
    BadPath { path: String, reason: String },
    #[error("{}: not tracked\nhint: start tracking it with `jitsi-custom track {}`", .0, .0)]
    NotTracked(String),
    #[error("state directory {} is not initialised\nhint: run `jitsi-custom init` first", .0.display())]
    NotInitialised(PathBuf),
    #[error("state directory {} is already initialised\nhint: pass --force to start over (the old state is kept as a backup)", .0.display())]
    AlreadyInitialised(PathBuf),
    #[error("state directory {} is locked by another jitsi-custom run{}\nhint: wait for it to finish; a lock left by a killed run is released automatically", .path.display(), .holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Locked { path: PathBuf, holder: Option<String> },
    #[error("{}: {reason}\nhint: fix the file by hand or restore it with `jitsi-custom rollback`", .path.display())]
    BadManifest { path: PathBuf, reason: String },
    #[error("{}: {problem}; others could steer what jitsi-custom reads and copies\nhint: {hint}", .path.display())]
    Untrusted {
        path: PathBuf,
        problem: String,
        hint: String,
    },
    #[error("{}", lost_files_message(.path, .lost, .last_operation.as_deref()))]
    ManifestLostFiles {
        path: PathBuf,
        /// Install paths the store holds that the manifest no longer lists.
        lost: Vec<String>,
        /// The short id of the last operation, whose snapshot holds the full manifest.
        last_operation: Option<String>,
    },
    #[error("the store in {} is damaged: {} {reason}\nhint: restore {} from a backup, or start a new store from the live files with `jitsi-custom init --force` (the damaged one is kept beside it)", .state.display(), .object.display(), .state.display())]
    DamagedStore {
        state: PathBuf,
        object: PathBuf,
        reason: String,
    },
    #[error("{path}: cannot write: {reason}")]
    CannotWrite { path: String, reason: String },
    #[error("the state needs repair: {0}\nhint: `jitsi-custom doctor` explains and repairs it")]
    NeedsRepair(String),
    #[error("{0}: input is not usable: {1}")]
    BadInput(String, String),
    #[error("{0}\nhint: run in a terminal, or answer later with `jitsi-custom resolve`")]
    NotInteractive(String),
    #[error("aborted; nothing was changed")]
    Aborted,
}

fn lost_files_message(path: &std::path::Path, lost: &[String], last_operation: Option<&str>) -> String {
    const SHOWN: usize = 5;
    let mut list = lost.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if lost.len() > SHOWN {
        list.push_str(&format!(" and {} more", lost.len() - SHOWN));
    }
    let restore = match last_operation {
        Some(op) => format!(
            "restore the manifest with `jitsi-custom rollback {op}` (the last operation, which saved it), or "
        ),
        None => String::new(),
    };
    format!(
        "{}: does not list {} file(s) the store keeps: {list}; going on would drop their customisations\nhint: {restore}list them again and stop tracking a file with `jitsi-custom untrack PATH`",
        path.display(),
        lost.len()
    )
}

impl Error {
    /// The exit code this error stands for.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Locked { .. }
            | Error::Aborted
            | Error::DamagedStore { .. }
            | Error::NeedsRepair(_)
            | Error::CannotWrite { .. } => 3,
            _ => 2,
        }
    }
}

/// Exit code of the command-line contract for any failure: the first [`Error`] in the chain decides,
/// anything else (I/O, git, a child process) is a runtime failure.
pub fn exit_code_of(err: &anyhow::Error) -> i32 {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Error>())
        .map(Error::exit_code)
        .unwrap_or(3)
}
