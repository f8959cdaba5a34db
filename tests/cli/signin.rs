//! One sign-in at a time per profile (issue 17 §3), end to end against the real
//! oidc-provider, which counts the device authorization requests it receives.

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn device_requests(provider: &Provider) -> u64 {
    provider.stats()["device_authorization_requests"]
        .as_u64()
        .unwrap()
}

/// Runs `cmd` to the end, failing the test if that takes more than 20 s (a command
/// that waited on the pending sign-in would take the code's whole life).
fn run_bounded(mut cmd: Command) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} waited on the pending sign-in");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Run::from(child.wait_with_output().unwrap())
}

fn a_second_login_shows_the_same_code_and_ends_as_the_first() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let first = scratch.start_login(&["--profile", "p"]);
    let second = scratch.start_login(&["--profile", "p", "--qr"]);
    assert_eq!(second.user_code(), first.user_code());
    assert_eq!(
        device_requests(&provider),
        1,
        "one device flow at the provider"
    );

    // Nothing else waits on it: not status, not token, not another profile's login.
    let mut status = scratch.keycard();
    status.args(["--profile", "p", "status"]);
    run_bounded(status).expect(3);
    let mut token = scratch.keycard();
    token.args(["--profile", "p", "token"]);
    run_bounded(token).expect(3);
    provider.add_profile(&scratch, "q");
    let other = scratch.start_login(&["--profile", "q"]);
    assert_ne!(other.user_code(), first.user_code());
    assert_eq!(device_requests(&provider), 2);
    other.kill();

    act_as_user(&provider.issuer, &first.user_code(), "alice", false);
    let first = first.finish();
    let second = second.finish();
    first.expect(0);
    second.expect(0);
    second.stderr_has("already waiting");
    assert!(
        second.stderr.contains('▀') && !first.stderr.contains('▀'),
        "--qr draws the joined code: {}",
        second.stderr
    );
    assert!(second.stdout.contains("\"signed_in\""), "{}", second.stdout);
    second.stdout_has("alice@example.test");
    assert_eq!(device_requests(&provider), 2);
    // The published file holds no device code, and is private.
    let published = scratch.config_dir().join(".auth-p.signin.json");
    assert_eq!(mode(&published), 0o600);
    let text = std::fs::read_to_string(&published).unwrap();
    assert!(!text.contains("device_code"), "{text}");
    scratch.run(&["--profile", "p", "status"]).expect(0);
}

fn a_denied_sign_in_ends_both_logins_with_exit_5() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let first = scratch.start_login(&["--profile", "p"]);
    let second = scratch.start_login(&["--profile", "p"]);
    assert_eq!(second.user_code(), first.user_code());
    act_as_user(&provider.issuer, &first.user_code(), "alice", true);
    first.finish().expect(5);
    let second = second.finish();
    second.expect(5);
    assert!(second.stderr.contains("denied"), "{}", second.stderr);
    assert_eq!(device_requests(&provider), 1);
}

/// The first login is stopped by `stop` while a second has joined it: the second then
/// starts a device flow of its own, which the person approves.
fn second_starts_afresh_when_the_first(stop: impl FnOnce(PendingLogin)) -> (Provider, Scratch) {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let first = scratch.start_login(&["--profile", "p"]);
    let mut second = scratch.start_login(&["--profile", "p"]);
    let old_code = first.user_code();
    assert_eq!(second.user_code(), old_code);
    stop(first);
    let fresh = second.next_device()["user_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(fresh, old_code);
    assert_eq!(device_requests(&provider), 2);
    act_as_user(&provider.issuer, &fresh, "bob", false);
    let second = second.finish();
    second.expect(0);
    second.stderr_has("starting a new one");
    (provider, scratch)
}

fn when_the_first_is_interrupted_the_second_starts_afresh() {
    second_starts_afresh_when_the_first(|first| {
        // Ctrl-C: the first exits 130 and records no outcome.
        let pid = first.child.id() as libc::pid_t;
        // SAFETY: kill(2) on a child of this test.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        first.finish().expect(130);
    });
}

fn when_the_first_is_killed_the_second_starts_afresh() {
    let (provider, scratch) = second_starts_afresh_when_the_first(PendingLogin::kill);
    assert_eq!(scratch.tokens("p")["identity"]["sub"], "bob");

    // A later login finds nothing waiting and starts its own flow.
    let third = scratch.start_login(&["--profile", "p", "--force"]);
    assert_eq!(device_requests(&provider), 3);
    act_as_user(&provider.issuer, &third.user_code(), "alice", false);
    third.finish().expect(0);
}

fn force_asks_for_a_new_code_only_after_the_first_is_gone() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let first = scratch.start_login(&["--profile", "p"]);
    let mut cmd = scratch.keycard();
    cmd.args([
        "--profile",
        "p",
        "login",
        "--force",
        "--json",
        "--no-browser",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut forced = cmd.spawn().unwrap();
    let mut err = BufReader::new(forced.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("once that one has ended"), "{line}");
    assert_eq!(
        device_requests(&provider),
        1,
        "no new code while the first waits"
    );
    act_as_user(&provider.issuer, &first.user_code(), "alice", false);
    first.finish().expect(0);
    // Only now does the forced login start its own flow.
    let mut out = BufReader::new(forced.stdout.take().unwrap());
    let mut device = String::new();
    out.read_line(&mut device).unwrap();
    let device: serde_json::Value = serde_json::from_str(&device).unwrap();
    assert_eq!(device_requests(&provider), 2);
    act_as_user(
        &provider.issuer,
        device["user_code"].as_str().unwrap(),
        "bob",
        false,
    );
    assert!(forced.wait().unwrap().success());
    assert_eq!(scratch.tokens("p")["identity"]["sub"], "bob");
}

crate::tests![
    a_second_login_shows_the_same_code_and_ends_as_the_first,
    a_denied_sign_in_ends_both_logins_with_exit_5,
    when_the_first_is_interrupted_the_second_starts_afresh,
    when_the_first_is_killed_the_second_starts_afresh,
    force_asks_for_a_new_code_only_after_the_first_is_gone
];
