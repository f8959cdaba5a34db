//! keycard: device-flow sign-in for OAuth 2.0 / OpenID Connect, one session per profile.
//!
//! The modules form layers (`LAYERS` at the end of this file): each imports only from
//! layers below its own, and a unit test holds the source to that.

mod browser;
#[cfg(test)]
mod checks;
mod cli;
mod cmd;
mod config;
mod config_update;
mod credential;
mod echo;
mod env;
mod exit;
mod expiry;
mod fast_path;
mod fsio;
mod hint;
mod hosts;
mod http;
mod identity;
mod lock;
mod oauth;
mod paths;
mod presets;
mod profile_file;
#[cfg(test)]
mod property;
mod qr;
mod revocation;
mod secret;
mod session;
mod signals;
mod signin;
mod state;
mod stdin_value;
mod text;
mod trust;
mod ui;
mod url_rules;
mod userinfo;

use clap::Parser;
use std::io::IsTerminal;

// std's start-up is kept, though a C `main` would save 0.1 MiB for prompts (README
// "Performance"): it also reopens closed standard streams on /dev/null, so a token file
// can never be opened as fd 1.
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run())
}

fn run() -> u8 {
    no_core_dumps();
    let cli = match parse_command_line() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return e.exit_code().clamp(0, 255) as u8;
        }
    };
    set_colors(cli.global.color);
    // Only the commands that wait on a person or write config and token files as their
    // job start the Ctrl-C guard up front (exit 130, never mid-write). The rest read, or
    // hand a token to another program, and write only when a refresh does, which starts
    // the guard itself: a prompt's or a script's call stays as cheap as starting a
    // process, and `exec`'s command gets signals that are its own.
    if matches!(
        cli.command,
        cli::Command::Login(_) | cli::Command::Logout(_) | cli::Command::Config(_)
    ) {
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
        Ok(()) => exit::Code::Success as u8,
        Err(e) if exit::is_broken_pipe(&e) => exit::Code::Success as u8,
        Err(e) => {
            let code = exit::code_of(&e);
            // `{:#}` is the whole chain on one line, never a backtrace. Errors quote
            // providers (an error description, a discovery value, a content type): the
            // line is cleaned as a whole, so no path can forget to.
            let message = format!("{e:#}");
            let message = text::one_line(&message);
            if !message.is_empty() {
                eprintln!(
                    "{} {message}",
                    console::style("keycard: error:").red().bold()
                );
            }
            code as u8
        }
    }
}

/// The command line, where a program named `docker-credential-keycard` (a link to
/// keycard: docker runs `docker-credential-NAME` from PATH) means `keycard
/// docker-credential ...`. Only the program's file name is compared, so a prompt's
/// `keycard status` pays nothing for it. The prompt and script forms are read without
/// building clap's command (src/fast_path.rs); everything else, and every error, is clap's.
fn parse_command_line() -> Result<cli::Cli, clap::Error> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let docker = args
        .first()
        .and_then(|arg0| std::path::Path::new(arg0).file_stem())
        .is_some_and(|stem| stem == "docker-credential-keycard");
    if docker {
        args.splice(0..1, ["keycard".into(), "docker-credential".into()]);
    }
    let config_dir_env = std::env::var_os("KEYCARD_CONFIG_DIR");
    let cli = match fast_path::parse(args.get(1..).unwrap_or(&[]), config_dir_env.as_deref()) {
        Some(cli) => cli,
        None => cli::Cli::try_parse_from(&args)?,
    };
    hint::remember(
        &args,
        cli.global.config_dir.as_deref(),
        cli.global.profile.as_deref(),
    );
    Ok(cli)
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

/// Every command may hold a token or a client secret in memory (even `status` reads the
/// token file): no core file may carry one, and no other process of the same user may
/// read keycard's memory through ptrace or /proc/PID/mem. `exec` hands over to a command
/// that gets its own default back (execve resets the flag).
fn no_core_dumps() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes a plain integer and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// The module layers, lowest first. A module may import only from modules in lower
/// layers, so no two modules ever need each other and each can be read (and tested)
/// knowing only what is below it. `checks::no_module_imports_a_higher_one` holds the
/// source to this list, test code included.
#[cfg(test)]
const LAYERS: &[&[&str]] = &[
    // Test-only: proptest's settings, which any module's properties use.
    &["property"],
    // Leaves: no keycard imports at all (outside their tests).
    &[
        "cli", "echo", "exit", "expiry", "fsio", "hint", "qr", "secret", "text",
    ],
    // Rules about paths, URLs and signals; whose files keycard trusts (its fixes are
    // commands: `hint` quotes their paths); the prompt's command line read without clap.
    &[
        "fast_path",
        "paths",
        "signals",
        "stdin_value",
        "trust",
        "url_rules",
    ],
    // Values and transport that know no configuration.
    &["hosts", "http"],
    // The config file; the identity read from an ID token; `.keycard-profile`.
    &["config", "identity", "profile_file"],
    // The environment of one run; locks; provider presets.
    &["env", "lock", "presets"],
    // The OAuth protocol; the browser; changes to config.toml under its lock.
    &["oauth", "browser", "config_update"],
    // The token file; what people see; the sign-in a second `login` joins.
    &["state", "ui", "signin"],
    // A profile's session: refresh, sign-in required, discovery cache.
    &["session"],
    // What the credential helpers hand out; what userinfo says (whoami, status --check);
    // revoking a session that is being forgotten.
    &["credential", "revocation", "userinfo"],
    // The commands.
    &["cmd"],
    // The program, and the tests that hold the source to its own rules.
    &["main", "checks"],
];
