//! `keycard completions`: the scripts load in their shell and complete subcommands and
//! profile names.

use crate::support::*;
use std::process::Command;

/// Loads the bash completion into bash and asks it to complete `words` (the last one is
/// the word being completed); returns the candidates.
fn complete_in_bash(scratch: &Scratch, script: &str, words: &[&str]) -> Vec<String> {
    let path = scratch.path().join("keycard.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\n\
         COMP_WORDS=({})\n\
         COMP_CWORD={}\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         fn=$(complete -p keycard | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\
         \"$fn\" keycard \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1
    );
    candidates(&Run::of(shell_with_keycard(scratch, "bash").args([
        "--norc",
        "--noprofile",
        "-c",
        &program,
    ])))
}

/// The completion candidates a shell printed, one a line, without the tab-separated
/// description fish adds.
#[track_caller]
fn candidates(run: &Run) -> Vec<String> {
    run.expect(0)
        .stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

fn bash_completes_subcommands_and_profile_names() {
    let scratch = Scratch::new();
    scratch.add_profile("prod", "https://id.example.com", "cli");
    scratch.add_profile("staging", "https://id.example.com", "cli");
    let run = scratch.run(&["completions", "bash"]);
    run.expect(0);
    let script = run.stdout;

    assert_eq!(
        complete_in_bash(&scratch, &script, &["keycard", "sta"]),
        ["status"]
    );
    assert_eq!(
        complete_in_bash(&scratch, &script, &["keycard", "to"]),
        ["token"]
    );
    assert_eq!(
        complete_in_bash(&scratch, &script, &["keycard", "--profile", "pr"]),
        ["prod"]
    );
    assert_eq!(
        complete_in_bash(&scratch, &script, &["keycard", "status", "-p", ""]),
        ["prod", "staging"]
    );
    assert_eq!(
        complete_in_bash(&scratch, &script, &["keycard", "config", "use", "st"]),
        ["staging"]
    );
    assert_eq!(
        complete_in_bash(
            &scratch,
            &script,
            &["keycard", "config", "use", "--here", "pr"]
        ),
        ["prod"]
    );
}

/// `program` (a shell) with keycard first on PATH and its config in `scratch`.
fn shell_with_keycard(scratch: &Scratch, program: &str) -> Command {
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_keycard"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut cmd = Command::new(require(program));
    clean_env(&mut cmd);
    cmd.env(
        "PATH",
        format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    )
    .env("KEYCARD_CONFIG_DIR", scratch.config_dir())
    .env("HOME", scratch.path());
    cmd
}

/// A scratch config with profiles `prod` and `staging`, and `SHELL`'s script in a file.
fn two_profiles_and_script(shell: &str) -> (Scratch, std::path::PathBuf) {
    let scratch = Scratch::new();
    scratch.add_profile("prod", "https://id.example.com", "cli");
    scratch.add_profile("staging", "https://id.example.com", "cli");
    let run = scratch.run(&["completions", shell]);
    let file = scratch.path().join(format!("keycard.{shell}"));
    std::fs::write(&file, &run.expect(0).stdout).unwrap();
    (scratch, file)
}

/// fish's own completer (`complete -C LINE`) on the sourced script: subcommands, and
/// profile names after `--profile`/`-p` and after `config use|show|remove`.
fn fish_completes_subcommands_and_profile_names() {
    let (scratch, file) = two_profiles_and_script("fish");
    let complete = |line: &str| -> Vec<String> {
        let script = format!("source '{}'; complete -C '{line}'", file.display());
        candidates(&Run::of(shell_with_keycard(&scratch, "fish").args([
            "--no-config",
            "-c",
            &script,
        ])))
    };
    assert!(complete("keycard sta").contains(&"status".to_string()));
    assert_eq!(complete("keycard --profile "), ["prod", "staging"]);
    assert_eq!(complete("keycard token -p st"), ["staging"]);
    assert_eq!(complete("keycard config use "), ["prod", "staging"]);
    assert!(!complete("keycard config add ").contains(&"prod".to_string()));
}

/// zsh's completion system needs a terminal to run; what keycard adds to clap's script
/// is checked in two parts: the action is attached to `--profile`/`-p` and to the name of
/// `config use|show|remove` (not `config add`), and run in zsh it offers the profiles.
fn zsh_offers_profile_names_for_the_profile_flag_and_config_names() {
    let (scratch, file) = two_profiles_and_script("zsh");
    let script = std::fs::read_to_string(&file).unwrap();
    let action = "{compadd -- $(keycard config list --names 2>/dev/null)}";
    let with_action: Vec<&str> = script.lines().filter(|l| l.contains(action)).collect();
    assert!(
        with_action.iter().any(|l| l.contains("'--profile="))
            && with_action.iter().any(|l| l.contains("'-p+")),
        "{script}"
    );
    let names = with_action
        .iter()
        .filter(|l| l.contains(":name -- Profile name"))
        .count();
    assert_eq!(names, 3, "config use, show and remove: {with_action:#?}");
    // The action as _arguments runs it, with compadd printing what it is given.
    let body = action.trim_start_matches('{').trim_end_matches('}');
    let out = shell_with_keycard(&scratch, "zsh")
        .args([
            "-f",
            "-c",
            &format!("compadd() {{ print -l -- \"$@\" }}; {body}"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "--\nprod\nstaging\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn every_shell_gets_a_script() {
    let scratch = Scratch::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = scratch.run(&["completions", shell]);
        run.expect(0);
        assert!(run.stdout.contains("keycard"), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("whoami"), "{shell} lacks whoami");
    }
    scratch.run(&["completions", "tcsh"]).expect(2);
}

/// The profile-name splicing must leave a script its shell can read (`SHELL -n`).
fn parses_in(shell: &str) {
    let program = require(shell);
    let scratch = Scratch::new();
    let run = scratch.run(&["completions", shell]);
    let file = scratch.path().join(format!("completion.{shell}"));
    std::fs::write(&file, &run.expect(0).stdout).unwrap();
    let out = Command::new(program).arg("-n").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{shell} -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn the_bash_script_parses() {
    parses_in("bash");
}

fn the_zsh_script_parses() {
    parses_in("zsh");
}

fn the_fish_script_parses() {
    parses_in("fish");
}

/// The commit comes from KEYCARD_COMMIT at build time (CI sets it); this test is built in
/// the same cargo run as keycard, so it sees the same value.
fn version_names_the_commit_when_built_with_one() {
    let run = Run::of(keycard_bare().arg("--version"));
    run.expect(0);
    let version = env!("CARGO_PKG_VERSION");
    let expected = match option_env!("KEYCARD_COMMIT") {
        Some(commit) if !commit.is_empty() => format!("keycard {version} ({commit})"),
        _ => format!("keycard {version}"),
    };
    assert_eq!(run.stdout.trim(), expected);
}

crate::tests![
    bash_completes_subcommands_and_profile_names,
    fish_completes_subcommands_and_profile_names,
    zsh_offers_profile_names_for_the_profile_flag_and_config_names,
    every_shell_gets_a_script,
    the_bash_script_parses,
    the_zsh_script_parses,
    the_fish_script_parses,
    version_names_the_commit_when_built_with_one
];
