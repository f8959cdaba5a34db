//! What went wrong on the way to the server, in words that say what to do next.

use super::{Http, MAX_BODY};
use crate::exit;
use crate::hint;

impl Http {
    pub(super) fn transport_error(
        &self,
        url: &str,
        via: Option<&str>,
        err: ureq::Error,
    ) -> anyhow::Error {
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
                 point the profile's ca_file at it (`{}`)",
                hint::command("config set", "ca_file /path/to/ca.pem")
            ),
            (ureq::Error::Io(e), _) => format!(
                "connection to {host} failed: {e}; check that the provider is reachable, then try again"
            ),
            (other, _) => format!("request to {url} failed: {other}"),
        };
        exit::network(message)
    }
}
