//! `.keycard-profile`: the profile follows the directory (issue 17 §1).

use crate::support::*;
use std::path::{Path, PathBuf};

/// Profiles a, b, c and d (a active), and a project tree `proj/sub/deeper`.
fn setup() -> (Scratch, PathBuf) {
    let scratch = Scratch::new();
    for name in ["a", "b", "c", "d"] {
        scratch.add_profile(name, "https://id.example.com", "cli");
    }
    let deeper = scratch.path().join("proj/sub/deeper");
    std::fs::create_dir_all(&deeper).unwrap();
    (scratch, deeper)
}

fn run_in(scratch: &Scratch, dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = scratch.keycard();
    cmd.current_dir(dir).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

fn the_nearest_file_picks_the_profile_below_flag_and_env() {
    let (scratch, deeper) = setup();
    let file = scratch.path().join("proj/.keycard-profile");
    std::fs::write(&file, "b\n").unwrap();
    let status = |envs: &[(&str, &str)], args: &[&str]| {
        let mut all = vec!["status", "--json"];
        all.extend_from_slice(args);
        let run = run_in(&scratch, &deeper, &all, envs);
        let json = run.json();
        (
            json["profile"].as_str().unwrap().to_string(),
            json["source"].as_str().unwrap().to_string(),
            json["source_file"].clone(),
        )
    };
    let (profile, source, source_file) = status(&[], &[]);
    assert_eq!((profile.as_str(), source.as_str()), ("b", "file"));
    assert_eq!(source_file, serde_json::json!(file.to_str().unwrap()));
    assert_eq!(status(&[("KEYCARD_PROFILE", "c")], &[]).0, "c");
    assert_eq!(
        status(&[("KEYCARD_PROFILE", "c")], &["--profile", "d"]).0,
        "d"
    );
    // A nearer file wins; outside the tree the active profile is back.
    std::fs::write(scratch.path().join("proj/sub/.keycard-profile"), "c").unwrap();
    assert_eq!(status(&[], &[]).0, "c");
    let outside = run_in(&scratch, scratch.path(), &["status", "--json"], &[]);
    assert_eq!(outside.json()["profile"], "a");
    assert_eq!(outside.json()["source_file"], serde_json::Value::Null);

    // People see it too: status and config list name the file.
    let human = run_in(&scratch, &deeper, &["status"], &[]);
    let sub_file = scratch.path().join("proj/sub/.keycard-profile");
    assert!(
        human
            .stdout
            .contains(&format!("profile:  c (from {})", sub_file.display())),
        "{}",
        human.stdout
    );
    let list = run_in(&scratch, &deeper, &["config", "list"], &[]);
    assert!(list.stdout.contains("* c"), "{}", list.stdout);
    list.stderr_has(&sub_file.display().to_string());
    let list = run_in(&scratch, &deeper, &["config", "list", "--json"], &[]);
    let row = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["active"] == true)
        .cloned();
    assert_eq!(
        row.unwrap()["source_file"],
        serde_json::json!(sub_file.to_str().unwrap())
    );
}

fn a_name_config_toml_does_not_have_is_an_error_naming_the_file() {
    let (scratch, deeper) = setup();
    let file = scratch.path().join("proj/.keycard-profile");
    // A missing profile is exit 3, as however else it is named; a broken file exit 1.
    for (content, code) in [("prdo\n", 3), ("two words\n", 1), ("", 1), ("../x", 1)] {
        std::fs::write(&file, content).unwrap();
        let run = run_in(&scratch, &deeper, &["token"], &[]);
        run.expect(code);
        run.stderr_has_in(format_args!("{content:?}"), &file.display().to_string());
        assert!(run.stdout.is_empty());
        // A prompt stays silent, and says so with its exit code.
        for args in [
            &["status", "--short"][..],
            &["status", "--format", "{profile}"],
        ] {
            let prompt = run_in(&scratch, &deeper, args, &[]);
            assert_ne!(prompt.code, 0, "{content:?}");
            assert!(
                prompt.stdout.is_empty() && prompt.stderr.is_empty(),
                "{prompt:?}"
            );
        }
    }
    // Never a new profile: config set through the file refuses too.
    std::fs::write(&file, "newone").unwrap();
    run_in(&scratch, &deeper, &["config", "set", "audience", "x"], &[]).expect(3);
    assert!(!scratch.config_toml().contains("newone"));
}

fn a_fifo_a_directory_or_another_users_file_is_refused_without_hanging() {
    let (scratch, deeper) = setup();
    let file = scratch.path().join("proj/.keycard-profile");
    mkfifo(&file);
    let run = run_in(&scratch, &deeper, &["status"], &[]);
    run.expect(1);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    run_in(&scratch, &deeper, &["status"], &[]).expect(1);
    std::fs::remove_dir(&file).unwrap();

    // Only root can give a file away; as anyone else the file is simply theirs.
    std::fs::write(&file, "b").unwrap();
    if uid() == 0 {
        std::os::unix::fs::chown(&file, Some(4242), None).unwrap();
        let run = run_in(&scratch, &deeper, &["status"], &[]);
        run.expect(1);
        run.stderr_has("belongs to another user");
    }
}

fn uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

fn config_use_here_writes_the_file_0644_and_refuses_unknown_names() {
    let (scratch, deeper) = setup();
    // Under a strict umask too: the file holds no secret and is meant to be shared.
    let bin = env!("CARGO_BIN_EXE_keycard");
    let mut cmd = std::process::Command::new(crate::harness::require("sh"));
    clean_env(&mut cmd);
    cmd.env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        .current_dir(&deeper)
        .args([
            "-c",
            &format!("umask 077; exec '{bin}' config use c --here"),
        ]);
    let run = Run::from(cmd.output().unwrap());
    run.expect(0);
    let file = deeper.join(".keycard-profile");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "c\n");
    assert_eq!(mode(&file), 0o644);
    run.stderr_has(&file.display().to_string());
    assert!(
        scratch.config_toml().contains("active = \"a\""),
        "config.toml is untouched"
    );
    assert_eq!(
        run_in(&scratch, &deeper, &["status", "--json"], &[]).json()["profile"],
        "c"
    );

    let unknown = run_in(&scratch, &deeper, &["config", "use", "zz", "--here"], &[]);
    assert_ne!(unknown.code, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "c\n");
    let leftovers: Vec<_> = std::fs::read_dir(&deeper).unwrap().flatten().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left");

    // `config use` (no --here) in that directory says the file still wins there.
    let plain = run_in(&scratch, &deeper, &["config", "use", "b"], &[]);
    plain.expect(0);
    assert!(plain.stderr.contains("still wins"), "{}", plain.stderr);
}

fn credential_helpers_answer_by_hosts_whatever_the_file_says() {
    let (scratch, deeper) = setup();
    scratch.set("a", "hosts", "git.example.com");
    signed_in(&scratch, "a", 3600, true);
    signed_in(&scratch, "b", 3600, true);
    scratch.edit_tokens("b", |t| t["access_token"] = "token-of-b".into());
    std::fs::write(deeper.join(".keycard-profile"), "b").unwrap();

    let mut git = scratch.keycard();
    git.current_dir(&deeper).args(["git-credential", "get"]);
    let answer = run_with_input(git, "protocol=https\nhost=git.example.com\n\n");
    answer.expect(0);
    answer.stdout_has("password=at-secret");

    let mut docker = scratch.keycard();
    docker
        .current_dir(&deeper)
        .args(["docker-credential", "get"]);
    let answer = run_with_input(docker, "https://git.example.com\n");
    answer.expect(0);
    assert_eq!(answer.json()["Secret"], "at-secret");

    // Everything else in the directory follows the file.
    let token = run_in(&scratch, &deeper, &["token"], &[]);
    assert_eq!(token.expect(0).stdout.trim(), "token-of-b");
}

crate::tests![
    the_nearest_file_picks_the_profile_below_flag_and_env,
    a_name_config_toml_does_not_have_is_an_error_naming_the_file,
    a_fifo_a_directory_or_another_users_file_is_refused_without_hanging,
    config_use_here_writes_the_file_0644_and_refuses_unknown_names,
    credential_helpers_answer_by_hosts_whatever_the_file_says
];
