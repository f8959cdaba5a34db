//! What keycard does only for a person at a terminal: confirmation prompts and opening a
//! browser. `script` (util-linux, always on Debian) gives it a pseudo-terminal.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// Runs keycard inside a pseudo-terminal, typing `input`; stdout and stderr come back merged.
pub(crate) fn in_terminal(
    scratch: &Scratch,
    args: &[&str],
    envs: &[(&str, &str)],
    input: &str,
) -> Run {
    let line: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_keycard"))
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let mut cmd = Command::new(require("script"));
    clean_env(&mut cmd);
    cmd.env_remove("CI")
        .env("KEYCARD_CONFIG_DIR", scratch.config_dir());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.args(["-qec", &line.join(" "), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("script(1) from util-linux");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

fn config_remove_asks_on_a_terminal() {
    let scratch = Scratch::new();
    scratch.add_profile("x", "https://id.example.com", "c");
    let no = in_terminal(&scratch, &["config", "remove", "x"], &[], "n\n");
    no.expect(1);
    no.stdout_has("Remove profile 'x'? [y/N]");
    assert!(scratch.config_toml().contains("[profiles.x]"));
    in_terminal(&scratch, &["config", "remove", "x"], &[], "y\n").expect(0);
    assert!(!scratch.config_toml().contains("[profiles.x]"));
}

fn logout_asks_on_a_terminal_unless_yes() {
    let scratch = Scratch::new();
    scratch.add_profile("x", "https://id.example.com", "c");
    std::fs::create_dir_all(scratch.config_dir()).unwrap();
    let tokens = json!({"version": 1, "access_token": "at", "token_type": "Bearer",
        "expires_at": null, "issued_at": "2026-01-01T00:00:00Z", "client_id": "c"});
    let write = || std::fs::write(scratch.token_file("x"), tokens.to_string()).unwrap();
    write();
    let no = in_terminal(&scratch, &["logout", "--no-revoke"], &[], "n\n");
    no.expect(1);
    no.stdout_has("Sign out of profile 'x'? [y/N]");
    assert!(scratch.token_file("x").exists());
    in_terminal(&scratch, &["logout", "--no-revoke"], &[], "y\n").expect(0);
    assert!(!scratch.token_file("x").exists());
    write();
    let yes = in_terminal(&scratch, &["logout", "--no-revoke", "-y"], &[], "");
    yes.expect(0);
    assert!(!yes.stdout.contains("[y/N]"), "{}", yes.stdout);
    assert!(!scratch.token_file("x").exists());
}

/// A provider that approves at once, and a BROWSER that records what it was asked to open.
struct BrowserCase {
    server: FakeServer,
    scratch: Scratch,
    opened: PathBuf,
}

impl BrowserCase {
    fn new() -> BrowserCase {
        let server = FakeServer::start(|req, _| match req.path.as_str() {
            "/device" => fake::json(
                200,
                json!({"device_code": "dc", "user_code": "ABCD-EFGH", "interval": 1, "expires_in": 60,
                       "verification_uri": "http://127.0.0.1:9/device",
                       "verification_uri_complete": "http://127.0.0.1:9/device?user_code=ABCD-EFGH"}),
            ),
            _ => fake::json(
                200,
                json!({"access_token": "at", "token_type": "Bearer", "expires_in": 3600}),
            ),
        });
        let scratch = Scratch::new();
        scratch.add_endpoint_profile("p", &server.url);
        let opened = scratch.path().join("opened");
        for name in ["recorder", "lynx"] {
            let script = scratch.path().join(name);
            std::fs::write(
                &script,
                format!("#!/bin/sh\necho \"$@\" >> {}\n", opened.display()),
            )
            .unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        BrowserCase {
            server,
            scratch,
            opened,
        }
    }

    fn browser(&self, name: &str) -> String {
        self.scratch.path().join(name).display().to_string()
    }

    /// Logs in at a terminal with `envs`; returns what the browser was asked to open.
    /// `patience`: how long to wait, after keycard exits, for a browser it started.
    fn login(&self, extra: &[&str], envs: &[(&str, &str)], patience: Duration) -> Option<String> {
        let _ = std::fs::remove_file(&self.opened);
        let mut args = vec!["login", "--force"];
        args.extend_from_slice(extra);
        in_terminal(&self.scratch, &args, envs, "").expect(0);
        wait_for(&self.opened, patience)
    }

    /// A login that must open the browser: waits as long as a busy machine needs.
    fn opens(&self, extra: &[&str], envs: &[(&str, &str)]) -> Option<String> {
        self.login(extra, envs, Duration::from_secs(20))
    }

    /// A login that must not: the browser starts in the background while keycard waits a
    /// second to poll, and the positive case above shows it starts well within that here.
    fn does_not_open(&self, extra: &[&str], envs: &[(&str, &str)]) -> Option<String> {
        self.login(extra, envs, Duration::from_millis(400))
    }
}

/// What the recording browser wrote to `path`, once it has, within `patience`.
fn wait_for(path: &Path, patience: Duration) -> Option<String> {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if let Ok(s) = std::fs::read_to_string(path) {
            return Some(s.trim().to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn browser_opens_the_complete_link_only_where_a_person_can_see_it() {
    let case = BrowserCase::new();
    let recorder = case.browser("recorder");
    let desktop = [("DISPLAY", ":0"), ("BROWSER", recorder.as_str())];
    assert_eq!(
        case.opens(&[], &desktop).as_deref(),
        Some("http://127.0.0.1:9/device?user_code=ABCD-EFGH"),
        "a desktop terminal gets the prefilled link"
    );
    assert_eq!(
        case.does_not_open(&["--no-browser"], &desktop),
        None,
        "--no-browser"
    );
    let ci = [desktop[0], desktop[1], ("CI", "true")];
    assert_eq!(case.does_not_open(&[], &ci), None, "CI");
    let ssh = [
        ("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22"),
        ("BROWSER", recorder.as_str()),
    ];
    assert_eq!(case.does_not_open(&[], &ssh), None, "SSH without a display");
    let lynx = case.browser("lynx");
    assert_eq!(
        case.does_not_open(&[], &[("DISPLAY", ":0"), ("BROWSER", lynx.as_str())]),
        None,
        "text browser"
    );

    // Not a terminal at all: never.
    let mut cmd = case.scratch.keycard();
    cmd.args(["login", "--force"])
        .env("DISPLAY", ":0")
        .env("BROWSER", &recorder);
    Run::of(&mut cmd).expect(0);
    assert_eq!(
        wait_for(&case.opened, Duration::from_millis(400)),
        None,
        "stderr is not a terminal"
    );
    assert!(case.server.requests("/token").len() >= 6);
}

crate::tests![
    config_remove_asks_on_a_terminal,
    logout_asks_on_a_terminal_unless_yes,
    browser_opens_the_complete_link_only_where_a_person_can_see_it
];
