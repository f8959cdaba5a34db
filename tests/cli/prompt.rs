//! `keycard status --short` as a prompt sees it: the README's snippets run in their real
//! shells (each skipped, and reported so, when that shell is not installed), and strace shows
//! that status opens no socket.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The fenced block of README.md whose first line is `first_line`.
fn readme_snippet(first_line: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") && lines.clone().next() == Some(first_line) {
            return lines
                .take_while(|l| !l.starts_with("```"))
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
    panic!("README.md has no code block starting with {first_line:?}");
}

/// The program's path in the system directories (the shells run with PATH set to those
/// only); the test is skipped without it.
fn installed(program: &str) -> PathBuf {
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.exists())
        .unwrap_or_else(|| skip(&format!("needs {program}, which is not installed")))
}

/// `program`, with keycard first on PATH and pointed at `scratch`, a clean environment,
/// and the snippet written to a file in `scratch` (returned).
fn shell(scratch: &Scratch, program: &Path, snippet: &str) -> (Command, PathBuf) {
    let file = scratch.path().join("snippet");
    std::fs::write(&file, snippet).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_keycard")).parent().unwrap();
    let mut cmd = Command::new(program);
    clean_env(&mut cmd);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        .env("HOME", scratch.path())
        .env("XDG_CONFIG_HOME", scratch.path().join("xdg"))
        .env_remove("KEYCARD_PROFILE")
        .env_remove("CI");
    (cmd, file)
}

/// Runs `PROGRAM FLAGS -c SCRIPT` (see `shell`), where `script` is given the path of the
/// README's `# keycard prompt (PROGRAM)` snippet to source.
fn run_snippet(
    scratch: &Scratch,
    program: &Path,
    flags: &[&str],
    script: impl FnOnce(&std::path::Display) -> String,
) -> Run {
    let name = program.file_name().unwrap().to_str().unwrap();
    let snippet = readme_snippet(&format!("# keycard prompt ({name})"));
    let (mut cmd, file) = shell(scratch, program, &snippet);
    let script = script(&file.display());
    Run::of(cmd.args(flags).args(["-c", &script]))
}

/// A signed-in `prod` profile; the caller can break its token file afterwards.
fn prod_signed_in() -> Scratch {
    let scratch = Scratch::new();
    scratch.add_profile("prod", "https://id.example.com", "cli");
    signed_in(&scratch, "prod", 3600, true);
    scratch
}

fn corrupt(scratch: &Scratch) {
    std::fs::write(scratch.token_file("prod"), "{\"access_token\": \"trunc").unwrap();
}

/// Renders the prompt three ways: signed in, expired, and with a corrupt token file.
/// `render` runs the shell once and returns the prompt text.
fn check_prompt(render: impl Fn(&Scratch) -> Run, base: &str) {
    let scratch = prod_signed_in();
    let run = render(&scratch);
    run.expect(0);
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    assert!(
        run.stdout == format!("[prod:valid 55m] {base}")
            || run.stdout == format!("[prod:valid 54m] {base}"),
        "{:?}",
        run.stdout
    );

    signed_in(&scratch, "prod", 60, false);
    let run = render(&scratch);
    run.expect(0);
    assert_eq!(run.stdout, format!("[prod:expired] {base}"));

    // The prompt must still render, without a word on stderr.
    corrupt(&scratch);
    let run = render(&scratch);
    run.expect(0);
    assert_eq!(run.stdout, base);
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
}

/// `check_prompt` for the README snippet of the shell `program` (skipped when it is not
/// installed), run as `PROGRAM FLAGS -c SCRIPT` with the script `script` makes.
fn check_shell_prompt(
    program: &str,
    flags: &[&str],
    script: impl Fn(&std::path::Display) -> String,
    base: &str,
) {
    let program = installed(program);
    check_prompt(
        |scratch| run_snippet(scratch, &program, flags, &script),
        base,
    );
}

fn bash_prompt_command() {
    // What an interactive bash does before each prompt: run PROMPT_COMMAND, then expand PS1.
    check_shell_prompt(
        "bash",
        &["--norc", "--noprofile"],
        |file| {
            format!(
                "PS1='bash> '; source '{file}'; eval \"$PROMPT_COMMAND\"; printf %s \"${{PS1@P}}\""
            )
        },
        "bash> ",
    );
}

fn zsh_precmd() {
    // What zsh does before each prompt: the precmd hooks, then PROMPT's expansion.
    check_shell_prompt(
        "zsh",
        &["-f"],
        |file| {
            format!(
                "PROMPT='zsh%%> '; source '{file}'; for f in $precmd_functions; do $f; done; \
                 print -nP -- \"$PROMPT\""
            )
        },
        "zsh%> ",
    );
}

fn fish_prompt_function() {
    // Stand in for the user's existing prompt, then load the snippet as config.fish would,
    // and draw the prompt.
    check_shell_prompt(
        "fish",
        &["--no-config"],
        |file| format!("function fish_prompt; printf 'fish> '; end; source '{file}'; fish_prompt"),
        "fish> ",
    );
}

/// A prompt hook must not swallow the last command's exit status: bash's later
/// PROMPT_COMMAND parts still see it.
fn bash_prompt_hook_keeps_the_last_exit_status() {
    let bash = installed("bash");
    let scratch = prod_signed_in();
    let run = run_snippet(&scratch, &bash, &["--norc", "--noprofile"], |file| {
        format!(
            "PROMPT_COMMAND='echo \"after: $?\"'; source '{file}'; (exit 7); eval \"$PROMPT_COMMAND\""
        )
    });
    assert_eq!(run.stdout, "after: 7\n", "{}", run.stderr);
}

/// ... and fish's wrapped prompt still sees it.
fn fish_prompt_hook_keeps_the_last_exit_status() {
    let fish = installed("fish");
    let scratch = prod_signed_in();
    let run = run_snippet(&scratch, &fish, &["--no-config"], |file| {
        format!(
            "function fish_prompt; printf 'fish[%s]> ' $status; end; source '{file}'; false; fish_prompt"
        )
    });
    assert!(
        run.stdout.starts_with("[prod:valid ") && run.stdout.ends_with("] fish[1]> "),
        "{:?} {}",
        run.stdout,
        run.stderr
    );
}

/// starship is not a Debian package: run the module's `command` the way starship runs it
/// with `shell = ["sh"]` (`sh -c COMMAND`, output trimmed, hidden when empty or failing).
fn starship_custom_module() {
    let sh = installed("sh");
    let snippet = readme_snippet("# keycard prompt (starship)");
    let doc: toml_edit::DocumentMut = snippet.parse().expect("the starship snippet is TOML");
    let module = &doc["custom"]["keycard"];
    assert_eq!(module["when"].as_bool(), Some(true), "{snippet}");
    let shell_cfg: Vec<&str> = module["shell"]
        .as_array()
        .expect("shell = [...]")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(shell_cfg, ["sh"]);
    let command = module["command"].as_str().unwrap().to_string();
    let format = module["format"].as_str().unwrap();
    assert!(format.contains("$output"), "{format}");
    let render = |scratch: &Scratch| {
        let (mut cmd, _) = shell(scratch, &sh, "");
        let run = Run::of(cmd.args(["-c", &command]));
        // starship shows nothing for a failing command, and trims the output.
        let shown = if run.code == 0 {
            run.stdout.trim().to_string()
        } else {
            String::new()
        };
        let stdout = if shown.is_empty() {
            "tester> ".to_string()
        } else {
            format!("[{shown}] tester> ")
        };
        Run {
            code: 0,
            stdout,
            stderr: run.stderr,
        }
    };
    check_prompt(render, "tester> ");
}

/// The acceptance check of issue 4: `strace -f -e trace=network,connect keycard status
/// --short` shows no socket. Also the other forms of status, none of which may touch
/// the network.
fn status_opens_no_socket() {
    let strace = installed("strace");
    let scratch = prod_signed_in();
    let log = scratch.path().join("strace.log");
    for args in [
        &["status", "--short"][..],
        &["status"],
        &["status", "--json"],
        &["status", "--all"],
        &["status", "--format", "{user}"],
    ] {
        let mut cmd = Command::new(&strace);
        clean_env(&mut cmd);
        let run = Run::of(
            cmd.env("KEYCARD_CONFIG_DIR", scratch.config_dir())
                .args(["-f", "-e", "trace=network,connect", "-o"])
                .arg(&log)
                .arg(env!("CARGO_BIN_EXE_keycard"))
                .args(args),
        );
        if run.code != 0 && run.stderr.contains("ptrace") {
            skip(&format!("strace cannot trace here: {}", run.stderr.trim()));
        }
        run.expect(0);
        let trace = std::fs::read_to_string(&log).unwrap();
        assert!(
            !trace.contains("socket") && !trace.contains("connect("),
            "keycard {args:?} touched the network:\n{trace}"
        );
    }
}

fn prompt_lines_are_never_coloured() {
    let scratch = prod_signed_in();
    for args in [
        &["--color", "always", "status", "--short"][..],
        &[
            "--color",
            "always",
            "status",
            "--format",
            "{profile} {state}",
        ][..],
    ] {
        let run = scratch.run(args);
        run.expect(0);
        assert!(!run.stdout.contains('\x1b'), "{args:?}: {:?}", run.stdout);
    }
    let full = scratch.run(&["--color", "always", "status"]);
    assert!(full.stdout.contains('\x1b'), "the full form still colours");
}

/// The fast path (src/fast_path.rs) against clap, on the real binary: a trailing `--`
/// makes the fast path hand the same command line to clap, and both must end the same way
/// (exit code, stdout, stderr) whatever the session and however the config dir and the
/// profile are given. (Its unit tests compare the two parsers on generated lines.)
fn fast_path_and_clap_end_the_same_way() {
    let scratch = prod_signed_in();
    let stale = prod_signed_in();
    stale.edit_tokens("prod", |t| {
        t.as_object_mut().unwrap().remove("refresh_token");
    });
    stale.expire_in("prod", -3600);
    let none = Scratch::new();
    none.add_profile("prod", "https://id.example.com", "cli");
    let damaged = prod_signed_in();
    corrupt(&damaged);

    let lines: &[&[&str]] = &[
        &["status", "--short"],
        &[
            "status",
            "--format",
            "{profile} {state} {expires_in} {email} {issuer}",
        ],
        &["token"],
        &["--profile", "prod", "token", "--json"],
        &["token", "--min-ttl", "30m"],
        &["status", "--short", "-p", "other"],
        &["-p", "../x", "status", "--short"],
        &["token", "-p", "other"],
    ];
    let mut compared = 0;
    for dir in [&scratch, &stale, &none, &damaged] {
        let config_dir = dir.config_dir();
        // The config dir from the environment, from the flag, and with an empty variable.
        let ways: [(Option<&Path>, Vec<String>); 3] = [
            (Some(config_dir.as_path()), vec![]),
            (None, vec![format!("--config-dir={}", config_dir.display())]),
            (Some(Path::new("")), vec![]),
        ];
        for (env, flag) in &ways {
            for line in lines {
                let run = |trailing: &[&str]| {
                    let mut cmd = keycard_bare();
                    if let Some(env) = env {
                        cmd.env("KEYCARD_CONFIG_DIR", env);
                    }
                    cmd.current_dir(dir.path())
                        .args(flag)
                        .args(*line)
                        .args(trailing);
                    let mut run = Run::of(&mut cmd);
                    // The minutes left may tick between the two runs.
                    run.stdout = run.stdout.replace(|c: char| c.is_ascii_digit(), "9");
                    run
                };
                let (fast, clap) = (run(&[]), run(&["--"]));
                let what = format!("{flag:?} {line:?} with KEYCARD_CONFIG_DIR={env:?}");
                assert_eq!(fast.code, clap.code, "exit code of {what}");
                assert_eq!(fast.stdout, clap.stdout, "stdout of {what}");
                assert_eq!(fast.stderr, clap.stderr, "stderr of {what}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 4 * 3 * lines.len());
}

crate::tests![
    bash_prompt_command,
    zsh_precmd,
    fish_prompt_function,
    bash_prompt_hook_keeps_the_last_exit_status,
    fish_prompt_hook_keeps_the_last_exit_status,
    starship_custom_module,
    status_opens_no_socket,
    prompt_lines_are_never_coloured,
    fast_path_and_clap_end_the_same_way
];
