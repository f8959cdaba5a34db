//! The per-profile lock that makes refresh safe under concurrency: whoever holds it may
//! change the profile's token file; everyone else waits, then re-reads the file.
//!
//! It is an advisory `flock` on a small file beside the token file. The kernel drops it
//! when its holder exits, however it exits, so a killed keycard never leaves a lock that
//! blocks anyone. `status` never takes it.

use crate::fsio;
use crate::paths::{Paths, ProfileName};
use crate::trust::{self, Rule};
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::time::{Duration, Instant};

/// The shortest wait: longer than a refresh with the default timeouts can take, so
/// waiting this long means a holder is stuck (stopped with Ctrl-Z, say), not slow.
const MIN_WAIT: Duration = Duration::from_secs(75);
const RETRY_EVERY: Duration = Duration::from_millis(10);

/// Held until dropped.
pub struct ProfileLock {
    _file: File,
}

/// How long to wait for the lock when a holder's calls may each take `timeout`: a
/// refresh is at most a handful of calls (discovery, the token request, and the same
/// again after a 404).
pub fn wait_for(timeout: Option<u64>) -> Duration {
    let per_call = Duration::from_secs(timeout.unwrap_or(0).min(crate::config::MAX_TIMEOUT_SECS));
    MIN_WAIT.max(per_call * 6)
}

/// Takes the profile's lock, waiting up to `wait` for another keycard that holds it.
pub fn acquire(paths: &Paths, profile: &ProfileName, wait: Duration) -> Result<ProfileLock> {
    fsio::ensure_private_dir(paths.dir())?;
    let path = paths.lock_file(profile);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    // Never through a link: a planted `.auth-NAME.lock` link would make keycard create
    // or open whatever file it points at.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO planted there must not hang the open.
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(&path).map_err(|e| {
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
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
    trust::check(&path, &meta, Rule::Owned)?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => {
                // No other writer of the token file can exist now: whatever temporary
                // file is there was left by a keycard that was killed mid-write.
                fsio::sweep_temps(&paths.token_file(profile));
                return Ok(ProfileLock { _file: file });
            }
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(RETRY_EVERY);
            }
            Err(TryLockError::WouldBlock) => anyhow::bail!(
                "another keycard process has held the lock on profile '{profile}' for over {}s; \
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
        let _ = std::fs::remove_dir_all(dir);
    }
}
