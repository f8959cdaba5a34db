//! The token file, auth-<profile>.json: what a sign-in produced, and what it is worth now.

use crate::exit::{self, Code};
use crate::fsio;
use crate::identity::{self, Identity};
use crate::oauth::TokenResponse;
use crate::secret::Secret;
use anyhow::{Context, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

/// An access token counts as expired this long before its `expires_at`.
pub const EXPIRY_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// Lifetimes beyond this are treated as this, so date arithmetic cannot overflow.
const MAX_LIFETIME: TimeDelta = TimeDelta::days(3650);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenState {
    pub version: u32,
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    pub token_type: String,
    #[serde(default)]
    pub scope: Option<String>,
    /// `None` when the provider gave no lifetime (GitHub with expiry turned off).
    pub expires_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    #[serde(default)]
    pub issuer: Option<String>,
    pub client_id: String,
    #[serde(default)]
    pub identity: Identity,
}

/// What a session is good for right now (SPEC "status").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Valid,
    Refreshable,
    Expired,
    None,
}

impl SessionState {
    pub fn is_usable(self) -> bool {
        matches!(self, SessionState::Valid | SessionState::Refreshable)
    }
}

impl TokenState {
    pub fn from_response(
        resp: TokenResponse,
        now: DateTime<Utc>,
        issuer: Option<String>,
        client_id: String,
    ) -> TokenState {
        let lifetime = resp.expires_in.map(|s| {
            TimeDelta::seconds(
                i64::try_from(s)
                    .unwrap_or(i64::MAX)
                    .min(MAX_LIFETIME.num_seconds()),
            )
        });
        let identity = resp
            .id_token
            .as_ref()
            .map(|t| identity::from_id_token(t.expose()))
            .unwrap_or_default();
        TokenState {
            version: FORMAT_VERSION,
            access_token: resp.access_token,
            refresh_token: resp.refresh_token,
            id_token: resp.id_token,
            token_type: resp.token_type.unwrap_or_else(|| "Bearer".to_string()),
            scope: resp.scope,
            expires_at: lifetime.and_then(|l| now.checked_add_signed(l)),
            issued_at: now,
            issuer,
            client_id,
            identity,
        }
    }

    /// The margin for this token: five minutes, or half the token's lifetime when it
    /// lives ten minutes or less, so that Keycloak's five-minute tokens are used for a
    /// while instead of being refreshed on every call.
    pub fn margin(&self) -> TimeDelta {
        match self.expires_at {
            Some(exp) => {
                let lifetime = exp.signed_duration_since(self.issued_at);
                EXPIRY_MARGIN.min(lifetime / 2).max(TimeDelta::zero())
            }
            None => TimeDelta::zero(),
        }
    }

    /// Time the access token can still be used (after the margin), `None` if unlimited.
    pub fn usable_for(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.expires_at
            .map(|exp| exp.signed_duration_since(now) - self.margin())
    }

    pub fn state(&self, now: DateTime<Utc>) -> SessionState {
        match self.usable_for(now) {
            None => SessionState::Valid,
            Some(left) if left > TimeDelta::zero() => SessionState::Valid,
            Some(_) if self.refresh_token.is_some() => SessionState::Refreshable,
            Some(_) => SessionState::Expired,
        }
    }
}

/// A token file as read from disk.
pub struct Stored {
    pub tokens: TokenState,
    /// Group or others can read it: worth a warning.
    pub loose_mode: bool,
}

/// Reads the token file; `None` when there is none.
pub fn load(path: &Path, profile: &str) -> Result<Option<Stored>> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        return Err(exit::fail(
            Code::Failure,
            format!(
                "{} is not a regular file; move it aside and run `keycard login --profile {profile}`",
                path.display()
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(1 << 20) as usize);
    file.by_ref()
        .take(1 << 20)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let tokens: TokenState = serde_json::from_slice(&bytes).map_err(|e| {
        exit::fail(
            Code::NotSignedIn,
            format!(
                "{} is damaged ({e}); run `keycard login --profile {profile}` to replace it",
                path.display()
            ),
        )
    })?;
    if tokens.version > FORMAT_VERSION {
        return Err(exit::fail(
            Code::Failure,
            format!(
                "{} was written by a newer keycard (format {}); upgrade keycard",
                path.display(),
                tokens.version
            ),
        ));
    }
    Ok(Some(Stored {
        tokens,
        loose_mode: loose_mode(&meta),
    }))
}

#[cfg(unix)]
fn loose_mode(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 != 0
}

#[cfg(not(unix))]
fn loose_mode(_: &std::fs::Metadata) -> bool {
    false
}

pub fn save(path: &Path, tokens: &TokenState) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(tokens).context("cannot encode the token file")?;
    json.push(b'\n');
    fsio::write_private(path, &json).with_context(|| format!("cannot save {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn tokens(expires_in: Option<u64>, refresh: bool) -> TokenState {
        let resp = TokenResponse {
            access_token: Secret::new("at"),
            token_type: Some("Bearer".into()),
            expires_in,
            refresh_token: refresh.then(|| Secret::new("rt")),
            id_token: None,
            scope: None,
        };
        TokenState::from_response(resp, at(0), None, "cli".into())
    }

    #[test]
    fn valid_until_five_minutes_before_expiry() {
        let t = tokens(Some(3600), true);
        assert_eq!(t.state(at(3600 - 301)), SessionState::Valid);
        assert_eq!(t.state(at(3600 - 300)), SessionState::Refreshable);
        assert_eq!(t.usable_for(at(0)), Some(TimeDelta::minutes(55)));
    }

    #[test]
    fn expired_without_refresh_token() {
        assert_eq!(
            tokens(Some(60), false).state(at(3600)),
            SessionState::Expired
        );
    }

    #[test]
    fn short_lived_tokens_use_half_their_lifetime_as_margin() {
        let t = tokens(Some(300), true);
        assert_eq!(t.margin(), TimeDelta::seconds(150));
        assert_eq!(t.state(at(149)), SessionState::Valid);
        assert_eq!(t.state(at(150)), SessionState::Refreshable);
    }

    #[test]
    fn no_expiry_means_valid() {
        assert_eq!(
            tokens(None, false).state(at(1_000_000_000)),
            SessionState::Valid
        );
    }

    #[test]
    fn absurd_lifetimes_do_not_overflow() {
        let t = tokens(Some(u64::MAX), false);
        assert_eq!(t.expires_at, Some(at(0) + MAX_LIFETIME));
        assert_eq!(t.state(at(0)), SessionState::Valid);
    }

    #[test]
    fn token_file_round_trips() {
        let t = tokens(Some(60), true);
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"access_token\":\"at\""), "{json}");
        let back: TokenState = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expires_at, t.expires_at);
        assert_eq!(back.refresh_token.unwrap().expose(), "rt");
    }
}
