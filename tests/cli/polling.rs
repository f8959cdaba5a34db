//! Device-flow polling and provider dialects against the scripted server, in real time.
//!
//! The timing rules (interval, `slow_down`, backoff, the expiry cut-off) are unit tests
//! with a fake clock and exact schedules (src/oauth/device.rs, `schedule`); these are the
//! few smoke tests that the real clock, sleep and HTTP stack follow them. Their time
//! assertions are lower bounds only: a busy machine makes gaps longer, never shorter.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::json;

/// A profile with explicit endpoints on `server` (no discovery).
fn profile_on(server: &FakeServer) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    scratch
}

fn device(interval: u64, expires_in: u64) -> fake::Response {
    fake::json(
        200,
        json!({"device_code": "dc-1", "user_code": "ABCD-EFGH", "verification_uri": "https://example.test/device",
               "interval": interval, "expires_in": expires_in}),
    )
}

fn token() -> fake::Response {
    fake::json(
        200,
        json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1"}),
    )
}

fn provider_unreachable_until_the_code_expires_exits_4() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => device(1, 5),
        _ => fake::json(503, json!({})),
    });
    let scratch = profile_on(&server);
    let run = scratch.run(&["login"]);
    run.expect(4);
    run.stderr_has("unreachable");
    // It kept trying (at 1, 3 and 4 s on an idle machine: the exact schedule and "no
    // request after the expiry" are `schedule` unit tests), backing off each time.
    let gaps = server.gaps("/token");
    assert!(!gaps.is_empty(), "{gaps:?}");
    assert!(
        gaps[0] >= 1.95,
        "the first retry waited twice the interval: {gaps:?}"
    );
    assert!(!scratch.token_file("p").exists());
}

fn github_dialect_form_bodies_and_errors_with_200() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/device", _) => fake::form(
            200,
            "device_code=dc-1&user_code=WDJB-MJHT&verification_uri=https%3A%2F%2Fgithub.com%2Flogin%2Fdevice&expires_in=899&interval=1",
        ),
        ("/token", 0) => fake::form(200, "error=authorization_pending&error_description=pending"),
        _ => fake::form(200, "access_token=gho_abc&token_type=bearer&scope=repo"),
    });
    let scratch = profile_on(&server);
    let run = scratch.run(&["login", "--json"]);
    run.expect(0);
    let device: serde_json::Value =
        serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(device["user_code"], "WDJB-MJHT");
    assert_eq!(device["expires_in"], 899);
    assert!(device["verification_uri_complete"].is_null());
    let tokens = scratch.tokens("p");
    assert_eq!(tokens["access_token"], "gho_abc");
    assert!(
        tokens["expires_at"].is_null(),
        "no expires_in, no expiry: {tokens}"
    );
    assert_eq!(
        server.requests("/token")[0].header("accept"),
        Some("application/json")
    );
    let status = scratch.run(&["status"]);
    status.expect(0);
    status.stdout_has("valid, no expiry");
}

fn access_denied_description_reaches_the_user() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => device(1, 60),
        _ => fake::json(
            400,
            json!({"error": "access_denied", "error_description": "The user said no"}),
        ),
    });
    let scratch = profile_on(&server);
    let run = scratch.run(&["login"]);
    run.expect(5);
    run.stderr_has("The user said no");
}

fn html_discovery_page_is_reported_with_url_and_status() {
    let server = FakeServer::start(|_, _| fake::html(200));
    let scratch = Scratch::new();
    scratch.add_profile("p", &server.url, "cli");
    let run = scratch.run(&["login"]);
    run.expect(4);
    run.stderr_has("HTML page")
        .stderr_has(&server.url)
        .stderr_has("200");
    assert!(
        !run.stderr.contains("Bad gateway"),
        "the page itself is not echoed: {}",
        run.stderr
    );
}

fn unreachable_issuer_exits_4_with_one_line() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "http://127.0.0.1:9", "cli");
    let run = scratch.run(&["login"]);
    run.expect(4);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    run.stderr_has("127.0.0.1");
}

fn pending(status: u16) -> fake::Response {
    fake::json(status, json!({"error": "authorization_pending"}))
}

fn an_interval_of_zero_is_clamped_to_a_second() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/device", _) => device(0, 60),
        ("/token", 0 | 1) => pending(400),
        _ => token(),
    });
    let scratch = profile_on(&server);
    scratch.run(&["login"]).expect(0);
    assert_eq!(server.requests("/token").len(), 3, "no busy loop");
    for gap in server.gaps("/token") {
        assert!(gap >= 0.95, "at least 1 s apart: {gap}");
    }
}

fn a_dropped_connection_while_polling_backs_off_and_recovers() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/device", _) => device(1, 60),
        ("/token", 0) => fake::hang_up(),
        _ => token(),
    });
    let scratch = profile_on(&server);
    scratch.run(&["login"]).expect(0);
    assert_eq!(scratch.tokens("p")["access_token"], "at-1");
    let gaps = server.gaps("/token");
    assert!(gaps.len() == 1 && gaps[0] >= 1.95, "1 s doubled: {gaps:?}");
}

fn a_poll_that_times_out_backs_off_and_recovers() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/device", _) => device(1, 60),
        ("/token", 0) => token().after(std::time::Duration::from_millis(1500)),
        _ => token(),
    });
    let scratch = profile_on(&server);
    scratch.run(&["config", "set", "timeout", "1"]).expect(0);
    let run = scratch.run(&["login"]);
    run.expect(0);
    let gaps = server.gaps("/token");
    // Gave up on the first answer after the profile's 1 s timeout, then waited 2 s.
    assert!(gaps.len() == 1 && gaps[0] >= 2.9, "{gaps:?}");
}

fn an_error_description_with_http_200_ends_the_flow_and_is_shown() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => device(1, 60),
        _ => fake::form(
            200,
            "error=incorrect_client_credentials&error_description=The+client_id+and%2For+client_secret+passed+are+incorrect.",
        ),
    });
    let scratch = profile_on(&server);
    let run = scratch.run(&["login"]);
    run.expect(1);
    run.stderr_has("incorrect_client_credentials")
        .stderr_has("passed are incorrect");
    assert_eq!(server.requests("/token").len(), 1);
}

crate::tests![
    provider_unreachable_until_the_code_expires_exits_4,
    github_dialect_form_bodies_and_errors_with_200,
    access_denied_description_reaches_the_user,
    html_discovery_page_is_reported_with_url_and_status,
    unreachable_issuer_exits_4_with_one_line,
    an_interval_of_zero_is_clamped_to_a_second,
    a_dropped_connection_while_polling_backs_off_and_recovers,
    a_poll_that_times_out_backs_off_and_recovers,
    an_error_description_with_http_200_ends_the_flow_and_is_shown
];
