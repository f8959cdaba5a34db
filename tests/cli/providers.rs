//! Provider dialects and the built-in presets, each imitated on the scripted server.
//!
//! A preset's endpoints name the real provider; the tests add a profile from the preset,
//! check what it wrote, then point its origin at the scripted server (`rehost`) and sign
//! in against an imitation of that provider's wire format.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::{Value, json};

/// Replaces `origin` with `to` everywhere in config.toml.
fn rehost(scratch: &Scratch, origin: &str, to: &str) {
    let path = scratch.config_dir().join("config.toml");
    let text = scratch.config_toml();
    assert!(text.contains(origin), "{origin} not in {text}");
    std::fs::write(path, text.replace(origin, to)).unwrap();
}

fn device_line(run: &Run) -> Value {
    serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap()
}

fn token_json() -> fake::Response {
    fake::json(
        200,
        json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1"}),
    )
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A standard device flow on `BASE/device` and `BASE/token`: pending once, then a token.
fn standard(req: &fake::Request, n: usize) -> fake::Response {
    match (req.path.as_str(), n) {
        ("/device", _) => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "ABCD-EFGH",
                   "verification_uri": "https://example.test/device", "interval": 1, "expires_in": 60}),
        ),
        ("/token", 0) => fake::json(400, json!({"error": "authorization_pending"})),
        _ => token_json(),
    }
}

fn client_secret_post_puts_the_secret_in_every_form() {
    let server = FakeServer::start(standard);
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    scratch
        .run(&["config", "set", "client_secret", "s3cret"])
        .expect(0);
    let run = scratch.run(&["login", "-v"]);
    run.expect(0);
    for req in server.all() {
        assert_eq!(
            req.form("client_id").as_deref(),
            Some("cli"),
            "{}",
            req.path
        );
        assert_eq!(
            req.form("client_secret").as_deref(),
            Some("s3cret"),
            "{}",
            req.path
        );
        assert_eq!(req.header("authorization"), None, "{}", req.path);
        assert_eq!(
            req.header("content-type"),
            Some("application/x-www-form-urlencoded"),
            "{}",
            req.path
        );
        assert_eq!(
            req.header("accept"),
            Some("application/json"),
            "{}",
            req.path
        );
    }
    assert!(!run.stderr.contains("s3cret"), "-v redacts: {}", run.stderr);
}

fn client_secret_basic_sends_an_authorization_header_instead() {
    let server = FakeServer::start(standard);
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    scratch
        .run(&["config", "set", "client_secret", "s3cret:&="])
        .expect(0);
    scratch
        .run(&["config", "set", "client_auth", "basic"])
        .expect(0);
    assert!(scratch.config_toml().contains("client_auth = \"basic\""));
    let run = scratch.run(&["login", "-v"]);
    run.expect(0);
    let reqs = server.all();
    assert_eq!(reqs.len(), 3);
    // RFC 6749 §2.3.1: each part form-urlencoded, then base64.
    let want = basic("cli", "s3cret%3A%26%3D");
    for req in reqs {
        assert_eq!(
            req.header("authorization"),
            Some(want.as_str()),
            "{}",
            req.path
        );
        assert_eq!(req.form("client_secret"), None, "{}", req.path);
        assert_eq!(req.form("client_id"), None, "{}", req.path);
    }
    assert!(
        run.stderr.contains("Authorization: Basic [redacted]") && !run.stderr.contains(&want[6..]),
        "{}",
        run.stderr
    );
    let bad = scratch.run(&["config", "set", "client_auth", "jwt"]);
    bad.expect(2);
}

fn github_preset_form_or_json_errors_with_200_and_no_complete_uri() {
    let server = FakeServer::start(|req, n| {
        let wants_json = req.header("accept") == Some("application/json");
        let reply = |pairs: &str, obj: Value| {
            if wants_json {
                fake::json(200, obj)
            } else {
                fake::form(200, pairs)
            }
        };
        match (req.path.as_str(), n) {
            ("/login/device/code", _) => reply(
                "device_code=dc-1&user_code=WDJB-MJHT&verification_uri=https%3A%2F%2Fgithub.com%2Flogin%2Fdevice&expires_in=899&interval=1",
                json!({"device_code": "dc-1", "user_code": "WDJB-MJHT",
                       "verification_uri": "https://github.com/login/device", "expires_in": 899, "interval": 1}),
            ),
            ("/login/oauth/access_token", 0) => reply(
                "error=authorization_pending",
                json!({"error": "authorization_pending",
                       "error_description": "The authorization request is still pending.",
                       "error_uri": "https://docs.github.com"}),
            ),
            _ => reply(
                "access_token=gho_abc&token_type=bearer&scope=read%3Auser",
                json!({"access_token": "gho_abc", "token_type": "bearer", "scope": "read:user"}),
            ),
        }
    });
    let scratch = Scratch::new();
    scratch.add_preset("gh", "github", "Iv1.abc", &[]).expect(0);
    let toml = scratch.config_toml();
    assert!(
        toml.contains("device_authorization_endpoint = \"https://github.com/login/device/code\"")
            && toml.contains("scopes = [\"read:user\"]")
            && !toml.contains("issuer"),
        "{toml}"
    );
    rehost(&scratch, "https://github.com", &server.url);
    let run = scratch.run(&["login", "--json"]);
    run.expect(0);
    let device = device_line(&run);
    assert_eq!(device["user_code"], "WDJB-MJHT");
    assert!(device["verification_uri_complete"].is_null());
    assert_eq!(scratch.tokens("gh")["access_token"], "gho_abc");
    let first = &server.requests("/login/device/code")[0];
    assert_eq!(first.form("scope").as_deref(), Some("read:user"));
    assert_eq!(first.form("client_id").as_deref(), Some("Iv1.abc"));
    assert!(server.discovery_requests().is_empty());

    // GitHub Enterprise Server: the same preset with its own URL.
    scratch
        .add_preset(
            "ghes",
            "github",
            "Iv1.def",
            &["--var", "base=https://ghe.example.com/"],
        )
        .expect(0);
    assert!(
        scratch
            .config_toml()
            .contains("\"https://ghe.example.com/login/oauth/access_token\""),
        "{}",
        scratch.config_toml()
    );
}

fn google_preset_verification_url_428_pending_and_a_required_secret() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/device/code", _) => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "GQVQ-JKEC",
                   "verification_url": "https://www.google.com/device", "expires_in": 1800, "interval": 1}),
        ),
        ("/token", 0) => fake::json(
            428,
            json!({"error": "authorization_pending", "error_description": "Precondition Required"}),
        ),
        _ => fake::json(
            200,
            json!({"access_token": "ya29.x", "expires_in": 3599, "refresh_token": "1//r",
                   "scope": "openid https://www.googleapis.com/auth/userinfo.email", "token_type": "Bearer"}),
        ),
    });
    let scratch = Scratch::new();
    let no_secret = scratch.add_preset("g", "google", "123.apps", &[]);
    no_secret.expect(2);
    no_secret.stderr_has("--client-secret");
    scratch
        .add_preset("g", "google", "123.apps", &["--client-secret", "GOCSPX-x"])
        .expect(0);
    rehost(&scratch, "https://oauth2.googleapis.com", &server.url);
    let run = scratch.run(&["login", "--json"]);
    run.expect(0);
    assert_eq!(
        device_line(&run)["verification_uri"],
        "https://www.google.com/device"
    );
    for req in server.all() {
        assert_eq!(
            req.form("client_secret").as_deref(),
            Some("GOCSPX-x"),
            "{}",
            req.path
        );
    }
    assert_eq!(
        server.requests("/device/code")[0].form("scope").as_deref(),
        Some("openid email profile")
    );
    assert!(server.discovery_requests().is_empty());
    let tokens = scratch.tokens("g");
    assert_eq!(tokens["access_token"], "ya29.x");
    assert_eq!(tokens["issuer"], "https://accounts.google.com");
}

fn microsoft_preset_tenant_message_and_numbers_as_strings() {
    let message = "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FQK5HW3UF to authenticate.";
    let server = FakeServer::start(move |req, n| match (req.path.as_str(), n) {
        ("/contoso.onmicrosoft.com/oauth2/v2.0/devicecode", _) => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "FQK5HW3UF",
                   "verification_uri": "https://microsoft.com/devicelogin",
                   "expires_in": "900", "interval": "1", "message": message}),
        ),
        (_, 0) => fake::json(
            400,
            json!({"error": "authorization_pending",
                   "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.",
                   "error_codes": [70016]}),
        ),
        _ => fake::json(
            200,
            json!({"token_type": "Bearer", "scope": "openid profile email", "expires_in": "4523",
                   "ext_expires_in": "4523", "access_token": "eyJ0", "refresh_token": "0.AR"}),
        ),
    });
    let scratch = Scratch::new();
    let missing = scratch.add_preset("ms", "microsoft", "x", &[]);
    missing.expect(2);
    missing.stderr_has("--var tenant=");
    scratch
        .add_preset(
            "ms",
            "microsoft",
            "04b07795",
            &["--var", "tenant=contoso.onmicrosoft.com"],
        )
        .expect(0);
    rehost(&scratch, "https://login.microsoftonline.com", &server.url);
    let run = scratch.run(&["login", "--json"]);
    run.expect(0);
    let device = device_line(&run);
    assert_eq!(device["expires_in"], 900);
    assert_eq!(device["interval"], 1);
    assert_eq!(device["message"], message);
    assert!(device["verification_uri_complete"].is_null());
    assert!(
        run.stderr.contains(message),
        "the provider's message is shown: {}",
        run.stderr
    );
    assert!(scratch.tokens("ms")["expires_at"].is_string());
    assert!(server.discovery_requests().is_empty());
    assert_eq!(
        server
            .requests("/contoso.onmicrosoft.com/oauth2/v2.0/token")
            .len(),
        2
    );
}

fn auth0_preset_audience_and_403_pending() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/oauth/device/code", _) => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "KPSM-KJQM",
                   "verification_uri": "https://acme.auth0.com/activate",
                   "verification_uri_complete": "https://acme.auth0.com/activate?user_code=KPSM-KJQM",
                   "expires_in": 900, "interval": 1}),
        ),
        ("/oauth/token", 0) => fake::json(
            403,
            json!({"error": "authorization_pending", "error_description": "User has yet to authorize device code."}),
        ),
        _ => token_json(),
    });
    let scratch = Scratch::new();
    scratch
        .add_preset("a0", "auth0", "abc", &["--var", "domain=acme.auth0.com"])
        .expect(0);
    scratch
        .run(&["config", "set", "audience", "https://api.example.com"])
        .expect(0);
    rehost(&scratch, "https://acme.auth0.com", &server.url);
    scratch.run(&["login"]).expect(0);
    let device = &server.requests("/oauth/device/code")[0];
    assert_eq!(
        device.form("audience").as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(
        device.form("scope").as_deref(),
        Some("openid profile email offline_access")
    );
    assert_eq!(scratch.tokens("a0")["issuer"], format!("{}/", server.url));
}

fn okta_preset_default_authorization_server() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/oauth2/default/v1/device/authorize", _) => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "ABCDWXYZ",
                   "verification_uri": "https://acme.okta.com/activate", "expires_in": 600, "interval": 1}),
        ),
        ("/oauth2/default/v1/token", 0) => fake::json(
            400,
            json!({"error": "authorization_pending",
                   "error_description": "The device authorization is pending. Please try again later."}),
        ),
        _ => token_json(),
    });
    let scratch = Scratch::new();
    scratch
        .add_preset("okta", "okta", "0oa1", &["--var", "domain=acme.okta.com"])
        .expect(0);
    rehost(&scratch, "https://acme.okta.com", &server.url);
    scratch.run(&["login"]).expect(0);
    assert_eq!(server.requests("/oauth2/default/v1/token").len(), 2);
    assert!(server.discovery_requests().is_empty());
    assert_eq!(scratch.tokens("okta")["refresh_token"], "rt-1");
}

fn keycloak_preset_discovers_from_an_issuer_with_a_path_and_short_tokens_stay_valid() {
    let server = FakeServer::start(|req, n| {
        let host = req.header("host").unwrap_or_default().to_string();
        let realm = format!("http://{host}/realms/acme");
        match (req.path.as_str(), n) {
            ("/realms/acme/.well-known/openid-configuration", _) => fake::json(
                200,
                json!({"issuer": realm,
                       "device_authorization_endpoint": format!("{realm}/protocol/openid-connect/auth/device"),
                       "token_endpoint": format!("{realm}/protocol/openid-connect/token"),
                       "revocation_endpoint": format!("{realm}/protocol/openid-connect/revoke"),
                       "userinfo_endpoint": format!("{realm}/protocol/openid-connect/userinfo")}),
            ),
            ("/realms/acme/protocol/openid-connect/auth/device", _) => fake::json(
                200,
                json!({"device_code": "dc-1", "user_code": "HXQD-FBJL",
                       "verification_uri": format!("{realm}/device"),
                       "verification_uri_complete": format!("{realm}/device?user_code=HXQD-FBJL"),
                       "expires_in": 600, "interval": 1}),
            ),
            ("/realms/acme/protocol/openid-connect/token", 0) => fake::json(
                400,
                json!({"error": "authorization_pending", "error_description": "The authorization request is still pending"}),
            ),
            _ => fake::json(
                200,
                json!({"access_token": "eyJ", "expires_in": 300, "refresh_expires_in": 1800,
                       "refresh_token": "eyR", "token_type": "Bearer", "scope": "openid profile email"}),
            ),
        }
    });
    let scratch = Scratch::new();
    scratch
        .add_preset(
            "kc",
            "keycloak",
            "cli",
            &[
                "--var",
                &format!("base={}/", server.url),
                "--var",
                "realm=acme",
            ],
        )
        .expect(0);
    scratch.run(&["login"]).expect(0);
    assert_eq!(
        server.discovery_requests(),
        vec!["/realms/acme/.well-known/openid-configuration".to_string()]
    );
    assert!(
        scratch.config_toml().contains("[profiles.kc.discovered]"),
        "{}",
        scratch.config_toml()
    );
    let status = scratch.run(&["status", "--json"]);
    status.expect(0);
    assert_eq!(status.json()["state"], "valid", "{}", status.stdout);
}

fn presets_are_listed_and_bad_ones_refused() {
    let scratch = Scratch::new();
    let list = scratch.run(&["config", "presets"]);
    list.expect(0);
    let names: Vec<&str> = list
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "auth0",
            "github",
            "google",
            "keycloak",
            "local",
            "microsoft",
            "okta"
        ]
    );
    list.stdout_has("Microsoft Entra ID");
    let json = scratch.run(&["config", "presets", "--json"]).json();
    let okta = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "okta")
        .unwrap();
    assert_eq!(okta["vars"][0]["name"], "domain");
    assert_eq!(okta["vars"][1]["default"], "default");

    let unknown = scratch.add_preset("x", "gitlab", "c", &[]);
    unknown.expect(2);
    unknown.stderr_has("gitlab").stderr_has("github, google");
    let no_client = scratch.run(&[
        "config",
        "add",
        "x",
        "--preset",
        "okta",
        "--var",
        "domain=a.okta.com",
    ]);
    no_client.expect(2);
    no_client.stderr_has("--client-id");
    let stray = scratch.add_preset(
        "x",
        "okta",
        "c",
        &["--var", "domain=a.okta.com", "--var", "tenant=x"],
    );
    stray.expect(2);
    stray.stderr_has("'tenant'");
    let plain_http = scratch.add_preset(
        "x",
        "keycloak",
        "c",
        &["--var", "base=http://sso.example.com", "--var", "realm=r"],
    );
    plain_http.expect(2);
    let var_without_preset =
        scratch.run(&["config", "add", "x", "--var", "a=b", "--client-id", "c"]);
    var_without_preset.expect(2);
    assert!(
        scratch.config_toml().is_empty(),
        "{}",
        scratch.config_toml()
    );
}

/// The `local` preset against the real test provider, with the client id it carries.
fn local_preset_signs_in_to_the_test_provider() {
    let provider = Provider::shared();
    let port = provider.issuer.rsplit(':').next().unwrap().to_string();
    let scratch = Scratch::new();
    scratch
        .run(&[
            "config",
            "add",
            "local",
            "--preset",
            "local",
            "--var",
            &format!("port={port}"),
        ])
        .expect(0);
    login_as(&scratch, provider, "local", "gina").expect(0);
    let tokens = scratch.tokens("local");
    assert_eq!(tokens["client_id"], "keycard");
    assert_eq!(tokens["identity"]["sub"], "gina");
}

crate::tests![
    client_secret_post_puts_the_secret_in_every_form,
    client_secret_basic_sends_an_authorization_header_instead,
    github_preset_form_or_json_errors_with_200_and_no_complete_uri,
    google_preset_verification_url_428_pending_and_a_required_secret,
    microsoft_preset_tenant_message_and_numbers_as_strings,
    auth0_preset_audience_and_403_pending,
    okta_preset_default_authorization_server,
    keycloak_preset_discovers_from_an_issuer_with_a_path_and_short_tokens_stay_valid,
    presets_are_listed_and_bad_ones_refused,
    local_preset_signs_in_to_the_test_provider
];
