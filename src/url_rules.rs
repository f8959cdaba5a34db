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

#[cfg(test)]
mod tests {
    use super::*;

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
