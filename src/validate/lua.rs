//! Lua syntax check for Prosody's configuration (`/etc/prosody/conf.avail/<domain>.cfg.lua`).
//!
//! Prosody loads its configuration as Lua 5.4 source, so a file that full_moon cannot parse as
//! Lua 5.4 would stop Prosody, and with it every Jitsi meeting. Prosody's own statements
//! (`VirtualHost "x"`, `Component "x" "y"`) are plain Lua calls with string arguments and parse as
//! such.

use full_moon::tokenizer::{Lexer, LexerResult, Symbol, TokenType, TokenizerErrorType};
use full_moon::{Error, LuaVersion};

use super::{MAX_NESTING, one_line, run_parser};

/// Blocks and brackets nest deeper in full_moon's parser frames than anything else (tens of KiB per
/// level in a debug build), so the bound for them is lower than [`MAX_NESTING`]; Prosody
/// configurations nest a handful of levels.
const MAX_BLOCK_NESTING: usize = 200;

/// Checks `text` as Lua 5.4; the error names the first problem and its line and column.
pub(super) fn check_lua(text: &str) -> Result<(), String> {
    // full_moon 3 reaches `unreachable!()` on a backtick outside a string unless built for
    // CfxLua. `$` is just as invalid in Lua 5.4 and has the same length, so the swap keeps every
    // position and turns the panic into an ordinary "unexpected character" error.
    let tokenizable = text.replace('`', "$");
    run_parser("Lua", || {
        refuse_deep_lua(&tokenizable)?;
        let parsed = full_moon::parse_fallible(&tokenizable, LuaVersion::lua54());
        // A tokenizer error (a stray character, an unclosed string) is the cause of whatever
        // the parser then stumbles over, so it is the one worth reporting.
        let errors = parsed.errors();
        let first = errors
            .iter()
            .find(|e| matches!(e, Error::TokenizerError(_)))
            .or_else(|| errors.first());
        match first {
            None => Ok(()),
            Some(error) => Err(describe_error(error, text)),
        }
    })
}

fn describe_error(error: &Error, original: &str) -> String {
    let (start, _) = error.range();
    let message = match error {
        Error::AstError(ast) => one_line(ast.error_message()),
        Error::TokenizerError(token) => match token.error() {
            TokenizerErrorType::UnexpectedToken('$')
                if original.as_bytes().get(start.bytes()) == Some(&b'`') =>
            {
                crate::english!("unexpected character {character}", character = "`")
            }
            other => one_line(&other.to_string()),
        },
    };
    // Errors at phantom tokens carry no position (line 0).
    if start.line() == 0 {
        crate::english!("invalid Lua: {message}", message)
    } else {
        crate::english!(
            "invalid Lua at line {line}, column {column}: {message}",
            line = start.line(),
            column = start.character(),
            message
        )
    }
}

/// Refuses input whose nesting could exhaust the parser's stack, counting on real tokens (so
/// comments and strings do not count): blocks (`do`, `if`, `function`, `repeat` … `end`/`until`)
/// and brackets, and runs of operators without a `,`, `;`, `=` or statement keyword between them
/// (`not not not x`, `a .. b .. c`), which the expression parser descends into one by one.
fn refuse_deep_lua(text: &str) -> Result<(), String> {
    let mut lexer = Lexer::new_lazy(text, LuaVersion::lua54());
    let mut depth: usize = 0;
    let mut operator_run: usize = 0;
    // Every token consumes at least one character; the bound only guards against a lexer that
    // stops advancing after an error.
    for _ in 0..text.len() + 2 {
        let token = match lexer.process_next() {
            None => break,
            Some(LexerResult::Ok(token) | LexerResult::Recovered(token, _)) => token,
            Some(LexerResult::Fatal(_)) => continue,
        };
        let symbol = match token.token_type() {
            TokenType::Eof => break,
            TokenType::Symbol { symbol } => *symbol,
            _ => continue,
        };
        match symbol {
            Symbol::Do
            | Symbol::If
            | Symbol::Function
            | Symbol::Repeat
            | Symbol::LeftParen
            | Symbol::LeftBracket
            | Symbol::LeftBrace => {
                depth += 1;
                operator_run = 0;
            }
            Symbol::End | Symbol::Until | Symbol::RightParen | Symbol::RightBracket | Symbol::RightBrace => {
                depth = depth.saturating_sub(1);
                operator_run = 0;
            }
            Symbol::Comma
            | Symbol::Semicolon
            | Symbol::Equal
            | Symbol::Local
            | Symbol::Return
            | Symbol::Then
            | Symbol::Else
            | Symbol::ElseIf
            | Symbol::While
            | Symbol::For
            | Symbol::In
            | Symbol::Break
            | Symbol::Goto => operator_run = 0,
            Symbol::Nil | Symbol::True | Symbol::False | Symbol::Dot | Symbol::Colon => {}
            _ => operator_run += 1,
        }
        if depth > MAX_BLOCK_NESTING || operator_run > MAX_NESTING {
            let position = token.start_position();
            return Err(crate::english!(
                "invalid Lua at line {line}, column {column}: {message}",
                line = position.line(),
                column = position.character(),
                message = crate::english!("nested too deeply to check")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSODY_CFG: &str = r#"-- Prosody configuration for tele.praxis.de
plugin_paths = { "/usr/share/jitsi-meet/prosody-plugins/" }

-- domain mapper options, must at least have domain base set to use the mapper
muc_mapper_domain_base = "tele.praxis.de";

external_service_secret = "s3cr3t";
external_services = {
     { type = "stun", host = "tele.praxis.de", port = 3478 },
     { type = "turn", host = "tele.praxis.de", port = 3478, transport = "udp", secret = true, ttl = 86400, algorithm = "turn" },
};

cross_domain_bosh = false;
consider_bosh_secure = true;

VirtualHost "tele.praxis.de"
    authentication = "internal_hashed" -- do not change to anonymous
    ssl = {
        key = "/etc/prosody/certs/tele.praxis.de.key";
        certificate = "/etc/prosody/certs/tele.praxis.de.crt";
    }
    av_moderation_component = "avmoderation.tele.praxis.de"
    speakerstats_component = "speakerstats.tele.praxis.de"
    modules_enabled = {
        "bosh";
        "pubsub";
        "ping"; -- Enable mod_ping
        "speakerstats";
        "external_services";
        "conference_duration";
        "muc_lobby_rooms";
        "av_moderation";
    }
    c2s_require_encryption = false
    lobby_muc = "lobby.tele.praxis.de"
    main_muc = "conference.tele.praxis.de"

VirtualHost "guest.tele.praxis.de"
    authentication = "anonymous"
    c2s_require_encryption = false

Component "conference.tele.praxis.de" "muc"
    restrict_room_creation = true
    storage = "memory"
    modules_enabled = {
        "muc_meeting_id";
        "muc_domain_mapper";
        "polls";
    }
    admins = { "focus@auth.tele.praxis.de" }
    muc_room_locking = false
    muc_room_default_public_jids = true

Component "internal.auth.tele.praxis.de" "muc"
    storage = "memory"
    modules_enabled = { "ping"; }
    admins = { "focus@auth.tele.praxis.de", "jvb@auth.tele.praxis.de" }

Component "focus.tele.praxis.de" "client_proxy"
    target_address = "focus@auth.tele.praxis.de"

local function is_healthy(room)
    if room == nil then
        return false
    end
    return #room.name > 0 and not room.hidden
end
"#;

    #[test]
    fn prosody_configuration_passes() {
        assert_eq!(check_lua(PROSODY_CFG), Ok(()));
    }

    #[test]
    fn missing_end_fails_with_its_line() {
        let broken = PROSODY_CFG.replace("        return false\n    end\n", "        return false\n");
        let err = check_lua(&broken).unwrap_err();
        assert!(err.starts_with("invalid Lua at line "), "{err}");
        assert!(err.contains("end"), "{err}");
    }

    #[test]
    fn unclosed_table_fails_with_its_line() {
        let broken = "VirtualHost \"tele.praxis.de\"\n    modules_enabled = {\n        \"bosh\";\n\nComponent \"x\" \"muc\"\n    storage = \"memory\"\n";
        let err = check_lua(broken).unwrap_err();
        // `Component "x" "muc"` and `storage = …` are valid table fields, so Lua only notices
        // the missing `}` at the end of the file.
        assert!(err.starts_with("invalid Lua at line 6, column "), "{err}");
        assert!(err.contains("expected `}`"), "{err}");
    }

    #[test]
    fn unclosed_string_fails_with_its_line() {
        let err = check_lua("a = 1\nb = \"open\n").unwrap_err();
        assert!(
            err.starts_with("invalid Lua at line 2, column 5: unclosed string"),
            "{err}"
        );
    }

    #[test]
    fn backtick_is_an_unexpected_character_not_a_panic() {
        let err = check_lua("-- `quoted` in a comment is fine\nx = `a`\n").unwrap_err();
        assert_eq!(err, "invalid Lua at line 2, column 5: unexpected character `");
    }

    #[test]
    fn deep_blocks_are_refused_before_parsing() {
        let deep = format!("{}{}", "do ".repeat(5000), "end ".repeat(5000));
        let err = check_lua(&deep).unwrap_err();
        assert!(err.contains("nested too deeply"), "{err}");
        let chain = format!("x = {}1", "not ".repeat(50_000));
        assert!(check_lua(&chain).unwrap_err().contains("nested too deeply"));
    }

    #[test]
    fn words_in_comments_and_strings_do_not_count_as_nesting() {
        let text = format!(
            "-- {}\nx = \"{}\"\n",
            "do (".repeat(5000),
            "function {".repeat(5000)
        );
        assert_eq!(check_lua(&text), Ok(()));
    }
}
