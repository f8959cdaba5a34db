//! Provider refusals explained: an OAuth `error` (with its `error_description`) from a
//! device authorization, token or refresh request becomes one line saying what is wrong,
//! a hint naming the setting that fixes it in the provider's own words, and an exit code.
//!
//! One table, read top to bottom, first match wins: rows that match a description
//! (an AADSTS number, a provider's sentence) come before rows that match only an error
//! code, so Entra's `AADSTS53003` is not taken for a user's `access_denied`. A row may
//! apply to one provider only, recognised from the endpoint's URL (`Provider::of`):
//! `unauthorized_client` means a grant type to tick in Okta's console and in Auth0's
//! dashboard, under different names.
//!
//! Provider text is cleaned (`text::one_line`) before it is shown.

use super::OAuthError;
use crate::exit::Code;
use crate::hint;
use crate::text::one_line;

/// The providers with presets, as far as an endpoint URL tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    GitHub,
    Entra,
    Okta,
    Auth0,
    Google,
    Keycloak,
}

impl Provider {
    /// The provider an endpoint belongs to: by host for the public services, by the path
    /// each product uses for a server on a host of its own (GitHub Enterprise Server, a
    /// Keycloak or an Okta custom domain).
    pub fn of(endpoint: &str) -> Option<Provider> {
        let url = url::Url::parse(endpoint).ok()?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let path = url.path();
        let on = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        if on("github.com") || path.starts_with("/login/oauth/") || path == "/login/device/code" {
            Some(Provider::GitHub)
        } else if on("microsoftonline.com") || path.contains("/oauth2/v2.0/") {
            Some(Provider::Entra)
        } else if on("okta.com")
            || on("oktapreview.com")
            || on("okta-emea.com")
            || (path.starts_with("/oauth2/") && path.contains("/v1/"))
        {
            Some(Provider::Okta)
        } else if on("auth0.com") || path.starts_with("/oauth/device/code") {
            Some(Provider::Auth0)
        } else if on("googleapis.com") || on("google.com") {
            Some(Provider::Google)
        } else if path.contains("/protocol/openid-connect/") {
            Some(Provider::Keycloak)
        } else {
            None
        }
    }
}

/// What a refusal means for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The client, the tenant or a policy is set up so that this cannot work: exit 1.
    Setup,
    /// The person declined: exit 5.
    Declined,
    /// The code ran out or is no longer known: exit 5.
    CodeGone,
}

/// One refusal, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub kind: Kind,
    /// What is wrong, one line.
    pub message: String,
    /// What to do, naming the setting as the provider's console names it.
    pub hint: String,
}

impl Explained {
    pub fn code(&self) -> Code {
        match self.kind {
            Kind::Setup => Code::Failure,
            Kind::Declined | Kind::CodeGone => Code::LoginIncomplete,
        }
    }

    /// "message (provider said: error: description). hint"
    pub fn sentence(&self, said: &OAuthError) -> String {
        format!(
            "{} (the provider said: {}); {}",
            self.message,
            said.summary(),
            self.hint
        )
    }
}

struct Row {
    /// Only for endpoints of this provider; `None` for any.
    provider: Option<Provider>,
    /// `error` must be one of these; empty for any.
    errors: &'static [&'static str],
    /// `error_description` must contain one of these (ASCII case ignored); empty for any.
    says: &'static [&'static str],
    kind: Kind,
    message: &'static str,
    /// `{entra}`, `{login_again}`, `{set_client_id}` and the other `{...}` are filled in by
    /// `fill`, commands through `hint` for the profile at hand.
    hint: &'static str,
}

const fn row(
    provider: Option<Provider>,
    errors: &'static [&'static str],
    says: &'static [&'static str],
    kind: Kind,
    message: &'static str,
    hint: &'static str,
) -> Row {
    Row {
        provider,
        errors,
        says,
        kind,
        message,
        hint,
    }
}

use Kind::{CodeGone, Declined, Setup};
use Provider::{Auth0, Entra, GitHub, Google, Keycloak, Okta};

const ENTRA_CONSOLE: &str = "in the Microsoft Entra admin center, App registrations > your app";

/// The table. Sources, per provider:
/// - GitHub: "Error codes for the device flow", docs.github.com/apps/oauth-apps/
///   building-oauth-apps/authorizing-oauth-apps (github/docs content/apps/oauth-apps/
///   building-oauth-apps/authorizing-oauth-apps.md): `device_flow_disabled`,
///   `incorrect_client_credentials`, `incorrect_device_code`, `expired_token` (the text
///   also says `token_expired`), `access_denied`; errors arrive with HTTP 200.
/// - Entra: "Expected errors" of learn.microsoft.com/entra/identity-platform/
///   v2-oauth2-device-code (MicrosoftDocs/entra-docs docs/identity-platform/
///   v2-oauth2-device-code.md): `authorization_declined`, `bad_verification_code`,
///   `expired_token`; AADSTS numbers from docs/identity-platform/reference-error-codes.md
///   (70019 CodeExpired is `code_expired` on the wire, 7000218, 700016, 90002, 50059,
///   65001, 53003 BlockedByConditionalAccess, 50097 DeviceAuthenticationRequired).
///   53003 on the device code flow: Azure/azure-cli#32420, #32809.
/// - Okta: developer.okta.com/docs/guides/device-authorization-grant (okta/
///   okta-developer-docs packages/@okta/vuepress-site/docs/guides/
///   device-authorization-grant/main/index.md): the app's "Device Authorization" grant
///   type, the authorization server's access policy rule; "Policy evaluation failed for
///   this request" is Okta's `access_denied` when no rule matches
///   (zeekhoo-okta/okta-django-samples#15).
/// - Auth0: auth0.com/docs/quickstart/native/device: "OIDC Conformant", the "Device
///   Code" and "Refresh Token" grant types, "Allow Offline Access" on the API.
/// - Google: developers.google.com/identity/protocols/oauth2/limited-input-device:
///   `invalid_client` "Invalid client type." / "Only clients of type 'TVs and Limited
///   Input devices' can use..." (anxdpanic/plugin.video.youtube#299, #1117); the
///   client secret is required (cli/oauth#24).
///   `admin_policy_enforced`, `org_internal` and `deleted_client` are the error codes of
///   Google's OAuth 2.0 guides ("Error messages", developers.google.com/identity/
///   protocols/oauth2/native-app).
/// - Keycloak: services/.../DeviceEndpoint.java (keycloak/keycloak): `unauthorized_client`
///   "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is
///   disabled for the client." and, at the token endpoint, "Client not allowed OAuth 2.0
///   Device Authorization Grant"; "Offline tokens not allowed for the user or client".
const TABLE: &[Row] = &[
    // Descriptions first: they are the most specific.
    row(
        None,
        &[],
        &["AADSTS53003"],
        Setup,
        "a Conditional Access policy of your Microsoft Entra tenant blocks this sign-in \
         (tenants often block the device code flow)",
        "this is a tenant policy, not a keycard setting: ask your Entra administrator to \
         exclude this app or your account from the Conditional Access policy that blocks \
         \"Device code flow\" (Conditions > Authentication flows), or to allow it for you",
    ),
    row(
        None,
        &[],
        &["AADSTS50097"],
        Setup,
        "a Conditional Access policy of your Microsoft Entra tenant requires a managed \
         device, which the device code flow cannot prove",
        "this is a tenant policy, not a keycard setting: ask your Entra administrator for an \
         exception for this app",
    ),
    row(
        None,
        &[],
        &["AADSTS7000218"],
        Setup,
        "Microsoft Entra ID treats this app as a confidential client: public client flows \
         are turned off",
        "{entra} > Authentication > Advanced settings: set \"Allow public client flows\" to \
         Yes, and save",
    ),
    row(
        None,
        &[],
        &["AADSTS700016"],
        Setup,
        "no app with this client ID is registered in this Microsoft Entra tenant",
        "use the \"Application (client) ID\" from the app registration's Overview, and the \
         tenant it lives in (or make the app multitenant under \"Supported account types\"): \
         {set_client_id}",
    ),
    row(
        None,
        &[],
        &["AADSTS90002"],
        Setup,
        "Microsoft Entra ID knows no tenant by this name",
        "use the \"Directory (tenant) ID\" from the app registration's Overview, or \
         organizations, common or consumers: {add_microsoft}",
    ),
    row(
        None,
        &[],
        &["AADSTS50059"],
        Setup,
        "Microsoft Entra ID could not tell which tenant to sign in to",
        "use a tenant-specific issuer (the \"Directory (tenant) ID\" from the app \
         registration's Overview): {add_microsoft}",
    ),
    row(
        None,
        &[],
        &["AADSTS65001"],
        Setup,
        "nobody has consented to the permissions this app asks for",
        "{entra} > API permissions: have an administrator \"Grant admin consent\", or ask \
         only for scopes users may consent to",
    ),
    row(
        None,
        &[],
        &["AADSTS70019"],
        CodeGone,
        "the code expired before the sign-in was approved",
        "{login_again}",
    ),
    row(
        None,
        &[],
        &["Policy evaluation failed"],
        Setup,
        "no access policy rule of the Okta authorization server allows this sign-in",
        "in the Okta Admin Console, Security > API > Authorization Servers > your server > \
         Access Policies: add or edit a rule whose grant types include \"Device \
         Authorization\" (and \"Refresh Token\"), for these users and scopes",
    ),
    row(
        None,
        &[],
        &["Invalid client type", "Only clients of type"],
        Setup,
        "this Google OAuth client is not of type \"TVs and Limited Input devices\", the only \
         kind Google lets use the device flow",
        "in the Google Cloud console, APIs & Services > Credentials > Create credentials > \
         OAuth client ID, pick \"TVs and Limited Input devices\", then use its client ID \
         and secret: {set_client_id}",
    ),
    row(
        None,
        &[],
        &["client_secret is missing"],
        Setup,
        "the provider needs the client secret, and the profile has none",
        "copy the secret from the OAuth client's page (Google Cloud console > APIs & \
         Services > Credentials): {set_client_secret}",
    ),
    row(
        None,
        &["unauthorized_client"],
        &["OAuth 2.0 Device Authorization Grant"],
        Setup,
        "the Keycloak client is not allowed to use the device flow",
        "in the Keycloak admin console, Clients > your client > Settings > Capability \
         config: turn on \"OAuth 2.0 Device Authorization Grant\", and save",
    ),
    row(
        None,
        &[],
        &["Offline tokens not allowed"],
        Setup,
        "Keycloak refused an offline token (the offline_access scope) for this user or client",
        "drop offline_access (Keycloak issues refresh tokens without it): {set_scopes}; or \
         give the users the realm role \"offline_access\"",
    ),
    row(
        None,
        &[],
        &["Service not found"],
        Setup,
        "Auth0 has no API with the audience this profile asks for",
        "use the API's \"Identifier\" from Applications > APIs in the Auth0 dashboard: \
         {set_audience}",
    ),
    // The device flow's own endings (RFC 8628 §3.5 and each provider's names for them).
    row(
        None,
        &["access_denied", "authorization_declined"],
        &[],
        Declined,
        "sign-in was denied",
        "{login_again}",
    ),
    row(
        None,
        &[
            "expired_token",
            "token_expired",
            "code_expired",
            "bad_verification_code",
            "incorrect_device_code",
        ],
        &[],
        CodeGone,
        "the code expired or is no longer valid before the sign-in was approved",
        "{login_again}",
    ),
    // RFC 8628 §3.5 / RFC 6749 §5.2 while polling: the device code itself is no longer
    // good. (A refresh refused this way is a refused session: `token::refresh` takes only
    // setup rows from this table.)
    row(
        None,
        &["invalid_grant"],
        &[],
        CodeGone,
        "the provider no longer accepts this sign-in's device code",
        "{login_again}",
    ),
    // Google's own codes (Google's OAuth 2.0 guides, "Error messages").
    row(
        None,
        &["admin_policy_enforced"],
        &[],
        Setup,
        "a policy of your Google Workspace administrator blocks this app",
        "this is an organization policy, not a keycard setting: ask your Workspace \
         administrator to trust the OAuth client (Admin console > Security > Access and data \
         control > API controls), or sign in with another account",
    ),
    row(
        None,
        &["org_internal"],
        &[],
        Setup,
        "this Google OAuth client is for the users of its own Google Cloud organization only",
        "sign in with an account of that organization, or set the OAuth consent screen's \
         \"User type\" to External in the Google Cloud console",
    ),
    row(
        None,
        &["deleted_client"],
        &[],
        Setup,
        "this Google OAuth client has been deleted",
        "create an OAuth client ID of type \"TVs and Limited Input devices\" in the Google \
         Cloud console (APIs & Services > Credentials), then use it: {set_client_id}",
    ),
    // Error codes, per provider.
    row(
        Some(GitHub),
        &["device_flow_disabled"],
        &[],
        Setup,
        "device flow is not enabled for this GitHub app",
        "in the app's settings on GitHub (Settings > Developer settings > OAuth Apps or \
         GitHub Apps > your app), select \"Enable Device Flow\" and save",
    ),
    row(
        None,
        &["device_flow_disabled"],
        &[],
        Setup,
        "device flow is not enabled for this app",
        "turn on \"Enable Device Flow\" in the app's settings",
    ),
    row(
        None,
        &["incorrect_client_credentials"],
        &[],
        Setup,
        "GitHub does not know this client ID",
        "use the \"Client ID\" from the app's settings page on GitHub (the device flow needs \
         no client secret): {set_client_id}",
    ),
    row(
        Some(Okta),
        &["unauthorized_client"],
        &[],
        Setup,
        "the Okta app is not allowed to use the device flow",
        "in the Okta Admin Console, Applications > your app (a Native app) > General \
         Settings > Grant type: select \"Device Authorization\" and \"Refresh Token\", and save",
    ),
    row(
        Some(Auth0),
        &["unauthorized_client"],
        &[],
        Setup,
        "the Auth0 application is not allowed to use the device flow",
        "in the Auth0 dashboard, Applications > your app (Native) > Advanced Settings: turn \
         on \"OIDC Conformant\" (OAuth tab) and select the \"Device Code\" and \"Refresh \
         Token\" grant types (Grant Types tab)",
    ),
    row(
        Some(Keycloak),
        &["unauthorized_client"],
        &[],
        Setup,
        "the Keycloak client is not allowed to use the device flow",
        "in the Keycloak admin console, Clients > your client > Settings > Capability \
         config: turn on \"OAuth 2.0 Device Authorization Grant\", and save",
    ),
    row(
        Some(Okta),
        &["invalid_scope"],
        &[],
        Setup,
        "the Okta authorization server does not allow a scope this profile asks for",
        "allow the scopes in Security > API > Authorization Servers > your server > Scopes \
         and in its access policy rule (offline_access also needs the app's \"Refresh \
         Token\" grant type), or ask for fewer: {set_scopes}",
    ),
    row(
        Some(Auth0),
        &["invalid_scope"],
        &[],
        Setup,
        "Auth0 does not allow a scope this profile asks for",
        "for offline_access turn on \"Allow Offline Access\" in the API's settings \
         (Applications > APIs), or ask for fewer scopes: {set_scopes}",
    ),
    row(
        Some(Keycloak),
        &["invalid_scope"],
        &[],
        Setup,
        "the Keycloak client does not allow a scope this profile asks for",
        "add the client scope under Clients > your client > Client scopes, or ask for fewer \
         scopes: {set_scopes}",
    ),
    row(
        Some(Entra),
        &["invalid_scope"],
        &[],
        Setup,
        "Microsoft Entra ID does not accept a scope this profile asks for",
        "{entra} > API permissions: add the permission, or ask for fewer scopes: {set_scopes}",
    ),
    row(
        Some(Google),
        &["invalid_scope"],
        &[],
        Setup,
        "Google does not allow this scope for the device flow",
        "Google allows only some scopes for \"TVs and Limited Input devices\" clients \
         (openid, email, profile and a few more): {set_scopes}",
    ),
    row(
        None,
        &["invalid_scope"],
        &[],
        Setup,
        "the provider does not allow a scope this profile asks for",
        "ask for fewer or other scopes: {set_scopes}",
    ),
    row(
        None,
        &["unauthorized_client"],
        &[],
        Setup,
        "the client is not allowed to use the device flow (or refresh tokens)",
        "enable the device authorization grant (and refresh tokens) for this client in the \
         provider's console",
    ),
    row(
        None,
        &["invalid_client"],
        &[],
        Setup,
        "the provider does not accept this client (wrong client ID or secret, or a client of \
         the wrong kind)",
        "check client_id, client_secret and client_auth against the client's registration: \
         {set_client_id}",
    ),
];

/// The first row that matches `said`, for a request to `endpoint`, with the commands in
/// its hint built for `profile`. `None`: keycard has nothing better to say than the
/// provider's own words.
pub fn explain(said: &OAuthError, endpoint: &str, profile: &str) -> Option<Explained> {
    let provider = Provider::of(endpoint);
    let description = said.description.as_deref().unwrap_or_default();
    TABLE
        .iter()
        .find(|r| {
            r.provider.is_none_or(|p| Some(p) == provider)
                && (r.errors.is_empty() || r.errors.contains(&said.error.as_str()))
                && (r.says.is_empty()
                    || r.says
                        .iter()
                        .any(|s| contains_ignoring_case(description, s)))
        })
        .map(|r| Explained {
            kind: r.kind,
            message: r.message.to_string(),
            hint: fill(r.hint, profile),
        })
}

/// A refusal keycard does not recognise: the provider's `error` and `error_description`
/// (cleaned), and where to look further.
pub fn generic(doing: &str, said: &OAuthError) -> String {
    format!(
        "{doing}: {}; run again with -v to see the whole exchange",
        one_line(&said.summary())
    )
}

fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack
        .to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

fn fill(hint: &str, profile: &str) -> String {
    let set = |args: &str| format!("`{}`", hint::for_profile("config set", &profile, args));
    hint.replace("{entra}", ENTRA_CONSOLE)
        .replace(
            "{login_again}",
            &format!(
                "run `{}` to try again",
                hint::for_profile("login", &profile, "")
            ),
        )
        .replace("{set_client_id}", &set("client_id ID"))
        // On standard input, as `config set` asks for a secret (never in shell history).
        .replace("{set_client_secret}", &set("client_secret -"))
        .replace("{set_scopes}", &set("scopes \"openid profile\""))
        .replace("{set_audience}", &set("audience IDENTIFIER"))
        .replace(
            "{add_microsoft}",
            // The tenant is in every endpoint of the preset: the profile is made again.
            &format!(
                "`{}`, then `{}`",
                hint::no_profile("config remove", profile),
                hint::no_profile(
                    "config add",
                    &format!("{profile} --preset microsoft --var tenant=TENANT_ID --client-id ID")
                )
            ),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(error: &str, description: Option<&str>) -> OAuthError {
        OAuthError {
            error: error.into(),
            description: description.map(str::to_string),
            interval: None,
        }
    }

    const GITHUB: &str = "https://github.com/login/oauth/access_token";
    const GHES: &str = "https://ghe.example.com/login/device/code";
    const ENTRA: &str = "https://login.microsoftonline.com/acme/oauth2/v2.0/token";
    const OKTA: &str = "https://acme.okta.com/oauth2/default/v1/token";
    const OKTA_ORG: &str = "https://login.acme.com/oauth2/v1/device/authorize";
    const AUTH0: &str = "https://acme.eu.auth0.com/oauth/device/code";
    const GOOGLE: &str = "https://oauth2.googleapis.com/token";
    const KEYCLOAK: &str =
        "https://sso.example.com/realms/acme/protocol/openid-connect/auth/device";

    #[test]
    fn providers_are_told_by_host_or_path() {
        for (url, want) in [
            (GITHUB, Some(GitHub)),
            (GHES, Some(GitHub)),
            (ENTRA, Some(Entra)),
            (OKTA, Some(Okta)),
            (OKTA_ORG, Some(Okta)),
            (AUTH0, Some(Auth0)),
            ("https://login.acme.com/oauth/device/code", Some(Auth0)),
            (GOOGLE, Some(Google)),
            (KEYCLOAK, Some(Keycloak)),
            ("https://id.example.com/token", None),
            ("not a url", None),
            ("https://evilgithub.com/token", None),
        ] {
            assert_eq!(Provider::of(url), want, "{url}");
        }
    }

    /// Row by row: (endpoint, error, description) -> (kind, words the message or hint
    /// must contain).
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Kind, &'a [&'a str]);

    #[test]
    fn every_row_of_the_table() {
        let cases: &[Case] = &[
            (
                GITHUB,
                "device_flow_disabled",
                None,
                Setup,
                &["\"Enable Device Flow\""],
            ),
            (
                GHES,
                "device_flow_disabled",
                None,
                Setup,
                &["\"Enable Device Flow\"", "GitHub"],
            ),
            (
                "https://x.example/token",
                "device_flow_disabled",
                None,
                Setup,
                &["\"Enable Device Flow\""],
            ),
            (
                GITHUB,
                "incorrect_client_credentials",
                None,
                Setup,
                &["Client ID", "config set --profile p client_id ID"],
            ),
            (
                GITHUB,
                "incorrect_device_code",
                None,
                CodeGone,
                &["keycard login --profile p"],
            ),
            (GITHUB, "expired_token", None, CodeGone, &["expired"]),
            (
                OKTA,
                "invalid_grant",
                Some("The device code is invalid or has expired."),
                CodeGone,
                &["keycard login --profile p"],
            ),
            (
                GOOGLE,
                "admin_policy_enforced",
                None,
                Setup,
                &["Workspace administrator", "API controls"],
            ),
            (GOOGLE, "org_internal", None, Setup, &["\"User type\""]),
            (
                GOOGLE,
                "deleted_client",
                None,
                Setup,
                &["deleted", "client_id ID"],
            ),
            (GITHUB, "token_expired", None, CodeGone, &["expired"]),
            (
                GITHUB,
                "access_denied",
                None,
                Declined,
                &["denied", "keycard login --profile p"],
            ),
            (
                ENTRA,
                "authorization_declined",
                Some("AADSTS70000: The user declined"),
                Declined,
                &["denied"],
            ),
            (
                ENTRA,
                "bad_verification_code",
                None,
                CodeGone,
                &["no longer valid"],
            ),
            (
                ENTRA,
                "code_expired",
                Some("AADSTS70019: Verification code expired."),
                CodeGone,
                &["expired"],
            ),
            (ENTRA, "expired_token", None, CodeGone, &["expired"]),
            (
                ENTRA,
                "invalid_client",
                Some(
                    "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                ),
                Setup,
                &["\"Allow public client flows\"", "App registrations"],
            ),
            (
                ENTRA,
                "unauthorized_client",
                Some(
                    "AADSTS700016: Application with identifier 'x' was not found in the directory 'acme'.",
                ),
                Setup,
                &["\"Application (client) ID\"", "client_id ID"],
            ),
            (
                ENTRA,
                "invalid_request",
                Some("AADSTS90002: Tenant 'nope' not found."),
                Setup,
                &[
                    "\"Directory (tenant) ID\"",
                    "--preset microsoft --var tenant=",
                ],
            ),
            (
                ENTRA,
                "invalid_request",
                Some(
                    "AADSTS50059: No tenant-identifying information found in either the request or implied by any provided credentials.",
                ),
                Setup,
                &["\"Directory (tenant) ID\""],
            ),
            (
                ENTRA,
                "invalid_grant",
                Some(
                    "AADSTS65001: The user or administrator has not consented to use the application",
                ),
                Setup,
                &["\"Grant admin consent\"", "API permissions"],
            ),
            (
                ENTRA,
                "access_denied",
                Some("AADSTS53003: Access has been blocked by Conditional Access policies."),
                Setup,
                &["tenant policy", "administrator", "\"Device code flow\""],
            ),
            (
                ENTRA,
                "invalid_grant",
                Some("AADSTS50097: Device authentication is required."),
                Setup,
                &["tenant policy"],
            ),
            (
                ENTRA,
                "invalid_scope",
                Some(
                    "AADSTS70011: The provided value for the input parameter 'scope' is not valid.",
                ),
                Setup,
                &["API permissions", "config set --profile p scopes"],
            ),
            (
                OKTA,
                "unauthorized_client",
                Some(
                    "The client is not authorized to use the provided grant type. Configured grant types: [authorization_code].",
                ),
                Setup,
                &[
                    "\"Device Authorization\"",
                    "\"Refresh Token\"",
                    "Admin Console",
                ],
            ),
            (
                OKTA_ORG,
                "unauthorized_client",
                None,
                Setup,
                &["\"Device Authorization\""],
            ),
            (
                OKTA,
                "invalid_scope",
                Some(
                    "One or more scopes are not configured for the authorization server resource.",
                ),
                Setup,
                &["access policy rule", "\"Refresh Token\""],
            ),
            (
                OKTA,
                "access_denied",
                Some(
                    "Policy evaluation failed for this request, please check the policy configurations.",
                ),
                Setup,
                &["Access Policies", "\"Device Authorization\""],
            ),
            (
                AUTH0,
                "unauthorized_client",
                Some(
                    "Grant type 'urn:ietf:params:oauth:grant-type:device_code' not allowed for the client.",
                ),
                Setup,
                &[
                    "\"OIDC Conformant\"",
                    "\"Device Code\"",
                    "\"Refresh Token\"",
                ],
            ),
            (
                AUTH0,
                "invalid_scope",
                None,
                Setup,
                &["\"Allow Offline Access\""],
            ),
            (
                AUTH0,
                "access_denied",
                Some("Service not found: https://api.example.com"),
                Setup,
                &["Identifier", "config set --profile p audience"],
            ),
            (
                GOOGLE,
                "invalid_client",
                Some("Invalid client type."),
                Setup,
                &["\"TVs and Limited Input devices\""],
            ),
            (
                GOOGLE,
                "invalid_client",
                Some(
                    "Only clients of type 'TVs and Limited Input devices' can use the OAuth 2.0 flow",
                ),
                Setup,
                &["\"TVs and Limited Input devices\""],
            ),
            (
                GOOGLE,
                "invalid_request",
                Some("client_secret is missing."),
                Setup,
                &["client_secret -`"],
            ),
            (
                GOOGLE,
                "invalid_scope",
                Some("Invalid device flow scope: x"),
                Setup,
                &["only some scopes"],
            ),
            (
                KEYCLOAK,
                "unauthorized_client",
                Some(
                    "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client.",
                ),
                Setup,
                &[
                    "\"OAuth 2.0 Device Authorization Grant\"",
                    "Capability config",
                ],
            ),
            (
                "https://sso.example.com/kc/token",
                "unauthorized_client",
                Some("Client not allowed OAuth 2.0 Device Authorization Grant"),
                Setup,
                &["\"OAuth 2.0 Device Authorization Grant\""],
            ),
            (
                KEYCLOAK,
                "invalid_scope",
                Some("Invalid scopes: offline_access"),
                Setup,
                &["Client scopes"],
            ),
            (
                KEYCLOAK,
                "invalid_request",
                Some("Offline tokens not allowed for the user or client"),
                Setup,
                &["realm role \"offline_access\""],
            ),
            (
                "https://id.example.com/token",
                "invalid_scope",
                None,
                Setup,
                &["scopes"],
            ),
            (
                "https://id.example.com/token",
                "unauthorized_client",
                None,
                Setup,
                &["device authorization grant"],
            ),
            (
                "https://id.example.com/token",
                "invalid_client",
                None,
                Setup,
                &["client_secret"],
            ),
        ];
        for (endpoint, error, description, kind, words) in cases {
            let said = said(error, *description);
            let e = explain(&said, endpoint, "p")
                .unwrap_or_else(|| panic!("{endpoint} {error}: no row"));
            assert_eq!(e.kind, *kind, "{endpoint} {error} {description:?}");
            let text = e.sentence(&said);
            for w in *words {
                assert!(text.contains(w), "{endpoint} {error}: {w:?} not in {text}");
            }
            assert!(!text.contains('{'), "unfilled: {text}");
            assert_eq!(
                e.code(),
                match kind {
                    Setup => Code::Failure,
                    _ => Code::LoginIncomplete,
                }
            );
        }
    }

    #[test]
    fn unknown_refusals_are_left_to_the_generic_line() {
        for (error, description) in [
            ("server_said_no", None),
            ("server_is_grumpy", Some("Refresh token expired")),
        ] {
            let said = said(error, description);
            assert_eq!(explain(&said, "https://id.example.com/token", "p"), None);
        }
        let line = generic(
            "the provider refused",
            &said("weird", Some("line one\nline\x1b[2J two")),
        );
        assert_eq!(
            line,
            "the provider refused: weird: line one line two; run again with -v to see the whole exchange"
        );
    }

    #[test]
    fn a_description_outranks_the_error_code() {
        // Entra's Conditional Access block is no person's refusal.
        let kind = |s: &OAuthError| explain(s, ENTRA, "p").map(|e| e.kind);
        let blocked = said(
            "access_denied",
            Some("AADSTS53003: Access has been blocked"),
        );
        assert_eq!(kind(&blocked), Some(Setup));
        assert_eq!(kind(&said("access_denied", None)), Some(Declined));
    }
}
