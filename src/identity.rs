//! Who is signed in, read from the ID token's claims (or, for a provider without ID
//! tokens such as GitHub, from its userinfo answer at sign-in).
//!
//! The signature is not checked: the token came straight from the token endpoint over a
//! TLS (or loopback) connection keycard opened itself, which OpenID Connect Core §3.1.3.7
//! accepts in place of signature validation, and the claims are only displayed.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// GitHub's user name (`login` in `GET /user`), which is how GitHub users know
    /// themselves; OpenID providers leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

impl Identity {
    /// The most recognisable name: a GitHub login, else email, else a username or name,
    /// else the subject.
    pub fn display(&self) -> Option<&str> {
        self.login
            .as_deref()
            .or(self.email.as_deref())
            .or(self.name.as_deref())
            .or(self.sub.as_deref())
    }

    pub fn is_empty(&self) -> bool {
        self.sub.is_none() && self.email.is_none() && self.name.is_none() && self.login.is_none()
    }
}

/// The JSON claims of a JWT, or `None` when it is not a readable JWT.
pub fn claims(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

pub fn from_id_token(jwt: &str) -> Identity {
    let Some(claims) = claims(jwt) else {
        return Identity::default();
    };
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_string);
    Identity {
        sub: text("sub"),
        email: text("email"),
        name: text("name").or_else(|| text("preferred_username")),
        login: None,
    }
}

/// The identity in a userinfo answer: OpenID's claims, or GitHub's `GET /user` (`login`,
/// a numeric `id`, `name` and `email`, either of which may be null).
pub fn from_userinfo(claims: &Map<String, Value>) -> Identity {
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_string);
    let id = match claims.get("id") {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Identity {
        sub: text("sub").or(id),
        email: text("email"),
        name: text("name").or_else(|| text("preferred_username")),
        login: text("login"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", enc(r#"{"alg":"RS256"}"#), enc(claims))
    }

    #[test]
    fn reads_sub_email_and_name() {
        let id = from_id_token(&jwt(r#"{"sub":"u1","email":"a@b.c","name":"Alice"}"#));
        assert_eq!(id.sub.as_deref(), Some("u1"));
        assert_eq!(id.display(), Some("a@b.c"));
        assert_eq!(id.name.as_deref(), Some("Alice"));
    }

    #[test]
    fn falls_back_to_preferred_username() {
        let id = from_id_token(&jwt(r#"{"sub":"u1","preferred_username":"alice"}"#));
        assert_eq!(id.display(), Some("alice"));
    }

    #[test]
    fn a_github_user_is_shown_by_login() {
        let user: Map<String, Value> = serde_json::from_str(
            r#"{"login":"octocat","id":583231,"name":null,"email":"octo@example.com"}"#,
        )
        .unwrap();
        let id = from_userinfo(&user);
        assert_eq!(id.display(), Some("octocat"));
        assert_eq!(id.sub.as_deref(), Some("583231"));
        assert_eq!(id.name, None);
    }

    #[test]
    fn garbage_is_an_empty_identity_not_a_panic() {
        for bad in [
            "",
            "a",
            "a.b",
            "a.!!!.c",
            &jwt("[1,2]"),
            &jwt(r#"{"sub":5}"#),
        ] {
            let id = from_id_token(bad);
            assert!(id.sub.is_none() && id.email.is_none(), "{bad}");
        }
    }

    mod properties {
        use super::*;
        use crate::http::hostile;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(crate::property::config())]

            #[test]
            fn any_string_is_an_identity_or_none(raw in "\\PC{0,64}") {
                let _ = from_id_token(&raw);
            }

            #[test]
            fn any_claims_read_as_strings_only(claims in hostile::json(), cut in any::<bool>()) {
                let mut token = jwt(&claims.to_string());
                if cut {
                    token.truncate(token.len() / 2);
                }
                let id = from_id_token(&token);
                if let (Some(sub), Some(map)) = (&id.sub, claims.as_object()) {
                    prop_assert_eq!(map.get("sub").and_then(Value::as_str), Some(sub.as_str()));
                }
            }
        }
    }
}
