//! The one HTTP client: timeouts on every call, bounded bodies, no redirects, HTTP errors
//! returned as replies (OAuth errors arrive as 400 with a JSON body worth reading), and a
//! `-v` log with every secret redacted.

use crate::exit;
use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::path::Path;
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// Bodies larger than this are refused: no OAuth answer comes close.
pub const MAX_BODY: u64 = 1 << 20;
pub const TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
];

pub struct Http {
    agent: ureq::Agent,
    verbose: bool,
    /// Replaces the overall timeout for every call (see `with_timeout`).
    timeout: Option<Duration>,
}

/// An HTTP answer of any status.
#[derive(Debug)]
pub struct Reply {
    pub url: String,
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Http {
    pub fn new(ca_file: Option<&Path>, verbose: bool) -> Result<Http> {
        let roots = match ca_file {
            Some(path) => roots_with(path)?,
            None => RootCerts::PlatformVerifier,
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("keycard/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(Http {
            agent: config.into(),
            verbose,
            timeout: None,
        })
    }

    /// The same client with a shorter overall timeout per call, for calls that must not
    /// hold the user up (revocation on logout).
    pub fn with_timeout(self, timeout: Duration) -> Http {
        Http {
            timeout: Some(timeout),
            ..self
        }
    }

    pub fn get(&self, url: &str, bearer: Option<&str>) -> Result<Reply> {
        self.log(format_args!("> GET {url}"));
        let mut req = self.agent.get(url);
        if let Some(t) = self.timeout {
            req = req.config().timeout_global(Some(t)).build();
        }
        if let Some(token) = bearer {
            req = req.header("Authorization", format!("Bearer {token}"));
        }
        self.finish(url, req.call())
    }

    /// POSTs an `application/x-www-form-urlencoded` body.
    pub fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<Reply> {
        if self.verbose {
            let shown: Vec<String> = form
                .iter()
                .map(|(k, v)| format!("{k}={}", redact_field(k, v)))
                .collect();
            self.log(format_args!("> POST {url} {}", shown.join("&")));
        }
        let mut req = self.agent.post(url);
        if let Some(t) = self.timeout {
            req = req.config().timeout_global(Some(t)).build();
        }
        if let Some((user, password)) = basic {
            // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            use base64::Engine;
            let b64 = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(user),
                enc(password)
            ));
            req = req.header("Authorization", format!("Basic {b64}"));
        }
        self.finish(url, req.send_form(form.iter().copied()))
    }

    fn finish(
        &self,
        url: &str,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply> {
        let mut resp = result.map_err(|e| transport_error(url, e))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| transport_error(url, e))?;
        let reply = Reply {
            url: url.to_string(),
            status,
            content_type,
            body,
        };
        if self.verbose {
            self.log(format_args!(
                "< {status} {} {}",
                reply.content_type,
                redact_body(&reply)
            ));
        }
        Ok(reply)
    }

    fn log(&self, line: std::fmt::Arguments<'_>) {
        if self.verbose {
            eprintln!("{line}");
        }
    }
}

/// The system trust store plus the certificates in `path` (a corporate CA).
fn roots_with(path: &Path) -> Result<RootCerts> {
    let pem =
        std::fs::read(path).with_context(|| format!("cannot read ca_file {}", path.display()))?;
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let Ok(ureq::tls::PemItem::Certificate(cert)) = item {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        anyhow::bail!("ca_file {} holds no PEM certificate", path.display());
    }
    let system = rustls_native_certs::load_native_certs();
    certs.extend(
        system
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
    );
    Ok(RootCerts::new_with_certs(&certs))
}

fn transport_error(url: &str, err: ureq::Error) -> anyhow::Error {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| url.to_string());
    let message = match err {
        ureq::Error::Timeout(_) => format!("{host} did not answer within {}s", TIMEOUT.as_secs()),
        ureq::Error::HostNotFound => {
            format!("cannot resolve {host}; check the URL and your network")
        }
        ureq::Error::ConnectionFailed => {
            format!("cannot connect to {host}; is it up, and is a proxy needed?")
        }
        ureq::Error::BodyExceedsLimit(_) => format!(
            "the answer from {url} is larger than {} KiB",
            MAX_BODY / 1024
        ),
        ureq::Error::Io(e) => format!("connection to {host} failed: {e}"),
        other => format!("request to {url} failed: {other}"),
    };
    exit::network(message)
}

impl Reply {
    /// The body as a flat object: JSON, or a form-encoded body (GitHub without `Accept`).
    /// Anything else is reported as what it is, with the URL and status, never its content.
    pub fn fields(&self) -> Result<Map<String, Value>> {
        if self
            .content_type
            .starts_with("application/x-www-form-urlencoded")
        {
            return Ok(url::form_urlencoded::parse(&self.body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(self.garbage("a JSON value that is not an object")),
            Err(_) if self.looks_like_html() => {
                Err(self.garbage("an HTML page (a captive portal or proxy error page?)"))
            }
            Err(_) if self.body.is_empty() => Err(self.garbage("an empty body")),
            Err(_) => Err(self.garbage("a body that is not JSON")),
        }
    }

    fn looks_like_html(&self) -> bool {
        let head =
            String::from_utf8_lossy(&self.body[..self.body.len().min(512)]).to_ascii_lowercase();
        self.content_type.starts_with("text/html")
            || head.trim_start().starts_with("<!doctype html")
            || head.contains("<html")
    }

    fn garbage(&self, what: &str) -> anyhow::Error {
        let ct = if self.content_type.is_empty() {
            "no content type"
        } else {
            &self.content_type
        };
        exit::network(format!(
            "{} answered HTTP {} with {what} ({ct})",
            self.url, self.status
        ))
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn redact_field(key: &str, value: &str) -> String {
    if SECRET_KEYS.contains(&key) {
        "[redacted]".to_string()
    } else {
        value.to_string()
    }
}

/// A loggable rendering of a reply: secrets replaced; non-JSON bodies summarised.
fn redact_body(reply: &Reply) -> String {
    match reply.fields() {
        Ok(mut map) => {
            for (key, value) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *value = Value::String("[redacted]".into());
                }
            }
            Value::Object(map).to_string()
        }
        Err(_) => format!("({} bytes, not shown)", reply.body.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(ct: &str, body: &str) -> Reply {
        Reply {
            url: "http://127.0.0.1/token".into(),
            status: 200,
            content_type: ct.into(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_json_and_form_bodies() {
        let json = reply("application/json", r#"{"error":"authorization_pending"}"#)
            .fields()
            .unwrap();
        assert_eq!(json["error"], "authorization_pending");
        let form = reply(
            "application/x-www-form-urlencoded; charset=utf-8",
            "error=slow_down&interval=10",
        )
        .fields()
        .unwrap();
        assert_eq!(form["interval"], "10");
    }

    #[test]
    fn html_is_named_as_such_with_url_and_status() {
        let err = reply(
            "text/html",
            "<html><body>Sign in to the Wi-Fi</body></html>",
        )
        .fields()
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("HTML page")
                && msg.contains("http://127.0.0.1/token")
                && msg.contains("200"),
            "{msg}"
        );
        assert!(!msg.contains("Wi-Fi"), "the body is not echoed: {msg}");
        assert_eq!(exit::code_of(&err), exit::Code::Network);
    }

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
        assert_eq!(redact_field("device_code", "DC"), "[redacted]");
        assert_eq!(redact_field("client_id", "cli"), "cli");
    }
}
