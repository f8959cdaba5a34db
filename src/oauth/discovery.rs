//! Finding a provider's endpoints: explicit settings first, then the discovery results
//! cached in the profile, then OpenID Connect discovery, then RFC 8414.

use super::NotFound;
use crate::config::{Discovered, Profile};
use crate::exit;
use crate::hint;
use crate::http::{Http, Reply};
use crate::url_rules::check_endpoint;
use anyhow::{Context, Result};
use serde::Deserialize;

/// The endpoints one command needs, all checked against the https-or-loopback rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoints {
    pub device_authorization: String,
    pub token: String,
    pub revocation: Option<String>,
    pub userinfo: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    issuer: Option<String>,
    device_authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
}

/// Resolves the endpoints for `profile` talking to `issuer`. Returns fresh discovery
/// results when it had to fetch them, so the caller can cache them in the profile.
pub fn endpoints(
    http: &Http,
    profile: &Profile,
    issuer: Option<&str>,
) -> Result<(Endpoints, Option<Discovered>)> {
    let explicit_complete =
        profile.device_authorization_endpoint.is_some() && profile.token_endpoint.is_some();
    let cached = profile
        .discovered
        .as_ref()
        .filter(|d| issuer.is_some_and(|i| same_issuer(&d.issuer, i)));
    let (discovered, fresh) = match (explicit_complete, cached, issuer) {
        (true, cached, _) => (cached.cloned(), None),
        (false, Some(cached), _) if cached.device_authorization_endpoint.is_some() => {
            (Some(cached.clone()), None)
        }
        (false, _, Some(issuer)) => {
            let d = discover(http, issuer)?;
            (Some(d.clone()), Some(d))
        }
        (false, _, None) => {
            return Err(exit::usage(format!(
                "the profile has no issuer and no endpoints; set one with `{}`",
                hint::command("config set", "issuer URL")
            )));
        }
    };
    let d = discovered.unwrap_or_default();
    let pick = |explicit: &Option<String>, found: &Option<String>| {
        explicit.clone().or_else(|| found.clone())
    };
    let device = pick(
        &profile.device_authorization_endpoint,
        &d.device_authorization_endpoint,
    )
    .ok_or_else(|| {
        exit::usage(format!(
            "{} advertises no device_authorization_endpoint; set it with `{}`",
            issuer.unwrap_or("the provider"),
            hint::command("config set", "device_authorization_endpoint URL")
        ))
    })?;
    let token = pick(&profile.token_endpoint, &d.token_endpoint).ok_or_else(|| {
        exit::usage(format!(
            "the provider advertises no token_endpoint; set it with `{}`",
            hint::command("config set", "token_endpoint URL")
        ))
    })?;
    let endpoints = Endpoints {
        device_authorization: check_endpoint("device_authorization_endpoint", &device)?.to_string(),
        token: check_endpoint("token_endpoint", &token)?.to_string(),
        revocation: pick(&profile.revocation_endpoint, &d.revocation_endpoint)
            .map(|u| check_endpoint("revocation_endpoint", &u).map(|u| u.to_string()))
            .transpose()?,
        userinfo: pick(&profile.userinfo_endpoint, &d.userinfo_endpoint)
            .map(|u| check_endpoint("userinfo_endpoint", &u).map(|u| u.to_string()))
            .transpose()?,
    };
    Ok((endpoints, fresh))
}

/// The endpoints a signed-in session uses after login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Token,
    Revocation,
    Userinfo,
}

impl After {
    fn key(self) -> &'static str {
        match self {
            After::Token => "token_endpoint",
            After::Revocation => "revocation_endpoint",
            After::Userinfo => "userinfo_endpoint",
        }
    }

    fn pick(self, explicit: &Profile, found: &Discovered) -> Option<String> {
        let (a, b) = match self {
            After::Token => (&explicit.token_endpoint, &found.token_endpoint),
            After::Revocation => (&explicit.revocation_endpoint, &found.revocation_endpoint),
            After::Userinfo => (&explicit.userinfo_endpoint, &found.userinfo_endpoint),
        };
        a.clone().or_else(|| b.clone())
    }
}

/// One endpoint for a command after login: the profile's explicit setting, else the
/// cached discovery for `issuer`, else discovery. `Ok((None, _))` means the provider
/// does not offer it. Also returns fresh discovery results worth caching.
pub fn endpoint_after_login(
    http: &Http,
    profile: &Profile,
    issuer: Option<&str>,
    which: After,
) -> Result<(Option<String>, Option<Discovered>)> {
    let none = Discovered::default();
    if let Some(url) = which.pick(profile, &none) {
        return Ok((Some(check_endpoint(which.key(), &url)?.to_string()), None));
    }
    let cached = profile
        .discovered
        .as_ref()
        .filter(|d| issuer.is_some_and(|i| same_issuer(&d.issuer, i)));
    let explicit =
        profile.device_authorization_endpoint.is_some() && profile.token_endpoint.is_some();
    let (found, fresh) = match (cached, issuer) {
        (Some(cached), _) => (cached.clone(), None),
        // The profile spells out its endpoints, maybe because discovery does not work
        // for it (Microsoft's multi-tenant issuers): try, and take a failure as "not
        // offered" rather than an error.
        (None, Some(issuer)) if explicit => match discover(http, issuer) {
            Ok(d) => (d.clone(), Some(d)),
            Err(_) => return Ok((None, None)),
        },
        (None, Some(issuer)) => {
            let d = discover(http, issuer)?;
            (d.clone(), Some(d))
        }
        (None, None) => return Ok((None, None)),
    };
    let url = which
        .pick(profile, &found)
        .map(|u| check_endpoint(which.key(), &u).map(|u| u.to_string()))
        .transpose()?;
    Ok((url, fresh))
}

/// Resolves the endpoints and runs `call` with them. When `call` fails because an
/// endpoint taken from the cached discovery answered 404 (the provider moved it), the
/// metadata is discovered again, once, and `call` retried with the new endpoints.
/// Returns what `call` returned, the endpoints it used, and fresh discovery results for
/// the caller to cache in the profile.
pub fn with_endpoints<T>(
    http: &Http,
    profile: &Profile,
    issuer: Option<&str>,
    mut call: impl FnMut(&Endpoints) -> Result<T>,
) -> Result<(T, Endpoints, Option<Discovered>)> {
    let (endpoints, fresh) = endpoints(http, profile, issuer)?;
    match call(&endpoints) {
        Ok(value) => Ok((value, endpoints, fresh)),
        Err(e) if fresh.is_none() && NotFound::is(&e) => {
            let explicit =
                profile.device_authorization_endpoint.is_some() && profile.token_endpoint.is_some();
            let Some(issuer) = issuer.filter(|_| profile.discovered.is_some() && !explicit) else {
                return Err(e);
            };
            let found = discover(http, issuer)?;
            let renewed = Profile {
                discovered: Some(found.clone()),
                ..profile.clone()
            };
            let (endpoints, _) = self::endpoints(http, &renewed, Some(issuer))?;
            let value = call(&endpoints)?;
            Ok((value, endpoints, Some(found)))
        }
        Err(e) => Err(e),
    }
}

/// Fetches the issuer's metadata: OpenID Connect discovery, then RFC 8414.
pub fn discover(http: &Http, issuer: &str) -> Result<Discovered> {
    let base = check_endpoint("issuer", issuer)?;
    let mut tried = Vec::new();
    for url in well_known_urls(&base) {
        let reply = http.get(&url, None)?;
        if reply.status == 404 || reply.status == 410 {
            tried.push(url);
            continue;
        }
        return read_metadata(&reply, issuer);
    }
    Err(exit::network(format!(
        "no discovery document for {issuer} (tried {}); set the endpoints with `{}`",
        tried.join(" and "),
        hint::command("config set", "token_endpoint URL")
    )))
    .context("discovery failed")
}

/// One discovery document: usable metadata for `issuer`, or why not.
fn read_metadata(reply: &Reply, issuer: &str) -> Result<Discovered> {
    let url = &reply.url;
    if !reply.is_success() {
        return Err(exit::network(format!(
            "discovery at {url} answered HTTP {}",
            reply.status
        )));
    }
    let fields = reply.fields()?;
    let meta: Metadata = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| exit::network(format!("discovery document at {url} is not usable: {e}")))?;
    let advertised = meta.issuer.as_deref().unwrap_or_default();
    if !same_issuer(advertised, issuer) {
        return Err(exit::fail(
            exit::Code::Failure,
            format!(
                "{url} describes issuer \"{}\", not {issuer}; check the profile's issuer",
                crate::text::one_line(advertised)
            ),
        ));
    }
    Ok(Discovered {
        issuer: issuer.to_string(),
        device_authorization_endpoint: meta.device_authorization_endpoint,
        token_endpoint: meta.token_endpoint,
        revocation_endpoint: meta.revocation_endpoint,
        userinfo_endpoint: meta.userinfo_endpoint,
    })
}

/// OIDC appends the well-known path to the issuer; RFC 8414 inserts it before the path.
fn well_known_urls(issuer: &url::Url) -> [String; 2] {
    let path = issuer.path().trim_end_matches('/');
    let origin = issuer.origin().ascii_serialization();
    [
        format!("{origin}{path}/.well-known/openid-configuration"),
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
    ]
}

fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_follow_both_rfcs() {
        let u = url::Url::parse("https://id.example.com/realms/acme/").unwrap();
        assert_eq!(
            well_known_urls(&u),
            [
                "https://id.example.com/realms/acme/.well-known/openid-configuration".to_string(),
                "https://id.example.com/.well-known/oauth-authorization-server/realms/acme"
                    .to_string(),
            ]
        );
        let root = url::Url::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            well_known_urls(&root)[0],
            "http://127.0.0.1:9000/.well-known/openid-configuration"
        );
    }

    #[test]
    fn explicit_endpoints_need_no_network() {
        let http = Http::new(None, false).unwrap();
        let profile = Profile {
            device_authorization_endpoint: Some("https://gh.example/login/device/code".into()),
            token_endpoint: Some("https://gh.example/login/oauth/access_token".into()),
            ..Profile::default()
        };
        let (e, fresh) = endpoints(&http, &profile, None).unwrap();
        assert_eq!(e.token, "https://gh.example/login/oauth/access_token");
        assert!(fresh.is_none());
    }

    mod properties {
        use super::super::*;
        use crate::http::hostile;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(crate::property::config())]

            #[test]
            fn any_discovery_answer_is_metadata_or_an_error(reply in hostile::reply(), meta in hostile::object()) {
                let _ = read_metadata(&reply, "https://id.example.com");
                let typed = Reply {
                    status: 200,
                    content_type: "application/json".into(),
                    body: meta.to_string().into_bytes(),
                    ..reply
                };
                let _ = read_metadata(&typed, "https://id.example.com");
            }
        }
    }
}
