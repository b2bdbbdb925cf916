//! `--help` in German. clap takes its texts from the doc comments of this module's structs, which
//! stay English (they are the man pages' source too); when the messages are German, the built
//! command has each text replaced by its translation from the catalogue, and clap's own headings
//! by German ones. [`help_texts`] lists the English texts for the catalogue check.

use std::ffi::OsString;

use crate::tr;
use clap::{Arg, Command, CommandFactory, FromArgMatches};

use super::Cli;
use crate::i18n;

/// Parses the command line. The German command is built only when clap has something to say
/// (`--help`, a refusal): translating every text of every verb takes time each run, the apt
/// hook's too, and parses nothing differently.
pub fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    parse_with(Cli::command(), args).or_else(|err| {
        if i18n::is_german() {
            parse_with(command(), args)
        } else {
            Err(err)
        }
    })
}

fn parse_with(mut cmd: Command, args: &[OsString]) -> Result<Cli, clap::Error> {
    cmd.try_get_matches_from_mut(args)
        .and_then(|matches| Cli::from_arg_matches(&matches).map_err(|err| err.format(&mut cmd)))
}

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
    let notes = annotations(&arg);
    let help = arg.get_help().map(|text| i18n::translate(&text.to_string()));
    let long_help = arg.get_long_help().map(|text| i18n::translate(&text.to_string()));
    let mut arg = arg.help_heading(heading);
    if !notes.is_empty() {
        // clap writes these in English; they are written here instead, in German.
        let aliases: Vec<String> = arg
            .get_visible_aliases()
            .unwrap_or_default()
            .iter()
            .map(|a| a.to_string())
            .collect();
        arg = arg
            .hide_env(true)
            .hide_default_value(true)
            .hide_possible_values(true)
            .alias(None);
        for alias in aliases {
            arg = arg.alias(alias);
        }
    }
    if let Some(help) = help {
        arg = arg.help(join(help, &notes, " "));
    }
    if let Some(long_help) = long_help {
        arg = arg.long_help(join(long_help, &notes, "\n\n"));
    }
    arg
}

/// What clap adds to an option's help in brackets (environment variable, default, possible
/// values, aliases), in German.
fn annotations(arg: &Arg) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(name) = arg.get_env().filter(|_| !arg.is_hide_env_set()) {
        notes.push(tr!("[env: {name}]", name = name.to_string_lossy()));
    }
    let takes_values = arg.get_action().takes_values();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if takes_values && !defaults.is_empty() && !arg.is_hide_default_value_set() {
        notes.push(tr!("[default: {value}]", value = defaults.join(" ")));
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| value.get_name().to_owned())
        .collect();
    if takes_values && !values.is_empty() && !arg.is_hide_possible_values_set() {
        notes.push(tr!("[possible values: {values}]", values = values.join(", ")));
    }
    let aliases: Vec<String> = arg
        .get_visible_aliases()
        .unwrap_or_default()
        .iter()
        .map(|a| format!("--{a}"))
        .collect();
    if !aliases.is_empty() {
        notes.push(tr!(
            "[alias: {aliases}]" | "[aliases: {aliases}]" % aliases.len(),
            aliases = aliases.join(", ")
        ));
    }
    notes
}

fn join(text: String, notes: &[String], separator: &str) -> String {
    if notes.is_empty() {
        return text;
    }
    let between = if separator == " " { " " } else { "\n" };
    format!("{text}{separator}{}", notes.join(between))
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

/// clap's own message for a command line it refused, in German; `None` for what clap prints
/// as it is (`--help`, `--version`) or a refusal without a German text yet (shown in English).
pub fn parse_error(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ErrorKind};

    if !i18n::is_german() {
        return None;
    }
    let context = |kind| err.get(kind).map(|value| value.to_string()).unwrap_or_default();
    let arg = context(ContextKind::InvalidArg);
    let value = context(ContextKind::InvalidValue);
    let message = match err.kind() {
        ErrorKind::UnknownArgument => tr!("unexpected argument '{arg}'", arg),
        ErrorKind::InvalidSubcommand => {
            tr!(
                "unknown command '{command}'",
                command = context(ContextKind::InvalidSubcommand)
            )
        }
        ErrorKind::InvalidValue if value.is_empty() => tr!("'{arg}' needs a value", arg),
        ErrorKind::InvalidValue => tr!(
            "invalid value '{value}' for '{arg}'; possible values: {valid}",
            value,
            arg,
            valid = context(ContextKind::ValidValue)
        ),
        ErrorKind::ValueValidation => {
            let reason = std::error::Error::source(err)
                .map(ToString::to_string)
                .unwrap_or_default();
            tr!(
                "invalid value '{value}' for '{arg}': {reason}",
                value,
                arg,
                reason
            )
        }
        ErrorKind::MissingRequiredArgument => tr!("required arguments are missing: {arg}", arg),
        ErrorKind::MissingSubcommand => tr!("a command is missing"),
        ErrorKind::ArgumentConflict => tr!(
            "'{arg}' cannot be used with '{other}'",
            arg,
            other = context(ContextKind::PriorArg)
        ),
        ErrorKind::TooManyValues => tr!("unexpected value '{value}' for '{arg}'", value, arg),
        ErrorKind::NoEquals => tr!("'{arg}' takes its value with '=': {arg}=VALUE", arg),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            tr!("'{arg}' has the wrong number of values", arg)
        }
        _ => return None,
    };
    let mut text = format!("{}: {message}\n", tr!("error"));
    let suggestion = [
        ContextKind::SuggestedArg,
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .map(context)
    .find(|suggestion| !suggestion.is_empty());
    if let Some(suggestion) = suggestion {
        text.push_str(&format!(
            "\n  {}\n",
            tr!("hint: did you mean '{suggestion}'?", suggestion)
        ));
    }
    let usage = context(ContextKind::Usage);
    if let Some(usage) = usage.strip_prefix("Usage:") {
        text.push_str(&format!("\n{}{usage}\n", tr!("Usage:")));
    }
    text.push_str(&format!("\n{}\n", tr!("For more information, try '--help'.")));
    Some(text)
}
