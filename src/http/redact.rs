//! The `-v` log without secrets: credential fields and members replaced, and whatever
//! the request sent taken out of everything else.

use super::{Method, Reply, basic_header};
use crate::secret::Secret;
use serde_json::Value;

/// Form fields and JSON members that are credentials.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "client_secret",
    "code",
    "token",
    "password",
    "assertion",
    "client_assertion",
    "subject_token",
    "actor_token",
    "issued_token",
];

/// Every credential in a request: secret form fields, the bearer token, and for Basic
/// the password and the header's base64.
pub(super) fn sent_secrets(method: &Method) -> Vec<Secret> {
    let mut sent = Vec::new();
    match method {
        Method::Get { bearer } => sent.extend(bearer.map(Secret::new)),
        Method::PostForm { form, basic } => {
            sent.extend(
                form.iter()
                    .filter(|(k, _)| SECRET_KEYS.contains(k))
                    .map(|(_, v)| Secret::new(*v)),
            );
            if let Some((user, password)) = basic {
                let header = basic_header(user, password);
                sent.push(Secret::new(header.trim_start_matches("Basic ")));
                sent.push(Secret::new(*password));
            }
        }
    }
    sent
}

/// A form field for the log: a secret member's value hidden, and in every other value
/// whatever secret the same request carries (an extra parameter that repeats it).
pub(super) fn redact_field(key: &str, value: &str, sent: &[Secret]) -> String {
    if SECRET_KEYS.contains(&key) {
        "[redacted]".to_string()
    } else {
        crate::secret::scrub(value, sent)
    }
}

/// A loggable rendering of a reply: secret members replaced at any depth, and every
/// value of one of them taken out wherever else it appears (under another member's
/// name, as a member name, inside a sentence), along with whatever the request sent and
/// whatever looks like a token; non-JSON bodies summarised.
pub(super) fn redact_body(reply: &Reply) -> String {
    match reply.fields() {
        Ok(map) => {
            let mut value = Value::Object(map);
            let mut known = reply.sent.clone();
            secret_values(&value, &mut known);
            redact_value(&mut value, &known);
            value.to_string()
        }
        Err(_) => format!("({} bytes, not shown)", reply.body.len()),
    }
}

/// Every string held by a secret member of `value`, at any depth.
fn secret_values(value: &Value, found: &mut Vec<Secret>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                match member {
                    Value::String(s) if SECRET_KEYS.contains(&key.as_str()) => {
                        found.push(Secret::new(s.as_str()));
                    }
                    other => secret_values(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| secret_values(v, found)),
        _ => {}
    }
}

fn redact_value(value: &mut Value, known: &[Secret]) {
    match value {
        Value::Object(map) => {
            let members = std::mem::take(map);
            for (key, mut member) in members {
                if SECRET_KEYS.contains(&key.as_str()) {
                    member = Value::String("[redacted]".into());
                } else {
                    redact_value(&mut member, known);
                }
                map.insert(crate::secret::scrub(&key, known), member);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, known)),
        Value::String(s) => *s = crate::secret::scrub(s, known),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::reply::tests::reply;

    #[test]
    fn log_lines_never_carry_secrets() {
        let r = reply(
            "application/json",
            r#"{"access_token":"AT-1","refresh_token":"RT-1","expires_in":60}"#,
        );
        let shown = redact_body(&r);
        assert!(
            !shown.contains("AT-1") && !shown.contains("RT-1"),
            "{shown}"
        );
        assert!(shown.contains("expires_in"), "{shown}");
        let echoed = redact_body(&reply(
            "application/x-www-form-urlencoded",
            "error=invalid_grant&error_description=sent-rt+is+bad&nested=x",
        ));
        assert!(!echoed.contains("sent-rt"), "{echoed}");
        let deep = redact_body(&reply(
            "application/json",
            r#"{"data":[{"access_token":"AT-2"}],"note":"was sent-rt"}"#,
        ));
        assert!(
            !deep.contains("AT-2") && !deep.contains("sent-rt"),
            "{deep}"
        );
        assert_eq!(redact_field("device_code", "DC", &[]), "[redacted]");
        assert_eq!(redact_field("client_id", "cli", &[]), "cli");
        let sent = [Secret::new("client-secret-1")];
        assert_eq!(
            redact_field("state", "x-client-secret-1", &sent),
            "x-[redacted]"
        );
    }

    #[test]
    fn a_secret_is_redacted_wherever_it_appears_again_in_the_answer() {
        let shown = redact_body(&reply(
            "application/json",
            r#"{"access_token":"AT-12345","token_type":"Bearer","debug":{"issued":"AT-12345","note":"your token AT-12345 is ready"},"AT-12345":1,"list":["AT-12345"]}"#,
        ));
        assert!(!shown.contains("AT-12345"), "{shown}");
        assert!(shown.contains("Bearer"), "{shown}");
    }

    mod properties {
        use super::super::*;
        use crate::http::hostile;
        use proptest::prelude::*;

        /// The strings of `value` at any depth (member names too), split into those under
        /// a secret member name and the rest.
        fn strings(value: &Value, secret: bool, secrets: &mut Vec<String>, rest: &mut Vec<String>) {
            match value {
                Value::String(s) if secret => secrets.push(s.clone()),
                Value::String(s) => rest.push(s.clone()),
                Value::Array(items) => {
                    items.iter().for_each(|v| strings(v, secret, secrets, rest));
                }
                Value::Object(map) => {
                    for (key, member) in map {
                        if secret {
                            secrets.push(key.clone())
                        } else {
                            rest.push(key.clone())
                        }
                        let hidden = secret || SECRET_KEYS.contains(&key.as_str());
                        strings(member, hidden, secrets, rest);
                    }
                }
                _ => {}
            }
        }

        /// A hostile reply, or one that surely carries secrets: secret member names (at the
        /// top or nested) with long values, among hostile members, as JSON or as a form.
        fn reply_with_secrets() -> impl Strategy<Value = Reply> {
            let secret = prop_oneof!["[A-Za-z0-9._~+/=-]{13,40}", "\\PC{13,24}"];
            let planted = proptest::collection::vec(
                (proptest::sample::select(SECRET_KEYS), secret, any::<bool>()),
                1..4,
            );
            let form = any::<bool>();
            let planted_reply = (hostile::object(), planted, form, hostile::reply()).prop_map(
                |(mut object, planted, form, reply)| {
                    let map = object.as_object_mut().expect("an object");
                    for (key, secret, nested) in planted {
                        if nested && !form {
                            map.insert("data".into(), serde_json::json!([{ key: secret }]));
                        } else {
                            map.insert(key.into(), Value::String(secret));
                        }
                    }
                    let (content_type, body) = if form {
                        let pairs = map.iter().map(|(k, v)| match v {
                            Value::String(s) => (k.clone(), s.clone()),
                            other => (k.clone(), other.to_string()),
                        });
                        let body = url::form_urlencoded::Serializer::new(String::new())
                            .extend_pairs(pairs)
                            .finish();
                        ("application/x-www-form-urlencoded", body)
                    } else {
                        ("application/json", object.to_string())
                    };
                    Reply {
                        content_type: content_type.into(),
                        body: body.into_bytes(),
                        ..reply
                    }
                },
            );
            prop_oneof![hostile::reply(), planted_reply]
        }

        proptest! {
            #![proptest_config(crate::property::config())]

            /// A value that arrives under a secret name never shows in the `-v` rendering,
            /// unless the same text also arrives where it is not secret (a generated
            /// `token_type` equal to the refresh token is shown as the token type, and is no
            /// leak). Compared as parsed strings: the rendering's JSON escaping can neither
            /// hide a leak nor fake one. The rendering's `[redacted]` markers are cut out
            /// first, so text joined around a marker cannot look like a secret.
            #[test]
            fn any_reply_can_be_logged(reply in reply_with_secrets()) {
                let shown = redact_body(&reply);
                let Ok(fields) = reply.fields() else {
                    prop_assert!(shown.ends_with("bytes, not shown)"), "{shown}");
                    return Ok(());
                };
                let (mut secrets, mut plain) = (Vec::new(), Vec::new());
                strings(&Value::Object(fields), false, &mut secrets, &mut plain);
                let rendered: Value = serde_json::from_str(&shown).expect("the rendering is JSON");
                // Every string of the rendering, whatever member it is under.
                let mut visible = Vec::new();
                strings(&rendered, true, &mut visible, &mut Vec::new());
                // Provider text is re-spaced by scrubbing; compare against both spellings.
                let respaced: Vec<String> =
                    plain.iter().map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
                for secret in secrets.iter().filter(|s| s.len() > 12) {
                    if plain.iter().chain(&respaced).any(|p| p.contains(secret.as_str())) {
                        continue;
                    }
                    for text in &visible {
                        prop_assert!(
                            !text.split("[redacted]").any(|piece| piece.contains(secret.as_str())),
                            "{secret:?} shown in {shown}"
                        );
                    }
                }
            }
        }
    }
}
