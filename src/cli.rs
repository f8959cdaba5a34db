//! The command line, as clap types only. This file imports nothing from the crate so the
//! man page generator (tests/man.rs) can include it on its own.
//!
//! House rules: every argument has a one-line doc comment (it becomes `--help` and the man
//! page); global options are `global = true` so they work before or after the command.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

const AFTER_HELP: &str = "\
Exit status: 0 success, 1 error, 2 bad usage, 3 not signed in, 4 provider unreachable,
5 login denied or expired, 126/127 exec: command not runnable/not found, 130 interrupted.

Examples:
  keycard config add work --preset github --client-id YOUR_CLIENT_ID
  keycard login --no-browser
  keycard status
  curl -H \"Authorization: Bearer $(keycard token)\" https://api.example.com/";

/// `keycard --version`: the package version, and the commit it was built from when the
/// build says so (`KEYCARD_COMMIT=$(git rev-parse --short=12 HEAD) cargo build`, as CI
/// does). No build script: the top level holds only what the design names, and cargo
/// rebuilds by itself when KEYCARD_COMMIT changes.
fn version() -> &'static str {
    match option_env!("KEYCARD_COMMIT") {
        // Once per process, and only when clap builds its command.
        Some(commit) if !commit.is_empty() => {
            Box::leak(format!("{} ({commit})", env!("CARGO_PKG_VERSION")).into_boxed_str())
        }
        _ => env!("CARGO_PKG_VERSION"),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "keycard",
    version = version(),
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
    /// Profile to act on [env: KEYCARD_PROFILE] (default: .keycard-profile, else the active profile)
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
                            keycard login --no-browser --qr\n  \
                            keycard login --issuer https://id.example.com --client-id YOUR_CLIENT_ID --scope openid"
    )]
    Login(LoginArgs),

    /// Forget the profile's tokens and revoke them at the provider
    #[command(
        after_help = "Examples:\n  keycard logout\n  keycard logout --profile prod --no-revoke\n  \
                            keycard logout --all --yes"
    )]
    Logout(LogoutArgs),

    /// Show the profile's session, offline (exit 0 when usable, 3 when not)
    #[command(
        after_help = "States: valid, refreshable (exit 0); expired, none (exit 3). A session whose refresh token\n\
                      is past the end the provider gave it is expired. Where the provider says when the\n\
                      session ends, status shows it (session ends in 6d 3h; --json session_expires_at).\n\n\
                      --short prints `PROFILE:STATE` plus the time left when valid (prod:valid 42m),\n\
                      and nothing at all when the profile has no session. With --short or --format\n\
                      nothing ever goes to stderr: a broken file only sets a non-zero exit code.\n\n\
                      Examples:\n  keycard status --short\n  \
                      keycard status --format '{profile} {state} {expires_in}'\n  \
                      keycard status --all --json"
    )]
    Status(StatusArgs),

    /// Print who the provider says you are, as JSON (refreshes first when needed)
    #[command(
        after_help = "Examples:\n  keycard whoami\n  keycard whoami --profile prod | jq -r .email"
    )]
    Whoami,

    /// Print a valid access token, refreshing it first when needed
    #[command(
        after_help = "The access token counts as expired 5 minutes before it really expires (or half its\n\
                            lifetime, for tokens that live 10 minutes or less); keycard refreshes it then.\n\n\
                            Examples:\n  curl -H \"Authorization: Bearer $(keycard token)\" https://api.example.com/\n  \
                            keycard token --min-ttl 30m --profile prod\n  keycard token --json | jq .expires_at"
    )]
    Token(TokenArgs),

    /// Run a command with a fresh access token in its environment
    #[command(
        after_help = "keycard becomes the command: its exit status, signals, terminal and pid are the\n\
                      command's own. Exit 127 when the command is not found, 126 when it cannot be run;\n\
                      exit 3, without running it, when the profile is not signed in.\n\n\
                      Examples:\n  keycard exec -- sh -c 'curl -H \"Authorization: Bearer $KEYCARD_TOKEN\" https://api.example.com/'\n  \
                      keycard --profile prod exec --env GH_TOKEN -- gh api user\n  \
                      keycard exec --min-ttl 1h -- ./long-job.sh"
    )]
    Exec(ExecArgs),

    /// Print a kubectl ExecCredential with a fresh token (a client-go credential plugin)
    #[command(
        name = "kube-credential",
        after_help = "Answers in the apiVersion kubectl asks for in KUBERNETES_EXEC_INFO\n\
                      (client.authentication.k8s.io/v1 or v1beta1). Never signs in: exit 3 when the\n\
                      profile is not signed in. In the kubeconfig, under users[].user:\n\n  \
                      exec:\n    apiVersion: client.authentication.k8s.io/v1\n    command: keycard\n    \
                      args: [--profile, prod, kube-credential]\n    interactiveMode: Never\n    \
                      provideClusterInfo: false"
    )]
    KubeCredential,

    /// Manage profiles in config.toml
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print a shell completion script (profile names complete in bash, zsh and fish)
    #[command(after_help = "Install (create the directory first):\n  \
                            bash: keycard completions bash > ~/.local/share/bash-completion/completions/keycard\n  \
                            zsh:  keycard completions zsh > ~/.zfunc/_keycard   (with fpath=(~/.zfunc $fpath) before compinit)\n  \
                            fish: keycard completions fish > ~/.config/fish/completions/keycard.fish\n  \
                            PowerShell: keycard completions powershell | Out-String | Invoke-Expression\n  \
                            elvish: eval (keycard completions elvish | slurp)")]
    Completions {
        /// Shell to complete for
        shell: clap_complete::Shell,
    },

    /// git's credential helper: the token of the profile whose `hosts` lists the host
    #[command(
        after_help = "Set up (per host; the empty helper first keeps other helpers from storing the token):\n  \
                            git config --global credential.https://git.example.com.helper ''\n  \
                            git config --global --add credential.https://git.example.com.helper '!keycard git-credential'\n\n\
                            A host no profile lists gets no answer, so git asks its next helper. A listed host\n\
                            whose profile is not signed in is an error naming `keycard login --profile NAME`;\n\
                            a helper never starts a sign-in. `store` and `erase` change nothing: keycard owns\n\
                            the session (`keycard logout` ends it)."
    )]
    GitCredential {
        /// What git asks: get (answered), store or erase (ignored); anything else is ignored
        #[arg(value_name = "OPERATION")]
        operation: String,
    },

    /// docker's credential helper (also run as docker-credential-keycard)
    #[command(
        after_help = "Set up: put a link named docker-credential-keycard on PATH and name the registries\n\
                            in ~/.docker/config.json (a registry must also be in its profile's hosts):\n  \
                            ln -s \"$(command -v keycard)\" ~/.local/bin/docker-credential-keycard\n  \
                            {\"credHelpers\": {\"registry.example.com\": \"keycard\"}}\n\n\
                            get reads a server URL on stdin and prints {\"ServerURL\",\"Username\",\"Secret\"};\n\
                            list prints {\"https://HOST\": \"USERNAME\"} for signed-in profiles. store and erase\n\
                            change nothing: keycard owns the session (`keycard logout` ends it)."
    )]
    DockerCredential {
        /// What docker asks
        #[arg(value_enum, value_name = "OPERATION")]
        operation: DockerOperation,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DockerOperation {
    /// Print the credential for the server URL read on stdin
    Get,
    /// Read docker's credential and keep nothing (keycard owns the session)
    Store,
    /// Read the server URL and delete nothing (keycard owns the session)
    Erase,
    /// Print the hosts keycard answers for, with their user names
    List,
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

    /// Also show the link as a QR code on stderr, to scan with a phone
    #[arg(long)]
    pub qr: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Only delete the local tokens; do not revoke them at the provider
    #[arg(long)]
    pub no_revoke: bool,

    /// Sign out of every profile that has tokens on file
    #[arg(long)]
    pub all: bool,

    /// Do not ask for confirmation on a terminal
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Print the ID token instead of the access token
    #[arg(long)]
    pub id_token: bool,

    /// Refresh unless the token stays valid at least this long (e.g. 90s, 30m, 1h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_ttl: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Environment variable that carries the access token
    #[arg(
        long = "env",
        value_name = "NAME",
        default_value = "KEYCARD_TOKEN",
        value_parser = parse_env_name
    )]
    pub env_var: String,

    /// Refresh unless the token stays valid at least this long (e.g. 90s, 30m, 1h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_ttl: Option<Duration>,

    /// The command to run, and its arguments (after `--` when they start with `-`)
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "CMD",
        value_parser = clap::value_parser!(OsString)
    )]
    pub command: Vec<OsString>,
}

/// A name a shell can export: `[A-Za-z_][A-Za-z0-9_]*`. KEYCARD_PROFILE is taken: exec
/// sets it to the profile.
pub fn parse_env_name(raw: &str) -> Result<String, String> {
    let mut chars = raw.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "{raw:?} is not an environment variable name; use letters, digits and '_', \
             not starting with a digit"
        ));
    }
    if raw == "KEYCARD_PROFILE" || raw == "KEYCARD_CONFIG_DIR" {
        return Err(format!(
            "{raw} is set by keycard exec itself; pick another name"
        ));
    }
    let upper = raw.to_ascii_uppercase();
    if ACTED_ON_PREFIXES.iter().any(|p| upper.starts_with(p)) || ACTED_ON.contains(&upper.as_str())
    {
        return Err(format!(
            "{raw} is read by the dynamic loader, the shell or an interpreter, which would \
             act on the token as a path or a command; pick another name, such as KEYCARD_TOKEN"
        ));
    }
    Ok(raw.to_string())
}

/// Variables whose value the dynamic loader acts on (a library path to load, a
/// tunable). A token the provider chose must never become one.
const ACTED_ON_PREFIXES: &[&str] = &["LD_", "DYLD_", "GLIBC_", "MALLOC_"];

/// Variables a shell or a common interpreter acts on at start-up or when expanding:
/// where to find commands, a file to source, how to split words, options to apply.
const ACTED_ON: &[&str] = &[
    "PATH",
    "IFS",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "CDPATH",
    "PS4",
    "PROMPT_COMMAND",
    "GLOBIGNORE",
    "HOME",
    "SHELL",
    "TMPDIR",
    "NODE_OPTIONS",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
];

/// "90", "90s", "30m", "1h30m", "2d": what people type for a lifetime. At most a year.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let bad = || format!("{raw:?} is not a duration; write it like 90s, 30m or 1h30m");
    let text = raw.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = text.parse().map_err(|_| bad())?;
        return check_duration_limit(secs, raw);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    check_duration_limit(total, raw)
}

fn check_duration_limit(secs: u64, raw: &str) -> Result<Duration, String> {
    const YEAR: u64 = 365 * 86_400;
    if secs > YEAR {
        return Err(format!("{raw:?} is longer than a year"));
    }
    Ok(Duration::from_secs(secs))
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One short line for a shell prompt (prod:valid 42m); nothing when not signed in
    #[arg(long, conflicts_with = "format")]
    pub short: bool,

    /// Print TEMPLATE, filling in {profile} {state} {expires_in} {session_expires_in} {user} {email} {issuer}
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,

    /// One row per profile in config.toml, marking the one in use (exit code: that one's)
    #[arg(long)]
    pub all: bool,

    /// Also check online: refresh if needed, then ask the provider's userinfo endpoint
    #[arg(long, conflicts_with = "all")]
    pub check: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ConfigCommand {
    /// Make NAME the active profile for later commands (or, with --here, in this directory)
    #[command(
        after_help = "With --here, NAME goes in ./.keycard-profile instead of config.toml: every command\n\
                      run in this directory or below it uses NAME (unless --profile or KEYCARD_PROFILE\n\
                      says otherwise). Remove the file with `rm .keycard-profile`. The git and docker\n\
                      credential helpers ignore it: they answer by each profile's hosts."
    )]
    Use {
        /// Profile name
        name: String,

        /// Write NAME to .keycard-profile in the current directory instead
        #[arg(long)]
        here: bool,
    },

    /// List profiles, marking the active one
    List {
        /// Print only the names, one per line (for scripts and shell completion)
        #[arg(long)]
        names: bool,
    },

    /// Show a profile's settings (secrets hidden)
    Show {
        /// Profile name (default: the resolved profile)
        name: Option<String>,
    },

    /// Add a profile, from scratch or from a preset
    #[command(
        after_help = "Examples:\n  keycard config add gh --preset github --client-id YOUR_CLIENT_ID\n  \
                            keycard config add work --preset okta --var domain=acme.okta.com --var server=org \\\n    \
                            --client-id YOUR_CLIENT_ID\n  \
                            keycard config add work --issuer https://id.example.com --client-id YOUR_CLIENT_ID\n  \
                            keycard config add dot --client-id YOUR_CLIENT_ID \\\n    \
                            --device-authorization-endpoint https://auth.example.com/o/device-authorization/ \\\n    \
                            --token-endpoint https://auth.example.com/o/token/"
    )]
    Add(AddArgs),

    /// Remove a profile, revoke its tokens at the provider and delete its token file
    Remove {
        /// Profile name
        name: String,

        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,

        /// Only delete the local tokens; do not revoke them at the provider
        #[arg(long)]
        no_revoke: bool,
    },

    /// Print one setting of the resolved profile
    Get {
        /// Setting name (see `keycard config set --help`)
        key: String,
    },

    /// Change one setting of the resolved profile (lists are space-separated)
    #[command(
        after_help = "Keys: issuer, client_id, client_secret, scopes, device_authorization_endpoint,\n\
                            token_endpoint, revocation_endpoint, userinfo_endpoint, audience, ca_file,\n\
                            client_auth (post or basic), timeout, connect_timeout (seconds),\n\
                            hosts (for the git and docker credential helpers: host or host:port, space-separated),\n\
                            verification_hosts (where the sign-in link may go besides the issuer's domain),\n\
                            username (default oauth2), git_auth (basic or bearer),\n\
                            session_warning (warn this long before the session ends: 24h by default, 0 never).\n\n\
                            Examples:\n  keycard config set scopes \"openid email offline_access\"\n  \
                            keycard --profile work config set token_endpoint https://id.example.com/token\n  \
                            keycard config set client_secret - < secret.txt"
    )]
    Set {
        /// Setting name
        key: String,
        /// New value; `-` reads it from standard input (typed without echo for
        /// client_secret), so a secret stays out of shell history and `ps`
        value: String,
    },

    /// Edit config.toml in $VISUAL or $EDITOR; saved only when it is valid
    #[command(
        after_help = "The editor is $VISUAL, else $EDITOR, else vi, and may carry arguments (EDITOR='code --wait').\n\
                      It edits a private copy; config.toml is replaced (mode 0600) only when the copy is valid,\n\
                      checked as keycard reads config.toml and as `config set` checks each setting. An invalid\n\
                      edit is reported with its line and column and offered for editing again. An editor that\n\
                      exits non-zero changes nothing. Needs a terminal."
    )]
    Edit,

    /// Print the path of config.toml
    Path,

    /// List the built-in provider presets for `config add --preset`
    Presets,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name of the new profile
    pub name: String,

    /// Issuer URL; endpoints are discovered from it
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// Provider preset to start from (see `keycard config presets`)
    #[arg(long, value_name = "PRESET")]
    pub preset: Option<String>,

    /// Value for one of the preset's variables (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "preset")]
    pub vars: Vec<String>,

    /// OAuth client id registered with the provider
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Client secret, for providers that require one for the device flow; `-` reads it
    /// from standard input, keeping it out of shell history and `ps`
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
