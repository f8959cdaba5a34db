//! The token lifecycle: `token`, refresh (also under concurrency), `whoami`, `logout`.
//! Refresh and revocation run against the real oidc-provider, which rotates refresh
//! tokens; provider failures come from the scripted fake server.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A token file for profile `default` issued by `issuer`, expiring in `expires_in` seconds.
fn write_tokens(scratch: &Scratch, issuer: &str, expires_in: i64, refresh: bool) {
    signed_in(scratch, "default", expires_in, refresh);
    scratch.edit_tokens("default", |t| t["issuer"] = json!(issuer));
}

/// Profile `default` with explicit endpoints at `base` (no issuer, so no discovery) and a
/// session for it that expires in `expires_in` seconds, with a refresh token.
fn endpoint_session(base: &str, expires_in: i64) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("default", base);
    write_tokens(&scratch, base, expires_in, true);
    scratch.edit_tokens("default", |t| t["issuer"] = Value::Null);
    scratch
}

/// `endpoint_session` valid for an hour, whose profile revokes at `BASE/revoke`.
fn revocable_session(base: &str) -> Scratch {
    let scratch = endpoint_session(base, 3600);
    scratch.set("default", "revocation_endpoint", &format!("{base}/revoke"));
    scratch
}

fn provider_session(provider: &Provider, profile: &str) -> Scratch {
    let scratch = Scratch::new();
    provider.add_profile(&scratch, profile);
    login_as(&scratch, provider, profile, "alice").expect(0);
    scratch
}

fn a_valid_cached_token_is_printed_without_any_request() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let server = FakeServer::start(move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        fake::json(500, json!({}))
    });
    let scratch = Scratch::new();
    scratch.add_profile("default", &server.url, "cli");
    write_tokens(&scratch, &server.url, 3600, true);

    let run = scratch.run(&["token"]);
    run.expect(0);
    assert_eq!(run.stdout, "at-secret\n");
    assert_eq!(run.stderr, "");

    let json = scratch.run(&["token", "--json"]);
    json.expect(0);
    let json = json.json();
    assert_eq!(json["access_token"], "at-secret");
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scope"], "openid email");
    assert!(json["expires_in"].as_i64().unwrap() > 3500, "{json}");
    assert!(json["expires_at"].is_string(), "{json}");

    let id = scratch.run(&["token", "--id-token"]);
    id.expect(0);
    assert!(
        id.stdout.starts_with("eyJhbGciOiJub25lIn0."),
        "{}",
        id.stdout
    );

    assert_eq!(seen.load(Ordering::SeqCst), 0, "token made a request");
}

fn without_a_session_token_exits_3_and_says_how_to_sign_in() {
    let scratch = Scratch::new();
    scratch.add_profile("work", "https://id.example.com", "cli");
    let run = scratch.run(&["--profile", "work", "token"]);
    run.needs_login("work");

    // Expired, and nothing to refresh it with.
    let scratch = Scratch::new();
    write_tokens(&scratch, "https://id.example.com", -60, false);
    let run = scratch.run(&["token"]);
    run.expect(3);
    run.stderr_has("keycard login --profile default");
}

fn min_ttl_is_parsed_like_a_person_writes_it() {
    let scratch = Scratch::new();
    let run = scratch.run(&["token", "--min-ttl", "soon"]);
    run.expect(2);
    run.stderr_has("30m");
}

fn an_expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept() {
    let provider = Provider::start();
    let scratch = provider_session(&provider, "p");
    let old_access = scratch.token_field("p", "access_token");
    let old_refresh = scratch.token_field("p", "refresh_token");
    scratch.expire_in("p", -60);

    let run = scratch.run(&["--profile", "p", "token"]);
    run.expect(0);
    let new_access = run.stdout.trim_end().to_string();
    assert_ne!(new_access, old_access);
    assert_eq!(run.stdout, format!("{new_access}\n"));
    assert_eq!(run.stderr, "");
    assert_eq!(provider.userinfo(&new_access).0, 200);
    assert_eq!(provider.token_requests("refresh_token"), 1);

    let tokens = scratch.tokens("p");
    assert_eq!(tokens["access_token"], new_access.as_str());
    let rotated = tokens["refresh_token"].as_str().unwrap();
    assert_ne!(rotated, old_refresh, "the rotated refresh token is stored");
    assert_eq!(tokens["identity"]["sub"], "alice", "identity survives");
    #[cfg(unix)]
    assert_eq!(mode(&scratch.token_file("p")), 0o600);

    // The stored (rotated) refresh token works for the next refresh.
    the_next_refresh_works(&scratch, &provider, 2);
}

/// Expires `p`'s access token and asks for one: it is the refresh number `nth` the
/// provider saw, and the new token works there.
fn the_next_refresh_works(scratch: &Scratch, provider: &Provider, nth: u64) {
    scratch.expire_in("p", -60);
    let next = scratch.run(&["--profile", "p", "token"]);
    next.expect(0);
    assert_eq!(provider.token_requests("refresh_token"), nth);
    assert_eq!(provider.userinfo(next.stdout.trim_end()).0, 200);
}

/// Keycloak's five-minute tokens: used for the first half of their life, refreshed in the
/// second, and the refreshed one is not refreshed again on the next call. Where a token
/// is in its life is set in the file (issued and expiring around now), not waited for;
/// the margins (150 s here) are far wider than any machine's slowness.
fn five_minute_tokens_are_not_refreshed_on_every_call() {
    let provider = Provider::with(&["--access-ttl", "300"]);
    let scratch = provider_session(&provider, "p");
    let lifetime = |issued_ago: i64| {
        let now = chrono::Utc::now();
        scratch.edit_tokens("p", |t| {
            t["issued_at"] = json!(now - chrono::TimeDelta::seconds(issued_ago));
            t["expires_at"] = json!(now + chrono::TimeDelta::seconds(300 - issued_ago));
        });
    };
    lifetime(60);
    for _ in 0..3 {
        scratch.run(&["--profile", "p", "token"]).expect(0);
    }
    assert_eq!(
        provider.token_requests("refresh_token"),
        0,
        "a 5-minute token is used for its first half"
    );

    lifetime(240);
    let run = scratch.run(&["--profile", "p", "token"]);
    run.expect(0);
    assert_eq!(provider.token_requests("refresh_token"), 1);
    assert_eq!(provider.userinfo(run.stdout.trim_end()).0, 200);
    scratch.run(&["--profile", "p", "token"]).expect(0);
    assert_eq!(
        provider.token_requests("refresh_token"),
        1,
        "the refreshed 5-minute token is fresh"
    );
}

fn sixteen_processes_at_once_cause_one_refresh() {
    let provider = Provider::start();
    let scratch = provider_session(&provider, "p");
    scratch.expire_in("p", -60);

    let children: Vec<_> = (0..16)
        .map(|_| {
            scratch
                .keycard()
                .args(["--profile", "p", "token"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    for run in &runs {
        run.expect(0);
        assert_eq!(run.stderr, "");
    }
    let token = runs[0].stdout.trim_end();
    assert!(
        runs.iter().all(|r| r.stdout.trim_end() == token),
        "everyone gets the one refreshed token"
    );
    assert_eq!(provider.token_requests("refresh_token"), 1);
    assert_eq!(provider.userinfo(token).0, 200);
    assert_eq!(scratch.tokens("p")["access_token"], token);

    // The session survived: the next refresh works too.
    the_next_refresh_works(&scratch, &provider, 2);
}

fn a_refused_refresh_exits_3_and_keeps_the_tokens() {
    let provider = Provider::shared();
    let scratch = provider_session(provider, "p");
    scratch.edit_tokens("p", |t| {
        t["refresh_token"] = json!("not-a-refresh-token");
        t["expires_at"] = json!(chrono::Utc::now() - chrono::TimeDelta::minutes(1));
    });
    let before = scratch.tokens("p");

    let run = scratch.run(&["--profile", "p", "token"]);
    run.expect(3);
    assert_eq!(run.stdout, "");
    run.stderr_has("invalid_grant");
    run.stderr_has("keycard login --profile p");
    assert!(
        !run.stderr.contains("not-a-refresh-token"),
        "{}",
        run.stderr
    );
    // The tokens are kept, with the refusal recorded beside them (issue 13 §3): status
    // now says expired, and tells why.
    let after = scratch.tokens("p");
    for (key, value) in before.as_object().unwrap() {
        assert_eq!(&after[key], value, "{key} changed");
    }
    assert!(after["refused_at"].is_string(), "{after}");
    let status = scratch.run(&["--profile", "p", "status"]);
    status.expect(3);
    status.stdout_has("invalid_grant");
}

fn an_unreachable_provider_falls_back_to_a_token_that_still_works() {
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    // Inside the five-minute margin, but still valid for a minute.
    let scratch = endpoint_session("http://127.0.0.1:9", 60);

    let run = scratch.run(&["token"]);
    run.expect(0);
    assert_eq!(run.stdout, "at-secret\n");
    run.stderr_has("warning");
    run.stderr_has("could not refresh");

    scratch.expire_in("default", -1);
    let run = scratch.run(&["token"]);
    run.expect(4);
    assert_eq!(run.stdout, "");
    assert!(!run.stderr.contains("secret"), "{}", run.stderr);
}

fn a_server_error_during_refresh_is_exit_4_once_the_token_expired() {
    let server = FakeServer::start(|_, _| fake::html(502));
    let scratch = endpoint_session(&server.url, -10);
    let run = scratch.run(&["token"]);
    run.expect(4);
    run.stderr_has("HTTP 502");
    let refresh = &server.requests("/token")[0];
    assert_eq!(refresh.form("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(refresh.form("refresh_token").as_deref(), Some("rt-secret"));
    assert_eq!(refresh.form("client_id").as_deref(), Some("cli"));
}

fn whoami_prints_the_userinfo_claims_refreshing_first() {
    let provider = Provider::start();
    let scratch = provider_session(&provider, "p");
    scratch.expire_in("p", -60);
    let run = scratch.run(&["--profile", "p", "whoami"]);
    run.expect(0);
    let claims = run.json();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["email"], "alice@example.test");
    assert_eq!(provider.token_requests("refresh_token"), 1);
    assert_eq!(provider.stats()["userinfo_requests"], 1);
    assert_eq!(run.stderr, "");

    let nobody = Scratch::new();
    provider.add_profile(&nobody, "p");
    nobody.run(&["--profile", "p", "whoami"]).expect(3);
}

fn whoami_without_a_userinfo_endpoint_shows_the_id_token_claims() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    let device = format!("{}/device/auth", provider.issuer);
    let token = format!("{}/token", provider.issuer);
    scratch
        .run(&[
            "config",
            "add",
            "p",
            "--client-id",
            "keycard",
            "--device-authorization-endpoint",
            &device,
            "--token-endpoint",
            &token,
        ])
        .expect(0);
    login_as(&scratch, &provider, "p", "bob").expect(0);

    let run = scratch.run(&["whoami"]);
    run.expect(0);
    assert_eq!(run.json()["sub"], "bob");
    run.stderr_has("ID token");
    assert_eq!(provider.stats()["userinfo_requests"], 0);
}

fn logout_revokes_the_session_at_the_provider() {
    let provider = Provider::start();
    let scratch = provider_session(&provider, "p");
    let access = scratch.token_field("p", "access_token");
    let refresh = scratch.token_field("p", "refresh_token");
    assert!(provider.is_active(&access) && provider.is_active(&refresh));

    let run = scratch.run(&["--profile", "p", "logout", "--json"]);
    run.expect(0);
    assert!(!scratch.token_file("p").exists());
    assert_eq!(run.json()["signed_out"][0]["revocation"], "revoked");
    run.stderr_has("revoked");
    assert_eq!(provider.stats()["revocation_requests"], 2);
    assert!(!provider.is_active(&access), "access token still active");
    assert!(!provider.is_active(&refresh), "refresh token still active");

    let again = scratch.run(&["--profile", "p", "logout"]);
    again.expect(0);
    assert!(again.stderr.contains("No credentials on file."));
}

fn logout_no_revoke_only_forgets() {
    let provider = Provider::start();
    let scratch = provider_session(&provider, "p");
    let refresh = scratch.token_field("p", "refresh_token");
    let run = scratch.run(&["--profile", "p", "logout", "--no-revoke"]);
    run.expect(0);
    assert!(!scratch.token_file("p").exists());
    assert_eq!(provider.stats()["revocation_requests"], 0);
    assert!(provider.is_active(&refresh));
}

fn logout_deletes_the_tokens_even_when_revocation_fails() {
    let server = FakeServer::start(|_, _| fake::json(503, json!({})));
    let scratch = revocable_session(&server.url);

    let run = scratch.run(&["logout"]);
    run.expect(0);
    assert!(!scratch.token_file("default").exists());
    run.stderr_has("could not revoke");
    assert!(!run.stderr.contains("rt-secret"), "{}", run.stderr);
    let sent = &server.requests("/revoke")[0];
    assert_eq!(sent.form("token").as_deref(), Some("rt-secret"));
    assert_eq!(
        sent.form("token_type_hint").as_deref(),
        Some("refresh_token")
    );
}

fn logout_all_signs_out_of_every_profile() {
    let scratch = Scratch::new();
    scratch.add_profile("a", "https://a.example.com", "cli");
    write_tokens(&scratch, "https://a.example.com", 3600, true);
    std::fs::rename(scratch.token_file("default"), scratch.token_file("a")).unwrap();
    write_tokens(&scratch, "https://b.example.com", 3600, true);

    let run = scratch.run(&["logout", "--all", "--no-revoke", "--json"]);
    run.expect(0);
    let out = run.json();
    let names: Vec<&str> = out["signed_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "default"]);
    assert!(!scratch.token_file("a").exists());
    assert!(!scratch.token_file("default").exists());
    let none = scratch.run(&["logout", "--all"]);
    none.expect(0);
    assert!(none.stderr.contains("No credentials on file."));
}

fn a_keycard_killed_while_refreshing_does_not_block_the_next() {
    // The first refresh hangs (the provider is slow); the second is answered at once.
    let arrived = Arc::new(AtomicUsize::new(0));
    let seen = arrived.clone();
    let server = FakeServer::start(move |_, n| {
        seen.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            std::thread::sleep(Duration::from_secs(2));
        }
        fake::json(
            200,
            json!({"access_token": format!("at-{n}"), "token_type": "Bearer", "expires_in": 3600}),
        )
    });
    let scratch = endpoint_session(&server.url, -10);

    let mut first = scratch
        .keycard()
        .arg("token")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it holds the lock and has sent its request.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while arrived.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(scratch.token_file("default").exists());

    let started = std::time::Instant::now();
    let run = scratch.run(&["token"]);
    run.expect(0);
    assert_eq!(run.stdout, "at-1\n");
    // A lock left behind would hold the next one for the whole lock wait (75 s); a
    // minute leaves a slow machine room without letting that pass.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the killed process's lock held up the next one"
    );
}

fn a_cached_token_endpoint_that_answers_404_is_rediscovered() {
    let server = FakeServer::start(|req, _| {
        let base = format!("http://{}", req.header("host").unwrap());
        match req.path.as_str() {
            "/old-token" => fake::json(404, json!({})),
            "/.well-known/openid-configuration" => fake::json(
                200,
                json!({"issuer": base, "token_endpoint": format!("{base}/token"),
                       "device_authorization_endpoint": format!("{base}/device")}),
            ),
            _ => fake::json(
                200,
                json!({"access_token": "at-new", "token_type": "Bearer", "expires_in": 3600}),
            ),
        }
    });
    let scratch = Scratch::new();
    scratch.add_profile("default", &server.url, "cli");
    let config = scratch.config_dir().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profiles.default.discovered]\nissuer = \"{0}\"\ntoken_endpoint = \"{0}/old-token\"\n\
         device_authorization_endpoint = \"{0}/device\"\n",
        server.url
    ));
    std::fs::write(&config, text).unwrap();
    write_tokens(&scratch, &server.url, -10, true);

    let run = scratch.run(&["token"]);
    run.expect(0);
    assert_eq!(run.stdout, "at-new\n");
    assert_eq!(server.requests("/old-token").len(), 1);
    assert_eq!(server.requests("/token").len(), 1);
    let config = scratch.config_toml();
    assert!(
        !config.contains("old-token") && config.contains("/token\""),
        "{config}"
    );
}

fn status_check_validates_online_and_catches_a_revoked_session() {
    let provider = Provider::start();
    let scratch = provider_session(&provider, "p");
    scratch.expire_in("p", -60);
    // Offline, status only knows the token needs a refresh.
    scratch.run(&["status", "--json"]).expect(0);
    assert_eq!(provider.token_requests("refresh_token"), 0);

    let run = scratch.run(&["status", "--check", "--json"]);
    run.expect(0);
    let json = run.json();
    assert_eq!(json["checked"], "userinfo");
    assert_eq!(
        json["state"], "valid",
        "the report shows the refreshed session"
    );
    assert_eq!(provider.token_requests("refresh_token"), 1);
    assert_eq!(provider.stats()["userinfo_requests"], 1);

    // A second copy of the session, then sign out (revoking) with the first.
    let copy = Scratch::new();
    provider.add_profile(&copy, "p");
    std::fs::copy(scratch.token_file("p"), copy.token_file("p")).unwrap();
    scratch.run(&["logout"]).expect(0);
    copy.run(&["status"]).expect(0);
    let run = copy.run(&["status", "--check"]);
    run.expect(3);
    run.stderr_has("keycard login --profile p");
    assert!(copy.token_file("p").exists(), "the check deletes nothing");
}

fn verbose_refresh_and_revocation_show_requests_but_no_secret() {
    let provider = Provider::shared();
    let scratch = provider_session(provider, "p");
    let old = scratch.tokens("p");
    scratch.expire_in("p", -60);
    let refresh = scratch.run(&["-v", "token"]);
    refresh.expect(0);
    refresh.stderr_has("> POST");
    refresh.stderr_has("grant_type=refresh_token");
    let new = scratch.tokens("p");
    let logout = scratch.run(&["-v", "logout"]);
    logout.expect(0);
    logout.stderr_has("revocation");
    for tokens in [&old, &new] {
        for key in ["access_token", "refresh_token", "id_token"] {
            let secret = tokens[key].as_str().unwrap();
            assert!(!refresh.stderr.contains(secret), "{key} in the -v log");
            assert!(!logout.stderr.contains(secret), "{key} in the -v log");
            assert!(!logout.stdout.contains(secret));
        }
    }
    // token's stdout is the one place a token appears.
    assert_eq!(
        refresh.stdout.trim_end(),
        new["access_token"].as_str().unwrap()
    );
}

fn a_refused_access_token_revocation_after_the_refresh_token_still_counts() {
    // Google: revoking the refresh token revokes its access tokens, and revoking one of
    // those afterwards answers 400 invalid_token.
    let server = FakeServer::start(|req, _| match req.form("token_type_hint").as_deref() {
        Some("refresh_token") => fake::json(200, json!({})),
        _ => fake::json(400, json!({"error": "invalid_token"})),
    });
    let scratch = revocable_session(&server.url);

    let run = scratch.run(&["logout", "--json"]);
    run.expect(0);
    assert_eq!(run.json()["signed_out"][0]["revocation"], "revoked");
    assert!(!run.stderr.contains("could not revoke"), "{}", run.stderr);
    assert_eq!(server.requests("/revoke").len(), 2);
}

fn a_refused_client_is_not_a_reason_to_sign_in_again() {
    let server = FakeServer::start(|_, _| {
        fake::json(
            401,
            json!({"error": "invalid_client", "error_description": "bad secret"}),
        )
    });
    let scratch = endpoint_session(&server.url, -10);
    let run = scratch.run(&["token"]);
    run.expect(1);
    run.stderr_has("invalid_client");
    run.stderr_has("client_secret");
}

fn a_temporarily_unavailable_provider_is_trouble_not_a_refusal() {
    let server =
        FakeServer::start(|_, _| fake::json(503, json!({"error": "temporarily_unavailable"})));
    let scratch = endpoint_session(&server.url, 60);
    // Still valid for a minute: handed out with a warning.
    let run = scratch.run(&["token"]);
    run.expect(0);
    run.stderr_has("temporarily_unavailable");
    scratch.expire_in("default", -1);
    scratch.run(&["token"]).expect(4);
}

fn status_check_json_reports_a_failed_check_in_the_object() {
    let server = FakeServer::start(|_, _| fake::json(400, json!({"error": "invalid_grant"})));
    let scratch = endpoint_session(&server.url, -10);
    let run = scratch.run(&["status", "--check", "--json"]);
    run.expect(3);
    let json = run.json();
    // The report shows the session as the check left it: refused by the provider.
    assert_eq!(json["state"], "expired");
    assert!(
        json["refused"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("invalid_grant")),
        "{json}"
    );
    assert_eq!(json["checked"]["exit_code"], 3);
    assert!(
        json["checked"]["error"]
            .as_str()
            .unwrap()
            .contains("invalid_grant")
    );
}

fn logout_gives_a_silent_provider_five_seconds_then_signs_out_anyway() {
    let server = FakeServer::start(|_, _| {
        std::thread::sleep(Duration::from_secs(7));
        fake::json(200, json!({}))
    });
    let scratch = revocable_session(&server.url);

    // The provider answers after 7 s: had logout waited for it, revocation would have
    // succeeded. The warning proves it gave up at 5 s, with no clock in the assertion.
    let run = scratch.run(&["logout"]);
    run.expect(0);
    assert!(!scratch.token_file("default").exists());
    run.stderr_has("within 5s");
}

/// A 403 from userinfo (RFC 6750 `insufficient_scope`, or GitHub's spent rate limit) is
/// not a refused session: no refresh, nothing recorded, exit 1 naming the scopes.
fn a_userinfo_403_is_not_a_reason_to_sign_in_again() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/userinfo" => fake::json(
            403,
            json!({"message": "API rate limit exceeded", "documentation_url": "https://docs.github.com/rest"}),
        ),
        other => panic!("unexpected request for {other}"),
    });
    let scratch = endpoint_session(&server.url, 3600);
    scratch.set(
        "default",
        "userinfo_endpoint",
        &format!("{}/userinfo", server.url),
    );
    let before = std::fs::read(scratch.token_file("default")).unwrap();
    let run = scratch.run(&["whoami"]);
    run.expect(1);
    run.stderr_has("HTTP 403");
    run.stderr_has("scopes");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(server.requests("/userinfo").len(), 1);
    assert_eq!(
        std::fs::read(scratch.token_file("default")).unwrap(),
        before
    );
    scratch.run(&["status"]).expect(0);
}

crate::tests![
    a_valid_cached_token_is_printed_without_any_request,
    without_a_session_token_exits_3_and_says_how_to_sign_in,
    min_ttl_is_parsed_like_a_person_writes_it,
    an_expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept,
    five_minute_tokens_are_not_refreshed_on_every_call,
    sixteen_processes_at_once_cause_one_refresh,
    a_refused_refresh_exits_3_and_keeps_the_tokens,
    an_unreachable_provider_falls_back_to_a_token_that_still_works,
    a_server_error_during_refresh_is_exit_4_once_the_token_expired,
    whoami_prints_the_userinfo_claims_refreshing_first,
    whoami_without_a_userinfo_endpoint_shows_the_id_token_claims,
    logout_revokes_the_session_at_the_provider,
    logout_no_revoke_only_forgets,
    logout_deletes_the_tokens_even_when_revocation_fails,
    logout_all_signs_out_of_every_profile,
    a_keycard_killed_while_refreshing_does_not_block_the_next,
    a_cached_token_endpoint_that_answers_404_is_rediscovered,
    status_check_validates_online_and_catches_a_revoked_session,
    verbose_refresh_and_revocation_show_requests_but_no_secret,
    a_refused_access_token_revocation_after_the_refresh_token_still_counts,
    a_refused_client_is_not_a_reason_to_sign_in_again,
    a_temporarily_unavailable_provider_is_trouble_not_a_refusal,
    status_check_json_reports_a_failed_check_in_the_object,
    logout_gives_a_silent_provider_five_seconds_then_signs_out_anyway,
    a_userinfo_403_is_not_a_reason_to_sign_in_again
];
