//! Revoking a session's tokens at the provider (RFC 7009), for every command that
//! forgets a session: `logout`, `config remove`, and a sign-in that replaces one.

use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::http::Http;
use crate::identity;
use crate::oauth::device::Client;
use crate::oauth::discovery::After;
use crate::oauth::token::{self, Hint};
use crate::paths::ProfileName;
use crate::secret::Secret;
use crate::session;
use crate::state::TokenState;
use crate::ui;
use anyhow::Result;
use std::time::Duration;

/// Forgetting a session must not hang on a provider that is down: revocation gets this long.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(5);

/// What happened at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    Revoked,
    Skipped,
    NotOffered,
    Failed,
}

/// Revokes `tokens`, warning (not failing) when the provider cannot be reached or
/// refuses: the local session is forgotten either way, and the user is told that the
/// tokens stay valid at the provider until they expire.
pub fn best_effort(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    tokens: &TokenState,
) -> Revocation {
    let wanted = Wanted {
        refresh: tokens.refresh_token.as_ref(),
        access: Some(&tokens.access_token),
    };
    revoke(env, config, name, tokens, wanted).unwrap_or_else(|e| {
        ui::warn(&format!(
            "could not revoke the tokens of profile '{name}' at the provider: {e:#}; \
             they stay valid there until they expire"
        ));
        Revocation::Failed
    })
}

/// A sign-in replaced the session `old` with `new`: the tokens of `old` that `new` does
/// not carry on are revoked, best effort, so a refresh token nobody holds any more stops
/// working. A token the provider handed out again (the same access token, a refresh
/// token it kept) is left alone: revoking it would end the new session.
pub fn replaced(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    old: &TokenState,
    new: &TokenState,
) -> Revocation {
    let wanted = Wanted {
        refresh: old.refresh_token.as_ref().filter(|r| {
            new.refresh_token.as_ref() != Some(*r)
                && !ends_the_new_session(r.expose(), new.refresh_token.as_ref().map(|n| n.expose()))
        }),
        access: Some(&old.access_token).filter(|a| **a != new.access_token),
    };
    if wanted.refresh.is_none() && wanted.access.is_none() {
        return Revocation::Skipped;
    }
    revoke(env, config, name, old, wanted).unwrap_or_else(|e| {
        ui::warn(&format!(
            "could not revoke the session this sign-in replaced at the provider: {e:#}; \
             its tokens stay valid there until they expire"
        ));
        Revocation::Failed
    })
}

/// Whether revoking the replaced refresh token `old` would end the new session too, as
/// at Keycloak: revoking a refresh token there ends every session of that client for the
/// user before 26.1 (keycloak/keycloak#35486, fixed by PR #35804 with backports to 24
/// and 26.0), and since then still ends the token's client session, which a new device
/// sign-in through the same browser session shares. Keycloak's refresh tokens are JWTs
/// whose `typ` is `Refresh` or `Offline`; for the same user (`sub`) only the old access
/// token is revoked. The old refresh token then lives on until its session ends, as it
/// would have without the sign-in.
fn ends_the_new_session(old: &str, new: Option<&str>) -> bool {
    let keycloak_subject = |jwt: &str| {
        let claims = identity::claims(jwt)?;
        let typ = claims.get("typ")?.as_str()?;
        (typ == "Refresh" || typ == "Offline")
            .then(|| claims.get("sub")?.as_str().map(str::to_owned))
            .flatten()
    };
    match (keycloak_subject(old), new.and_then(keycloak_subject)) {
        (Some(was), Some(now)) => was == now,
        _ => false,
    }
}

/// Which of a session's tokens to revoke.
#[derive(Clone, Copy)]
struct Wanted<'a> {
    refresh: Option<&'a Secret>,
    access: Option<&'a Secret>,
}

/// RFC 7009: the refresh token first (most providers then drop the access tokens issued
/// with it), then the access token. `tokens` tells which provider and client issued them.
fn revoke(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    tokens: &TokenState,
    wanted: Wanted,
) -> Result<Revocation> {
    let provider = session::provider_profile(config, name, tokens);
    let http = Http::with(provider.http_options(), env.verbose)?.with_timeout(REVOKE_TIMEOUT);
    let endpoint =
        session::endpoint_after_login(env, &http, &provider, name, tokens, After::Revocation)?;
    let Some(endpoint) = endpoint else {
        return Ok(Revocation::NotOffered);
    };
    let client = Client::of(&provider, &tokens.client_id);
    let revoke_access = || match wanted.access {
        Some(access) => token::revoke(&http, &endpoint, &client, access.expose(), Hint::Access),
        None => Ok(()),
    };
    let Some(refresh) = wanted.refresh else {
        return revoke_access().map(|()| Revocation::Revoked);
    };
    match token::revoke(&http, &endpoint, &client, refresh.expose(), Hint::Refresh) {
        // The grant is gone. Many providers drop its access tokens with it and then
        // call the access token invalid (Google) or refuse to revoke access tokens at
        // all (RFC 7009 §2.2.1): neither undoes the sign-out.
        Ok(()) => {
            let _ = revoke_access();
            Ok(Revocation::Revoked)
        }
        // Unreachable: a second call would only wait out another timeout.
        Err(e) if exit::code_of(&e) == Code::Network => Err(e),
        Err(e) => {
            let _ = revoke_access();
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn jwt(claims: serde_json::Value) -> String {
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("eyJhbGciOiJIUzI1NiJ9.{body}.sig")
    }

    #[test]
    fn a_keycloak_session_of_the_same_user_keeps_its_old_refresh_token() {
        let old = jwt(serde_json::json!({"typ": "Refresh", "sub": "u1", "sid": "s1"}));
        let same_user = jwt(serde_json::json!({"typ": "Refresh", "sub": "u1", "sid": "s2"}));
        let offline = jwt(serde_json::json!({"typ": "Offline", "sub": "u1"}));
        let other_user = jwt(serde_json::json!({"typ": "Refresh", "sub": "u2"}));
        assert!(ends_the_new_session(&old, Some(&same_user)));
        assert!(ends_the_new_session(&old, Some(&offline)));
        assert!(!ends_the_new_session(&old, Some(&other_user)));
        assert!(!ends_the_new_session(&old, None));
        // Opaque refresh tokens, or JWTs that are not Keycloak's, are revoked as usual.
        assert!(!ends_the_new_session("rt-1", Some("rt-2")));
        let not_keycloak = jwt(serde_json::json!({"sub": "u1"}));
        assert!(!ends_the_new_session(
            &not_keycloak,
            Some(&not_keycloak.replace("sig", "x"))
        ));
    }
}
