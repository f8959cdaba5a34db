//! Which URLs keycard talks to: `https://` everywhere, plain http only to loopback, and
//! never a URL that carries credentials.

use crate::exit;
use crate::hint;
use anyhow::Result;

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

/// Endpoints must be `https://`, except on loopback where a local server has no TLS.
pub fn check_endpoint(name: &str, raw: &str) -> Result<url::Url> {
    let url = url::Url::parse(raw).map_err(|e| {
        let (what, example) = match name {
            "issuer" => ("an issuer", "https://login.example.com/realms/acme"),
            _ => ("it", "https://id.example.com/oauth2/token"),
        };
        let preset = match name {
            "issuer" => format!(
                "; for a well-known provider, use --preset instead (see `{}`)",
                hint::no_profile("config presets", "")
            ),
            _ => String::new(),
        };
        exit::usage(format!(
            "{name} {raw:?} is not a URL ({e}): {what} is an https:// URL such as \
             {example}{preset}"
        ))
    })?;
    // Credentials in a URL would be printed wherever the URL is (-v, error messages).
    if !url.username().is_empty() || url.password().is_some() {
        return Err(exit::usage(format!(
            "{name} must not carry a user name or password (user:password@host); \
             use client_secret for the client's credentials"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(exit::usage(format!(
            "{name} {raw} must use https:// (plain http is allowed only for localhost)"
        ))),
    }
}

/// The link a provider asks the user to open (RFC 8628 `verification_uri` and
/// `verification_uri_complete`): `https://`, or `http://` on loopback, and no
/// `user:password@` (`https://microsoft.com@evil.example/` reads as Microsoft and goes
/// elsewhere). Anything else (`javascript:`, `file:`, `data:`) is refused before the
/// link is shown, drawn as a QR code or opened.
pub fn check_verification_link(name: &str, raw: &str) -> Result<url::Url> {
    let refused = |why: &str| {
        exit::network(format!(
            "the provider sent a {name} keycard will not show or open ({why}): {raw:?}; \
             nothing was opened"
        ))
    };
    let url = url::Url::parse(raw).map_err(|_| refused("not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(
            "it carries a user name, which can disguise its host",
        ));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(refused(
            "only https:// links are opened, or http:// to localhost",
        )),
    }
}

/// The registrable domain of `host` by the public suffix list: `microsoftonline.com` for
/// `login.microsoftonline.com`, `example.co.uk` for `id.example.co.uk`. An IP address,
/// or a name that is itself a public suffix, is its own domain.
pub fn registrable_domain<S: AsRef<str>>(host: &url::Host<S>) -> String {
    let url::Host::Domain(name) = host else {
        return host.to_string();
    };
    let name = name.as_ref().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    // The list spells IDN suffixes in Unicode; the URL gave punycode. Same labels either way.
    let unicode = idna::domain_to_unicode(&name).0;
    let lookup: Vec<&str> = unicode.split('.').collect();
    let lookup = if lookup.len() == labels.len() {
        lookup
    } else {
        labels.clone()
    };
    let suffix = public_suffix_labels(&lookup);
    if labels.len() > suffix {
        labels[labels.len() - suffix - 1..].join(".")
    } else {
        name
    }
}

/// The public suffix list (https://publicsuffix.org), as text in the binary: not code
/// (a compiled-in lookup cost a prompt 0.2 MiB of memory it never used) and not parsed
/// until `login` asks.
const PUBLIC_SUFFIXES: &str = include_str!("public_suffix_list.dat");

/// How many trailing labels of `labels` are the public suffix, by the list's algorithm:
/// an exception rule (`!www.ck`) wins and gives its own labels less the first; else
/// the longest matching rule, where `*` matches one label; else the implicit rule `*`.
fn public_suffix_labels(labels: &[&str]) -> usize {
    use std::collections::HashSet;
    use std::sync::OnceLock;
    static RULES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        PUBLIC_SUFFIXES
            .lines()
            .map(|l| l.split_whitespace().next().unwrap_or_default())
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .collect()
    });
    let n = labels.len();
    for i in 0..n {
        if rules.contains(format!("!{}", labels[i..].join(".")).as_str()) {
            return n - i - 1;
        }
    }
    for i in 0..n {
        let exact = rules.contains(labels[i..].join(".").as_str());
        let wild = i + 1 < n && rules.contains(format!("*.{}", labels[i + 1..].join(".")).as_str());
        if exact || wild {
            return n - i;
        }
    }
    1
}

/// `host` is `domain` or a name under it (`www.microsoft.com` is within `microsoft.com`).
pub fn is_within(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// A `verification_hosts` entry: a bare host name, no scheme, port or path.
pub fn check_host_name(raw: &str) -> Result<String> {
    let bad = || {
        exit::usage(format!(
            "{raw:?} is not a host name: write it as microsoft.com, without https:// or a path"
        ))
    };
    if raw.is_empty() || raw.contains(['/', ':', '@', '?', '#']) {
        return Err(bad());
    }
    match url::Host::parse(raw) {
        Ok(url::Host::Domain(d)) => Ok(d.to_ascii_lowercase()),
        Ok(other) => Ok(other.to_string()),
        Err(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_links_are_https_or_loopback_and_carry_no_user() {
        for ok in [
            "https://microsoft.com/devicelogin",
            "https://www.google.com/device",
            "http://127.0.0.1:9/verify",
        ] {
            assert!(check_verification_link("link", ok).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,<script>x</script>",
            "http://evil.example/device",
            "https://microsoft.com@evil.example/devicelogin",
            "vbscript:x",
            "not a link",
            "",
        ] {
            let err = check_verification_link("link", bad).unwrap_err();
            assert_eq!(exit::code_of(&err), exit::Code::Network, "{bad}");
        }
    }

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        let domain = |h: &str| registrable_domain(&url::Host::parse(h).unwrap());
        assert_eq!(domain("login.microsoftonline.com"), "microsoftonline.com");
        assert_eq!(domain("id.example.co.uk"), "example.co.uk");
        assert_eq!(domain("acme.eu.auth0.com"), "auth0.com");
        // github.io is a public suffix: two users' pages are two domains.
        assert_eq!(domain("alice.github.io"), "alice.github.io");
        assert_eq!(domain("127.0.0.1"), "127.0.0.1");
        // A wildcard rule (*.ck) and its exception (!www.ck).
        assert_eq!(domain("a.b.ck"), "a.b.ck");
        assert_eq!(domain("www.ck"), "www.ck");
        assert_eq!(domain("x.www.ck"), "www.ck");
        // An IDN suffix the list spells in Unicode (公司.cn), reached in punycode.
        assert_eq!(domain("id.example.xn--55qx5d.cn"), "example.xn--55qx5d.cn");
        assert_eq!(domain("github.io"), "github.io");
        assert_eq!(domain("localhost"), "localhost");
        assert!(is_within("www.microsoft.com", "microsoft.com"));
        assert!(is_within("Microsoft.com.", "microsoft.com"));
        assert!(!is_within("evilmicrosoft.com", "microsoft.com"));
        assert!(!is_within("microsoft.com.evil.example", "microsoft.com"));
    }

    #[test]
    fn only_https_or_loopback() {
        for ok in [
            "https://id.example.com",
            "http://127.0.0.1:8080/x",
            "http://localhost/",
            "http://[::1]:1/",
        ] {
            assert!(check_endpoint("issuer", ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://user:hunter2@id.example.com/token",
            "http://id.example.com",
            "ftp://x",
            "not a url",
            "http://127.0.0.1.evil.com/",
        ] {
            let err = check_endpoint("issuer", bad).unwrap_err();
            assert_eq!(exit::code_of(&err), exit::Code::Usage, "{bad}");
        }
    }
}
