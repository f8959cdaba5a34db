//! Every change to config.toml goes through here: under the config lock, read the file
//! again, change it, save it. A change computed from a copy read earlier would undo
//! whatever another keycard saved meanwhile (20 concurrent `config set`s must all land).

use crate::config::{Config, ConfigEdit};
use crate::lock;
use crate::paths::Paths;
use anyhow::Result;

/// Applies `change` to config.toml as it is now and saves it, unless `change` fails.
pub fn update<T>(
    paths: &Paths,
    change: impl FnOnce(&Config, &mut ConfigEdit) -> Result<T>,
) -> Result<T> {
    let _lock = lock::config(paths)?;
    let config = Config::load(paths)?;
    let mut edit = config.edit()?;
    let out = change(&config, &mut edit)?;
    edit.save()?;
    Ok(out)
}
