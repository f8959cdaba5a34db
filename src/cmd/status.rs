//! `keycard status`: the profile's session, from local files only. No network, no lock,
//! no write: it must stay cheap enough for a shell prompt. Only `--check` goes online.
//!
//! `--short` and `--format` are for prompts: they never write to stderr (a broken file only
//! sets the exit code) and print nothing for a profile with no session, so an unconfigured
//! machine shows an empty prompt segment.

use crate::cli::StatusArgs;
use crate::config::{Config, Profile, Source};
use crate::env::{Clock, Env};
use crate::exit::{self, Code};
use crate::paths::ProfileName;
use crate::session;
use crate::state::{self, SessionState, TokenState};
use crate::ui;
use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};
use console::style;
use std::borrow::Cow;

/// How the result is printed.
enum Mode {
    Human,
    Json,
    Short,
    Format(Template),
}

impl Mode {
    /// A prompt is rendering: silence on stderr, nothing for a profile with no session.
    fn is_prompt(&self) -> bool {
        matches!(self, Mode::Short | Mode::Format(_))
    }
}

pub fn run(args: StatusArgs, env: &Env) -> Result<()> {
    if env.json && (args.short || args.format.is_some()) {
        return Err(exit::usage(
            "--json cannot be combined with --short or --format",
        ));
    }
    let mode = match &args.format {
        Some(t) => Mode::Format(Template::parse(t)?),
        None if args.short => Mode::Short,
        None if env.json => Mode::Json,
        None => Mode::Human,
    };
    let result = if args.all {
        all(&mode, env)
    } else {
        one(&mode, env, args.check)
    };
    match result {
        // The prompt must never break: keep the exit code, drop the words.
        Err(e) if mode.is_prompt() => Err(exit::silent(exit::code_of(&e))),
        other => other,
    }
}

fn one(mode: &Mode, env: &Env, check: bool) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (name, source) = env.profile(&config)?;
    // Online first, so that the report below shows the session as the check left it.
    let (checked, check_failed) = match check.then(|| check_online(env, &config, &name)) {
        None => (None, None),
        Some(Ok(checked)) => (Some(checked), None),
        // `--json | jq` still gets the object, with the failure in it.
        Some(Err(e)) if matches!(mode, Mode::Json) => (None, Some(e)),
        Some(Err(e)) => return Err(e),
    };
    let path = env.paths.token_file(&name);
    let stored = state::load(&path, name.as_str())?;
    if !mode.is_prompt() && stored.as_ref().is_some_and(|s| s.loose_mode) {
        ui::warn(&format!(
            "{} can be read by other users; fix it with `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    let now = env.clock.now();
    if !mode.is_prompt()
        && let Some(t) = stored.as_ref().map(|s| &s.tokens)
        && t.clock_went_back(now)
    {
        ui::warn(&format!(
            "profile '{name}' was signed in at {}, later than the system clock says it is now; \
             the clock went back, so its access token counts as expired",
            t.issued_at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    let loose = stored.as_ref().map(|s| s.loose_mode);
    let tokens = stored.map(|s| s.tokens);
    let report = Report::new(
        name.as_str(),
        Some(source),
        config.profile(&name),
        tokens.as_ref(),
        now,
    );
    match mode {
        Mode::Human => {
            ui::out(&report.human())?;
            // Where the credentials live, so nobody has to guess (there is no keyring).
            if let Some(loose) = loose {
                let who = if loose {
                    "readable by others too"
                } else {
                    "readable only by you"
                };
                ui::out(&format!("stored:   {} (plain file, {who})", path.display()))?;
            }
            if let Some(checked) = checked {
                ui::out(&format!("checked:  {}", checked.describe()))?;
            }
            if !report.session.is_usable() {
                let hint = match config.profile(&name) {
                    Some(_) => format!("Sign in with `keycard login --profile {name}`."),
                    // A login would fail: say how to get the profile first.
                    None if tokens.is_none() => format!("{}.", config.no_such_profile(&name)),
                    None => format!("Sign in with `keycard login --profile {name}`."),
                };
                ui::info(env, &hint);
            }
        }
        Mode::Json => {
            let mut json = report.json(None);
            if let Some(checked) = checked {
                json["checked"] = serde_json::to_value(checked)?;
            }
            if let Some(e) = &check_failed {
                json["checked"] = serde_json::json!({
                    "error": format!("{e:#}"),
                    "exit_code": exit::code_of(e) as i32,
                });
            }
            ui::out(&json.to_string())?;
            if let Some(e) = check_failed {
                return Err(e);
            }
        }
        Mode::Short | Mode::Format(_) => {
            if let Some(line) = report.prompt_line(mode) {
                ui::out(&line)?;
            }
        }
    }
    exit_for(report.session)
}

/// What `--check` confirmed online.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Checked {
    /// The provider's userinfo endpoint accepted the access token.
    Userinfo,
    /// The token is fresh (refreshed if it needed to be), but the provider has no
    /// userinfo endpoint to ask.
    NoUserinfo,
}

impl Checked {
    fn describe(self) -> &'static str {
        match self {
            Checked::Userinfo => "the provider accepts the session (userinfo answered)",
            Checked::NoUserinfo => {
                "fresh, but the provider offers no userinfo endpoint to confirm it with"
            }
        }
    }
}

/// `--check`: refresh when needed (as `token` would), then ask userinfo. Fails with exit
/// 3 when the provider no longer accepts the session, 4 when it cannot be reached.
fn check_online(env: &Env, config: &Config, name: &ProfileName) -> Result<Checked> {
    let tokens = session::fresh_tokens(env, config, name, session::Need::default())?;
    Ok(
        match super::whoami::userinfo_claims(env, config, name, &tokens)? {
            Some(_) => Checked::Userinfo,
            None => Checked::NoUserinfo,
        },
    )
}

fn exit_for(session: SessionState) -> Result<()> {
    if session.is_usable() {
        Ok(())
    } else {
        Err(exit::silent(Code::NotSignedIn))
    }
}

/// `--all`: every profile in config.toml, plus the one in use if it is not there. A broken
/// token file spoils only its own row. The exit code is that of the profile in use, as if
/// `--all` had not been given.
fn all(mode: &Mode, env: &Env) -> Result<()> {
    let config = Config::load(&env.paths)?;
    let (in_use, source) = env.profile(&config)?;
    let mut names: Vec<&str> = config.profile_names().collect();
    if !names.contains(&in_use.as_str()) {
        names.push(in_use.as_str());
        names.sort_unstable();
    }
    let now = env.clock.now();
    let mut rows = Vec::with_capacity(names.len());
    for name in names {
        let source = (name == in_use.as_str()).then_some(source);
        let loaded = ProfileName::parse(name).and_then(|n| {
            let path = env.paths.token_file(&n);
            state::load(&path, name)
        });
        rows.push(match loaded {
            Ok(stored) => Row {
                tokens: stored.map(|s| s.tokens),
                error: None,
                name,
                source,
            },
            Err(e) => Row {
                tokens: None,
                error: Some(e),
                name,
                source,
            },
        });
    }
    let reports: Vec<Report> = rows
        .iter()
        .map(|r| {
            let profile = config.profile_named(r.name);
            Report::new(r.name, r.source, profile, r.tokens.as_ref(), now)
        })
        .collect();

    match mode {
        Mode::Human => {
            ui::out(&table(&rows, &reports, &in_use, source))?;
            for row in &rows {
                if let Some(e) = &row.error {
                    ui::warn(&format!("{e:#}"));
                }
            }
        }
        Mode::Json => {
            let array: Vec<serde_json::Value> = rows
                .iter()
                .zip(&reports)
                .map(|(row, report)| report.json(row.error.as_ref()))
                .collect();
            ui::out(&serde_json::Value::Array(array).to_string())?;
        }
        Mode::Short | Mode::Format(_) => {
            for (row, report) in rows.iter().zip(&reports) {
                if row.error.is_none()
                    && let Some(line) = report.prompt_line(mode)
                {
                    ui::out(&line)?;
                }
            }
        }
    }
    let used = rows
        .iter()
        .zip(&reports)
        .find(|(row, _)| row.source.is_some());
    match used {
        Some((Row { error: Some(e), .. }, _)) => Err(exit::silent(exit::code_of(e))),
        Some((_, report)) => exit_for(report.session),
        None => exit_for(SessionState::None),
    }
}

/// One profile as `--all` read it.
struct Row<'a> {
    name: &'a str,
    /// Where the choice came from, for the profile in use only.
    source: Option<Source>,
    tokens: Option<TokenState>,
    error: Option<anyhow::Error>,
}

/// The `--all` table for people: a marker, then profile, state, time left, user, issuer.
fn table(rows: &[Row], reports: &[Report], in_use: &ProfileName, source: Source) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .zip(reports)
        .map(|(row, r)| {
            let state = if row.error.is_some() {
                "error"
            } else {
                r.session_word()
            };
            let left = match (r.session, r.usable_for()) {
                (SessionState::Valid, Some(d)) => ui::human_duration(d),
                _ => "-".into(),
            };
            [
                r.name.to_string(),
                state.to_string(),
                left,
                r.user().map_or("-".into(), |u| clean(u).into_owned()),
                r.issuer.map_or("-".into(), |i| clean(i).into_owned()),
            ]
        })
        .collect();
    let header = ["PROFILE", "STATE", "LEFT", "USER", "ISSUER"];
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |marker: &str, cells: &[String; 5], state_style: Option<SessionState>| {
        let mut out = String::from(marker);
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let padded = format!("{cell:<w$}");
            if i == 1
                && let Some(s) = state_style
            {
                out.push_str(&paint(s, &padded));
            } else {
                out.push_str(&padded);
            }
            if i + 1 < cells.len() {
                out.push_str("  ");
            }
        }
        out.trim_end().to_string()
    };
    let mut lines = vec![line("  ", &header.map(String::from), None)];
    for ((row, report), cells) in rows.iter().zip(reports).zip(&cells) {
        let marker = if row.source.is_some() { "* " } else { "  " };
        let state = row.error.is_none().then_some(report.session);
        lines.push(line(marker, cells, state));
    }
    lines.push(format!("* in use: {in_use} ({})", source.describe()));
    lines.join("\n")
}

/// Colours a state word by how usable the session is; plain unless stdout is a terminal.
fn paint(session: SessionState, text: &str) -> String {
    match session {
        SessionState::Valid => style(text).green().to_string(),
        SessionState::Refreshable => style(text).yellow().to_string(),
        SessionState::Expired | SessionState::None => style(text).red().to_string(),
    }
}

/// Text from a file, made safe for one line of a terminal or a prompt: no control
/// characters (an escape sequence in a claim must not repaint the terminal).
fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Everything status knows about one profile, ready to print.
struct Report<'a> {
    name: &'a str,
    /// Where the choice of this profile came from; `None` for the other rows of `--all`.
    source: Option<Source>,
    session: SessionState,
    issuer: Option<&'a str>,
    tokens: Option<&'a TokenState>,
    now: DateTime<Utc>,
}

impl<'a> Report<'a> {
    fn new(
        name: &'a str,
        source: Option<Source>,
        profile: Option<&'a Profile>,
        tokens: Option<&'a TokenState>,
        now: DateTime<Utc>,
    ) -> Report<'a> {
        let session = tokens.map_or(SessionState::None, |t| t.state(now));
        let issuer = tokens
            .and_then(|t| t.issuer.as_deref())
            .or_else(|| profile.and_then(|p| p.issuer.as_deref()));
        Report {
            name,
            source,
            session,
            issuer,
            tokens,
            now,
        }
    }

    fn usable_for(&self) -> Option<TimeDelta> {
        self.tokens.and_then(|t| t.usable_for(self.now))
    }

    fn user(&self) -> Option<&str> {
        self.tokens.and_then(|t| t.identity.display())
    }

    fn session_word(&self) -> &'static str {
        match self.session {
            SessionState::Valid => "valid",
            SessionState::Refreshable => "refreshable",
            SessionState::Expired => "expired",
            SessionState::None => "none",
        }
    }

    /// Time left for `{expires_in}` and `--short`: "42m", "1h05m"; "0s" once the access
    /// token counts as expired; empty with no expiry or no session.
    fn expires_in(&self) -> String {
        match self.usable_for() {
            Some(d) => ui::human_duration(d).replace(' ', ""),
            None => String::new(),
        }
    }

    fn state_line(&self) -> String {
        let line = match (self.session, self.usable_for()) {
            (SessionState::Valid, Some(left)) => {
                format!("valid, expires in {}", ui::human_duration(left))
            }
            (SessionState::Valid, None) => "valid, no expiry".into(),
            (SessionState::Refreshable, _) => {
                "refreshable (access token expired; refreshes on next use)".into()
            }
            (SessionState::Expired, _) => "expired".into(),
            (SessionState::None, _) => "not signed in".into(),
        };
        paint(self.session, &line)
    }

    fn human(&self) -> String {
        let source = self.source.unwrap_or(Source::Default);
        let mut lines = vec![format!("profile:  {} ({})", self.name, source.describe())];
        if let Some(issuer) = self.issuer {
            lines.push(format!("issuer:   {}", clean(issuer)));
        }
        if let Some(id) = self.tokens.map(|t| &t.identity).filter(|id| !id.is_empty()) {
            let who = match (&id.email, &id.name) {
                (Some(email), Some(name)) => format!("{email} ({name})"),
                _ => id.display().unwrap_or_default().to_string(),
            };
            lines.push(format!("user:     {}", clean(&who)));
        }
        lines.push(format!("state:    {}", self.state_line()));
        lines.join("\n")
    }

    /// The line for `--short` or `--format`; `None` when the profile has no session.
    fn prompt_line(&self, mode: &Mode) -> Option<String> {
        if self.session == SessionState::None {
            return None;
        }
        let line = match mode {
            Mode::Format(template) => template.render(self),
            _ => {
                // Never coloured: escape codes in PS1 confuse the shell's line editing.
                let word = self.session_word();
                match self.session {
                    SessionState::Valid if self.usable_for().is_some() => {
                        format!("{}:{word} {}", self.name, self.expires_in())
                    }
                    _ => format!("{}:{word}", self.name),
                }
            }
        };
        Some(line)
    }

    /// The stable `--json` object; it never carries a token. `error` is set only in an
    /// `--all` row whose token file cannot be read.
    fn json(&self, error: Option<&anyhow::Error>) -> serde_json::Value {
        let tokens = self.tokens;
        serde_json::json!({
            "profile": self.name,
            "in_use": self.source.is_some(),
            "source": self.source,
            "source_file": self.source.and_then(Source::file),
            "state": if error.is_some() { "error" } else { self.session_word() },
            "issuer": self.issuer,
            "user": tokens.map(|t| &t.identity),
            "scope": tokens.and_then(|t| t.scope.as_deref()),
            // As far as keycard trusts it (`expiry`): the file's own, unless absurd.
            "expires_at": tokens.and_then(|t| t.trusted_expiry(self.now)),
            "expires_in": self.usable_for().map(|d| d.num_seconds().max(0)),
            "error": error.map(|e| format!("{e:#}")),
        })
    }
}

/// A `--format` template, checked before anything is read.
struct Template(Vec<Piece>);

enum Piece {
    Text(String),
    Profile,
    State,
    ExpiresIn,
    User,
    Email,
    Issuer,
}

const PLACEHOLDERS: &str = "{profile} {state} {expires_in} {user} {email} {issuer}";

impl Template {
    /// `{name}` is a placeholder, `{{` and `}}` are literal braces.
    fn parse(text: &str) -> Result<Template> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(['{', '}']) {
            literal.push_str(&rest[..i]);
            let (brace, after) = rest[i..].split_at(1);
            if after.starts_with(brace) {
                literal.push_str(brace);
                rest = &after[1..];
                continue;
            }
            if brace == "}" {
                return Err(exit::usage(
                    "unmatched '}' in --format; write '}}' for a literal brace",
                ));
            }
            let Some(end) = after.find('}') else {
                return Err(exit::usage(
                    "unclosed '{' in --format; write '{{' for a literal brace",
                ));
            };
            let piece = match &after[..end] {
                "profile" => Piece::Profile,
                "state" => Piece::State,
                "expires_in" => Piece::ExpiresIn,
                "user" => Piece::User,
                "email" => Piece::Email,
                "issuer" => Piece::Issuer,
                other => {
                    return Err(exit::usage(format!(
                        "unknown placeholder {{{}}} in --format; use {PLACEHOLDERS}",
                        clean(other)
                    )));
                }
            };
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(piece);
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template(pieces))
    }

    /// Unknown values are empty; values from files lose their control characters.
    fn render(&self, r: &Report) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            let value: Cow<str> = match piece {
                Piece::Text(t) => Cow::Borrowed(t),
                Piece::Profile => Cow::Borrowed(r.name),
                Piece::State => Cow::Borrowed(r.session_word()),
                Piece::ExpiresIn => Cow::Owned(r.expires_in()),
                Piece::User => clean(r.user().unwrap_or_default()),
                Piece::Email => clean(
                    r.tokens
                        .and_then(|t| t.identity.email.as_deref())
                        .unwrap_or_default(),
                ),
                Piece::Issuer => clean(r.issuer.unwrap_or_default()),
            };
            out.push_str(&value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_for(tokens: Option<&TokenState>, now: DateTime<Utc>) -> String {
        let r = Report::new("prod", Some(Source::Config), None, tokens, now);
        let t = Template::parse("{profile}|{state}|{expires_in}|{user}|{email}|{issuer}|{{x}}")
            .unwrap();
        t.render(&r)
    }

    fn tokens(now: DateTime<Utc>, secs: i64) -> TokenState {
        serde_json::from_value(serde_json::json!({
            "version": 1,
            "access_token": "at",
            "token_type": "Bearer",
            "expires_at": now + TimeDelta::seconds(secs),
            "issued_at": now - TimeDelta::hours(1),
            "issuer": "https://id.example.com",
            "client_id": "cli",
            "identity": {"sub": "u1", "email": "a@example.com\u{1b}[2J"},
        }))
        .unwrap()
    }

    #[test]
    fn templates_fill_every_placeholder_and_strip_control_characters() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let t = tokens(now, 3600 + 5 * 60 + 300);
        assert_eq!(
            report_for(Some(&t), now),
            "prod|valid|1h05m|a@example.com [2J|a@example.com [2J|https://id.example.com|{x}"
        );
        assert_eq!(report_for(None, now), "prod|none|||||{x}");
    }

    #[test]
    fn bad_templates_are_usage_errors() {
        for bad in ["{nope}", "{profile", "x}", "{}", "{PROFILE}"] {
            let err = Template::parse(bad).err().expect(bad);
            assert_eq!(exit::code_of(&err), Code::Usage, "{bad}");
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }
}
