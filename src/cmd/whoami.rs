//! `keycard whoami`: the claims the provider's userinfo endpoint returns for the session,
//! as JSON; without a userinfo endpoint, the ID token's claims, saying so.

use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::http::Http;
use crate::identity;
use crate::oauth::discovery::{self, After};
use crate::paths::ProfileName;
use crate::session::{self, Need};
use crate::state::TokenState;
use crate::ui;
use anyhow::Result;
use serde_json::{Map, Value};

pub fn run(env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let tokens = session::fresh_tokens(env, &config, &name, Need::default())?;
    let claims = match userinfo_claims(env, &config, &name, &tokens)? {
        Some(claims) => claims,
        None => {
            let claims = tokens
                .id_token
                .as_ref()
                .and_then(|t| identity::claims(t.expose()))
                .ok_or_else(|| {
                    exit::fail(
                        Code::Failure,
                        "the provider offers no userinfo endpoint and the session has no ID \
                         token; set one with `keycard config set userinfo_endpoint URL`",
                    )
                })?;
            ui::warn(
                "the provider offers no userinfo endpoint; showing the claims of the ID token \
                 received at sign-in",
            );
            claims
        }
    };
    ui::out(&serde_json::to_string_pretty(&Value::Object(claims))?)
}

/// The claims the provider's userinfo endpoint returns for `tokens`, or `None` when the
/// provider offers no userinfo endpoint. A rejected access token is exit 3.
pub fn userinfo_claims(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    tokens: &TokenState,
) -> Result<Option<Map<String, Value>>> {
    let provider = session::provider_profile(config, name, tokens);
    let http = Http::for_profile(&provider, env.verbose)?;
    let (userinfo, fresh) = discovery::endpoint_after_login(
        &http,
        &provider,
        tokens.issuer.as_deref(),
        After::Userinfo,
    )?;
    session::cache_discovery(env, name, &tokens.issuer, fresh);
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
