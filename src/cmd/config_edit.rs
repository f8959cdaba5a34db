//! `keycard config edit`: config.toml in the user's editor, on a private copy that
//! replaces config.toml only once it is valid.
//!
//! The copy lives in the config directory (0700) and is created 0600: it may hold a
//! client secret. config.toml is replaced under the config lock, and only if nobody
//! changed it while the editor was open; the lock is never held while a person edits.

use crate::config::{self, Config, Invalid, check_username, parse_seconds, parse_session_warning};
use crate::env::Env;
use crate::exit::{self, Code};
use crate::fsio;
use crate::hint;
use crate::hosts::Host;
use crate::lock;
use crate::signals;
use crate::ui;
use crate::url_rules::check_endpoint;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use toml_edit::Item;

pub fn run(env: &Env) -> Result<()> {
    let config_path = env.paths.config_file();
    if !(env.stdin_tty && env.stderr_tty) {
        return Err(exit::fail(
            Code::Failure,
            format!(
                "`config edit` opens an editor and needs a terminal; without one, change \
                 settings with `{}` or edit {} directly",
                hint::command("config set", "KEY VALUE"),
                config_path.display()
            ),
        ));
    }
    let original = config::raw_text(&env.paths)?;
    fsio::ensure_private_dir(env.paths.dir())?;
    let copy = env
        .paths
        .dir()
        .join(format!(".config-edit.{}.toml", std::process::id()));
    create_private(&copy, &original)?;
    let editor = editor_command();
    loop {
        if let Err(e) = run_editor(&editor, &copy) {
            let _ = std::fs::remove_file(&copy);
            return Err(e);
        }
        let edited = read_text(&copy)?;
        if edited == original {
            let _ = std::fs::remove_file(&copy);
            ui::info(env, "No changes; config.toml is as it was.");
            return Ok(());
        }
        match check(&edited) {
            Ok(()) => return replace(env, &config_path, &original, &edited, &copy),
            Err(e) => {
                eprintln!(
                    "{} {e}",
                    console::style("keycard: error: the edited config.toml is not valid:")
                        .red()
                        .bold()
                );
                if !ui::confirm("Edit again?")? {
                    return Err(exit::fail(
                        Code::Failure,
                        format!(
                            "config.toml is unchanged; your edit is kept in {}",
                            copy.display()
                        ),
                    ));
                }
            }
        }
    }
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, as the user wrote it (it may carry arguments:
/// `code --wait`).
fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Runs the editor on `file` through `sh`, as git does: the shell splits the command as
/// the user expects (quotes, `code --wait`), and the file travels as `"$@"`, never
/// pasted into the command line. Ctrl-C belongs to the editor meanwhile.
fn run_editor(editor: &str, file: &Path) -> Result<()> {
    let status = signals::while_child_runs(|| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$@\""))
            .arg(editor)
            .arg(file)
            .status()
    })
    .with_context(|| format!("cannot run the editor `{editor}`"))?;
    if status.success() {
        return Ok(());
    }
    let how = match status.code() {
        Some(127) => "was not found (set VISUAL or EDITOR)".to_string(),
        Some(code) => format!("exited with status {code}"),
        None => "was stopped by a signal".to_string(),
    };
    Err(exit::fail(
        Code::Failure,
        format!("the editor `{editor}` {how}; config.toml is unchanged"),
    ))
}

/// The edited text, checked as keycard reads config.toml and as `config set` checks each
/// setting, so that every later command can use it. "line L, column C: what".
fn check(text: &str) -> Result<(), String> {
    let at = |pos: Option<(usize, usize)>| {
        pos.map(|(l, c)| format!("line {l}, column {c}: "))
            .unwrap_or_default()
    };
    Config::check_text(text).map_err(|invalid| match invalid {
        Invalid::Toml { at: pos, message } => format!("{}{message}", at(pos)),
        Invalid::ProfileName(message) => format!("config.toml {message}"),
    })?;
    // Parsed again with positions: the typed view keeps none.
    let doc = toml_edit::Document::parse(text).map_err(|e| e.to_string())?;
    let position = |item: &Item| item.span().map(|s| config::line_col(text, s.start));
    if let Some(active) = doc.get("active")
        && let Some(name) = active.as_str()
    {
        let known = doc
            .get("profiles")
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.contains_key(name));
        if !known {
            return Err(format!(
                "{}active = {name:?} names no profile in the file",
                at(position(active))
            ));
        }
    }
    let Some(profiles) = doc.get("profiles").and_then(Item::as_table_like) else {
        return Ok(());
    };
    for (name, section) in profiles.iter() {
        let Some(settings) = section.as_table_like() else {
            continue;
        };
        for (key, item) in settings.iter() {
            check_setting(key, item)
                .map_err(|e| format!("{}profiles.{name}.{key}: {e:#}", at(position(item))))?;
        }
    }
    Ok(())
}

/// The rules `config set` applies to one setting (types were checked by the parser).
fn check_setting(key: &str, item: &Item) -> Result<()> {
    if key == "issuer" || key.ends_with("_endpoint") {
        if let Some(url) = item.as_str() {
            check_endpoint(key, url)?;
        }
    } else if key == "timeout" || key == "connect_timeout" {
        if let Some(secs) = item.as_integer() {
            parse_seconds(key, &secs.to_string())?;
        }
    } else if key == "hosts" {
        for host in item.as_array().into_iter().flatten() {
            if let Some(host) = host.as_str() {
                Host::entry(host)?;
            }
        }
    } else if key == "session_warning" {
        if let Some(secs) = item.as_integer() {
            parse_session_warning(&secs.to_string())?;
        }
    } else if key == "username"
        && let Some(name) = item.as_str()
    {
        check_username(name)?;
    }
    Ok(())
}

/// Replaces config.toml with the edited text, under the config lock, unless it changed
/// since the copy was made: then the other change would be lost, so the edit is kept
/// aside instead.
fn replace(env: &Env, config_path: &Path, original: &str, edited: &str, copy: &Path) -> Result<()> {
    let _lock = lock::config(&env.paths)?;
    if config::raw_text(&env.paths)? != original {
        return Err(exit::fail(
            Code::Failure,
            format!(
                "config.toml changed while you were editing it; nothing was saved, and your \
                 edit is kept in {}: run `{}` again and copy your changes over",
                copy.display(),
                hint::no_profile("config edit", "")
            ),
        ));
    }
    let target = fsio::through_links(config_path)?;
    fsio::write_private(&target, edited.as_bytes())
        .with_context(|| format!("cannot save {}", config_path.display()))?;
    let _ = std::fs::remove_file(copy);
    ui::info(env, &format!("Saved {}.", config_path.display()));
    Ok(())
}

/// The file's text; a missing file is empty (the edit creates it).
fn read_text(path: &Path) -> Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text; fix it by hand", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// A new file, 0600 from its first byte; a file already there (a link someone planted,
/// say) is an error, never written through.
fn create_private(path: &PathBuf, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("cannot create {}", path.display()))
}
