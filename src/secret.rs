//! A string that never prints itself: `Debug` and `Display` show `[redacted]`, so a
//! stray `{:?}` in a log line cannot leak a token, a device code or a client secret.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; every call site is a place where it leaves the process.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Shorter values are not searched for in provider text: replacing every "abc" would
/// garble messages, and no credential is that short.
const MIN_KNOWN_LEN: usize = 6;
/// Opaque tokens, device codes and refresh tokens are long runs of token characters.
const MIN_TOKEN_LEN: usize = 32;

/// Provider text (an `error_description`, say) with every credential taken out: each of
/// `known` (what keycard sent in the request: a server may echo it back, "refresh token
/// X is invalid"), and any word that looks like a token (a JWT, or a long run of
/// letters, digits and `-._~+/=` mixing letters and digits; UUIDs stay, since providers
/// put trace ids in their messages).
pub fn scrub(text: &str, known: &[Secret]) -> String {
    let mut text = text.to_string();
    for secret in known.iter().map(Secret::expose) {
        if secret.len() >= MIN_KNOWN_LEN {
            text = text.replace(secret, "[redacted]");
        }
    }
    if !text.split_whitespace().any(looks_like_token) {
        return text;
    }
    text.split_whitespace()
        .map(|w| if looks_like_token(w) { "[redacted]" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word (surrounding quotes and punctuation ignored) that is probably a credential.
fn looks_like_token(word: &str) -> bool {
    let core = word
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '(' | ')' | ',' | ';' | ':' | '[' | ']'));
    let core = core.strip_suffix('.').unwrap_or(core);
    let token_char = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if core.is_empty() || !core.chars().all(token_char) {
        return false;
    }
    let jwt = core.starts_with("eyJ") && core.matches('.').count() == 2;
    let mixed =
        core.chars().any(|c| c.is_ascii_alphabetic()) && core.chars().any(|c| c.is_ascii_digit());
    jwt || (core.len() >= MIN_TOKEN_LEN && mixed && !is_uuid(core))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A parser's message (serde's, toml's) without the values it quotes: "invalid type:
/// integer `123...`, expected a string" would print a token sent as a number, and
/// "unknown variant `s3cr3t`" a client secret pasted into the wrong setting. What comes
/// after ", expected" is the parser's own vocabulary and stays; so does the name in
/// "unknown field `name`" or "missing field `name`" when it looks like a setting name
/// rather than a secret.
pub fn without_values(message: &str) -> String {
    let (head, expected) = match message.split_once(", expected ") {
        Some((head, expected)) => (head, Some(expected)),
        None => (message, None),
    };
    let setting_name = |q: &str| {
        q.len() <= 40
            && q.starts_with(|c: char| c.is_ascii_lowercase())
            && q.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let mut shown = String::new();
    let mut rest = head;
    while let Some(start) = rest.find(['`', '"']) {
        let quote = rest[start..].chars().next().unwrap_or('`');
        shown.push_str(rest[..start].trim_end());
        let Some(len) = rest[start + 1..].find(quote) else {
            // An unclosed quote: what follows it is all value.
            rest = "";
            break;
        };
        let quoted = &rest[start + 1..start + 1 + len];
        let names_a_field = shown.ends_with("unknown field") || shown.ends_with("missing field");
        if names_a_field && setting_name(quoted) {
            shown.push_str(&format!(" `{quoted}`"));
        }
        rest = &rest[start + len + 2..];
    }
    shown.push_str(rest);
    match expected {
        Some(e) => format!("{}, expected {e}", shown.trim_end()),
        None => shown.trim_end().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Secret, scrub};

    #[test]
    fn scrub_removes_what_was_sent_and_what_looks_like_a_token() {
        let sent = [Secret::new("rt-secret"), Secret::new("abc")];
        assert_eq!(
            scrub("refresh token 'rt-secret' is invalid for abc", &sent),
            "refresh token '[redacted]' is invalid for abc"
        );
        let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.";
        assert_eq!(
            scrub(&format!("bad token ({jwt})"), &[]),
            "bad token [redacted]"
        );
        assert_eq!(
            scrub(
                "token gho_16C7e42F292c6912E7710c838347Ae178B4a expired.",
                &[]
            ),
            "token [redacted] expired."
        );
        let kept = "AADSTS70000: The grant is invalid. Trace ID: \
                    0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0 Timestamp: 2024-01-01 00:00:00Z \
                    see https://login.example.com/error?code=70000";
        assert_eq!(scrub(kept, &[]), kept);
    }

    #[test]
    fn parser_messages_lose_the_values_they_quote() {
        use super::without_values;
        for (message, shown) in [
            (
                "invalid type: integer `123456789`, expected a string",
                "invalid type: integer, expected a string",
            ),
            (
                "invalid type: string \"s3cr3t-value\", expected u64",
                "invalid type: string, expected u64",
            ),
            (
                "unknown variant `s3cr3t-value`, expected `post` or `basic`",
                "unknown variant, expected `post` or `basic`",
            ),
            (
                "unknown field `clientsecret`, expected one of `issuer`",
                "unknown field `clientsecret`, expected one of `issuer`",
            ),
            ("unknown field `Xk9-s3cr3t`", "unknown field"),
            ("invalid value: `s3cr3t", "invalid value:"),
            (
                "missing field `access_token`",
                "missing field `access_token`",
            ),
        ] {
            assert_eq!(without_values(message), shown, "{message}");
        }
    }

    #[test]
    fn never_formats_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2");
    }
}
