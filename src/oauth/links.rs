//! The sign-in links of a device authorization (RFC 8628 §3.2): refused unless they are
//! https:// (or http:// on loopback), and a warning when they lead away from the
//! provider (RFC 8628 §5.4, remote phishing: a link to a look-alike site next to a
//! genuine code).

use super::DeviceAuthorization;
use crate::config::Profile;
use crate::hint;
use crate::presets;
use crate::url_rules::{check_verification_link, is_within, registrable_domain};
use anyhow::Result;

/// `Ok(Some(warning))` when a link leads to a host that is neither within the registrable
/// domain of the issuer (or, without an issuer, of the device authorization endpoint
/// that sent it) nor listed by the profile's `verification_hosts` or a preset for the
/// same provider; an error when a link is not one keycard may show or open.
pub fn check(
    auth: &DeviceAuthorization,
    profile: &Profile,
    device_endpoint: &str,
    name: &str,
) -> Result<Option<String>> {
    let mut links = vec![check_verification_link(
        "verification_uri",
        &auth.verification_uri,
    )?];
    if let Some(complete) = &auth.verification_uri_complete {
        links.push(check_verification_link(
            "verification_uri_complete",
            complete,
        )?);
    }
    let reference = profile
        .issuer
        .as_deref()
        .and_then(|i| url::Url::parse(i).ok())
        .or_else(|| url::Url::parse(device_endpoint).ok());
    let Some(reference) = reference else {
        return Ok(None);
    };
    let Some(reference_host) = reference.host() else {
        return Ok(None);
    };
    let home = registrable_domain(&reference_host);
    let mut trusted = profile.verification_hosts.clone().unwrap_or_default();
    trusted.extend(presets::verification_hosts_for(&reference_host.to_string()));
    for link in &links {
        let Some(host) = link.host() else { continue };
        let host = host.to_string();
        let fine = is_within(&host, &home) || trusted.iter().any(|t| is_within(&host, t));
        if !fine {
            // `config set` replaces a list: the hint keeps the hosts already trusted.
            let mut listed = profile.verification_hosts.clone().unwrap_or_default();
            listed.push(host.clone());
            let value = hint::shell_word(&listed.join(" "));
            return Ok(Some(format!(
                "the sign-in link goes to {host}, which is not {reference_host} (domain {home}) \
                 and not a host profile '{name}' trusts: enter the code only if you expected \
                 that site, since a look-alike page could take it (RFC 8628 §5.4); to trust \
                 it, `{}`",
                hint::for_profile("config set", &name, &format!("verification_hosts {value}"))
            )));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn auth(link: &str) -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: Secret::new("dc"),
            user_code: "ABCD-EFGH".into(),
            verification_uri: link.into(),
            verification_uri_complete: None,
            expires_in: None,
            interval: None,
            message: None,
        }
    }

    /// The profile `config add --preset NAME --var ...` writes.
    fn from_preset(name: &str, vars: &[(&str, &str)]) -> Profile {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let table = presets::find(name).unwrap().instantiate(&vars).unwrap();
        toml_edit::de::from_str(&table.to_string()).unwrap()
    }

    /// Each preset with the link its provider documents: never a warning. (Entra:
    /// learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code; Google:
    /// developers.google.com/identity/protocols/oauth2/limited-input-device; GitHub:
    /// docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow;
    /// Okta: developer.okta.com/docs/guides/device-authorization-grant/main/; Auth0:
    /// auth0.com/docs/get-started/authentication-and-authorization-flow/device-authorization-flow;
    /// Keycloak: its realm's /device page.)
    fn documented() -> Vec<(Profile, &'static str)> {
        vec![
            (
                from_preset("microsoft", &[("tenant", "organizations")]),
                "https://microsoft.com/devicelogin",
            ),
            (
                from_preset("microsoft", &[("tenant", "contoso.onmicrosoft.com")]),
                "https://login.microsoft.com/device",
            ),
            (from_preset("google", &[]), "https://www.google.com/device"),
            (
                from_preset("github", &[]),
                "https://github.com/login/device",
            ),
            (
                from_preset("github", &[("base", "https://ghe.example.com")]),
                "https://ghe.example.com/login/device",
            ),
            (
                from_preset("okta", &[("domain", "acme.okta.com")]),
                "https://acme.okta.com/activate",
            ),
            (
                from_preset("auth0", &[("domain", "acme.eu.auth0.com")]),
                "https://acme.eu.auth0.com/activate",
            ),
            (
                from_preset(
                    "keycloak",
                    &[("base", "https://sso.example.com"), ("realm", "staff")],
                ),
                "https://sso.example.com/realms/staff/device",
            ),
            (
                from_preset("local", &[("port", "8080")]),
                "http://127.0.0.1:8080/device",
            ),
        ]
    }

    fn device_endpoint(p: &Profile) -> String {
        p.device_authorization_endpoint
            .clone()
            .unwrap_or_else(|| format!("{}/device", p.issuer.as_deref().unwrap_or_default()))
    }

    #[test]
    fn a_known_provider_never_draws_the_warning() {
        for (profile, link) in documented() {
            let warning = check(&auth(link), &profile, &device_endpoint(&profile), "p").unwrap();
            assert_eq!(warning, None, "{link} for {:?}", profile.issuer);
        }
    }

    #[test]
    fn a_profile_set_up_by_hand_for_entra_is_known_too() {
        let profile = Profile {
            issuer: Some("https://login.microsoftonline.com/common/v2.0".into()),
            ..Profile::default()
        };
        let endpoint = "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode";
        let warning = check(
            &auth("https://microsoft.com/devicelogin"),
            &profile,
            endpoint,
            "p",
        );
        assert_eq!(warning.unwrap(), None);
    }

    #[test]
    fn a_link_away_from_the_provider_is_named_with_the_issuer() {
        for (profile, _) in documented() {
            for link in [
                "https://evil.example/device",
                "https://microsoft.com.evil.example/devicelogin",
            ] {
                let warning = check(&auth(link), &profile, &device_endpoint(&profile), "p")
                    .unwrap()
                    .unwrap_or_else(|| panic!("no warning for {link}"));
                let reference = url::Url::parse(
                    profile
                        .issuer
                        .as_deref()
                        .unwrap_or(&device_endpoint(&profile)),
                )
                .unwrap();
                let host = url::Url::parse(link).unwrap();
                assert!(
                    warning.contains(host.host_str().unwrap())
                        && warning.contains(reference.host_str().unwrap()),
                    "{warning}"
                );
            }
        }
        // A complete link is held to the same rule.
        let (profile, link) = documented().remove(2);
        let mut a = auth(link);
        a.verification_uri_complete = Some("https://evil.example/device?code=X".into());
        assert!(
            check(&a, &profile, &device_endpoint(&profile), "p")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn a_listed_host_is_trusted_and_a_bad_scheme_is_refused() {
        let mut profile = Profile {
            issuer: Some("https://id.example.com".into()),
            ..Profile::default()
        };
        let a = auth("https://login.partner.example/device");
        assert!(
            check(&a, &profile, "https://id.example.com/d", "p")
                .unwrap()
                .is_some()
        );
        profile.verification_hosts = Some(vec!["partner.example".into()]);
        assert!(
            check(&a, &profile, "https://id.example.com/d", "p")
                .unwrap()
                .is_none()
        );
        for bad in ["javascript:alert(1)", "file:///etc/passwd", "data:,x"] {
            assert!(check(&auth(bad), &profile, "https://id.example.com/d", "p").is_err());
        }
    }

    #[test]
    fn the_hint_to_trust_a_host_keeps_the_hosts_already_trusted() {
        let profile = Profile {
            issuer: Some("https://id.example.com".into()),
            verification_hosts: Some(vec!["partner.example".into()]),
            ..Profile::default()
        };
        let a = auth("https://other.example/device");
        let warning = check(&a, &profile, "https://id.example.com/d", "p")
            .unwrap()
            .unwrap();
        assert!(
            warning.contains("verification_hosts 'partner.example other.example'"),
            "{warning}"
        );
    }
}
