//! What the git and docker credential helpers hand out: the user name and a fresh access
//! token of the one profile that lists the host (see `hosts`).
//!
//! The rule (issue 8): a token only ever goes to a host its profile's `hosts` lists.
//! `KEYCARD_PROFILE` and the active profile play no part here, so a shell with
//! `KEYCARD_PROFILE=prod` exported and a global helper cannot send prod's token to a host
//! prod never named; `--profile` only narrows the choice to that one profile.

use crate::config::{Config, GitAuth, check_username};
use crate::env::Env;
use crate::exit::{self, Code};
use crate::hint;
use crate::hosts::Host;
use crate::paths::ProfileName;
use crate::secret::Secret;
use crate::session::{self, Need};
use crate::ui;
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
    owner(config, host, only.as_ref())
}

/// The profile's credential, refreshing the token first when needed (once, however
/// many helpers ask at the same moment: `session::fresh_tokens`). Never signs in: a
/// helper has no terminal to show a code on, so no session is exit 3 with the command
/// to run.
pub fn fetch(env: &Env, config: &Config, name: &ProfileName) -> Result<Credential> {
    let tokens = session::fresh_tokens(env, config, name, Need::default())?;
    let profile = config.profile(name).cloned().unwrap_or_default();
    // Both protocols are line-based; a token with a line break would end the answer
    // early and let the rest be read as other keys. None gets here: the token file and
    // the provider's answers are refused for any token that is not printable ASCII
    // (`oauth::token_chars`).
    let username = check_username(profile.username()).map_err(|e| {
        anyhow::anyhow!(
            "profile '{name}': {e:#}; fix it with `{}`",
            hint::for_profile("config set", name, "username NAME")
        )
    })?;
    Ok(Credential {
        username: username.to_string(),
        token: tokens.access_token,
        expires_at: tokens.expires_at,
        git_auth: profile.git_auth.unwrap_or_default(),
    })
}

/// The profile whose `hosts` lists `host`: among all profiles, or only `only` when
/// `--profile` was given. `None` when no profile lists it; an error naming both when
/// two do, since either choice could hand a token to the wrong account.
fn owner(config: &Config, host: &Host, only: Option<&ProfileName>) -> Result<Option<ProfileName>> {
    let mut owners = Vec::new();
    for name in config.profile_names() {
        if only.is_some_and(|o| o.as_str() != name) {
            continue;
        }
        let Ok(profile) = ProfileName::parse(name) else {
            continue;
        };
        if listed_hosts(config, &profile).contains(host) {
            owners.push(profile);
        }
    }
    match owners.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        [first, second, ..] => Err(exit::fail(
            Code::Failure,
            format!(
                "profiles '{first}' and '{second}' both list {host} in their hosts; remove it from \
                 one of them (`{}`)",
                hint::for_profile("config set", second, "hosts \"...\"")
            ),
        )),
    }
}

/// The profile's `hosts`, parsed. An entry written by hand that is no host is skipped
/// with a warning that says how to fix it, rather than matching something by accident.
pub fn listed_hosts(config: &Config, name: &ProfileName) -> Vec<Host> {
    let entries = config
        .profile(name)
        .and_then(|p| p.hosts.as_deref())
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|raw| match Host::entry(raw) {
            Ok(host) => Some(host),
            Err(e) => {
                ui::warn(&format!(
                    "profile '{name}': {e:#}; fix it with `{}`",
                    hint::for_profile("config set", name, "hosts \"...\"")
                ));
                None
            }
        })
        .collect()
}
