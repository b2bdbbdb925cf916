//! The workflows: what `jitsi-custom` does with the store, the live files and the outside world,
//! from explicit inputs to a report the command line renders. Nothing here parses arguments or
//! prints; the verbs in `cli/` call in here.
//!
//! - [`status`]: the state of every tracked file and package (what `status`, `record` and the
//!   apt hook act on);
//! - [`record`]: live edits become customisations (invariant 1: before anything overwrites them);
//! - [`intake`]: where a file's pristine upstream content comes from;
//! - [`rebase`]: take in new upstream content, replay the customisations per setting, decide or
//!   park without weakening, validate, commit in one step;
//! - [`undo`]: return to an earlier operation's state;
//! - [`track`]: more files to keep (shared by `track` and `apply`);
//! - [`recipe`]: the admin guide's customisations as declarative recipes (`patches/`), applied to
//!   contents in memory; [`apply`]: applying them to the live files and recording each by name;
//! - [`live`]: the live tracked files as seen on disk;
//! - [`hook`]: the apt hook's steps' state (what pre-invoke noted for post-invoke), apt's hook
//!   protocol, and the files `install-hooks` puts in place.

pub mod apply;
pub mod hook;
pub mod intake;
pub mod live;
pub mod rebase;
pub mod recipe;
pub mod record;
pub mod status;
pub mod track;
pub mod undo;
