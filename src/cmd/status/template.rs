//! `status --format`: the template, checked before anything is read, and its rendering.

use super::report::Report;
use crate::exit;
use crate::text::one_line;
use anyhow::Result;
use std::borrow::Cow;

/// A `--format` template, checked before anything is read.
pub(super) struct Template(Vec<Piece>);

enum Piece {
    Text(String),
    Profile,
    State,
    ExpiresIn,
    SessionExpiresIn,
    User,
    Email,
    Issuer,
}

const PLACEHOLDERS: &str =
    "{profile} {state} {expires_in} {session_expires_in} {user} {email} {issuer}";

impl Template {
    /// `{name}` is a placeholder, `{{` and `}}` are literal braces.
    pub(super) fn parse(text: &str) -> Result<Template> {
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
                "session_expires_in" => Piece::SessionExpiresIn,
                "user" => Piece::User,
                "email" => Piece::Email,
                "issuer" => Piece::Issuer,
                other => {
                    return Err(exit::usage(format!(
                        "unknown placeholder {{{}}} in --format; use {PLACEHOLDERS}",
                        one_line(other)
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
    pub(super) fn render(&self, r: &Report) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            let value: Cow<str> = match piece {
                Piece::Text(t) => Cow::Borrowed(t),
                Piece::Profile => Cow::Borrowed(r.name),
                Piece::State => Cow::Borrowed(r.session_word()),
                Piece::ExpiresIn => Cow::Owned(r.expires_in()),
                Piece::SessionExpiresIn => Cow::Owned(r.session_expires_in()),
                Piece::User => one_line(r.user().unwrap_or_default()),
                Piece::Email => one_line(
                    r.tokens
                        .and_then(|t| t.identity.email.as_deref())
                        .unwrap_or_default(),
                ),
                Piece::Issuer => one_line(r.issuer.unwrap_or_default()),
            };
            out.push_str(&value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use crate::exit::Code;
    use crate::state::TokenState;
    use chrono::{DateTime, TimeDelta, Utc};

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
            "prod|valid|1h05m|a@example.com|a@example.com|https://id.example.com|{x}"
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
