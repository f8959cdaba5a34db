//! `keycard exec -- CMD ARGS...`: runs CMD with a fresh access token in `$KEYCARD_TOKEN`
//! (or `--env NAME`) and the profile in `$KEYCARD_PROFILE`.
//!
//! On Unix keycard does not start CMD as a child: it becomes CMD (execvp). CMD's exit
//! status, signals, stdin and terminal, and pid are then its own, with no forwarding code
//! that could get them wrong. Nothing of keycard's survives the exec: std opens every file
//! and socket close-on-exec (the profile lock is released with it), exec resets the
//! signal handlers, and std restores the SIGPIPE that Rust programs ignore.

use crate::cli::ExecArgs;
use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::session;
use anyhow::Result;
use chrono::TimeDelta;
use std::ffi::OsStr;
use std::process::Command;

pub fn run(args: ExecArgs, env: &Env) -> Result<()> {
    let Some((program, rest)) = args.command.split_first() else {
        return Err(exit::usage(
            "exec needs a command: keycard exec -- CMD ARGS...",
        ));
    };
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let need = session::Need {
        min_ttl: args
            .min_ttl
            .and_then(|d| TimeDelta::from_std(d).ok())
            .unwrap_or(TimeDelta::zero()),
        id_token: false,
    };
    // Never a login: without a session this ends with exit 3 and CMD is not run.
    let tokens = session::fresh_tokens(env, &config, &name, need)?;

    let mut command = Command::new(program);
    command
        .args(rest)
        .env(&args.env_var, tokens.access_token.expose())
        .env("KEYCARD_PROFILE", name.as_str())
        // A keycard that CMD runs acts on the same session as the token it was given.
        .env("KEYCARD_CONFIG_DIR", env.paths.dir());
    Err(become_command(command, program))
}

/// Replaces this process with `command`; returns only when that failed.
#[cfg(unix)]
fn become_command(mut command: Command, program: &OsStr) -> anyhow::Error {
    use std::os::unix::process::CommandExt;
    cannot_run(program, command.exec())
}

/// Without exec, a child whose exit code becomes keycard's.
#[cfg(not(unix))]
fn become_command(mut command: Command, program: &OsStr) -> anyhow::Error {
    match command.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => cannot_run(program, e),
    }
}

/// 127 for a command that is not there, 126 for one that cannot be run, like env(1).
fn cannot_run(program: &OsStr, err: std::io::Error) -> anyhow::Error {
    let shown = program.to_string_lossy();
    let is_path = shown.contains(std::path::MAIN_SEPARATOR) || shown.contains('/');
    match err.kind() {
        std::io::ErrorKind::NotFound if is_path => exit::fail(
            Code::CommandNotFound,
            format!("cannot run '{shown}': no such file (or its #! interpreter is missing)"),
        ),
        std::io::ErrorKind::NotFound => exit::fail(
            Code::CommandNotFound,
            format!("cannot run '{shown}': command not found on PATH"),
        ),
        std::io::ErrorKind::PermissionDenied => exit::fail(
            Code::CannotRun,
            format!(
                "cannot run '{shown}': permission denied (not an executable file? `chmod +x` it)"
            ),
        ),
        _ => exit::fail(
            Code::CannotRun,
            format!(
                "cannot run '{shown}': {}",
                lowercase_first(&err.to_string())
            ),
        ),
    }
}

/// io::Error reads "Exec format error (os error 8)"; keycard's messages start lowercase.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_the_exit_codes_of_env() {
        use std::io::{Error, ErrorKind};
        let code = |kind| exit::code_of(&cannot_run(OsStr::new("x"), Error::from(kind)));
        assert_eq!(code(ErrorKind::NotFound), Code::CommandNotFound);
        assert_eq!(code(ErrorKind::PermissionDenied), Code::CannotRun);
        assert_eq!(code(ErrorKind::InvalidInput), Code::CannotRun);
        let other = cannot_run(OsStr::new("x"), Error::from_raw_os_error(8));
        assert!(format!("{other:#}").starts_with("cannot run 'x': exec format"));
    }
}
