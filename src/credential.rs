//! What the git and docker credential helpers hand out: the user name and a fresh access
//! token of the one profile that lists the host (see `hosts`).

use crate::config::{Config, GitAuth, check_username};
use crate::env::Env;
use crate::hosts::{self, Host};
use crate::paths::ProfileName;
use crate::secret::Secret;
use crate::session::{self, Need};
use anyhow::Result;
use chrono::{DateTime, Utc};

pub struct Credential {
    pub username: String,
    pub token: Secret,
    pub expires_at: Option<DateTime<Utc>>,
    pub git_auth: GitAuth,
}

/// The profile that answers for `host`: the one listing it, narrowed to `--profile`
/// when that is given. `KEYCARD_PROFILE` and the active profile are not consulted.
pub fn profile_for(env: &Env, config: &Config, host: &Host) -> Result<Option<ProfileName>> {
    let only = env.flag_profile().map(ProfileName::parse).transpose()?;
    hosts::owner(config, host, only.as_ref())
}

/// The profile's credential, refreshing the token first when needed (once, however
/// many helpers ask at the same moment: `session::fresh_tokens`). Never signs in: a
/// helper has no terminal to show a code on, so no session is exit 3 with the command
/// to run.
pub fn fetch(env: &Env, config: &Config, name: &ProfileName) -> Result<Credential> {
    let tokens = session::fresh_tokens(env, config, name, Need::default())?;
    let profile = config.profile(name).cloned().unwrap_or_default();
    // Both protocols are line-based; a token with a line break would end the answer
    // early and let the rest be read as other keys.
    if tokens.access_token.expose().contains(['\n', '\r', '\0']) {
        anyhow::bail!(
            "the access token of profile '{name}' contains a line break, which git and docker \
             cannot take; sign in again with `keycard login --profile {name}`"
        );
    }
    let username = check_username(profile.username()).map_err(|e| {
        anyhow::anyhow!("profile '{name}': {e:#}; fix it with `keycard --profile {name} config set username NAME`")
    })?;
    Ok(Credential {
        username: username.to_string(),
        token: tokens.access_token,
        expires_at: tokens.expires_at,
        git_auth: profile.git_auth.unwrap_or_default(),
    })
}
