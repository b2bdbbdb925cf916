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
//! - [`track`]: what is kept: files in and out of the tracked set (shared by `track`, `apply`
//!   and `import`);
//! - [`init`]: the first state: the Jitsi files found, their pristine content, earlier edits;
//! - [`recover`]: what a writer does first after a killed run;
//! - [`upgrade`]: the maintenance window, rolled back or postponed as a whole;
//! - [`services`]: which services a run restarts, and whether it may;
//! - [`review`]: notices taken off the review list once read;
//! - [`doctor`]: what no command repairs by itself, checked (and the branches put back);
//! - [`undo`]: return to an earlier operation's state (`rollback`);
//! - [`exchange`]: the stack as a quilt-style series of patch files, out and (all or nothing) in;
//! - [`recipe`]: the admin guide's customisations as declarative recipes (`patches/`), applied to
//!   contents in memory; [`apply`]: applying them to the live files and recording each by name;
//! - [`live`]: the live tracked files as seen on disk;
//! - [`scan`]: what differs from what the Jitsi packages installed, and what no package owns
//!   (`scan`, and `init` naming edits made before it);
//! - [`docker`]: the docker-jitsi-meet variant: pristine content from the web image and the
//!   container's generated files, and the files written beside (`custom-*.js`, the override);
//! - [`hook`]: the apt hook's steps' state (what pre-invoke noted for post-invoke), apt's hook
//!   protocol, and the files `install-hooks` puts in place.

pub mod apply;
pub mod docker;
pub mod doctor;
pub mod exchange;
pub mod fleet;
pub mod hook;
pub mod hook_files;
pub mod init;
pub mod intake;
pub mod live;
pub mod rebase;
pub mod recipe;
pub mod record;
pub mod recover;
pub mod review;
pub mod scan;
pub mod services;
pub mod status;
pub mod track;
pub mod undo;
pub mod upgrade;
