//! config.toml: profiles and the active profile.
//!
//! Read through serde for typed access; edited through toml_edit so that a hand-written
//! file keeps its comments, order and formatting across `config set`.

use crate::exit;
use crate::fsio;
use crate::hint;
use crate::hosts::Host;
use crate::http;
use crate::paths::{Paths, ProfileName};
use crate::trust::{self, Rule};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml_edit::{DocumentMut, Item, Table, value};

pub const DEFAULT_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    active: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One profile as written in config.toml. Explicit endpoints win over discovered ones.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub device_authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub audience: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// How the client secret travels: `post` (in the form, the default) or `basic`.
    pub client_auth: Option<ClientAuth>,
    /// Seconds for a whole HTTP call (default 30).
    pub timeout: Option<u64>,
    /// Seconds to establish a connection (default 10).
    pub connect_timeout: Option<u64>,
    /// Hosts (`host` or `host:port`) the git and docker credential helpers hand this
    /// profile's token to; no other host ever gets it.
    pub hosts: Option<Vec<String>>,
    /// Hosts (and the names under them) the provider's sign-in link may go to besides the
    /// issuer's own domain, without a warning (RFC 8628 §5.4). Presets set their
    /// provider's: Entra signs in at microsoft.com, not microsoftonline.com.
    pub verification_hosts: Option<Vec<String>>,
    /// User name the credential helpers give with the token (default `oauth2`).
    pub username: Option<String>,
    /// How git sends the token: `basic` (user name and password, the default) or
    /// `bearer` (an `Authorization: Bearer` header, git 2.46 and later).
    pub git_auth: Option<GitAuth>,
    /// Seconds before the session (the refresh token) ends from which `token`, `whoami`,
    /// `exec` and the credential helpers warn, once an hour (default a day; 0: never).
    pub session_warning: Option<u64>,
    /// Extra parameters sent with the device authorization request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Metadata cached from discovery, so later commands need no network round trip.
    pub discovered: Option<Discovered>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovered {
    pub issuer: String,
    pub device_authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
}

/// RFC 6749 §2.3.1: a client secret goes in the form (`client_secret_post`) or in an
/// HTTP Basic `Authorization` header (`client_secret_basic`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    #[default]
    Post,
    Basic,
}

impl ClientAuth {
    pub fn parse(raw: &str) -> Result<ClientAuth> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "post" | "client_secret_post" => Ok(ClientAuth::Post),
            "basic" | "client_secret_basic" => Ok(ClientAuth::Basic),
            _ => Err(exit::usage(format!(
                "client_auth must be \"post\" or \"basic\", not {raw:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::Post => "post",
            ClientAuth::Basic => "basic",
        }
    }
}

/// How git presents the token to the server (`git_auth`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GitAuth {
    #[default]
    Basic,
    Bearer,
}

impl GitAuth {
    pub fn parse(raw: &str) -> Result<GitAuth> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "basic" => Ok(GitAuth::Basic),
            "bearer" => Ok(GitAuth::Bearer),
            _ => Err(exit::usage(format!(
                "git_auth must be \"basic\" or \"bearer\", not {raw:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GitAuth::Basic => "basic",
            GitAuth::Bearer => "bearer",
        }
    }
}

/// The user name credential helpers send when a profile sets none: GitLab and Gitea
/// want `oauth2` with an OAuth token, and GitHub accepts any name.
pub const DEFAULT_USERNAME: &str = "oauth2";

impl Profile {
    pub fn username(&self) -> &str {
        self.username.as_deref().unwrap_or(DEFAULT_USERNAME)
    }

    pub fn scopes(&self) -> Vec<String> {
        self.scopes
            .clone()
            .unwrap_or_else(|| DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect())
    }

    /// The transport settings for this profile: its `ca_file`, `timeout` and
    /// `connect_timeout`.
    pub fn http_options(&self) -> http::Options<'_> {
        // `config set` checks the range; a hand-edited file is clamped to it, since a
        // huge value would overflow the deadline arithmetic.
        let clamp = |secs: u64| Duration::from_secs(secs.clamp(1, MAX_TIMEOUT_SECS));
        http::Options {
            ca_file: self.ca_file.as_deref(),
            timeout: self.timeout.map(clamp),
            connect_timeout: self.connect_timeout.map(clamp),
        }
    }
}

/// The settings `config get` / `config set` know, in the order `config show` prints them.
pub const KEYS: &[&str] = &[
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "device_authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "audience",
    "ca_file",
    "client_auth",
    "timeout",
    "connect_timeout",
    "hosts",
    "verification_hosts",
    "username",
    "git_auth",
    "session_warning",
];

/// Keys whose value is a whole number of seconds.
const SECONDS_KEYS: &[&str] = &["timeout", "connect_timeout"];

/// Longest timeout a profile may set: an hour is already far past any sane answer.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

/// Keys whose change makes cached discovery results meaningless.
const INVALIDATES_DISCOVERY: &[&str] = &["issuer", "ca_file"];

/// Where the profile being acted on was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    /// A `.keycard-profile` file in the working directory or a parent; the path is
    /// found once per process and lives as long as it (see `env::profile_file`).
    File(&'static Path),
    Config,
    Default,
}

impl Source {
    pub fn describe(self) -> String {
        match self {
            Source::Flag => "from --profile".into(),
            Source::Env => "from KEYCARD_PROFILE".into(),
            Source::File(path) => format!("from {}", path.display()),
            Source::Config => "active in config.toml".into(),
            Source::Default => "default".into(),
        }
    }

    /// The file that chose the profile, for `--json` (`source_file`).
    pub fn file(self) -> Option<&'static Path> {
        match self {
            Source::File(path) => Some(path),
            _ => None,
        }
    }
}

/// `--json` names the kind only ("file"); the path goes in `source_file`.
impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::File(_) => "file",
            Source::Config => "config",
            Source::Default => "default",
        })
    }
}

/// The loaded config: typed view plus the path it came from.
#[derive(Debug)]
pub struct Config {
    path: PathBuf,
    file: ConfigFile,
    text: String,
}

impl Config {
    /// Reads config.toml; a missing file is an empty config. A symbolic link (a dotfile
    /// manager's) is followed; `ConfigEdit::save` writes beside its target.
    pub fn load(paths: &Paths) -> Result<Config> {
        let path = paths.config_file();
        let text = read_text(paths, &path)?;
        let file = parse(&text).map_err(|invalid| match invalid {
            Invalid::Toml { at, message } => anyhow::anyhow!(
                "{}{} is not valid: {message}; fix it by hand or move it aside",
                path.display(),
                at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default(),
            ),
            Invalid::ProfileName(message) => exit::usage(format!("{} {message}", path.display())),
        })?;
        Ok(Config { path, file, text })
    }

    /// Checks `text` exactly as `load` reads config.toml (`config edit` uses it on the
    /// edited copy): what is wrong, and where.
    pub fn check_text(text: &str) -> Result<(), Invalid> {
        parse(text).map(|_| ())
    }

    pub fn active(&self) -> Option<&str> {
        self.file.active.as_deref()
    }

    pub fn profile(&self, name: &ProfileName) -> Option<&Profile> {
        self.profile_named(name.as_str())
    }

    /// A profile by a name that may not be valid (a hand-written section in the file).
    pub fn profile_named(&self, name: &str) -> Option<&Profile> {
        self.file.profiles.get(name)
    }

    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.file.profiles.keys().map(String::as_str)
    }

    /// `--profile`, else `KEYCARD_PROFILE`, else `.keycard-profile` (all in `chosen`),
    /// else the active profile, else `default`.
    pub fn resolve(&self, chosen: Option<(&str, Source)>) -> Result<(ProfileName, Source)> {
        let (name, source) = match (chosen, self.active()) {
            (Some((name, source)), _) => (name, source),
            (None, Some(active)) => (active, Source::Config),
            (None, None) => ("default", Source::Default),
        };
        let name = ProfileName::parse(name).with_context(|| match source {
            Source::Config => format!("the active profile in {}", self.path.display()),
            other => other.describe(),
        })?;
        // A `.keycard-profile` only selects among the user's profiles: a name config.toml
        // does not have is a mistake in the file, never a new profile.
        if let Source::File(path) = source
            && self.profile(&name).is_none()
        {
            // Exit 3, as for a missing profile named any other way.
            return Err(exit::fail(
                exit::Code::NotSignedIn,
                format!(
                    "{} names profile '{name}', which is not in {} (profiles: {}); fix or \
                     remove that file, or add the profile with `{}`",
                    path.display(),
                    self.path.display(),
                    self.profile_names().collect::<Vec<_>>().join(", "),
                    crate::hint::no_profile(
                        "config add",
                        &format!("{name} --preset PRESET --client-id ID")
                    )
                ),
            ));
        }
        Ok((name, source))
    }

    /// The profile or an error that says how to create it.
    pub fn require(&self, name: &ProfileName) -> Result<&Profile> {
        self.profile(name).ok_or_else(|| self.missing(name))
    }

    /// The error for a profile that does not exist, the same from every command: exit 3,
    /// "not signed in" (SPEC: a missing config is exit 3 for `status`, and a profile that
    /// does not exist has no session to use), saying how to add it.
    pub fn missing(&self, name: &ProfileName) -> anyhow::Error {
        exit::fail(exit::Code::NotSignedIn, self.no_such_profile(name))
    }

    /// The existing profile `name` was probably meant to be ("prdo" for "prod").
    pub fn closest(&self, name: &ProfileName) -> Option<&str> {
        self.profile_names()
            .filter(|k| *k != name.as_str())
            .map(|k| (strsim::jaro_winkler(k, name.as_str()), k))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k)
    }

    /// "no profile named 'prdo'; did you mean 'prod'? ..." with the way out.
    pub fn no_such_profile(&self, name: &ProfileName) -> String {
        let known: Vec<&str> = self.profile_names().collect();
        // Both ways to add one: a preset for a well-known provider, an issuer for any.
        let add = format!(
            "add it with `{}` (see `{}`) or `{}`",
            hint::no_profile(
                "config add",
                &format!("{name} --preset PRESET --client-id ID")
            ),
            hint::no_profile("config presets", ""),
            hint::no_profile("config add", &format!("{name} --issuer URL --client-id ID")),
        );
        match (self.closest(name), known.is_empty()) {
            (Some(k), _) => format!(
                "no profile named '{name}'; did you mean '{k}'? (profiles: {}); or {add}",
                known.join(", ")
            ),
            (None, false) => format!(
                "no profile named '{name}' (profiles: {}); {add}",
                known.join(", ")
            ),
            (None, true) => format!("no profile named '{name}'; {add}"),
        }
    }

    /// Starts an edit that keeps the file's comments and layout.
    pub fn edit(&self) -> Result<ConfigEdit> {
        // toml's own rendering of the error quotes the line, which may hold a secret.
        let doc: DocumentMut = self.text.parse().map_err(|e: toml_edit::TomlError| {
            anyhow::anyhow!(
                "{} is not valid TOML: {}",
                self.path.display(),
                crate::secret::without_values(&one_line(e.message()))
            )
        })?;
        Ok(ConfigEdit {
            path: self.path.clone(),
            doc,
        })
    }
}

/// Why a config.toml text cannot be used.
#[derive(Debug)]
pub enum Invalid {
    /// Not TOML, or not keycard's settings (an unknown key, a wrong type); `at` is the
    /// line and column, from 1, when the parser knows them.
    Toml {
        at: Option<(usize, usize)>,
        message: String,
    },
    /// "has a profile named ..., which is not a valid profile name; ..."
    ProfileName(String),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Toml { message, .. } => f.write_str(message),
            Invalid::ProfileName(message) => f.write_str(message),
        }
    }
}

fn parse(text: &str) -> Result<ConfigFile, Invalid> {
    let file: ConfigFile = toml_edit::de::from_str(text).map_err(|e| Invalid::Toml {
        at: e.span().map(|s| line_col(text, s.start)),
        // Never a value: a client secret on the wrong line would be quoted otherwise.
        message: crate::secret::without_values(&one_line(e.message())),
    })?;
    // A section keycard could never address by name, and whose name must never become
    // a file name: refuse the file rather than guess.
    if let Some(bad) = file
        .profiles
        .keys()
        .find(|k| ProfileName::parse(k).is_err())
    {
        return Err(Invalid::ProfileName(format!(
            "has a profile named {bad:?}, which is not a valid profile name (1 to 64 \
             letters, digits, '.', '_' or '-'); rename that section by hand"
        )));
    }
    Ok(file)
}

/// A pending change to config.toml, written atomically by `save`.
pub struct ConfigEdit {
    path: PathBuf,
    doc: DocumentMut,
}

impl ConfigEdit {
    pub fn set_active(&mut self, name: &ProfileName) {
        // Keep `active` at the top, where a person looks for it.
        self.doc["active"] = value(name.as_str());
    }

    pub fn clear_active(&mut self) {
        self.doc.remove("active");
    }

    fn profiles(&mut self) -> Result<&mut Table> {
        let item = self.doc.entry("profiles").or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        item.as_table_mut()
            .ok_or_else(|| self_edit_error(&self.path, "profiles"))
    }

    pub fn profile_mut(&mut self, name: &ProfileName) -> Result<&mut Table> {
        let path = self.path.clone();
        self.profiles()?
            .entry(name.as_str())
            .or_insert_with(|| Item::Table(Table::new()))
            .as_table_mut()
            .ok_or_else(|| self_edit_error(&path, &format!("profiles.{name}")))
    }

    pub fn remove_profile(&mut self, name: &ProfileName) -> Result<()> {
        self.profiles()?.remove(name.as_str());
        Ok(())
    }

    /// Sets one key; a list key takes a space-separated value.
    pub fn set_key(&mut self, name: &ProfileName, key: &str, raw: &str) -> Result<()> {
        check_key(key)?;
        let table = self.profile_mut(name)?;
        if key == "scopes" {
            let scopes: toml_edit::Array = raw.split_whitespace().collect();
            table[key] = value(scopes);
        } else if SECONDS_KEYS.contains(&key) {
            table[key] = value(parse_seconds(key, raw)? as i64);
        } else if key == "client_auth" {
            table[key] = value(ClientAuth::parse(raw)?.as_str());
        } else if key == "git_auth" {
            table[key] = value(GitAuth::parse(raw)?.as_str());
        } else if key == "hosts" {
            let hosts = raw
                .split_whitespace()
                .map(|h| Host::entry(h).map(|h| h.to_string()))
                .collect::<Result<toml_edit::Array>>()?;
            table[key] = value(hosts);
        } else if key == "verification_hosts" {
            let hosts = raw
                .split_whitespace()
                .map(crate::url_rules::check_host_name)
                .collect::<Result<toml_edit::Array>>()?;
            table[key] = value(hosts);
        } else if key == "username" {
            table[key] = value(check_username(raw)?);
        } else if key == "session_warning" {
            table[key] = value(parse_session_warning(raw)? as i64);
        } else {
            table[key] = value(raw);
        }
        if INVALIDATES_DISCOVERY.contains(&key) || key.ends_with("_endpoint") {
            table.remove("discovered");
        }
        Ok(())
    }

    pub fn set_discovered(&mut self, name: &ProfileName, discovered: &Discovered) -> Result<()> {
        let item = toml_edit::ser::to_document(discovered)
            .context("cannot encode discovery results")?
            .as_table()
            .clone();
        self.profile_mut(name)?["discovered"] = Item::Table(item);
        Ok(())
    }

    /// Replaces config.toml atomically; when it is a symbolic link, the file it points
    /// at is replaced instead, so the link (and the dotfile manager behind it) survives.
    pub fn save(self) -> Result<()> {
        let target = fsio::through_links(&self.path)?;
        fsio::write_private(&target, self.doc.to_string().as_bytes())
            .with_context(|| format!("cannot save {}", self.path.display()))
    }
}

/// No config.toml is this big; a bigger one (or `/dev/zero` behind a link) is not read.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// config.toml's text as it is, valid or not (`config edit` starts from it), read with
/// the same checks as `Config::load`.
pub fn raw_text(paths: &Paths) -> Result<String> {
    read_text(paths, &paths.config_file())
}

/// config.toml's text, empty when there is none. The directory and the file must be the
/// user's own and writable by nobody else (`trust`); the file is opened without blocking
/// (a FIFO planted there must not hang a prompt), must be a regular file, and is read up
/// to a size limit.
fn read_text(paths: &Paths, path: &Path) -> Result<String> {
    match std::fs::metadata(paths.dir()) {
        Ok(meta) if meta.is_dir() => trust::check(paths.dir(), &meta, Rule::Private)?,
        // A file in the way: opening config.toml below reports it.
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            return Err(fsio::unusable_dir(paths.dir(), "use", &e));
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", paths.dir().display()));
        }
    }
    let file = match fsio::open_nonblocking(path, true) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            return Err(fsio::unusable_dir(paths.dir(), "use", &e));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        anyhow::bail!(
            "{} is a directory, not a config file; move it aside",
            path.display()
        );
    }
    if !meta.is_file() {
        anyhow::bail!(
            "{} is {}, not a config file; keycard does not read it: move it aside",
            path.display(),
            fsio::kind_of(&meta)
        );
    }
    trust::check(path, &meta, Rule::Private)?;
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_FILE_BYTES) as usize);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&file, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        anyhow::bail!(
            "{} is larger than 1 MiB, far more than any config file; fix it by hand or move it aside",
            path.display()
        );
    }
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not valid: it is not UTF-8 text; fix it by hand or move it aside",
            path.display()
        )
    })
}

/// keycard edits `[profiles.NAME]` sections; an inline table written by hand cannot take
/// new keys without reformatting the user's file, so ask them instead.
fn self_edit_error(path: &Path, table: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: `{table}` is an inline table; rewrite it as a [{table}] section so keycard can edit it",
        path.display()
    )
}

pub fn check_key(key: &str) -> Result<()> {
    if KEYS.contains(&key) {
        return Ok(());
    }
    let suggestion = KEYS
        .iter()
        .find(|k| {
            k.contains(key) || key.contains(*k) || k.replace('_', "") == key.replace(['-', '_'], "")
        })
        .map(|k| format!(" (did you mean '{k}'?)"))
        .unwrap_or_default();
    Err(exit::usage(format!(
        "unknown setting '{key}'{suggestion}; settings are: {}",
        KEYS.join(", ")
    )))
}

/// A user name for HTTP Basic authentication: RFC 7617 allows no colon in it, and a
/// line break would end git's credential answer early.
pub fn check_username(raw: &str) -> Result<&str> {
    if raw.is_empty() || raw.contains(':') || raw.chars().any(char::is_control) {
        return Err(exit::usage(format!(
            "username must be a non-empty name without ':' or control characters, not {raw:?}"
        )));
    }
    Ok(raw)
}

/// `session_warning`: a duration as people write it (`12h`, `2d`, `3600`), at most a
/// year; `0` turns the warning off.
pub fn parse_session_warning(raw: &str) -> Result<u64> {
    crate::cli::parse_duration(raw)
        .map(|d| d.as_secs())
        .map_err(|e| exit::usage(format!("session_warning: {e}")))
}

/// A timeout setting: whole seconds, 1 to an hour.
pub fn parse_seconds(key: &str, raw: &str) -> Result<u64> {
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_TIMEOUT_SECS).contains(&n) => Ok(n),
        _ => Err(exit::usage(format!(
            "{key} must be a whole number of seconds from 1 to {MAX_TIMEOUT_SECS}, not {raw:?}"
        ))),
    }
}

/// The line and column of byte `offset` in `text`, both from 1, as compilers count them.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// toml's errors span several lines with a caret diagram; keep the first sentence.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^' || c == ' ')
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config {
            path: PathBuf::from("/x/config.toml"),
            file: toml_edit::de::from_str(text).unwrap(),
            text: text.to_string(),
        }
    }

    #[test]
    fn resolution_order_is_flag_env_active_default() {
        let c = config("active = \"prod\"\n");
        let name = |r: Result<(ProfileName, Source)>| {
            let (n, s) = r.unwrap();
            (n.to_string(), s)
        };
        assert_eq!(
            name(c.resolve(Some(("x", Source::Flag)))),
            ("x".into(), Source::Flag)
        );
        assert_eq!(
            name(c.resolve(Some(("y", Source::Env)))),
            ("y".into(), Source::Env)
        );
        assert_eq!(name(c.resolve(None)), ("prod".into(), Source::Config));
        assert_eq!(
            name(config("").resolve(None)),
            ("default".into(), Source::Default)
        );
    }

    #[test]
    fn edits_keep_comments_and_order() {
        let text = "# my profiles\nactive = \"a\"\n\n[profiles.a]\n# the company IdP\nissuer = \"https://id.example.com\"\nclient_id = \"x\"\n";
        let c = config(text);
        let mut edit = c.edit().unwrap();
        let a = ProfileName::parse("a").unwrap();
        edit.set_key(&a, "client_id", "y").unwrap();
        edit.set_key(&a, "scopes", "openid  email").unwrap();
        let out = edit.doc.to_string();
        assert!(out.starts_with("# my profiles\nactive = \"a\"\n"), "{out}");
        assert!(
            out.contains(
                "# the company IdP\nissuer = \"https://id.example.com\"\nclient_id = \"y\"\n"
            ),
            "{out}"
        );
        assert!(out.contains("scopes = [\"openid\", \"email\"]"), "{out}");
    }

    #[test]
    fn changing_the_issuer_drops_cached_discovery() {
        let c = config(
            "[profiles.a]\nissuer = \"https://a\"\n[profiles.a.discovered]\nissuer = \"https://a\"\n",
        );
        let mut edit = c.edit().unwrap();
        edit.set_key(&ProfileName::parse("a").unwrap(), "issuer", "https://b")
            .unwrap();
        assert!(!edit.doc.to_string().contains("discovered"));
    }

    #[test]
    fn unknown_keys_are_refused_with_a_suggestion() {
        let err = check_key("clientid").unwrap_err();
        assert_eq!(exit::code_of(&err), exit::Code::Usage);
        assert!(
            err.to_string().contains("did you mean 'client_id'"),
            "{err}"
        );
    }
}
