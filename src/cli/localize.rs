//! `--help` in German. clap takes its texts from the doc comments of this module's structs, which
//! stay English (they are the man pages' source too); when the messages are German, the built
//! command has each text replaced by its translation from the catalogue, and clap's own headings
//! by German ones. [`help_texts`] lists the English texts for the catalogue check.

use clap::{Arg, Command, CommandFactory};
use tr::tr;

use super::Cli;
use crate::i18n;

/// The command line as clap parses it: German when the messages are.
pub fn command() -> Command {
    let mut cmd = Cli::command();
    if !i18n::is_german() {
        return cmd;
    }
    // Built first, so that clap's generated `--help`/`--version` and the global options copied
    // into every verb are there to be translated.
    cmd.build();
    translate(cmd)
}

fn translate(cmd: Command) -> Command {
    let usage = tr!("Usage:");
    let template =
        format!("{{before-help}}{{about-with-newline}}\n{usage} {{usage}}\n\n{{all-args}}{{after-help}}");
    let mut cmd = cmd
        .help_template(template)
        .subcommand_help_heading(tr!("Commands"))
        .subcommand_value_name(tr!("COMMAND"));
    if let Some(text) = cmd.get_about().map(|text| i18n::translate(&text.to_string())) {
        cmd = cmd.about(text);
    }
    if let Some(text) = cmd
        .get_long_about()
        .map(|text| i18n::translate(&text.to_string()))
    {
        cmd = cmd.long_about(text);
    }
    if let Some(text) = cmd
        .get_after_help()
        .map(|text| i18n::translate(&text.to_string()))
    {
        cmd = cmd.after_help(text);
    }
    if let Some(text) = cmd
        .get_after_long_help()
        .map(|text| i18n::translate(&text.to_string()))
    {
        cmd = cmd.after_long_help(text);
    }
    let ids: Vec<_> = cmd.get_arguments().map(|arg| arg.get_id().clone()).collect();
    for id in ids {
        cmd = cmd.mut_arg(id, translate_arg);
    }
    let names: Vec<_> = cmd
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, translate);
    }
    cmd
}

fn translate_arg(arg: Arg) -> Arg {
    let heading = match arg.get_help_heading() {
        Some(heading) => i18n::translate(heading),
        None if arg.is_positional() => tr!("Arguments"),
        None => tr!("Options"),
    };
    let help = arg.get_help().map(|text| i18n::translate(&text.to_string()));
    let long_help = arg.get_long_help().map(|text| i18n::translate(&text.to_string()));
    let mut arg = arg.help_heading(heading);
    if let Some(help) = help {
        arg = arg.help(help);
    }
    if let Some(long_help) = long_help {
        arg = arg.long_help(long_help);
    }
    arg
}

/// Every English text of `--help` that [`command`] translates, in the order they appear: what
/// the catalogue `po/de.po` must hold.
pub fn help_texts() -> Vec<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut texts = Vec::new();
    collect(&cmd, &mut texts);
    let mut seen = std::collections::HashSet::new();
    texts.retain(|text| !text.is_empty() && seen.insert(text.clone()));
    texts
}

fn collect(cmd: &Command, texts: &mut Vec<String>) {
    let styled = [
        cmd.get_about(),
        cmd.get_long_about(),
        cmd.get_after_help(),
        cmd.get_after_long_help(),
    ];
    texts.extend(styled.into_iter().flatten().map(|text| text.to_string()));
    for arg in cmd.get_arguments() {
        texts.extend(arg.get_help_heading().map(str::to_owned));
        texts.extend(
            [arg.get_help(), arg.get_long_help()]
                .into_iter()
                .flatten()
                .map(|t| t.to_string()),
        );
    }
    for sub in cmd.get_subcommands() {
        collect(sub, texts);
    }
}
