//! `keycard status`: the profile's session, from local files only. No network, no lock,
//! no write: it must stay cheap enough for a shell prompt.

use crate::cli::StatusArgs;
use crate::config::{Config, Source};
use crate::env::{Clock, Env};
use crate::exit::{self, Code};
use crate::paths::ProfileName;
use crate::state::{self, SessionState, TokenState};
use crate::ui;
use anyhow::Result;

pub fn run(_args: StatusArgs, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, source) = env.profile(&config)?;
    let path = env.paths.token_file(&name);
    let stored = state::load(&path, name.as_str())?;
    if stored.as_ref().is_some_and(|s| s.loose_mode) {
        ui::warn(&format!(
            "{} can be read by other users; fix it with `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    let tokens = stored.map(|s| s.tokens);
    let now = env.clock.now();
    let session = tokens.as_ref().map_or(SessionState::None, |t| t.state(now));
    let issuer = tokens
        .as_ref()
        .and_then(|t| t.issuer.clone())
        .or_else(|| config.profile(&name).and_then(|p| p.issuer.clone()));

    if env.json {
        ui::out(
            &json(
                &name,
                source,
                session,
                issuer.as_deref(),
                tokens.as_ref(),
                now,
            )
            .to_string(),
        )?;
    } else {
        ui::out(&human(
            &name,
            source,
            session,
            issuer.as_deref(),
            tokens.as_ref(),
            now,
        ))?;
        if !session.is_usable() {
            ui::info(
                env,
                &format!("Sign in with `keycard login --profile {name}`."),
            );
        }
    }
    if session.is_usable() {
        Ok(())
    } else {
        Err(exit::silent(Code::NotSignedIn))
    }
}

fn state_line(
    session: SessionState,
    tokens: Option<&TokenState>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    match (session, tokens.and_then(|t| t.usable_for(now))) {
        (SessionState::Valid, Some(left)) => {
            format!("valid, expires in {}", ui::human_duration(left))
        }
        (SessionState::Valid, None) => "valid, no expiry".into(),
        (SessionState::Refreshable, _) => {
            "refreshable (access token expired; refreshes on next use)".into()
        }
        (SessionState::Expired, _) => "expired".into(),
        (SessionState::None, _) => "not signed in".into(),
    }
}

fn human(
    name: &ProfileName,
    source: Source,
    session: SessionState,
    issuer: Option<&str>,
    tokens: Option<&TokenState>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let mut lines = vec![format!("profile:  {name} ({})", source.describe())];
    if let Some(issuer) = issuer {
        lines.push(format!("issuer:   {issuer}"));
    }
    if let Some(id) = tokens.map(|t| &t.identity).filter(|id| !id.is_empty()) {
        let who = match (&id.email, &id.name) {
            (Some(email), Some(name)) => format!("{email} ({name})"),
            _ => id.display().unwrap_or_default().to_string(),
        };
        lines.push(format!("user:     {who}"));
    }
    lines.push(format!("state:    {}", state_line(session, tokens, now)));
    lines.join("\n")
}

/// The stable `--json` object; it never carries a token.
fn json(
    name: &ProfileName,
    source: Source,
    session: SessionState,
    issuer: Option<&str>,
    tokens: Option<&TokenState>,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    serde_json::json!({
        "profile": name.as_str(),
        "source": source,
        "state": session,
        "issuer": issuer,
        "user": tokens.map(|t| &t.identity),
        "scope": tokens.and_then(|t| t.scope.as_deref()),
        "expires_at": tokens.and_then(|t| t.expires_at),
        "expires_in": tokens.and_then(|t| t.usable_for(now)).map(|d| d.num_seconds().max(0)),
    })
}
