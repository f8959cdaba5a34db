//! `keycard docker-credential <get|store|erase|list>`, also run as
//! `docker-credential-keycard`: docker's credential helper protocol
//! (github.com/docker/docker-credential-helpers). `get` reads a server URL on stdin and
//! prints `{"ServerURL","Username","Secret"}`; docker takes the exact line
//! `credentials not found in native keychain` (exit 1) to mean "no credentials here".

use crate::cli::DockerOperation;
use crate::config::Config;
use crate::credential;
use crate::env::{Clock, Env};
use crate::exit::{self, Code};
use crate::hosts::Host;
use crate::paths::ProfileName;
use crate::state;
use crate::ui;
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;

/// Docker's own words for "not here"; its client compares the text.
const NOT_FOUND: &str = "credentials not found in native keychain";

/// A server URL or a `store` request is far smaller; the rest is not read.
const MAX_INPUT: u64 = 64 * 1024;

pub fn run(operation: DockerOperation, env: &Env) -> Result<()> {
    let mut input = Vec::new();
    // Read whatever docker sends before answering, so it never writes into a closed pipe.
    let _ = std::io::stdin().take(MAX_INPUT).read_to_end(&mut input);
    match operation {
        DockerOperation::Get => get(&String::from_utf8_lossy(&input), env),
        DockerOperation::List => list(env),
        // keycard owns the session: `docker login` storing a password and `docker
        // logout` erasing one must not replace or delete it (`keycard logout` does that).
        DockerOperation::Store | DockerOperation::Erase => Ok(()),
    }
}

fn get(server_url: &str, env: &Env) -> Result<()> {
    let server_url = server_url.trim();
    let config = Config::load(&env.paths)?;
    let owner = match Host::from_server_url(server_url) {
        Some(host) => credential::profile_for(env, &config, &host)?,
        None => None,
    };
    let Some(name) = owner else {
        ui::out(NOT_FOUND)?;
        return Err(exit::silent(Code::Failure));
    };
    let credential = credential::fetch(env, &config, &name)?;
    ui::out(
        &json!({
            "ServerURL": server_url,
            "Username": credential.username,
            "Secret": credential.token.expose(),
        })
        .to_string(),
    )
}

/// `{"https://HOST": "USERNAME"}` for each host of each profile with a usable session
/// (offline, like `status`): what `get` would answer for, without the secrets.
fn list(env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let only = env.flag_profile().map(ProfileName::parse).transpose()?;
    let now = env.clock.now();
    let profiles: Vec<ProfileName> = config
        .profile_names()
        .filter_map(|n| ProfileName::parse(n).ok())
        .filter(|n| only.as_ref().is_none_or(|o| o == n))
        .collect();
    let mut owners: BTreeMap<Host, Vec<&ProfileName>> = BTreeMap::new();
    for name in &profiles {
        for host in credential::listed_hosts(&config, name) {
            owners.entry(host).or_default().push(name);
        }
    }
    let mut listed = BTreeMap::new();
    for (host, names) in owners {
        // A host two profiles list is one `get` refuses: leave it out here too.
        let [name] = names.as_slice() else { continue };
        let signed_in = state::load(&env.paths.token_file(name), name.as_str())
            .ok()
            .flatten()
            .is_some_and(|s| s.tokens.state(now).is_usable());
        if signed_in {
            let username = config
                .profile(name)
                .map(|p| p.username())
                .unwrap_or_default();
            listed.insert(format!("https://{host}"), username.to_string());
        }
    }
    ui::out(&serde_json::to_string(&listed)?)
}
