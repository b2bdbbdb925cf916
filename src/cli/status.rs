//! `jitsi-custom status`: the state of every tracked file and of the Jitsi packages.

use std::io::Write;

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
                    "    parked {:?}: {}; {}",
                    parked.customisation,
                    parked.reasons.join("; "),
                    parked.fallback.describe()
                )?;
            }
            for notice in survey
                .notices
                .iter()
                .filter(|n| n.path == file.path && n.kind != NoticeKind::Parked)
            {
                writeln!(out, "    review {:?}: {}", notice.customisation, notice.message)?;
            }
        }
        if !survey.packages.is_empty() {
            writeln!(out)?;
            for pkg in &survey.packages {
                let installed = pkg.installed.as_deref().unwrap_or("not installed");
                let recorded = match &pkg.recorded {
                    Some(v) if Some(v) != pkg.installed.as_ref() => format!("  (recorded {v})"),
                    Some(_) => String::new(),
                    None => "  (not recorded)".into(),
                };
                let held = if pkg.held { "  held" } else { "" };
                let candidate = match &pkg.candidate {
                    Some(v) => format!("  (apt has {v}; `jitsi-custom upgrade` takes it)"),
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
                parts.push(format!("{} to push ({})", remote.ahead, names(&remote.to_push)));
            }
            if remote.behind > 0 {
                parts.push(format!("{} to pull ({})", remote.behind, names(&remote.to_pull)));
            }
            if parts.is_empty() {
                parts.push("up to date".into());
            }
            writeln!(
                out,
                "\nremote {}: {} (as last fetched; `jitsi-custom pull` fetches)",
                remote.name,
                parts.join(", ")
            )?;
        }
        writeln!(
            out,
            "\napt hook: {}, timer: {}",
            if survey.hook.apt {
                "installed"
            } else {
                "not installed"
            },
            if survey.hook.timer {
                "enabled"
            } else {
                "not enabled"
            },
        )?;
        for hint in hints(&survey) {
            ctx.say(format_args!("hint: {hint}"));
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
            format!("{now} (rebased onto {was}; `jitsi-custom rebase` takes the new one)")
        }
        (Some(now), _) => now,
        (None, _) => "not there".into(),
    };
    writeln!(out, "web image {}: {image}", docker.web_image)?;
    if let Some(problem) = &docker.problem {
        writeln!(out, "    the container tool did not answer: {problem}")?;
    }
    if let Some(prosody) = &docker.prosody {
        match &prosody.volume {
            Some(volume) => writeln!(
                out,
                "prosody accounts (prosodyctl register): on the volume {volume} ({} in {}), they survive the container",
                prosody.accounts, prosody.data_path
            )?,
            None => writeln!(
                out,
                "prosody accounts (prosodyctl register): {} is not on a volume; they are lost when the container is recreated",
                prosody.data_path
            )?,
        }
    }
    Ok(())
}

/// `jitsi-custom: 1 decision waits, 3 notices to review — run `jitsi-custom status``, or
/// nothing when all is well.
fn brief_line(survey: &status::Survey) -> Option<String> {
    let mut parts = Vec::new();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if !survey.parked.is_empty() {
        parts.push(plural(survey.parked.len(), "decision waits", "decisions wait"));
    }
    let postponed = survey
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Postponed)
        .count();
    if postponed > 0 {
        parts.push(format!(
            "an upgrade waits for {} (run `jitsi-custom upgrade` on a terminal)",
            plural(postponed, "decision", "decisions")
        ));
    }
    let notices = survey
        .notices
        .iter()
        .filter(|n| !matches!(n.kind, NoticeKind::Parked | NoticeKind::Postponed))
        .count();
    if notices > 0 {
        parts.push(plural(notices, "notice to review", "notices to review"));
    }
    let files = survey
        .files
        .iter()
        .filter(|f| f.state.needs_attention() && f.state != FileState::Conflict)
        .count();
    if files > 0 {
        parts.push(plural(files, "file needs attention", "files need attention"));
    }
    (!parts.is_empty()).then(|| format!("jitsi-custom: {} — run `jitsi-custom status`", parts.join(", ")))
}

fn paint(color: bool, state: FileState) -> String {
    let style = match state {
        FileState::Clean => return state.name().to_string(),
        FileState::Customised => crate::ui::GOOD,
        FileState::UpstreamChanged => crate::ui::INFO,
        _ => crate::ui::BAD,
    };
    crate::ui::paint(state.name(), style, color)
}

fn hints(survey: &status::Survey) -> Vec<&'static str> {
    let has = |s: FileState| survey.files.iter().any(|f| f.state == s);
    let mut hints = Vec::new();
    if has(FileState::Unrecorded) {
        hints.push("record edits with `jitsi-custom record -m \"what it is\"`");
    }
    if has(FileState::Overwritten) || has(FileState::UpstreamChanged) {
        hints.push("carry the customisations onto the new upstream files with `jitsi-custom rebase`");
    }
    if has(FileState::Conflict) || !survey.parked.is_empty() {
        hints.push("work through parked conflicts with `jitsi-custom resolve`");
    } else if !survey.notices.is_empty() {
        hints
            .push("review what was decided for you with `jitsi-custom resolve` (or `resolve --acknowledge`)");
    }
    if !survey.hook.apt {
        hints.push("let apt keep the customisations with `jitsi-custom install-hooks`");
    }
    hints
}
