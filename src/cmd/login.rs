//! `keycard login`: the device flow for one profile, ending in a saved token file.

use crate::browser;
use crate::cli::LoginArgs;
use crate::config::{Config, Profile};
use crate::env::{Clock, Env};
use crate::exit;
use crate::fsio;
use crate::http::Http;
use crate::identity::{self, Identity};
use crate::lock;
use crate::oauth::device::{self, Client};
use crate::oauth::{discovery, links};
use crate::paths::ProfileName;
use crate::revocation::{self, Revocation};
use crate::session;
use crate::signin;
use crate::state::{self, SessionState, TokenState};
use crate::text::one_line;
use crate::ui;
use crate::url_rules::check_endpoint;
use crate::userinfo;
use anyhow::{Context, Result};

pub fn run(args: LoginArgs, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let saved = config.profile(&name);
    if saved.is_none() && (args.issuer.is_none() || args.client_id.is_none()) {
        config.require(&name)?;
    }
    let asked_scopes = !args.scopes.is_empty();
    let profile = for_this_run(saved, &args);
    let client_id = profile.client_id.clone().ok_or_else(|| {
        exit::usage(format!(
            "profile '{name}' has no client_id; set it with `{}`",
            crate::hint::for_profile("config set", &name, "client_id ID")
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

    // One sign-in at a time per profile: another `login` waiting for a person is joined
    // (same code, same outcome), or with --force outlived, never raced.
    let _signin = match lock::try_signin(&env.paths, &name)? {
        Some(held) => held,
        None if args.force => {
            ui::info(
                env,
                &format!(
                    "Another keycard is signing in to profile '{name}'; with --force this one \
                     asks for a new code once that one has ended (Ctrl-C to stop waiting)."
                ),
            );
            lock::wait_signin(&env.paths, &name)?
        }
        None => match join(env, &name, &args)? {
            Joined::Ended(result) => return result,
            Joined::Free(held) => held,
        },
    };
    signin::clear(&env.paths, &name);
    let mut published = None;
    let result = sign_in(
        env,
        &args,
        &name,
        &profile,
        &config,
        client_id,
        &mut published,
    );
    // Whoever joined this sign-in ends as it ends. A Ctrl-C or kill never gets here:
    // then no outcome is recorded, and a joined `login` starts afresh.
    if let Some(mut pending) = published {
        pending.outcome = Some(signin::Outcome {
            code: result.as_ref().err().map_or(0, |e| exit::code_of(e) as i32),
            error: result.as_ref().err().map(|e| format!("{e:#}")),
        });
        signin::publish(&env.paths, &name, &pending);
    }
    result
}

/// What became of joining another `login`'s sign-in.
enum Joined {
    /// It ended (approved, denied, expired, failed): this run ends the same way.
    Ended(Result<()>),
    /// It is gone without an outcome (interrupted, killed, or it failed before it had a
    /// code to show): this run holds the sign-in lock and starts afresh.
    Free(lock::Held),
}

/// Shows the code another `login` of this profile is waiting on, and waits for it.
fn join(env: &Env, name: &ProfileName, args: &LoginArgs) -> Result<Joined> {
    // The holder publishes its code once the provider has given it one.
    let pending = loop {
        if let Some(held) = lock::try_signin(&env.paths, name)? {
            return Ok(Joined::Free(held));
        }
        if let Some(p) = signin::read(&env.paths, name).filter(signin::Pending::is_waiting) {
            break p;
        }
        env.clock.sleep(std::time::Duration::from_millis(50));
    };
    ui::info(
        env,
        &format!(
            "A sign-in to profile '{name}' is already waiting for approval (keycard process {}); \
             approve this code once, and both finish.",
            pending.pid
        ),
    );
    let auth = pending.as_authorization(env.clock.now());
    ui::show_device_code(env, &auth)?;
    if args.qr {
        ui::show_qr(
            auth.verification_uri_complete
                .as_deref()
                .unwrap_or(&auth.verification_uri),
        );
    }
    ui::info(env, "Waiting for that sign-in to finish...");
    let held = lock::wait_signin(&env.paths, name)?;
    let ended = signin::read(&env.paths, name)
        .filter(|p| p.id == pending.id)
        .and_then(|p| p.outcome);
    let Some(outcome) = ended else {
        ui::info(
            env,
            "The other sign-in stopped before it finished; starting a new one.",
        );
        return Ok(Joined::Free(held));
    };
    if outcome.code != 0 {
        let why = outcome.error.unwrap_or_default();
        return Ok(Joined::Ended(Err(exit::fail(
            exit::Code::of(outcome.code),
            format!("the sign-in this one joined ended: {why}"),
        ))));
    }
    let tokens = state::load(&env.paths.token_file(name), name.as_str())?.ok_or_else(|| {
        exit::fail(
            exit::Code::NotSignedIn,
            format!("the other sign-in finished, but profile '{name}' has no tokens now"),
        )
    })?;
    Ok(Joined::Ended(signed_in(env, name, &tokens.tokens)))
}

/// The device flow itself, from the device authorization request to the saved token
/// file. What it shows a person is also published for a `login` that joins it.
fn sign_in(
    env: &Env,
    args: &LoginArgs,
    name: &ProfileName,
    profile: &Profile,
    config: &Config,
    client_id: String,
    published: &mut Option<signin::Pending>,
) -> Result<()> {
    // `--issuer` or `--client-id`: nothing learned on this run is cached in the profile.
    let one_off = args.issuer.is_some() || args.client_id.is_some();
    let token_path = env.paths.token_file(name);
    let http = Http::with(profile.http_options(), env.verbose)?;
    let client = Client::of(profile, &client_id);
    let mut extra = profile.params.clone();
    if let Some(audience) = &profile.audience {
        extra.insert("audience".into(), audience.clone());
    }
    let (auth, endpoints, fresh) =
        discovery::with_endpoints(&http, profile, profile.issuer.as_deref(), |endpoints| {
            device::start(
                &http,
                &endpoints.device_authorization,
                &client,
                &profile.scopes(),
                &extra,
                name.as_str(),
            )
            .context("could not start the sign-in")
        })?;
    if !one_off {
        session::cache_discovery(env, name, &profile.issuer, fresh);
    }
    // Before the code is shown: a link keycard must not open ends the sign-in here, and
    // a warning about where it leads must be read before the code is entered.
    if let Some(warning) = links::check(
        &auth,
        profile,
        &endpoints.device_authorization,
        name.as_str(),
    )? {
        ui::warn(&warning);
    }
    // Published (once the link passed) before it is shown: whoever sees the code can
    // count on the record.
    let pending = signin::Pending::new(&auth, env.clock.now());
    signin::publish(&env.paths, name, &pending);
    *published = Some(pending);
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
        &mut |form| client.post_form(&http, &endpoints.token, form),
        &auth,
        &env.clock,
        &mut |left| progress.waiting(left),
        name.as_str(),
    );
    progress.finish();
    let (mut tokens, warning) =
        TokenState::from_response(tokens?, env.clock.now(), profile.issuer.clone(), client_id);
    if let Some(warning) = warning {
        ui::warn(&format!("profile '{name}': {warning}"));
    }
    if tokens.identity.is_empty() {
        tokens.identity = identity_from_userinfo(&http, profile, &tokens, name);
    }
    // Under the profile's lock, so a refresh finishing at this moment cannot overwrite it.
    let _lock = lock::acquire(&env.paths, name, lock::wait_for(profile.timeout))?;
    // The session this one replaces (`--force`, new scopes, or a login that raced this
    // one), read under the lock: its tokens are revoked once the new ones are safe.
    let replaced = match state::inspect(&token_path, name.as_str()) {
        Ok(state::Found::Tokens(stored)) => Some(stored.tokens),
        _ => None,
    };
    state::save(&token_path, &tokens)?;
    if let Some(old) = &replaced
        && revocation::replaced(env, config, name, old, &tokens) == Revocation::Revoked
    {
        ui::info(
            env,
            "The session this sign-in replaced was revoked at the provider.",
        );
    }
    // A new session gets its own warnings: the last one was about the old session.
    let _ = std::fs::remove_file(env.paths.warned_file(name));
    signed_in(env, name, &tokens)
}

fn signed_in(env: &Env, name: &ProfileName, tokens: &TokenState) -> Result<()> {
    ui::info(
        env,
        &format!(
            "{} Signed in to profile '{name}'{}.",
            console::style("✓").green(),
            as_who(tokens)
        ),
    );
    if env.json {
        ui::out(&result_json(name, tokens, "signed_in").to_string())?;
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

/// Who signed in, asked of the profile's explicit userinfo endpoint, for a provider that
/// sends no ID token (GitHub's `GET /user`): `status` then shows the user offline. The
/// sign-in has succeeded already, so a failure here is only a warning.
fn identity_from_userinfo(
    http: &Http,
    profile: &Profile,
    tokens: &TokenState,
    name: &ProfileName,
) -> Identity {
    let Some(url) = &profile.userinfo_endpoint else {
        return Identity::default();
    };
    match userinfo::fetch(http, url, tokens.access_token.expose()) {
        Ok(userinfo::Answer::Claims(claims)) => identity::from_userinfo(&claims),
        Ok(userinfo::Answer::Rejected(status)) => {
            ui::warn(&format!(
                "profile '{name}': {url} did not accept the new token (HTTP {status}), so \
                 keycard cannot show who signed in"
            ));
            Identity::default()
        }
        Err(e) => {
            ui::warn(&format!(
                "profile '{name}': could not ask {url} who signed in: {e:#}"
            ));
            Identity::default()
        }
    }
}

fn as_who(tokens: &TokenState) -> String {
    tokens
        .identity
        .display()
        .map(|w| format!(" as {}", one_line(w)))
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
             Use `{}` to sign in again.",
            as_who(tokens),
            crate::hint::for_profile("login", name, "--force")
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
