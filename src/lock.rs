//! Advisory `flock`s on small files in the config directory. The kernel drops a lock
//! when its holder exits, however it exits, so a killed keycard never leaves a lock that
//! blocks anyone. Readers (`status`, a valid `token`) never take one.
//!
//! - The profile lock: whoever holds it may change the profile's token file; everyone
//!   else waits, then re-reads the file (refresh is safe under concurrency).
//! - The config lock: whoever holds it may rewrite config.toml, and reads it again first,
//!   so concurrent `config set`s of different keys lose no update.
//! - The sign-in lock (`signin`): held by the one `login` of a profile that is waiting
//!   for a person; a second `login` waits on it instead of starting another device flow.

use crate::config::MAX_TIMEOUT_SECS;
use crate::fsio;
use crate::paths::{Paths, ProfileName};
use crate::trust::{self, Rule};
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// The shortest wait: longer than a refresh with the default timeouts can take, so
/// waiting this long means a holder is stuck (stopped with Ctrl-Z, say), not slow.
const MIN_WAIT: Duration = Duration::from_secs(75);
const RETRY_EVERY: Duration = Duration::from_millis(10);

/// Held until dropped.
pub struct Held {
    _file: File,
}

/// How long to wait for the lock when a holder's calls may each take `timeout`: a
/// refresh is at most a handful of calls (discovery, the token request, and the same
/// again after a 404).
pub fn wait_for(timeout: Option<u64>) -> Duration {
    let per_call = Duration::from_secs(timeout.unwrap_or(0).min(MAX_TIMEOUT_SECS));
    MIN_WAIT.max(per_call * 6)
}

/// Takes the profile's lock, waiting up to `wait` for another keycard that holds it.
pub fn acquire(paths: &Paths, profile: &ProfileName, wait: Duration) -> Result<Held> {
    fsio::ensure_private_dir(paths.dir())?;
    let path = paths.lock_file(profile);
    let file = open(&path)?;
    let held = wait_on(file, &path, wait, &format!("profile '{profile}'"))?;
    // No other writer of the token file can exist now: whatever temporary file is there
    // was left by a keycard that was killed mid-write.
    fsio::sweep_temps(&paths.token_file(profile));
    Ok(held)
}

/// Takes the config lock. Writers of config.toml hold it only for a read and a write
/// (never while a person edits), so the profile lock's shortest wait is ample.
pub fn config(paths: &Paths) -> Result<Held> {
    fsio::ensure_private_dir(paths.dir())?;
    let path = paths.config_lock_file();
    let held = wait_on(open(&path)?, &path, MIN_WAIT, "config.toml")?;
    // As for token files: a temporary file beside config.toml (or beside the file its
    // link points at) now belongs to a writer that was killed.
    if let Ok(target) = fsio::through_links(&paths.config_file()) {
        fsio::sweep_temps(&target);
    }
    Ok(held)
}

/// The profile's sign-in lock if nobody holds it, else `None` at once.
pub fn try_signin(paths: &Paths, profile: &ProfileName) -> Result<Option<Held>> {
    fsio::ensure_private_dir(paths.dir())?;
    let path = paths.signin_lock_file(profile);
    let file = open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Held { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Waits, without a limit, for whoever holds the profile's sign-in lock to finish (a
/// person may take the whole life of the code to approve it), then holds it.
pub fn wait_signin(paths: &Paths, profile: &ProfileName) -> Result<Held> {
    let path = paths.signin_lock_file(profile);
    let file = open(&path)?;
    file.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(Held { _file: file })
}

fn open(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    // Never through a link: a planted lock link would make keycard create or open
    // whatever file it points at.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO planted there must not hang the open.
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            anyhow::anyhow!(
                "the lock file {} is a symbolic link; keycard neither follows nor replaces \
                 it: move it aside",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot open the lock file {}", path.display()))
        }
    })?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read the lock file {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "the lock file {} is {}; keycard does not use it: move it aside",
            path.display(),
            fsio::kind_of(&meta)
        );
    }
    trust::check(path, &meta, Rule::Owned)?;
    Ok(file)
}

fn wait_on(file: File, path: &Path, wait: Duration, what: &str) -> Result<Held> {
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Held { _file: file }),
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                #[cfg(debug_assertions)]
                tell_a_test_we_wait();
                std::thread::sleep(RETRY_EVERY);
            }
            Err(TryLockError::WouldBlock) => anyhow::bail!(
                "another keycard process has held the lock on {what} for over {}s; \
                 end it (`fuser {}` finds it) and try again",
                wait.as_secs(),
                crate::hint::shell_word(&path.to_string_lossy())
            ),
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
    }
}

/// Test seam, debug builds only: with `KEYCARD_TEST_LOCK_WAITING=FILE`, a keycard that
/// finds the profile's lock held creates FILE, so a test knows it is waiting (and not
/// merely slow to start) before it lets the holder go.
#[cfg(debug_assertions)]
fn tell_a_test_we_wait() {
    if let Some(file) = std::env::var_os("KEYCARD_TEST_LOCK_WAITING") {
        let _ = std::fs::write(file, b"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_and_a_dropped_lock_frees_it() {
        let dir = std::env::temp_dir().join(format!("keycard-lock-{}", std::process::id()));
        let paths = Paths::new(Some(dir.clone())).unwrap();
        let name = ProfileName::parse("p").unwrap();
        let first = acquire(&paths, &name, wait_for(None)).unwrap();
        let other = File::open(paths.lock_file(&name)).unwrap();
        assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        drop(first);
        assert!(other.try_lock().is_ok());
        drop(other);
        let signin = try_signin(&paths, &name).unwrap();
        assert!(signin.is_some());
        assert!(
            try_signin(&paths, &name).unwrap().is_none(),
            "one holder at a time"
        );
        drop(signin);
        assert!(try_signin(&paths, &name).unwrap().is_some());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_wait_is_bounded_by_the_profile_timeout() {
        assert_eq!(wait_for(None), MIN_WAIT);
        assert_eq!(wait_for(Some(60)), Duration::from_secs(360));
        assert_eq!(
            wait_for(Some(u64::MAX)),
            Duration::from_secs(MAX_TIMEOUT_SECS * 6)
        );
    }
}
