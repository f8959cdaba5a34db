//! The proxy from the environment (`HTTPS_PROXY`, `ALL_PROXY`) and the hosts that bypass
//! it (`NO_PROXY`, loopback).

use super::Http;
use crate::exit;
use crate::url_rules::is_loopback;
use anyhow::Result;
use std::net::IpAddr;

pub(super) struct Proxied {
    pub(super) agent: ureq::Agent,
    /// `host:port` of the proxy, for messages (never its credentials).
    pub(super) shown: String,
    pub(super) no_proxy: NoProxy,
}

impl Http {
    /// The agent for `url`: direct for loopback (a proxy cannot reach our own loopback)
    /// and for hosts in `NO_PROXY`, else through the proxy when one is set.
    pub(super) fn agent_for(&self, url: &str) -> (&ureq::Agent, Option<&str>) {
        let parsed = url::Url::parse(url).ok();
        match (&self.proxied, parsed) {
            (Some(p), Some(u)) if !is_loopback(&u) && !p.no_proxy.matches(&u) => {
                (&p.agent, Some(p.shown.as_str()))
            }
            _ => (&self.direct, None),
        }
    }
}

/// The proxy for `https://` URLs: `HTTPS_PROXY`, else `ALL_PROXY` (either case, as curl
/// reads them), with `NO_PROXY`. `HTTP_PROXY` is not read: keycard sends plain http only
/// to loopback, which is never proxied. A value that is set but unusable is an error
/// (silently going direct would surprise whoever set it); it is not echoed, since it
/// may hold a password.
pub(super) fn proxy_from_env(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(ureq::Proxy, NoProxy)>> {
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
pub(super) struct NoProxy {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
