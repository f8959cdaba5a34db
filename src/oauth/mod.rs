//! OAuth 2.0 wire types, read leniently: providers bend the RFCs in known ways (numbers as
//! strings, `verification_url`, errors with HTTP 200), and keycard should survive all of them.

pub mod device;
pub mod discovery;
pub mod links;
pub mod refusal;
pub mod token;

use crate::exit;
use crate::http::Reply;
use crate::secret::{Secret, scrub};
use crate::text::one_line;
use anyhow::Result;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// RFC 8628 §3.2, plus the dialects seen in the wild.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    /// Google (and some Microsoft endpoints) say `verification_url`.
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    #[serde(default, alias = "verification_url_complete")]
    pub verification_uri_complete: Option<String>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<u64>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub interval: Option<u64>,
    /// Microsoft's ready-made instruction sentence.
    #[serde(default)]
    pub message: Option<String>,
}

/// RFC 6749 §5.1.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub id_token: Option<Secret>,
    #[serde(default)]
    pub scope: Option<String>,
    /// Keycloak: seconds until the refresh token, and so the SSO session, ends; 0 for an
    /// offline token with no limit (keycloak/keycloak#8919, #48063).
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub refresh_expires_in: Option<u64>,
    /// GitHub Apps: seconds until the refresh token expires, six months from issue
    /// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub refresh_token_expires_in: Option<u64>,
}

impl TokenResponse {
    /// The answer, if keycard may use and print its tokens. RFC 6749 §7.1: a client must
    /// not use a token whose type it does not understand, so `token_type` must be
    /// `Bearer` (any case; absent is taken as Bearer: GitHub's form answers and several
    /// refresh answers leave it out). Every token must be a `token_chars` string, so that
    /// `$(keycard token)` in a header cannot carry a second header line.
    pub fn checked(self, url: &str) -> Result<TokenResponse> {
        if let Some(kind) = &self.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            let shown: String = one_line(kind).chars().take(40).collect();
            return Err(exit::fail(
                exit::Code::Failure,
                format!(
                    "{url} issued a token of type {shown:?}, which keycard cannot use (it \
                     sends Bearer tokens, RFC 6750); set the client up at the provider for \
                     Bearer tokens (without DPoP or MTLS binding)"
                ),
            ));
        }
        let tokens = [
            ("an access token", Some(&self.access_token)),
            ("a refresh token", self.refresh_token.as_ref()),
            ("an ID token", self.id_token.as_ref()),
        ];
        for (what, token) in tokens {
            if token.is_some_and(|t| !token_chars(t.expose())) {
                return Err(exit::network(format!(
                    "{url} sent {what} with spaces, control or non-ASCII characters in it \
                     (RFC 6750 allows none); keycard neither stores nor prints it"
                )));
            }
        }
        Ok(self)
    }
}

/// A token keycard may store and print: non-empty printable ASCII without spaces (a
/// superset of RFC 6750's `b64token`, so no provider's tokens are refused for style).
pub fn token_chars(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

/// RFC 6749 §5.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: String,
    pub description: Option<String>,
    /// GitHub sends the new interval with `slow_down`.
    pub interval: Option<u64>,
}

impl OAuthError {
    /// "access_denied: The user declined" or just the code.
    pub fn summary(&self) -> String {
        match &self.description {
            Some(d) if !d.trim().is_empty() => {
                format!("{}: {}", one_line(&self.error), one_line(d))
            }
            _ => one_line(&self.error).into_owned(),
        }
    }
}

/// What an OAuth endpoint said: success, an OAuth error, or a server failure.
#[derive(Debug)]
pub enum Answer<T> {
    Ok(T),
    Error(OAuthError),
    /// 5xx (with or without an OAuth error such as `temporarily_unavailable`): the
    /// server is having trouble, worth retrying.
    ServerTrouble(String),
}

/// Classifies a reply. 5xx is trouble, even with an OAuth `error` in it
/// (`temporarily_unavailable`); otherwise an `error` member wins whatever the status
/// (GitHub sends errors with 200); then 2xx must parse as `T`; anything else is garbage.
pub fn read_answer<T: for<'de> Deserialize<'de>>(reply: &Reply, what: &str) -> Result<Answer<T>> {
    let fields = match reply.fields() {
        Ok(fields) => fields,
        // Says what came back (an HTML error page, say) and its content type.
        Err(e) if reply.status >= 500 => return Ok(Answer::ServerTrouble(e.to_string())),
        Err(_) if reply.status == 404 || reply.status == 410 => {
            return Err(NotFound::error(reply));
        }
        Err(e) => return Err(e),
    };
    if reply.status >= 500 {
        let said = oauth_error(&fields, &reply.sent)
            .map(|e| format!(" ({})", e.summary()))
            .unwrap_or_default();
        return Ok(Answer::ServerTrouble(format!(
            "{} answered HTTP {}{said}",
            reply.url, reply.status
        )));
    }
    if let Some(err) = oauth_error(&fields, &reply.sent) {
        return Ok(Answer::Error(err));
    }
    if reply.status == 404 || reply.status == 410 {
        return Err(NotFound::error(reply));
    }
    if !reply.is_success() {
        return Err(exit::network(format!(
            "{} answered HTTP {} without an OAuth error",
            reply.url, reply.status
        )));
    }
    serde_json::from_value(Value::Object(fields))
        .map(Answer::Ok)
        .map_err(|e| {
            exit::network(format!(
                "{} sent a {what} keycard cannot use: {}",
                reply.url,
                crate::secret::without_values(&e.to_string())
            ))
        })
}

/// An endpoint answered 404 or 410 without an OAuth error: it is not (or no longer)
/// there. Endpoints cached from discovery are then discovered again (`discovery`).
#[derive(Debug)]
pub struct NotFound {
    pub url: String,
    status: u16,
    /// Carries the exit code (4) through `exit::code_of`, which walks the sources.
    cause: exit::Coded,
}

impl NotFound {
    fn error(reply: &Reply) -> anyhow::Error {
        anyhow::Error::new(NotFound {
            url: reply.url.clone(),
            status: reply.status,
            cause: exit::Coded {
                code: exit::Code::Network,
                message: "no such endpoint; check the profile's endpoints".into(),
            },
        })
    }

    /// Whether `err` is, or was caused by, a `NotFound`.
    pub fn is(err: &anyhow::Error) -> bool {
        err.chain().any(|e| e.is::<NotFound>())
    }
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} answered HTTP {}", self.url, self.status)
    }
}

impl std::error::Error for NotFound {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// The OAuth error in `fields`, if any, with the credentials the request carried (and
/// anything else token-like) taken out of its text, which ends up in messages.
fn oauth_error(fields: &Map<String, Value>, sent: &[Secret]) -> Option<OAuthError> {
    let error = scrub(fields.get("error")?.as_str()?, sent);
    let description = fields
        .get("error_description")
        .and_then(Value::as_str)
        .map(|d| scrub(d, sent));
    let interval = fields.get("interval").and_then(seconds_of);
    Some(OAuthError {
        error,
        description,
        interval,
    })
}

/// Seconds given as a number or a numeric string; negatives count as zero, fractions
/// round up, anything else is absent.
fn seconds_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_i64().map(|i| i.max(0) as u64))
            .or_else(|| {
                n.as_f64().map(|f| {
                    if f.is_finite() && f > 0.0 {
                        f.ceil().min(u64::MAX as f64) as u64
                    } else {
                        0
                    }
                })
            }),
        Value::String(s) => seconds_of(
            &serde_json::from_str::<Value>(s.trim())
                .ok()
                .filter(Value::is_number)?,
        ),
        _ => None,
    }
}

fn lenient_seconds<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .as_ref()
        .and_then(seconds_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            url: "http://127.0.0.1/x".into(),
            status,
            content_type: "application/json".into(),
            body: body.as_bytes().to_vec(),
            sent: vec![Secret::new("rt-we-sent")],
        }
    }

    #[test]
    fn numbers_may_be_strings_and_are_clamped_at_zero() {
        for (raw, want) in [
            ("5", Some(5)),
            ("\"7\"", Some(7)),
            ("-3", Some(0)),
            ("2.5", Some(3)),
            ("\"x\"", None),
            ("null", None),
            ("true", None),
        ] {
            let v: Value = serde_json::from_str(raw).unwrap();
            assert_eq!(seconds_of(&v), want, "{raw}");
        }
    }

    #[test]
    fn device_authorization_accepts_google_and_microsoft_dialects() {
        let d: DeviceAuthorization = serde_json::from_str(
            r#"{"device_code":"d","user_code":"ABCD-EFGH","verification_url":"https://x/device","expires_in":"900","message":"To sign in..."}"#,
        )
        .unwrap();
        assert_eq!(d.verification_uri, "https://x/device");
        assert_eq!(d.expires_in, Some(900));
        assert_eq!(d.interval, None);
        assert!(d.message.is_some());
    }

    #[test]
    fn errors_are_found_whatever_the_status() {
        let a = read_answer::<TokenResponse>(
            &reply(200, r#"{"error":"authorization_pending"}"#),
            "token",
        )
        .unwrap();
        assert!(matches!(a, Answer::Error(e) if e.error == "authorization_pending"));
        let a = read_answer::<TokenResponse>(
            &reply(400, r#"{"error":"slow_down","interval":"10"}"#),
            "token",
        )
        .unwrap();
        assert!(matches!(a, Answer::Error(e) if e.interval == Some(10)));
    }

    #[test]
    fn an_oauth_error_with_a_5xx_is_still_trouble() {
        let a = read_answer::<TokenResponse>(
            &reply(503, r#"{"error":"temporarily_unavailable"}"#),
            "token",
        )
        .unwrap();
        assert!(
            matches!(&a, Answer::ServerTrouble(m) if m.contains("temporarily_unavailable")),
            "{a:?}"
        );
    }

    #[test]
    fn server_errors_are_trouble_and_bad_success_is_garbage() {
        assert!(matches!(
            read_answer::<TokenResponse>(&reply(503, "oops"), "token").unwrap(),
            Answer::ServerTrouble(_)
        ));
        let err = read_answer::<TokenResponse>(&reply(200, r#"{"token_type":"Bearer"}"#), "token")
            .unwrap_err();
        assert_eq!(exit::code_of(&err), exit::Code::Network);
        assert!(err.to_string().contains("access_token"), "{err}");
    }

    #[test]
    fn not_found_is_recognisable_and_exits_4() {
        let err = read_answer::<TokenResponse>(&reply(404, "Not Found"), "token").unwrap_err();
        assert!(NotFound::is(&err));
        assert_eq!(exit::code_of(&err), exit::Code::Network);
        assert_eq!(
            format!("{err:#}"),
            "http://127.0.0.1/x answered HTTP 404: no such endpoint; check the profile's endpoints"
        );
        let other = read_answer::<TokenResponse>(&reply(403, "{}"), "token").unwrap_err();
        assert!(!NotFound::is(&other));
    }

    #[test]
    fn messages_never_carry_a_token_from_the_answer_or_the_request() {
        let a = read_answer::<TokenResponse>(
            &reply(
                400,
                r#"{"error":"invalid_grant","error_description":"rt-we-sent is revoked"}"#,
            ),
            "token",
        )
        .unwrap();
        assert!(
            matches!(&a, Answer::Error(e) if e.summary() == "invalid_grant: [redacted] is revoked"),
            "{a:?}"
        );
        let err = read_answer::<TokenResponse>(
            &reply(
                200,
                r#"{"access_token":12345678901234567,"token_type":"Bearer"}"#,
            ),
            "token response",
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(!msg.contains("12345678901234567"), "{msg}");
        assert!(
            msg.contains("invalid type: integer, expected a string"),
            "{msg}"
        );
    }

    #[test]
    fn provider_text_cannot_drive_the_terminal() {
        let e = OAuthError {
            error: "access_denied".into(),
            description: Some("no\x1b]0;pwned\x07 way\nsecond line".into()),
            interval: None,
        };
        assert_eq!(e.summary(), "access_denied: no way second line");
    }

    mod properties {
        use super::super::*;
        use crate::http::hostile;
        use crate::oauth::device::{
            MAX_EXPIRY, MAX_INTERVAL, MIN_INTERVAL, PollState, code_lifetime,
        };
        use proptest::prelude::*;

        fn device_auth_in_range(d: &DeviceAuthorization) -> Result<(), TestCaseError> {
            let interval = PollState::new(d.interval).interval();
            prop_assert!(
                (MIN_INTERVAL..=MAX_INTERVAL).contains(&interval),
                "{interval:?}"
            );
            let lifetime = code_lifetime(d.expires_in);
            prop_assert!(
                !lifetime.is_zero() && lifetime <= MAX_EXPIRY,
                "{lifetime:?}"
            );
            Ok(())
        }

        proptest! {
            #![proptest_config(crate::property::config())]

            #[test]
            fn no_answer_makes_a_parser_panic(reply in hostile::reply()) {
                let _ = reply.fields();
                if let Ok(Answer::Ok(d)) = read_answer::<DeviceAuthorization>(&reply, "device authorization") {
                    device_auth_in_range(&d)?;
                }
                match read_answer::<TokenResponse>(&reply, "token response") {
                    Ok(Answer::Error(e)) => prop_assert!(!e.summary().chars().any(char::is_control)),
                    Ok(Answer::ServerTrouble(m)) => prop_assert!(!m.contains('\n')),
                    _ => {}
                }
                let _ = read_answer::<Value>(&reply, "revocation response");
            }

            #[test]
            fn device_authorizations_with_any_numbers_stay_in_range(
                interval in hostile::json(),
                expires_in in hostile::json(),
                status in prop_oneof![Just(200u16), Just(400)],
            ) {
                let body = serde_json::json!({
                    "device_code": "d", "user_code": "U", "verification_uri": "https://x/d",
                    "interval": interval, "expires_in": expires_in,
                });
                let reply = Reply {
                    url: "http://127.0.0.1/x".into(),
                    status,
                    content_type: "application/json".into(),
                    body: body.to_string().into_bytes(),
                    sent: Vec::new(),
                };
                if let Ok(Answer::Ok(d)) = read_answer::<DeviceAuthorization>(&reply, "device authorization") {
                    device_auth_in_range(&d)?;
                }
            }

            #[test]
            fn any_json_is_some_seconds_or_none(v in hostile::json()) {
                let _ = seconds_of(&v);
            }
        }
    }
}
