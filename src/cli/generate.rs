//! `jitsi-custom generate man|completions|locale DIR` (hidden): the manual pages and the bash, zsh
//! and fish completions, generated from the clap definitions of this module, so that every option is
//! documented once, on its field (ripgrep's `--generate`). What clap does not know — exit status,
//! environment, files and examples for admins — is written here, beside the pages it goes into.
//! `locale` writes the German catalogue the binary carries, for /usr/share/locale.
//! `scripts/build-deb` runs all three before packaging.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Subcommand};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use super::{Cli, Ctx, Outcome};

/// Generate the manual pages or the shell completions (for packaging).
///
/// `man DIR` writes jitsi-custom.1 and jitsi-custom-<verb>.1 for every verb; `completions DIR`
/// writes jitsi-custom.bash, _jitsi-custom (zsh) and jitsi-custom.fish; `locale DIR` writes
/// de/LC_MESSAGES/jitsi-custom.mo.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Manual pages (roff), one for the command and one per verb.
    Man {
        /// Directory to write them to (created when missing).
        dir: PathBuf,
    },
    /// Completions for bash, zsh and fish, named as Debian's shells look for them.
    Completions {
        /// Directory to write them to (created when missing).
        dir: PathBuf,
    },
    /// The compiled German catalogue (gettext .mo), laid out as under /usr/share/locale.
    Locale {
        /// Directory to write it to (created when missing).
        dir: PathBuf,
    },
}

pub fn run(ctx: &Ctx, args: GenerateArgs) -> Result<Outcome> {
    let (dir, written) = match args.what {
        What::Man { dir } => {
            let written = write_manual_pages(&dir)?;
            (dir, written)
        }
        What::Completions { dir } => {
            let written = write_completions(&dir)?;
            (dir, written)
        }
        What::Locale { dir } => {
            let written = write_catalogue(&dir)?;
            (dir, written)
        }
    };
    ctx.detail(format_args!("{} files in {}", written.len(), dir.display()));
    let mut out = ctx.out();
    for path in written {
        writeln!(out, "{}", path.display())?;
    }
    Ok(Outcome::Ok)
}

const NAME: &str = "jitsi-custom";

/// The command as clap sees it once built, without clap's `help` verb.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The command without its hidden verbs (`hook`, `generate`): bash's completions would offer
/// them otherwise.
fn visible_command() -> clap::Command {
    let cli = Cli::command();
    clap::Command::new(NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .about(cli.get_about().cloned().unwrap_or_default())
        .disable_help_subcommand(true)
        .args(cli.get_arguments().cloned())
        .subcommands(cli.get_subcommands().filter(|verb| !verb.is_hide_set()).cloned())
}

/// Writes `jitsi-custom.1` and `jitsi-custom-<verb>.1` for every verb that is not hidden.
pub fn write_manual_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| tr!("cannot create {path}", path = dir.display()))?;
    let cmd = command();
    let date = manual_date();
    let mut pages = vec![(cmd.clone(), None)];
    pages.extend(
        cmd.get_subcommands()
            .filter(|verb| !verb.is_hide_set())
            .map(|verb| (verb.clone(), Some(verb.get_name().to_string()))),
    );
    let mut written = Vec::new();
    for (page, verb) in pages {
        let man = Man::new(page.clone())
            .date(date.clone())
            .source(format!("{NAME} {}", env!("CARGO_PKG_VERSION")))
            .manual("jitsi-custom manual");
        let path = dir.join(man.get_filename());
        let mut roff = Vec::new();
        render_page(&man, &page, verb.as_deref(), &mut roff)?;
        std::fs::write(&path, roff).with_context(|| tr!("cannot write {path}", path = path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn render_page(man: &Man, page: &clap::Command, verb: Option<&str>, w: &mut dyn Write) -> Result<()> {
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if page.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if page.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    let mut roff = Roff::new();
    exit_status_section(&mut roff, verb);
    environment_section(&mut roff, verb);
    files_section(&mut roff, verb);
    examples_section(&mut roff, verb);
    see_also_section(&mut roff, page, verb);
    roff.to_writer(w)?;
    if page.get_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}

/// `SOURCE_DATE_EPOCH` as a date (reproducible pages), else none.
fn manual_date() -> String {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|secs| {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            humantime::format_rfc3339_seconds(time).to_string()[..10].to_string()
        })
        .unwrap_or_default()
}

/// A tagged paragraph: the tag in bold, then the text.
fn item(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []);
    roff.text([bold(tag)]);
    roff.text([roman(text)]);
}

fn exit_status_section(roff: &mut Roff, verb: Option<&str>) {
    roff.control("SH", ["EXIT STATUS"]);
    if verb == Some("install-hooks") || verb == Some("uninstall-hooks") {
        roff.text([roman(
            "The apt hook steps these files run (jitsi-custom hook ...) always exit 0: a failing \
             hook would make apt fail. A problem is one line on stderr.",
        )]);
    }
    item(roff, "0", "All good.");
    item(
        roff,
        "1",
        match verb {
            Some("merge-file") => "The merge left a conflict for a person (conflict markers in the output).",
            Some("validate") => "A file failed its syntax check.",
            Some("doctor") => "A problem remains after the repairs.",
            Some("upgrade") => {
                "Attention needed: the window was postponed (a decision would need a person; the \
                 previous packages and files are back and held), or something is parked."
            }
            _ => {
                "Attention needed: an unrecorded edit, a file a package overwrote, a parked conflict, \
                 a missing file or a notice to review. jitsi-custom status says which."
            }
        },
    );
    item(
        roff,
        "2",
        "Usage or input error (a bad option, a path outside the root, a broken manifest).",
    );
    item(
        roff,
        "3",
        match verb {
            Some("upgrade") => {
                "Runtime failure; the window was rolled back to the previous packages and files, \
                 which are held again."
            }
            _ => "Runtime failure (a program failed, a file could not be written, the state needs repair).",
        },
    );
    roff.control("PP", []);
    roff.text([roman(
        "Messages go to stderr, data to stdout. An error is one line, followed by a hint: line when \
         there is something to do.",
    )]);
}

/// The variables, and the verbs they matter to (`None`: every page).
const ENVIRONMENT: &[(&str, &str, Option<&[&str]>)] = &[
    (
        "JITSI_CUSTOM_STATE",
        "The state directory, as --state-dir (default /var/lib/jitsi-custom).",
        None,
    ),
    (
        "NO_COLOR",
        "When set and not empty, --color auto prints no colours.",
        None,
    ),
    (
        "JITSI_CUSTOM_MERGETOOL",
        "A merge tool offered for conflicts, overriding merge_tool in the manifest, e.g. \
         meld {local} {base} {upstream} -o {output}.",
        Some(&["rebase", "resolve", "upgrade"]),
    ),
    (
        "VISUAL, EDITOR",
        "The editor for \"edit the merged file\" when a conflict is asked about.",
        Some(&["rebase", "resolve", "upgrade"]),
    ),
    (
        "JITSI_CUSTOM_SYSTEMCTL",
        "The systemctl to run instead of the one on PATH; with it, services are also restarted \
         under a --root other than /.",
        Some(&["rebase", "resolve", "upgrade", "install-hooks", "uninstall-hooks"]),
    ),
    (
        "JITSI_CUSTOM_SENDMAIL",
        "The program that mails reports of unattended runs (default /usr/sbin/sendmail, run with -t).",
        Some(&["upgrade"]),
    ),
    (
        "JITSI_CUSTOM_PROGRAM_TIMEOUT",
        "Seconds that replace every outside program's time limit (dpkg, apt-get, systemctl, nginx -t, \
         curl): for slow machines.",
        Some(&["rebase", "upgrade", "hold", "unhold", "validate", "install-hooks"]),
    ),
    (
        "JITSI_CUSTOM_HOOK_BUDGET",
        "Seconds one apt hook step may take before it gives up with one line and exit 0 (default \
         300; 3600 when it asks at a terminal).",
        Some(&["install-hooks"]),
    ),
    (
        "JITSI_CUSTOM_EXAMPLES",
        "Where the demo finds its bundled examples (default: the source tree the binary was built \
         in, ./examples, else /usr/share/jitsi-custom/examples).",
        Some(&["demo"]),
    ),
    (
        "JITSI_CUSTOM_PATCHES",
        "Where apply finds the recipes, as --recipes-dir (default: patches/ of the source tree the \
         binary was built in, ./patches, else /usr/share/jitsi-custom/patches).",
        Some(&["apply"]),
    ),
    (
        "JITSI_CUSTOM_DOCKER",
        "The container program of the docker-jitsi-meet variant, as --docker-tool (default docker).",
        Some(&["init", "status", "rebase", "upgrade"]),
    ),
    (
        "SOURCE_DATE_EPOCH",
        "Fixes the time of the state repository's commits and operations (reproducible output \
         in tests).",
        Some(&[]),
    ),
];

fn environment_section(roff: &mut Roff, verb: Option<&str>) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, text, verbs) in ENVIRONMENT {
        let shown = match (verb, verbs) {
            (None, _) | (_, None) => true,
            (Some(verb), Some(verbs)) => verbs.contains(&verb),
        };
        if shown {
            item(roff, name, text);
        }
    }
}

/// The files, and the verbs they matter to (`None`: every page).
const FILES: &[(&str, &str, Option<&[&str]>)] = &[
    (
        "/var/lib/jitsi-custom/",
        "The state directory (mode 0700, owned by the user running the tool; --state-dir, \
         JITSI_CUSTOM_STATE). repo/ is a git repository: the branch upstream holds the pristine \
         vendor content, custom one commit per named customisation, refs/jitsi-custom/oplog the \
         operation log. It is the admin's data: removing or purging the package leaves it; \
         back it up like /etc.",
        None,
    ),
    (
        "/var/lib/jitsi-custom/jitsi-custom.toml",
        "The manifest: tracked files, a strategy per file, templates and placeholders, services, \
         packages, health_urls, mail_to, max_file_size. Safe to edit by hand; track and untrack keep \
         its comments.",
        None,
    ),
    (
        "/var/lib/jitsi-custom/parked.toml",
        "The review list: parked decisions with the fallback that is live meanwhile, and notices \
         of decisions made without a person.",
        Some(&["status", "rebase", "resolve", "upgrade", "doctor"]),
    ),
    (
        "/var/lib/jitsi-custom/lock",
        "Held by the one writer at a time; the kernel releases it when its holder dies.",
        Some(&["doctor"]),
    ),
    (
        "/etc/apt/apt.conf.d/80jitsi-custom",
        "The apt hook: records unrecorded edits before dpkg runs, keeps the pristine new files from \
         the package archives, carries the customisations onto them afterwards. A conffile of the \
         Debian package; it does nothing until jitsi-custom init has created the state directory.",
        Some(&["install-hooks", "uninstall-hooks", "init", "rebase"]),
    ),
    (
        "/usr/lib/systemd/system/jitsi-custom-upgrade.service, jitsi-custom-upgrade.timer",
        "The maintenance window (Sundays 03:00), shipped by the Debian package and not enabled: \
         systemctl enable --now jitsi-custom-upgrade.timer, or install-hooks, opens it. \
         install-hooks puts copies in /etc/systemd/system/ for installs without the package. \
         Change the time with systemctl edit jitsi-custom-upgrade.timer.",
        Some(&["install-hooks", "uninstall-hooks", "upgrade"]),
    ),
    (
        "/etc/update-motd.d/90-jitsi-custom",
        "One line at login while something needs attention (put there by install-hooks).",
        Some(&["install-hooks", "uninstall-hooks", "status"]),
    ),
    (
        "/var/lib/dpkg/status, /var/lib/dpkg/info/*.md5sums",
        "Where pristine content is recognised: a live file whose md5 matches what dpkg recorded.",
        Some(&["init", "status", "track", "rebase"]),
    ),
    (
        "/var/cache/apt/archives/*.deb",
        "Cached package archives: pristine content at init, previous versions for a rollback of \
         the window.",
        Some(&["init", "upgrade"]),
    ),
    (
        "/usr/share/jitsi-custom/examples/",
        "The demo's Jitsi-like packages in four versions and the admin guide's customisations.",
        Some(&["demo"]),
    ),
    (
        "/usr/share/jitsi-custom/patches/",
        "Recipes of the admin guide's customisations.",
        Some(&[]),
    ),
];

fn files_section(roff: &mut Roff, verb: Option<&str>) {
    roff.control("SH", ["FILES"]);
    for (path, text, verbs) in FILES {
        let shown = match (verb, verbs) {
            (None, _) | (_, None) => true,
            (Some(verb), Some(verbs)) => verbs.contains(&verb),
        };
        if shown {
            item(roff, path, text);
        }
    }
}

/// Examples per page: (command line, what it does). `None` is the main page.
fn examples(verb: Option<&str>) -> &'static [(&'static str, &'static str)] {
    match verb {
        None => &[
            (
                "jitsi-custom init",
                "Start keeping customisations: detect the Jitsi packages and domain, track the files admins customise.",
            ),
            (
                "jitsi-custom record -m \"German welcome texts\"",
                "After editing files as the admin guide says, name what you did.",
            ),
            (
                "jitsi-custom status",
                "Every tracked file's state, parked decisions, notices, packages and holds.",
            ),
            (
                "jitsi-custom install-hooks && jitsi-custom hold",
                "Let apt keep the customisations, and keep the Jitsi packages for the Sunday window.",
            ),
            (
                "jitsi-custom rebase",
                "After an upgrade done by hand: carry the customisations onto the new files.",
            ),
            (
                "jitsi-custom demo",
                "The whole story on a bundled sandbox, for a first look without Jitsi.",
            ),
        ],
        Some("init") => &[
            (
                "jitsi-custom init",
                "Detect packages, versions and domain; take pristine content from dpkg, the guide's *.BKP copies or apt's cache.",
            ),
            (
                "jitsi-custom init --domain tele.praxis.de --no-adopt-bkp",
                "Name the domain, ignore *.BKP copies.",
            ),
            (
                "jitsi-custom --root /srv/image init",
                "Prepare a server image under another root.",
            ),
        ],
        Some("track") => &[
            (
                "jitsi-custom track /usr/share/jitsi-meet/images/praxis-logo.png",
                "Keep a file no package ships (then record it).",
            ),
            (
                "jitsi-custom track /etc/jitsi/jicofo/",
                "A directory stands for every file below it.",
            ),
        ],
        Some("untrack") => &[
            (
                "jitsi-custom untrack /usr/share/jitsi-meet/images/praxis-logo.png",
                "Stop keeping a file; the live file stays.",
            ),
            (
                "jitsi-custom untrack --drop-customisation /etc/jitsi/meet/tele.praxis.de-config.js",
                "Also drop its customisations (the operation log keeps them).",
            ),
        ],
        Some("record") => &[
            (
                "jitsi-custom record -m \"German welcome texts\"",
                "Every unrecorded edit becomes one named customisation.",
            ),
            (
                "jitsi-custom record -m \"practice logo\" /usr/share/jitsi-meet/images/watermark.svg",
                "Only this file's edit.",
            ),
            (
                "jitsi-custom record --into \"German welcome texts\"",
                "Add further edits to an existing customisation.",
            ),
        ],
        Some("status") => &[
            (
                "jitsi-custom status",
                "Exit 0 when all is well, 1 when something needs attention.",
            ),
            (
                "jitsi-custom status --json | jq '.files[] | select(.state != \"clean\")'",
                "For monitoring.",
            ),
            (
                "jitsi-custom status --brief",
                "One line, or nothing when all is well (the login message).",
            ),
        ],
        Some("diff") => &[
            (
                "jitsi-custom diff",
                "Every customisation as a unified diff (patch -p1 in /).",
            ),
            ("jitsi-custom diff --live", "Edits not recorded yet."),
            (
                "jitsi-custom diff --stat /usr/share/jitsi-meet/css/all.css",
                "How much one file differs.",
            ),
        ],
        Some("log") => &[(
            "jitsi-custom log -n 5",
            "The last five operations with their ids.",
        )],
        Some("rollback") => &[
            (
                "jitsi-custom rollback",
                "Undo the last operation: live files and store, byte for byte.",
            ),
            (
                "jitsi-custom rollback 3f2a9c1",
                "Go back to an operation named by jitsi-custom log.",
            ),
        ],
        Some("rebase") => &[
            (
                "jitsi-custom rebase",
                "After apt upgraded Jitsi by hand: take in the new files, carry the customisations, ask on conflicts, restart what changed.",
            ),
            (
                "jitsi-custom --non-interactive rebase",
                "Park conflicts instead of asking (exit 1); jitsi-custom resolve later.",
            ),
            ("jitsi-custom --dry-run rebase", "Show what would change."),
        ],
        Some("upgrade") => &[
            (
                "jitsi-custom upgrade",
                "Run the maintenance window now, at the terminal: conflicts are asked about.",
            ),
            (
                "systemctl enable --now jitsi-custom-upgrade.timer",
                "Run it unattended on Sundays at 03:00.",
            ),
            (
                "jitsi-custom upgrade --accept-fallbacks",
                "Keep the new version even when decisions wait, each on its fallback.",
            ),
        ],
        Some("resolve") => &[
            (
                "jitsi-custom resolve",
                "Work through parked decisions conflict by conflict; \"keep yours here\" is pre-selected.",
            ),
            (
                "jitsi-custom resolve --acknowledge",
                "Acknowledge every notice without a terminal.",
            ),
        ],
        Some("doctor") => &[(
            "jitsi-custom doctor",
            "Explain and repair what an interruption or a hand edit left.",
        )],
        Some("validate") => &[
            (
                "jitsi-custom validate",
                "Check every tracked file: JSON, JavaScript, Lua, XML/SVG, conflict markers, nginx -t.",
            ),
            (
                "jitsi-custom validate /etc/prosody/conf.avail/tele.praxis.de.cfg.lua",
                "Check one file.",
            ),
        ],
        Some("watch") => &[(
            "jitsi-custom watch --settle 30",
            "Record edits of tracked files as they happen, 30 s after the last change.",
        )],
        Some("merge-file") => &[
            (
                "jitsi-custom merge-file --path /usr/share/jitsi-meet/lang/main-de.json base.json mine.json new.json -o merged.json",
                "One 3-way merge with the strategy for that path.",
            ),
            (
                "git config merge.jitsi.driver 'jitsi-custom merge-file --path %P %O %A %B -o %A'",
                "Use it as a git merge driver (with *.json merge=jitsi in .gitattributes).",
            ),
        ],
        Some("demo") => &[
            (
                "jitsi-custom demo",
                "Customise, upgrade, rebase and one parked decision, on a sandbox in a temporary directory.",
            ),
            ("jitsi-custom demo --keep", "Keep the sandbox to explore."),
        ],
        Some("hold") => &[(
            "jitsi-custom hold",
            "apt upgrade keeps the Jitsi packages back until the window.",
        )],
        Some("unhold") => &[(
            "jitsi-custom unhold",
            "Release the Jitsi packages (the window does this itself).",
        )],
        Some("install-hooks") => &[
            (
                "jitsi-custom install-hooks",
                "The apt hook, the login message, and the timer enabled.",
            ),
            (
                "jitsi-custom install-hooks --no-enable",
                "Everything but the timer.",
            ),
        ],
        Some("uninstall-hooks") => &[(
            "jitsi-custom uninstall-hooks",
            "Remove what install-hooks put in place, and disable the timer.",
        )],
        Some("apply") => &[
            (
                "jitsi-custom apply --list",
                "The recipes of the admin guide, in its order, with what each does.",
            ),
            (
                "jitsi-custom apply 5.2.2/default-language 5.2.2/video-480p",
                "Make both changes, validated, each recorded as a customisation named after its recipe.",
            ),
            (
                "jitsi-custom apply --dry-run 5.2.4/interface-config --set app_name=\"Praxis Sommer\"",
                "Show the diff the recipe would make with this value, and change nothing.",
            ),
        ],
        Some("scan") => &[
            (
                "jitsi-custom scan",
                "Files the Jitsi packages installed that differ from dpkg's md5sums, and files no package owns; on a terminal, offers to track them.",
            ),
            (
                "jitsi-custom scan --json jitsi-meet-web",
                "The same for one package, for a program.",
            ),
        ],
        Some("export") => &[(
            "jitsi-custom export /root/praxis-customisations",
            "The customisations as a series of patches (series, one .patch each) that git apply accepts in /.",
        )],
        Some("import") => &[
            (
                "jitsi-custom import --dry-run /root/praxis-customisations",
                "Check that every patch of the series applies and validates here, and change nothing.",
            ),
            (
                "jitsi-custom import /root/praxis-customisations",
                "Bring the whole series in as one operation (or nothing, with one line per refusal).",
            ),
        ],
        Some("remote") => &[
            (
                "jitsi-custom remote add origin ssh://git@git.it-service.example/praxis/jitsi.git",
                "Share the customisations through this git repository.",
            ),
            ("jitsi-custom remote list", "The remotes and their URLs."),
            (
                "jitsi-custom remote remove origin",
                "Stop sharing through it; the customisations stay, and a remote added later under the same name starts afresh (pull before push).",
            ),
        ],
        Some("push") => &[(
            "jitsi-custom push",
            "Send the customisations, with this host's values as placeholders and no secret, to the remote.",
        )],
        Some("pull") => &[
            (
                "jitsi-custom pull --dry-run",
                "What the shared customisations would change here, per customisation.",
            ),
            (
                "jitsi-custom pull",
                "Carry the shared customisations onto this server, with its own values; local ones stay on top.",
            ),
        ],
        Some("host-value") => &[
            (
                "jitsi-custom host-value",
                "This host's values for the placeholders (secrets hidden).",
            ),
            (
                "jitsi-custom host-value set imprint_url https://www.praxis-sommer.de/impressum/",
                "A value of this host that shared customisations name as {imprint_url}.",
            ),
        ],
        Some(_) => &[],
    }
}

fn examples_section(roff: &mut Roff, verb: Option<&str>) {
    let examples = examples(verb);
    if examples.is_empty() {
        return;
    }
    roff.control("SH", ["EXAMPLES"]);
    for (command, what) in examples {
        roff.control("TP", []);
        roff.text([bold(*command)]);
        roff.text([roman(*what)]);
    }
}

fn see_also_section(roff: &mut Roff, page: &clap::Command, verb: Option<&str>) {
    roff.control("SH", ["SEE ALSO"]);
    let mut refs: Vec<String> = Vec::new();
    if verb.is_some() {
        refs.push(format!("{NAME}(1)"));
    } else {
        refs.extend(
            page.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| format!("{NAME}-{}(1)", s.get_name())),
        );
    }
    refs.extend(["apt.conf(5)", "dpkg(1)", "apt-mark(8)", "systemd.timer(5)"].map(String::from));
    let mut inlines = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        if i > 0 {
            inlines.push(roman(", "));
        }
        let (name, section) = r.split_once('(').unwrap_or((r, ""));
        inlines.push(bold(name));
        inlines.push(roman(format!("({section}")));
    }
    roff.text(inlines);
    roff.control("PP", []);
    roff.text([
        roman("/usr/share/doc/jitsi-custom/README.md explains the model; "),
        italic("jitsi-custom demo"),
        roman(" shows it."),
    ]);
}

/// Writes the German catalogue where gettext looks for it: `DIR/de/LC_MESSAGES/jitsi-custom.mo`.
pub fn write_catalogue(dir: &Path) -> Result<Vec<PathBuf>> {
    let messages = dir.join("de/LC_MESSAGES");
    std::fs::create_dir_all(&messages).with_context(|| format!("cannot create {}", messages.display()))?;
    let path = messages.join(format!("{NAME}.mo"));
    std::fs::write(&path, crate::i18n::BUILT_IN_CATALOGUE)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(vec![path])
}

/// Writes the completions under the names Debian's shells look for.
pub fn write_completions(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| tr!("cannot create {path}", path = dir.display()))?;
    let mut written = Vec::new();
    for (shell, file) in [
        (Shell::Bash, format!("{NAME}.bash")),
        (Shell::Zsh, format!("_{NAME}")),
        (Shell::Fish, format!("{NAME}.fish")),
    ] {
        let mut cmd = visible_command();
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, NAME, &mut script);
        if shell == Shell::Bash {
            script = fix_bash_verb_labels(&String::from_utf8_lossy(&script)).into_bytes();
        }
        let path = dir.join(file);
        std::fs::write(&path, script).with_context(|| tr!("cannot write {path}", path = path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// clap_complete 4.6's bash script names each verb's `case` label from the binary name with
/// `-` turned into `__subcmd__` (`jitsi__subcmd__custom__subcmd__rebase)`), but the loop that
/// finds the verb sets `jitsi__custom__subcmd__rebase`: for a binary name with a hyphen no verb's
/// options were ever completed (`jitsi-custom rebase --no<TAB>` offered nothing). The labels are
/// put right here.
fn fix_bash_verb_labels(script: &str) -> String {
    let wrong = format!("{}__subcmd__", NAME.replace('-', "__subcmd__"));
    let right = format!("{}__subcmd__", NAME.replace('-', "__"));
    script.replace(&wrong, &right)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every variable the command line reads (clap's `env = …`) has its ENVIRONMENT entry; the
    /// hidden `hook --in-upgrade` is `upgrade`'s business with apt, not the admin's.
    #[test]
    fn every_variable_of_the_command_line_is_in_the_manual() {
        fn walk(cmd: &clap::Command, found: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                if let Some(env) = arg.get_env() {
                    found.push(env.to_string_lossy().into_owned());
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, found);
            }
        }
        let mut found = Vec::new();
        walk(&Cli::command(), &mut found);
        assert!(found.len() >= 8, "{found:?}");
        for env in found {
            if env == crate::engine::hook::IN_UPGRADE_ENV {
                continue;
            }
            assert!(
                ENVIRONMENT.iter().any(|(name, _, _)| *name == env),
                "{env} is read from the environment but not in the manual's ENVIRONMENT"
            );
        }
    }
}
