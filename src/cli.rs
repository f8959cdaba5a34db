//! The command line, as clap types only. This file imports nothing from the crate so the
//! man page generator (tests/man.rs) can include it on its own.
//!
//! House rules: every argument has a one-line doc comment (it becomes `--help` and the man
//! page); global options are `global = true` so they work before or after the command.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit status: 0 success, 1 error, 2 bad usage, 3 not signed in, 4 provider unreachable,
5 login denied or expired, 130 interrupted.

Examples:
  keycard config add work --issuer https://id.example.com --client-id my-cli
  keycard login --no-browser
  keycard status";

#[derive(Debug, Parser)]
#[command(
    name = "keycard",
    version,
    about = "Sign in to OAuth 2.0 / OpenID Connect providers with the device flow",
    long_about = "keycard signs you in to any OAuth 2.0 / OpenID Connect provider from a \
                  terminal with the Device Authorization Grant (RFC 8628), keeps one session \
                  per named profile, and hands fresh tokens to scripts and shell prompts.",
    after_help = AFTER_HELP,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Profile to act on [env: KEYCARD_PROFILE] (default: the active profile, else "default")
    #[arg(short = 'p', long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Directory holding config.toml and the token files
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "KEYCARD_CONFIG_DIR",
        hide_env_values = true
    )]
    pub config_dir: Option<PathBuf>,

    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only results and errors, no progress or hints
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Show HTTP requests and responses on stderr, with every secret redacted
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// When to use colour (NO_COLOR is honoured with auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `defer`: a subcommand's arguments are built only when that subcommand runs, so a
/// prompt's `status --short` does not pay for constructing every other command.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Sign in with the device flow and store the profile's tokens
    #[command(
        after_help = "Examples:\n  keycard login\n  keycard login --no-browser --profile prod\n  \
                            keycard login --issuer https://id.example.com --client-id my-cli --scope openid"
    )]
    Login(LoginArgs),

    /// Forget the profile's tokens
    Logout(LogoutArgs),

    /// Show the profile's session, offline (exit 0 when usable, 3 when not)
    #[command(
        after_help = "States: valid, refreshable (exit 0); expired, none (exit 3).\n\n\
                      --short prints `PROFILE:STATE` plus the time left when valid (prod:valid 42m),\n\
                      and nothing at all when the profile has no session. With --short or --format\n\
                      nothing ever goes to stderr: a broken file only sets a non-zero exit code.\n\n\
                      Examples:\n  keycard status --short\n  \
                      keycard status --format '{profile} {state} {expires_in}'\n  \
                      keycard status --all --json"
    )]
    Status(StatusArgs),

    /// Manage profiles in config.toml
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Do not open a browser; print the code and the link only
    #[arg(long)]
    pub no_browser: bool,

    /// Sign in again even if the current session is still valid
    #[arg(short, long)]
    pub force: bool,

    /// Scope to request instead of the profile's (repeatable)
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,

    /// Issuer to use for this run instead of the profile's
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// Client id to use for this run instead of the profile's
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One short line for a shell prompt (prod:valid 42m); nothing when not signed in
    #[arg(long, conflicts_with = "format")]
    pub short: bool,

    /// Print TEMPLATE, filling in {profile} {state} {expires_in} {user} {email} {issuer}
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,

    /// One row per profile in config.toml, marking the one in use (exit code: that one's)
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ConfigCommand {
    /// Make NAME the active profile for later commands
    Use {
        /// Profile name
        name: String,
    },

    /// List profiles, marking the active one
    List,

    /// Show a profile's settings (secrets hidden)
    Show {
        /// Profile name (default: the resolved profile)
        name: Option<String>,
    },

    /// Add a profile
    #[command(
        after_help = "Examples:\n  keycard config add work --issuer https://id.example.com --client-id my-cli\n  \
                            keycard config add gh --client-id Iv1.abc --scope repo \\\n    \
                            --device-authorization-endpoint https://github.com/login/device/code \\\n    \
                            --token-endpoint https://github.com/login/oauth/access_token"
    )]
    Add(AddArgs),

    /// Remove a profile and delete its token file
    Remove {
        /// Profile name
        name: String,

        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
    },

    /// Print one setting of the resolved profile
    Get {
        /// Setting name (see `keycard config set --help`)
        key: String,
    },

    /// Change one setting of the resolved profile (lists are space-separated)
    #[command(
        after_help = "Keys: issuer, client_id, client_secret, scopes, device_authorization_endpoint,\n\
                            token_endpoint, revocation_endpoint, userinfo_endpoint, audience, ca_file.\n\n\
                            Examples:\n  keycard config set scopes \"openid email offline_access\"\n  \
                            keycard --profile work config set token_endpoint https://id.example.com/token"
    )]
    Set {
        /// Setting name
        key: String,
        /// New value
        value: String,
    },

    /// Print the path of config.toml
    Path,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Profile name
    pub name: String,

    /// Issuer URL; endpoints are discovered from it
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// OAuth client id registered with the provider
    #[arg(long, value_name = "ID")]
    pub client_id: String,

    /// Client secret, for providers that require one for the device flow
    #[arg(long, value_name = "SECRET")]
    pub client_secret: Option<String>,

    /// Scope to request (repeatable; default: openid profile email offline_access)
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,

    /// Device authorization endpoint, when the issuer does not advertise one
    #[arg(long, value_name = "URL")]
    pub device_authorization_endpoint: Option<String>,

    /// Token endpoint, when the issuer does not advertise one
    #[arg(long, value_name = "URL")]
    pub token_endpoint: Option<String>,

    /// Make the new profile the active one
    #[arg(long)]
    pub activate: bool,
}
