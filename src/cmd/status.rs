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
use chrono::{DateTime, Utc};

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

    let report = Report {
        name: &name,
        source,
        session,
        issuer: issuer.as_deref(),
        tokens: tokens.as_ref(),
        now,
    };
    if env.json {
        ui::out(&report.json().to_string())?;
    } else {
        ui::out(&report.human())?;
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

/// Everything status knows about one profile, ready to print.
struct Report<'a> {
    name: &'a ProfileName,
    source: Source,
    session: SessionState,
    issuer: Option<&'a str>,
    tokens: Option<&'a TokenState>,
    now: DateTime<Utc>,
}

impl Report<'_> {
    fn usable_for(&self) -> Option<chrono::TimeDelta> {
        self.tokens.and_then(|t| t.usable_for(self.now))
    }

    fn state_line(&self) -> String {
        match (self.session, self.usable_for()) {
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

    fn human(&self) -> String {
        let mut lines = vec![format!(
            "profile:  {} ({})",
            self.name,
            self.source.describe()
        )];
        if let Some(issuer) = self.issuer {
            lines.push(format!("issuer:   {issuer}"));
        }
        if let Some(id) = self.tokens.map(|t| &t.identity).filter(|id| !id.is_empty()) {
            let who = match (&id.email, &id.name) {
                (Some(email), Some(name)) => format!("{email} ({name})"),
                _ => id.display().unwrap_or_default().to_string(),
            };
            lines.push(format!("user:     {who}"));
        }
        lines.push(format!("state:    {}", self.state_line()));
        lines.join("\n")
    }

    /// The stable `--json` object; it never carries a token.
    fn json(&self) -> serde_json::Value {
        let tokens = self.tokens;
        serde_json::json!({
            "profile": self.name.as_str(),
            "source": self.source,
            "state": self.session,
            "issuer": self.issuer,
            "user": tokens.map(|t| &t.identity),
            "scope": tokens.and_then(|t| t.scope.as_deref()),
            "expires_at": tokens.and_then(|t| t.expires_at),
            "expires_in": self.usable_for().map(|d| d.num_seconds().max(0)),
        })
    }
}
