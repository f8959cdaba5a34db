//! The provider's userinfo endpoint (OIDC Core §5.3): who the provider says the session
//! belongs to. `whoami` shows the claims; `status --check` only asks whether it answers;
//! `login` records who signed in when the provider sends no ID token. GitHub's
//! `GET /user` serves the same purpose and is used the same way (GitHub takes the token
//! as `Authorization: Bearer`, docs.github.com/rest/authentication/
//! authenticating-to-the-rest-api).

use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::hint;
use crate::http::Http;
use crate::identity;
use crate::oauth::discovery::After;
use crate::paths::ProfileName;
use crate::session;
use crate::state::TokenState;
use anyhow::Result;
use serde_json::{Map, Value};

/// The claims the provider's userinfo endpoint returns for `tokens`, or `None` when the
/// provider offers no userinfo endpoint. An access token the endpoint rejects is
/// refreshed once (another keycard may have replaced it, or the provider revoked it
/// early); a session the provider refuses altogether is exit 3, and recorded as refused
/// by `session`.
pub fn claims(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    tokens: &TokenState,
) -> Result<Option<Map<String, Value>>> {
    let provider = session::provider_profile(config, name, tokens);
    let http = Http::with(provider.http_options(), env.verbose)?;
    let Some(url) =
        session::endpoint_after_login(env, &http, &provider, name, tokens, After::Userinfo)?
    else {
        return Ok(None);
    };
    let status = match fetch(&http, &url, tokens.access_token.expose())? {
        Answer::Claims(claims) => return Ok(Some(claims)),
        Answer::Rejected(status) => status,
    };
    let Some(fresh) = session::replace_rejected(env, config, name, tokens)? else {
        return Err(rejected(&url, status, name));
    };
    match fetch(&http, &url, fresh.access_token.expose())? {
        Answer::Claims(claims) => Ok(Some(claims)),
        Answer::Rejected(status) => Err(rejected(&url, status, name)),
    }
}

/// What the endpoint said about one access token.
#[derive(Debug)]
pub enum Answer {
    Claims(Map<String, Value>),
    /// 401: the provider does not (or no longer) accept the token.
    Rejected(u16),
}

/// Asks `url` about `access_token`. Other failures are errors: exit 4 for a server that
/// cannot be reached or answers garbage.
pub fn fetch(http: &Http, url: &str, access_token: &str) -> Result<Answer> {
    let reply = http.get(url, Some(access_token))?;
    match reply.status {
        // RFC 6750 §3.1: a token that is expired, revoked or unknown is 401
        // (`invalid_token`); 403 is `insufficient_scope`, and GitHub also answers 403 when
        // its rate limit is spent (docs.github.com/rest/using-the-rest-api/
        // rate-limits-for-the-rest-api). Neither is mended by signing in again, so a 403
        // neither refreshes nor marks the session refused.
        401 => return Ok(Answer::Rejected(reply.status)),
        403 => {
            return Err(exit::fail(
                Code::Failure,
                format!(
                    "{url} refused the request (HTTP 403): the access token is accepted but \
                     may not read who you are; check the profile's scopes (GitHub also \
                     answers 403 when its rate limit is spent)"
                ),
            ));
        }
        s if !(200..300).contains(&s) => {
            return Err(exit::network(format!("{url} answered HTTP {s}")));
        }
        _ => {}
    }
    // OIDC Core §5.3.2: a userinfo answer may be a signed JWT instead of JSON.
    if reply.content_type.starts_with("application/jwt") {
        let text = String::from_utf8_lossy(&reply.body);
        return identity::claims(text.trim())
            .map(Answer::Claims)
            .ok_or_else(|| exit::network(format!("{url} sent a JWT keycard cannot read")));
    }
    reply.fields().map(Answer::Claims)
}

fn rejected(url: &str, status: u16, name: &ProfileName) -> anyhow::Error {
    exit::fail(
        Code::NotSignedIn,
        format!(
            "{url} rejected the access token of profile '{name}' (HTTP {status}); run `{}`",
            hint::for_profile("login", name, "")
        ),
    )
}
