//! Issue 14 §4: forgetting a session leaves nothing usable behind. `config remove`
//! revokes like `logout` and takes the profile's lock, so a refresh in flight cannot
//! bring the token file back; a sign-in that replaces a session revokes the old one.

use crate::fake::{self, FakeServer, Request, Response};
use crate::support::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A provider with explicit endpoints: `/device`, `/token` (the tokens `token` gives),
/// and `/revoke` answering `revoke_status`.
fn provider(
    revoke_status: u16,
    token: impl Fn(&Request) -> Response + Send + Sync + 'static,
) -> FakeServer {
    FakeServer::start(move |req, _| match req.path.as_str() {
        "/device" => fake::json(
            200,
            json!({"device_code": "dc-secret", "user_code": "ABCD-EFGH",
                   "verification_uri": "http://127.0.0.1/verify", "expires_in": 60, "interval": 1}),
        ),
        "/token" => token(req),
        "/revoke" => fake::json(revoke_status, json!({})),
        _ => fake::json(404, json!({})),
    })
}

fn new_tokens(refresh: &str) -> Response {
    fake::json(
        200,
        json!({"access_token": "at-new", "token_type": "Bearer", "expires_in": 3600,
               "refresh_token": refresh}),
    )
}

/// Profile `p` at `server` with revocation, signed in with at-secret and rt-secret.
fn session(server: &FakeServer, expires_in: i64) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    scratch.set(
        "p",
        "revocation_endpoint",
        &format!("{}/revoke", server.url),
    );
    signed_in(&scratch, "p", expires_in, true);
    scratch.edit_tokens("p", |t| t["issuer"] = serde_json::Value::Null);
    scratch
}

fn revoked(server: &FakeServer) -> Vec<String> {
    server
        .requests("/revoke")
        .iter()
        .filter_map(|r| r.form("token"))
        .collect()
}

fn config_remove_revokes_the_tokens_like_logout() {
    let server = provider(200, |_| new_tokens("rt-new"));
    let scratch = session(&server, 3600);
    let run = scratch.run(&["config", "remove", "p", "--yes"]);
    run.expect(0);
    assert_eq!(revoked(&server), ["rt-secret", "at-secret"]);
    assert!(run.stderr.contains("revoked"), "{}", run.stderr);
    assert!(!scratch.token_file("p").exists());
    assert!(!scratch.config_toml().contains("[profiles.p]"));
}

fn config_remove_no_revoke_only_forgets() {
    let server = provider(200, |_| new_tokens("rt-new"));
    let scratch = session(&server, 3600);
    let run = scratch.run(&["config", "remove", "p", "--yes", "--no-revoke"]);
    run.expect(0);
    assert!(server.all().is_empty(), "{:?}", server.paths());
    assert!(run.stderr.contains("not revoked"), "{}", run.stderr);
    assert!(!scratch.token_file("p").exists());
}

fn config_remove_still_removes_when_revocation_fails() {
    let server = provider(503, |_| new_tokens("rt-new"));
    let scratch = session(&server, 3600);
    let run = scratch.run(&["config", "remove", "p", "--yes"]);
    run.expect(0);
    assert!(run.stderr.contains("could not revoke"), "{}", run.stderr);
    assert!(!run.stderr.contains("rt-secret"), "{}", run.stderr);
    assert!(!scratch.token_file("p").exists());
    assert!(!scratch.config_toml().contains("[profiles.p]"));
}

fn a_refresh_in_flight_cannot_bring_back_a_removed_profiles_tokens() {
    // The provider holds the refresh answer until the test lets it go.
    let entered = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let server = {
        let (entered, release) = (entered.clone(), release.clone());
        provider(200, move |_| {
            entered.store(true, Ordering::SeqCst);
            let started = Instant::now();
            while !release.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(10));
            }
            new_tokens("rt-new")
        })
    };
    let scratch = session(&server, -60);
    let refresh = scratch
        .keycard()
        .arg("token")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !entered.load(Ordering::SeqCst) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no refresh arrived"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The refresh holds the lock now. `config remove` must wait for it; without the
    // lock it would delete the file at once, and the refresh would then write it back.
    let waiting = scratch.path().join("remove-waits");
    let remove = scratch
        .keycard()
        .args(["config", "remove", "p", "--yes", "--no-revoke"])
        .env("KEYCARD_TEST_LOCK_WAITING", &waiting)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let the refresh go only once `config remove` is known to wait for the lock: a
    // remove that never waits (no lock) fails here instead of racing.
    let started = Instant::now();
    while !waiting.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "config remove did not wait for the refresh's lock"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    release.store(true, Ordering::SeqCst);
    let refreshed = refresh.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&refreshed.stdout), "at-new\n");
    let removed = remove.wait_with_output().unwrap();
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert!(
        !scratch.token_file("p").exists(),
        "the refresh brought the token file of a removed profile back"
    );
    assert!(!scratch.config_toml().contains("[profiles.p]"));
}

fn login_force_revokes_the_session_it_replaces() {
    let server = provider(200, |_| new_tokens("rt-new"));
    let scratch = session(&server, 3600);
    let run = scratch.run(&["login", "--no-browser", "--force"]);
    run.expect(0);
    assert_eq!(scratch.tokens("p")["refresh_token"], "rt-new");
    assert_eq!(revoked(&server), ["rt-secret", "at-secret"]);
    run.stderr_has("replaced was revoked");
}

fn a_login_replacing_an_expired_session_revokes_it_too_but_never_what_it_kept() {
    // The provider hands the same refresh token out again: revoking it would end the
    // new session, so only the old access token goes.
    let server = provider(200, |_| new_tokens("rt-secret"));
    let scratch = session(&server, -60);
    scratch.edit_tokens("p", |t| t["refresh_token"] = serde_json::Value::Null);
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(0);
    assert_eq!(revoked(&server), ["at-secret"]);
}

fn a_failed_revocation_does_not_fail_the_sign_in() {
    let server = provider(503, |_| new_tokens("rt-new"));
    let scratch = session(&server, 3600);
    let run = scratch.run(&["login", "--no-browser", "--force"]);
    run.expect(0);
    run.stderr_has("could not revoke the session");
    assert_eq!(scratch.tokens("p")["refresh_token"], "rt-new");
}

/// Keycloak ends every session of the client for the user when one of its refresh tokens
/// is revoked (keycloak/keycloak#35486): a sign-in replacing a Keycloak session of the same
/// user revokes only the old access token, or it would end itself.
fn a_keycloak_sign_in_does_not_revoke_the_refresh_token_it_shares_a_user_with() {
    use base64::Engine;
    let kc = |sid: &str| {
        let claims = json!({"typ": "Refresh", "sub": "u1", "sid": sid}).to_string();
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
        format!("eyJhbGciOiJIUzI1NiJ9.{body}.sig")
    };
    let (old, new) = (kc("s1"), kc("s2"));
    let server = {
        let new = new.clone();
        provider(200, move |_| new_tokens(&new))
    };
    let scratch = session(&server, 3600);
    scratch.edit_tokens("p", |t| t["refresh_token"] = json!(old));
    scratch.run(&["login", "--no-browser", "--force"]).expect(0);
    assert_eq!(scratch.tokens("p")["refresh_token"], json!(new));
    assert_eq!(revoked(&server), ["at-secret"]);
}

crate::tests![
    config_remove_revokes_the_tokens_like_logout,
    config_remove_no_revoke_only_forgets,
    config_remove_still_removes_when_revocation_fails,
    a_refresh_in_flight_cannot_bring_back_a_removed_profiles_tokens,
    login_force_revokes_the_session_it_replaces,
    a_login_replacing_an_expired_session_revokes_it_too_but_never_what_it_kept,
    a_failed_revocation_does_not_fail_the_sign_in,
    a_keycloak_sign_in_does_not_revoke_the_refresh_token_it_shares_a_user_with
];
