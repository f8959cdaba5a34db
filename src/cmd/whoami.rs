//! `keycard whoami`: the claims the provider's userinfo endpoint returns for the session,
//! as JSON; without a userinfo endpoint, the ID token's claims, saying so.

use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::identity;
use crate::session::{self, Need};
use crate::ui;
use crate::userinfo;
use anyhow::Result;
use serde_json::Value;

pub fn run(env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let tokens = session::fresh_tokens(env, &config, &name, Need::default())?;
    let claims = match userinfo::claims(env, &config, &name, &tokens)? {
        Some(claims) => claims,
        None => {
            let claims = tokens
                .id_token
                .as_ref()
                .and_then(|t| identity::claims(t.expose()))
                .ok_or_else(|| {
                    exit::fail(
                        Code::Failure,
                        format!(
                            "the provider offers no userinfo endpoint and the session has no \
                             ID token; set one with `{}`",
                            crate::hint::for_profile("config set", &name, "userinfo_endpoint URL")
                        ),
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
