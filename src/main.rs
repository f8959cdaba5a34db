//! keycard: device-flow sign-in for OAuth 2.0 / OpenID Connect, one session per profile.

mod browser;
mod cli;
mod cmd;
mod config;
mod env;
mod exit;
mod fsio;
mod http;
mod identity;
mod lock;
mod oauth;
mod paths;
mod presets;
mod secret;
mod session;
mod signals;
mod state;
mod ui;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    set_colors(cli.global.color);
    signals::install();
    let result = env::Env::new(&cli.global).and_then(|env| cmd::run(cli.command, &env));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if exit::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = exit::code_of(&e);
            // `{:#}` is the whole chain on one line, never a backtrace.
            let message = format!("{e:#}");
            if !message.is_empty() {
                eprintln!(
                    "{} {message}",
                    console::style("keycard: error:").red().bold()
                );
            }
            ExitCode::from(code as u8)
        }
    }
}

/// Colour only for terminals, never under CI or NO_COLOR, unless `--color always`.
fn set_colors(choice: cli::ColorChoice) {
    let env_allows = || {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var_os("CI").is_none_or(|v| v.is_empty())
            && std::env::var("TERM").map_or(true, |t| t != "dumb")
    };
    let (stdout, stderr) = match choice {
        cli::ColorChoice::Always => (true, true),
        cli::ColorChoice::Never => (false, false),
        cli::ColorChoice::Auto => (
            env_allows() && std::io::stdout().is_terminal(),
            env_allows() && std::io::stderr().is_terminal(),
        ),
    };
    console::set_colors_enabled(stdout);
    console::set_colors_enabled_stderr(stderr);
}
