//! A usable session for the commands that need a token (`token`, `whoami`): the token
//! file, refreshed when needed, once, however many keycard processes ask at the same
//! moment.
//!
//! The shape: read the file without a lock (the common case, a valid token, costs one
//! read and no network); if it needs a refresh, take the profile's lock, read the file
//! again (another process may have refreshed it meanwhile), and only then refresh and
//! save under the lock. A provider that rotates refresh tokens therefore sees each one
//! used exactly once.

use crate::config::{Config, Profile};
use crate::config_update;
use crate::env::{Clock, Env};
use crate::exit::{self, Code};
use crate::expiry::{self, EXPIRY_MARGIN};
use crate::hint;
use crate::http::Http;
use crate::identity;
use crate::lock;
use crate::oauth::device::Client;
use crate::oauth::discovery::{self, After};
use crate::oauth::{NotFound, token};
use crate::paths::ProfileName;
use crate::signals;
use crate::state::{self, TokenState};
use crate::ui;
use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};

/// What the caller needs from the session.
#[derive(Debug, Clone, Copy, Default)]
pub struct Need {
    /// The access token must stay valid at least this long (beyond the margin).
    pub min_ttl: TimeDelta,
    /// The ID token will be used: it must not be about to expire either.
    pub id_token: bool,
}

/// The profile's tokens, valid for at least the margin and `need`, refreshing first
/// when they are not. Exit 3 when there is no session or the provider refuses to refresh
/// it; exit 4 when the provider cannot be reached and the old token has really expired.
pub fn fresh_tokens(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    need: Need,
) -> Result<TokenState> {
    let tokens = renew(env, config, name, need, None)?;
    warn_if_session_ends_soon(env, config, name, &tokens);
    Ok(tokens)
}

/// A session ending within this gets a warning unless the profile sets `session_warning`.
pub const DEFAULT_SESSION_WARNING: TimeDelta = TimeDelta::hours(24);

/// At most one warning an hour per profile: a script calling `keycard token` in a loop
/// must not fill its log.
const WARN_EVERY: TimeDelta = TimeDelta::hours(1);

/// One line on stderr when the session (the refresh token) ends within the profile's
/// `session_warning`, at most once an hour per profile. The last warning's time is kept
/// in `.auth-NAME.warned`, not in the token file: writing that needs the profile lock,
/// which a cached `token` never waits for. Two processes racing here may both warn.
fn warn_if_session_ends_soon(env: &Env, config: &Config, name: &ProfileName, tokens: &TokenState) {
    let now = env.clock.now();
    let Some(left) = tokens.session_left(now).filter(|l| *l > TimeDelta::zero()) else {
        return;
    };
    let threshold = config
        .profile(name)
        .and_then(|p| p.session_warning)
        .map_or(DEFAULT_SESSION_WARNING, |secs| {
            TimeDelta::try_seconds(secs as i64).unwrap_or(TimeDelta::MAX)
        });
    if left > threshold {
        return;
    }
    let marker = env.paths.warned_file(name);
    let last = crate::fsio::read_small(&marker, 64)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.to_utc());
    // A time in the future means the clock went back: warn rather than stay quiet.
    if last.is_some_and(|at| at <= now && now.signed_duration_since(at) < WARN_EVERY) {
        return;
    }
    let _ = crate::fsio::write_record(&marker, format!("{}\n", now.to_rfc3339()).as_bytes());
    ui::warn(&format!(
        "the session of profile '{name}' ends in {} ({}); sign in again before then with \
         `{}`",
        ui::human_duration(left),
        tokens
            .session_expires_at
            .map(|end| end.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        hint::for_profile("login", name, "--force")
    ));
}

/// New tokens after the provider rejected the access token `rejected` (userinfo said
/// 401): a refresh, unless another keycard replaced the token meanwhile. `None` when
/// the session has no refresh token to try. A refresh refused with `invalid_grant`
/// marks the session refused in the token file, as `fresh_tokens` does.
pub fn replace_rejected(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    rejected: &TokenState,
) -> Result<Option<TokenState>> {
    if rejected.refresh_token.is_none() {
        return Ok(None);
    }
    renew(
        env,
        config,
        name,
        Need::default(),
        Some(rejected.access_token.expose()),
    )
    .map(Some)
}

fn renew(
    env: &Env,
    config: &Config,
    name: &ProfileName,
    need: Need,
    rejected: Option<&str>,
) -> Result<TokenState> {
    let min_ttl = need.min_ttl;
    let path = env.paths.token_file(name);
    let usable = |tokens: &TokenState| {
        good_enough(tokens, env.clock.now(), need) && rejected != Some(tokens.access_token.expose())
    };
    let tokens = read(env, config, name)?;
    if let Some(at) = tokens.refused_at {
        // Asking again would only be refused again.
        return Err(exit::fail(
            Code::NotSignedIn,
            format!(
                "the provider refused the session of profile '{name}' at {} ({}); run `{}`",
                at.format("%Y-%m-%d %H:%M UTC"),
                tokens
                    .refused_reason
                    .as_deref()
                    .map_or("".into(), crate::text::one_line),
                hint::for_profile("login", name, "")
            ),
        ));
    }
    if usable(&tokens) {
        return Ok(tokens);
    }
    if tokens.refresh_token.is_none() {
        return without_refresh_token(env, name, tokens);
    }
    if tokens.session_over(env.clock.now()) {
        return session_ended(env, name, tokens);
    }

    // From here on the token file may be written: Ctrl-C must wait for the write.
    signals::install();
    let timeout = config.profile(name).and_then(|p| p.timeout);
    let _lock = lock::acquire(&env.paths, name, lock::wait_for(timeout))?;
    let tokens = read(env, config, name)?;
    if usable(&tokens) {
        // Another keycard refreshed while we waited for the lock.
        return Ok(tokens);
    }
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return without_refresh_token(env, name, tokens);
    };

    let provider = provider_profile(config, name, &tokens);
    let answer = Http::with(provider.http_options(), env.verbose).and_then(|http| {
        let client = Client::of(&provider, &tokens.client_id);
        let refresh_with = |profile: &Profile| {
            let endpoint = endpoint_after_login(env, &http, profile, name, &tokens, After::Token)?;
            let endpoint = endpoint.ok_or_else(|| {
                exit::usage(format!(
                    "no token endpoint is known for profile '{name}'; set it with `{}`",
                    hint::for_profile("config set", name, "token_endpoint URL")
                ))
            })?;
            token::refresh(
                &http,
                &endpoint,
                &client,
                refresh_token.expose(),
                name.as_str(),
            )
        };
        let cached_endpoint = provider.token_endpoint.is_none() && provider.discovered.is_some();
        let resp = match refresh_with(&provider) {
            // The provider moved its token endpoint since discovery was cached: discover
            // again, once.
            Err(e) if cached_endpoint && NotFound::is(&e) => refresh_with(&Profile {
                discovered: None,
                ..provider.clone()
            })?,
            other => other?,
        };
        Ok(resp)
    });

    let now = env.clock.now();
    match answer {
        Ok(resp) => {
            let (new, warning) = TokenState::from_response(
                resp,
                now,
                tokens.issuer.clone(),
                tokens.client_id.clone(),
            );
            if let Some(warning) = warning {
                ui::warn(&format!("profile '{name}': {warning}"));
            }
            let fresh = renewed(&tokens, new);
            state::save(&path, &fresh)?;
            if need.id_token && !id_token_fresh(&fresh, now) {
                return Err(exit::fail(
                    Code::NotSignedIn,
                    format!(
                        "the ID token of profile '{name}' has expired and the provider issues \
                         no new one on refresh; run `{login}`",
                        login = hint::for_profile("login", name, "")
                    ),
                ));
            }
            if !good_enough(
                &fresh,
                now,
                Need {
                    id_token: false,
                    ..need
                },
            ) && !min_ttl.is_zero()
            {
                ui::warn(&format!(
                    "the provider issues tokens that live {}, less than --min-ttl asks",
                    lifetime(&fresh).map_or("briefly".into(), ui::human_duration)
                ));
            }
            Ok(fresh)
        }
        Err(e) if exit::code_of(&e) == Code::NotSignedIn => {
            // The provider refused the session: say so in the file (still under the lock),
            // so that `status` calls it expired and `login` needs no --force. The tokens
            // stay until the user signs in again or out (SPEC "Tokens and refresh").
            // What the provider said ("invalid_grant: ..."), the root of the error.
            let refused = TokenState {
                refused_at: Some(now),
                refused_reason: Some(e.root_cause().to_string()),
                ..tokens
            };
            if let Err(w) = state::save(&path, &refused) {
                ui::warn(&format!("could not record the refused session: {w:#}"));
            }
            Err(exit::fail(
                Code::NotSignedIn,
                format!(
                    "{e:#}; profile '{name}' must sign in again: run `{}`",
                    hint::for_profile("login", name, "")
                ),
            ))
        }
        Err(e) if exit::code_of(&e) == Code::Network => match tokens.time_left(now) {
            Some(left) if left > TimeDelta::zero() => {
                ui::warn(&format!(
                    "could not refresh profile '{name}' ({e:#}); using its current access \
                         token, which expires in {}",
                    ui::human_duration(left)
                ));
                Ok(tokens)
            }
            _ => Err(exit::network(format!(
                "could not refresh profile '{name}', whose access token has expired: {e:#}"
            ))),
        },
        Err(e) => Err(e),
    }
}

/// The token file, or exit 3 saying how to get one.
fn read(env: &Env, config: &Config, name: &ProfileName) -> Result<TokenState> {
    let path = env.paths.token_file(name);
    match state::load(&path, name.as_str())? {
        Some(stored) => {
            if stored.loose_mode {
                ui::warn(&format!(
                    "{} can be read by other users; fix it with `chmod 600 {}`",
                    path.display(),
                    path.display()
                ));
            }
            Ok(stored.tokens)
        }
        None if config.profile(name).is_none() => Err(config.missing(name)),
        None => Err(exit::fail(
            Code::NotSignedIn,
            format!(
                "not signed in to profile '{name}'; run `{login}`",
                login = hint::for_profile("login", name, "")
            ),
        )),
    }
}

/// The access token is valid beyond the margin and for at least `min_ttl`, and the ID
/// token too when it is needed.
fn good_enough(tokens: &TokenState, now: DateTime<Utc>, need: Need) -> bool {
    let access = match tokens.time_left(now) {
        None => true,
        Some(left) => left > tokens.margin() && left >= need.min_ttl,
    };
    access && (!need.id_token || id_token_fresh(tokens, now))
}

/// The ID token's own `exp` (it may differ from the access token's: Auth0 issues 10-hour
/// ID tokens with 24-hour access tokens) is beyond the same kind of margin. An ID token
/// without a readable `exp`, or no ID token at all, counts as fresh: there is nothing
/// to compare, and `token --id-token` reports a missing one itself.
fn id_token_fresh(tokens: &TokenState, now: DateTime<Utc>) -> bool {
    let Some(claims) = tokens
        .id_token
        .as_ref()
        .and_then(|t| identity::claims(t.expose()))
    else {
        return true;
    };
    let time = |key: &str| {
        claims
            .get(key)
            .and_then(serde_json::Value::as_i64)
            .and_then(|s| DateTime::from_timestamp(s, 0))
    };
    let Some(exp) = time("exp") else {
        return true;
    };
    let lifetime = time("iat").map_or(EXPIRY_MARGIN * 2, |iat| exp.signed_duration_since(iat));
    let margin = EXPIRY_MARGIN.min(lifetime / 2).max(TimeDelta::zero());
    exp.signed_duration_since(now) > margin
}

fn lifetime(tokens: &TokenState) -> Option<TimeDelta> {
    tokens
        .expires_at
        .map(|exp| exp.signed_duration_since(tokens.issued_at))
}

/// The refresh token is past the end the provider gave it: no request is made, since it
/// would only be refused. What is left of the access token is handed out with a warning.
fn session_ended(env: &Env, name: &ProfileName, tokens: TokenState) -> Result<TokenState> {
    let now = env.clock.now();
    let ended = tokens
        .session_expires_at
        .map(|end| end.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    match tokens.time_left(now) {
        Some(left) if left > TimeDelta::zero() && !tokens.clock_went_back(now) => {
            ui::warn(&format!(
                "the session of profile '{name}' ended at {ended} and its access token expires \
                 in {}; run `{}`",
                ui::human_duration(left),
                hint::for_profile("login", name, "")
            ));
            Ok(tokens)
        }
        _ => Err(exit::fail(
            Code::NotSignedIn,
            format!(
                "the session of profile '{name}' ended at {ended} (the provider gave its refresh \
                 token until then); run `{}`",
                hint::for_profile("login", name, "")
            ),
        )),
    }
}

/// No refresh token: a token still inside its margin is handed out with a warning (it
/// is all there is); an expired one means signing in again.
fn without_refresh_token(env: &Env, name: &ProfileName, tokens: TokenState) -> Result<TokenState> {
    let now = env.clock.now();
    if tokens.clock_went_back(now) {
        return Err(exit::fail(
            Code::NotSignedIn,
            format!(
                "profile '{name}' was signed in at {}, which is later than the system clock \
                 says it is now: the clock went back, so keycard cannot tell whether the token \
                 still works; fix the clock or run `{login}`",
                tokens.issued_at.format("%Y-%m-%d %H:%M UTC"),
                login = hint::for_profile("login", name, "")
            ),
        ));
    }
    let left = tokens.time_left(now).unwrap_or(TimeDelta::MAX);
    if left > TimeDelta::zero() {
        ui::warn(&format!(
            "profile '{name}' has no refresh token and its access token expires in {}; \
             run `{login}` for a new one",
            ui::human_duration(left),
            login = hint::for_profile("login", name, "")
        ));
        return Ok(tokens);
    }
    Err(exit::fail(
        Code::NotSignedIn,
        format!(
            "the session of profile '{name}' has expired and cannot be refreshed (the provider \
             gave no refresh token); run `{login}`",
            login = hint::for_profile("login", name, "")
        ),
    ))
}

/// The refreshed tokens, keeping what the provider did not resend: a refresh token that
/// was not rotated, the ID token and the identity taken from it, the granted scope.
fn renewed(old: &TokenState, mut new: TokenState) -> TokenState {
    // `expires_in` is only RECOMMENDED (RFC 6749 §5.1): a token that came with a
    // lifetime before is taken to have the same one now, rather than none. A "lifetime"
    // from a file whose token was issued after it expired is not carried over: it would
    // make every refreshed token expired on arrival, and every call a refresh.
    if new.expires_at.is_none()
        && let Some(exp) = old.expires_at
    {
        new.expires_at = expiry::carried_over(exp.signed_duration_since(old.issued_at))
            .and_then(|lifetime| new.issued_at.checked_add_signed(lifetime));
    }
    if new.refresh_token.is_none() {
        new.refresh_token = old.refresh_token.clone();
    }
    if new.id_token.is_none() {
        new.id_token = old.id_token.clone();
        new.identity = old.identity.clone();
        new.auth_time = old.auth_time;
    }
    // The same refresh token keeps the end it had, unless the provider gave a new one
    // (Keycloak's idle timeout moves with each refresh); a rotated one has its own.
    if new.refresh_token.as_ref().map(|t| t.expose())
        == old.refresh_token.as_ref().map(|t| t.expose())
        && new.session_expires_at.is_none()
    {
        new.session_expires_at = old.session_expires_at;
    }
    if new.scope.is_none() {
        new.scope = old.scope.clone();
    }
    new
}

/// Where the tokens came from, as a profile: the saved profile when the tokens were
/// issued for its issuer (its endpoints and cached discovery apply, and its secret when
/// the client matches), else a bare profile for the issuer on file (a one-off login).
pub fn provider_profile(config: &Config, name: &ProfileName, tokens: &TokenState) -> Profile {
    let saved = config.profile(name).cloned().unwrap_or_default();
    let same_client = saved.client_id.as_deref() == Some(tokens.client_id.as_str());
    let mut profile = if saved.issuer == tokens.issuer {
        saved.clone()
    } else {
        Profile {
            issuer: tokens.issuer.clone(),
            ca_file: saved.ca_file.clone(),
            timeout: saved.timeout,
            connect_timeout: saved.connect_timeout,
            ..Profile::default()
        }
    };
    profile.client_id = Some(tokens.client_id.clone());
    if !same_client {
        profile.client_secret = None;
    }
    profile
}

/// The profile was removed or pointed at another issuer while discovery ran: the results
/// describe nothing in config.toml any more, and nothing is saved.
#[derive(Debug)]
struct NotOurIssuer;

impl std::fmt::Display for NotOurIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the profile no longer names this issuer")
    }
}

impl std::error::Error for NotOurIssuer {}

/// One endpoint of the provider that issued `tokens`, for a command after sign-in
/// (`discovery::endpoint_after_login`: the profile's setting, its cached discovery, else
/// discovery), with fresh discovery results cached in the profile. `None` when the
/// provider does not offer it.
pub fn endpoint_after_login(
    env: &Env,
    http: &Http,
    provider: &Profile,
    name: &ProfileName,
    tokens: &TokenState,
    which: After,
) -> Result<Option<String>> {
    let (endpoint, fresh) =
        discovery::endpoint_after_login(http, provider, tokens.issuer.as_deref(), which)?;
    cache_discovery(env, name, &tokens.issuer, fresh);
    Ok(endpoint)
}

/// Saves fresh discovery results in the profile, when they describe its own issuer.
/// config.toml is read again first: this runs after network calls (and maybe a wait for
/// the lock), and a `config set` or `config remove` made meanwhile must not be undone.
pub fn cache_discovery(
    env: &Env,
    name: &ProfileName,
    issuer: &Option<String>,
    fresh: Option<crate::config::Discovered>,
) {
    let Some(found) = fresh else { return };
    let saved = config_update::update(&env.paths, |config, edit| {
        if config.profile(name).is_none_or(|p| p.issuer != *issuer) {
            anyhow::bail!(NotOurIssuer);
        }
        edit.set_discovered(name, &found)
    });
    if let Err(e) = saved
        && !e.is::<NotOurIssuer>()
    {
        ui::warn(&format!("could not cache the discovered endpoints: {e:#}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::TokenResponse;
    use crate::secret::Secret;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn tokens(expires_in: u64, refresh: Option<&str>, id: Option<&str>) -> TokenState {
        let resp = TokenResponse {
            access_token: Secret::new("at"),
            token_type: None,
            expires_in: Some(expires_in),
            refresh_token: refresh.map(Secret::new),
            id_token: id.map(Secret::new),
            scope: None,
            refresh_expires_in: None,
            refresh_token_expires_in: None,
        };
        TokenState::from_response(resp, at(0), None, "cli".into()).0
    }

    /// A token response with only an access token, as the least a provider may send.
    fn bare_response(access_token: &str) -> TokenResponse {
        TokenResponse {
            access_token: Secret::new(access_token),
            token_type: None,
            expires_in: None,
            refresh_token: None,
            id_token: None,
            scope: None,
            refresh_expires_in: None,
            refresh_token_expires_in: None,
        }
    }

    fn ttl(minutes: i64) -> Need {
        Need {
            min_ttl: TimeDelta::minutes(minutes),
            id_token: false,
        }
    }

    fn jwt(claims: serde_json::Value) -> String {
        use base64::Engine;
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.",
            b64(br#"{"alg":"none"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn an_id_token_that_expires_before_the_access_token_asks_for_a_refresh() {
        let now = at(0).timestamp();
        let mut t = tokens(24 * 3600, Some("rt"), None);
        t.id_token = Some(Secret::new(jwt(
            serde_json::json!({"iat": now, "exp": now + 3600}),
        )));
        let id = Need {
            id_token: true,
            ..Need::default()
        };
        assert!(good_enough(&t, at(0), id));
        assert!(good_enough(&t, at(3600 - 301), id));
        assert!(!good_enough(&t, at(3600 - 300), id));
        assert!(
            good_enough(&t, at(3600), Need::default()),
            "the access token is fine"
        );
    }

    #[test]
    fn a_refresh_without_expires_in_keeps_the_old_lifetime() {
        let old = tokens(600, Some("rt"), None);
        let resp = bare_response("at-2");
        let new = renewed(
            &old,
            TokenState::from_response(resp, at(1000), None, "cli".into()).0,
        );
        assert_eq!(new.expires_at, Some(at(1600)));
    }

    #[test]
    fn a_refresh_without_expires_in_after_an_inverted_lifetime_does_not_loop() {
        // The file said it was issued an hour after it expired.
        let mut old = tokens(600, Some("rt"), None);
        old.issued_at = at(3600);
        old.expires_at = Some(at(0));
        let resp = bare_response("at-2");
        let new = renewed(
            &old,
            TokenState::from_response(resp, at(4000), None, "cli".into()).0,
        );
        assert_eq!(new.expires_at, None, "no negative lifetime is carried over");
        assert!(good_enough(&new, at(4000), Need::default()));
    }

    #[test]
    fn a_token_from_before_the_clock_went_back_is_refreshed_once() {
        let mut t = tokens(3600, Some("rt"), None);
        // Signed in "a day from now".
        t.issued_at = at(86_400);
        t.expires_at = Some(at(86_400 + 3600));
        assert!(!good_enough(&t, at(0), Need::default()));
        // The refreshed token is dated by the clock as it is now: good from then on.
        let fresh = renewed(&t, tokens(3600, None, None));
        assert!(good_enough(&fresh, at(0), Need::default()));
        assert!(good_enough(&fresh, at(60), Need::default()));
    }

    #[test]
    fn an_absurd_lifetime_from_the_provider_is_capped_and_not_refreshed_every_call() {
        for secs in [u64::MAX, 400 * 86_400] {
            let t = tokens(secs, Some("rt"), None);
            assert_eq!(t.expires_at, Some(at(0) + crate::expiry::MAX_LIFETIME));
            assert!(good_enough(&t, at(0), Need::default()));
            assert!(good_enough(&t, at(86_400 * 300), Need::default()));
        }
        // expires_in 0 (or negative): no lifetime, so no refresh on every call.
        let zero = tokens(0, Some("rt"), None);
        assert_eq!(zero.expires_at, None);
        assert!(good_enough(&zero, at(10), Need::default()));
    }

    #[test]
    fn min_ttl_asks_for_more_than_the_margin() {
        let t = tokens(3600, Some("rt"), None);
        assert!(good_enough(&t, at(0), Need::default()));
        assert!(good_enough(&t, at(0), ttl(60)));
        assert!(!good_enough(&t, at(1), ttl(60)));
        assert!(!good_enough(&t, at(3600 - 300), Need::default()));
    }

    #[test]
    fn an_hour_token_is_used_until_five_minutes_before_it_expires() {
        let t = tokens(3600, Some("rt"), None);
        assert!(good_enough(&t, at(3600 - 301), Need::default()));
        assert!(!good_enough(&t, at(3600 - 300), Need::default()));
        assert!(!good_enough(&t, at(3600), Need::default()));
    }

    #[test]
    fn five_minute_tokens_are_used_for_half_their_life() {
        let t = tokens(300, Some("rt"), None);
        assert!(good_enough(&t, at(149), Need::default()));
        assert!(!good_enough(&t, at(150), Need::default()));
    }

    #[test]
    fn a_refresh_keeps_the_session_end_of_the_same_refresh_token_only() {
        let mut old = tokens(60, Some("rt-1"), None);
        old.session_expires_at = Some(at(7200));
        // Not rotated, nothing said: the same end.
        let kept = renewed(&old, tokens(60, None, None));
        assert_eq!(kept.session_expires_at, Some(at(7200)));
        // Not rotated, a new end said (Keycloak's idle timeout moves): the new end.
        let mut said = tokens(60, None, None);
        said.session_expires_at = Some(at(9000));
        assert_eq!(renewed(&old, said).session_expires_at, Some(at(9000)));
        // Rotated without a word: its end is unknown, not the old token's.
        let rotated = renewed(&old, tokens(60, Some("rt-2"), None));
        assert_eq!(rotated.session_expires_at, None);
    }

    #[test]
    fn a_refresh_keeps_what_the_provider_did_not_resend() {
        let old = tokens(60, Some("rt-1"), Some("a.b.c"));
        let new = renewed(&old, tokens(60, None, None));
        assert_eq!(new.refresh_token.unwrap().expose(), "rt-1");
        assert_eq!(new.id_token.unwrap().expose(), "a.b.c");
        let rotated = renewed(&old, tokens(60, Some("rt-2"), None));
        assert_eq!(rotated.refresh_token.unwrap().expose(), "rt-2");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(crate::property::config())]

            #[test]
            fn any_lifetime_and_id_token_times_are_handled(
                expires_in in prop_oneof![Just(None), Just(Some(0u64)), Just(Some(u64::MAX)), any::<u64>().prop_map(Some)],
                refreshed_in in prop_oneof![Just(None), any::<u64>().prop_map(Some)],
                exp in any::<i64>(),
                iat in prop_oneof![Just(None), any::<i64>().prop_map(Some)],
                now in -1_000_000_000i64..1_000_000_000,
            ) {
                let mut old = tokens(0, Some("rt"), None);
                old = renewed(&old, TokenState::from_response(
                    TokenResponse { expires_in, ..bare_response("at") }, at(0), None, "cli".into()).0);
                let mut claims = serde_json::json!({"exp": exp});
                if let Some(iat) = iat {
                    claims["iat"] = iat.into();
                }
                old.id_token = Some(Secret::new(jwt(claims)));
                let new = renewed(&old, TokenState::from_response(
                    TokenResponse { expires_in: refreshed_in, ..bare_response("at") }, at(now), None, "cli".into()).0);
                for t in [&old, &new] {
                    let _ = good_enough(t, at(now), Need { min_ttl: TimeDelta::days(1), id_token: true });
                    let _ = t.state(at(now));
                }
            }
        }
    }
}
