//! Documentation that must match the code. The man pages in man/ are generated from the
//! clap definitions in src/cli.rs plus the hand-written sections in man_sections.roff; a
//! test fails when they are stale (`KEYCARD_BLESS=1 cargo test man_pages` rewrites them)
//! or render with warnings. The README's commands must parse.

#[allow(dead_code)]
#[path = "../../src/cli.rs"]
mod cli;

use crate::support::require;
use clap::CommandFactory;
use std::path::Path;

const SECTIONS: &str = include_str!("man_sections.roff");

fn render(man: &clap_mangen::Man, cmd: &clap::Command, extra: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out).unwrap();
    }
    if let Some(extra) = extra {
        out.extend_from_slice(extra.as_bytes());
    } else if cmd.get_after_help().is_some() {
        // clap_mangen calls the after-help text EXTRA and lets man refill its example
        // lines into one paragraph; keep them as written, under NOTES.
        let mut notes = Vec::new();
        man.render_extra_section(&mut notes).unwrap();
        let notes = String::from_utf8(notes).unwrap();
        out.extend_from_slice(notes.replace(".SH EXTRA\n", ".SH NOTES\n.nf\n").as_bytes());
        out.extend_from_slice(b".fi\n");
    }
    man.render_version_section(&mut out).unwrap();
    out
}

/// Every page: keycard.1 and one per (nested) subcommand.
fn pages() -> Vec<(String, Vec<u8>)> {
    // The version without the commit, so that committing does not make the pages stale.
    let mut cmd = cli::Cli::command()
        .disable_help_subcommand(true)
        .version(env!("CARGO_PKG_VERSION"));
    cmd.build();
    let mut pages = Vec::new();
    let top = clap_mangen::Man::new(cmd.clone()).date("");
    pages.push((top.get_filename(), render(&top, &cmd, Some(SECTIONS))));
    let mut stack: Vec<clap::Command> = cmd.get_subcommands().cloned().collect();
    while let Some(sub) = stack.pop() {
        stack.extend(sub.get_subcommands().cloned());
        let man = clap_mangen::Man::new(sub.clone()).date("");
        pages.push((man.get_filename(), render(&man, &sub, None)));
    }
    pages.sort();
    pages
}

fn man_pages_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = pages();
    if std::env::var_os("KEYCARD_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, content) in &pages {
            std::fs::write(dir.join(name), content).unwrap();
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    on_disk.sort();
    let expected: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        on_disk, expected,
        "man/ has the wrong pages; run `KEYCARD_BLESS=1 cargo test man_pages`"
    );
    for (name, content) in pages {
        let current = std::fs::read(dir.join(&name)).unwrap();
        assert!(
            current == content,
            "man/{name} is stale; run `KEYCARD_BLESS=1 cargo test man_pages`"
        );
    }
}

/// `man -l man/keycard.1` must render without warnings: groff's `-ww` turns on every
/// warning, `-z` discards the output.
fn man_pages_render_without_warnings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let groff = require("groff");
    for (name, _) in pages() {
        let out = std::process::Command::new(&groff)
            .args(["-ww", "-man", "-Tutf8", "-z"])
            .arg(dir.join(&name))
            .output()
            .unwrap();
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && warnings.is_empty(),
            "man/{name}: {warnings}"
        );
    }
}

/// Every `keycard ...` command in the README's shell blocks must be one keycard accepts,
/// so the README cannot drift from the flags (what the commands do is tested elsewhere).
fn readme_commands_parse() {
    use clap::Parser;
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut checked = 0;
    for line in readme_shell_lines(&readme) {
        for command in keycard_invocations(&line) {
            let words = split_words(&command);
            if let Err(e) = cli::Cli::try_parse_from(&words)
                && e.kind() != clap::error::ErrorKind::DisplayHelp
                && e.kind() != clap::error::ErrorKind::DisplayVersion
            {
                panic!("README command `{command}` does not parse:\n{e}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} README commands found");
}

/// Lines of ```sh blocks, with `\` continuations joined.
fn readme_shell_lines(readme: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && matches!(line.trim_start_matches('`'), "sh" | "bash" | "zsh");
            continue;
        }
        if !in_sh {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        lines.push(std::mem::take(&mut pending));
    }
    lines
}

/// The keycard commands in one shell line: at its start (after `VAR=value` words) and
/// inside `$( ... )`, each cut at a pipe, `;`, `&&`, `>` or a `#` comment.
fn keycard_invocations(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("keycard ") {
        let before = &rest[..at];
        let starts_command = before.trim().is_empty()
            || before.ends_with("$(")
            || before.trim_end().ends_with(['|', ';', '(', '&'])
            || before
                .split_whitespace()
                .all(|w| w.contains('=') && !w.starts_with('-'));
        let tail = &rest[at..];
        let end = tail
            .find(['|', ';', ')', '>', '#', '&'])
            .unwrap_or(tail.len());
        if starts_command && !tail.starts_with("keycard config.toml") {
            // `2>/dev/null` was cut at `>`; drop the file descriptor left behind.
            let command = tail[..end].trim_end();
            let command = match command.rsplit_once(' ') {
                Some((head, fd)) if fd.chars().all(|c| c.is_ascii_digit()) => head,
                _ => command,
            };
            found.push(command.trim().to_string());
        }
        rest = &tail[end.max(1)..];
    }
    found
}

/// Shell words with single and double quotes, enough for the README.
fn split_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in command.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

crate::tests![
    man_pages_are_current,
    man_pages_render_without_warnings,
    readme_commands_parse
];
