//! `keycard status`: the profile's session, from local files only. No network, no lock,
//! no write: it must stay cheap enough for a shell prompt. Only `--check` goes online.
//!
//! `--short` and `--format` are for prompts: they never write to stderr (a broken file only
//! sets the exit code) and print nothing for a profile with no session, so an unconfigured
//! machine shows an empty prompt segment.

//!
//! One file per job: `report` is what status knows about one profile and how each mode
//! prints it, `all` is `--all`, and `template` is `--format`.

mod all;
mod report;
mod template;

use crate::cli::StatusArgs;
use crate::config::Config;
use crate::env::{Clock, Env};
use crate::exit::{self, Code};
use crate::paths::ProfileName;
use crate::session;
use crate::state::{self, SessionState};
use crate::ui;
use crate::userinfo;
use all::all;
use anyhow::Result;
use report::Report;
use template::Template;

/// How the result is printed.
enum Mode {
    Human,
    Json,
    Short,
    Format(Template),
}

impl Mode {
    /// A prompt is rendering: silence on stderr, nothing for a profile with no session.
    fn is_prompt(&self) -> bool {
        matches!(self, Mode::Short | Mode::Format(_))
    }
}

pub fn run(args: StatusArgs, env: &Env) -> Result<()> {
    if env.json && (args.short || args.format.is_some()) {
        return Err(exit::usage(
            "--json cannot be combined with --short or --format",
        ));
    }
    let mode = match &args.format {
        Some(t) => Mode::Format(Template::parse(t)?),
        None if args.short => Mode::Short,
        None if env.json => Mode::Json,
        None => Mode::Human,
    };
    let result = if args.all {
        all(&mode, env)
    } else {
        one(&mode, env, args.check)
    };
    match result {
        // The prompt must never break: keep the exit code, drop the words.
        Err(e) if mode.is_prompt() => Err(exit::silent(exit::code_of(&e))),
        other => other,
    }
}

fn one(mode: &Mode, env: &Env, check: bool) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, source) = env.profile(&config)?;
    // Online first, so that the report below shows the session as the check left it.
    let (checked, check_failed) = match check.then(|| check_online(env, &config, &name)) {
        None => (None, None),
        Some(Ok(checked)) => (Some(checked), None),
        // `--json | jq` still gets the object, with the failure in it.
        Some(Err(e)) if matches!(mode, Mode::Json) => (None, Some(e)),
        Some(Err(e)) => return Err(e),
    };
    let path = env.paths.token_file(&name);
    let stored = state::load(&path, name.as_str())?;
    if !mode.is_prompt() && stored.as_ref().is_some_and(|s| s.loose_mode) {
        ui::warn(&format!(
            "{} can be read by other users; fix it with `chmod 600 {}`",
            path.display(),
            crate::hint::shell_word(&path.to_string_lossy())
        ));
    }
    let now = env.clock.now();
    if !mode.is_prompt()
        && let Some(t) = stored.as_ref().map(|s| &s.tokens)
        && t.clock_went_back(now)
    {
        ui::warn(&format!(
            "profile '{name}' was signed in at {}, later than the system clock says it is now; \
             the clock went back, so its access token counts as expired",
            t.issued_at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    let loose = stored.as_ref().map(|s| s.loose_mode);
    let tokens = stored.map(|s| s.tokens);
    let report = Report::new(
        name.as_str(),
        Some(source),
        config.profile(&name),
        tokens.as_ref(),
        now,
    );
    match mode {
        Mode::Human => {
            ui::out(&report.human())?;
            // Where the credentials live, so nobody has to guess (there is no keyring).
            if let Some(loose) = loose {
                let who = if loose {
                    "readable by others too"
                } else {
                    "readable only by you"
                };
                ui::out(&format!("stored:   {} (plain file, {who})", path.display()))?;
            }
            if let Some(checked) = checked {
                ui::out(&format!("checked:  {}", checked.describe()))?;
            }
            if !report.session.is_usable() {
                let sign_in = || {
                    format!(
                        "Sign in with `{}`.",
                        crate::hint::for_profile("login", &name, "")
                    )
                };
                let hint = match config.profile(&name) {
                    Some(_) => sign_in(),
                    // A login would fail: say how to get the profile first.
                    None if tokens.is_none() => format!("{}.", config.no_such_profile(&name)),
                    None => sign_in(),
                };
                ui::info(env, &hint);
            }
        }
        Mode::Json => {
            let mut json = report.json(None);
            if let Some(checked) = checked {
                json["checked"] = serde_json::to_value(checked)?;
            }
            if let Some(e) = &check_failed {
                json["checked"] = serde_json::json!({
                    "error": format!("{e:#}"),
                    "exit_code": exit::code_of(e) as i32,
                });
            }
            ui::out(&json.to_string())?;
            if let Some(e) = check_failed {
                return Err(e);
            }
        }
        Mode::Short | Mode::Format(_) => {
            if let Some(line) = report.prompt_line(mode) {
                ui::out(&line)?;
            }
        }
    }
    exit_for(report.session)
}

/// What `--check` confirmed online.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Checked {
    /// The provider's userinfo endpoint accepted the access token.
    Userinfo,
    /// The token is fresh (refreshed if it needed to be), but the provider has no
    /// userinfo endpoint to ask.
    NoUserinfo,
}

impl Checked {
    fn describe(self) -> &'static str {
        match self {
            Checked::Userinfo => "the provider accepts the session (userinfo answered)",
            Checked::NoUserinfo => {
                "fresh, but the provider offers no userinfo endpoint to confirm it with"
            }
        }
    }
}

/// `--check`: refresh when needed (as `token` would), then ask userinfo. Fails with exit
/// 3 when the provider no longer accepts the session, 4 when it cannot be reached.
fn check_online(env: &Env, config: &Config, name: &ProfileName) -> Result<Checked> {
    let tokens = session::fresh_tokens(env, config, name, session::Need::default())?;
    Ok(match userinfo::claims(env, config, name, &tokens)? {
        Some(_) => Checked::Userinfo,
        None => Checked::NoUserinfo,
    })
}

fn exit_for(session: SessionState) -> Result<()> {
    if session.is_usable() {
        Ok(())
    } else {
        Err(exit::silent(Code::NotSignedIn))
    }
}
