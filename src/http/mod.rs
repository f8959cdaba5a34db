//! The one HTTP client: timeouts on every call, bounded bodies, redirects followed only
//! within the same origin, HTTP errors returned as replies (OAuth errors arrive as 400
//! with a JSON body worth reading), the environment's proxy for everything but loopback
//! and `NO_PROXY`, and a `-v` log with every secret redacted.
//!
//! One file per job: `agent` builds the client, `redirect` follows redirects within the
//! origin, `proxy` reads `HTTPS_PROXY` and `NO_PROXY`, `roots` adds a `ca_file` to the
//! trust store, `reply` reads answers, `transport_error` words what went wrong on the
//! way, and `redact` keeps secrets out of the `-v` log.

mod agent;
#[cfg(test)]
pub mod hostile;
mod proxy;
mod redact;
mod redirect;
mod reply;
mod roots;
mod transport_error;

pub use reply::Reply;

use anyhow::Result;
use std::path::Path;
use std::time::Duration;

/// Bodies larger than this are refused: no OAuth answer comes close.
pub const MAX_BODY: u64 = 1 << 20;
pub const TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Http {
    /// For loopback, `NO_PROXY` hosts, and everything when no proxy is set.
    direct: ureq::Agent,
    proxied: Option<proxy::Proxied>,
    timeout: Duration,
    connect_timeout: Duration,
    verbose: bool,
    /// Replaces the overall timeout of every call (see `with_timeout`).
    call_timeout: Option<Duration>,
}

/// Transport settings; `Default` is 30 s overall, 10 s to connect, system trust store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    pub ca_file: Option<&'a Path>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
}

enum Method<'f> {
    Get {
        bearer: Option<&'f str>,
    },
    PostForm {
        form: &'f [(&'f str, &'f str)],
        /// HTTP Basic credentials: user and password.
        basic: Option<(&'f str, &'f str)>,
    },
}

impl Http {
    /// Default timeouts, the system trust store plus `ca_file`.
    #[allow(dead_code)] // for callers without a profile at hand
    pub fn new(ca_file: Option<&Path>, verbose: bool) -> Result<Http> {
        Http::with(
            Options {
                ca_file,
                ..Options::default()
            },
            verbose,
        )
    }

    /// The same client with a shorter overall timeout per call, for calls that must not
    /// hold the user up (revocation on logout).
    pub fn with_timeout(self, timeout: Duration) -> Http {
        let timeout = timeout.min(self.timeout);
        Http {
            call_timeout: Some(timeout),
            timeout,
            connect_timeout: self.connect_timeout.min(timeout),
            ..self
        }
    }

    pub fn get(&self, url: &str, bearer: Option<&str>) -> Result<Reply> {
        self.follow(url, Method::Get { bearer })
    }

    /// POSTs an `application/x-www-form-urlencoded` body; `basic` adds HTTP Basic
    /// authentication (see `oauth::device::Client`, which decides how a client
    /// authenticates).
    pub fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<Reply> {
        self.follow(url, Method::PostForm { form, basic })
    }

    fn once(&self, url: &str, method: &Method) -> Result<(Reply, Option<String>)> {
        let (agent, via) = self.agent_for(url);
        let via_note = via.map(|p| format!(" (via proxy {p})")).unwrap_or_default();
        let sent = redact::sent_secrets(method);
        let result = match method {
            Method::Get { bearer } => {
                let auth = if bearer.is_some() {
                    " (Authorization: Bearer [redacted])"
                } else {
                    ""
                };
                self.log(format_args!("> GET {url}{via_note}{auth}"));
                let mut req = agent.get(url);
                if let Some(t) = self.call_timeout {
                    req = req.config().timeout_global(Some(t)).build();
                }
                if let Some(token) = bearer {
                    req = req.header("Authorization", format!("Bearer {token}"));
                }
                req.call()
            }
            Method::PostForm { form, basic } => {
                if self.verbose {
                    let shown: Vec<String> = form
                        .iter()
                        .map(|(k, v)| format!("{k}={}", redact::redact_field(k, v, &sent)))
                        .collect();
                    let auth = if basic.is_some() {
                        " (Authorization: Basic [redacted])"
                    } else {
                        ""
                    };
                    self.log(format_args!(
                        "> POST {url}{via_note} {}{auth}",
                        shown.join("&")
                    ));
                }
                let mut req = agent.post(url);
                if let Some(t) = self.call_timeout {
                    req = req.config().timeout_global(Some(t)).build();
                }
                if let Some((user, password)) = basic {
                    req = req.header("Authorization", basic_header(user, password));
                }
                req.send_form(form.iter().copied())
            }
        };
        self.finish(url, via, sent, result)
    }

    fn log(&self, line: std::fmt::Arguments<'_>) {
        if self.verbose {
            eprintln!("{line}");
        }
    }
}

/// RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
fn basic_header(user: &str, password: &str) -> String {
    use base64::Engine;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        enc(user),
        enc(password)
    ));
    format!("Basic {b64}")
}
