//! The provider's userinfo endpoint (OIDC Core §5.3): who the provider says the session
//! belongs to. `whoami` shows the claims; `status --check` only asks whether it answers.

use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::http::Http;
use crate::identity;
use crate::oauth::discovery::After;
use crate::paths::ProfileName;
use crate::session;
use crate::state::TokenState;
use anyhow::Result;
use serde_json::{Map, Value};

/// The claims the provider's userinfo endpoint returns for `tokens`, or `None` when the
/// provider offers no userinfo endpoint. A rejected access token is exit 3.
pub fn claims(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    tokens: &TokenState,
) -> Result<Option<Map<String, Value>>> {
    let provider = session::provider_profile(config, name, tokens);
    let http = Http::with(provider.http_options(), env.verbose)?;
    let userinfo =
        session::endpoint_after_login(env, &http, &provider, name, tokens, After::Userinfo)?;
    userinfo
        .map(|url| from_userinfo(&http, &url, tokens.access_token.expose(), name))
        .transpose()
}

fn from_userinfo(
    http: &Http,
    url: &str,
    access_token: &str,
    name: &ProfileName,
) -> Result<Map<String, Value>> {
    let reply = http.get(url, Some(access_token))?;
    match reply.status {
        401 | 403 => {
            return Err(exit::fail(
                Code::NotSignedIn,
                format!(
                    "{url} rejected the access token of profile '{name}' (HTTP {}); \
                     run `keycard login --profile {name}`",
                    reply.status
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
            .ok_or_else(|| exit::network(format!("{url} sent a JWT keycard cannot read")));
    }
    reply.fields()
}
