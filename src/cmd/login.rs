//! `keycard login`: the device flow for one profile, ending in a saved token file.

use crate::browser;
use crate::cli::LoginArgs;
use crate::config::{Config, Profile};
use crate::env::{Clock, Env};
use crate::exit;
use crate::fsio;
use crate::http::Http;
use crate::lock;
use crate::oauth::device::{self, Client};
use crate::oauth::{check_endpoint, discovery};
use crate::paths::ProfileName;
use crate::session;
use crate::state::{self, SessionState, TokenState};
use crate::ui;
use anyhow::{Context, Result};

pub fn run(args: LoginArgs, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let saved = config.profile(&name);
    if saved.is_none() && (args.issuer.is_none() || args.client_id.is_none()) {
        config.require(&name)?;
    }
    let one_off = args.issuer.is_some() || args.client_id.is_some();
    let asked_scopes = !args.scopes.is_empty();
    let profile = for_this_run(saved, &args);
    let client_id = profile.client_id.clone().ok_or_else(|| {
        exit::usage(format!(
            "profile '{name}' has no client_id; set it with `keycard --profile {name} config set client_id ID`"
        ))
    })?;
    if let Some(issuer) = &profile.issuer {
        check_endpoint("issuer", issuer)?;
    }

    let token_path = env.paths.token_file(&name);
    // A link or a directory at the token path is refused now, before the user approves a
    // code whose tokens could not be saved.
    match state::inspect(&token_path, name.as_str())? {
        state::Found::Tokens(stored) if !args.force && !asked_scopes => {
            let t = &stored.tokens;
            let same_client = t.client_id == client_id && t.issuer == profile.issuer;
            if same_client && t.state(env.clock.now()) == SessionState::Valid {
                return already_signed_in(env, &name, t);
            }
        }
        // Signing in again is the fix for a damaged file; say so before replacing it.
        state::Found::Damaged(e) => ui::warn(&format!(
            "{e:#}; it will be replaced when this sign-in completes"
        )),
        _ => {}
    }

    // Fail on an unwritable config directory now, not after the user approved the code.
    fsio::ensure_writable_dir(env.paths.dir())?;

    let http = Http::for_profile(&profile, env.verbose)?;
    let client = Client::of(&profile, &client_id);
    let mut extra = profile.params.clone();
    if let Some(audience) = &profile.audience {
        extra.insert("audience".into(), audience.clone());
    }
    let (auth, endpoints, fresh) =
        discovery::with_endpoints(&http, &profile, profile.issuer.as_deref(), |endpoints| {
            device::start(
                &http,
                &endpoints.device_authorization,
                &client,
                &profile.scopes(),
                &extra,
            )
            .context("could not start the sign-in")
        })?;
    if !one_off {
        session::cache_discovery(env, &name, &profile.issuer, fresh);
    }
    ui::show_device_code(env, &auth)?;
    let link = auth
        .verification_uri_complete
        .as_deref()
        .unwrap_or(&auth.verification_uri);
    if args.qr {
        ui::show_qr(link);
    }
    if browser::should_open(env, args.no_browser) && !browser::open(link) {
        ui::info(
            env,
            "Could not open a browser; open the link above yourself.",
        );
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
    let (tokens, warning) =
        TokenState::from_response(tokens?, env.clock.now(), profile.issuer.clone(), client_id);
    if let Some(warning) = warning {
        ui::warn(&format!("profile '{name}': {warning}"));
    }
    // Under the profile's lock, so a refresh finishing at this moment cannot overwrite it.
    let _lock = lock::acquire(&env.paths, &name, lock::wait_for(profile.timeout))?;
    state::save(&token_path, &tokens)?;

    ui::info(
        env,
        &format!(
            "{} Signed in to profile '{name}'{}.",
            console::style("✓").green(),
            as_who(&tokens)
        ),
    );
    if env.json {
        ui::out(&result_json(&name, &tokens, "signed_in").to_string())?;
    }
    Ok(())
}

/// The saved profile with this run's `--issuer`, `--client-id` and `--scope` applied.
/// Nothing here is written back: overrides are for one run.
fn for_this_run(saved: Option<&Profile>, args: &LoginArgs) -> Profile {
    let mut profile = saved.cloned().unwrap_or_default();
    if let Some(issuer) = &args.issuer {
        // Another issuer: endpoints configured or discovered for the old one do not apply,
        // and the saved client's secret must not travel to another provider.
        profile = Profile {
            issuer: Some(issuer.clone()),
            client_secret: None,
            client_auth: None,
            discovered: None,
            device_authorization_endpoint: None,
            token_endpoint: None,
            revocation_endpoint: None,
            userinfo_endpoint: None,
            ..profile
        };
    }
    if let Some(client_id) = &args.client_id {
        // The secret belongs to the saved client, not this one.
        profile.client_id = Some(client_id.clone());
        profile.client_secret = None;
    }
    if !args.scopes.is_empty() {
        profile.scopes = Some(args.scopes.clone());
    }
    profile
}

fn as_who(tokens: &TokenState) -> String {
    tokens
        .identity
        .display()
        .map(|w| format!(" as {w}"))
        .unwrap_or_default()
}

fn already_signed_in(env: &Env, name: &ProfileName, tokens: &TokenState) -> Result<()> {
    let left = tokens
        .usable_for(env.clock.now())
        .map(|d| format!(" for {}", ui::human_duration(d)))
        .unwrap_or_default();
    ui::info(
        env,
        &format!(
            "Already signed in to profile '{name}'{}, valid{left}. \
             Use `keycard login --profile {name} --force` to sign in again.",
            as_who(tokens)
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
