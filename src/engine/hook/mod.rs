//! The apt hook: the protocol apt speaks to a `Pre-Install-Pkgs` hook ([`protocol`]), what one
//! apt run leaves in the state dir for the next step ([`aptrun`]), and what each step decides
//! ([`steps`]). The files `install-hooks` puts in place are `engine::hook_files`, which `status`
//! reads too (the hook uses `status`, not the other way round).
//!
//! One apt run calls, in order: `hook pre-invoke` (record the admin's edits, remember every
//! tracked file's stat stamp), `hook pre-install-pkgs` (keep the pristine new content of tracked
//! files from the `.deb` archives), dpkg, `hook post-invoke` (what changed during the run belongs
//! to upstream; carry the customisations onto it). The hook never makes apt fail.

pub mod aptrun;
pub mod protocol;
pub mod steps;

/// Set by `jitsi-custom upgrade` for the apt it runs, which does the hook's work around it: the
/// hook steps then do nothing.
pub const IN_UPGRADE_ENV: &str = "JITSI_CUSTOM_IN_UPGRADE";
