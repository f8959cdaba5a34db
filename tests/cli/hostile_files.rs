//! Hostile local files and clock trouble (issue 6): invalid profile names from every
//! entry point, modes under `umask 000`, links and directories where token files should
//! be, failed writes, damaged files, an unusable config directory, absurd times.
//! Whatever is wrong, keycard explains itself on one line, leaves the file as it was and
//! never panics.

use crate::fake::{self, FakeServer, Response};
use crate::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Names that must never become part of a file name.
const BAD_NAMES: &[&str] = &[
    "../evil",
    "a/b",
    "",
    "..",
    "a\u{0}b",
    "prоd",         // Cyrillic 'о'
    "pr\u{202e}od", // right-to-left override
    "a\u{200d}b",   // zero-width joiner
    "ｐｒｏｄ",     // fullwidth letters
    "e\u{301}",     // combining acute accent
];

fn long_name() -> String {
    "n".repeat(65)
}

/// Every file under `dir` with its bytes, to compare before and after a run.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.push((path.clone(), b"<dir>".to_vec()));
                out.extend(snapshot(&path));
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.push((path, format!("-> {}", target.display()).into_bytes()));
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Runs each of `commands` in `scratch`: each must exit `code` with one error line naming
/// `needle` and leave every file as `before` has it (`context` says which case failed).
/// Returns the runs, for what a caller checks besides.
fn refused_leaving_files_alone(
    scratch: &Scratch,
    before: &[(PathBuf, Vec<u8>)],
    commands: &[&[&str]],
    code: i32,
    needle: &str,
    context: &str,
) -> Vec<Run> {
    commands
        .iter()
        .map(|args| {
            let run = scratch.run(args);
            run.expect(code);
            one_line_error(&run, needle);
            assert_eq!(snapshot(scratch.path()), before, "{context}: {args:?}");
            run
        })
        .collect()
}

/// The commands that read the session (`status`, `token`, `whoami`, `logout`), then `more`.
fn session_commands<'a>(more: &[&'a [&'a str]]) -> Vec<&'a [&'a str]> {
    let mut all: Vec<&[&str]> = vec![&["status"], &["token"], &["whoami"], &["logout"]];
    all.extend_from_slice(more);
    all
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[track_caller]
pub fn one_line_error(run: &Run, needle: &str) {
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one line on stderr: {}",
        run.stderr
    );
    assert!(run.stderr.starts_with("keycard: error: "), "{}", run.stderr);
    assert!(run.stderr.contains(needle), "{needle:?} in {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// A device flow that succeeds at once: `/device` hands out a code, `/token` the tokens
/// `token_answer` gives (for refreshes too).
pub fn fake_provider(
    token_answer: impl Fn(&fake::Request, usize) -> Response + Send + Sync + 'static,
) -> FakeServer {
    FakeServer::start(move |req, n| match req.path.as_str() {
        "/device" => fake::json(
            200,
            json!({
                "device_code": "dc-secret",
                "user_code": "ABCD-EFGH",
                "verification_uri": "http://127.0.0.1/verify",
                "expires_in": 60,
                "interval": 1,
            }),
        ),
        "/token" => token_answer(req, n),
        _ => fake::json(404, json!({})),
    })
}

pub fn fresh_tokens(expires_in: Value) -> Response {
    fake::json(
        200,
        json!({
            "access_token": "at-new",
            "token_type": "Bearer",
            "expires_in": expires_in,
            "refresh_token": "rt-new",
        }),
    )
}

/// Profile `p` with explicit endpoints at `server` and a token file for it (no issuer,
/// like a login through those endpoints), expiring in `expires_in` seconds.
pub fn session_at(server: &FakeServer, expires_in: i64) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    signed_in(&scratch, "p", expires_in, true);
    scratch.edit_tokens("p", |t| t["issuer"] = Value::Null);
    scratch
}

/// `session_at` a `fake_provider` whose every token answer is fresh tokens for an hour.
pub fn fresh_provider_session(expires_in: i64) -> (FakeServer, Scratch) {
    let server = fake_provider(|_, _| fresh_tokens(json!(3600)));
    let scratch = session_at(&server, expires_in);
    (server, scratch)
}

/// keycard run through `sh -c 'umask 000; exec keycard "$@"'`.
#[cfg(unix)]
fn run_under_umask_000<S: AsRef<std::ffi::OsStr>>(scratch: &Scratch, args: &[S]) -> Run {
    let mut sh = std::process::Command::new(require("sh"));
    clean_env(&mut sh);
    sh.env("KEYCARD_CONFIG_DIR", scratch.config_dir());
    sh.args([
        "-c",
        &format!("umask 000; exec {} \"$@\"", env!("CARGO_BIN_EXE_keycard")),
        "keycard",
    ]);
    sh.args(args);
    Run::of(&mut sh)
}

// 1. Profile names

fn invalid_names_are_refused_at_every_entry_point_before_any_file_is_touched() {
    let long = long_name();
    let all: Vec<&str> = BAD_NAMES.iter().copied().chain([long.as_str()]).collect();
    for name in all {
        let scratch = Scratch::new();
        let by_flag: Vec<Vec<&str>> = vec![
            vec!["--profile", name, "status"],
            vec!["--profile", name, "token"],
            vec!["--profile", name, "whoami"],
            vec!["--profile", name, "logout"],
            vec![
                "--profile",
                name,
                "login",
                "--issuer",
                "https://id.example.com",
                "--client-id",
                "x",
            ],
            vec!["--profile", name, "config", "set", "client_id", "x"],
            vec!["config", "use", name],
            vec!["config", "show", name],
            vec!["config", "remove", name, "-y"],
            vec![
                "config",
                "add",
                name,
                "--issuer",
                "https://id.example.com",
                "--client-id",
                "x",
            ],
        ];
        for args in &by_flag {
            // NUL cannot be passed in argv at all; the OS refuses before keycard runs.
            if name.contains('\0') {
                continue;
            }
            let run = scratch.run(args);
            run.expect(2);
            one_line_error(&run, "invalid profile name");
            assert!(
                !scratch.config_dir().exists(),
                "{args:?} created the config dir"
            );
        }
        if !name.contains('\0') && !name.is_empty() {
            for args in [["status"], ["token"], ["logout"]] {
                let run = Run::of(scratch.keycard().env("KEYCARD_PROFILE", name).args(args));
                run.expect(2);
                one_line_error(&run, "KEYCARD_PROFILE");
                assert!(!scratch.config_dir().exists());
            }
        }
        // `status --short` for a prompt: same refusal, silently.
        if !name.contains('\0') {
            let run = scratch.run(&["--profile", name, "status", "--short"]);
            run.expect(2);
            assert_eq!(run.stderr, "");
        }
    }
}

fn a_hand_edited_config_naming_an_invalid_profile_changes_nothing() {
    for text in [
        "active = \"../x\"\n",
        "active = \"pr\u{202e}od\"\n",
        "[profiles.\"../x\"]\nissuer = \"https://id.example.com\"\nclient_id = \"x\"\n",
        "[profiles.\"prоd\"]\nclient_id = \"x\"\n",
        "[profiles.\"a\\u0000b\"]\nclient_id = \"x\"\n",
        "[profiles.\"\"]\nclient_id = \"x\"\n",
    ] {
        let scratch = Scratch::new();
        std::fs::create_dir_all(scratch.config_dir()).unwrap();
        std::fs::write(scratch.config_dir().join("config.toml"), text).unwrap();
        let before = snapshot(scratch.path());
        let context = format!("{text:?}");
        refused_leaving_files_alone(
            &scratch,
            &before,
            &session_commands(&[
                &[
                    "login",
                    "--issuer",
                    "https://id.example.com",
                    "--client-id",
                    "x",
                ],
                &["config", "set", "client_id", "y"],
                &["config", "get", "client_id"],
            ]),
            2,
            "profile name",
            &context,
        );
        if text.contains("[profiles") {
            // The section is refused whichever profile is asked for.
            refused_leaving_files_alone(
                &scratch,
                &before,
                &[
                    &["config", "list"],
                    &["status", "--all"],
                    &[
                        "config",
                        "add",
                        "ok",
                        "--issuer",
                        "https://id.example.com",
                        "--client-id",
                        "x",
                    ],
                ],
                2,
                "rename that section by hand",
                &context,
            );
        }
    }
}

fn logout_all_leaves_files_whose_names_are_not_profiles() {
    let scratch = Scratch::new();
    signed_in(&scratch, "good", 3600, true);
    let dir = scratch.config_dir();
    for odd in [
        "auth-..json",
        "auth-.json",
        "auth-prоd.json",
        "auth-a\u{202e}b.json",
    ] {
        std::fs::write(dir.join(odd), "{}").unwrap();
    }
    let run = scratch.run(&["logout", "--all", "--no-revoke"]);
    run.expect(0);
    run.stderr_has("'good'");
    let left = names(&dir);
    assert!(!left.contains(&"auth-good.json".to_string()), "{left:?}");
    for odd in [
        "auth-..json",
        "auth-.json",
        "auth-prоd.json",
        "auth-a\u{202e}b.json",
    ] {
        assert!(
            left.contains(&odd.to_string()),
            "{odd} was touched: {left:?}"
        );
    }
}

// 2. Modes

#[cfg(unix)]
fn files_are_private_under_umask_000_for_config_login_and_refresh() {
    let server = fake_provider(|_, _| fresh_tokens(json!(3600)));
    let scratch = Scratch::new();
    run_under_umask_000(&scratch, &endpoint_profile_args("p", &server.url)).expect(0);
    let config = scratch.config_dir().join("config.toml");
    assert_eq!(mode(&scratch.config_dir()), 0o700);
    assert_eq!(mode(&config), 0o600);

    run_under_umask_000(&scratch, &["config", "set", "audience", "api"]).expect(0);
    assert_eq!(mode(&config), 0o600, "config set rewrites it private");

    run_under_umask_000(&scratch, &["login", "--no-browser"]).expect(0);
    assert_eq!(mode(&scratch.token_file("p")), 0o600);
    assert_eq!(mode(&scratch.config_dir().join(".auth-p.lock")), 0o600);

    scratch.expire_in("p", -60);
    let refresh = run_under_umask_000(&scratch, &["token"]);
    refresh.expect(0);
    assert_eq!(refresh.stdout, "at-new\n");
    assert_eq!(server.requests("/token").len(), 2, "login and one refresh");
    assert_eq!(
        mode(&scratch.token_file("p")),
        0o600,
        "refresh writes it private"
    );
    assert_eq!(mode(&scratch.config_dir()), 0o700);
    assert!(
        !names(&scratch.config_dir())
            .iter()
            .any(|n| n.ends_with(".tmp")),
        "{:?}",
        names(&scratch.config_dir())
    );
}

#[cfg(unix)]
fn a_token_file_others_can_read_is_warned_about_except_in_a_prompt() {
    use std::os::unix::fs::PermissionsExt;
    let (_server, scratch) = fresh_provider_session(3600);
    let path = scratch.token_file("p");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let fix = format!("chmod 600 {}", path.display());
    for args in [
        vec!["status"],
        vec!["token"],
        vec!["whoami"],
        vec!["status", "--json"],
    ] {
        let run = scratch.run(&args);
        run.expect(0);
        assert!(run.stderr.contains(&fix), "{args:?}: {}", run.stderr);
        assert!(
            !run.stdout.contains("chmod"),
            "{args:?}: warnings stay off stdout"
        );
    }
    for args in [
        vec!["status", "--short"],
        vec!["status", "--format", "{state}"],
    ] {
        let run = scratch.run(&args);
        run.expect(0);
        assert_eq!(run.stderr, "", "{args:?}");
    }
    assert_eq!(
        mode(&path),
        0o640,
        "keycard warns; it does not chmod behind your back"
    );
}

// 3. Links and directories

#[cfg(unix)]
fn a_planted_lock_file_link_is_not_followed() {
    let (server, scratch) = fresh_provider_session(-60);
    let victim = scratch.path().join("victim");
    std::os::unix::fs::symlink(&victim, scratch.config_dir().join(".auth-p.lock")).unwrap();
    let run = scratch.run(&["token"]);
    run.expect(1);
    one_line_error(&run, ".auth-p.lock");
    assert!(!victim.exists(), "the link's target was created");
    assert!(server.all().is_empty(), "no refresh without the lock");
}

#[cfg(unix)]
fn a_symlinked_token_file_is_neither_read_nor_written_through() {
    // An expired session with a refresh token: `token` would refresh and save it.
    let (server, scratch) = fresh_provider_session(-60);
    let elsewhere = scratch.path().join("elsewhere.json");
    std::fs::rename(scratch.token_file("p"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, scratch.token_file("p")).unwrap();
    let before = snapshot(scratch.path());

    refused_leaving_files_alone(
        &scratch,
        &before,
        &[
            &["token"],
            &["whoami"],
            &["status"],
            &["logout"],
            &["login", "--no-browser"],
        ],
        1,
        "is a symbolic link",
        "a symlinked token file",
    );
    let run = scratch.run(&["status", "--short"]);
    assert_ne!(run.code, 0);
    assert_eq!(run.stderr, "");
    assert!(
        server.all().is_empty(),
        "no refresh, no device flow: {:?}",
        server.paths()
    );
}

#[cfg(unix)]
fn a_directory_at_the_token_path_is_refused_and_left_alone() {
    let server = fake_provider(|_, _| fresh_tokens(json!(3600)));
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    std::fs::create_dir_all(scratch.token_file("p").join("inside")).unwrap();
    let before = snapshot(scratch.path());
    refused_leaving_files_alone(
        &scratch,
        &before,
        &[
            &["token"],
            &["status"],
            &["logout"],
            &["login", "--no-browser"],
            &["config", "remove", "p", "-y"],
        ],
        1,
        "is a directory",
        "a directory at the token path",
    );
    assert!(server.all().is_empty(), "{:?}", server.paths());
}

#[cfg(unix)]
fn a_symlinked_config_toml_is_followed_and_the_link_survives_a_write() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    let config = scratch.config_dir().join("config.toml");
    let dotfiles = scratch.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::rename(&config, dotfiles.join("keycard.toml")).unwrap();
    std::os::unix::fs::symlink("../dotfiles/keycard.toml", &config).unwrap();

    let get = scratch.run(&["config", "get", "client_id"]);
    get.expect(0);
    assert_eq!(get.stdout, "cli\n", "read through the link");
    scratch
        .run(&["config", "set", "client_id", "new"])
        .expect(0);
    assert!(
        std::fs::symlink_metadata(&config)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    let target = std::fs::read_to_string(dotfiles.join("keycard.toml")).unwrap();
    assert!(target.contains("client_id = \"new\""), "{target}");
    assert_eq!(mode(&dotfiles.join("keycard.toml")), 0o600);
    assert_eq!(
        names(&dotfiles),
        vec!["keycard.toml"],
        "no temp file left beside it"
    );
}

// 4. Temporary files

fn a_failed_write_leaves_no_temporary_file() {
    // The token file turns into a non-empty directory while the refresh is in flight:
    // the new tokens cannot be renamed into place.
    let token_path: std::sync::Arc<std::sync::Mutex<Option<PathBuf>>> = Default::default();
    let in_handler = token_path.clone();
    let server = fake_provider(move |_, _| {
        if let Some(path) = in_handler.lock().unwrap().as_ref() {
            std::fs::remove_file(path).unwrap();
            std::fs::create_dir_all(path.join("inside")).unwrap();
        }
        fresh_tokens(json!(3600))
    });
    let scratch = session_at(&server, -60);
    *token_path.lock().unwrap() = Some(scratch.token_file("p"));

    let run = scratch.run(&["token"]);
    run.expect(1);
    one_line_error(&run, "auth-p.json");
    assert_eq!(run.stdout, "", "no token without a saved session");
    assert_eq!(server.requests("/token").len(), 1);
    assert_eq!(
        names(&scratch.config_dir()),
        // The config lock is there from caching the discovered endpoints.
        vec![".auth-p.lock", ".config.lock", "auth-p.json", "config.toml"],
        "no temporary file outlives the failed write"
    );
}

// 5. Damaged files

fn damaged_contents() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("truncated", b"{\"version\":1,\"access_tok".to_vec()),
        ("empty", Vec::new()),
        ("not JSON", b"access_token=abc\n".to_vec()),
        ("an array", b"[]".to_vec()),
        ("a wrong type", br#"{"access_token": 5}"#.to_vec()),
        ("not UTF-8", b"{\"access_token\": \"\xff\xfe\"}".to_vec()),
        ("huge", {
            let mut v = b"{\"access_token\": \"".to_vec();
            v.resize((1 << 20) + 10, b'a');
            v
        }),
        ("a date beyond chrono", {
            let mut t = json!({
                "version": 1, "access_token": "at-secret", "token_type": "Bearer",
                "issued_at": "2024-01-01T00:00:00Z", "client_id": "cli",
            });
            t["expires_at"] = json!("+999999-01-01T00:00:00Z");
            t.to_string().into_bytes()
        }),
    ]
}

fn damaged_token_files_are_named_with_the_fix_and_left_byte_for_byte() {
    // access_denied: the login does not complete, so it must not replace the file either.
    let server = fake_provider(|_, _| fake::json(400, json!({"error": "access_denied"})));
    let mut damaged = Vec::new();
    for (what, bytes) in damaged_contents() {
        let scratch = Scratch::new();
        scratch.add_endpoint_profile("p", &server.url);
        std::fs::write(scratch.token_file("p"), &bytes).unwrap();
        let before = snapshot(scratch.path());
        let runs = refused_leaving_files_alone(
            &scratch,
            &before,
            &session_commands(&[&["status", "--json"]]),
            3,
            "auth-p.json is damaged",
            what,
        );
        for run in runs {
            run.stderr_has_in(what, "keycard login --profile p");
            assert!(!run.stderr.contains("at-secret"), "{what}: {}", run.stderr);
        }
        let short = scratch.run(&["status", "--short"]);
        short.expect(3);
        assert_eq!(short.stderr, "");
        for args in [
            vec!["config", "set", "audience", "api"],
            vec!["config", "get", "client_id"],
            vec!["config", "use", "p"],
        ] {
            scratch.run(&args).expect(0);
            assert_eq!(
                std::fs::read(scratch.token_file("p")).unwrap(),
                bytes,
                "{what}: {args:?}"
            );
        }
        damaged.push((what, bytes, scratch));
    }
    // The logins wait one poll interval each: all at once.
    std::thread::scope(|s| {
        for (what, bytes, scratch) in &damaged {
            s.spawn(move || {
                let login = scratch.run(&["login", "--no-browser"]);
                login.expect(5);
                login.stderr_has_in(what, "will be replaced");
                assert_eq!(
                    &std::fs::read(scratch.token_file("p")).unwrap(),
                    bytes,
                    "{what}: login"
                );
            });
        }
    });
    // Removing the profile removes it from config.toml and leaves the damaged file, saying
    // how to delete it.
    for (what, bytes, scratch) in &damaged {
        let remove = scratch.run(&["config", "remove", "p", "-y"]);
        remove.expect(0);
        remove.stderr_has("is damaged, so keycard left it");
        remove.stderr_has("rm ");
        assert!(!scratch.config_toml().contains("[profiles.p]"), "{what}");
        assert_eq!(
            &std::fs::read(scratch.token_file("p")).unwrap(),
            bytes,
            "{what}: config remove"
        );
    }
}

fn broken_config_files_are_named_with_the_fix_and_left_byte_for_byte() {
    let server = fake_provider(|_, _| fresh_tokens(json!(3600)));
    for text in [
        b"[profiles.p\nclient_id = \"x\"\n".to_vec(),
        b"[profiles.p]\nscopes = 5\n".to_vec(),
        b"active = 3\n".to_vec(),
        b"[profiles.p]\nclient_id = \"\xff\"\n".to_vec(),
        b"[profiles.p]\ntimeout = \"soon\"\n".to_vec(),
    ] {
        let scratch = session_at(&server, 3600);
        let path = scratch.config_dir().join("config.toml");
        std::fs::write(&path, &text).unwrap();
        let before = snapshot(scratch.path());
        let runs = refused_leaving_files_alone(
            &scratch,
            &before,
            &session_commands(&[
                &["login", "--no-browser"],
                &["--profile", "p", "config", "set", "client_id", "y"],
                &["--profile", "p", "config", "get", "client_id"],
                &["config", "use", "p"],
            ]),
            1,
            "config.toml",
            &String::from_utf8_lossy(&text),
        );
        for run in runs {
            run.stderr_has("fix it by hand or move it aside");
        }
    }
    assert!(server.all().is_empty(), "{:?}", server.paths());
}

// 6. An unusable config directory

fn an_unusable_config_directory_is_reported_before_the_device_flow() {
    let server = fake_provider(|_, _| fresh_tokens(json!(3600)));
    let scratch = Scratch::new();
    let file = scratch.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let device = format!("{}/device", server.url);
    let token = format!("{}/token", server.url);
    // Under a regular file (root can write anywhere, so chmod would not do), and under
    // /proc, where nothing can be created although reading config.toml finds nothing.
    for dir in [
        file.join("sub"),
        file.clone(),
        PathBuf::from("/proc/keycard-test/sub"),
    ] {
        let runs = [
            vec![
                "login",
                "--no-browser",
                "--client-id",
                "cli",
                "--issuer",
                server.url.as_str(),
            ],
            vec![
                "config",
                "add",
                "p",
                "--client-id",
                "cli",
                "--device-authorization-endpoint",
                &device,
                "--token-endpoint",
                &token,
            ],
            vec!["--profile", "p", "config", "set", "client_id", "cli"],
        ];
        for args in runs {
            let run = Run::of(keycard_bare().env("KEYCARD_CONFIG_DIR", &dir).args(&args));
            run.expect(1);
            one_line_error(&run, "config directory");
            run.stderr_has("KEYCARD_CONFIG_DIR");
            if dir.starts_with(scratch.path()) {
                run.stderr_has(&format!("{} is a file", file.display()));
            }
        }
    }
    assert!(
        server.all().is_empty(),
        "no request at all: {:?}",
        server.paths()
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"");
}

// 7. Clock trouble

fn status_json(scratch: &Scratch) -> Value {
    let run = scratch.run(&["--profile", "p", "status", "--json"]);
    run.json()
}

fn absurd_times_in_the_token_file_show_sensibly() {
    let (server, scratch) = fresh_provider_session(3600);
    let year = 365 * 86_400;

    scratch.edit_tokens("p", |t| t["expires_at"] = json!("9999-12-31T23:59:59Z"));
    let json = status_json(&scratch);
    assert_eq!(json["state"], "valid");
    let left = json["expires_in"].as_i64().unwrap();
    assert!(
        left > year - 2 * 3600 && left <= year,
        "trusted for a year after issue: {left}"
    );
    let short = scratch.run(&["status", "--short"]);
    short.expect(0);
    assert_eq!(short.stdout, "p:valid 364d22h\n");
    let format = scratch.run(&["status", "--format", "{expires_in}"]);
    assert_eq!(format.stdout, "364d22h\n");
    scratch.run(&["status"]).expect(0);

    for past in [
        "1970-01-01T00:00:00Z",
        "1969-07-20T20:17:00Z",
        "0001-01-01T00:00:00Z",
    ] {
        scratch.edit_tokens("p", |t| t["expires_at"] = json!(past));
        let json = status_json(&scratch);
        assert_eq!(json["state"], "refreshable", "{past}");
        assert_eq!(json["expires_in"], 0, "{past}");
        let short = scratch.run(&["status", "--short"]);
        assert_eq!(short.stdout, "p:refreshable\n");
        assert_eq!(short.stderr, "");
    }
    assert!(server.all().is_empty(), "status never refreshes");
}

fn a_clock_set_back_since_sign_in_causes_one_refresh_not_one_per_call() {
    let (server, scratch) = fresh_provider_session(3600);
    // Signed in "tomorrow", for an hour: the clock has gone back a day since.
    let tomorrow = chrono::Utc::now() + chrono::TimeDelta::days(1);
    scratch.edit_tokens("p", |t| {
        t["issued_at"] = json!(tomorrow);
        t["expires_at"] = json!(tomorrow + chrono::TimeDelta::hours(1));
    });
    let status = scratch.run(&["status"]);
    status.expect(0);
    status.stdout_has("refreshable");
    status.stderr_has("the clock went back");
    let short = scratch.run(&["status", "--short"]);
    assert_eq!(short.stdout, "p:refreshable\n");
    assert_eq!(short.stderr, "");

    for _ in 0..3 {
        let run = scratch.run(&["token"]);
        run.expect(0);
        assert_eq!(run.stdout, "at-new\n");
    }
    assert_eq!(
        server.requests("/token").len(),
        1,
        "refreshed once, then trusted"
    );
    assert_eq!(status_json(&scratch)["state"], "valid");

    // Without a refresh token, say why the session cannot be used.
    scratch.edit_tokens("p", |t| {
        t["issued_at"] = json!(tomorrow);
        t["expires_at"] = json!(tomorrow + chrono::TimeDelta::hours(1));
        t.as_object_mut().unwrap().remove("refresh_token");
    });
    let run = scratch.run(&["token"]);
    run.expect(3);
    one_line_error(&run, "the clock went back");
}

fn a_token_issued_after_it_expired_is_refreshed_once() {
    // The provider sends no expires_in: the inverted lifetime must not be carried over.
    let server = fake_provider(|_, _| {
        fake::json(
            200,
            json!({"access_token": "at-new", "token_type": "Bearer"}),
        )
    });
    let scratch = session_at(&server, 3600);
    let now = chrono::Utc::now();
    scratch.edit_tokens("p", |t| {
        t["issued_at"] = json!(now - chrono::TimeDelta::minutes(10));
        t["expires_at"] = json!(now - chrono::TimeDelta::hours(2));
    });
    assert_eq!(status_json(&scratch)["state"], "refreshable");
    for _ in 0..3 {
        scratch.run(&["token"]).expect(0);
    }
    assert_eq!(server.requests("/token").len(), 1);
}

fn absurd_provider_lifetimes_are_capped_and_warned_about_once() {
    let year = 365 * 86_400;
    for (expires_in, capped) in [
        (json!(u64::MAX), true),
        (json!(1e30), true),
        (json!(400 * 86_400), true),
        (json!("18446744073709551615"), true),
        (json!(-5), false),
        (json!(0), false),
    ] {
        let answer = expires_in.clone();
        let server = fake_provider(move |_, _| fresh_tokens(answer.clone()));
        let scratch = session_at(&server, -60);
        let first = scratch.run(&["token"]);
        first.expect(0);
        assert_eq!(first.stdout, "at-new\n");
        first.stderr_has_in(&expires_in, "warning:");
        let json = status_json(&scratch);
        assert_eq!(json["state"], "valid", "{expires_in}");
        if capped {
            // What is saved is capped too, not only what status trusts.
            let saved: chrono::DateTime<chrono::Utc> =
                serde_json::from_value(scratch.tokens("p")["expires_at"].clone()).unwrap();
            let most = chrono::Utc::now() + chrono::TimeDelta::days(365);
            assert!(saved <= most, "{expires_in}: saved {saved}");
            let left = json["expires_in"].as_i64().unwrap();
            assert!(left > year - 3600 && left <= year, "{expires_in}: {left}");
        } else {
            // Ignored: the previous lifetime (just under an hour) is kept, or none.
            let left = json["expires_in"].as_i64();
            assert!(left.is_none_or(|s| s <= 3600), "{expires_in}: {left:?}");
        }
        for _ in 0..2 {
            let again = scratch.run(&["token"]);
            again.expect(0);
            assert_eq!(again.stderr, "", "{expires_in}: warned once");
        }
        assert_eq!(server.requests("/token").len(), 1, "{expires_in}");
    }
}

crate::tests![
    invalid_names_are_refused_at_every_entry_point_before_any_file_is_touched,
    a_hand_edited_config_naming_an_invalid_profile_changes_nothing,
    logout_all_leaves_files_whose_names_are_not_profiles,
    files_are_private_under_umask_000_for_config_login_and_refresh,
    a_token_file_others_can_read_is_warned_about_except_in_a_prompt,
    a_planted_lock_file_link_is_not_followed,
    a_symlinked_token_file_is_neither_read_nor_written_through,
    a_directory_at_the_token_path_is_refused_and_left_alone,
    a_symlinked_config_toml_is_followed_and_the_link_survives_a_write,
    a_failed_write_leaves_no_temporary_file,
    damaged_token_files_are_named_with_the_fix_and_left_byte_for_byte,
    broken_config_files_are_named_with_the_fix_and_left_byte_for_byte,
    an_unusable_config_directory_is_reported_before_the_device_flow,
    absurd_times_in_the_token_file_show_sensibly,
    a_clock_set_back_since_sign_in_causes_one_refresh_not_one_per_call,
    a_token_issued_after_it_expired_is_refreshed_once,
    absurd_provider_lifetimes_are_capped_and_warned_about_once
];
