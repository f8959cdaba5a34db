//! `keycard whoami`: the claims the provider's userinfo endpoint returns for the session,
//! as JSON; without a userinfo endpoint, the ID token's claims, saying so.

use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::http::Http;
use crate::identity;
use crate::oauth::discovery::{self, After};
use crate::oauth::userinfo;
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
/// provider offers no userinfo endpoint. A rejected access token is refreshed once; a
/// session the provider refuses altogether is exit 3.
pub fn userinfo_claims(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    tokens: &TokenState,
) -> Result<Option<Map<String, Value>>> {
    let provider = session::provider_profile(config, name, tokens);
    let http = Http::for_profile(&provider, env.verbose)?;
    let (endpoint, fresh) = discovery::endpoint_after_login(
        &http,
        &provider,
        tokens.issuer.as_deref(),
        After::Userinfo,
    )?;
    session::cache_discovery(env, name, tokens, fresh);
    let Some(url) = endpoint else {
        return Ok(None);
    };
    match userinfo::fetch(&http, &url, tokens.access_token.expose())? {
        userinfo::Answer::Claims(claims) => Ok(Some(claims)),
        // The provider no longer takes this access token, however much time it has
        // left: a refresh decides whether the session lives on (and records it as
        // refused when the provider refuses that too).
        userinfo::Answer::Rejected(status) => {
            match session::replace_rejected(env, config, name, tokens)? {
                Some(fresh) => {
                    from_userinfo(&http, &url, fresh.access_token.expose(), name).map(Some)
                }
                None => Err(rejected(&url, status, name)),
            }
        }
    }
}

fn from_userinfo(
    http: &Http,
    url: &str,
    access_token: &str,
    name: &ProfileName,
) -> Result<Map<String, Value>> {
    match userinfo::fetch(http, url, access_token)? {
        userinfo::Answer::Claims(claims) => Ok(claims),
        userinfo::Answer::Rejected(status) => Err(rejected(url, status, name)),
    }
}

fn rejected(url: &str, status: u16, name: &ProfileName) -> anyhow::Error {
    exit::fail(
        Code::NotSignedIn,
        format!(
            "{url} rejected the access token of profile '{name}' (HTTP {status}); run `{}`",
            crate::hint::for_profile("login", name, "")
        ),
    )
}
