//! Who the provider says the access token belongs to: the OpenID Connect userinfo
//! endpoint (Core §5.3), or GitHub's `GET /user`, which keycard uses the same way
//! (GitHub accepts the token as `Authorization: Bearer`, docs.github.com/rest/
//! authentication/authenticating-to-the-rest-api).

use crate::exit;
use crate::http::Http;
use crate::identity;
use anyhow::Result;
use serde_json::{Map, Value};

/// What the endpoint said about the token.
#[derive(Debug)]
pub enum Answer {
    Claims(Map<String, Value>),
    /// 401 or 403: the provider does not (or no longer) accept the token.
    Rejected(u16),
}

/// Asks `url` about `access_token`. Other failures are errors: exit 4 for a server that
/// cannot be reached or answers garbage.
pub fn fetch(http: &Http, url: &str, access_token: &str) -> Result<Answer> {
    let reply = http.get(url, Some(access_token))?;
    match reply.status {
        401 | 403 => return Ok(Answer::Rejected(reply.status)),
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
