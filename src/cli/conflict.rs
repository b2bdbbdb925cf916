//! Settling a conflict with the person at the terminal: the [`Resolver`] that `rebase` and
//! `resolve` use when there is someone to ask.

use std::io::Write;

use crate::tr;
use anyhow::Result;

use super::Ctx;
use crate::engine::rebase::{Carry, ConflictCase, ParkAll, Resolution, Resolver};
use crate::error::Error;
use crate::merge::{self, Strategy};
use crate::ui::diff::write_unified;

/// The resolver for this run: questions on the terminal, or park everything.
pub fn resolver_for(ctx: &Ctx, merge_tool: Option<String>) -> Box<dyn Resolver + '_> {
    if ctx.prompt.is_interactive() {
        Box::new(TerminalResolver { ctx, merge_tool })
    } else {
        Box::new(ParkAll)
    }
}

pub struct TerminalResolver<'a> {
    ctx: &'a Ctx,
    /// A command line with `{base}`, `{local}`, `{upstream}` and `{output}` placeholders.
    merge_tool: Option<String>,
}

/// The whole-file choices. "decide conflict by conflict" leads when the merge laid its conflicts
/// out region by region; a choice that drops upstream's other changes is never pre-selected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WholeFile {
    ByConflict,
    KeepFile,
    TakeUpstream,
    Edit,
    ShowDiff,
    MergeTool,
    Park,
    Abort,
}

impl WholeFile {
    fn label(self) -> String {
        match self {
            WholeFile::ByConflict => tr!("decide conflict by conflict (upstream's other changes stay)"),
            WholeFile::KeepFile => {
                tr!("keep the customised file as it was (drops ALL of upstream's changes to it)")
            }
            WholeFile::TakeUpstream => tr!("take upstream's file (drop this customisation here)"),
            WholeFile::Edit => tr!("edit the merged file"),
            WholeFile::ShowDiff => tr!("show the 3-way diff"),
            WholeFile::MergeTool => tr!("run a merge tool"),
            WholeFile::Park => {
                tr!("park it for later (`jitsi-custom resolve`); your side stays live meanwhile")
            }
            WholeFile::Abort => tr!("abort (change nothing)"),
        }
    }
}

/// The answers about one setting upstream moved or removed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SettingAnswer {
    Carry,
    Keep,
    Drop,
    Park,
    Abort,
}

impl Resolver for TerminalResolver<'_> {
    fn resolve(&self, case: &ConflictCase) -> Result<Resolution> {
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "\n{}",
            tr!(
                "conflict: customisation {name} in {path}",
                name = format!("{:?}", case.patch),
                path = case.path
            )
        )?;
        for conflict in &case.merged.conflicts {
            writeln!(err, "  - {}", crate::i18n::shown(&conflict.what))?;
            if let Some(hint) = &conflict.hint {
                writeln!(
                    err,
                    "    {}",
                    tr!("hint: {hint}", hint = crate::i18n::shown(hint))
                )?;
            }
        }
        drop(err);
        if case.strategy == Strategy::JsConfig
            && let Some(resolution) = self.ask_about_settings(case)?
        {
            return Ok(resolution);
        }
        if case.strategy.is_line_based()
            && let Some(resolution) = self.ask_block_by_block(case)?
        {
            return Ok(resolution);
        }
        let regions = case.merged.regions.as_ref();
        let mut choices: Vec<WholeFile> = Vec::new();
        if regions.is_some() {
            choices.push(WholeFile::ByConflict);
        }
        choices.extend([
            WholeFile::KeepFile,
            WholeFile::TakeUpstream,
            WholeFile::Edit,
            WholeFile::ShowDiff,
            WholeFile::MergeTool,
            WholeFile::Park,
            WholeFile::Abort,
        ]);
        let default = if regions.is_some() {
            0
        } else {
            choices.iter().position(|c| *c == WholeFile::Park).unwrap_or(0)
        };
        let labels: Vec<String> = choices.iter().map(|c| c.label()).collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let question = tr!("What should happen?");
        loop {
            let choice = choices[self.ctx.prompt.select(&question, &labels, default)?];
            match choice {
                WholeFile::ByConflict => {
                    if let Some(regions) = regions
                        && let Some(content) = self.ask_region_by_region(case, regions)?
                    {
                        return Ok(Resolution::Content(content));
                    }
                }
                WholeFile::KeepFile => return Ok(Resolution::KeepLocal),
                WholeFile::TakeUpstream => return Ok(Resolution::TakeUpstream),
                WholeFile::Edit => {
                    if let Some(content) = self.edit(case)? {
                        return Ok(Resolution::Content(content));
                    }
                }
                WholeFile::ShowDiff => self.show_diff(case)?,
                WholeFile::MergeTool => {
                    if let Some(content) = self.run_merge_tool(case)? {
                        return Ok(Resolution::Content(content));
                    }
                }
                WholeFile::Park => return Ok(Resolution::Park),
                WholeFile::Abort => return Err(Error::Aborted.into()),
            }
        }
    }
}

impl TerminalResolver<'_> {
    /// One question per conflicting region, with the three sides shown; "keep yours here" is
    /// pre-selected and keeps upstream's changes around it. `None` goes back to the whole-file
    /// choices.
    fn ask_region_by_region(&self, case: &ConflictCase, regions: &merge::Regions) -> Result<Option<Vec<u8>>> {
        let count = regions.choices.len();
        let mut picks: Vec<Vec<u8>> = Vec::with_capacity(count);
        for (i, choice) in regions.choices.iter().enumerate() {
            {
                let mut err = std::io::stderr().lock();
                writeln!(
                    err,
                    "\n{}",
                    tr!(
                        "conflict {number}/{count}: {what}",
                        number = i + 1,
                        count,
                        what = crate::i18n::shown(&choice.what)
                    )
                )?;
                for (label, side) in [
                    (tr!("before the customisation"), &choice.base),
                    (tr!("yours"), &choice.local),
                    (tr!("upstream's"), &choice.upstream),
                ] {
                    writeln!(err, "  --- {label}:")?;
                    let text = String::from_utf8_lossy(side);
                    if text.trim().is_empty() {
                        writeln!(err, "      {}", tr!("(nothing)"))?;
                    }
                    for line in text.lines() {
                        writeln!(err, "      {line}")?;
                    }
                }
            }
            let options = [
                tr!("keep yours here"),
                tr!("take upstream's here"),
                tr!("edit this part"),
                tr!("back to the whole-file choices"),
            ];
            let options = options.each_ref().map(String::as_str);
            match self.ctx.prompt.select(
                &tr!("conflict {number}/{count}", number = i + 1, count),
                &options,
                0,
            )? {
                0 => picks.push(choice.favour_local()),
                1 => picks.push(choice.upstream.clone()),
                2 => match self.edit_text(&choice.favour_local(), extension(case))? {
                    Some(edited) => picks.push(edited),
                    None => return Ok(None),
                },
                _ => return Ok(None),
            }
        }
        let picks: Vec<&[u8]> = picks.iter().map(Vec::as_slice).collect();
        Ok(self.accept(case, regions.join(&picks)))
    }

    /// For line merges where every conflict is about a setting (`authentication = …` in Prosody,
    /// an nginx directive): one question per setting, by name. "the whole file" goes on to the
    /// file-level choices.
    fn ask_block_by_block(&self, case: &ConflictCase) -> Result<Option<Resolution>> {
        let Some(regions) = &case.merged.regions else {
            return Ok(None);
        };
        let lines = |side: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(side)
                .split_inclusive('\n')
                .map(str::to_string)
                .collect()
        };
        let blocks: Vec<merge::Choice> = regions.choices.clone();
        let names_a_setting = |b: &merge::Choice| {
            lines(&b.local)
                .iter()
                .chain(&lines(&b.upstream))
                .any(|l| merge::setting_name(l).is_some())
        };
        if blocks.is_empty() || !blocks.iter().all(names_a_setting) {
            return Ok(None);
        }
        let mut chosen: Vec<Vec<u8>> = Vec::new();
        for choice in &blocks {
            let block = (lines(&choice.local), lines(&choice.base), lines(&choice.upstream));
            let (block_local, block_base, block_upstream) = (&block.0, &block.1, &block.2);
            // libgit2 joins neighbouring changed lines into one block; line by line, only the
            // lines both sides changed are a question.
            let pieces: Vec<(Vec<String>, Vec<String>, Vec<String>)> =
                if block_local.len() == block_base.len() && block_upstream.len() == block_base.len() {
                    block_local
                        .iter()
                        .zip(block_base)
                        .zip(block_upstream)
                        .map(|((l, b), u)| (vec![l.clone()], vec![b.clone()], vec![u.clone()]))
                        .collect()
                } else {
                    vec![(block_local.clone(), block_base.clone(), block_upstream.clone())]
                };
            // Where indentation means nothing, a kept line of yours takes upstream's indentation.
            let reindent = case.strategy.ignores_whitespace();
            let yours = |local: Vec<String>, upstream: &[String]| -> Vec<String> {
                if reindent && local.len() == upstream.len() {
                    local
                        .iter()
                        .zip(upstream)
                        .map(|(l, u)| with_indent_of(l, u))
                        .collect()
                } else {
                    local
                }
            };
            let mut out: Vec<String> = Vec::new();
            for (local, base, upstream) in pieces {
                let same =
                    |a: &[String], b: &[String]| a.iter().map(|l| l.trim()).eq(b.iter().map(|l| l.trim()));
                if same(&local, &base) || same(&local, &upstream) {
                    out.extend(upstream);
                } else if same(&upstream, &base) {
                    out.extend(yours(local, &upstream));
                } else {
                    match self.ask_one_setting(&local, &upstream)? {
                        Some(true) => out.extend(yours(local, &upstream)),
                        Some(false) => out.extend(upstream),
                        None => return Ok(None),
                    }
                }
            }
            chosen.push(out.concat().into_bytes());
        }
        let picks: Vec<&[u8]> = chosen.iter().map(Vec::as_slice).collect();
        Ok(self.accept(case, regions.join(&picks)).map(Resolution::Content))
    }

    /// "keep yours / take upstream's" for one conflicting setting: `Some(true)` keeps yours,
    /// `None` decides on the whole file instead.
    fn ask_one_setting(&self, local: &[String], upstream: &[String]) -> Result<Option<bool>> {
        let show = |lines: &[String]| -> String {
            let text: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
            if text.is_empty() {
                tr!("(nothing)")
            } else {
                text.join(" ⏎ ")
            }
        };
        let name = local
            .iter()
            .chain(upstream)
            .find_map(|l| merge::setting_name(l))
            .unwrap_or_default();
        let keep = tr!("keep yours: {lines}", lines = show(local));
        let take = tr!("take upstream's: {lines}", lines = show(upstream));
        let whole = tr!("decide on the whole file instead");
        let options = [keep.as_str(), take.as_str(), whole.as_str()];
        Ok(
            match self
                .ctx
                .prompt
                .select(&tr!("both changed `{name}`", name), &options, 0)?
            {
                0 => Some(true),
                1 => Some(false),
                _ => None,
            },
        )
    }

    /// For config.js / interface_config.js: when every conflict is a setting upstream removed or
    /// moved, ask about each setting by name instead of showing a merged file.
    fn ask_about_settings(&self, case: &ConflictCase) -> Result<Option<Resolution>> {
        let Ok(left) = merge::left_behind(case.base, case.local, case.upstream, crate::profile::moves::MOVES)
        else {
            return Ok(None);
        };
        if left.is_empty() || left.len() != case.merged.conflicts.len() {
            return Ok(None);
        }
        let mut content = case.merged.content.clone();
        let mut carry = Vec::new();
        for setting in &left {
            let path = setting.op.path().to_string();
            let (question, mut choices): (String, Vec<(SettingAnswer, String)>) = match setting.moved_to {
                Some(to) => (
                    tr!(
                        "upstream moved `{path}` to `{to_path}` in {to_file}",
                        path,
                        to_path = to.to_path,
                        to_file = to.to_file
                    ),
                    vec![
                        (
                            SettingAnswer::Carry,
                            tr!(
                                "carry the value {value} to {to_path} in {to_file}",
                                value = setting.value,
                                to_path = to.to_path,
                                to_file = to.to_file
                            ),
                        ),
                        (SettingAnswer::Keep, tr!("keep `{path}` here anyway", path)),
                        (SettingAnswer::Drop, tr!("drop it")),
                    ],
                ),
                None => (
                    tr!(
                        "upstream removed `{path}` (yours: {value})",
                        path,
                        value = setting.value
                    ),
                    vec![
                        (SettingAnswer::Keep, tr!("keep `{path}` anyway", path)),
                        (SettingAnswer::Drop, tr!("drop it")),
                    ],
                ),
            };
            choices.extend([
                (
                    SettingAnswer::Park,
                    tr!("park it for later (`jitsi-custom resolve`)"),
                ),
                (SettingAnswer::Abort, tr!("abort (change nothing)")),
            ]);
            let options: Vec<&str> = choices.iter().map(|(_, label)| label.as_str()).collect();
            let picked = self.ctx.prompt.select(&question, &options, 0)?;
            let picked = choices[picked].0;
            if picked == SettingAnswer::Carry
                && let Some(to) = setting.moved_to
            {
                carry.push(Carry {
                    to_file: to.to_file,
                    to_path: to.to_path.to_string(),
                    value: setting.value.clone(),
                });
            } else if picked == SettingAnswer::Keep {
                match merge::apply_ops(&content, std::slice::from_ref(&setting.op)) {
                    Ok(updated) => content = updated,
                    Err(e) => {
                        self.ctx
                            .say(tr!("cannot keep `{path}`: {error}", path, error = e.shown()));
                        return Ok(None);
                    }
                }
            } else if picked == SettingAnswer::Park {
                return Ok(Some(Resolution::Park));
            } else if picked == SettingAnswer::Abort {
                return Err(Error::Aborted.into());
            }
        }
        Ok(Some(Resolution::Settled { content, carry }))
    }

    /// Opens `$VISUAL`/`$EDITOR` on the merged file; accepted only without markers and valid.
    fn edit(&self, case: &ConflictCase) -> Result<Option<Vec<u8>>> {
        Ok(self
            .edit_text(&case.merged.content, extension(case))?
            .and_then(|edited| self.accept(case, edited)))
    }

    /// Opens `$VISUAL`/`$EDITOR` on `content`; `None` when it is not text or nothing was saved.
    fn edit_text(&self, content: &[u8], extension: &str) -> Result<Option<Vec<u8>>> {
        let Ok(text) = std::str::from_utf8(content) else {
            self.ctx
                .say(tr!("this file is not text; keep one side or use a merge tool"));
            return Ok(None);
        };
        match self.ctx.prompt.edit(text, extension) {
            Ok(Some(edited)) => Ok(Some(edited.into_bytes())),
            Ok(None) => {
                self.ctx
                    .say(tr!("the editor closed without saving; nothing changed"));
                Ok(None)
            }
            Err(e) => {
                self.ctx.say(tr!(
                    "cannot run the editor: {error}\nhint: set VISUAL or EDITOR",
                    error = e
                ));
                Ok(None)
            }
        }
    }

    fn accept(&self, case: &ConflictCase, content: Vec<u8>) -> Option<Vec<u8>> {
        if merge::has_conflict_markers(&content) {
            self.ctx
                .say(tr!("conflict markers are still in the file; not accepted"));
            return None;
        }
        if let Err(problem) = crate::validate::validate_file(&self.ctx.root, case.path, &content) {
            self.ctx.say(tr!(
                "the result does not validate: {problem}; not accepted",
                problem = crate::i18n::shown(&problem)
            ));
            return None;
        }
        Some(content)
    }

    fn show_diff(&self, case: &ConflictCase) -> Result<()> {
        let mut err = std::io::stderr().lock();
        let rel = case.path.as_rel();
        writeln!(
            err,
            "\n# {}",
            tr!("the customisation ({name}):", name = case.patch)
        )?;
        write_unified(&mut err, rel, case.base, case.local, self.ctx.color)?;
        writeln!(err, "\n# {}", tr!("upstream's change:"))?;
        write_unified(&mut err, rel, case.base, case.upstream, self.ctx.color)?;
        Ok(())
    }

    fn run_merge_tool(&self, case: &ConflictCase) -> Result<Option<Vec<u8>>> {
        let Some(tool) = &self.merge_tool else {
            self.ctx.say(tr!(
                "no merge tool configured\nhint: set merge_tool in jitsi-custom.toml, or give --merge-tool (JITSI_CUSTOM_MERGETOOL), e.g. \"{example}\"",
                example = "meld {local} {base} {upstream} -o {output}"
            ));
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let name = case.path.file_name();
        let file = |side: &str, content: &[u8]| -> Result<String> {
            let path = dir.path().join(format!("{side}.{name}"));
            std::fs::write(&path, content)?;
            Ok(path.display().to_string())
        };
        let (base, local, upstream) = (
            file("base", case.base)?,
            file("local", case.local)?,
            file("upstream", case.upstream)?,
        );
        let output = file("merged", &case.merged.content)?;
        let command = tool
            .replace("{base}", &shell_quote(&base))
            .replace("{local}", &shell_quote(&local))
            .replace("{upstream}", &shell_quote(&upstream))
            .replace("{output}", &shell_quote(&output));
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .status()?;
        if !status.success() {
            self.ctx.say(tr!(
                "the merge tool exited with {status}; nothing changed",
                status
            ));
            return Ok(None);
        }
        Ok(self.accept(case, std::fs::read(&output)?))
    }
}

/// `line` with the leading whitespace of `model`.
fn with_indent_of(line: &str, model: &str) -> String {
    let indent: String = model.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    format!("{indent}{}", line.trim_start())
}

fn extension<'a>(case: &ConflictCase<'a>) -> &'a str {
    case.path
        .file_name()
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .unwrap_or("txt")
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
