//! `keycard exec -- CMD`: CMD gets a fresh token and the profile in its environment, and
//! keycard becomes CMD (same pid, its exit code, its signals, its stdin), or exits 3
//! without running it when there is no session.

use crate::support::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn exec(scratch: &Scratch, args: &[&str]) -> Run {
    let mut all = vec!["exec"];
    all.extend_from_slice(args);
    scratch.run(&all)
}

fn the_command_gets_a_working_token_refreshed_when_needed_and_nothing_else_of_keycard() {
    let provider = Provider::start();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    login_as(&scratch, &provider, "p", "alice").expect(0);

    let print_env = r#"printf '%s\n%s\n' "$KEYCARD_TOKEN" "$KEYCARD_PROFILE""#;
    let run = exec(&scratch, &["--profile", "p", "--", "sh", "-c", print_env]);
    run.expect(0);
    assert_eq!(run.stderr, "");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        scratch.tokens("p")["access_token"].as_str().unwrap()
    );
    assert_eq!(lines[1], "p");
    assert_eq!(provider.userinfo(lines[0]).0, 200, "the token works");
    assert_eq!(provider.token_requests("refresh_token"), 0);

    // `--env` names the variable; KEYCARD_TOKEN is then not set at all.
    let run = exec(
        &scratch,
        &[
            "--profile",
            "p",
            "--env",
            "GH_TOKEN",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s' "$GH_TOKEN" "${KEYCARD_TOKEN-unset}""#,
        ],
    );
    run.expect(0);
    let (token, other) = run.stdout.split_once('|').unwrap();
    assert_eq!(provider.userinfo(token).0, 200);
    assert_eq!(other, "unset");

    // An expired token is refreshed (once) before the command runs; the command then
    // holds no file or socket of keycard's (the lock, the HTTP connection, the signal
    // pipe), and SIGPIPE is back to its default (`yes` would complain if ignored).
    scratch.expire_in("p", -60);
    let inspect = r#"printf '%s\n' "$KEYCARD_TOKEN"; for fd in /proc/$$/fd/*; do readlink "$fd"; done; yes | head -n 1 >/dev/null"#;
    let run = exec(&scratch, &["--profile", "p", "--", "sh", "-c", inspect]);
    run.expect(0);
    assert_eq!(run.stderr, "", "SIGPIPE is the default again");
    assert_eq!(provider.token_requests("refresh_token"), 1);
    let mut lines = run.stdout.lines();
    let fresh = lines.next().unwrap();
    assert_eq!(fresh, scratch.tokens("p")["access_token"].as_str().unwrap());
    assert_eq!(provider.userinfo(fresh).0, 200);
    let config_dir = scratch.config_dir();
    for target in lines {
        assert!(
            !target.starts_with(config_dir.to_str().unwrap()) && !target.starts_with("socket:"),
            "the command inherited {target}"
        );
    }
    exec(&scratch, &["--profile", "p", "--", "true"]).expect(0);
    assert_eq!(
        provider.token_requests("refresh_token"),
        1,
        "no second refresh"
    );
}

fn exit_code_stdin_and_pid_are_the_commands_own() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    exec(&scratch, &["--", "true"]).expect(0);
    exec(&scratch, &["--", "sh", "-c", "exit 7"]).expect(7);
    // Without `--`, everything after the command is its own, flags too.
    let run = exec(&scratch, &["sh", "-c", "echo \"$KEYCARD_TOKEN\"; exit 42"]);
    run.expect(42);
    assert_eq!(run.stdout, "at-secret\n");

    let mut child = scratch
        .keycard()
        .args(["exec", "--", "sh", "-c", "echo $$; cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"from stdin\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{pid}\nfrom stdin\n"),
        "keycard became the command: same pid, same stdin"
    );
}

#[cfg(unix)]
fn a_sigterm_sent_to_the_pid_reaches_the_commands_trap() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    // Gives up after 10 s, so that a failing run leaves no shell behind.
    let script = "trap 'echo got TERM; exit 99' TERM; echo ready; \
                  i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done";
    let (mut child, mut stdout, line) = spawn_reading_a_line(
        scratch
            .keycard()
            .args(["exec", "--", "sh", "-c", script])
            .stderr(Stdio::null()),
    );
    assert_eq!(line.unwrap(), "ready\n");

    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the command ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.code(),
        Some(99),
        "the trap's exit code, not keycard's"
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "got TERM\n");
}

fn without_a_session_the_command_is_not_run() {
    let scratch = Scratch::new();
    scratch.add_profile("work", "https://id.example.com", "cli");
    let marker = scratch.path().join("ran");
    let touch = format!("touch '{}'", marker.display());
    let run = exec(&scratch, &["--profile", "work", "--", "sh", "-c", &touch]);
    run.needs_login("work");
    assert!(!marker.exists(), "the command ran");

    // Expired with nothing to refresh it with: the same.
    signed_in(&scratch, "work", -60, false);
    exec(&scratch, &["--profile", "work", "--", "sh", "-c", &touch]).expect(3);
    assert!(!marker.exists(), "the command ran");
}

fn a_missing_or_unrunnable_command_is_127_or_126_with_one_line() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);

    let run = exec(&scratch, &["--", "keycard-no-such-command"]);
    run.expect(127);
    assert_eq!(
        run.stderr,
        "keycard: error: cannot run 'keycard-no-such-command': command not found on PATH\n"
    );
    exec(&scratch, &["--", "./no/such/file"]).expect(127);

    let plain = scratch.path().join("not-executable.sh");
    std::fs::write(&plain, "#!/bin/sh\necho ran\n").unwrap();
    let run = exec(&scratch, &["--", plain.to_str().unwrap()]);
    run.expect(126);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    run.stderr_has("permission denied");
    exec(&scratch, &["--", scratch.path().to_str().unwrap()]).expect(126);

    for run in [
        exec(&scratch, &["--", "keycard-no-such-command"]),
        exec(&scratch, &["--", plain.to_str().unwrap()]),
    ] {
        assert!(!run.stderr.contains("at-secret"), "{}", run.stderr);
    }
}

fn env_must_name_a_variable_and_a_command_is_required() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    let marker = scratch.path().join("ran");
    let touch = format!("touch '{}'", marker.display());
    for bad in ["1TOKEN", "A=B", "", "MY-TOKEN", "KEYCARD_PROFILE"] {
        let run = exec(&scratch, &["--env", bad, "--", "sh", "-c", &touch]);
        run.expect(2);
        assert!(run.stderr.contains("--env"), "{bad:?}: {}", run.stderr);
        assert!(!marker.exists(), "ran with --env {bad:?}");
    }
    // Names the loader, a shell or an interpreter acts on: the token would become a
    // library to preload, a file to source, a list of directories to run commands from.
    for acted_on in [
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "DYLD_INSERT_LIBRARIES",
        "PATH",
        "IFS",
        "BASH_ENV",
        "ENV",
        "NODE_OPTIONS",
        "KEYCARD_CONFIG_DIR",
    ] {
        let run = exec(&scratch, &["--env", acted_on, "--", "sh", "-c", &touch]);
        run.expect(2);
        assert!(
            run.stderr.contains(acted_on) && run.stderr.contains("pick another name"),
            "{acted_on}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("at-secret"), "{}", run.stderr);
        assert!(!marker.exists(), "ran with --env {acted_on}");
    }
    exec(&scratch, &[]).expect(2);
    exec(&scratch, &["--"]).expect(2);
    exec(
        &scratch,
        &[
            "--env",
            "_ok9",
            "--",
            "sh",
            "-c",
            "test \"$_ok9\" = at-secret",
        ],
    )
    .expect(0);
}

crate::tests![
    the_command_gets_a_working_token_refreshed_when_needed_and_nothing_else_of_keycard,
    exit_code_stdin_and_pid_are_the_commands_own,
    a_sigterm_sent_to_the_pid_reaches_the_commands_trap,
    without_a_session_the_command_is_not_run,
    a_missing_or_unrunnable_command_is_127_or_126_with_one_line,
    env_must_name_a_variable_and_a_command_is_required
];
