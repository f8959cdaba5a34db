//! Everything `status` knows about one profile, and how each mode prints it.

use super::Mode;
use crate::config::{Profile, Source};
use crate::state::{SessionState, TokenState};
use crate::text::one_line;
use crate::ui;
use chrono::{DateTime, TimeDelta, Utc};
use console::style;

/// Colours a state word by how usable the session is; plain unless stdout is a terminal.
pub(super) fn paint(session: SessionState, text: &str) -> String {
    match session {
        SessionState::Valid => style(text).green().to_string(),
        SessionState::Refreshable => style(text).yellow().to_string(),
        SessionState::Expired | SessionState::None => style(text).red().to_string(),
    }
}

/// Everything status knows about one profile, ready to print.
pub(super) struct Report<'a> {
    pub(super) name: &'a str,
    /// Where the choice of this profile came from; `None` for the other rows of `--all`.
    pub(super) source: Option<Source>,
    pub(super) session: SessionState,
    pub(super) issuer: Option<&'a str>,
    pub(super) tokens: Option<&'a TokenState>,
    pub(super) now: DateTime<Utc>,
}

impl<'a> Report<'a> {
    pub(super) fn new(
        name: &'a str,
        source: Option<Source>,
        profile: Option<&'a Profile>,
        tokens: Option<&'a TokenState>,
        now: DateTime<Utc>,
    ) -> Report<'a> {
        let session = tokens.map_or(SessionState::None, |t| t.state(now));
        let issuer = tokens
            .and_then(|t| t.issuer.as_deref())
            .or_else(|| profile.and_then(|p| p.issuer.as_deref()));
        Report {
            name,
            source,
            session,
            issuer,
            tokens,
            now,
        }
    }

    pub(super) fn usable_for(&self) -> Option<TimeDelta> {
        self.tokens.and_then(|t| t.usable_for(self.now))
    }

    pub(super) fn user(&self) -> Option<&str> {
        self.tokens.and_then(|t| t.identity.display())
    }

    pub(super) fn session_word(&self) -> &'static str {
        match self.session {
            SessionState::Valid => "valid",
            SessionState::Refreshable => "refreshable",
            SessionState::Expired => "expired",
            SessionState::None => "none",
        }
    }

    /// Time left for `{expires_in}` and `--short`: "42m", "1h05m"; "0s" once the access
    /// token counts as expired; empty with no expiry or no session.
    pub(super) fn expires_in(&self) -> String {
        match self.usable_for() {
            Some(d) => ui::human_duration(d).replace(' ', ""),
            None => String::new(),
        }
    }

    /// `{session_expires_in}`: "6d3h" until the refresh token ends, "0s" once it has;
    /// empty when the provider did not say.
    pub(super) fn session_expires_in(&self) -> String {
        self.session_left()
            .map(|d| ui::human_duration(d).replace(' ', ""))
            .unwrap_or_default()
    }

    fn session_left(&self) -> Option<TimeDelta> {
        self.tokens.and_then(|t| t.session_left(self.now))
    }

    /// ", session ends in 6d 3h" beside the access token's time, when known.
    fn session_note(&self) -> String {
        match self.session_left() {
            Some(left) if left > TimeDelta::zero() => {
                format!(", session ends in {}", ui::human_duration(left))
            }
            Some(_) => ", session ended".into(),
            None => String::new(),
        }
    }

    pub(super) fn state_line(&self) -> String {
        let line = match (self.session, self.usable_for()) {
            (SessionState::Valid, Some(left)) => format!(
                "valid, expires in {}{}",
                ui::human_duration(left),
                self.session_note()
            ),
            (SessionState::Valid, None) => format!("valid, no expiry{}", self.session_note()),
            (SessionState::Refreshable, _) => format!(
                "refreshable (access token expired; refreshes on next use){}",
                self.session_note()
            ),
            (SessionState::Expired, _) => match self.tokens.and_then(refusal) {
                Some((at, reason)) => format!(
                    "expired (the provider refused the session at {}: {reason})",
                    at.format("%Y-%m-%d %H:%M UTC"),
                ),
                None if self.tokens.is_some_and(|t| t.session_over(self.now)) => {
                    "expired (the session ended; sign in again)".into()
                }
                None => "expired".into(),
            },
            (SessionState::None, _) => "not signed in".into(),
        };
        paint(self.session, &line)
    }

    pub(super) fn human(&self) -> String {
        let source = self.source.unwrap_or(Source::Default);
        let mut lines = vec![format!("profile:  {} ({})", self.name, source.describe())];
        if let Some(issuer) = self.issuer {
            lines.push(format!("issuer:   {}", one_line(issuer)));
        }
        if let Some(id) = self.tokens.map(|t| &t.identity).filter(|id| !id.is_empty()) {
            let who = match (&id.email, &id.name) {
                (Some(email), Some(name)) => format!("{email} ({name})"),
                _ => id.display().unwrap_or_default().to_string(),
            };
            lines.push(format!("user:     {}", one_line(&who)));
        }
        lines.push(format!("state:    {}", self.state_line()));
        lines.join("\n")
    }

    /// The line for `--short` or `--format`; `None` when the profile has no session.
    pub(super) fn prompt_line(&self, mode: &Mode) -> Option<String> {
        if self.session == SessionState::None {
            return None;
        }
        let line = match mode {
            Mode::Format(template) => template.render(self),
            _ => {
                // Never coloured: escape codes in PS1 confuse the shell's line editing.
                let word = self.session_word();
                match self.session {
                    SessionState::Valid if self.usable_for().is_some() => {
                        format!("{}:{word} {}", self.name, self.expires_in())
                    }
                    _ => format!("{}:{word}", self.name),
                }
            }
        };
        Some(line)
    }

    /// The stable `--json` object; it never carries a token. `error` is set only in an
    /// `--all` row whose token file cannot be read.
    pub(super) fn json(&self, error: Option<&anyhow::Error>) -> serde_json::Value {
        let tokens = self.tokens;
        serde_json::json!({
            "profile": self.name,
            "in_use": self.source.is_some(),
            "source": self.source,
            "source_file": self.source.and_then(Source::file),
            "state": if error.is_some() { "error" } else { self.session_word() },
            "issuer": self.issuer,
            "user": tokens.map(|t| &t.identity),
            "scope": tokens.and_then(|t| t.scope.as_deref()),
            // As far as keycard trusts it (`expiry`): the file's own, unless absurd.
            "expires_at": tokens.and_then(|t| t.trusted_expiry(self.now)),
            "expires_in": self.usable_for().map(|d| d.num_seconds().max(0)),
            // When the refresh token (the session) ends, if the provider said.
            "session_expires_at": tokens.and_then(|t| t.refresh_token.as_ref().and(t.session_expires_at)),
            "session_expires_in": self.session_left().map(|d| d.num_seconds().max(0)),
            "auth_time": tokens.and_then(|t| t.auth_time),
            // Set when the provider refused the session (state "expired").
            "refused": tokens.and_then(refusal).map(|(at, reason)| serde_json::json!({
                "at": at,
                "reason": reason,
            })),
            "error": error.map(|e| format!("{e:#}")),
        })
    }
}

/// When and why the provider refused the session, if it did; the reason on one line.
fn refusal(tokens: &TokenState) -> Option<(DateTime<Utc>, String)> {
    let at = tokens.refused_at?;
    let reason = tokens
        .refused_reason
        .as_deref()
        .unwrap_or("no reason given");
    Some((at, crate::text::one_line(reason).into_owned()))
}
