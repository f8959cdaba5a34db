//! A session the provider no longer honours, against the real oidc-provider restarted so
//! that it forgets its grants: the access token is refused at userinfo and the refresh
//! with `invalid_grant`. keycard records that in the token file, `status` says so, and
//! `login` signs in again without `--force`.

use crate::support::*;

fn a_session_the_provider_forgot_is_recorded_and_login_starts_over() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    login_as(&scratch, &provider, "p", "alice").expect(0);
    let before = scratch.tokens("p");
    assert!(before["refused_at"].is_null());

    let provider = provider.restart();
    let run = scratch.run(&["whoami"]);
    run.expect(3);
    run.stderr_has("invalid_grant")
        .stderr_has("keycard login --profile p");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(provider.token_requests("refresh_token"), 1);

    // Recorded, and nothing else in the file lost.
    let after = scratch.tokens("p");
    assert!(after["refused_at"].is_string(), "{after}");
    // The provider's own words, not keycard's sentence around them.
    assert!(
        after["refused_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("invalid_grant")),
        "{after}"
    );
    for (key, value) in before.as_object().unwrap() {
        assert_eq!(&after[key], value, "{key} changed");
    }
    assert_eq!(mode(&scratch.token_file("p")), 0o600);

    let status = scratch.run(&["status"]);
    status.expect(3);
    assert!(
        status
            .stdout
            .contains("state:    expired (the provider refused the session at ")
            && status.stdout.contains("invalid_grant"),
        "{}",
        status.stdout
    );
    let json = scratch.run(&["status", "--json"]);
    json.expect(3);
    let json = json.json();
    assert_eq!(json["state"], "expired");
    assert!(json["refused"]["at"].is_string(), "{json}");
    assert!(
        json["refused"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("invalid_grant")),
        "{json}"
    );
    let short = scratch.run(&["status", "--short"]);
    short.expect(3);
    assert_eq!(short.stdout.trim(), "p:expired");
    assert!(short.stderr.is_empty());

    // Once refused, keycard does not ask again on every call.
    scratch.run(&["token"]).expect(3);
    scratch.run(&["status", "--check"]).expect(3);
    assert_eq!(provider.token_requests("refresh_token"), 1);

    // No --force needed to sign in again; the new file carries no refusal.
    let again = login_as(&scratch, &provider, "p", "alice");
    again.expect(0);
    assert!(
        !again.stderr.contains("Already signed in"),
        "{}",
        again.stderr
    );
    assert!(scratch.tokens("p")["refused_at"].is_null());
    scratch.run(&["status"]).expect(0);
    scratch.run(&["whoami"]).expect(0);
}

fn a_rejected_access_token_with_a_live_refresh_token_is_refreshed_not_refused() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    login_as(&scratch, &provider, "p", "alice").expect(0);
    // The file's access token is one the provider never issued; the refresh token is live.
    scratch.edit_tokens("p", |t| t["access_token"] = serde_json::json!("at-unknown"));
    let run = scratch.run(&["whoami"]);
    run.expect(0);
    assert_eq!(run.json()["sub"], "alice");
    assert_eq!(provider.token_requests("refresh_token"), 1);
    let tokens = scratch.tokens("p");
    assert_ne!(tokens["access_token"], "at-unknown");
    assert!(tokens["refused_at"].is_null());
}

crate::tests![
    a_session_the_provider_forgot_is_recorded_and_login_starts_over,
    a_rejected_access_token_with_a_live_refresh_token_is_refreshed_not_refused
];
