//! The one HTTP client: timeouts on every call, bounded bodies, redirects followed only
//! within the same origin, HTTP errors returned as replies (OAuth errors arrive as 400
//! with a JSON body worth reading), the environment's proxy for everything but loopback
//! and `NO_PROXY`, and a `-v` log with every secret redacted.

use crate::config::Profile;
use crate::exit;
use crate::secret::Secret;
use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// Bodies larger than this are refused: no OAuth answer comes close.
pub const MAX_BODY: u64 = 1 << 20;
pub const TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Same-origin redirects followed in a row before giving up.
pub const MAX_REDIRECTS: usize = 5;

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

pub struct Http {
    /// For loopback, `NO_PROXY` hosts, and everything when no proxy is set.
    direct: ureq::Agent,
    proxied: Option<Proxied>,
    timeout: Duration,
    connect_timeout: Duration,
    verbose: bool,
    /// Replaces the overall timeout of every call (see `with_timeout`).
    call_timeout: Option<Duration>,
}

struct Proxied {
    agent: ureq::Agent,
    /// `host:port` of the proxy, for messages (never its credentials).
    shown: String,
    no_proxy: NoProxy,
}

/// Transport settings; `Default` is 30 s overall, 10 s to connect, system trust store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    pub ca_file: Option<&'a Path>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
}

impl<'a> Options<'a> {
    /// The profile's `ca_file`, `timeout` and `connect_timeout`.
    pub fn of(profile: &'a Profile) -> Options<'a> {
        Options {
            ca_file: profile.ca_file.as_deref(),
            // `config set` checks the range; a hand-edited file is clamped to it, since a
            // huge value would overflow the deadline arithmetic.
            timeout: profile.timeout.map(clamp_secs),
            connect_timeout: profile.connect_timeout.map(clamp_secs),
        }
    }
}

fn clamp_secs(secs: u64) -> Duration {
    Duration::from_secs(secs.clamp(1, crate::config::MAX_TIMEOUT_SECS))
}

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

    /// The client for one profile: its `ca_file`, `timeout` and `connect_timeout`.
    pub fn for_profile(profile: &Profile, verbose: bool) -> Result<Http> {
        Http::with(Options::of(profile), verbose)
    }

    pub fn with(options: Options, verbose: bool) -> Result<Http> {
        let roots = match options.ca_file {
            Some(path) => roots_with(path)?,
            None => RootCerts::PlatformVerifier,
        };
        let timeout = options
            .timeout
            .unwrap_or(TIMEOUT)
            .max(Duration::from_secs(1));
        let connect = options
            .connect_timeout
            .unwrap_or(CONNECT_TIMEOUT)
            .max(Duration::from_secs(1))
            .min(timeout);
        let config = |proxy: Option<ureq::Proxy>| {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(timeout))
                .timeout_connect(Some(connect))
                .user_agent(concat!("keycard/", env!("CARGO_PKG_VERSION")))
                .accept("application/json")
                .tls_config(TlsConfig::builder().root_certs(roots.clone()).build())
                // ureq reads the proxy from the environment by default, for every host;
                // keycard decides per request instead (see `agent_for`).
                .proxy(proxy)
                .build()
        };
        let proxied =
            proxy_from_env(&|k| std::env::var(k).ok())?.map(|(proxy, no_proxy)| Proxied {
                shown: format!("{}:{}", proxy.host(), proxy.port()),
                agent: config(Some(proxy)).into(),
                no_proxy,
            });
        Ok(Http {
            direct: config(None).into(),
            proxied,
            timeout,
            connect_timeout: connect,
            verbose,
            call_timeout: None,
        })
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

    /// Sends the request, following redirects only within the same origin (scheme, host
    /// and port): a redirect elsewhere could hand a client secret or device code to
    /// another party, or downgrade to plain http. A POST follows only 307 and 308, which
    /// keep the method and body.
    fn follow(&self, url: &str, method: Method) -> Result<Reply> {
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let (reply, location) = self.once(&current, &method)?;
            let redirect = matches!(reply.status, 301 | 302 | 303 | 307 | 308);
            let Some(location) = location.filter(|_| redirect) else {
                return Ok(reply);
            };
            let from = url::Url::parse(&current)
                .map_err(|e| exit::usage(format!("{current} is not a valid URL: {e}")))?;
            let to = from.join(&location).map_err(|_| {
                exit::network(format!(
                    "{current} answered HTTP {} with an unusable Location",
                    reply.status
                ))
            })?;
            let shown = format!("{}{}", to.origin().ascii_serialization(), to.path());
            if to.origin() != from.origin() {
                return Err(exit::network(format!(
                    "{current} redirects to {shown}, another host or scheme; keycard follows \
                     redirects only within the same origin, so set the endpoint to the final URL"
                )));
            }
            if matches!(method, Method::PostForm { .. }) && !matches!(reply.status, 307 | 308) {
                return Err(exit::network(format!(
                    "{current} answered a POST with HTTP {} to {shown}; set the endpoint to that URL",
                    reply.status
                )));
            }
            self.log(format_args!("  following HTTP {} to {shown}", reply.status));
            current = to.to_string();
        }
        Err(exit::network(format!(
            "{url} redirected more than {MAX_REDIRECTS} times"
        )))
    }

    /// The agent for `url`: direct for loopback (a proxy cannot reach our own loopback)
    /// and for hosts in `NO_PROXY`, else through the proxy when one is set.
    fn agent_for(&self, url: &str) -> (&ureq::Agent, Option<&str>) {
        let parsed = url::Url::parse(url).ok();
        match (&self.proxied, parsed) {
            (Some(p), Some(u)) if !is_loopback(&u) && !p.no_proxy.matches(&u) => {
                (&p.agent, Some(p.shown.as_str()))
            }
            _ => (&self.direct, None),
        }
    }

    fn once(&self, url: &str, method: &Method) -> Result<(Reply, Option<String>)> {
        let (agent, via) = self.agent_for(url);
        let via_note = via.map(|p| format!(" (via proxy {p})")).unwrap_or_default();
        let sent = sent_secrets(method);
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
                        .map(|(k, v)| format!("{k}={}", redact_field(k, v, &sent)))
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

    fn finish(
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
                redact_body(&reply)
            ));
        }
        Ok((reply, location))
    }

    fn log(&self, line: std::fmt::Arguments<'_>) {
        if self.verbose {
            eprintln!("{line}");
        }
    }

    fn transport_error(&self, url: &str, via: Option<&str>, err: ureq::Error) -> anyhow::Error {
        // host:port, so that "127.0.0.1" alone does not leave the reader guessing.
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_string();
                Some(u.port().map_or(host.clone(), |p| format!("{host}:{p}")))
            })
            .unwrap_or_else(|| url.to_string());
        let message = match (err, via) {
            (ureq::Error::Timeout(_), _) if self.call_timeout.is_some() => format!(
                "{host} did not answer within {}s, the most keycard waits for this call",
                self.timeout.as_secs()
            ),
            (ureq::Error::Timeout(ureq::Timeout::Connect), _) => format!(
                "cannot connect to {host} within {}s (the profile's `connect_timeout`)",
                self.connect_timeout.as_secs()
            ),
            (ureq::Error::Timeout(_), _) => format!(
                "{host} did not answer within {}s (the profile's `timeout`)",
                self.timeout.as_secs()
            ),
            (ureq::Error::ConnectProxyFailed(why), Some(proxy)) => {
                format!("the proxy {proxy} could not reach {host}: {why}")
            }
            (ureq::Error::HostNotFound | ureq::Error::ConnectionFailed, Some(proxy)) => {
                format!("cannot connect to the proxy {proxy} (from HTTPS_PROXY) for {host}")
            }
            (ureq::Error::HostNotFound, None) => {
                format!("cannot resolve {host}; check the URL and your network")
            }
            (ureq::Error::ConnectionFailed, None) => {
                format!("cannot connect to {host}; is it up, and is a proxy needed?")
            }
            (ureq::Error::BodyExceedsLimit(_), _) => format!(
                "the answer from {url} is larger than {} KiB",
                MAX_BODY / 1024
            ),
            // rustls reports certificate trouble through the I/O error.
            (ureq::Error::Io(e), _) if e.to_string().contains("certificate") => format!(
                "TLS with {host} failed: {e}; if it uses a private or corporate CA, \
                 point the profile's ca_file at it (`keycard config set ca_file /path/to/ca.pem`)"
            ),
            (ureq::Error::Io(e), _) => format!(
                "connection to {host} failed: {e}; check that the provider is reachable, then try again"
            ),
            (other, _) => format!("request to {url} failed: {other}"),
        };
        exit::network(message)
    }
}

/// Every credential in a request: secret form fields, the bearer token, and for Basic
/// the password and the header's base64.
fn sent_secrets(method: &Method) -> Vec<Secret> {
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

/// `localhost`, `127.0.0.0/8` and `[::1]`: the only hosts plain http may reach, and
/// never through a proxy.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The proxy for `https://` URLs: `HTTPS_PROXY`, else `ALL_PROXY` (either case, as curl
/// reads them), with `NO_PROXY`. `HTTP_PROXY` is not read: keycard sends plain http only
/// to loopback, which is never proxied. A value that is set but unusable is an error
/// (silently going direct would surprise whoever set it); it is not echoed, since it
/// may hold a password.
fn proxy_from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<(ureq::Proxy, NoProxy)>> {
    let first = |names: &[&'static str]| {
        names
            .iter()
            .find_map(|n| var(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    };
    let Some((name, raw)) = first(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]) else {
        return Ok(None);
    };
    let proxy = ureq::Proxy::new(raw.trim()).map_err(|_| {
        exit::usage(format!(
            "{name} is set but is not a proxy URL keycard can use (http://HOST:PORT or https://HOST:PORT)"
        ))
    })?;
    // ureq is built without SOCKS support (and would panic on such a proxy): say so.
    if !matches!(
        proxy.protocol(),
        ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
    ) {
        return Err(exit::usage(format!(
            "{name} names a SOCKS proxy; keycard supports HTTP CONNECT proxies only \
             (http://HOST:PORT): unset {name} for keycard or point it at an HTTP proxy"
        )));
    }
    let no_proxy = NoProxy::parse(
        &first(&["no_proxy", "NO_PROXY"])
            .map(|(_, v)| v)
            .unwrap_or_default(),
    );
    Ok(Some((proxy, no_proxy)))
}

/// `NO_PROXY` as curl and Go read it: comma-separated; `*` for every host; a domain
/// (with or without a leading `.` or `*.`) matches itself and its subdomains; an IP
/// address or CIDR block matches addresses; a `:port` suffix is ignored.
#[derive(Debug, Default)]
struct NoProxy {
    all: bool,
    domains: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    fn parse(raw: &str) -> NoProxy {
        let mut np = NoProxy::default();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                np.all = true;
                continue;
            }
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            let bare = addr
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or(addr);
            if let Ok(ip) = bare.parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                np.nets.push((ip, bits.unwrap_or(max).min(max)));
                continue;
            }
            if let Ok(ip) = addr.rsplit_once(':').map_or(Err(()), |(h, _)| {
                h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .map_err(|_| ())
            }) {
                np.nets.push((ip, if ip.is_ipv4() { 32 } else { 128 }));
                continue;
            }
            let host = match entry.rsplit_once(':') {
                Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
                _ => entry,
            };
            let domain = host
                .trim_start_matches('*')
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if !domain.is_empty() {
                np.domains.push(domain);
            }
        }
        np
    }

    fn matches(&self, url: &url::Url) -> bool {
        if self.all {
            return true;
        }
        match url.host() {
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                self.domains
                    .iter()
                    .any(|n| d == *n || d.ends_with(&format!(".{n}")))
            }
            Some(url::Host::Ipv4(ip)) => self.has_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.has_ip(IpAddr::V6(ip)),
            None => false,
        }
    }

    fn has_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
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

/// A form field for the log: a secret member's value hidden, and in every other value
/// whatever secret the same request carries (an extra parameter that repeats it).
fn redact_field(key: &str, value: &str, sent: &[Secret]) -> String {
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
fn redact_body(reply: &Reply) -> String {
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

    fn reply(ct: &str, body: &str) -> Reply {
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

    #[test]
    fn no_proxy_matches_domains_suffixes_addresses_and_blocks() {
        let np = NoProxy::parse(
            " example.com, .corp.test,*.svc:8443 ,10.0.0.0/8, 192.168.1.5:3128, [fd00::1]",
        );
        let m = |u: &str| np.matches(&url::Url::parse(u).unwrap());
        assert!(m("https://example.com/x") && m("https://id.EXAMPLE.com"));
        assert!(!m("https://notexample.com"));
        assert!(m("https://a.corp.test") && m("https://corp.test"));
        assert!(m("https://x.svc"));
        assert!(m("https://10.1.2.3") && !m("https://11.1.2.3"));
        assert!(m("https://192.168.1.5") && !m("https://192.168.1.6"));
        assert!(m("https://[fd00::1]/") && !m("https://[fd00::2]/"));
        assert!(NoProxy::parse("*").matches(&url::Url::parse("https://any.where").unwrap()));
        assert!(!NoProxy::parse("").matches(&url::Url::parse("https://any.where").unwrap()));
    }

    #[test]
    fn the_https_proxy_comes_from_https_proxy_then_all_proxy() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let host = |pairs| {
            proxy_from_env(&env(pairs))
                .unwrap()
                .map(|(p, _)| p.host().to_string())
        };
        assert_eq!(host(&[]), None);
        assert_eq!(host(&[("HTTP_PROXY", "http://plain:3128")]), None);
        assert_eq!(
            host(&[
                ("ALL_PROXY", "http://all:1"),
                ("HTTPS_PROXY", "http://sec:1")
            ]),
            Some("sec".into())
        );
        assert_eq!(
            host(&[
                ("HTTPS_PROXY", "http://upper:1"),
                ("https_proxy", "http://lower:1")
            ]),
            Some("lower".into())
        );
        assert_eq!(
            host(&[("HTTPS_PROXY", " "), ("ALL_PROXY", "all:8080")]),
            Some("all".into())
        );
        let err = proxy_from_env(&env(&[("HTTPS_PROXY", "gopher://u:secret@x")])).unwrap_err();
        assert_eq!(exit::code_of(&err), exit::Code::Usage);
        assert!(!err.to_string().contains("secret"), "{err}");
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
        use crate::oauth::hostile;
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
