//! `keycard logout`: forget the profile's tokens.

use crate::cli::LogoutArgs;
use crate::config::Config;
use crate::env::Env;
use crate::ui;
use anyhow::{Context, Result};

pub fn run(_args: LogoutArgs, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let path = env.paths.token_file(&name);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ui::info(env, "No credentials on file.");
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        Ok(meta) if meta.is_dir() => {
            anyhow::bail!(
                "{} is a directory, not a token file; remove it by hand",
                path.display()
            )
        }
        Ok(_) => {}
    }
    std::fs::remove_file(&path).with_context(|| format!("cannot delete {}", path.display()))?;
    ui::info(env, &format!("Signed out of profile '{name}'."));
    Ok(())
}
