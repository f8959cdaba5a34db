//! `keycard config ...` and the rules every command shares (names, usage errors, streams).

use crate::support::*;

const ISSUER: &str = "https://id.example.com";

fn with_profile(name: &str) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_profile(name, ISSUER, "cli-123");
    scratch
}

fn add_creates_a_private_config_and_makes_the_first_profile_active() {
    let scratch = with_profile("work");
    let toml = scratch.config_toml();
    assert!(toml.contains("active = \"work\""), "{toml}");
    assert!(toml.contains("[profiles.work]"), "{toml}");
    #[cfg(unix)]
    {
        assert_eq!(mode(&scratch.config_dir()), 0o700);
        assert_eq!(mode(&scratch.config_dir().join("config.toml")), 0o600);
    }
    scratch.add_profile("home", ISSUER, "x");
    assert!(
        scratch.config_toml().contains("active = \"work\""),
        "a second add keeps the active one"
    );
    let dup = scratch.try_add_profile("home", ISSUER, "x");
    dup.expect(2);
    dup.stderr_has("already exists");
}

fn list_marks_the_profile_in_use() {
    let scratch = with_profile("work");
    scratch.add_profile("home", ISSUER, "x");
    let list = scratch.run(&["config", "list"]);
    list.expect(0);
    list.stdout_has("* work");
    list.stdout_has("  home");
    scratch.run(&["config", "use", "home"]).expect(0);
    let json = scratch.run(&["config", "list", "--json"]).json();
    let active: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(active, vec![serde_json::json!("home")]);
}

fn use_refuses_an_unknown_profile_and_names_the_fix() {
    let scratch = with_profile("work");
    let run = scratch.run(&["config", "use", "nope"]);
    // One exit code for a missing profile from every command (issue 13): 3, as status.
    run.expect(3);
    assert!(
        run.stderr
            .contains("keycard config add nope --preset PRESET --client-id ID")
            && run
                .stderr
                .contains("keycard config add nope --issuer URL --client-id ID"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("work"),
        "known profiles are listed: {}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
}

fn set_keeps_comments_and_order_and_get_reads_back() {
    let scratch = with_profile("work");
    let path = scratch.config_dir().join("config.toml");
    let hand_written = format!(
        "# my environments\n{}\n# trailing note\n",
        scratch
            .config_toml()
            .replace("[profiles.work]", "[profiles.work]\n# the company IdP")
    );
    std::fs::write(&path, &hand_written).unwrap();

    scratch
        .run(&["config", "set", "client_id", "cli-456"])
        .expect(0);
    scratch
        .run(&[
            "--profile",
            "work",
            "config",
            "set",
            "scopes",
            "openid email",
        ])
        .expect(0);
    let after = scratch.config_toml();
    assert!(after.starts_with("# my environments\n"), "{after}");
    assert!(after.contains("# the company IdP"), "{after}");
    assert!(after.contains("# trailing note"), "{after}");
    assert!(
        after.find("issuer").unwrap() < after.find("client_id").unwrap(),
        "order kept: {after}"
    );

    assert_eq!(
        scratch.run(&["config", "get", "client_id"]).stdout,
        "cli-456\n"
    );
    assert_eq!(
        scratch.run(&["config", "get", "scopes"]).stdout,
        "openid email\n"
    );
}

fn set_refuses_unknown_keys_and_insecure_urls() {
    let scratch = with_profile("work");
    let before = scratch.config_toml();
    let run = scratch.run(&["config", "set", "clientid", "x"]);
    run.expect(2);
    run.stderr_has("did you mean 'client_id'");
    let run = scratch.run(&[
        "config",
        "set",
        "token_endpoint",
        "http://id.example.com/token",
    ]);
    run.expect(2);
    run.stderr_has("https://");
    assert_eq!(scratch.config_toml(), before, "nothing changed");
}

fn secrets_are_never_printed_by_config() {
    let scratch = Scratch::new();
    scratch
        .run(&[
            "config",
            "add",
            "g",
            "--issuer",
            ISSUER,
            "--client-id",
            "c",
            "--client-secret",
            "s3cr3t-value",
        ])
        .expect(0);
    for args in [
        &["config", "show"][..],
        &["config", "show", "--json"],
        &["config", "get", "client_secret"],
        &["config", "list"],
    ] {
        let run = scratch.run(args);
        run.expect(0);
        assert!(
            !run.stdout.contains("s3cr3t") && !run.stderr.contains("s3cr3t"),
            "{args:?} leaked: {run:?}"
        );
    }
    assert!(
        scratch
            .run(&["config", "show"])
            .stdout
            .contains("client_secret = \"[hidden]\"")
    );
}

fn remove_deletes_the_profile_and_its_tokens() {
    let scratch = with_profile("work");
    // A real token file: a damaged one is left in place (hostile_files.rs).
    signed_in(&scratch, "work", 3600, true);
    scratch.run(&["config", "remove", "work", "-y"]).expect(0);
    assert!(!scratch.token_file("work").exists());
    let toml = scratch.config_toml();
    assert!(!toml.contains("work"), "{toml}");
    scratch.run(&["config", "remove", "work", "-y"]).expect(3);
}

fn invalid_profile_names_are_refused_before_any_file_is_touched() {
    for name in [
        "../evil",
        "a/b",
        "",
        ".",
        "..",
        "x y",
        &"n".repeat(65),
        "prоd",
    ] {
        let scratch = Scratch::new();
        for args in [
            vec![
                "config",
                "add",
                name,
                "--issuer",
                ISSUER,
                "--client-id",
                "x",
            ],
            vec!["--profile", name, "status"],
            vec![
                "--profile",
                name,
                "login",
                "--issuer",
                ISSUER,
                "--client-id",
                "x",
            ],
            vec!["--profile", name, "logout"],
        ] {
            let run = scratch.run(&args);
            run.expect(2);
            run.stderr_has_in(format_args!("{args:?}"), "invalid profile name");
            assert!(!scratch.config_dir().exists(), "{args:?} created files");
        }
    }
}

fn usage_errors_exit_2_and_global_flags_go_anywhere() {
    let scratch = with_profile("work");
    scratch.run(&["status", "--bogus"]).expect(2);
    scratch.run(&["--color", "sometimes", "status"]).expect(2);
    scratch.run(&["config"]).expect(2);
    let before = scratch.run(&["--json", "config", "list"]);
    let after = scratch.run(&["config", "list", "--json"]);
    before.expect(0);
    assert_eq!(before.stdout, after.stdout);
}

fn path_prints_the_config_file() {
    let scratch = Scratch::new();
    let run = scratch.run(&["config", "path"]);
    run.expect(0);
    assert_eq!(
        run.stdout.trim(),
        scratch
            .config_dir()
            .join("config.toml")
            .display()
            .to_string()
    );
}

fn default_config_dir_follows_xdg() {
    let scratch = Scratch::new();
    let run = Run::of(
        keycard_bare()
            .env("XDG_CONFIG_HOME", scratch.path())
            .args(["config", "path"]),
    );
    assert_eq!(
        run.stdout.trim(),
        scratch
            .path()
            .join("keycard/config.toml")
            .display()
            .to_string()
    );
}

fn broken_config_is_reported_and_left_alone() {
    let scratch = with_profile("work");
    let path = scratch.config_dir().join("config.toml");
    std::fs::write(&path, "active = \"work\"\n[profiles.work\nissuer = 1\n").unwrap();
    let run = scratch.run(&["config", "set", "client_id", "y"]);
    run.expect(1);
    run.stderr_has("config.toml");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "active = \"work\"\n[profiles.work\nissuer = 1\n"
    );
}

fn login_without_a_profile_says_how_to_add_one() {
    let scratch = Scratch::new();
    let run = scratch.run(&["login"]);
    run.expect(3);
    run.stderr_has("keycard config add default --preset PRESET")
        .stderr_has("keycard config presets");
}

/// The "no profile" error: one exit code (3) and one message from every command.
fn a_missing_profile_is_exit_3_from_every_command() {
    let scratch = with_profile("work");
    for args in [
        &["--profile", "nope", "login"][..],
        &["--profile", "nope", "token"],
        &["--profile", "nope", "whoami"],
        &["--profile", "nope", "status"],
        &["--profile", "nope", "config", "show"],
        &["--profile", "nope", "config", "get", "issuer"],
        &["config", "use", "nope"],
        &["config", "remove", "nope", "-y"],
        &["--profile", "nope", "exec", "--", "true"],
    ] {
        let run = scratch.run(args);
        run.expect(3);
        assert!(
            run.stderr.contains("no profile named 'nope'")
                && run.stderr.contains("--preset PRESET")
                && run.stderr.contains("--issuer URL"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

fn an_issuer_that_is_not_a_url_says_what_one_looks_like() {
    let scratch = Scratch::new();
    let run = scratch.try_add_profile("w", "notaurl", "x");
    run.expect(2);
    assert!(
        run.stderr
            .contains("an issuer is an https:// URL such as https://")
            && run.stderr.contains("--preset")
            && !run.stderr.contains('\n'.to_string().repeat(2).as_str()),
        "{}",
        run.stderr
    );
    assert!(
        !scratch.config_dir().join("config.toml").exists()
            || !scratch.config_toml().contains("notaurl")
    );
}

fn plain_http_issuers_are_refused_except_loopback() {
    let scratch = Scratch::new();
    let run = scratch.try_add_profile("w", "http://id.example.com", "x");
    run.expect(2);
    run.stderr_has("https://");
    scratch.add_profile("w", "http://127.0.0.1:9", "x");
}

fn a_mistyped_profile_name_gets_a_suggestion() {
    let scratch = Scratch::new();
    scratch.add_profile("prod", "https://id.example.com", "c");
    scratch.add_profile("staging", "https://id.example.com", "c");
    let suggests = |args: &[&str], name: &str| {
        scratch
            .run(args)
            .expect(3)
            .stderr_has(&format!("did you mean '{name}'?"));
    };
    suggests(&["config", "use", "stagign"], "staging");
    suggests(&["--profile", "prdo", "token"], "prod");
    let before = scratch.config_toml();
    suggests(
        &["--profile", "prd", "config", "set", "scopes", "openid"],
        "prod",
    );
    assert_eq!(scratch.config_toml(), before, "a typo creates no profile");
    suggests(&["--profile", "prd", "status"], "prod");
    let run = scratch.run(&["--profile", "qa", "login"]);
    run.expect(3);
    run.stderr_has("keycard config add qa");
}

/// config.toml is read, changed and written under the config lock: with each writer
/// held between its read and its write (`KEYCARD_TEST_CONFIG_HOLD_MS`, debug builds), so
/// that unlocked writers would overwrite each other's changes, 20 concurrent `config
/// set`s of different settings all land.
fn concurrent_config_sets_lose_no_update() {
    const N: usize = 20;
    let scratch = Scratch::new();
    let names: Vec<String> = (0..N)
        .map(|i| format!("team{}x", (b'a' + i as u8) as char))
        .collect();
    for name in &names {
        scratch.add_profile(name, "https://id.example.com", "c");
    }
    let key = |i: usize| ["client_id", "audience", "username"][i % 3];
    let children: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut cmd = scratch.keycard();
            cmd.args(["--profile", name, "config", "set", key(i), &format!("v{i}")])
                .env("KEYCARD_TEST_CONFIG_HOLD_MS", "20")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (i, name) in names.iter().enumerate() {
        let got = scratch.run(&["--profile", name, "config", "get", key(i)]);
        got.expect(0);
        assert_eq!(
            got.stdout.trim(),
            format!("v{i}"),
            "{name}'s {} was lost",
            key(i)
        );
    }
}

/// A `config set` killed mid-write (`KEYCARD_TEST_KILL_WRITE_AT`: it kills itself after
/// half the temporary file) leaves that file beside config.toml; the next writer, holding
/// the config lock, removes it, and nothing else.
fn a_killed_config_set_leaves_a_temp_file_the_next_one_sweeps() {
    let scratch = with_profile("x");
    let dir = scratch.config_dir();
    let before = scratch.config_toml();
    let killed = scratch
        .keycard()
        .args(["config", "set", "audience", "half"])
        .env("KEYCARD_TEST_KILL_WRITE_AT", "4")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "it died from SIGKILL");
    assert_eq!(
        scratch.config_toml(),
        before,
        "the old config.toml is whole"
    );
    let temps = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".config.toml.") && n.ends_with(".tmp"))
            .collect::<Vec<_>>()
    };
    assert_eq!(temps().len(), 1);
    std::fs::write(dir.join(".config.toml.bak"), "mine").unwrap();
    scratch.run(&["config", "set", "audience", "api"]).expect(0);
    assert!(
        temps().is_empty(),
        "the killed writer's temporary file is gone"
    );
    assert!(
        dir.join(".config.toml.bak").exists(),
        "only keycard's temporaries are swept"
    );
    assert!(scratch.config_toml().contains("audience = \"api\""));
}

/// A hint that names a command repeats the `--config-dir` typed on the command line, so
/// pasting it acts on the same files; one that came from KEYCARD_CONFIG_DIR stays out
/// (the shell still has it).
fn hints_repeat_a_typed_config_dir_but_not_one_from_the_environment() {
    let scratch = Scratch::new();
    let dir = scratch.config_dir();
    let dir = dir.to_str().unwrap();
    // The same command with --config-dir typed, and with KEYCARD_CONFIG_DIR only: the
    // error line must contain `typed` and `from_env` (in backquotes) respectively.
    let check = |args: &[&str], typed: &str, from_env: &str| {
        let typed_run = Run::of(keycard_bare().arg(format!("--config-dir={dir}")).args(args));
        typed_run.expect(3);
        typed_run.stderr_has(&format!("`{typed}`"));
        let env_run = scratch.run(args);
        env_run.expect(3);
        assert!(
            env_run.stderr.contains(&format!("`{from_env}`"))
                && !env_run.stderr.contains("--config-dir"),
            "{}",
            env_run.stderr
        );
    };
    check(
        &["--profile", "work", "login"],
        &format!("keycard config add --config-dir {dir} work --preset PRESET --client-id ID"),
        "keycard config add work --preset PRESET --client-id ID",
    );
    // A hint about one profile: --profile always, --config-dir when typed.
    scratch.add_profile("work", "https://id.example.com", "cli");
    signed_in(&scratch, "work", -60, false);
    check(
        &["token", "--profile", "work"],
        &format!("keycard login --profile work --config-dir {dir}"),
        "keycard login --profile work",
    );
}

crate::tests![
    add_creates_a_private_config_and_makes_the_first_profile_active,
    list_marks_the_profile_in_use,
    use_refuses_an_unknown_profile_and_names_the_fix,
    set_keeps_comments_and_order_and_get_reads_back,
    set_refuses_unknown_keys_and_insecure_urls,
    secrets_are_never_printed_by_config,
    remove_deletes_the_profile_and_its_tokens,
    invalid_profile_names_are_refused_before_any_file_is_touched,
    usage_errors_exit_2_and_global_flags_go_anywhere,
    path_prints_the_config_file,
    default_config_dir_follows_xdg,
    broken_config_is_reported_and_left_alone,
    login_without_a_profile_says_how_to_add_one,
    a_missing_profile_is_exit_3_from_every_command,
    an_issuer_that_is_not_a_url_says_what_one_looks_like,
    plain_http_issuers_are_refused_except_loopback,
    a_mistyped_profile_name_gets_a_suggestion,
    hints_repeat_a_typed_config_dir_but_not_one_from_the_environment,
    concurrent_config_sets_lose_no_update,
    a_killed_config_set_leaves_a_temp_file_the_next_one_sweeps
];
