//! `keycard config ...`: profiles in config.toml.

use crate::cli::{AddArgs, ConfigCommand};
use crate::config::{Config, ConfigEdit, DEFAULT_SCOPES, KEYS, Profile, Source, check_key};
use crate::config_update;
use crate::env::Env;
use crate::exit::{self, Code};
use crate::hint;
use crate::lock;
use crate::paths::ProfileName;
use crate::presets;
use crate::profile_file;
use crate::revocation::{self, Revocation};
use crate::state;
use crate::stdin_value;
use crate::ui;
use crate::url_rules::check_endpoint;
use anyhow::{Context, Result};
use serde_json::json;

pub fn run(cmd: ConfigCommand, env: &Env) -> Result<()> {
    match cmd {
        ConfigCommand::Use { name, here } if here => use_here(&name, env),
        ConfigCommand::Use { name, .. } => use_profile(&name, env),
        ConfigCommand::List { names } => list(names, env),
        ConfigCommand::Show { name } => show(name.as_deref(), env),
        ConfigCommand::Add(args) => add(args, env),
        ConfigCommand::Remove {
            name,
            yes,
            no_revoke,
        } => remove(&name, yes, !no_revoke, env),
        ConfigCommand::Get { key } => get(&key, env),
        ConfigCommand::Set { key, value } => set(&key, &value, env),
        ConfigCommand::Edit => super::config_edit::run(env),
        ConfigCommand::Path => ui::out(&env.paths.config_file().display().to_string()),
        ConfigCommand::Presets => list_presets(env),
    }
}

fn use_profile(name: &str, env: &Env) -> Result<()> {
    let name = ProfileName::parse(name)?;
    config_update::update(&env.paths, |config, edit| {
        config.require(&name)?;
        edit.set_active(&name);
        Ok(())
    })?;
    ui::info(env, &format!("Now using profile '{name}'."));
    if std::env::var("KEYCARD_PROFILE").is_ok_and(|p| !p.is_empty() && p != name.as_str()) {
        ui::warn("KEYCARD_PROFILE is set in this shell and still wins over the active profile");
    } else if let Ok((other, Source::File(path))) =
        Config::load(&env.paths).and_then(|config| env.profile(&config))
        && other != name
    {
        ui::warn(&format!(
            "{} picks profile '{other}' in this directory and still wins over the active profile",
            path.display()
        ));
    }
    Ok(())
}

/// `config use NAME --here`: NAME in ./.keycard-profile.
fn use_here(name: &str, env: &Env) -> Result<()> {
    let name = ProfileName::parse(name)?;
    Config::load(&env.paths)?.require(&name)?;
    let dir = std::env::current_dir().context("cannot find the current directory")?;
    let path = profile_file::write(&dir, &name)?;
    ui::info(
        env,
        &format!(
            "Profile '{name}' is now used in {} and below ({}; remove it with `rm`).",
            dir.display(),
            path.display()
        ),
    );
    if std::env::var("KEYCARD_PROFILE").is_ok_and(|p| !p.is_empty() && p != name.as_str()) {
        ui::warn("KEYCARD_PROFILE is set in this shell and still wins over .keycard-profile");
    }
    Ok(())
}

fn list(only_names: bool, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let names: Vec<&str> = config.profile_names().collect();
    if only_names {
        return names.iter().try_for_each(|n| ui::out(n));
    }
    let resolved = env.profile(&config).ok();
    let current = resolved.as_ref().map(|(n, _)| n.to_string());
    let source = resolved.map(|(_, s)| s);
    if env.json {
        let rows: Vec<_> = names
            .iter()
            .map(|n| {
                let issuer = ProfileName::parse(n)
                    .ok()
                    .and_then(|p| config.profile(&p))
                    .and_then(|p| p.issuer.clone());
                let in_use = current.as_deref() == Some(*n);
                let source = source.filter(|_| in_use);
                json!({
                    "name": n,
                    "active": in_use,
                    "issuer": issuer,
                    "source": source,
                    "source_file": source.and_then(Source::file),
                })
            })
            .collect();
        return ui::out(&serde_json::Value::Array(rows).to_string());
    }
    if names.is_empty() {
        ui::info(
            env,
            &format!(
                "No profiles yet. Add one with `{}` or `{}`.",
                crate::hint::no_profile("config add", "NAME --preset PRESET --client-id ID"),
                crate::hint::no_profile("config add", "NAME --issuer URL --client-id ID")
            ),
        );
        return Ok(());
    }
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for n in names {
        let mark = if current.as_deref() == Some(n) {
            "*"
        } else {
            " "
        };
        let issuer = ProfileName::parse(n)
            .ok()
            .and_then(|p| config.profile(&p))
            .and_then(|p| p.issuer.clone().or_else(|| p.token_endpoint.clone()))
            .unwrap_or_default();
        ui::out(format!("{mark} {n:width$}  {issuer}").trim_end())?;
    }
    // Where the marked profile came from, unless it is simply config.toml's active one.
    if let Some(source) = source.filter(|s| !matches!(s, Source::Config | Source::Default)) {
        ui::info(env, &format!("(* in use {})", source.describe()));
    }
    Ok(())
}

fn show(name: Option<&str>, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let name = match name {
        Some(n) => ProfileName::parse(n)?,
        None => env.profile(&config)?.0,
    };
    let profile = config.require(&name)?;
    if env.json {
        let mut value = serde_json::to_value(profile).context("cannot encode the profile")?;
        if let Some(obj) = value.as_object_mut() {
            obj.retain(|_, v| !v.is_null());
            if obj.contains_key("client_secret") {
                obj.insert("client_secret".into(), json!("[hidden]"));
            }
            obj.insert("name".into(), json!(name.as_str()));
        }
        return ui::out(&value.to_string());
    }
    ui::out(&format!("[profiles.{name}]"))?;
    for key in KEYS {
        if let Some(value) = display_value(profile, key) {
            ui::out(&format!("{key} = {value}"))?;
        }
    }
    if let Some(d) = &profile.discovered {
        ui::out(&format!("# endpoints discovered from {}", d.issuer))?;
    }
    Ok(())
}

fn add(mut args: AddArgs, env: &Env) -> Result<()> {
    let name = ProfileName::parse(&args.name)?;
    match args.client_secret.as_deref() {
        Some("-") => args.client_secret = Some(stdin_value::read("client_secret", true)?),
        Some(_) => warn_secret_on_command_line(&hint::no_profile(
            "config add",
            &format!("{} ... --client-secret -", args.name),
        )),
        None => {}
    }
    let preset = args.preset.as_deref().map(presets::find).transpose()?;
    let from_preset = match &preset {
        Some(p) => {
            let vars = args
                .vars
                .iter()
                .map(|v| presets::parse_var(v))
                .collect::<Result<Vec<_>>>()?;
            Some(p.instantiate(&vars)?)
        }
        None => None,
    };
    let preset_has = |key: &str| from_preset.as_ref().is_some_and(|t| t.contains_key(key));
    if args.issuer.is_none()
        && !preset_has("issuer")
        && (args.device_authorization_endpoint.is_none() || args.token_endpoint.is_none())
        && !(preset_has("device_authorization_endpoint") && preset_has("token_endpoint"))
    {
        return Err(exit::usage(
            "give --issuer URL, or both --device-authorization-endpoint and --token-endpoint, or --preset",
        ));
    }
    if args.client_id.is_none() && !preset_has("client_id") {
        let hint = match &preset {
            Some(p) => format!(
                " (register a client with the provider; preset '{}' carries none)",
                p.name
            ),
            None => String::new(),
        };
        return Err(exit::usage(format!("give --client-id ID{hint}")));
    }
    if let Some(p) = preset.as_ref().filter(|p| p.needs_client_secret)
        && args.client_secret.is_none()
    {
        return Err(exit::usage(format!(
            "preset '{}' needs --client-secret: the provider requires the client's secret for the device flow",
            p.name
        )));
    }
    if let Some(issuer) = &args.issuer {
        check_endpoint("issuer", issuer)?;
    }
    for (key, url) in [
        (
            "device_authorization_endpoint",
            &args.device_authorization_endpoint,
        ),
        ("token_endpoint", &args.token_endpoint),
    ] {
        if let Some(url) = url {
            check_endpoint(key, url)?;
        }
    }
    let activate = config_update::update(&env.paths, |config, edit| {
        add_to(
            config,
            edit,
            &name,
            &args,
            preset.as_ref().zip(from_preset.clone()),
        )
    })?;
    let active = if activate { " and made it active" } else { "" };
    ui::info(
        env,
        &format!(
            "Added profile '{name}'{active}. Sign in with `{}`.",
            crate::hint::for_profile("login", &name, "")
        ),
    );
    Ok(())
}

/// The new profile's section, from the preset's settings and the flags; whether it
/// became the active profile.
fn add_to(
    config: &Config,
    edit: &mut ConfigEdit,
    name: &ProfileName,
    args: &AddArgs,
    preset: Option<(&presets::Preset, toml_edit::Table)>,
) -> Result<bool> {
    if config.profile(name).is_some() {
        return Err(exit::usage(format!(
            "profile '{name}' already exists; change it with `{}` or remove it first",
            crate::hint::for_profile("config set", &name, "KEY VALUE")
        )));
    }
    let table = edit.profile_mut(name)?;
    if let Some((p, settings)) = preset {
        table.decor_mut().set_prefix(format!(
            "\n# from preset '{}' (keycard config presets)\n",
            p.name
        ));
        for (key, item) in settings.iter() {
            table[key] = item.clone();
        }
    }
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            table[key] = toml_edit::value(v);
        }
    };
    put("issuer", args.issuer.clone());
    put("client_id", args.client_id.clone());
    put("client_secret", args.client_secret.clone());
    put(
        "device_authorization_endpoint",
        args.device_authorization_endpoint.clone(),
    );
    put("token_endpoint", args.token_endpoint.clone());
    if !args.scopes.is_empty() || !table.contains_key("scopes") {
        let scopes: Vec<String> = if args.scopes.is_empty() {
            DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
        } else {
            args.scopes
                .iter()
                .flat_map(|s| s.split_whitespace())
                .map(str::to_string)
                .collect()
        };
        table["scopes"] = toml_edit::value(scopes.iter().collect::<toml_edit::Array>());
    }
    let activate = args.activate || config.active().is_none();
    if activate {
        edit.set_active(name);
    }
    Ok(activate)
}

/// A secret typed as an argument is in the shell's history and, while keycard runs, in
/// every user's `ps`: say so, and how to avoid it next time.
fn warn_secret_on_command_line(instead: &str) {
    ui::warn(&format!(
        "a client secret on the command line is kept in your shell history and visible to \
         other users in `ps`; next time give it on standard input: `{instead}`"
    ));
}

/// `config presets`: one line per preset (name, what it is for), or JSON with the
/// variables each takes.
fn list_presets(env: &Env) -> Result<()> {
    let all = presets::all()?;
    if env.json {
        let rows: Vec<_> = all
            .iter()
            .map(|p| {
                let vars: Vec<_> = p
                    .vars
                    .iter()
                    .map(|v| json!({ "name": v.name, "about": v.about, "default": v.default }))
                    .collect();
                json!({
                    "name": p.name,
                    "description": p.description,
                    "vars": vars,
                    "needs_client_secret": p.needs_client_secret,
                })
            })
            .collect();
        return ui::out(&serde_json::Value::Array(rows).to_string());
    }
    let width = all.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &all {
        ui::out(&format!("{:width$}  {}", p.name, p.description))?;
    }
    ui::info(
        env,
        &format!(
            "\nUse one with `{}`.",
            crate::hint::no_profile(
                "config add",
                "NAME --preset PRESET --var KEY=VALUE --client-id ID"
            )
        ),
    );
    Ok(())
}

fn remove(name: &str, yes: bool, revoke: bool, env: &Env) -> Result<()> {
    let name = ProfileName::parse(name)?;
    let config = Config::load(&env.paths)?;
    let token_path = env.paths.token_file(&name);
    let on_disk = std::fs::symlink_metadata(&token_path).ok();
    // Found before config.toml is changed, so a refusal leaves everything as it was.
    if on_disk.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(exit::fail(
            Code::Failure,
            format!(
                "{} is a directory, not a token file; move it aside, then remove the profile",
                token_path.display()
            ),
        ));
    }
    // A link is removed, never followed: the file it points at is not keycard's.
    let has_tokens = on_disk.is_some();
    if config.profile(&name).is_none() && !has_tokens {
        config.require(&name)?;
    }
    if !yes && env.interactive() {
        let what = if has_tokens { " and its tokens" } else { "" };
        if !ui::confirm(&format!("Remove profile '{name}'{what}?"))? {
            return Err(exit::fail(
                Code::Failure,
                "nothing removed (answer y to confirm, or pass -y)",
            ));
        }
    }
    // Under the profile's lock, as `logout` does: a refresh finishing at this moment
    // cannot write the token file back after it is deleted, and one starting later finds
    // neither the file nor the profile.
    let timeout = config.profile(&name).and_then(|p| p.timeout);
    let _lock = lock::acquire(&env.paths, &name, lock::wait_for(timeout))?;
    // The lock may have been waited for: edit config.toml as it is now.
    let config = Config::load(&env.paths)?;
    let found = state::inspect(&token_path, name.as_str());
    // SPEC: a damaged file is never deleted behind the user's back; like `logout`, it is
    // left for the user to look at (it may hold a token worth revoking by hand).
    let keep_damaged = matches!(found, Ok(state::Found::Damaged(_)));
    let revocation = match found {
        Ok(state::Found::Tokens(stored)) if revoke => {
            Some(revocation::best_effort(env, &config, &name, &stored.tokens))
        }
        _ => None,
    };
    config_update::update(&env.paths, |config, edit| {
        edit.remove_profile(&name)?;
        if config.active() == Some(name.as_str()) {
            edit.clear_active();
        }
        Ok(())
    })?;
    if keep_damaged {
        ui::warn(&format!(
            "the token file {} is damaged, so keycard left it; `rm {}` once you no longer \
             need it",
            token_path.display(),
            hint::shell_word(&token_path.to_string_lossy())
        ));
    } else {
        match std::fs::remove_file(&token_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot delete {}", token_path.display()));
            }
            _ => {}
        }
    }
    // Nothing of a removed profile stays behind but its lock file, which is never
    // deleted (src/paths.rs).
    let _ = std::fs::remove_file(env.paths.warned_file(&name));
    let how = match revocation {
        Some(Revocation::Revoked) => "; the provider revoked its tokens",
        Some(Revocation::NotOffered) => {
            "; the provider offers no revocation endpoint, so its tokens stay valid until they expire"
        }
        _ if has_tokens && !revoke => " (tokens not revoked at the provider)",
        _ => "",
    };
    ui::info(env, &format!("Removed profile '{name}'{how}."));
    Ok(())
}

fn get(key: &str, env: &Env) -> Result<()> {
    check_key(key)?;
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let profile = config.require(&name)?;
    if key == "client_secret" && profile.client_secret.is_some() {
        ui::info(
            env,
            "client_secret is set; keycard does not print secrets (it is in config.toml).",
        );
        return Ok(());
    }
    match raw_value(profile, key) {
        Some(value) => ui::out(&value),
        None => Err(exit::fail(
            Code::Failure,
            format!("{key} is not set for profile '{name}'"),
        )),
    }
}

fn set(key: &str, value: &str, env: &Env) -> Result<()> {
    check_key(key)?;
    let from_stdin;
    let value = if value == "-" {
        from_stdin = stdin_value::read(key, key == "client_secret")?;
        from_stdin.as_str()
    } else {
        if key == "client_secret" {
            warn_secret_on_command_line(&hint::command("config set", "client_secret -"));
        }
        value
    };
    if key == "issuer" || key.ends_with("_endpoint") {
        check_endpoint(key, value)?;
    }
    if key == "ca_file" && !std::path::Path::new(value).is_file() {
        ui::warn(&format!("{value} does not exist (yet)"));
    }
    let (name, is_new) = config_update::update(&env.paths, |config, edit| {
        let (name, _) = env.profile(config)?;
        let is_new = config.profile(&name).is_none();
        // `config set` creates a profile, like `git config`; a typo of an existing one
        // should not silently become a new profile.
        if is_new && let Some(meant) = config.closest(&name) {
            return Err(exit::fail(
                exit::Code::NotSignedIn,
                format!(
                    "no profile named '{name}'; did you mean '{meant}'? (to create '{name}', \
                     use `{}`)",
                    crate::hint::no_profile(
                        "config add",
                        &format!("{name} --preset PRESET --client-id ID")
                    )
                ),
            ));
        }
        edit.set_key(&name, key, value)?;
        if is_new && config.active().is_none() {
            edit.set_active(&name);
        }
        Ok((name, is_new))
    })?;
    let created = if is_new { " (new profile)" } else { "" };
    ui::info(env, &format!("Set {key} for profile '{name}'{created}."));
    Ok(())
}

/// A value as `config get` prints it: plain text, lists space-separated.
fn raw_value(p: &Profile, key: &str) -> Option<String> {
    match key {
        "issuer" => p.issuer.clone(),
        "client_id" => p.client_id.clone(),
        "client_secret" => p.client_secret.clone(),
        "scopes" => Some(p.scopes().join(" ")),
        "device_authorization_endpoint" => p.device_authorization_endpoint.clone(),
        "token_endpoint" => p.token_endpoint.clone(),
        "revocation_endpoint" => p.revocation_endpoint.clone(),
        "userinfo_endpoint" => p.userinfo_endpoint.clone(),
        "audience" => p.audience.clone(),
        "ca_file" => p.ca_file.as_ref().map(|f| f.display().to_string()),
        "client_auth" => p.client_auth.map(|a| a.as_str().to_string()),
        "timeout" => p.timeout.map(|s| s.to_string()),
        "connect_timeout" => p.connect_timeout.map(|s| s.to_string()),
        "hosts" => p.hosts.as_ref().map(|h| h.join(" ")),
        "verification_hosts" => p.verification_hosts.as_ref().map(|h| h.join(" ")),
        "username" => p.username.clone(),
        "git_auth" => p.git_auth.map(|a| a.as_str().to_string()),
        "session_warning" => p.session_warning.map(|s| s.to_string()),
        _ => None,
    }
}

/// A value as `config show` prints it: TOML-quoted, secrets hidden.
fn display_value(p: &Profile, key: &str) -> Option<String> {
    if key == "client_secret" {
        return p.client_secret.as_ref().map(|_| "\"[hidden]\"".to_string());
    }
    if matches!(key, "timeout" | "connect_timeout" | "session_warning") {
        return raw_value(p, key);
    }
    let list = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
        format!("[{}]", quoted.join(", "))
    };
    if key == "scopes" {
        return Some(list(&p.scopes()));
    }
    if key == "hosts" {
        return p.hosts.as_deref().map(list);
    }
    if key == "verification_hosts" {
        return p.verification_hosts.as_deref().map(list);
    }
    raw_value(p, key).map(|v| format!("{v:?}"))
}
