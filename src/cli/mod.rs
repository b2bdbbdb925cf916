//! The command line: global flags, one file per verb (`<Verb>Args` + `run`), and the resolved
//! context [`Ctx`] every verb gets. The only module that prints.

mod apply;
mod conflict;
mod demo;
mod diff;
mod doctor;
mod export;
mod generate;
mod hold;
mod hook;
mod hooks;
mod host_value;
mod import;
mod init;
pub mod localize;
mod log;
mod merge_file;
mod pull;
mod push;
mod rebase;
mod record;
mod remote;
mod report;
mod resolve;
mod rollback;
mod scan;
mod status;
mod track;
mod upgrade;
mod validate;
mod watch;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::tr;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::engine::services::RestartPolicy;
use crate::error::Error;
use crate::store::Store;
use crate::ui::ColorChoice;
use crate::ui::prompt::{self, Prompt};

/// Keep the customisations of a self-hosted Jitsi Meet server safe across Debian upgrades.
///
/// Every change you make to a file the Jitsi packages own is kept as a named customisation in a
/// local git repository (the state directory). After an upgrade, `jitsi-custom rebase` carries the
/// customisations onto the new files with a 3-way merge and asks you when a conflict needs a person.
///
/// Start with `jitsi-custom init`, edit files as the admin guide says, then
/// `jitsi-custom record -m "German welcome texts"` and `jitsi-custom status`.
#[derive(Debug, Parser)]
#[command(name = "jitsi-custom", version, max_term_width = 100)]
pub struct Cli {
    /// Directory the live files are under; every path is resolved inside it.
    #[arg(long, global = true, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,

    /// Where the customisations are kept (a git repository, mode 0700).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "JITSI_CUSTOM_STATE",
        default_value = "/var/lib/jitsi-custom"
    )]
    pub state_dir: PathBuf,

    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Never ask; conflicts are parked for later. Implied when stdin is not a terminal.
    #[arg(long, global = true, visible_alias = "yes")]
    pub non_interactive: bool,

    /// Show what would change, change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Say more about what is done (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto", value_parser = color_parser())]
    pub color: ColorChoice,

    /// The merge tool offered for a conflict, instead of the manifest's `merge_tool`: a command
    /// with {local} {base} {upstream} {output}, e.g. "meld {local} {base} {upstream} -o {output}".
    #[arg(long, global = true, value_name = "CMD", env = "JITSI_CUSTOM_MERGETOOL", help_heading = OUTSIDE, hide_short_help = true)]
    pub merge_tool: Option<String>,

    /// The systemctl to run. With a --root other than /, services are restarted only when this
    /// is given (they belong to the machine, not to the root).
    #[arg(long, global = true, value_name = "PROGRAM", env = "JITSI_CUSTOM_SYSTEMCTL", help_heading = OUTSIDE, hide_short_help = true)]
    pub systemctl: Option<PathBuf>,

    /// The container tool for the docker-jitsi-meet variant (`docker`, or `podman`).
    #[arg(long, global = true, value_name = "PROGRAM", env = "JITSI_CUSTOM_DOCKER", help_heading = OUTSIDE, hide_short_help = true)]
    pub docker_tool: Option<PathBuf>,

    /// The sendmail that mails reports to the manifest's `mail_to` (`sendmail -t`).
    #[arg(long, global = true, value_name = "PROGRAM", env = "JITSI_CUSTOM_SENDMAIL", default_value = crate::system::notify::SENDMAIL, help_heading = OUTSIDE, hide_short_help = true)]
    pub sendmail: PathBuf,

    /// Seconds any outside program (dpkg, apt-get, systemctl, nginx -t) may run, instead of each
    /// one's own limit.
    #[arg(long, global = true, value_name = "SECONDS", env = "JITSI_CUSTOM_PROGRAM_TIMEOUT", help_heading = OUTSIDE, hide_short_help = true)]
    pub program_timeout: Option<u64>,

    #[command(subcommand)]
    pub command: Command,
}

/// The `--help` heading of the options about outside programs.
const OUTSIDE: &str = "Outside programs";

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    Track(track::TrackArgs),
    Untrack(track::UntrackArgs),
    Record(record::RecordArgs),
    Apply(apply::ApplyArgs),
    Status(status::StatusArgs),
    Scan(scan::ScanArgs),
    Diff(diff::DiffArgs),
    Export(export::ExportArgs),
    Import(import::ImportArgs),
    Remote(remote::RemoteArgs),
    Push(push::PushArgs),
    Pull(pull::PullArgs),
    HostValue(host_value::HostValueArgs),
    Log(log::LogArgs),
    Rebase(rebase::RebaseArgs),
    Upgrade(upgrade::UpgradeArgs),
    Resolve(resolve::ResolveArgs),
    Rollback(rollback::RollbackArgs),
    Doctor(doctor::DoctorArgs),
    Validate(validate::ValidateArgs),
    Watch(watch::WatchArgs),
    MergeFile(merge_file::MergeFileArgs),
    Demo(demo::DemoArgs),
    Hold(hold::HoldArgs),
    Unhold(hold::UnholdArgs),
    InstallHooks(hooks::InstallHooksArgs),
    UninstallHooks(hooks::UninstallHooksArgs),
    #[command(hide = true)]
    Hook(hook::HookArgs),
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

/// `--color`'s words, kept out of `ui/` (the core knows no clap).
fn color_parser() -> impl clap::builder::TypedValueParser<Value = ColorChoice> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(ColorChoice::NAMES)
        .map(|name: String| ColorChoice::from_name(&name).unwrap_or_default())
}

/// `--strategy`'s words, from [`crate::merge::Strategy::ALL`].
fn strategy_parser() -> impl clap::builder::TypedValueParser<Value = crate::merge::Strategy> {
    use crate::merge::Strategy;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Strategy::ALL.map(Strategy::name))
        .map(|name: String| Strategy::from_name(&name).unwrap_or(Strategy::Text))
}

/// What a command wants the process to exit with when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything is as it should be: exit 0.
    Ok,
    /// Something needs a person (unrecorded edits, overwritten files, parked conflicts): exit 1.
    Attention,
}

/// The parsed options, resolved once: the rest of the code sees only this.
pub struct Ctx {
    pub root: PathBuf,
    pub state_dir: PathBuf,
    pub json: bool,
    pub dry_run: bool,
    pub verbose: u8,
    /// Colour on stdout.
    pub color: bool,
    pub cwd: PathBuf,
    pub prompt: Box<dyn Prompt>,
    /// The apt hook step this run is, if it is one: failures are then one line and exit 0.
    pub hook: Option<hook::HookStep>,
    /// `--merge-tool`, else the manifest's ([`Ctx::merge_tool`]).
    merge_tool: Option<String>,
    /// Whether `--systemctl` was given ([`Ctx::restart_services`]).
    systemctl_given: bool,
    pub sendmail: PathBuf,
}

impl Ctx {
    fn from_cli(cli: &Cli) -> Result<Ctx> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let root = if cli.root.is_absolute() {
            cli.root.clone()
        } else {
            cwd.join(&cli.root)
        };
        if !root.is_dir() {
            return Err(Error::Usage(tr!(
                "root {root} is not a directory\nhint: --root names the directory the live files are under (default /)",
                root = root.display()
            ))
            .into());
        }
        let state_dir = if cli.state_dir.is_absolute() {
            cli.state_dir.clone()
        } else {
            cwd.join(&cli.state_dir)
        };
        crate::system::configure(crate::system::Settings {
            program_timeout: cli.program_timeout.map(std::time::Duration::from_secs),
            systemctl: cli.systemctl.clone().filter(|p| !p.as_os_str().is_empty()),
            docker: cli.docker_tool.clone().filter(|p| !p.as_os_str().is_empty()),
        });
        // NO_COLOR (no-color.org) is every program's, not ours: read here, once.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ok(Ctx {
            root,
            state_dir,
            json: cli.json,
            dry_run: cli.dry_run,
            verbose: cli.verbose,
            color: cli.color.enabled(std::io::stdout().is_terminal(), no_color),
            cwd,
            prompt: prompt::for_run(!cli.non_interactive),
            hook: match &cli.command {
                Command::Hook(args) => Some(hook::step_of(args)),
                _ => None,
            },
            merge_tool: cli.merge_tool.clone().filter(|t| !t.is_empty()),
            systemctl_given: crate::system::settings().systemctl.is_some(),
            sendmail: cli.sendmail.clone(),
        })
    }

    /// A message for the person (stderr), never data.
    pub fn say(&self, message: impl std::fmt::Display) {
        eprintln!("{message}");
    }

    pub fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("{}", tr!("warning: {message}", message));
    }

    /// Details shown with `-v`.
    pub fn detail(&self, message: impl std::fmt::Display) {
        if self.verbose > 0 {
            eprintln!("{message}");
        }
    }

    /// Data on stdout.
    pub fn out(&self) -> std::io::StdoutLock<'static> {
        std::io::stdout().lock()
    }

    /// Prints a value as pretty JSON on stdout.
    pub fn print_json(&self, value: &impl serde::Serialize) -> Result<()> {
        let mut out = self.out();
        // serde_json hides the io::Error from the error chain; unwrap it so that a closed pipe is
        // recognised as one (and exits 0) like any other write to stdout.
        serde_json::to_writer_pretty(&mut out, value)
            .map_err(std::io::Error::from)
            .with_context(|| tr!("cannot write JSON"))?;
        writeln!(out)?;
        Ok(())
    }

    pub fn open_store(&self) -> Result<Store> {
        let store = Store::open(&self.state_dir)?;
        self.watch_store(&store);
        Ok(store)
    }

    /// Ends the run with one error line (in a hook step: one line and exit 0) should libgit2
    /// get stuck on a damaged object of the store ([`crate::store::integrity`]).
    pub(super) fn watch_store(&self, store: &Store) {
        let state = store.dir().to_path_buf();
        let hook = self.hook;
        crate::store::integrity::watch(&store.dir().join("repo"), move |damage| {
            let err = anyhow::Error::from(Error::DamagedStore {
                state: state.clone(),
                object: damage.object,
                reason: damage.reason,
            });
            match hook {
                Some(step) => {
                    hook::report_failure(step, &err);
                    std::process::exit(0);
                }
                None => {
                    eprintln!("{}: {}", tr!("error"), crate::i18n::shown_chain(&err));
                    std::process::exit(crate::error::exit_code_of(&err));
                }
            }
        });
    }

    /// Opens the store as its one writer, first finishing (or dropping) an operation a killed run
    /// left half-way ([`crate::store::transition`]). A manifest that lost files the store holds
    /// is refused ([`Store::check_manifest_covers`]). With --dry-run the store prepares like a
    /// writer and writes nothing at all.
    pub fn open_store_for_writing(&self) -> Result<Store> {
        let store = self.open_writer()?;
        let manifest = store.load_manifest()?;
        store.check_manifest_covers(&manifest)?;
        Ok(store)
    }

    /// Opens the store as its one writer to put an earlier state back: the manifest is not
    /// checked against the store, since restoring it is how a cut manifest is repaired.
    pub fn open_store_to_restore(&self) -> Result<Store> {
        self.open_writer()
    }

    fn open_writer(&self) -> Result<Store> {
        if self.dry_run {
            let store = Store::open_for_dry_run(&self.state_dir)?;
            self.watch_store(&store);
            if store.has_interrupted_operation() {
                self.say(tr!(
                    "note: an interrupted operation waits to be finished by the next run that is not a dry run"
                ));
            }
            return Ok(store);
        }
        let store = Store::open_for_writing(&self.state_dir)?;
        self.watch_store(&store);
        self.recover(&store)?;
        Ok(store)
    }

    /// Finishes (or drops) an operation a killed run left half-way ([`crate::engine::recover`])
    /// and says what that did.
    pub(super) fn recover(&self, store: &Store) -> Result<()> {
        let recovered = crate::engine::recover::recover(&self.root, store)?;
        for removed in &recovered.removed {
            self.detail(tr!(
                "removed {path}, left by a run that was killed",
                path = removed.display()
            ));
        }
        for lock in &recovered.removed_locks {
            self.detail(tr!(
                "removed the stale lock {path} (left by a run that was killed)",
                path = lock.display()
            ));
        }
        if recovered.dropped {
            self.warn(tr!(
                "a run was interrupted before its changes took effect; they were dropped (run the command again)"
            ));
        }
        for path in &recovered.written {
            self.warn(tr!("{path}: brought up to date after an interrupted run", path));
        }
        for path in &recovered.merged {
            self.warn(tr!(
                "{path}: changed since an interrupted run; your change is kept, merged with what that run was to write",
                path
            ));
        }
        for path in &recovered.left {
            self.warn(tr!(
                "{path}: changed since an interrupted run; left as it is\nhint: `jitsi-custom status` shows it; `jitsi-custom record` keeps it",
                path
            ));
        }
        Ok(())
    }

    /// The merge tool for conflicts: `--merge-tool`, else the manifest's.
    pub fn merge_tool(&self, manifest: &crate::store::Manifest) -> Option<String> {
        self.merge_tool.clone().or_else(|| manifest.merge_tool.clone())
    }

    /// Restarts (nginx: reloads) each service once, as [`RestartPolicy`] allows for this root;
    /// says which it left alone.
    pub fn restart_services(&self, services: &[String]) -> Result<Vec<String>> {
        let restarted = crate::engine::services::restart(self.restart_policy(), services)?;
        if !restarted.left.is_empty() {
            self.say(tr!(
                "not restarting {services} for the root {root}",
                services = restarted.left.join(", "),
                root = self.root.display()
            ));
        }
        Ok(restarted.done)
    }

    pub fn restart_policy(&self) -> RestartPolicy {
        RestartPolicy::for_root(&self.root, self.systemctl_given)
    }

    /// The dpkg database under the root.
    pub fn dpkg(&self) -> Result<crate::system::dpkg::Dpkg> {
        crate::system::dpkg::Dpkg::read(&self.root)
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    let ctx = match Ctx::from_cli(&cli) {
        Ok(ctx) => ctx,
        // The apt hook never fails apt, not even on a broken command line.
        Err(err) if let Command::Hook(args) = &cli.command => {
            hook::report_failure(hook::step_of(args), &err);
            return Ok(Outcome::Ok);
        }
        Err(err) => return Err(err),
    };
    if let Command::Hook(args) = &cli.command {
        let asking = !cli.non_interactive && std::io::stdin().is_terminal();
        let budget = args
            .budget
            .unwrap_or(if asking { HOOK_BUDGET_ASKING } else { HOOK_BUDGET });
        limit_hook_time(hook::step_of(args), budget);
    }
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Track(args) => track::run_track(&ctx, args),
        Command::Untrack(args) => track::run_untrack(&ctx, args),
        Command::Record(args) => record::run(&ctx, args),
        Command::Apply(args) => apply::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::Scan(args) => scan::run(&ctx, args),
        Command::Diff(args) => diff::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Remote(args) => remote::run(&ctx, args),
        Command::Push(args) => push::run(&ctx, args),
        Command::Pull(args) => pull::run(&ctx, args),
        Command::HostValue(args) => host_value::run(&ctx, args),
        Command::Log(args) => log::run(&ctx, args),
        Command::Rebase(args) => rebase::run(&ctx, args),
        Command::Upgrade(args) => upgrade::run(&ctx, args),
        Command::Resolve(args) => resolve::run(&ctx, args),
        Command::Rollback(args) => rollback::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Validate(args) => validate::run(&ctx, args),
        Command::Watch(args) => watch::run(&ctx, args),
        Command::MergeFile(args) => merge_file::run(&ctx, args),
        Command::Demo(args) => demo::run(&ctx, args),
        Command::Hold(args) => hold::run_hold(&ctx, args),
        Command::Unhold(args) => hold::run_unhold(&ctx, args),
        Command::InstallHooks(args) => hooks::run_install(&ctx, args),
        Command::UninstallHooks(args) => hooks::run_uninstall(&ctx, args),
        Command::Hook(args) => hook::run(&ctx, args),
        Command::Generate(args) => generate::run(&ctx, args),
    }
}

/// Texts kept in English as data (the review list's reasons, a merge's conflicts), each for a person
/// ([`crate::i18n::shown`]), joined with "; ".
pub(crate) fn shown_joined(texts: &[String]) -> String {
    texts
        .iter()
        .map(|text| crate::i18n::shown(text))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How long a hook step may take, in seconds, when nobody is asked anything; one that asks a
/// person on apt's terminal gets [`HOOK_BUDGET_ASKING`]. `hook --budget` overrides both.
pub const HOOK_BUDGET: u64 = 300;
pub const HOOK_BUDGET_ASKING: u64 = 3600;

/// Starts the hook step's time budget: when it is spent, whatever the step is doing, it reports
/// one line and the process exits 0, so that apt is never held up. Ending there is like a kill,
/// which every writer recovers from.
fn limit_hook_time(step: hook::HookStep, budget: u64) {
    let spawned = std::thread::Builder::new()
        .name("hook-budget".into())
        .spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(budget));
            hook::report_failure(step, &anyhow::anyhow!(tr!("gave up after {budget} s", budget)));
            std::process::exit(0);
        });
    // A step that cannot start its watchdog still runs; the hook never fails apt over it.
    drop(spawned);
}
