//! Sessions you can see ending (issue 17 §2): the refresh token's end in each provider's
//! dialect (on the scripted server), `expired` without a request once it has passed, and
//! the warning before it, at most once an hour (with `KEYCARD_TEST_NOW`, a debug-build
//! seam that fixes the wall clock, instead of waiting an hour).

use crate::fake::{self, FakeServer};
use crate::support::*;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

const T: &str = "2026-03-01T12:00:00Z";

fn t(offset: TimeDelta) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(T).unwrap().to_utc() + offset
}

fn at(offset: TimeDelta) -> String {
    t(offset).to_rfc3339()
}

/// A device flow whose token answer carries `extra` besides the usual members.
fn provider_sending(extra: Value) -> FakeServer {
    FakeServer::start(move |req, _| match req.path.as_str() {
        "/device" => fake::json(
            200,
            json!({"device_code": "dc", "user_code": "ABCD-EFGH",
                   "verification_uri": "https://example.test/device", "interval": 1, "expires_in": 60}),
        ),
        _ => {
            let mut body = json!({"access_token": "at-1", "token_type": "Bearer",
                                  "expires_in": 3600, "refresh_token": "rt-1"});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            fake::json(200, body)
        }
    })
}

fn run_at(scratch: &Scratch, when: TimeDelta, args: &[&str]) -> Run {
    Run::from(
        scratch
            .keycard()
            .env("KEYCARD_TEST_NOW", at(when))
            .args(args)
            .output()
            .unwrap(),
    )
}

fn each_dialect_of_the_session_end_is_recorded_and_shown() {
    let exp = t(TimeDelta::hours(2)).timestamp();
    let cases = [
        // Keycloak: the SSO session's idle end.
        (
            json!({"refresh_expires_in": 1800}),
            Some(TimeDelta::minutes(30)),
        ),
        // Keycloak's offline token without a limit.
        (json!({"refresh_expires_in": 0}), None),
        // GitHub Apps: six months, sometimes as a string.
        (
            json!({"refresh_token_expires_in": "15811200"}),
            Some(TimeDelta::seconds(15_811_200)),
        ),
        // A JWT refresh token's own `exp`.
        (
            json!({"refresh_token": jwt(json!({"exp": exp}))}),
            Some(TimeDelta::hours(2)),
        ),
        // Nothing said: nothing shown.
        (json!({}), None),
    ];
    for (extra, end) in cases {
        let server = provider_sending(extra.clone());
        let scratch = Scratch::new();
        scratch.add_endpoint_profile("p", &server.url);
        run_at(&scratch, TimeDelta::zero(), &["login", "--no-browser"]).expect(0);
        let status = run_at(&scratch, TimeDelta::minutes(1), &["status", "--json"]);
        let json = status.json();
        let expected = end.map(t);
        let recorded = json["session_expires_at"]
            .as_str()
            .map(|s| DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        assert_eq!(recorded, expected, "{extra}");
        let human = run_at(&scratch, TimeDelta::minutes(1), &["status"]);
        let format = run_at(
            &scratch,
            TimeDelta::minutes(1),
            &["status", "--format", "[{session_expires_in}]"],
        );
        match end {
            Some(d) if d == TimeDelta::minutes(30) => {
                human.stdout_has("session ends in 29m");
                assert_eq!(format.stdout.trim(), "[29m]");
                assert_eq!(json["session_expires_in"], 29 * 60);
            }
            Some(_) => assert!(human.stdout.contains("session ends in"), "{}", human.stdout),
            None => {
                assert!(
                    !human.stdout.contains("session"),
                    "{extra}: {}",
                    human.stdout
                );
                assert_eq!(format.stdout.trim(), "[]");
                assert_eq!(json["session_expires_in"], Value::Null);
            }
        }
    }
}

fn the_id_tokens_auth_time_is_recorded() {
    let auth_time = t(-TimeDelta::minutes(5)).timestamp();
    let server =
        provider_sending(json!({"id_token": jwt(json!({"sub": "u1", "auth_time": auth_time}))}));
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    run_at(&scratch, TimeDelta::zero(), &["login", "--no-browser"]).expect(0);
    let json = run_at(&scratch, TimeDelta::zero(), &["status", "--json"]).json();
    assert_eq!(json["auth_time"], json!(t(-TimeDelta::minutes(5))));
}

/// A token file signed in at T-1h: the access token lasts until `access`, the refresh
/// token until `session` (both from T).
fn session_on_file(scratch: &Scratch, base: &str, access: TimeDelta, session: TimeDelta) {
    scratch.add_endpoint_profile("p", base);
    std::fs::create_dir_all(scratch.config_dir()).unwrap();
    let tokens = json!({
        "version": 1, "access_token": "at-on-file", "refresh_token": "rt-on-file",
        "token_type": "Bearer", "issued_at": at(-TimeDelta::hours(1)),
        "expires_at": at(access), "session_expires_at": at(session), "client_id": "cli",
    });
    std::fs::write(scratch.token_file("p"), tokens.to_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        scratch.token_file("p"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
}

fn a_refresh_token_past_its_end_is_expired_and_never_sent() {
    let server = provider_sending(json!({}));
    let scratch = Scratch::new();
    session_on_file(
        &scratch,
        &server.url,
        -TimeDelta::minutes(10),
        -TimeDelta::minutes(1),
    );
    let status = run_at(&scratch, TimeDelta::zero(), &["status", "--json"]);
    status.expect(3);
    assert_eq!(status.json()["state"], "expired");
    let human = run_at(&scratch, TimeDelta::zero(), &["status"]);
    human.stdout_has("the session ended");
    let short = run_at(&scratch, TimeDelta::zero(), &["status", "--short"]);
    assert_eq!(short.stdout.trim(), "p:expired");
    let token = run_at(&scratch, TimeDelta::zero(), &["token"]);
    token.expect(3);
    token.stderr_has("keycard login --profile p");
    assert!(token.stdout.is_empty());
    assert!(
        server.requests("/token").is_empty(),
        "no request to find out"
    );

    // A moment before its end, the same file is refreshable.
    let status = run_at(&scratch, -TimeDelta::minutes(2), &["status", "--json"]);
    assert_eq!(status.expect(0).json()["state"], "refreshable");
}

/// A session on file at T whose refresh token ends in 5 h and access token in 6 h.
fn ending_in_5h() -> (FakeServer, Scratch) {
    let server = provider_sending(json!({}));
    let scratch = Scratch::new();
    session_on_file(
        &scratch,
        &server.url,
        TimeDelta::hours(6),
        TimeDelta::hours(5),
    );
    (server, scratch)
}

fn the_warning_comes_once_an_hour_and_never_on_stdout() {
    let (server, scratch) = ending_in_5h();
    let warned = |run: &Run| run.stderr.contains("the session of profile 'p' ends in");

    let first = run_at(&scratch, TimeDelta::zero(), &["token"]);
    assert_eq!(first.expect(0).stdout, "at-on-file\n");
    assert!(warned(&first), "{}", first.stderr);
    assert!(first.stderr.contains("5h 00m"), "{}", first.stderr);
    for later in [TimeDelta::zero(), TimeDelta::minutes(59)] {
        let again = run_at(&scratch, later, &["token"]);
        assert!(!warned(&again), "{later}: {}", again.stderr);
    }
    // An hour on: once more, and --json stays one JSON object on stdout.
    let json = run_at(&scratch, TimeDelta::minutes(61), &["token", "--json"]);
    assert!(warned(&json), "{}", json.stderr);
    assert_eq!(json.json()["access_token"], "at-on-file");
    // exec and the git credential helper warn too (each an hour after the last).
    let exec = run_at(&scratch, TimeDelta::minutes(122), &["exec", "--", "true"]);
    exec.expect(0);
    assert!(warned(&exec), "{}", exec.stderr);
    scratch
        .run(&["config", "set", "hosts", "git.example.com"])
        .expect(0);
    let mut git = scratch.keycard();
    git.env("KEYCARD_TEST_NOW", at(TimeDelta::minutes(183)))
        .args(["git-credential", "get"]);
    let git = run_with_input(git, "protocol=https\nhost=git.example.com\n\n");
    git.expect(0);
    assert!(warned(&git), "{}", git.stderr);
    assert!(!git.stdout.contains("session"), "{}", git.stdout);
    // A prompt never warns.
    let short = run_at(&scratch, TimeDelta::minutes(250), &["status", "--short"]);
    assert!(short.stderr.is_empty(), "{}", short.stderr);

    // The threshold is a profile setting: 1h, with 1h 50m left, is quiet.
    scratch
        .run(&["config", "set", "session_warning", "1h"])
        .expect(0);
    let quiet = run_at(&scratch, TimeDelta::minutes(190), &["token"]);
    assert!(!warned(&quiet), "{}", quiet.stderr);
    let close = run_at(&scratch, TimeDelta::minutes(250), &["token"]);
    assert!(warned(&close), "{}", close.stderr);
    assert!(server.requests("/token").is_empty());
}

fn a_fifo_in_place_of_the_warning_record_does_not_hang_token() {
    let (_server, scratch) = ending_in_5h();
    let fifo = scratch.config_dir().join(".auth-p.warned");
    mkfifo(&fifo);
    let run = run_at(&scratch, TimeDelta::zero(), &["token"]);
    assert_eq!(run.expect(0).stdout, "at-on-file\n");
    assert!(run.stderr.contains("ends in"), "{}", run.stderr);
}

fn a_new_sign_in_gets_its_own_warning_within_the_hour() {
    let server = provider_sending(json!({"refresh_expires_in": 7200}));
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let warned = |run: &Run| run.stderr.contains("the session of profile 'p' ends in");
    run_at(&scratch, TimeDelta::zero(), &["login", "--no-browser"]).expect(0);
    assert!(warned(&run_at(&scratch, TimeDelta::zero(), &["token"])));
    assert!(!warned(&run_at(
        &scratch,
        TimeDelta::minutes(5),
        &["token"]
    )));
    run_at(
        &scratch,
        TimeDelta::minutes(10),
        &["login", "--no-browser", "--force"],
    )
    .expect(0);
    let after = run_at(&scratch, TimeDelta::minutes(11), &["token"]);
    assert!(warned(&after), "{}", after.stderr);
    assert!(after.stderr.contains("1h 59m"), "{}", after.stderr);
}

/// Signing out or removing the profile takes the record of the last warning with it.
fn logout_and_config_remove_leave_no_warning_record_behind() {
    let (_server, scratch) = ending_in_5h();
    let record = scratch.config_dir().join(".auth-p.warned");
    run_at(&scratch, TimeDelta::zero(), &["token"]).expect(0);
    assert!(record.exists());
    scratch.run(&["logout", "--no-revoke"]).expect(0);
    assert!(!record.exists());

    let (_server, scratch) = ending_in_5h();
    let record = scratch.config_dir().join(".auth-p.warned");
    run_at(&scratch, TimeDelta::zero(), &["token"]).expect(0);
    assert!(record.exists());
    scratch
        .run(&["config", "remove", "p", "--yes", "--no-revoke"])
        .expect(0);
    assert!(!record.exists());
}

crate::tests![
    each_dialect_of_the_session_end_is_recorded_and_shown,
    the_id_tokens_auth_time_is_recorded,
    a_refresh_token_past_its_end_is_expired_and_never_sent,
    the_warning_comes_once_an_hour_and_never_on_stdout,
    a_fifo_in_place_of_the_warning_record_does_not_hang_token,
    a_new_sign_in_gets_its_own_warning_within_the_hour,
    logout_and_config_remove_leave_no_warning_record_behind
];
