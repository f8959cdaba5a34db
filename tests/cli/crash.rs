//! Crash safety: a keycard killed with SIGKILL in the middle of writing a token file or
//! config.toml leaves the old file or the new one, never a torn one, and the next writer
//! holding the profile's lock sweeps away the temporary file the dead one left.
//!
//! The kills are aimed: `KEYCARD_TEST_SLOW_WRITE_MS` (a seam in debug builds only, see
//! src/fsio.rs) stretches the temporary file's write to eight chunks with a pause after
//! each, and every kill is timed from the moment the fake provider answered, so a good
//! share of them land inside the write. Each test checks that they did.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SLOW_WRITE_MS: &str = "20";
/// Eight chunks of 20 ms: the write window is about 160 ms.
const WINDOW_MS: u64 = 160;

/// The delays before each kill: spread evenly (and reproducibly) over the window plus a
/// quarter, so some kills land after the rename too.
fn delay(i: usize) -> Duration {
    let spread = WINDOW_MS * 5 / 4;
    Duration::from_millis((i as u64 * 37) % spread)
}

/// Temporary files left beside `target` (`.NAME.PID.N.tmp`), removed after counting.
fn take_temps(target: &Path) -> usize {
    let prefix = format!(".{}.", target.file_name().unwrap().to_string_lossy());
    let dir = target.parent().unwrap();
    let mut found = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            std::fs::remove_file(entry.path()).unwrap();
            found += 1;
        }
    }
    found
}

fn spawn_slow(mut cmd: Command) -> Child {
    cmd.env("KEYCARD_TEST_SLOW_WRITE_MS", SLOW_WRITE_MS)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `server` has seen `count` token requests (or `child` has exited), then
/// waits `after` and kills `child` with SIGKILL.
fn kill_after_token_request(child: &mut Child, server: &FakeServer, count: usize, after: Duration) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests("/token").len() < count && child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "keycard never asked for a token");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(after);
    let _ = child.kill(); // SIGKILL; an error only means it had already exited
    child.wait().unwrap();
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

/// The tallies of one kill loop.
#[derive(Default, Debug)]
struct Tally {
    old: usize,
    new: usize,
    mid_write: usize,
}

impl Tally {
    fn record(&mut self, token: &str, old: &str, new: &str, temps: usize) {
        match token {
            t if t == old => self.old += 1,
            t if t == new => self.new += 1,
            other => panic!("the token file holds neither session: {other}"),
        }
        self.mid_write += usize::from(temps > 0);
    }

    #[track_caller]
    fn assert_aimed(&self, runs: usize) {
        assert!(
            self.mid_write * 3 >= runs,
            "too few kills landed inside the write to prove anything: {self:?}"
        );
        assert!(self.new > 0, "no run ever finished its write: {self:?}");
    }
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

fn a_refresh_killed_mid_write_leaves_the_old_or_the_new_session() {
    const RUNS: usize = 100;
    let server = token_server();
    let scratch = expired_session(&server);
    let mut tally = Tally::default();
    for i in 0..RUNS {
        reset_session(&scratch);
        let mut cmd = scratch.keycard();
        cmd.arg("token");
        let mut child = spawn_slow(cmd);
        kill_after_token_request(&mut child, &server, i + 1, delay(i));
        let temps = take_temps(&scratch.token_file("default"));
        tally.record(
            &access_token_on_file(&scratch),
            "at-secret",
            "at-new",
            temps,
        );
    }
    tally.assert_aimed(RUNS);
}

fn a_login_killed_mid_write_leaves_the_old_or_the_new_session() {
    // Every login waits one poll interval (1 s, the least keycard accepts): four at once.
    const THREADS: usize = 4;
    const RUNS_EACH: usize = 25;
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    let server = token_server();
                    let scratch = expired_session(&server);
                    let mut tally = Tally::default();
                    for i in 0..RUNS_EACH {
                        reset_session(&scratch);
                        let mut cmd = scratch.keycard();
                        cmd.args(["login", "--force", "--no-browser"]);
                        let mut child = spawn_slow(cmd);
                        kill_after_token_request(
                            &mut child,
                            &server,
                            i + 1,
                            delay(i * THREADS + t),
                        );
                        let temps = take_temps(&scratch.token_file("default"));
                        tally.record(
                            &access_token_on_file(&scratch),
                            "at-secret",
                            "at-new",
                            temps,
                        );
                    }
                    tally
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let total = tallies.iter().fold(Tally::default(), |mut sum, t| {
        sum.old += t.old;
        sum.new += t.new;
        sum.mid_write += t.mid_write;
        sum
    });
    total.assert_aimed(THREADS * RUNS_EACH);
}

fn config_set_killed_mid_write_leaves_the_old_or_the_new_config() {
    const RUNS: usize = 40;
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("default", "http://127.0.0.1:9");
    scratch
        .run(&["config", "set", "scopes", "old-scope"])
        .expect(0);
    let path = scratch.config_dir().join("config.toml");
    let old = std::fs::read_to_string(&path).unwrap();
    // From spawn: process start and reading the config come before the window.
    let start_ms = 30;
    let (mut mid_write, mut new) = (0, 0);
    for i in 0..RUNS {
        std::fs::write(&path, &old).unwrap();
        let mut cmd = scratch.keycard();
        cmd.args(["config", "set", "scopes", "new-scope"]);
        let mut child = spawn_slow(cmd);
        std::thread::sleep(Duration::from_millis(start_ms) + delay(i));
        let _ = child.kill();
        child.wait().unwrap();
        mid_write += usize::from(take_temps(&path) > 0);
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: toml_edit::DocumentMut = text
            .parse()
            .unwrap_or_else(|e| panic!("torn config.toml ({e}):\n{text}"));
        let scopes = doc["profiles"]["default"]["scopes"].to_string();
        match scopes.trim() {
            r#"["old-scope"]"# => {}
            r#"["new-scope"]"# => new += 1,
            other => panic!("config.toml holds neither version: {other}\n{text}"),
        }
    }
    assert!(
        mid_write * 4 >= RUNS,
        "only {mid_write} of {RUNS} kills landed inside the write"
    );
    assert!(new > 0, "no run ever finished its write");
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
    a_refresh_killed_mid_write_leaves_the_old_or_the_new_session,
    a_login_killed_mid_write_leaves_the_old_or_the_new_session,
    config_set_killed_mid_write_leaves_the_old_or_the_new_config,
    refresh_login_and_logout_sweep_their_profiles_stale_temp_files
];
