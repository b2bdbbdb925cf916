//! The command line: global flags, one file per verb, and the resolved context every verb gets.

use clap::Parser;

/// Keep the customisations of a self-hosted Jitsi Meet server safe across Debian upgrades.
#[derive(Debug, Parser)]
#[command(name = "jitsi-custom", version)]
pub struct Cli {}

/// What a command wants the process to exit with when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything is as it should be: exit 0.
    Ok,
    /// Something needs a person (unrecorded edits, overwritten files, parked conflicts): exit 1.
    Attention,
}

pub fn run(_cli: Cli) -> anyhow::Result<Outcome> {
    Ok(Outcome::Ok)
}
