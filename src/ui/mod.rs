//! Talking to the person at the terminal: colour choice, diff rendering, prompts.

pub mod diff;
pub mod prompt;

use anstyle::{AnsiColor, Style};

/// The styles of the tool's output, in one place.
pub const REMOVED: Style = AnsiColor::Red.on_default();
pub const ADDED: Style = AnsiColor::Green.on_default();
pub const HUNK: Style = AnsiColor::Cyan.on_default();
pub const HEADING: Style = Style::new().bold();
pub const GOOD: Style = AnsiColor::Green.on_default();
pub const INFO: Style = AnsiColor::Cyan.on_default();
pub const BAD: Style = AnsiColor::Red.on_default().bold();

/// `text` in `style` when colour is on, else as it is.
pub fn paint(text: impl std::fmt::Display, style: Style, color: bool) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// Whether output is coloured, decided once from `--color`, `NO_COLOR` and the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// The words `--color` takes.
    pub const NAMES: [&'static str; 3] = ["auto", "always", "never"];

    pub fn from_name(name: &str) -> Option<ColorChoice> {
        match name {
            "auto" => Some(ColorChoice::Auto),
            "always" => Some(ColorChoice::Always),
            "never" => Some(ColorChoice::Never),
            _ => None,
        }
    }

    /// Whether to colour: `auto` colours a terminal unless the person asked for no colour
    /// (`NO_COLOR`, which the command line reads).
    pub fn enabled(self, is_terminal: bool, no_color: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        }
    }
}
