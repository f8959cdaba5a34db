//! `status --all`: every profile, as a table for people, JSON, or prompt lines.

use super::report::{Report, paint};
use super::{Mode, exit_for};
use crate::config::{Config, Source};
use crate::env::{Clock, Env};
use crate::exit;
use crate::paths::ProfileName;
use crate::state::{self, SessionState, TokenState};
use crate::text::one_line;
use crate::ui;
use anyhow::Result;

/// `--all`: every profile in config.toml, plus the one in use if it is not there. A broken
/// token file spoils only its own row. The exit code is that of the profile in use, as if
/// `--all` had not been given.
pub(super) fn all(mode: &Mode, env: &Env) -> Result<()> {
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
                r.user().map_or("-".into(), |u| one_line(u).into_owned()),
                r.issuer.map_or("-".into(), |i| one_line(i).into_owned()),
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
