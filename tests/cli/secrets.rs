//! No secret in any output but `keycard token`'s stdout: not under `-v`, not in an error
//! message, whatever the provider answers or echoes back.

use crate::fake::{self, FakeServer};
use crate::support::*;
use base64::Engine;
use serde_json::{Value, json};

/// Everything a run printed that must be free of secrets.
struct Seen(Vec<(String, String)>);

impl Seen {
    fn add(&mut self, what: &str, run: &Run, stdout_may_hold_the_token: bool) {
        self.0.push((format!("{what} stderr"), run.stderr.clone()));
        if !stdout_may_hold_the_token {
            self.0.push((format!("{what} stdout"), run.stdout.clone()));
        }
    }

    #[track_caller]
    fn assert_free_of(&self, secrets: &[String]) {
        for secret in secrets {
            for (what, text) in &self.0 {
                assert!(
                    !text.contains(secret.as_str()),
                    "{what} shows the secret {secret}:\n{text}"
                );
            }
        }
    }
}

fn basic_value(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn a_whole_session_under_verbose_shows_no_secret_the_provider_issued() {
    let provider = Provider::start();
    for (client, secret, auth) in [
        ("keycard-basic", "keycard-basic-secret", "basic"),
        ("keycard-secret", "keycard-secret-value", "post"),
    ] {
        let scratch = Scratch::new();
        scratch.add_profile("p", &provider.issuer, client);
        let mut seen = Seen(Vec::new());
        for (key, value) in [("client_secret", secret), ("client_auth", auth)] {
            let set = scratch.run(&["config", "set", key, value]);
            set.expect(0);
            seen.0.push(("config set".into(), set.stdout + &set.stderr));
        }
        let show = scratch.run(&["config", "show"]);
        seen.0
            .push(("config show".into(), show.stdout + &show.stderr));

        let pending = scratch.start_login(&["-v"]);
        act_as_user(&provider.issuer, &pending.user_code(), "alice", false);
        let login = pending.finish();
        login.expect(0);
        seen.add("login", &login, false);
        let first = scratch.token_field("p", "access_token");

        scratch.expire_in("p", -60);
        let refresh = scratch.run(&["-v", "token"]);
        refresh.expect(0);
        seen.add("token (refreshing)", &refresh, true);
        let second = scratch.token_field("p", "access_token");
        assert_ne!(first, second, "the token was refreshed");
        assert_eq!(refresh.stdout, format!("{second}\n"));

        for (what, args) in [
            ("whoami", &["-v", "whoami"][..]),
            ("status", &["-v", "status", "--json"]),
            ("status --check", &["-v", "status", "--check"]),
            ("logout", &["-v", "logout"]),
        ] {
            let run = scratch.run(args);
            run.expect(0);
            seen.add(what, &run, false);
        }
        let token = scratch.run(&["-v", "token"]);
        token.expect(3);
        seen.add("token (signed out)", &token, false);

        let issued: Vec<String> = provider.stats()["issued"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert!(issued.contains(&first) && issued.contains(&second));
        assert!(
            issued.len() >= 7,
            "device code and two sets of tokens: {issued:?}"
        );
        let mut secrets = issued;
        secrets.push(secret.to_string());
        secrets.push(basic_value(client, secret));
        seen.assert_free_of(&secrets);
        for run in [&login, &refresh] {
            assert!(
                run.stderr.contains("> POST") && run.stderr.contains("[redacted]"),
                "-v logs the requests, redacted: {}",
                run.stderr
            );
        }
    }
}

/// Profile `default` on `server`'s endpoints with an expired session (`at-secret`,
/// `rt-secret`), so that `keycard token` refreshes at once.
fn expired_session(server: &FakeServer) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("default", &server.url);
    signed_in(&scratch, "default", -10, true);
    scratch.edit_tokens("default", |t| t["issuer"] = Value::Null);
    scratch
}

fn token_answers_that_cannot_be_read_are_never_echoed() {
    let answers: [fn() -> fake::Response; 4] = [
        // Almost JSON: cut off before the end.
        || {
            fake::text(
                200,
                "application/json",
                r#"{"access_token":"at-leak-0123456789","token_type":"Bearer","#,
            )
        },
        || {
            fake::text(
                200,
                "text/html",
                "<html><body>access_token=at-leak-0123456789</body></html>",
            )
        },
        || fake::text(200, "text/plain", "access_token: at-leak-0123456789"),
        // A token of the wrong type: serde would quote the number.
        || {
            fake::json(
                200,
                json!({"access_token": 1234567890123456789u64, "token_type": "Bearer",
                       "refresh_token": ["at-leak-0123456789"]}),
            )
        },
    ];
    for answer in answers {
        let server = FakeServer::start(move |_, _| answer());
        let scratch = expired_session(&server);
        for args in [&["token"][..], &["-v", "token"]] {
            let run = scratch.run(args);
            run.expect(4);
            let all = format!("{}{}", run.stdout, run.stderr);
            assert!(
                !all.contains("at-leak") && !all.contains("1234567890123456789"),
                "{all}"
            );
            assert!(!all.contains("rt-secret"), "{all}");
        }
    }
}

fn an_error_that_echoes_a_credential_or_holds_a_token_is_shown_without_it() {
    let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.c2ln";
    let server = FakeServer::start(move |req, _| {
        fake::json(
            400,
            json!({"error": "invalid_grant",
                   "error_description": format!(
                       "refresh token '{}' is revoked; the last access token was {jwt}",
                       req.form("refresh_token").unwrap_or_default())}),
        )
    });
    let scratch = expired_session(&server);
    for args in [&["token"][..], &["-v", "token"]] {
        let run = scratch.run(args);
        run.expect(3);
        assert!(
            !run.stderr.contains("rt-secret") && !run.stderr.contains(jwt),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("refresh token '[redacted]' is revoked"),
            "the rest of the provider's words are kept: {}",
            run.stderr
        );
    }
}

fn verbose_redacts_form_encoded_answers_and_basic_and_bearer_headers() {
    // GitHub answers form-encoded bodies; this one also echoes the Basic header back.
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/token" if req.header("authorization").is_some() => fake::form(
            200,
            "access_token=gho_formleak123&token_type=bearer&scope=repo\
             &refresh_token=ghr_formleak456&expires_in=28800",
        ),
        "/me" => fake::json(200, json!({"sub": "u1", "email": "a@ex.test"})),
        _ => fake::json(400, json!({"error": "invalid_client"})),
    });
    let scratch = expired_session(&server);
    let userinfo = format!("{}/me", server.url);
    for (key, value) in [
        ("client_secret", "s3cret-value"),
        ("client_auth", "basic"),
        ("userinfo_endpoint", userinfo.as_str()),
    ] {
        scratch.run(&["config", "set", key, value]).expect(0);
    }
    let refresh = scratch.run(&["-v", "token"]);
    refresh.expect(0);
    assert_eq!(refresh.stdout, "gho_formleak123\n");
    let sent = server.requests("/token")[0]
        .header("authorization")
        .unwrap()
        .to_string();
    assert_eq!(
        sent,
        format!("Basic {}", basic_value("cli", "s3cret-value"))
    );
    let basic_b64 = sent.trim_start_matches("Basic ");
    for secret in [
        "gho_formleak123",
        "ghr_formleak456",
        "rt-secret",
        "s3cret-value",
        basic_b64,
    ] {
        assert!(
            !refresh.stderr.contains(secret),
            "{secret}: {}",
            refresh.stderr
        );
    }
    refresh
        .stderr_has("Authorization: Basic [redacted]")
        .stderr_has("\"token_type\":\"bearer\"");

    let whoami = scratch.run(&["-v", "whoami"]);
    whoami.expect(0);
    assert_eq!(
        server.requests("/me")[0].header("authorization"),
        Some("Bearer gho_formleak123")
    );
    assert!(
        !whoami.stderr.contains("gho_formleak123")
            && !whoami.stdout.contains("gho_formleak123")
            && whoami.stderr.contains("Authorization: Bearer [redacted]"),
        "{}",
        whoami.stderr
    );
}

crate::tests![
    a_whole_session_under_verbose_shows_no_secret_the_provider_issued,
    token_answers_that_cannot_be_read_are_never_echoed,
    an_error_that_echoes_a_credential_or_holds_a_token_is_shown_without_it,
    verbose_redacts_form_encoded_answers_and_basic_and_bearer_headers
];
