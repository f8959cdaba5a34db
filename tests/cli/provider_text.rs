//! Issue 14 §2 and §3: nothing a provider sends reaches a terminal raw, and the sign-in
//! link is checked before anything is shown. Every class of hostile character (CSI, OSC 8
//! hyperlinks, OSC 52 clipboard writes, other escape strings, C0 and C1 controls,
//! bidirectional overrides and isolates, zero-width characters) is put into every field
//! keycard shows; the output must carry none of them, and JSON must stay valid JSON that
//! still holds the provider's exact value.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::{Value, json};

/// One string holding every class.
const HOSTILE: &str = "A\u{1b}[2J\u{1b}[1;31m\u{9b}2J\u{1b}]8;;https://evil.example/\u{1b}\\link\u{1b}]8;;\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{9d}0;title\u{9c}\u{1b}Pq\u{1b}\\\u{1b}c\u{0}\u{8}\u{7f}\u{85}\u{202e}\u{202a}\u{2066}\u{2069}\u{200f}\u{200b}\u{200d}\u{feff}\r\nZ";

/// A character that must never reach a terminal: controls other than the line breaks
/// of keycard's own output, bidirectional controls, zero-width characters.
fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}' | '\u{feff}' | '\u{061c}')
}

/// JSON: the hostile characters may only be there as `\uXXXX` escapes.
#[track_caller]
fn assert_inert(what: &str, text: &str) {
    let bad: Vec<String> = text
        .chars()
        .filter(|c| is_hostile(*c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    assert!(bad.is_empty(), "{what} carries {bad:?}: {text:?}");
}

/// Text for people: no hostile character, nor what an escape sequence carried.
#[track_caller]
fn assert_clean(what: &str, text: &str) {
    assert_inert(what, text);
    assert!(
        !text.contains("ZXZpbA=="),
        "{what} carries the OSC 52 payload: {text:?}"
    );
    assert!(
        !text.contains("evil.example"),
        "{what} carries the OSC 8 target: {text:?}"
    );
}

fn hostile_claims() -> Value {
    json!({"sub": format!("u-{HOSTILE}"), "email": format!("a{HOSTILE}@example.com"), "name": HOSTILE})
}

/// A provider whose every shown string is hostile. `denied`: the sign-in ends with
/// `access_denied` and a hostile description.
fn hostile_provider(denied: bool) -> FakeServer {
    FakeServer::start(move |req, _| match req.path.as_str() {
        "/device" => fake::json(
            200,
            json!({
                "device_code": "dc-secret",
                "user_code": format!("WXYZ{HOSTILE}"),
                "verification_uri": format!("http://127.0.0.1/verify?{HOSTILE}"),
                "verification_uri_complete": format!("http://127.0.0.1/verify?c={HOSTILE}"),
                "message": format!("Sign in {HOSTILE} now"),
                "expires_in": 60,
                "interval": 1,
            }),
        ),
        "/token" if denied => fake::json(
            400,
            json!({"error": "access_denied", "error_description": format!("no {HOSTILE}")}),
        ),
        "/token" => fake::json(
            200,
            json!({
                "access_token": "at-new", "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": "rt-new", "id_token": jwt(hostile_claims()),
            }),
        ),
        "/userinfo" => fake::json(200, hostile_claims()),
        _ => fake::json(404, json!({})),
    })
}

fn profile_at(server: &FakeServer) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    scratch.set(
        "p",
        "userinfo_endpoint",
        &format!("{}/userinfo", server.url),
    );
    scratch
}

fn every_field_a_provider_fills_is_shown_clean_and_json_stays_exact() {
    let server = hostile_provider(false);
    let scratch = profile_at(&server);

    let run = scratch.run(&["login", "--no-browser", "--qr"]);
    run.expect(0);
    assert_clean("login's stderr", &run.stderr);
    assert!(
        run.stderr.contains("WXYZ"),
        "the code is still shown: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Sign in"),
        "the message is still shown: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("as a"),
        "who signed in is still shown: {}",
        run.stderr
    );

    // --json: valid JSON, control-free on the wire, the provider's exact values inside.
    scratch.run(&["logout", "--yes", "--no-revoke"]).expect(0);
    let run = scratch.run(&["login", "--no-browser", "--json"]);
    run.expect(0);
    assert_inert("login --json", &run.stdout);
    assert_clean("login --json's stderr", &run.stderr);
    let mut lines = run.stdout.lines();
    let device: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(device["user_code"], format!("WXYZ{HOSTILE}"));
    assert_eq!(device["message"], format!("Sign in {HOSTILE} now"));
    let result: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(result["user"]["name"], HOSTILE);

    for args in [
        &["status"][..],
        &["status", "--all"],
        &["status", "--short"],
        &["status", "--format", "{user} {email}"],
        &["status", "--json"],
        &["status", "--all", "--json"],
        &["whoami"],
        &["login", "--no-browser"],
    ] {
        let run = scratch.run(args);
        run.expect(0);
        if args.contains(&"--json") || args == ["whoami"] {
            assert_inert(&format!("{args:?} stdout"), &run.stdout);
        } else {
            assert_clean(&format!("{args:?} stdout"), &run.stdout);
        }
        assert_clean(&format!("{args:?} stderr"), &run.stderr);
    }
    let whoami = scratch.run(&["whoami"]).json();
    assert_eq!(
        whoami,
        hostile_claims(),
        "whoami's JSON holds the exact claims"
    );
    let status = scratch.run(&["status", "--json"]).json();
    assert_eq!(status["user"]["email"], format!("a{HOSTILE}@example.com"));
}

fn an_error_description_is_shown_clean() {
    let server = hostile_provider(true);
    let scratch = profile_at(&server);
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(5);
    assert_clean("denied login", &run.stderr);
    assert!(run.stderr.contains("access_denied: no A"), "{}", run.stderr);
}

fn a_discovery_value_quoted_in_an_error_is_shown_clean() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/.well-known/openid-configuration" => fake::json(
            200,
            json!({"issuer": format!("https://{HOSTILE}"), "token_endpoint": HOSTILE}),
        ),
        _ => fake::json(404, json!({})),
    });
    let scratch = Scratch::new();
    scratch.add_profile("p", &server.url, "cli");
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(1);
    assert_clean("discovery error", &run.stderr);
    assert!(run.stderr.contains("describes issuer"), "{}", run.stderr);
}

fn device_with_link(link: &'static str) -> FakeServer {
    FakeServer::start(move |req, _| match req.path.as_str() {
        "/device" => fake::json(
            200,
            json!({"device_code": "dc-secret", "user_code": "SHOW-ME", "verification_uri": link,
                   "expires_in": 60, "interval": 1}),
        ),
        "/token" => fake::json(
            200,
            json!({"access_token": "at-new", "token_type": "Bearer", "expires_in": 3600}),
        ),
        _ => fake::json(404, json!({})),
    })
}

fn a_link_that_is_not_https_is_refused_before_anything_is_shown() {
    for link in [
        "javascript:alert(document.cookie)",
        "file:///etc/passwd",
        "data:text/html,<h1>sign in</h1>",
        "http://evil.example/device",
        "https://microsoft.com@evil.example/devicelogin",
    ] {
        let server = device_with_link(link);
        let scratch = Scratch::new();
        scratch.add_endpoint_profile("p", &server.url);
        let run = scratch.run(&["login", "--no-browser", "--qr", "--json"]);
        run.expect(4);
        assert_eq!(run.stdout, "", "{link}: nothing on stdout");
        assert!(
            !run.stderr.contains("SHOW-ME"),
            "{link}: the code was shown: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains('\u{2588}') && !run.stderr.contains('\u{2580}'),
            "{link}: a QR code was drawn"
        );
        run.stderr_has("will not show or open");
        assert!(
            server.requests("/token").is_empty(),
            "{link}: polled anyway"
        );
    }
}

fn a_link_away_from_the_provider_draws_a_warning_before_the_code() {
    let server = device_with_link("https://sign-in.evil.example/device");
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(0);
    let warning = run
        .stderr
        .find("warning: the sign-in link goes to sign-in.evil.example")
        .unwrap_or_else(|| panic!("no warning: {}", run.stderr));
    assert!(
        run.stderr[warning..].contains("which is not 127.0.0.1"),
        "{}",
        run.stderr
    );
    let code = run.stderr.find("SHOW-ME").unwrap();
    assert!(
        warning < code,
        "the warning comes after the code: {}",
        run.stderr
    );

    // Listed by the profile: no warning.
    scratch.run(&["logout", "--yes"]).expect(0);
    scratch
        .run(&[
            "--profile",
            "p",
            "config",
            "set",
            "verification_hosts",
            "evil.example",
        ])
        .expect(0);
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

crate::tests![
    every_field_a_provider_fills_is_shown_clean_and_json_stays_exact,
    an_error_description_is_shown_clean,
    a_discovery_value_quoted_in_an_error_is_shown_clean,
    a_link_that_is_not_https_is_refused_before_anything_is_shown,
    a_link_away_from_the_provider_draws_a_warning_before_the_code,
];
