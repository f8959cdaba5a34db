//! keycard: device-flow sign-in for OAuth 2.0 / OpenID Connect, one session per profile.

// keycard brings its own C `main` instead of std's start-up, which reads and parses
// /proc/self/maps to place a stack guard for the main thread. For `status --short` in a
// prompt that pulled stdio and scanf into memory: 0.1 MiB of a 2.9 MiB peak RSS (and a
// fifth of the run time while keycard was dynamically linked; README "Performance").
// What keycard needs from std's start-up is redone in `main` below.
#![cfg_attr(not(test), no_main)]

mod browser;
mod cli;
mod cmd;
mod config;
mod env;
mod exit;
mod fsio;
mod http;
mod identity;
mod oauth;
mod paths;
mod secret;
mod signals;
mod state;
mod ui;

use clap::Parser;
use std::io::IsTerminal;

#[cfg_attr(not(test), unsafe(no_mangle))]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // As std's start-up does: a closed stdout is an EPIPE error, not death by SIGPIPE.
    // SAFETY: no other thread exists yet; SIG_IGN is a valid disposition for SIGPIPE.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let args = arguments(argc, argv);
    // As std's start-up does: a panic (always a bug) exits 101 after its message.
    let code = std::panic::catch_unwind(|| run(args)).unwrap_or(101);
    // std's exit path flushes stdout; returning from C `main` does not.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    code
}

/// The command line as the C runtime passed it (std only captures it on some platforms
/// when its own start-up does not run).
#[cfg(unix)]
fn arguments(
    argc: std::ffi::c_int,
    argv: *const *const std::ffi::c_char,
) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStrExt;
    (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: the C runtime passes argc valid NUL-terminated strings in argv.
            let arg = unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) };
            std::ffi::OsStr::from_bytes(arg.to_bytes()).to_owned()
        })
        .collect()
}

#[cfg(not(unix))]
fn arguments(_: std::ffi::c_int, _: *const *const std::ffi::c_char) -> Vec<std::ffi::OsString> {
    std::env::args_os().collect()
}

fn run(args: Vec<std::ffi::OsString>) -> std::ffi::c_int {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return e.exit_code().clamp(0, 255);
        }
    };
    set_colors(cli.global.color);
    // `status` writes nothing, so it needs no guard against Ctrl-C mid-write; skipping
    // the signal thread keeps a prompt's call as cheap as starting a process.
    if !matches!(cli.command, cli::Command::Status(_)) {
        signals::install();
    }
    // A prompt must never show an error, whatever is broken (no home directory, ...).
    let prompt = matches!(&cli.command, cli::Command::Status(a) if a.short || a.format.is_some());
    let result = env::Env::new(&cli.global)
        .map_err(|e| {
            if prompt {
                exit::silent(exit::code_of(&e))
            } else {
                e
            }
        })
        .and_then(|env| cmd::run(cli.command, &env));
    match result {
        Ok(()) => 0,
        Err(e) if exit::is_broken_pipe(&e) => 0,
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
            code as std::ffi::c_int
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
