//! The errors callers act on, and how every failure maps to the exit codes of the command-line
//! contract: 2 for usage or input errors, 3 for runtime failures. (Exit 1, "attention needed", is
//! not an error: commands report it as their outcome.)

use std::fmt;
use std::path::PathBuf;

use crate::tr;

/// Errors with a meaning of their own. Glue code wraps them in `anyhow` with context; `main` finds
/// them again in the chain to pick the exit code.
#[derive(Debug)]
pub enum Error {
    Usage(String),
    BadPath {
        path: String,
        reason: String,
    },
    NotTracked(String),
    NotInitialised(PathBuf),
    AlreadyInitialised(PathBuf),
    Locked {
        path: PathBuf,
        holder: Option<String>,
    },
    BadManifest {
        path: PathBuf,
        reason: String,
    },
    Untrusted {
        path: PathBuf,
        problem: String,
        hint: String,
    },
    ManifestLostFiles {
        path: PathBuf,
        /// Install paths the store holds that the manifest no longer lists.
        lost: Vec<String>,
        /// The short id of the last operation, whose snapshot holds the full manifest.
        last_operation: Option<String>,
    },
    DamagedStore {
        state: PathBuf,
        object: PathBuf,
        reason: String,
    },
    CannotWrite {
        path: String,
        reason: String,
    },
    NeedsRepair(String),
    BadInput(String, String),
    NotInteractive(String),
    Aborted,
}

impl std::error::Error for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            Error::Usage(message) => message.clone(),
            Error::BadPath { path, reason } => format!("{path}: {reason}"),
            Error::NotTracked(path) => tr!(
                "{path}: not tracked\nhint: start tracking it with `jitsi-custom track {path}`",
                path
            ),
            Error::NotInitialised(dir) => tr!(
                "state directory {dir} is not initialised\nhint: run `jitsi-custom init` first",
                dir = dir.display()
            ),
            Error::AlreadyInitialised(dir) => tr!(
                "state directory {dir} is already initialised\nhint: pass --force to start over (the old state is kept as a backup)",
                dir = dir.display()
            ),
            Error::Locked {
                path,
                holder: Some(holder),
            } => tr!(
                "state directory {dir} is locked by another jitsi-custom run ({holder})\nhint: wait for it to finish; a lock left by a killed run is released automatically",
                dir = path.display(),
                holder
            ),
            Error::Locked { path, holder: None } => tr!(
                "state directory {dir} is locked by another jitsi-custom run\nhint: wait for it to finish; a lock left by a killed run is released automatically",
                dir = path.display()
            ),
            Error::BadManifest { path, reason } => tr!(
                "{path}: {reason}\nhint: fix the file by hand or restore it with `jitsi-custom rollback`",
                path = path.display(),
                reason
            ),
            Error::Untrusted { path, problem, hint } => tr!(
                "{path}: {problem}; others could steer what jitsi-custom reads and copies\nhint: {hint}",
                path = path.display(),
                problem,
                hint
            ),
            Error::ManifestLostFiles {
                path,
                lost,
                last_operation,
            } => lost_files_message(path, lost, last_operation.as_deref()),
            Error::DamagedStore {
                state,
                object,
                reason,
            } => tr!(
                "the store in {state} is damaged: {object} {reason}\nhint: restore {state} from a backup, or start a new store from the live files with `jitsi-custom init --force` (the damaged one is kept beside it)",
                state = state.display(),
                object = object.display(),
                reason
            ),
            Error::CannotWrite { path, reason } => tr!("{path}: cannot write: {reason}", path, reason),
            Error::NeedsRepair(what) => tr!(
                "the state needs repair: {what}\nhint: `jitsi-custom doctor` explains and repairs it",
                what
            ),
            Error::BadInput(input, problem) => tr!("{input}: input is not usable: {problem}", input, problem),
            Error::NotInteractive(question) => tr!(
                "{question}\nhint: run in a terminal, or answer later with `jitsi-custom resolve`",
                question
            ),
            Error::Aborted => tr!("aborted; nothing was changed"),
        };
        f.write_str(&message)
    }
}

fn lost_files_message(path: &std::path::Path, lost: &[String], last_operation: Option<&str>) -> String {
    const SHOWN: usize = 5;
    let mut list = lost.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if lost.len() > SHOWN {
        list = tr!("{list} and {count} more", list, count = lost.len() - SHOWN);
    }
    let path = path.display();
    match last_operation {
        Some(op) => tr!(
            "{path}: does not list {n} file(s) the store keeps: {list}; going on would drop their customisations\nhint: restore the manifest with `jitsi-custom rollback {op}` (the last operation, which saved it), or list them again and stop tracking a file with `jitsi-custom untrack PATH`"
                | "{path}: does not list {n} file(s) the store keeps: {list}; going on would drop their customisations\nhint: restore the manifest with `jitsi-custom rollback {op}` (the last operation, which saved it), or list them again and stop tracking a file with `jitsi-custom untrack PATH`"
                    % lost.len(),
            path,
            list,
            op
        ),
        None => tr!(
            "{path}: does not list {n} file(s) the store keeps: {list}; going on would drop their customisations\nhint: list them again and stop tracking a file with `jitsi-custom untrack PATH`"
                | "{path}: does not list {n} file(s) the store keeps: {list}; going on would drop their customisations\nhint: list them again and stop tracking a file with `jitsi-custom untrack PATH`"
                    % lost.len(),
            path,
            list
        ),
    }
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
