//! `keycard status` and `keycard logout` on local files (no provider needed).

use crate::support::*;

fn states_and_exit_codes() {
    let cases = [
        (3600, true, "valid", 0),
        (60, true, "refreshable", 0),
        (60, false, "expired", 3),
    ];
    for (expires_in, refresh, state, code) in cases {
        let scratch = Scratch::new();
        signed_in(&scratch, "default", expires_in, refresh);
        let run = scratch.run(&["status", "--json"]);
        run.expect(code);
        let json = run.json();
        assert_eq!(json["state"], state);
        assert_eq!(json["user"]["email"], "alice@example.test");
        assert!(
            !run.stdout.contains("secret"),
            "no token in status: {}",
            run.stdout
        );
    }
    let scratch = Scratch::new();
    let run = scratch.run(&["status", "--json"]);
    run.expect(3);
    assert_eq!(run.json()["state"], "none");
}

fn human_status_names_profile_user_and_time_left() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    let run = scratch.run(&["status"]);
    run.expect(0);
    run.stdout_has("default");
    run.stdout_has("https://id.example.com");
    run.stdout_has("alice@example.test (Alice)");
    assert!(
        run.stdout.contains("valid, expires in 54m")
            || run.stdout.contains("valid, expires in 55m"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

fn not_signed_in_explains_on_stderr_and_exits_3() {
    let scratch = Scratch::new();
    // No such profile: logging in would fail, so the hint is to add it.
    let run = scratch.run(&["--profile", "prod", "status"]);
    run.expect(3);
    run.stdout_has("not signed in");
    run.stderr_has("keycard config add prod");
    scratch.add_profile("prod", "https://id.example.com", "cli");
    let run = scratch.run(&["--profile", "prod", "status"]);
    run.expect(3);
    run.stderr_has("keycard login --profile prod");
}

fn damaged_token_file_names_the_file_and_the_fix() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.config_dir()).unwrap();
    std::fs::write(scratch.token_file("default"), "{\"access_tok").unwrap();
    let run = scratch.run(&["status"]);
    run.expect(3);
    run.stderr_has("auth-default.json")
        .stderr_has("keycard login --profile default");
    assert_eq!(
        std::fs::read_to_string(scratch.token_file("default")).unwrap(),
        "{\"access_tok"
    );
}

#[cfg(unix)]
fn readable_token_file_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    let path = scratch.token_file("default");
    let private = scratch.run(&["status"]);
    assert!(
        private.stdout.contains(&format!(
            "stored:   {} (plain file, readable only by you)",
            path.display()
        )),
        "status says where the tokens are: {}",
        private.stdout
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = scratch.run(&["status"]);
    run.expect(0);
    run.stderr_has("chmod 600");
    run.stdout_has("readable by others too");
}

fn logout_forgets_the_tokens_and_is_idempotent() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    let run = scratch.run(&["logout", "--no-revoke"]);
    run.expect(0);
    assert!(!scratch.token_file("default").exists());
    let again = scratch.run(&["logout"]);
    again.expect(0);
    again.stderr_has("No credentials on file.");
    scratch.run(&["status"]).expect(3);
}

/// `config.toml` with profiles `prod` (active) and `staging`.
fn two_profiles(scratch: &Scratch) {
    scratch.add_profile("prod", "https://id.example.com", "cli");
    scratch.add_profile("staging", "https://staging.example.com", "cli");
    scratch.run(&["config", "use", "prod"]).expect(0);
}

/// `two_profiles` with prod signed in for an hour.
fn prod_signed_in() -> Scratch {
    let scratch = Scratch::new();
    two_profiles(&scratch);
    signed_in(&scratch, "prod", 3600, true);
    scratch
}

fn short_is_one_line_for_a_prompt() {
    let scratch = prod_signed_in();
    let run = scratch.run(&["status", "--short"]);
    run.expect(0);
    assert!(
        run.stdout == "prod:valid 55m\n" || run.stdout == "prod:valid 54m\n",
        "{:?}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    signed_in(&scratch, "prod", 60, true);
    let run = scratch.run(&["status", "--short"]);
    run.expect(0);
    assert_eq!(run.stdout, "prod:refreshable\n");

    signed_in(&scratch, "prod", 60, false);
    let run = scratch.run(&["status", "--short"]);
    run.expect(3);
    assert_eq!(run.stdout, "prod:expired\n");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

fn short_is_silent_without_a_session() {
    // No config at all, then a profile that never signed in.
    let scratch = Scratch::new();
    let run = scratch.run(&["status", "--short"]);
    run.expect(3);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    two_profiles(&scratch);
    let run = scratch.run(&["status", "--short"]);
    run.expect(3);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
}

fn short_never_writes_to_stderr_whatever_is_broken() {
    let scratch = prod_signed_in();
    // A token file others can read: the full form warns, the prompt does not.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            scratch.token_file("prod"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let run = scratch.run(&["status", "--short"]);
        run.expect(0);
        assert!(run.stderr.is_empty(), "{}", run.stderr);
    }
    // A damaged token file.
    std::fs::write(scratch.token_file("prod"), "{\"access_tok").unwrap();
    let run = scratch.run(&["status", "--short"]);
    run.expect(3);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    // A token file that is a directory.
    std::fs::remove_file(scratch.token_file("prod")).unwrap();
    std::fs::create_dir(scratch.token_file("prod")).unwrap();
    let run = scratch.run(&["status", "--short"]);
    assert_ne!(run.code, 0);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    // A broken config.toml, and an invalid profile name from the environment.
    let config = scratch.config_dir().join("config.toml");
    std::fs::write(&config, "active = [oops\n").unwrap();
    for run in [
        scratch.run(&["status", "--short"]),
        scratch.run(&["status", "--format", "{profile}"]),
    ] {
        assert_ne!(run.code, 0);
        assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    }
    let full = scratch.run(&["status"]);
    full.expect(1);
    full.stderr_has("config.toml");
    std::fs::remove_file(&config).unwrap();
    let run = Run::of(
        scratch
            .keycard()
            .env("KEYCARD_PROFILE", "../x")
            .args(["status", "--short"]),
    );
    run.expect(2);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
}

fn format_fills_the_placeholders() {
    let scratch = prod_signed_in();
    let run = scratch.run(&[
        "status",
        "--format",
        "{profile}|{state}|{user}|{email}|{issuer}|{{literal}}",
    ]);
    run.expect(0);
    assert_eq!(
        run.stdout,
        "prod|valid|alice@example.test|alice@example.test|https://id.example.com|{literal}\n"
    );
    let run = scratch.run(&["status", "--format", "{expires_in}"]);
    assert!(
        run.stdout == "55m\n" || run.stdout == "54m\n",
        "{:?}",
        run.stdout
    );
    // Like --short, nothing for a profile that never signed in.
    let run = scratch.run(&["--profile", "staging", "status", "--format", "{state}"]);
    run.expect(3);
    assert_eq!(run.stdout, "");
}

fn unknown_placeholder_is_a_usage_error() {
    let scratch = Scratch::new();
    let run = scratch.run(&["status", "--format", "{profile} {token}"]);
    run.expect(2);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    run.stderr_has("unknown placeholder {token}")
        .stderr_has("{issuer}");
    scratch
        .run(&["status", "--short", "--format", "{profile}"])
        .expect(2);
    scratch.run(&["status", "--short", "--json"]).expect(2);
}

fn json_is_a_stable_object_without_secrets() {
    let scratch = prod_signed_in();
    let run = scratch.run(&["status", "--json"]);
    run.expect(0);
    let json = run.json();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "auth_time",
            "error",
            "expires_at",
            "expires_in",
            "in_use",
            "issuer",
            "profile",
            "refused",
            "scope",
            "session_expires_at",
            "session_expires_in",
            "source",
            "source_file",
            "state",
            "user"
        ]
    );
    assert!(json["refused"].is_null());
    assert_eq!(json["profile"], "prod");
    assert_eq!(json["source"], "config");
    assert_eq!(json["in_use"], true);
    let left = json["expires_in"].as_i64().unwrap();
    assert!((3200..=3300).contains(&left), "{left}");
    assert!(!run.stdout.contains("secret"), "{}", run.stdout);
}

fn all_lists_every_profile_and_marks_the_one_in_use() {
    let scratch = Scratch::new();
    two_profiles(&scratch);
    signed_in(&scratch, "staging", 3600, false);
    // prod (active) never signed in: the table still shows everything, exit 3.
    let run = scratch.run(&["status", "--all"]);
    run.expect(3);
    let lines: Vec<&str> = run.stdout.lines().collect();
    // Line `n` starts with `start` and holds each of `parts`.
    let line_is = |n: usize, start: &str, parts: &[&str]| {
        assert!(
            lines[n].starts_with(start) && parts.iter().all(|p| lines[n].contains(p)),
            "line {n}: {}",
            run.stdout
        );
    };
    line_is(0, "", &["PROFILE", "STATE"]);
    line_is(1, "* prod", &["none"]);
    line_is(2, "  staging", &["valid", "alice@example.test"]);
    line_is(3, "", &["prod", "active in config.toml"]);

    // --profile moves the marker and the exit code follows it.
    let run = scratch.run(&["--profile", "staging", "status", "--all", "--json"]);
    run.expect(0);
    let rows = run.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["profile"], "prod");
    assert_eq!(rows[0]["in_use"], false);
    assert_eq!(rows[0]["source"], serde_json::Value::Null);
    assert_eq!(rows[0]["state"], "none");
    assert_eq!(rows[1]["profile"], "staging");
    assert_eq!(rows[1]["in_use"], true);
    assert_eq!(rows[1]["source"], "flag");
    assert_eq!(rows[1]["state"], "valid");
    assert!(!run.stdout.contains("secret"), "{}", run.stdout);

    // KEYCARD_PROFILE names a profile that is not in config.toml: it gets a row too.
    let run = Run::of(
        scratch
            .keycard()
            .env("KEYCARD_PROFILE", "adhoc")
            .args(["status", "--all", "--json"]),
    );
    run.expect(3);
    let rows = run.json();
    let adhoc = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == "adhoc")
        .expect("a row for the profile in use");
    assert_eq!(adhoc["source"], "env");

    // --all --short: one line per signed-in profile.
    let run = scratch.run(&["status", "--all", "--short"]);
    run.expect(3);
    assert!(run.stdout.starts_with("staging:valid "), "{}", run.stdout);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

fn all_explains_a_broken_token_file_without_hiding_the_others() {
    let scratch = prod_signed_in();
    std::fs::write(scratch.token_file("staging"), "not json").unwrap();
    let run = scratch.run(&["status", "--all"]);
    run.expect(0);
    run.stdout_has("error");
    run.stderr_has("auth-staging.json")
        .stderr_has("keycard login --profile staging");
    let run = scratch.run(&["status", "--all", "--json"]);
    run.expect(0);
    let rows = run.json();
    assert_eq!(rows[1]["state"], "error");
    assert!(
        rows[1]["error"]
            .as_str()
            .unwrap()
            .contains("auth-staging.json")
    );
    // The broken one is the one in use: its exit code, still every row.
    let run = scratch.run(&["--profile", "staging", "status", "--all", "--json"]);
    run.expect(3);
    assert_eq!(run.json().as_array().unwrap().len(), 2);
}

fn colour_only_when_asked_or_on_a_terminal() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    let plain = Run::of(scratch.keycard().env_remove("NO_COLOR").args(["status"]));
    assert!(!plain.stdout.contains('\x1b'), "{:?}", plain.stdout);
    let human = scratch.run(&["status", "--color", "always"]);
    assert!(human.stdout.contains("\x1b["), "{:?}", human.stdout);
}

crate::tests![
    states_and_exit_codes,
    human_status_names_profile_user_and_time_left,
    not_signed_in_explains_on_stderr_and_exits_3,
    damaged_token_file_names_the_file_and_the_fix,
    readable_token_file_gets_a_warning,
    logout_forgets_the_tokens_and_is_idempotent,
    short_is_one_line_for_a_prompt,
    short_is_silent_without_a_session,
    short_never_writes_to_stderr_whatever_is_broken,
    format_fills_the_placeholders,
    unknown_placeholder_is_a_usage_error,
    json_is_a_stable_object_without_secrets,
    all_lists_every_profile_and_marks_the_one_in_use,
    all_explains_a_broken_token_file_without_hiding_the_others,
    colour_only_when_asked_or_on_a_terminal
];
