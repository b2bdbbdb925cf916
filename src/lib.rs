//! `jitsi-custom` keeps the customisations of a self-hosted Jitsi Meet server safe across Debian
//! upgrades.
//!
//! Vocabulary used throughout the crate:
//! - **root**: the directory the live files live under (`/` on a server, a sandbox in tests);
//! - **install path**: a file's absolute path as the packages see it (`/etc/jitsi/meet/x-config.js`),
//!   always resolved inside the root ([`InstallPath`]);
//! - **base**: the old pristine vendor content of a file, **upstream**: the new one, **local**: the
//!   admin's file as it is live;
//! - **patch**: one named customisation, a commit on the `custom` stack on top of `upstream`;
//! - **parked**: a patch that could not be carried onto a new upstream version for one file and waits
//!   for a human (`jitsi-custom resolve`).

#![forbid(unsafe_code)]

pub mod cli;
pub mod depth;
pub mod engine;
pub mod error;
pub mod i18n;
pub mod install_path;
pub mod merge;
pub mod profile;
pub mod sandbox;
pub mod store;
pub mod system;
pub mod ui;
pub mod validate;

pub use error::Error;
pub use install_path::InstallPath;
