//! Test-only proptest strategies for what a broken or hostile provider may answer: any
//! bytes, JSON of the wrong types under the member names keycard reads, huge, negative
//! and zero numbers, numbers as strings, and valid-looking bodies cut short.

use crate::http::Reply;
use crate::secret::Secret;
use proptest::prelude::*;
use serde_json::Value;

/// Member names keycard reads somewhere, and a few it does not.
const KEYS: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "id_token",
    "scope",
    "device_code",
    "user_code",
    "verification_uri",
    "verification_url",
    "verification_uri_complete",
    "interval",
    "message",
    "error",
    "error_description",
    "issuer",
    "device_authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "sub",
    "email",
    "name",
    "preferred_username",
    "exp",
    "iat",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-z_]{0,12}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(5),
            Just(i64::MIN),
            Just(i64::MAX)
        ]
        .prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        // Every finite kind of float; no NaN or infinity, which JSON cannot carry. Chosen
        // by construction rather than filtered, so no run ends in "too many rejects".
        {
            use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
            (POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO)
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
        },
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        // Numbers as strings, as some providers send them, and strings that are not.
        number().prop_map(|n| Value::from(n.to_string())),
        prop_oneof![Just("1e400"), Just("-0"), Just(" 7 "), Just("")].prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
        "https?://[a-z0-9.:/]{0,20}".prop_map(Value::from),
    ]
}

/// Any JSON value, a few levels deep.
pub fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object built from the member names keycard reads, with any values.
pub fn object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(key(), json(), 0..10)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// A body: any bytes, an object, any JSON, a form-encoded body, or one of them cut short.
pub fn body() -> impl Strategy<Value = Vec<u8>> {
    let whole = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        object().prop_map(|v| v.to_string().into_bytes()),
        json().prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec((key(), "\\PC{0,12}"), 0..6).prop_map(|pairs| {
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
                .into_bytes()
        }),
    ];
    (whole, any::<proptest::sample::Index>(), any::<bool>()).prop_map(|(bytes, cut, truncate)| {
        if truncate && !bytes.is_empty() {
            bytes[..cut.index(bytes.len())].to_vec()
        } else {
            bytes
        }
    })
}

/// A reply of any status and content type with a hostile body.
pub fn reply() -> impl Strategy<Value = Reply> {
    let status = prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(404),
        Just(410),
        Just(500),
        Just(503),
        0u16..1000,
    ];
    let content_type = proptest::sample::select(
        &[
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "text/html",
            "text/plain",
            "application/jwt",
            "",
        ][..],
    );
    (status, content_type, body(), "\\PC{0,12}").prop_map(|(status, ct, body, sent)| Reply {
        url: "http://127.0.0.1/x".into(),
        status,
        content_type: ct.to_string(),
        body,
        sent: vec![Secret::new(sent)],
    })
}
