//! `jitsi-custom status`: the state of every tracked file and of the Jitsi packages.

use std::io::Write;

use crate::tr;
use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::engine::status::{self, FileState};
use crate::store::parked::NoticeKind;

/// Show the state of every tracked file and of the Jitsi packages.
///
/// A file is clean, customised, unrecorded (edited, not recorded), overwritten (a package replaced
/// a customised file), upstream-changed (new upstream content to take in with `rebase`), conflict
/// (parked) or missing. Under a file, `parked` lines say what waits for a decision and what is
/// live meanwhile; `review` lines what was decided without a person (your value kept over a new
/// upstream default, a setting upstream removed or moved). Packages show their recorded and
/// installed versions and holds.
///
/// Exit status: 0 all good, 1 something needs attention (including an unreviewed notice),
/// 2 usage or input error, 3 failure.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One line, and only when something needs attention (the login message uses it).
    #[arg(long, conflicts_with = "json")]
    brief: bool,
}

pub fn run(ctx: &Ctx, args: StatusArgs) -> Result<Outcome> {
    let store = ctx.open_store()?;
    let manifest = store.load_manifest()?;
    let mut survey = status::survey(&ctx.root, &store, &manifest, &ctx.dpkg()?)?;
    if !args.brief {
        survey.remotes = crate::engine::fleet::remote_status(&ctx.root, &store, &manifest)?;
    }
    if args.brief {
        if let Some(line) = brief_line(&survey) {
            writeln!(ctx.out(), "{line}")?;
        }
    } else if ctx.json {
        ctx.print_json(&survey)?;
    } else {
        let mut out = ctx.out();
        let width = survey
            .files
            .iter()
            .map(|f| f.path.to_string().len())
            .max()
            .unwrap_or(0);
        for file in &survey.files {
            let state = paint(ctx.color, file.state);
            let extra = if file.customisations.is_empty() {
                String::new()
            } else {
                format!("  ({})", file.customisations.join(", "))
            };
            writeln!(out, "{:<width$}  {state}{extra}", file.path.to_string())?;
            for parked in survey.parked.iter().filter(|p| p.path == file.path) {
                writeln!(
                    out,
                    "    {}",
                    tr!(
                        "parked {name}: {reasons}; {fallback}",
                        name = format!("{:?}", parked.customisation),
                        reasons = super::shown_joined(&parked.reasons),
                        fallback = crate::i18n::shown(&parked.fallback.describe())
                    )
                )?;
            }
            for notice in survey
                .notices
                .iter()
                .filter(|n| n.path == file.path && n.kind != NoticeKind::Parked)
            {
                writeln!(
                    out,
                    "    {}",
                    tr!(
                        "review {name}: {message}",
                        name = format!("{:?}", notice.customisation),
                        message = crate::i18n::shown(&notice.message)
                    )
                )?;
            }
        }
        if !survey.packages.is_empty() {
            writeln!(out)?;
            for pkg in &survey.packages {
                let installed = match pkg.installed.as_deref() {
                    Some(version) => version.to_string(),
                    None => tr!("not installed"),
                };
                let recorded = match &pkg.recorded {
                    Some(v) if Some(v) != pkg.installed.as_ref() => {
                        format!("  {}", tr!("(recorded {version})", version = v))
                    }
                    Some(_) => String::new(),
                    None => format!("  {}", tr!("(not recorded)")),
                };
                let held = if pkg.held {
                    format!("  {}", tr!("held"))
                } else {
                    String::new()
                };
                let candidate = match &pkg.candidate {
                    Some(v) => format!(
                        "  {}",
                        tr!(
                            "(apt has {version}; `jitsi-custom upgrade` takes it)",
                            version = v
                        )
                    ),
                    None => String::new(),
                };
                writeln!(out, "{:<24} {installed}{recorded}{held}{candidate}", pkg.name)?;
            }
        }
        if let Some(docker) = &survey.docker {
            print_docker(&mut out, docker)?;
        }
        for remote in &survey.remotes {
            let names = |list: &[String]| {
                list.iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut parts = Vec::new();
            if remote.ahead > 0 {
                parts.push(tr!(
                    "{n} to push ({names})" | "{n} to push ({names})" % remote.ahead,
                    names = names(&remote.to_push)
                ));
            }
            if remote.behind > 0 {
                parts.push(tr!(
                    "{n} to pull ({names})" | "{n} to pull ({names})" % remote.behind,
                    names = names(&remote.to_pull)
                ));
            }
            if parts.is_empty() {
                parts.push(tr!("up to date"));
            }
            writeln!(
                out,
                "\n{}",
                tr!(
                    "remote {name}: {state} (as last fetched; `jitsi-custom pull` fetches)",
                    name = remote.name,
                    state = parts.join(", ")
                )
            )?;
        }
        let apt = if survey.hook.apt {
            tr!("installed")
        } else {
            tr!("not installed")
        };
        let timer = if survey.hook.timer {
            tr!("enabled")
        } else {
            tr!("not enabled")
        };
        writeln!(out, "\n{}", tr!("apt hook: {apt}, timer: {timer}", apt, timer))?;
        for hint in hints(&survey) {
            ctx.say(tr!("hint: {hint}", hint));
        }
    }
    Ok(if survey.needs_attention() {
        Outcome::Attention
    } else {
        Outcome::Ok
    })
}

/// The docker variant: the web image, and whether Prosody's accounts survive the container.
fn print_docker(out: &mut dyn Write, docker: &status::DockerStatus) -> Result<()> {
    writeln!(out)?;
    let id = |id: &Option<String>| id.as_deref().map(|i| i.chars().take(19).collect::<String>());
    let image = match (id(&docker.image_id), id(&docker.recorded_image_id)) {
        (Some(now), Some(was)) if now != was => {
            tr!(
                "{now} (rebased onto {was}; `jitsi-custom rebase` takes the new one)",
                now,
                was
            )
        }
        (Some(now), _) => now,
        (None, _) => tr!("not there"),
    };
    writeln!(
        out,
        "{}",
        tr!("web image {name}: {image}", name = docker.web_image, image)
    )?;
    if let Some(problem) = &docker.problem {
        writeln!(
            out,
            "    {}",
            tr!("the container tool did not answer: {problem}", problem)
        )?;
    }
    if let Some(prosody) = &docker.prosody {
        let line = match &prosody.volume {
            Some(volume) => tr!(
                "prosody accounts (prosodyctl register): on the volume {volume} ({accounts} in {path}), they survive the container",
                volume,
                accounts = prosody.accounts,
                path = prosody.data_path
            ),
            None => tr!(
                "prosody accounts (prosodyctl register): {path} is not on a volume; they are lost when the container is recreated",
                path = prosody.data_path
            ),
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `jitsi-custom: 1 decision waits, 3 notices to review — run `jitsi-custom status``, or
/// nothing when all is well.
fn brief_line(survey: &status::Survey) -> Option<String> {
    let mut parts = Vec::new();
    if !survey.parked.is_empty() {
        parts.push(tr!(
            "{n} decision waits" | "{n} decisions wait" % survey.parked.len()
        ));
    }
    let postponed = survey
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Postponed)
        .count();
    if postponed > 0 {
        parts.push(tr!(
            "an upgrade waits for {n} decision (run `jitsi-custom upgrade` on a terminal)"
                | "an upgrade waits for {n} decisions (run `jitsi-custom upgrade` on a terminal)" % postponed
        ));
    }
    let notices = survey
        .notices
        .iter()
        .filter(|n| !matches!(n.kind, NoticeKind::Parked | NoticeKind::Postponed))
        .count();
    if notices > 0 {
        parts.push(tr!("{n} notice to review" | "{n} notices to review" % notices));
    }
    let files = survey
        .files
        .iter()
        .filter(|f| f.state.needs_attention() && f.state != FileState::Conflict)
        .count();
    if files > 0 {
        parts.push(tr!(
            "{n} file needs attention" | "{n} files need attention" % files
        ));
    }
    (!parts.is_empty()).then(|| {
        tr!(
            "jitsi-custom: {what} — run `jitsi-custom status`",
            what = parts.join(", ")
        )
    })
}

fn paint(color: bool, state: FileState) -> String {
    let style = match state {
        FileState::Clean => return label(state),
        FileState::Customised => crate::ui::GOOD,
        FileState::UpstreamChanged => crate::ui::INFO,
        _ => crate::ui::BAD,
    };
    crate::ui::paint(label(state), style, color)
}

/// A file's state in the table, for a person (`--json` has [`FileState::name`]).
fn label(state: FileState) -> String {
    match state {
        FileState::Clean => tr!("clean"),
        FileState::Customised => tr!("customised"),
        FileState::Unrecorded => tr!("unrecorded"),
        FileState::Overwritten => tr!("overwritten"),
        FileState::UpstreamChanged => tr!("upstream-changed"),
        FileState::Conflict => tr!("conflict"),
        FileState::Missing => tr!("missing"),
    }
}

fn hints(survey: &status::Survey) -> Vec<String> {
    let has = |s: FileState| survey.files.iter().any(|f| f.state == s);
    let mut hints = Vec::new();
    if has(FileState::Unrecorded) {
        hints.push(tr!("record edits with `jitsi-custom record -m \"what it is\"`"));
    }
    if has(FileState::Overwritten) || has(FileState::UpstreamChanged) {
        hints.push(tr!(
            "carry the customisations onto the new upstream files with `jitsi-custom rebase`"
        ));
    }
    if has(FileState::Conflict) || !survey.parked.is_empty() {
        hints.push(tr!("work through parked conflicts with `jitsi-custom resolve`"));
    } else if !survey.notices.is_empty() {
        hints.push(tr!(
            "review what was decided for you with `jitsi-custom resolve` (or `resolve --acknowledge`)"
        ));
    }
    if !survey.hook.apt {
        hints.push(tr!(
            "let apt keep the customisations with `jitsi-custom install-hooks`"
        ));
    }
    hints
}
