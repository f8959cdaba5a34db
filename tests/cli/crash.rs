//! Crash safety: a keycard killed with SIGKILL in the middle of writing a token file or
//! config.toml leaves the old file, never a torn one; one that finishes leaves the new
//! one; and the next writer holding the profile's lock sweeps away the temporary file
//! the dead one left.
//!
//! The kills are exact: `KEYCARD_TEST_KILL_WRITE_AT=K` (a seam in debug builds only, see
//! src/fsio.rs) writes the temporary file in eight chunks and has keycard SIGKILL itself
//! after the K-th. Every test kills at each of the eight points, so none depends on how
//! fast the machine is.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};

/// Every point of the write a kill is aimed at.
const KILL_POINTS: std::ops::RangeInclusive<usize> = 1..=8;

/// Temporary files left beside `target` (`.NAME.PID.N.tmp`).
fn temps(target: &Path) -> usize {
    let prefix = format!(".{}.", target.file_name().unwrap().to_string_lossy());
    std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix) && name.ends_with(".tmp"))
        .count()
}

/// Runs `cmd` with the kill seam at `point`; it must die of SIGKILL.
#[track_caller]
fn run_killed_at(mut cmd: Command, point: usize) {
    use std::os::unix::process::ExitStatusExt;
    let status = cmd
        .env("KEYCARD_TEST_KILL_WRITE_AT", point.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "keycard should have been killed inside its write at chunk {point}: {status:?}"
    );
}

/// The token file's access token; panics with the file's text when it is torn.
fn access_token_on_file(scratch: &Scratch) -> String {
    let path = scratch.token_file("default");
    let text = std::fs::read_to_string(&path).expect("the token file is always there");
    let tokens: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("torn token file ({e}):\n{text}"));
    assert!(tokens["refresh_token"].is_string(), "{text}");
    tokens["access_token"].as_str().unwrap().to_string()
}

fn token_server() -> FakeServer {
    FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "ABCD-EFGH",
                   "verification_uri": "https://example.test/device",
                   "interval": 1, "expires_in": 60}),
        ),
        _ => fake::json(
            200,
            json!({"access_token": "at-new", "refresh_token": "rt-new",
                   "token_type": "Bearer", "expires_in": 3600}),
        ),
    })
}

/// Profile `default` on `server`'s endpoints, signed in with an expired `at-secret`.
fn expired_session(server: &FakeServer) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("default", &server.url);
    reset_session(&scratch);
    scratch
}

fn reset_session(scratch: &Scratch) {
    signed_in(scratch, "default", -10, true);
    scratch.edit_tokens("default", |t| t["issuer"] = Value::Null);
}

/// `args` killed at each of `points` of its token file write leaves the old session and
/// one temporary file; the next run sweeps it and stores the new session.
fn killed_writes_of_the_token_file(args: &[&str], points: impl Iterator<Item = usize>) {
    let server = token_server();
    let scratch = expired_session(&server);
    let file = scratch.token_file("default");
    for point in points {
        let mut cmd = scratch.keycard();
        cmd.args(args);
        run_killed_at(cmd, point);
        assert_eq!(
            access_token_on_file(&scratch),
            "at-secret",
            "killed at {point}"
        );
        assert_eq!(
            temps(&file),
            1,
            "killed at {point}: its temporary file stays"
        );
        scratch.run(args).expect(0);
        assert_eq!(
            access_token_on_file(&scratch),
            "at-new",
            "after the kill at {point}"
        );
        assert_eq!(temps(&file), 0, "the next writer swept the dead one's file");
        reset_session(&scratch);
    }
}

fn a_refresh_killed_mid_write_leaves_the_old_session() {
    killed_writes_of_the_token_file(&["token"], KILL_POINTS);
}

fn a_login_killed_mid_write_leaves_the_old_session() {
    // Each login waits one poll interval (1 s, the least keycard accepts), so only the
    // first and the last point: the write itself is the refresh's, killed at all eight.
    killed_writes_of_the_token_file(&["login", "--force", "--no-browser"], [1, 8].into_iter());
}

fn config_set_killed_mid_write_leaves_the_old_config() {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("default", "http://127.0.0.1:9");
    scratch
        .run(&["config", "set", "scopes", "old-scope"])
        .expect(0);
    let path = scratch.config_dir().join("config.toml");
    let old = std::fs::read_to_string(&path).unwrap();
    let set = ["config", "set", "scopes", "new-scope"];
    for point in KILL_POINTS {
        let mut cmd = scratch.keycard();
        cmd.args(set);
        run_killed_at(cmd, point);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            old,
            "killed at {point}: config.toml is the old one, byte for byte"
        );
        assert_eq!(temps(&path), 1, "killed at {point}");
        scratch.run(&set).expect(0);
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: toml_edit::DocumentMut = text
            .parse()
            .unwrap_or_else(|e| panic!("torn config.toml ({e}):\n{text}"));
        assert_eq!(
            doc["profiles"]["default"]["scopes"].to_string().trim(),
            r#"["new-scope"]"#
        );
        std::fs::write(&path, &old).unwrap();
        for entry in std::fs::read_dir(path.parent().unwrap()).unwrap().flatten() {
            if entry.file_name().to_string_lossy().ends_with(".tmp") {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
    }
}

/// A temporary file as a killed keycard leaves it: `.auth-NAME.json.PID.N.tmp`.
fn plant_stale_temps(scratch: &Scratch) -> [std::path::PathBuf; 3] {
    let dir = scratch.config_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let planted = [
        dir.join(".auth-default.json.4242.0.tmp"),
        // Another profile's, and one of a profile whose name starts the same way.
        dir.join(".auth-other.json.4242.0.tmp"),
        dir.join(".auth-default.json.1.json.4242.0.tmp"),
    ];
    for p in &planted {
        std::fs::write(p, b"{\"version\":1,\"acc").unwrap();
    }
    planted
}

#[track_caller]
fn assert_swept(planted: &[std::path::PathBuf; 3], what: &str) {
    assert!(!planted[0].exists(), "{what} left its profile's stale temp");
    assert!(
        planted[1].exists() && planted[2].exists(),
        "{what} swept other profiles' files"
    );
}

fn refresh_login_and_logout_sweep_their_profiles_stale_temp_files() {
    let server = token_server();
    let scratch = expired_session(&server);

    let planted = plant_stale_temps(&scratch);
    scratch.run(&["token"]).expect(0);
    assert_swept(&planted, "a refresh");

    let planted = plant_stale_temps(&scratch);
    scratch.run(&["login", "--force", "--no-browser"]).expect(0);
    assert_swept(&planted, "a login");

    let planted = plant_stale_temps(&scratch);
    scratch.run(&["logout", "--no-revoke"]).expect(0);
    assert_swept(&planted, "a logout");

    // A valid token is read without the lock: nothing is swept then (nor needed).
    reset_session(&scratch);
    scratch.expire_in("default", 3600);
    let planted = plant_stale_temps(&scratch);
    scratch.run(&["status"]).expect(0);
    scratch.run(&["token"]).expect(0);
    assert!(planted[0].exists());
}

crate::tests![
    a_refresh_killed_mid_write_leaves_the_old_session,
    a_login_killed_mid_write_leaves_the_old_session,
    config_set_killed_mid_write_leaves_the_old_config,
    refresh_login_and_logout_sweep_their_profiles_stale_temp_files
];
