//! `keycard token`: a valid access token on stdout, for `$(keycard token)`. A valid cached
//! token costs one file read and no network; an expiring one is refreshed first.

use crate::cli::TokenArgs;
use crate::config::Config;
use crate::env::{Clock, Env};
use crate::exit::{self, Code};
use crate::session;
use crate::ui;
use anyhow::Result;
use chrono::TimeDelta;

pub fn run(args: TokenArgs, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let min_ttl = args
        .min_ttl
        .and_then(|d| TimeDelta::from_std(d).ok())
        .unwrap_or(TimeDelta::zero());
    let need = session::Need {
        min_ttl,
        id_token: args.id_token,
    };
    let tokens = session::fresh_tokens(env, &config, &name, need)?;

    let printed = if args.id_token {
        tokens.id_token.as_ref().ok_or_else(|| {
            exit::fail(
                Code::Failure,
                format!(
                    "profile '{name}' has no ID token; the provider issues one only for the \
                     `openid` scope (`{}`, then log in again)",
                    crate::hint::for_profile("config set", &name, "scopes \"openid ...\"")
                ),
            )
        })?
    } else {
        &tokens.access_token
    };
    if env.json {
        let kind = if args.id_token {
            "id_token"
        } else {
            "access_token"
        };
        let now = env.clock.now();
        let expires_in = tokens.time_left(now).map(|left| left.num_seconds().max(0));
        let mut object = serde_json::json!({
            "token_type": tokens.token_type,
            "expires_at": tokens.trusted_expiry(now),
            "expires_in": expires_in,
            "scope": tokens.scope,
        });
        object[kind] = serde_json::Value::String(printed.expose().to_string());
        ui::out(&object.to_string())
    } else {
        ui::out(printed.expose())
    }
}
