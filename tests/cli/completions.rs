//! `keycard completions`: the scripts load in their shell and complete subcommands and
//! profile names.

use crate::support::*;
use std::process::Command;

/// Loads the bash completion into bash and asks it to complete `words` (the last one is
/// the word being completed); returns the candidates.
fn complete_in_bash(scratch: &Scratch, script: &str, words: &[&str]) -> Vec<String> {
    let path = scratch.path().join("keycard.bash");
    std::fs::write(&path, script).unwrap();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_keycard"))
        .parent()
        .unwrap()
        .to_path_buf();
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
    let mut cmd = Command::new("bash");
    clean_env(&mut cmd);
    let path_var = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = cmd
        .args(["--norc", "--noprofile", "-c", &program])
        .env("PATH", path_var)
        .env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
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

#[test]
fn every_shell_gets_a_script() {
    let scratch = Scratch::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = scratch.run(&["completions", shell]);
        run.expect(0);
        assert!(run.stdout.contains("keycard"), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("whoami"), "{shell} lacks whoami");
        // The profile-name splicing must leave a script its shell can read.
        if matches!(shell, "bash" | "zsh" | "fish") {
            let file = scratch.path().join(format!("completion.{shell}"));
            std::fs::write(&file, &run.stdout).unwrap();
            match Command::new(shell).arg("-n").arg(&file).output() {
                Ok(out) => assert!(
                    out.status.success(),
                    "{shell} -n: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(_) => eprintln!("{shell} is not installed; its syntax check skipped"),
            }
        }
    }
    scratch.run(&["completions", "tcsh"]).expect(2);
}

#[test]
fn version_names_the_commit() {
    let run = Run::from(keycard_bare().arg("--version").output().unwrap());
    run.expect(0);
    let line = run.stdout.trim();
    assert!(
        line.starts_with(&format!("keycard {}", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    let in_git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(head) = in_git {
        let head = String::from_utf8(head.stdout).unwrap();
        assert!(line.contains(head.trim()), "{line} lacks commit {head}");
    }
}
