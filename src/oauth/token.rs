//! What happens to tokens after sign-in: refreshing them (RFC 6749 §6) and revoking them
//! (RFC 7009).

use super::device::Client;
use super::{Answer, TokenResponse, read_answer, refusal};
use crate::exit::{self, Code};
use crate::http::Http;
use anyhow::{Context, Result};

/// Trades a refresh token for new tokens. `invalid_grant` is a `NotSignedIn` error; a
/// refusal of the client is a plain failure; trouble reaching the provider is a `Network` error, which callers
/// may survive with a still-valid access token.
pub fn refresh(
    http: &Http,
    endpoint: &str,
    client: &Client,
    refresh_token: &str,
    profile: &str,
) -> Result<TokenResponse> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let reply = client.post_form(http, endpoint, &form)?;
    match read_answer::<TokenResponse>(&reply, "token response")? {
        Answer::Ok(tokens) => tokens.checked(&reply.url),
        // A tenant policy or a client setting: explained, exit 1 (signing in again would
        // meet the same refusal).
        Answer::Error(e)
            if let Some(explained) = refusal::explain(&e, endpoint, profile)
                .filter(|x| x.kind == refusal::Kind::Setup) =>
        {
            Err(exit::fail(Code::Failure, explained.sentence(&e)))
        }
        // RFC 6749 §5.2: the grant itself is invalid, expired or revoked.
        // The provider's words are the root of the error, for the token file to record.
        Answer::Error(e) if e.error == "invalid_grant" => {
            Err(exit::fail(Code::NotSignedIn, e.summary()))
                .context("the provider refused to refresh the session")
        }
        // invalid_client, unauthorized_client, ...: signing in again would not help.
        Answer::Error(e) => Err(exit::fail(
            Code::Failure,
            refusal::generic("the provider refused the refresh request", &e),
        )),
        Answer::ServerTrouble(m) => Err(exit::network(m)),
    }
}

/// Which kind of token is being revoked (RFC 7009 §2.1 `token_type_hint`).
#[derive(Debug, Clone, Copy)]
pub enum Hint {
    Refresh,
    Access,
}

/// Asks the provider to revoke `token`. RFC 7009 §2.2: 200 means done, and is also the
/// answer for a token that was already invalid.
pub fn revoke(http: &Http, endpoint: &str, client: &Client, token: &str, hint: Hint) -> Result<()> {
    let hint = match hint {
        Hint::Refresh => "refresh_token",
        Hint::Access => "access_token",
    };
    let form = [("token", token), ("token_type_hint", hint)];
    let reply = client.post_form(http, endpoint, &form)?;
    if reply.is_success() {
        return Ok(());
    }
    match read_answer::<serde_json::Value>(&reply, "revocation response") {
        Ok(Answer::Error(e)) => Err(exit::fail(
            Code::Failure,
            format!("{} refused: {}", reply.url, e.summary()),
        )),
        Ok(_) => Err(exit::network(format!(
            "{} answered HTTP {}",
            reply.url, reply.status
        ))),
        Err(e) => Err(e),
    }
}
