//! `keycard login`: the device flow for one profile, ending in a saved token file.

use crate::browser;
use crate::cli::LoginArgs;
use crate::config::Config;
use crate::env::{Clock, Env};
use crate::exit;
use crate::fsio;
use crate::http::Http;
use crate::oauth::device::{self, Client};
use crate::oauth::{check_endpoint, discovery};
use crate::paths::ProfileName;
use crate::state::{self, SessionState, TokenState};
use crate::ui;
use anyhow::{Context, Result};

pub fn run(args: LoginArgs, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let saved = config.profile(&name);
    let one_off = args.issuer.is_some() || args.client_id.is_some();
    if saved.is_none() && (args.issuer.is_none() || args.client_id.is_none()) {
        config.require(&name)?;
    }
    let mut profile = saved.cloned().unwrap_or_default();
    if let Some(issuer) = args.issuer {
        // Another issuer: nothing configured for the old one applies.
        profile.issuer = Some(issuer);
        profile.discovered = None;
        profile.device_authorization_endpoint = None;
        profile.token_endpoint = None;
        profile.revocation_endpoint = None;
        profile.userinfo_endpoint = None;
    }
    if let Some(client_id) = args.client_id {
        profile.client_id = Some(client_id);
        profile.client_secret = None;
    }
    let asked_scopes = !args.scopes.is_empty();
    if asked_scopes {
        profile.scopes = Some(args.scopes);
    }
    let client_id = profile.client_id.clone().ok_or_else(|| {
        exit::usage(format!(
            "profile '{name}' has no client_id; set it with `keycard --profile {name} config set client_id ID`"
        ))
    })?;
    if let Some(issuer) = &profile.issuer {
        check_endpoint("issuer", issuer)?;
    }

    let token_path = env.paths.token_file(&name);
    if !args.force && !asked_scopes {
        // A damaged file is no reason to refuse: signing in again is how it gets fixed.
        if let Ok(Some(stored)) = state::load(&token_path, name.as_str()) {
            let t = &stored.tokens;
            let same_client = t.client_id == client_id && t.issuer == profile.issuer;
            if same_client && t.state(env.clock.now()) == SessionState::Valid {
                return already_signed_in(env, &name, t);
            }
        }
    }

    // Fail on an unwritable config directory now, not after the user approved the code.
    fsio::ensure_private_dir(env.paths.dir())?;

    let http = Http::new(profile.ca_file.as_deref(), env.verbose)?;
    let (endpoints, fresh) = discovery::endpoints(&http, &profile, profile.issuer.as_deref())?;
    if let Some(found) = fresh.filter(|_| saved.is_some() && !one_off) {
        let cached = config
            .edit()
            .and_then(|mut edit| edit.set_discovered(&name, &found).map(|()| edit))
            .and_then(|edit| edit.save());
        if let Err(e) = cached {
            ui::warn(&format!("could not cache the discovered endpoints: {e:#}"));
        }
    }

    let client = Client {
        id: &client_id,
        secret: profile.client_secret.as_deref(),
    };
    let mut extra = profile.params.clone();
    if let Some(audience) = &profile.audience {
        extra.insert("audience".into(), audience.clone());
    }
    let auth = device::start(
        &http,
        &endpoints.device_authorization,
        &client,
        &profile.scopes(),
        &extra,
    )
    .context("could not start the sign-in")?;
    ui::show_device_code(env, &auth)?;
    if browser::should_open(env, args.no_browser) {
        let link = auth
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&auth.verification_uri);
        if !browser::open(link) {
            ui::info(
                env,
                "Could not open a browser; open the link above yourself.",
            );
        }
    }

    let mut progress = ui::Progress::new(env);
    let tokens = device::poll(
        &http,
        &endpoints.token,
        &client,
        &auth,
        &env.clock,
        &mut |left| progress.waiting(left),
    );
    progress.finish();
    let tokens =
        TokenState::from_response(tokens?, env.clock.now(), profile.issuer.clone(), client_id);
    state::save(&token_path, &tokens)?;

    let who = tokens
        .identity
        .display()
        .map(|w| format!(" as {w}"))
        .unwrap_or_default();
    ui::info(
        env,
        &format!(
            "{} Signed in to profile '{name}'{who}.",
            console::style("✓").green()
        ),
    );
    if env.json {
        ui::out(&result_json(&name, &tokens, "signed_in").to_string())?;
    }
    Ok(())
}

fn already_signed_in(env: &Env, name: &ProfileName, tokens: &TokenState) -> Result<()> {
    let who = tokens
        .identity
        .display()
        .map(|w| format!(" as {w}"))
        .unwrap_or_default();
    let left = tokens
        .usable_for(env.clock.now())
        .map(|d| format!(" for {}", ui::human_duration(d)))
        .unwrap_or_default();
    ui::info(
        env,
        &format!(
            "Already signed in to profile '{name}'{who}, valid{left}. Use `keycard login --force` to sign in again."
        ),
    );
    if env.json {
        ui::out(&result_json(name, tokens, "already_signed_in").to_string())?;
    }
    Ok(())
}

fn result_json(name: &ProfileName, tokens: &TokenState, result: &str) -> serde_json::Value {
    serde_json::json!({
        "result": result,
        "profile": name.as_str(),
        "issuer": tokens.issuer,
        "user": tokens.identity,
        "scope": tokens.scope,
        "expires_at": tokens.expires_at,
    })
}
