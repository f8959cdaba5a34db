//! Presets for well-known providers: `profiles/*.toml`, compiled into the binary.
//!
//! A preset is a description, the variables it takes (`{tenant}`, `{domain}`, ...; each
//! with a one-line explanation and maybe a default), an optional `needs_client_secret`,
//! and a `[profile]` table of ordinary profile settings: endpoints, scopes and dialect
//! settings such as `client_auth`. `{name}` in any string of the table is replaced by
//! the variable's value. A preset never carries a client id, except `local`, whose
//! `keycard` client belongs to the test provider in this repository.

use crate::exit;
use crate::hint;
use crate::url_rules::check_endpoint;
use anyhow::{Context, Result};
use toml_edit::{DocumentMut, Item, Table, Value};

/// Every preset, by name, in the order `config presets` lists them.
const SOURCES: &[(&str, &str)] = &[
    ("auth0", include_str!("../profiles/auth0.toml")),
    ("github", include_str!("../profiles/github.toml")),
    ("google", include_str!("../profiles/google.toml")),
    ("keycloak", include_str!("../profiles/keycloak.toml")),
    ("local", include_str!("../profiles/local.toml")),
    ("microsoft", include_str!("../profiles/microsoft.toml")),
    ("okta", include_str!("../profiles/okta.toml")),
];

#[derive(Debug, Clone)]
pub struct Preset {
    pub name: &'static str,
    pub description: String,
    pub needs_client_secret: bool,
    pub vars: Vec<Var>,
    derived: Vec<Derived>,
    profile: Table,
}

/// A value the preset works out from a variable (`[derived.NAME]`): `cases` maps the
/// variable's value to the result, `otherwise` (with `{var}`s) covers the rest. GitHub's
/// API is `https://api.github.com` for github.com and `{base}/api/v3` for a GitHub
/// Enterprise Server; Okta's org authorization server has no `/oauth2/{server}` path.
#[derive(Debug, Clone)]
struct Derived {
    name: String,
    from: String,
    cases: Vec<(String, String)>,
    otherwise: String,
}

#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub about: String,
    pub default: Option<String>,
}

pub fn names() -> Vec<&'static str> {
    SOURCES.iter().map(|(n, _)| *n).collect()
}

/// Every preset. The files are part of the binary and tested, so a parse error here is
/// a bug; it is still reported as an error rather than a panic.
pub fn all() -> Result<Vec<Preset>> {
    SOURCES.iter().map(|(n, s)| parse(n, s)).collect()
}

/// The verification hosts of every preset whose issuer or device authorization endpoint
/// is on `host` (when that host is fixed, not a `{var}`): so a profile set up by hand
/// for a known provider, or before its preset listed them, draws no false warning.
pub fn verification_hosts_for(host: &str) -> Vec<String> {
    let Ok(presets) = all() else {
        return Vec::new();
    };
    let on_host = |preset: &Preset, key: &str| {
        preset
            .profile
            .get(key)
            .and_then(Item::as_str)
            // A `{var}` in the path (Entra's tenant) leaves the host fixed; one in the
            // host (Okta's domain) matches no host here.
            .and_then(|url| url::Url::parse(&without_vars(url)).ok())
            .is_some_and(|url| {
                url.host_str()
                    .is_some_and(|h| !h.contains(VAR_MARK) && h.eq_ignore_ascii_case(host))
            })
    };
    presets
        .iter()
        .filter(|p| on_host(p, "issuer") || on_host(p, "device_authorization_endpoint"))
        .filter_map(|p| p.profile.get("verification_hosts").and_then(Item::as_array))
        .flat_map(|hosts| hosts.iter().filter_map(|h| h.as_str().map(str::to_string)))
        .collect()
}

/// What `without_vars` puts where a variable was.
const VAR_MARK: &str = "keycard-var";

/// `url` with every `{var}` replaced by `VAR_MARK`, so it parses as a URL.
fn without_vars(url: &str) -> String {
    let mut out = String::new();
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        out.push_str(VAR_MARK);
        rest = rest[start..].split_once('}').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

/// The preset called `name`, or a usage error listing the known ones.
pub fn find(name: &str) -> Result<Preset> {
    match SOURCES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some((n, source)) => parse(n, source),
        None => Err(exit::usage(format!(
            "no preset named '{name}'; presets are: {} (see `{}`)",
            names().join(", "),
            hint::no_profile("config presets", "")
        ))),
    }
}

fn parse(name: &'static str, source: &str) -> Result<Preset> {
    let broken = || format!("built-in preset '{name}' is broken");
    let doc: DocumentMut = source.parse().with_context(broken)?;
    let description = doc
        .get("description")
        .and_then(Item::as_str)
        .with_context(broken)?
        .to_string();
    let needs_client_secret = doc
        .get("needs_client_secret")
        .and_then(Item::as_bool)
        .unwrap_or(false);
    let mut vars = Vec::new();
    if let Some(table) = doc.get("vars").and_then(Item::as_table_like) {
        for (var, spec) in table.iter() {
            let field = |key: &str| {
                spec.as_table_like()
                    .and_then(|t| t.get(key))
                    .and_then(Item::as_str)
                    .map(str::to_string)
            };
            vars.push(Var {
                name: var.to_string(),
                about: field("about").with_context(broken)?,
                default: field("default"),
            });
        }
    }
    let mut derived = Vec::new();
    if let Some(table) = doc.get("derived").and_then(Item::as_table_like) {
        for (var, spec) in table.iter() {
            let spec = spec.as_table_like().with_context(broken)?;
            let text = |key: &str| spec.get(key).and_then(Item::as_str).map(str::to_string);
            let cases = spec
                .get("cases")
                .and_then(Item::as_table_like)
                .map(|t| {
                    t.iter()
                        .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            derived.push(Derived {
                name: var.to_string(),
                from: text("from").with_context(broken)?,
                cases,
                otherwise: text("otherwise").with_context(broken)?,
            });
        }
    }
    let profile = doc
        .get("profile")
        .and_then(Item::as_table)
        .with_context(broken)?
        .clone();
    Ok(Preset {
        name,
        description,
        needs_client_secret,
        vars,
        derived,
        profile,
    })
}

/// Splits `--var NAME=VALUE`.
pub fn parse_var(raw: &str) -> Result<(String, String)> {
    match raw.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(exit::usage(format!(
            "--var takes NAME=VALUE, not {raw:?} (e.g. --var domain=acme.okta.com)"
        ))),
    }
}

impl Preset {
    /// The profile settings with every `{var}` filled in from `given` or the defaults.
    /// A missing or unknown variable, or an endpoint that comes out invalid, is a usage
    /// error that names it.
    pub fn instantiate(&self, given: &[(String, String)]) -> Result<Table> {
        for (k, _) in given {
            if !self.vars.iter().any(|v| &v.name == k) {
                let takes = if self.vars.is_empty() {
                    "takes no variables".to_string()
                } else {
                    format!(
                        "takes {}",
                        self.vars
                            .iter()
                            .map(|v| v.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                return Err(exit::usage(format!(
                    "preset '{}' has no variable '{k}'; it {takes}",
                    self.name
                )));
            }
        }
        let mut values = Vec::new();
        for var in &self.vars {
            let value = given
                .iter()
                .rev()
                .find(|(k, _)| *k == var.name)
                .map(|(_, v)| v.clone())
                .or_else(|| var.default.clone())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    exit::usage(format!(
                        "preset '{}' needs --var {}=VALUE: {}",
                        self.name, var.name, var.about
                    ))
                })?;
            // "https://sso.example.com/" + "/realms/x" would double the slash.
            let value = value.trim_end_matches('/').to_string();
            self.check_var(&var.name, &value)?;
            values.push((var.name.clone(), value));
        }
        for d in &self.derived {
            let from = values
                .iter()
                .find(|(n, _)| *n == d.from)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            let value = d
                .cases
                .iter()
                .find(|(case, _)| case.eq_ignore_ascii_case(from))
                .map_or_else(|| substitute(&d.otherwise, &values), |(_, v)| v.clone());
            values.push((d.name.clone(), value));
        }
        let mut table = self.profile.clone();
        for (_, item) in table.iter_mut() {
            fill(item, &values);
        }
        for (key, item) in table.iter() {
            if (key == "issuer" || key.ends_with("_endpoint"))
                && let Some(url) = item.as_str()
            {
                check_endpoint(key, url)?;
            }
        }
        Ok(table)
    }
}

impl Preset {
    /// A variable that begins a setting (`{base}/realms/...`) is a URL; any other is one
    /// part of a URL (a host, a tenant, a realm) and may not carry URL syntax: pasting
    /// `https://acme.okta.com` for a domain would otherwise make a broken issuer.
    fn check_var(&self, name: &str, value: &str) -> Result<()> {
        let starts_a_url = self.profile.to_string().contains(&format!("\"{{{name}}}"));
        if starts_a_url {
            return check_endpoint(&format!("--var {name}"), value).map(|_| ());
        }
        let bad = value
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || "/?#@{}\\\"".contains(*c));
        match bad {
            None => Ok(()),
            Some(_) if value.contains("://") => Err(exit::usage(format!(
                "--var {name} takes a bare name, not a URL: drop the scheme and path \
                 (e.g. acme.okta.com, not https://acme.okta.com)"
            ))),
            Some(c) => Err(exit::usage(format!(
                "--var {name} cannot contain {c:?}; give just the {name}"
            ))),
        }
    }
}

/// Replaces `{name}` in every string of `item`, recursively.
fn fill(item: &mut Item, values: &[(String, String)]) {
    match item {
        Item::Value(v) => fill_value(v, values),
        Item::Table(t) => {
            for (_, i) in t.iter_mut() {
                fill(i, values);
            }
        }
        _ => {}
    }
}

fn fill_value(value: &mut Value, values: &[(String, String)]) {
    match value {
        Value::String(s) => {
            let text = substitute(s.value(), values);
            let decor = s.decor().clone();
            *value = Value::from(text);
            *value.decor_mut() = decor;
        }
        Value::Array(a) => a.iter_mut().for_each(|v| fill_value(v, values)),
        Value::InlineTable(t) => t.iter_mut().for_each(|(_, v)| fill_value(v, values)),
        _ => {}
    }
}

/// One pass over `template`: each `{name}` becomes its value, and a value is never
/// expanded again. Unknown names stay as they are.
fn substitute(template: &str, values: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| (v, close))
        }) {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Profile;

    /// Fills every variable with a plausible value.
    fn sample(p: &Preset) -> Vec<(String, String)> {
        p.vars
            .iter()
            .map(|v| {
                let value = match v.name.as_str() {
                    "base" => "https://sso.example.com/",
                    "port" => "9000",
                    _ => "acme.example.com",
                };
                (v.name.clone(), value.to_string())
            })
            .collect()
    }

    #[test]
    fn every_preset_makes_a_valid_profile_without_a_client_id() {
        let presets = all().unwrap();
        assert_eq!(presets.len(), SOURCES.len());
        for p in presets {
            let table = p.instantiate(&sample(&p)).unwrap();
            let text = table.to_string();
            assert!(
                !text.contains('{'),
                "{}: unfilled variable in {text}",
                p.name
            );
            let profile: Profile = toml_edit::de::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not a profile: {e}\n{text}", p.name));
            assert!(
                profile.issuer.is_some() || profile.token_endpoint.is_some(),
                "{}",
                p.name
            );
            assert_eq!(
                profile.client_id.is_some(),
                p.name == "local",
                "{}: only local carries a client id",
                p.name
            );
            assert!(!p.description.contains('\n'), "{}", p.name);
            assert!(profile.client_secret.is_none(), "{}", p.name);
        }
    }

    #[test]
    fn variables_are_filled_and_trailing_slashes_dropped() {
        let kc = find("keycloak").unwrap();
        let t = kc
            .instantiate(&[
                ("base".into(), "https://sso.example.com/".into()),
                ("realm".into(), "acme".into()),
            ])
            .unwrap();
        assert_eq!(
            t["issuer"].as_str(),
            Some("https://sso.example.com/realms/acme")
        );
        let okta = find("okta").unwrap();
        let t = okta
            .instantiate(&[("domain".into(), "acme.okta.com".into())])
            .unwrap();
        assert_eq!(
            t["token_endpoint"].as_str(),
            Some("https://acme.okta.com/oauth2/default/v1/token")
        );
    }

    #[test]
    fn okta_org_authorization_server_has_no_server_in_its_paths() {
        let okta = find("okta").unwrap();
        let org = okta
            .instantiate(&[
                ("domain".into(), "acme.okta.com".into()),
                ("server".into(), "org".into()),
            ])
            .unwrap();
        assert_eq!(org["issuer"].as_str(), Some("https://acme.okta.com"));
        for (key, path) in [
            ("device_authorization_endpoint", "device/authorize"),
            ("token_endpoint", "token"),
            ("revocation_endpoint", "revoke"),
            ("userinfo_endpoint", "userinfo"),
        ] {
            assert_eq!(
                org[key].as_str(),
                Some(format!("https://acme.okta.com/oauth2/v1/{path}").as_str()),
                "{key}"
            );
        }
        let custom = okta
            .instantiate(&[
                ("domain".into(), "acme.okta.com".into()),
                ("server".into(), "aus1x".into()),
            ])
            .unwrap();
        assert_eq!(
            custom["issuer"].as_str(),
            Some("https://acme.okta.com/oauth2/aus1x")
        );
        assert_eq!(
            custom["revocation_endpoint"].as_str(),
            Some("https://acme.okta.com/oauth2/aus1x/v1/revoke")
        );
    }

    #[test]
    fn github_user_api_is_api_github_com_or_the_servers_api_v3() {
        let gh = find("github").unwrap();
        let dotcom = gh.instantiate(&[]).unwrap();
        assert_eq!(
            dotcom["userinfo_endpoint"].as_str(),
            Some("https://api.github.com/user")
        );
        let ghes = gh
            .instantiate(&[("base".into(), "https://ghe.example.com/".into())])
            .unwrap();
        assert_eq!(
            ghes["userinfo_endpoint"].as_str(),
            Some("https://ghe.example.com/api/v3/user")
        );
    }

    #[test]
    fn keycloak_does_not_ask_for_offline_tokens() {
        let kc = find("keycloak").unwrap();
        let t = kc
            .instantiate(&[
                ("base".into(), "https://sso.example.com".into()),
                ("realm".into(), "acme".into()),
            ])
            .unwrap();
        let scopes = t["scopes"].to_string();
        assert!(!scopes.contains("offline_access"), "{scopes}");
        assert!(scopes.contains("openid"), "{scopes}");
    }

    #[test]
    fn pasted_urls_and_url_syntax_in_bare_variables_are_refused() {
        let okta = find("okta").unwrap();
        for bad in [
            "https://acme.okta.com",
            "acme.okta.com/x",
            "a b",
            "evil@host",
            "{server}",
        ] {
            let err = okta
                .instantiate(&[("domain".into(), bad.into())])
                .unwrap_err();
            assert_eq!(exit::code_of(&err), exit::Code::Usage, "{bad}");
            assert!(err.to_string().contains("--var domain"), "{bad}: {err}");
        }
        let kc = find("keycloak").unwrap();
        let err = kc
            .instantiate(&[
                ("base".into(), "sso.example.com".into()),
                ("realm".into(), "acme".into()),
            ])
            .unwrap_err();
        assert!(err.to_string().contains("--var base"), "{err}");
    }

    #[test]
    fn substitution_is_one_pass() {
        let values = [
            ("a".to_string(), "{b}".to_string()),
            ("b".to_string(), "x".to_string()),
        ];
        assert_eq!(substitute("{a}/{b}/{c}", &values), "{b}/x/{c}");
    }

    #[test]
    fn missing_unknown_and_bad_variables_are_usage_errors() {
        let ms = find("microsoft").unwrap();
        let err = ms.instantiate(&[]).unwrap_err();
        assert_eq!(exit::code_of(&err), exit::Code::Usage);
        assert!(err.to_string().contains("--var tenant="), "{err}");
        let err = ms
            .instantiate(&[("tenant".into(), "x".into()), ("domain".into(), "y".into())])
            .unwrap_err();
        assert!(err.to_string().contains("no variable 'domain'"), "{err}");
        let err = find("keycloak")
            .unwrap()
            .instantiate(&[
                ("base".into(), "http://sso.example.com".into()),
                ("realm".into(), "x".into()),
            ])
            .unwrap_err();
        assert_eq!(exit::code_of(&err), exit::Code::Usage, "{err}");
        let err = find("nope").unwrap_err();
        assert_eq!(exit::code_of(&err), exit::Code::Usage);
        assert!(err.to_string().contains("github, google"), "{err}");
        assert!(parse_var("novalue").is_err());
        assert_eq!(
            parse_var("a=b=c").unwrap(),
            ("a".to_string(), "b=c".to_string())
        );
    }
}
