//! Every change to config.toml goes through here: under the config lock, read the file
//! again, change it, save it. A change computed from a copy read earlier would undo
//! whatever another keycard saved meanwhile (20 concurrent `config set`s must all land).

use crate::config::{Config, ConfigEdit};
use crate::lock;
use crate::paths::Paths;
use anyhow::Result;

/// Applies `change` to config.toml as it is now and saves it, unless `change` fails.
/// `change` may run twice: first on the file as it is, without the lock, so a refusal
/// (a bad value, an unknown profile) leaves the directory exactly as it was, not even
/// creating the lock file; then for real, under the lock.
pub fn update<T>(
    paths: &Paths,
    change: impl Fn(&Config, &mut ConfigEdit) -> Result<T>,
) -> Result<T> {
    let config = Config::load(paths)?;
    change(&config, &mut config.edit()?)?;
    let _lock = lock::config(paths)?;
    let config = Config::load(paths)?;
    let mut edit = config.edit()?;
    let out = change(&config, &mut edit)?;
    hold_for_tests();
    edit.save()?;
    Ok(out)
}

#[cfg(not(debug_assertions))]
fn hold_for_tests() {}

/// Test seam, debug builds only: `KEYCARD_TEST_CONFIG_HOLD_MS=N` waits N ms between
/// reading config.toml and writing it back, so that tests/cli/config.rs can show that
/// concurrent writers lose no update (without the lock, they would, every time).
#[cfg(debug_assertions)]
fn hold_for_tests() {
    if let Some(ms) = std::env::var("KEYCARD_TEST_CONFIG_HOLD_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
