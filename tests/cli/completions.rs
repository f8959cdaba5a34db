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
    assert!(
        !complete_in_bash(&scratch, &script, &["keycard", "exec", "--env", ""])
            .contains(&"prod".to_string())
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
/// profile names where `completes_profile_names` expects them.
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
    completes_profile_names(complete);
}

/// What the fish and zsh completers offer (`complete` turns a typed line into the
/// candidates), with profiles `prod` and `staging`: profile names after `--profile`/`-p`
/// and after `config use|show|remove` (also `config use --here`), but not where a name is
/// new (`config add`) or names something else (`exec --env`).
#[track_caller]
fn completes_profile_names(complete: impl Fn(&str) -> Vec<String>) {
    assert_eq!(complete("keycard --profile "), ["prod", "staging"]);
    assert_eq!(complete("keycard token -p st"), ["staging"]);
    assert_eq!(complete("keycard config use "), ["prod", "staging"]);
    assert_eq!(complete("keycard config use --here st"), ["staging"]);
    assert_eq!(complete("keycard config show "), ["prod", "staging"]);
    assert_eq!(complete("keycard config remove p"), ["prod"]);
    assert!(!complete("keycard config add ").contains(&"prod".to_string()));
    assert!(!complete("keycard exec --env ").contains(&"prod".to_string()));
}

/// Set up in an interactive `zsh -f`: compinit with keycard's script on fpath, `compadd`
/// wrapped to append every candidate it is given that matches the word being completed
/// to `$KC_OUT` (then add them as usual, so completion behaves as it does for a user),
/// and `KC-DONE` printed when a completion has finished.
const ZSH_COMPLETION_SETUP: &str = r#"
PS1= RPS1= PS2=
fpath=($KC_FPATH $fpath)
autoload -Uz compinit && compinit -u -D
compadd() {
    # _describe and friends use -O/-A/-D to compute matches without adding them.
    if (( ${@[(I)-[OAD]*]} )); then builtin compadd "$@"; return; fi
    local -a kc_hits
    builtin compadd -O kc_hits "$@"
    (( $#kc_hits )) && print -rl -- $kc_hits >> $KC_OUT
    builtin compadd "$@"
}
kc_done() { print -n -- KC-DONE }
comppostfuncs=(kc_done)
bindkey '^I' complete-word
"#;

/// Runs an interactive zsh on a pseudo-terminal (zsh's zpty module), types `$1` and TAB,
/// and waits for the completion to finish: at most 10 s of silence, then it fails
/// rather than hang.
const ZSH_TYPE_AND_TAB: &str = r#"
zmodload zsh/zpty zsh/zselect || exit 3
zpty kc zsh -f -i
fd=$REPLY
zpty -w kc "source ${(q)KC_SETUP}"
zpty -w -n kc "$1"$'\t'
out=
while [[ $out != *KC-DONE* ]]; do
    if ! zselect -t 1000 -r $fd; then
        print -u2 -r -- "no completion within 10 s; the terminal showed: ${(q)out}"
        zpty -d kc
        exit 4
    fi
    zpty -rt kc chunk && out+=$chunk
done
zpty -d kc
"#;

/// zsh's own completion system, as a user at a terminal meets it: `line` typed into an
/// interactive zsh with compinit and keycard's script on fpath, then TAB; returns the
/// candidates offered.
fn complete_in_zsh(scratch: &Scratch, script: &std::path::Path, line: &str) -> Vec<String> {
    let fpath = scratch.path().join("zsh-functions");
    std::fs::create_dir_all(&fpath).unwrap();
    std::fs::copy(script, fpath.join("_keycard")).unwrap();
    let setup = scratch.path().join("zsh-setup.zsh");
    std::fs::write(&setup, ZSH_COMPLETION_SETUP).unwrap();
    let out = scratch.path().join("zsh-candidates");
    let _ = std::fs::remove_file(&out);
    Run::of(
        shell_with_keycard(scratch, "zsh")
            .args(["-f", "-c", ZSH_TYPE_AND_TAB, "zsh", line])
            .env("KC_FPATH", &fpath)
            .env("KC_SETUP", &setup)
            .env("KC_OUT", &out),
    )
    .expect(0);
    std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// zsh's completion system on the script: subcommands, and profile names where
/// `completes_profile_names` expects them (also in `--profile=NAME`).
fn zsh_completes_subcommands_and_profile_names() {
    let (scratch, file) = two_profiles_and_script("zsh");
    let complete = |line: &str| complete_in_zsh(&scratch, &file, line);
    assert_eq!(complete("keycard sta"), ["status"]);
    assert_eq!(complete("keycard --profile=p"), ["prod"]);
    completes_profile_names(complete);
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
    zsh_completes_subcommands_and_profile_names,
    every_shell_gets_a_script,
    the_bash_script_parses,
    the_zsh_script_parses,
    the_fish_script_parses,
    version_names_the_commit_when_built_with_one
];
