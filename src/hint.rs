//! Commands named in messages ("run `keycard login --profile work`"), written so that
//! pasting one into the same shell acts on the same files: the global options the user
//! typed on the command line (`--config-dir DIR`) are repeated, and options that came
//! from the environment (`KEYCARD_CONFIG_DIR`) are left out, since the shell still has
//! them. Every hint in keycard that names a command is built here.
//!
//! `--profile NAME` is always named for a command about one profile (SPEC: a refused
//! refresh says `keycard login --profile NAME`): it is the same profile whatever chose
//! it, so the pasted command cannot act on another one even after `config use`.

use std::fmt::Display;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The global options typed on this command line; set once by `main`.
static TYPED: OnceLock<Typed> = OnceLock::new();

#[derive(Debug, Default)]
struct Typed {
    config_dir: Option<PathBuf>,
    profile: Option<String>,
}

/// Records the global options typed on the command line. `config_dir` is the value clap
/// settled on; it counts as typed only when `args` (the raw command line) names the
/// option, since clap also fills it from `KEYCARD_CONFIG_DIR`. `profile` is `--profile`,
/// which clap takes from the command line only.
pub fn remember(
    args: &[std::ffi::OsString],
    config_dir: Option<&std::path::Path>,
    profile: Option<&str>,
) {
    let typed = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy())
        .take_while(|a| a != "--")
        .any(|a| a == "--config-dir" || a.starts_with("--config-dir="));
    let _ = TYPED.set(Typed {
        config_dir: config_dir.filter(|_| typed).map(PathBuf::from),
        profile: profile.map(str::to_string),
    });
}

/// `keycard WORDS --profile NAME [--config-dir DIR] ARGS`, ready to paste.
pub fn for_profile(words: &str, profile: &dyn Display, args: &str) -> String {
    build(words, Some(&profile.to_string()), args)
}

/// `keycard WORDS [--profile NAME] [--config-dir DIR] ARGS` with just the options typed
/// on this command line, for messages that do not know the profile by name
/// (`config set issuer URL` from discovery, `config add NAME ...`).
pub fn command(words: &str, args: &str) -> String {
    let typed = TYPED.get().and_then(|t| t.profile.as_deref());
    build(words, typed, args)
}

/// `keycard WORDS [--config-dir DIR] ARGS`, for commands that act on no existing
/// profile (`config add NAME ...`, `config presets`).
pub fn no_profile(words: &str, args: &str) -> String {
    build(words, None, args)
}

fn build(words: &str, profile: Option<&str>, args: &str) -> String {
    let mut line = format!("keycard {words}");
    if let Some(p) = profile {
        line.push_str(" --profile ");
        line.push_str(&shell_word(p));
    }
    if let Some(dir) = TYPED.get().and_then(|t| t.config_dir.as_ref()) {
        line.push_str(" --config-dir ");
        line.push_str(&shell_word(&dir.to_string_lossy()));
    }
    if !args.is_empty() {
        line.push(' ');
        line.push_str(args);
    }
    line
}

/// A word as a POSIX shell reads it back: bare when it is plainly safe, else in single
/// quotes (with `'` written as `'\''`). For every word a hint puts in a command, paths
/// above all (`chmod go-w '/home/me/my keys'`).
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_a_shell_would_split_are_quoted() {
        assert_eq!(shell_word("work"), "work");
        assert_eq!(shell_word("/tmp/my dir"), "'/tmp/my dir'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
    }

    #[test]
    fn without_a_typed_config_dir_only_the_profile_is_named() {
        // The test binary never calls `remember`: nothing was typed.
        assert_eq!(
            for_profile("login", &"work", ""),
            "keycard login --profile work"
        );
        assert_eq!(
            for_profile("config set", &"w", "client_id ID"),
            "keycard config set --profile w client_id ID"
        );
        assert_eq!(
            no_profile("config add", "NAME --preset okta"),
            "keycard config add NAME --preset okta"
        );
        assert_eq!(
            command("config set", "issuer URL"),
            "keycard config set issuer URL"
        );
    }
}
