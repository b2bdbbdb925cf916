//! `jitsi-custom`: parse the command line, run it, map the result to the exit code of the contract.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use jitsi_custom::cli::{self, Outcome};

fn main() -> ExitCode {
    jitsi_custom::system::arm_crash_points();
    jitsi_custom::i18n::init_from_env();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match cli::localize::parse(&args) {
        Ok(cli) => cli,
        Err(err) => {
            match cli::localize::parse_error(&err) {
                Some(german) => eprint!("{german}"),
                None => {
                    let _ = err.print();
                }
            }
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match cli::run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Attention) => ExitCode::from(1),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "{}: {}",
                jitsi_custom::tr!("error"),
                jitsi_custom::i18n::shown_chain(&err)
            );
            ExitCode::from(jitsi_custom::error::exit_code_of(&err) as u8)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let kind = match (
            cause.downcast_ref::<std::io::Error>(),
            cause.downcast_ref::<serde_json::Error>(),
        ) {
            (Some(io), _) => Some(io.kind()),
            (_, Some(json)) => json.io_error_kind(),
            _ => None,
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
