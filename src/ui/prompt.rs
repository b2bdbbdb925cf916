//! Questions to the person at the terminal, behind a trait so that code asking them does not care
//! whether a terminal exists: without one, every question is an error the caller turns into
//! "park and report".

use std::io::IsTerminal;

use crate::tr;

use crate::error::Error;

pub trait Prompt {
    /// Picks one of `choices`; returns its index.
    fn select(&self, question: &str, choices: &[&str], default: usize) -> Result<usize, Error>;
    fn confirm(&self, question: &str, default: bool) -> Result<bool, Error>;
    /// Picks any of `choices` (`defaults[i]`: choice `i` starts picked); returns their indices.
    fn multi_select(&self, question: &str, choices: &[&str], defaults: &[bool]) -> Result<Vec<usize>, Error>;
    /// Asks for one line of text, offering `default`.
    fn input(&self, question: &str, default: Option<&str>) -> Result<String, Error>;
    /// Opens `$VISUAL`/`$EDITOR` on `text` (in a file ending in `.extension`); `Ok(None)` when
    /// the editor closed without saving, `Err` with the reason when it could not run.
    fn edit(&self, text: &str, extension: &str) -> Result<Option<String>, String>;
    fn is_interactive(&self) -> bool;
}

/// dialoguer on the terminal.
pub struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn select(&self, question: &str, choices: &[&str], default: usize) -> Result<usize, Error> {
        dialoguer::Select::new()
            .with_prompt(question)
            .items(choices)
            .default(default)
            .interact()
            .map_err(|_| Error::Aborted)
    }

    fn confirm(&self, question: &str, default: bool) -> Result<bool, Error> {
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(default)
            .interact()
            .map_err(|_| Error::Aborted)
    }

    fn multi_select(&self, question: &str, choices: &[&str], defaults: &[bool]) -> Result<Vec<usize>, Error> {
        dialoguer::MultiSelect::new()
            .with_prompt(question)
            .items(choices)
            .defaults(defaults)
            .interact()
            .map_err(|_| Error::Aborted)
    }

    fn input(&self, question: &str, default: Option<&str>) -> Result<String, Error> {
        let mut input = dialoguer::Input::<String>::new().with_prompt(question);
        if let Some(default) = default {
            input = input.default(default.to_string());
        }
        input.interact_text().map_err(|_| Error::Aborted)
    }

    fn edit(&self, text: &str, extension: &str) -> Result<Option<String>, String> {
        // Regression: dialoguer wants the extension with its dot, and by default strips the
        // file's final newline from what the editor saved (tests/prompts.rs pins both).
        dialoguer::Editor::new()
            .extension(&format!(".{extension}"))
            .trim_newlines(false)
            .edit(text)
            .map_err(|e| e.to_string())
    }

    fn is_interactive(&self) -> bool {
        true
    }
}

/// No terminal, or `--non-interactive`: nobody to ask.
pub struct NoPrompt;

impl Prompt for NoPrompt {
    fn select(&self, question: &str, _: &[&str], _: usize) -> Result<usize, Error> {
        Err(Error::NotInteractive(tr!(
            "cannot ask without a terminal: {question}",
            question
        )))
    }

    fn confirm(&self, question: &str, _: bool) -> Result<bool, Error> {
        Err(Error::NotInteractive(tr!(
            "cannot ask without a terminal: {question}",
            question
        )))
    }

    fn multi_select(&self, question: &str, _: &[&str], _: &[bool]) -> Result<Vec<usize>, Error> {
        Err(Error::NotInteractive(tr!(
            "cannot ask without a terminal: {question}",
            question
        )))
    }

    fn input(&self, question: &str, _: Option<&str>) -> Result<String, Error> {
        Err(Error::NotInteractive(tr!(
            "cannot ask without a terminal: {question}",
            question
        )))
    }

    fn edit(&self, _: &str, _: &str) -> Result<Option<String>, String> {
        Err(tr!("there is no terminal to edit on"))
    }

    fn is_interactive(&self) -> bool {
        false
    }
}

/// The prompt for this run: the terminal when stdin and stderr are terminals and the run may ask.
pub fn for_run(allow_questions: bool) -> Box<dyn Prompt> {
    if allow_questions && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        Box::new(TerminalPrompt)
    } else {
        Box::new(NoPrompt)
    }
}
