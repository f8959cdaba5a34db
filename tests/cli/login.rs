//! `keycard login` end to end against the real oidc-provider.

use crate::support::*;

fn approved_login_stores_private_tokens_that_the_provider_accepts() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");

    let run = login_as(&scratch, provider, "p", "alice");
    run.expect(0);

    // stdout: exactly the device authorization line, then the result line.
    let lines: Vec<&str> = run.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "stdout: {}", run.stdout);
    let device: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert!(
        device["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with(&provider.issuer)
    );
    assert!(
        device.get("device_code").is_none(),
        "the device code stays private"
    );
    let result: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(result["result"], "signed_in");
    assert_eq!(result["user"]["email"], "alice@example.test");
    // stderr: the code and the link for the person.
    run.stderr_has(device["user_code"].as_str().unwrap());

    let file = scratch.token_file("p");
    #[cfg(unix)]
    {
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&scratch.config_dir()), 0o700);
    }
    let tokens = scratch.tokens("p");
    for key in ["access_token", "refresh_token", "id_token"] {
        let value = tokens[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing: {tokens}"));
        assert!(
            !run.stdout.contains(value) && !run.stderr.contains(value),
            "{key} leaked to the terminal"
        );
    }
    assert_eq!(tokens["issuer"], provider.issuer.as_str());
    assert_eq!(tokens["client_id"], "keycard");
    assert_eq!(tokens["identity"]["sub"], "alice");

    let (status, claims) = provider.userinfo(tokens["access_token"].as_str().unwrap());
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["sub"], "alice");

    let status = scratch.run(&["status"]);
    status.expect(0);
    status.stdout_has("alice@example.test");
    status.stdout_has("valid");

    // Discovery was cached in the profile.
    assert!(
        scratch.config_toml().contains("[profiles.p.discovered]"),
        "{}",
        scratch.config_toml()
    );
}

fn denied_login_exits_5_and_writes_nothing() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let pending = scratch.start_login(&[]);
    act_as_user(&provider.issuer, &pending.user_code(), "alice", true);
    let run = pending.finish();
    run.expect(5);
    run.stderr_has("denied");
    assert!(!scratch.token_file("p").exists());
}

fn expired_code_exits_5_without_polling_past_the_deadline() {
    let provider = Provider::with(&["--device-ttl", "3"]);
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let run = scratch.start_login(&[]).finish();
    run.expect(5);
    run.stderr_has("expired");
    assert!(!scratch.token_file("p").exists());
    // Interval 1 s, lifetime 3 s: polls at about 1 s and 2 s on an idle machine (fewer
    // on a busy one), none at or after 3 s (exactly: the `schedule` unit tests).
    assert!(
        (1..=2).contains(&provider.device_code_polls()),
        "{}",
        provider.device_code_polls()
    );
}

fn two_profiles_stay_separate() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "work");
    provider.add_profile(&scratch, "home");
    login_as(&scratch, provider, "work", "alice").expect(0);
    login_as(&scratch, provider, "home", "bob").expect(0);

    let who = |profile: &str| {
        scratch
            .run(&["--profile", profile, "status", "--json"])
            .json()["user"]["email"]
            .clone()
    };
    assert_eq!(who("work"), "alice@example.test");
    assert_eq!(who("home"), "bob@example.test");
    assert_ne!(
        scratch.tokens("work")["access_token"],
        scratch.tokens("home")["access_token"]
    );

    scratch.run(&["--profile", "home", "logout"]).expect(0);
    assert!(!scratch.token_file("home").exists());
    scratch.run(&["--profile", "work", "status"]).expect(0);
}

fn config_use_and_overrides_choose_the_profile() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "prod");
    provider.add_profile(&scratch, "staging");
    login_as(&scratch, provider, "prod", "alice").expect(0);
    login_as(&scratch, provider, "staging", "bob").expect(0);

    // The first profile added is the active one.
    let status = |args: &[&str], env: Option<&str>| {
        let mut cmd = scratch.keycard();
        if let Some(p) = env {
            cmd.env("KEYCARD_PROFILE", p);
        }
        let run = Run::of(cmd.args(args).args(["status", "--json"]));
        let json = run.json();
        (
            json["profile"].as_str().unwrap().to_string(),
            json["source"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(status(&[], None), ("prod".into(), "config".into()));

    scratch.run(&["config", "use", "staging"]).expect(0);
    assert_eq!(status(&[], None), ("staging".into(), "config".into()));
    let human = scratch.run(&["status"]);
    human.stdout_has("bob@example.test");

    // One command only: the active profile is unchanged afterwards.
    assert_eq!(
        status(&["--profile", "prod"], None),
        ("prod".into(), "flag".into())
    );
    assert_eq!(status(&[], Some("prod")), ("prod".into(), "env".into()));
    assert_eq!(
        status(&["--profile", "staging"], Some("prod")),
        ("staging".into(), "flag".into())
    );
    assert_eq!(status(&[], None), ("staging".into(), "config".into()));
}

fn login_with_a_valid_session_does_nothing_unless_forced() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    login_as(&scratch, &provider, "p", "alice").expect(0);
    let before = provider.stats()["device_authorization_requests"].as_u64();

    let again = scratch.run(&["login", "--no-browser"]);
    again.expect(0);
    again.stderr_has("Already signed in");
    assert_eq!(
        provider.stats()["device_authorization_requests"].as_u64(),
        before
    );

    let old = scratch.tokens("p")["access_token"].clone();
    let pending = scratch.start_login(&["--force"]);
    act_as_user(&provider.issuer, &pending.user_code(), "alice", false);
    pending.finish().expect(0);
    assert_ne!(scratch.tokens("p")["access_token"], old);
}

fn one_off_issuer_and_client_id_need_no_profile() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    let pending = scratch.start_login(&[
        "--profile",
        "adhoc",
        "--issuer",
        &provider.issuer,
        "--client-id",
        "keycard",
        "--scope",
        "openid",
        "--scope",
        "email",
    ]);
    act_as_user(&provider.issuer, &pending.user_code(), "carol", false);
    pending.finish().expect(0);
    let tokens = scratch.tokens("adhoc");
    assert_eq!(tokens["scope"], "openid email");
    assert!(
        tokens.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    assert!(
        !scratch.config_toml().contains("adhoc"),
        "overrides are for one run only"
    );
}

#[cfg(unix)]
fn ctrl_c_while_waiting_exits_130_and_leaves_no_file() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let pending = scratch.start_login(&[]);
    let pid = pending.child.id() as libc::pid_t;
    // SAFETY: kill(2) on the child we started; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let run = pending.finish();
    run.expect(130);
    assert!(!scratch.token_file("p").exists());
    let mut leftovers: Vec<_> = std::fs::read_dir(scratch.config_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    leftovers.sort();
    // Besides config.toml: lock files (never deleted, by design) and the interrupted
    // sign-in's record, which a later login ignores (its process is gone).
    assert_eq!(
        leftovers,
        [
            ".auth-p.signin.json",
            ".auth-p.signin.lock",
            ".config.lock",
            "config.toml"
        ]
    );
}

#[cfg(unix)]
fn token_file_is_private_even_under_umask_000() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    // The same clean environment as every other run, but through `sh -c 'umask 000; exec ...'`.
    let bin = env!("CARGO_BIN_EXE_keycard");
    let mut sh = std::process::Command::new(require("sh"));
    clean_env(&mut sh);
    sh.env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        .stdin(std::process::Stdio::null());
    sh.args([
        "-c",
        &format!("umask 000; exec {bin} \"$@\""),
        "keycard",
        "login",
    ]);
    sh.args(["--issuer", &provider.issuer, "--client-id", "keycard"]);
    let pending = PendingLogin::start(sh);
    act_as_user(&provider.issuer, &pending.user_code(), "alice", false);
    pending.finish().expect(0);
    assert_eq!(mode(&scratch.config_dir()), 0o700);
    assert_eq!(mode(&scratch.token_file("default")), 0o600);
}

/// The README's first command: build, start the bundled provider, sign in.
#[cfg(unix)]
fn readme_try_local_script_signs_in() {
    node_modules();
    let mut cmd = std::process::Command::new(repo().join("tests/try-local.sh"));
    clean_env(&mut cmd);
    cmd.env("KEYCARD_BIN", env!("CARGO_BIN_EXE_keycard"));
    let pending = PendingLogin::start(cmd);
    let uri = pending.device["verification_uri"].as_str().unwrap();
    let issuer = uri.trim_end_matches("/device").to_string();
    act_as_user(&issuer, &pending.user_code(), "dana", false);
    let run = pending.finish();
    run.expect(0);
    run.stdout_has("dana@example.test");
    run.stdout_has("state:    valid");
    run.stderr_has("Your prompt would show: local:valid");
    assert!(!run.stderr.contains("npm notice"), "{}", run.stderr);

    // The commands it prints work as printed, from another directory.
    let printed = |start: &str| {
        run.stderr
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{}", run.stderr))
            .to_string()
    };
    let export = printed("export KEYCARD_CONFIG_DIR=");
    let status = printed(&format!("{} status --short", env!("CARGO_BIN_EXE_keycard")));
    let elsewhere = std::env::temp_dir();
    let mut sh = std::process::Command::new(require("sh"));
    clean_env(&mut sh);
    let again = Run::of(
        sh.args(["-c", &format!("{export}; {status}")])
            .current_dir(&elsewhere),
    );
    assert!(
        again.expect(0).stdout.starts_with("local:valid"),
        "{}",
        again.stdout
    );

    // The provider restarted as printed (on the same port) signs the profile in again.
    let restart = printed("node ");
    let restart = restart.split(" >").next().unwrap();
    let mut node = std::process::Command::new(require("sh"));
    let mut provider = node
        .args(["-c", &format!("exec {restart}")])
        .current_dir(&elsewhere)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(provider.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert!(ready.contains(&issuer), "{ready} is not {issuer}");
    let config_dir = export.trim_start_matches("export KEYCARD_CONFIG_DIR=");
    let mut login = keycard_bare();
    login
        .env("KEYCARD_CONFIG_DIR", config_dir)
        .args(["login", "--force"]);
    let pending = PendingLogin::start(login);
    act_as_user(&issuer, &pending.user_code(), "dana", false);
    let relogin = pending.finish();
    let _ = provider.kill();
    let _ = provider.wait();
    relogin.expect(0);
}

fn verbose_log_shows_requests_but_no_secret() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    let pending = scratch.start_login(&["-v"]);
    act_as_user(&provider.issuer, &pending.user_code(), "erin", false);
    let run = pending.finish();
    run.expect(0);
    run.stderr_has("> POST ").stderr_has("/token");
    run.stderr_has("device_code=[redacted]");
    let tokens = scratch.tokens("p");
    for key in ["access_token", "refresh_token", "id_token"] {
        let secret = tokens[key].as_str().unwrap();
        assert!(
            !run.stderr.contains(secret) && !run.stdout.contains(secret),
            "{key} leaked under -v"
        );
    }
}

fn login_over_a_damaged_token_file_warns_then_replaces_it() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    std::fs::write(scratch.token_file("p"), "{\"access_to").unwrap();
    let run = login_as(&scratch, provider, "p", "frank");
    run.expect(0);
    run.stderr_has("auth-p.json is damaged")
        .stderr_has("will be replaced");
    assert_eq!(scratch.tokens("p")["identity"]["sub"], "frank");
}

fn a_one_off_issuer_never_receives_the_saved_client_secret() {
    use crate::fake::{self, FakeServer};
    use serde_json::json;
    let server = FakeServer::start(|req, _| {
        let base = format!("http://{}", req.header("host").unwrap());
        match req.path.as_str() {
            "/.well-known/openid-configuration" => fake::json(
                200,
                json!({"issuer": base, "device_authorization_endpoint": format!("{base}/device"),
                       "token_endpoint": format!("{base}/token")}),
            ),
            "/device" => fake::json(
                200,
                json!({"device_code": "dc", "user_code": "ABCD-EFGH", "interval": 1,
                       "expires_in": 60, "verification_uri": format!("{base}/verify")}),
            ),
            _ => fake::json(
                200,
                json!({"access_token": "at", "token_type": "Bearer", "expires_in": 3600}),
            ),
        }
    });
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    scratch
        .run(&["config", "set", "client_secret", "hunter2"])
        .expect(0);
    scratch
        .run(&["login", "--no-browser", "--issuer", &server.url])
        .expect(0);
    for req in server
        .requests("/device")
        .iter()
        .chain(&server.requests("/token"))
    {
        assert_eq!(req.form("client_secret"), None, "{}", req.body);
        assert_eq!(req.header("authorization"), None);
    }
}

crate::tests![
    approved_login_stores_private_tokens_that_the_provider_accepts,
    denied_login_exits_5_and_writes_nothing,
    expired_code_exits_5_without_polling_past_the_deadline,
    two_profiles_stay_separate,
    config_use_and_overrides_choose_the_profile,
    login_with_a_valid_session_does_nothing_unless_forced,
    one_off_issuer_and_client_id_need_no_profile,
    ctrl_c_while_waiting_exits_130_and_leaves_no_file,
    token_file_is_private_even_under_umask_000,
    readme_try_local_script_signs_in,
    verbose_log_shows_requests_but_no_secret,
    login_over_a_damaged_token_file_warns_then_replaces_it,
    a_one_off_issuer_never_receives_the_saved_client_secret
];
