//! A host as the git and docker credential helpers name it, compared the way a
//! profile's `hosts` entries are. Which profile answers for a host is `credential`'s.

use crate::exit;
use crate::url_rules;
use anyhow::Result;
use std::fmt;

/// `host` or `host:port`, lower-cased, without the scheme's default port: what a
/// `hosts` entry and a request are compared as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Host {
    key: String,
    loopback: bool,
}

impl Host {
    /// An authority as git sends it (`host=git.example.com:8443`) for `scheme`. Anything
    /// with a user name, a path or characters no host has is `None`.
    pub fn parse(authority: &str, scheme: &str) -> Option<Host> {
        let authority = authority.trim();
        if authority.is_empty() || authority.contains(['/', '@', '?', '#', '\\']) {
            return None;
        }
        let url = url::Url::parse(&format!("{scheme}://{authority}/")).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        let key = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Some(Host {
            key,
            loopback: url_rules::is_loopback(&url),
        })
    }

    /// A docker server URL: `https://registry.example.com`, `registry.example.com:5000`,
    /// `https://index.docker.io/v1/`. The scheme names no transport here (docker picks
    /// it), so only the host and port count.
    pub fn from_server_url(raw: &str) -> Option<Host> {
        let raw = raw.trim();
        let (scheme, rest) = match raw.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => ("http", rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => ("https", rest),
            Some(_) => return None,
            None => ("https", raw),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        Host::parse(authority, scheme)
    }

    /// A `hosts` entry: `host` or `host:port`, nothing more. A usage error otherwise.
    pub fn entry(raw: &str) -> Result<Host> {
        Host::parse(raw, "https").ok_or_else(|| {
            exit::usage(format!(
                "{raw:?} is not a host: write it as host or host:port, without https:// or a path \
                 (e.g. git.example.com or registry.example.com:5000)"
            ))
        })
    }

    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(h: Option<Host>) -> Option<String> {
        h.map(|h| h.to_string())
    }

    #[test]
    fn hosts_compare_without_case_or_default_port() {
        assert_eq!(
            key(Host::parse("GIT.Example.com", "https")),
            Some("git.example.com".into())
        );
        assert_eq!(
            key(Host::parse("git.example.com:443", "https")),
            Some("git.example.com".into())
        );
        assert_eq!(
            key(Host::parse("git.example.com:8443", "https")),
            Some("git.example.com:8443".into())
        );
        assert_eq!(
            key(Host::parse("git.example.com:80", "http")),
            Some("git.example.com".into())
        );
        assert_eq!(
            key(Host::parse("[::1]:5000", "https")),
            Some("[::1]:5000".into())
        );
    }

    #[test]
    fn docker_server_urls_give_their_host_and_port() {
        let url = |raw| key(Host::from_server_url(raw));
        assert_eq!(
            url("https://index.docker.io/v1/"),
            Some("index.docker.io".into())
        );
        assert_eq!(
            url("registry.example.com:5000"),
            Some("registry.example.com:5000".into())
        );
        assert_eq!(
            url("HTTPS://Registry.Example.com\n"),
            Some("registry.example.com".into())
        );
        assert_eq!(
            url("http://127.0.0.1:5000/v2/"),
            Some("127.0.0.1:5000".into())
        );
        assert_eq!(url("ftp://registry.example.com"), None);
        assert_eq!(url(""), None);
    }

    #[test]
    fn entries_are_only_hosts() {
        for bad in [
            "https://git.example.com",
            "git.example.com/org",
            "user@git.example.com",
            "",
            "git example.com",
            "host:99999",
        ] {
            assert!(Host::entry(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Host::entry("registry.example.com:5000").is_ok());
    }

    #[test]
    fn loopback_is_known() {
        assert!(Host::parse("127.0.0.1:8080", "http").unwrap().is_loopback());
        assert!(Host::parse("localhost", "http").unwrap().is_loopback());
        assert!(
            !Host::parse("git.example.com", "http")
                .unwrap()
                .is_loopback()
        );
    }
}
