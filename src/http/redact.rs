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

pub(super) fn redact_field(key: &str, value: &str) -> String {
    if SECRET_KEYS.contains(&key) {
        "[redacted]".to_string()
    } else {
        value.to_string()
    }
}

/// A loggable rendering of a reply: secret members replaced at any depth, and whatever
/// the request sent or looks like a token taken out of the other strings; non-JSON
/// bodies summarised.
pub(super) fn redact_body(reply: &Reply) -> String {
    match reply.fields() {
        Ok(map) => {
            let mut value = Value::Object(map);
            redact_value(&mut value, &reply.sent);
            value.to_string()
        }
        Err(_) => format!("({} bytes, not shown)", reply.body.len()),
    }
}

fn redact_value(value: &mut Value, sent: &[Secret]) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *member = Value::String("[redacted]".into());
                } else {
                    redact_value(member, sent);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, sent)),
        Value::String(s) => *s = crate::secret::scrub(s, sent),
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
        assert_eq!(redact_field("device_code", "DC"), "[redacted]");
        assert_eq!(redact_field("client_id", "cli"), "cli");
    }

    mod properties {
        use super::super::*;
        use crate::http::hostile;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(hostile::config())]

            #[test]
            fn any_reply_can_be_logged(reply in hostile::reply()) {
                let shown = redact_body(&reply);
                if let Ok(fields) = reply.fields() {
                    for key in SECRET_KEYS {
                        if let Some(Value::String(s)) = fields.get(*key).filter(|v| v.as_str().is_some_and(|s| s.len() > 12)) {
                            prop_assert!(!shown.contains(s.as_str()), "{key} shown: {shown}");
                        }
                    }
                }
            }
        }
    }
}
