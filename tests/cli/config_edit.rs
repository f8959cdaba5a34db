//! `keycard config edit` with a scripted editor (a small sh script standing in for vi),
//! in a pseudo-terminal as a person would run it.

use crate::support::*;
use crate::terminal::in_terminal;
use std::path::{Path, PathBuf};

/// An executable sh script in the scratch dir; `$1` is the file to edit (or an argument
/// the editor command carried), `$#`/`$@` as the shell gives them.
fn editor(scratch: &Scratch, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    // keycard runs the editor through sh, and the scripts are sh scripts.
    crate::harness::require("sh");
    let path = scratch.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// `keycard config edit` in a pseudo-terminal with `script` as `$EDITOR`, typing `input`.
fn edit_with(scratch: &Scratch, script: &Path, input: &str) -> Run {
    in_terminal(
        scratch,
        &["config", "edit"],
        &[("EDITOR", script.to_str().unwrap())],
        input,
    )
}

/// `edit_with` an `ed.sh` editor script of `body`.
fn edit_by(scratch: &Scratch, body: &str, input: &str) -> Run {
    let script = editor(scratch, "ed.sh", body);
    edit_with(scratch, &script, input)
}

fn with_profile() -> Scratch {
    let scratch = Scratch::new();
    scratch.add_profile("work", "https://id.example.com", "cli-123");
    scratch
}

/// Files in the config dir other than config.toml and the lock: a leftover copy.
fn leftovers(scratch: &Scratch) -> Vec<String> {
    std::fs::read_dir(scratch.config_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config.toml" && n != ".config.lock")
        .collect()
}

fn a_valid_edit_replaces_config_toml_keeping_it_private() {
    let scratch = with_profile();
    // The copy it is given must be private too: the script records its mode.
    let run = edit_by(
        &scratch,
        r#"stat -c %a "$1" > "$(dirname "$0")/copy-mode"; sed -i 's/cli-123/cli-456/' "$1""#,
        "",
    );
    run.expect(0);
    assert!(run.stdout.contains("Saved"), "{}", run.stdout);
    assert!(scratch.config_toml().contains("client_id = \"cli-456\""));
    assert_eq!(mode(&scratch.config_dir().join("config.toml")), 0o600);
    let copy_mode = std::fs::read_to_string(scratch.path().join("copy-mode")).unwrap();
    assert_eq!(copy_mode.trim(), "600");
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));
}

fn visual_wins_over_editor_and_may_carry_arguments() {
    let scratch = with_profile();
    let visual = editor(
        &scratch,
        "visual.sh",
        r#"[ "$1" = "--wait" ] && [ "$#" = 2 ] && sed -i 's/cli-123/from-visual/' "$2""#,
    );
    let never = editor(&scratch, "editor.sh", "exit 1");
    let visual_cmd = format!("{} --wait", visual.display());
    in_terminal(
        &scratch,
        &["config", "edit"],
        &[("VISUAL", &visual_cmd), ("EDITOR", never.to_str().unwrap())],
        "",
    )
    .expect(0);
    assert!(scratch.config_toml().contains("from-visual"));
}

fn an_invalid_edit_names_line_and_column_and_can_be_edited_again() {
    let scratch = with_profile();
    let before = scratch.config_toml();
    // First round: a timeout of zero on the profile's fifth line; second: fixed.
    let script = editor(
        &scratch,
        "ed.sh",
        r#"n=$(cat "$(dirname "$0")/rounds" 2>/dev/null || echo 0); echo $((n+1)) > "$(dirname "$0")/rounds"
if [ "$n" = 0 ]; then printf 'timeout = 0\n' >> "$1"; else sed -i 's/^timeout = 0$/timeout = 20/' "$1"; fi"#,
    );
    let line = before.lines().count() + 1;
    let run = edit_with(&scratch, &script, "y\n");
    run.expect(0);
    run.stdout_has(&format!("line {line}, column 11: profiles.work.timeout"));
    assert!(run.stdout.contains("Edit again? [y/N]"), "{}", run.stdout);
    assert!(scratch.config_toml().contains("timeout = 20"));

    // Declined: config.toml stays as it was, and the edit is kept, named.
    std::fs::remove_file(scratch.path().join("rounds")).unwrap();
    let now = scratch.config_toml();
    let run = edit_with(&scratch, &script, "n\n");
    run.expect(1);
    assert_eq!(scratch.config_toml(), now);
    run.stdout_has("your edit is kept in");
    let kept = leftovers(&scratch);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(mode(&scratch.config_dir().join(&kept[0])), 0o600);
}

fn toml_errors_unknown_keys_and_bad_urls_are_refused_with_their_position() {
    for (append, expect) in [
        ("[profiles.work\n", "line"),
        ("colour = \"red\"\n", "unknown field `colour`"),
        (
            "[profiles.other]\nissuer = \"http://id.example.com\"\n",
            "profiles.other.issuer",
        ),
        ("[profiles.\"a b\"]\n", "not a valid profile name"),
    ] {
        let scratch = with_profile();
        let before = scratch.config_toml();
        let run = edit_by(
            &scratch,
            &format!("printf '%s' '{append}' >> \"$1\""),
            "n\n",
        );
        run.expect(1);
        assert!(run.stdout.contains(expect), "{append:?}: {}", run.stdout);
        assert_eq!(scratch.config_toml(), before, "{append:?}");
    }
}

fn an_editor_that_fails_changes_nothing() {
    let scratch = with_profile();
    let before = scratch.config_toml();
    let run = edit_by(
        &scratch,
        r#"sed -i 's/cli-123/half-done/' "$1"; exit 3"#,
        "",
    );
    run.expect(1);
    run.stdout_has("exited with status 3");
    assert_eq!(scratch.config_toml(), before);
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));
}

fn a_config_changed_during_the_edit_is_not_overwritten() {
    let scratch = with_profile();
    let bin = env!("CARGO_BIN_EXE_keycard");
    let script = format!(
        "'{bin}' --profile work config set audience meanwhile; sed -i 's/cli-123/mine/' \"$1\""
    );
    let run = edit_by(&scratch, &script, "");
    run.expect(1);
    run.stdout_has("changed while you were editing");
    let now = scratch.config_toml();
    assert!(
        now.contains("meanwhile") && now.contains("cli-123"),
        "{now}"
    );
}

fn without_a_terminal_it_refuses_and_runs_no_editor() {
    let scratch = with_profile();
    let script = editor(&scratch, "ed.sh", r#"touch "$(dirname "$0")/ran""#);
    let run = Run::from(
        scratch
            .keycard()
            .args(["config", "edit"])
            .env("EDITOR", &script)
            .output()
            .unwrap(),
    );
    run.expect(1);
    assert!(run.stderr.contains("needs a terminal"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(!scratch.path().join("ran").exists());
}

fn a_broken_config_toml_can_be_fixed_with_config_edit() {
    let scratch = with_profile();
    let path = scratch.config_dir().join("config.toml");
    let good = scratch.config_toml();
    std::fs::write(&path, format!("{good}oops = [\n")).unwrap();
    scratch.run(&["status"]).expect(1);
    edit_by(&scratch, r#"sed -i '/^oops = \[$/d' "$1""#, "").expect(0);
    assert_eq!(scratch.config_toml(), good);
    scratch.run(&["config", "list"]).expect(0);
}

crate::tests![
    a_valid_edit_replaces_config_toml_keeping_it_private,
    visual_wins_over_editor_and_may_carry_arguments,
    an_invalid_edit_names_line_and_column_and_can_be_edited_again,
    toml_errors_unknown_keys_and_bad_urls_are_refused_with_their_position,
    an_editor_that_fails_changes_nothing,
    a_config_changed_during_the_edit_is_not_overwritten,
    without_a_terminal_it_refuses_and_runs_no_editor,
    a_broken_config_toml_can_be_fixed_with_config_edit
];
