//! Reading an answer: its body, bounded, as JSON or a form, and what came back instead
//! when it is neither.

use super::{Http, MAX_BODY, redact};
use crate::exit;
use crate::secret::Secret;
use anyhow::Result;
use serde_json::{Map, Value};

/// An HTTP answer of any status.
#[derive(Debug)]
pub struct Reply {
    pub url: String,
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// The credentials the request carried: a server may echo them back in an error
    /// ("refresh token X is invalid"), so they are taken out of anything shown.
    pub sent: Vec<Secret>,
}

impl Http {
    pub(super) fn finish(
        &self,
        url: &str,
        via: Option<&str>,
        sent: Vec<Secret>,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(Reply, Option<String>)> {
        let mut resp = result.map_err(|e| self.transport_error(url, via, e))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let location = header("location");
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.transport_error(url, via, e))?;
        let reply = Reply {
            url: url.to_string(),
            status,
            content_type,
            body,
            sent,
        };
        if self.verbose {
            self.log(format_args!(
                "< {status} {} {}",
                reply.content_type,
                redact::redact_body(&reply)
            ));
        }
        Ok((reply, location))
    }
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::http) fn reply(ct: &str, body: &str) -> Reply {
        Reply {
            url: "http://127.0.0.1/token".into(),
            status: 200,
            content_type: ct.into(),
            body: body.as_bytes().to_vec(),
            sent: vec![Secret::new("sent-rt")],
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
}
