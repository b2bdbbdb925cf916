//! `jitsi-custom demo`: the whole story on the bundled Jitsi-like sandbox, for a newcomer without
//! Jitsi. Every step is this very binary run on a temporary root, printed as the admin would type it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result, bail};
use clap::Args;

use super::{Ctx, Outcome};
use crate::sandbox::{self, Sandbox};

/// Show what jitsi-custom does, on a sandbox in a temporary directory.
///
/// It installs Jitsi-like packages (version 1.0.1-1) with the real dpkg, customise them as the admin
/// guide says, record the customisations, upgrade to 1.0.2-1 (dpkg overwrites them) and rebase them
/// back, then upgrade to 1.0.3-1, where one customisation conflicts and is parked while the others
/// carry. Nothing is left behind unless --keep is given.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the sandbox and print where it is, to explore it afterwards.
    #[arg(long)]
    keep: bool,

    /// Where the bundled examples are (default: beside the program, `examples/` here, or
    /// /usr/share/jitsi-custom/examples).
    #[arg(long, value_name = "DIR", env = "JITSI_CUSTOM_EXAMPLES")]
    examples: Option<std::path::PathBuf>,
}

/// The guide's customisations, grouped the way an admin would name them (in the reader's
/// language: the names are the admin's words).
fn customisations() -> [(String, &'static [&'static str]); 3] {
    [
        (
            tr!("practice branding"),
            &[
                "/usr/share/jitsi-meet/interface_config.js",
                "/usr/share/jitsi-meet/images/watermark.svg",
                "/usr/share/jitsi-meet/images/favicon.ico",
                "/usr/share/jitsi-meet/css/all.css",
            ],
        ),
        (
            tr!("German welcome texts"),
            &[
                "/usr/share/jitsi-meet/lang/main-de.json",
                "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html",
            ],
        ),
        (
            tr!("GDPR and security settings"),
            &[
                "/etc/jitsi/meet/tele.praxis.de-config.js",
                "/etc/prosody/conf.avail/tele.praxis.de.cfg.lua",
                "/etc/jitsi/jicofo/sip-communicator.properties",
                "/etc/jitsi/videobridge/logging.properties",
                "/etc/nginx/sites-available/tele.praxis.de.conf",
            ],
        ),
    ]
}

pub fn run(ctx: &Ctx, args: DemoArgs) -> Result<Outcome> {
    let examples = args.examples.clone().unwrap_or_else(sandbox::examples_dir);
    if !examples.join("packages").is_dir() {
        bail!(crate::Error::Usage(tr!(
            "the bundled examples are not at {dir}\nhint: the Debian package installs them in /usr/share/jitsi-custom/examples; or run `cargo run -- demo` in the source tree, or set JITSI_CUSTOM_EXAMPLES",
            dir = examples.display()
        )));
    }
    let temp = tempfile::Builder::new().prefix("jitsi-custom-demo.").tempdir()?;
    let world = Demo::new(ctx, temp.path(), &examples)?;
    world.play()?;
    if args.keep {
        let kept = temp.keep();
        ctx.say(format_args!(
            "\n{}",
            tr!(
                "the sandbox is kept in {dir}: try `jitsi-custom --root {dir}/root --state-dir {dir}/state status`",
                dir = kept.display()
            )
        ));
    }
    Ok(Outcome::Ok)
}

struct Demo<'a> {
    ctx: &'a Ctx,
    sandbox: Sandbox,
    state: PathBuf,
    debs: PathBuf,
    examples: &'a Path,
}

impl<'a> Demo<'a> {
    fn new(ctx: &'a Ctx, dir: &Path, examples: &'a Path) -> Result<Demo<'a>> {
        Ok(Demo {
            ctx,
            sandbox: Sandbox::create(&dir.join("root"))?,
            state: dir.join("state"),
            debs: dir.join("debs"),
            examples,
        })
    }

    fn play(&self) -> Result<()> {
        self.narrate(&tr!(
            "A small practice installs Jitsi (Jitsi-like packages 1.0.1-1) with dpkg."
        ))?;
        self.install("1.0.1-1")?;
        self.narrate(&tr!(
            "Before customising anything, the admin lets jitsi-custom take note of the pristine files."
        ))?;
        self.jitsi(&["init"])?;
        self.narrate(&tr!(
            "The admin customises eleven files as the admin guide says, then records them as named customisations."
        ))?;
        self.sandbox.apply_customisations(self.examples)?;
        self.jitsi(&["status"])?;
        for (name, paths) in &customisations() {
            let mut args = vec!["record", "-m", name.as_str()];
            args.extend_from_slice(paths);
            self.jitsi(&args)?;
        }
        self.jitsi(&["diff", "--stat"])?;
        self.narrate(&tr!(
            "Upgrade to 1.0.2-1: dpkg silently overwrites the files under /usr/share/jitsi-meet and keeps a .dpkg-dist beside the changed conffile."
        ))?;
        self.install("1.0.2-1")?;
        self.jitsi(&["status"])?;
        self.narrate(&tr!(
            "jitsi-custom takes in the new upstream files and carries every customisation onto them. Prosody's package script edited its generated file in place during the upgrade; the apt hook would say so, here the flag does."
        ))?;
        self.jitsi(&[
            "rebase",
            "--no-restart",
            "--changed-by-packages",
            "/etc/prosody/conf.avail/tele.praxis.de.cfg.lua",
        ])?;
        self.jitsi(&["status"])?;
        self.narrate(&tr!(
            "Upgrade to 1.0.3-1: upstream rewrote the lines of the welcome card the practice customised. Without a person at hand, that decision is parked, but nothing gets weaker: the practice's lines stay live with upstream's other changes around them, and everything else carries."
        ))?;
        self.install("1.0.3-1")?;
        self.jitsi(&["rebase", "--no-restart"])?;
        self.jitsi(&["status"])?;
        self.narrate(&tr!(
            "Every step is in the operation log and can be undone with `jitsi-custom rollback`; `jitsi-custom resolve` asks about the parked card on a terminal, conflict by conflict."
        ))?;
        self.jitsi(&["log"])?;
        Ok(())
    }

    fn narrate(&self, text: &str) -> Result<()> {
        let mut out = self.ctx.out();
        writeln!(
            out,
            "\n{}",
            crate::ui::paint(format_args!("# {text}"), crate::ui::HEADING, self.ctx.color)
        )?;
        Ok(())
    }

    fn install(&self, version: &str) -> Result<()> {
        let out_dir = self.debs.join(version);
        let debs = sandbox::build_version(self.examples, version, &out_dir)?;
        let names: Vec<String> = debs
            .iter()
            .filter_map(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        writeln!(self.ctx.out(), "$ dpkg -i {}", names.join(" "))?;
        self.sandbox.install(&debs)
    }

    /// Runs this binary on the sandbox; exit 1 (attention) is part of the story, 2 and 3 are not.
    fn jitsi(&self, args: &[&str]) -> Result<()> {
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("\"{a}\"")
                } else {
                    a.to_string()
                }
            })
            .collect();
        writeln!(self.ctx.out(), "$ jitsi-custom {}", shown.join(" "))?;
        let exe = std::env::current_exe().with_context(|| tr!("cannot find the jitsi-custom binary"))?;
        let status = std::process::Command::new(exe)
            .arg("--root")
            .arg(&self.sandbox.root)
            .arg("--state-dir")
            .arg(&self.state)
            .arg("--non-interactive")
            .arg("--color")
            .arg(if self.ctx.color { "always" } else { "never" })
            .args(args)
            .stdin(std::process::Stdio::null())
            .status()
            .with_context(|| tr!("cannot run jitsi-custom"))?;
        match status.code() {
            Some(0 | 1) => Ok(()),
            _ => bail!(
                "{}",
                tr!(
                    "`jitsi-custom {args}` failed ({status})",
                    args = args.join(" "),
                    status
                )
            ),
        }
    }
}
