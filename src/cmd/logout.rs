//! `keycard logout`: revoke the profile's tokens at the provider (RFC 7009) when it offers
//! a revocation endpoint, then delete the token file, whatever the provider said.

use crate::cli::LogoutArgs;
use crate::config::Config;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::lock;
use crate::paths::ProfileName;
use crate::revocation::{self, Revocation};
use crate::state::{self, TokenState};
use crate::ui;
use anyhow::{Context, Result};

pub fn run(args: LogoutArgs, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let names = if args.all {
        env.paths.profiles_with_tokens()?
    } else {
        let (name, _) = env.profile(&config)?;
        vec![name]
    };
    let on_file: Vec<ProfileName> = names
        .into_iter()
        .filter(|n| std::fs::symlink_metadata(env.paths.token_file(n)).is_ok())
        .collect();
    if on_file.is_empty() {
        ui::info(env, "No credentials on file.");
        if env.json {
            ui::out(&serde_json::json!({ "signed_out": [] }).to_string())?;
        }
        return Ok(());
    }

    if env.interactive() && !args.yes {
        let list: Vec<&str> = on_file.iter().map(ProfileName::as_str).collect();
        let question = match list.as_slice() {
            [one] => format!("Sign out of profile '{one}'?"),
            many => format!("Sign out of {} profiles ({})?", many.len(), many.join(", ")),
        };
        if !ui::confirm(&question)? {
            ui::info(env, "Nothing changed.");
            return Err(exit::silent(Code::Failure));
        }
    }

    // One unusable token file must not keep `--all` from signing out of the others; the
    // first failure is reported (and sets the exit code) once the rest are done.
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for name in &on_file {
        match sign_out(env, &config, name, !args.no_revoke) {
            Ok(revocation) => results
                .push(serde_json::json!({ "profile": name.as_str(), "revocation": revocation })),
            Err(e) => failures.push(e),
        }
    }
    if env.json {
        ui::out(&serde_json::json!({ "signed_out": results }).to_string())?;
    }
    let mut failures = failures.into_iter();
    match failures.next() {
        None => Ok(()),
        Some(first) => {
            for other in failures {
                ui::warn(&format!("{other:#}"));
            }
            Err(first)
        }
    }
}

/// Revokes (if asked and possible), then deletes the token file, under the profile's lock
/// so a refresh running at the same moment cannot write the file back.
fn sign_out(env: &Env, config: &Config, name: &ProfileName, revoke: bool) -> Result<Revocation> {
    let path = env.paths.token_file(name);
    // Refused before the lock file is created, so a refusal changes nothing on disk.
    if tokens_to_forget(&path, name)?.is_none() {
        return Ok(Revocation::Skipped);
    }
    let timeout = config.profile(name).and_then(|p| p.timeout);
    let _lock = lock::acquire(&env.paths, name, lock::wait_for(timeout))?;
    let Some(tokens) = tokens_to_forget(&path, name)? else {
        // Another keycard signed out meanwhile.
        return Ok(Revocation::Skipped);
    };

    let revocation = if revoke {
        revocation::best_effort(env, config, name, &tokens)
    } else {
        Revocation::Skipped
    };

    std::fs::remove_file(&path).with_context(|| format!("cannot delete {}", path.display()))?;
    // The record of the last session-end warning belongs to the session just forgotten.
    let _ = std::fs::remove_file(env.paths.warned_file(name));
    let how = match revocation {
        Revocation::Revoked => "; the provider revoked its tokens",
        Revocation::NotOffered => {
            "; the provider offers no revocation endpoint, so its tokens stay valid until they expire"
        }
        Revocation::Skipped if revoke => "",
        Revocation::Skipped => " (tokens not revoked at the provider)",
        Revocation::Failed => " (local tokens deleted)",
    };
    ui::info(env, &format!("Signed out of profile '{name}'{how}."));
    Ok(revocation)
}

/// The tokens on file, `None` when there are none. A damaged file is left for the user to
/// look at (signing in again replaces it); a link or a directory is refused outright.
/// Neither is deleted behind their back.
fn tokens_to_forget(path: &std::path::Path, name: &ProfileName) -> Result<Option<TokenState>> {
    match state::inspect(path, name.as_str())? {
        state::Found::Nothing => Ok(None),
        state::Found::Tokens(stored) => Ok(Some(stored.tokens)),
        state::Found::Damaged(e) => Err(e.context(format!(
            "not signing out of profile '{name}': nothing was deleted (to forget the file \
             anyway, `rm {}`)",
            crate::hint::shell_word(&path.to_string_lossy())
        ))),
    }
}
