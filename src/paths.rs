//! Every file keycard touches, and the validated profile names that go into them.

use crate::exit;
use anyhow::{Context, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// A profile name that is safe to put in a file name: `[A-Za-z0-9._-]{1,64}`, not `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    pub fn parse(name: &str) -> Result<ProfileName> {
        let ok_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if name.is_empty() || name.len() > 64 || !ok_chars || name == "." || name == ".." {
            return Err(exit::usage(format!(
                "invalid profile name {:?}: use 1 to 64 letters, digits, '.', '_' or '-'",
                name
            )));
        }
        Ok(ProfileName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone)]
pub struct Paths {
    dir: PathBuf,
}

impl Paths {
    /// `--config-dir` / `KEYCARD_CONFIG_DIR` when given, else the platform's config dir.
    pub fn new(config_dir: Option<PathBuf>) -> Result<Paths> {
        let dir = match config_dir {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => default_dir()?,
        };
        Ok(Paths { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config_file(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub fn token_file(&self, profile: &ProfileName) -> PathBuf {
        self.dir.join(format!("auth-{profile}.json"))
    }

    /// Taken by whoever changes the profile's token file (refresh, login, logout). It is
    /// never deleted: unlinking a lock file others may hold would let two writers in.
    pub fn lock_file(&self, profile: &ProfileName) -> PathBuf {
        self.dir.join(format!(".auth-{profile}.lock"))
    }

    /// Taken by whoever rewrites config.toml (`lock::config`).
    pub fn config_lock_file(&self) -> PathBuf {
        self.dir.join(".config.lock")
    }

    /// Held by the one `login` of the profile that waits for a person (`lock::try_signin`).
    pub fn signin_lock_file(&self, profile: &ProfileName) -> PathBuf {
        self.dir.join(format!(".auth-{profile}.signin.lock"))
    }

    /// What the waiting `login` shows (its code and link) and, once it ends, how it
    /// ended: a second `login` of the profile reads it (`signin`). Never a secret.
    pub fn signin_file(&self, profile: &ProfileName) -> PathBuf {
        self.dir.join(format!(".auth-{profile}.signin.json"))
    }

    /// When keycard last warned that the profile's session ends soon (`session_warning`).
    pub fn warned_file(&self, profile: &ProfileName) -> PathBuf {
        self.dir.join(format!(".auth-{profile}.warned"))
    }

    /// Profiles with a token file in the directory, whether or not config.toml names them.
    pub fn profiles_with_tokens(&self) -> Result<Vec<ProfileName>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.dir.display()));
            }
        };
        let mut names: Vec<ProfileName> = entries
            .filter_map(|entry| {
                let file = entry.ok()?.file_name();
                let name = file
                    .to_str()?
                    .strip_prefix("auth-")?
                    .strip_suffix(".json")?;
                ProfileName::parse(name).ok()
            })
            .collect();
        names.sort();
        Ok(names)
    }
}

/// `$XDG_CONFIG_HOME/keycard`, else `~/.config/keycard`. macOS gets `~/.config` too, like
/// xh and gh, because a terminal tool's users look there, not in Application Support.
fn default_dir() -> Result<PathBuf> {
    if cfg!(windows) {
        let base = directories::BaseDirs::new()
            .context("cannot find the user's config directory; set KEYCARD_CONFIG_DIR")?;
        return Ok(base.config_dir().join("keycard"));
    }
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Ok(xdg.join("keycard"));
    }
    let base = directories::BaseDirs::new()
        .context("cannot find the home directory; set KEYCARD_CONFIG_DIR or pass --config-dir")?;
    Ok(base.home_dir().join(".config").join("keycard"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in ["default", "prod", "my-org.staging_2", "a", &"x".repeat(64)] {
            assert!(ProfileName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_names_that_escape_or_confuse() {
        for name in [
            "",
            ".",
            "..",
            "a/b",
            "../x",
            "a\\b",
            "a\0b",
            "with space",
            "prоd",         // Cyrillic 'о'
            "pr\u{202e}od", // right-to-left override
            "a\u{200d}b",   // zero-width joiner
            "\u{200b}prod", // zero-width space
            "ｐｒｏｄ",     // fullwidth letters
            "e\u{301}",     // combining acute accent
            "prod\n",
            &"x".repeat(65),
        ] {
            let err = ProfileName::parse(name).unwrap_err();
            assert_eq!(exit::code_of(&err), exit::Code::Usage, "{name:?}");
        }
    }

    #[test]
    fn token_file_is_inside_the_dir() {
        let paths = Paths::new(Some(PathBuf::from("/tmp/kc"))).unwrap();
        let p = ProfileName::parse("prod").unwrap();
        assert_eq!(
            paths.token_file(&p),
            PathBuf::from("/tmp/kc/auth-prod.json")
        );
    }
}
