//! Provider refusals as a user meets them: each preset's provider imitated on the scripted
//! server in its own dialect (GitHub: form-encoded, errors with HTTP 200; Entra: JSON
//! with AADSTS numbers; ...), and the one line plus hint keycard prints, with its exit
//! code. The wording of each provider's errors is cited in src/oauth/refusal.rs.

use crate::fake::{self, FakeServer, Request, Response};
use crate::support::*;
use serde_json::{Value, json};

/// `config add p --preset PRESET --var ... --client-id cli`, then every URL starting
/// with `origin` pointed at the scripted server.
fn preset_profile(scratch: &Scratch, preset: &str, vars: &[&str], origin: &str, server: &str) {
    let vars: Vec<&str> = vars.iter().flat_map(|v| ["--var", v]).collect();
    scratch.add_preset("p", preset, "cli", &vars).expect(0);
    let path = scratch.config_dir().join("config.toml");
    let text = scratch.config_toml();
    assert!(text.contains(origin), "{origin} not in {text}");
    std::fs::write(path, text.replace(origin, server)).unwrap();
}

fn device_ok() -> Response {
    fake::json(
        200,
        json!({"device_code": "dc-1", "user_code": "ABCD-EFGH",
               "verification_uri": "https://example.test/device", "interval": 1, "expires_in": 60}),
    )
}

/// A login that fails: its exit code, and the error line (exactly one, no control
/// characters from the provider).
#[track_caller]
fn failed_login(scratch: &Scratch, code: i32) -> String {
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(code);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("keycard: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        !run.stderr.chars().any(|c| c == '\x1b' || c == '\x07'),
        "raw provider text reached the terminal: {:?}",
        run.stderr
    );
    assert!(run.stdout.is_empty() || !run.stdout.contains("access_token"));
    errors[0].to_string()
}

/// (error, error_description, words the error line must contain).
type Case<'a> = (&'a str, &'a str, &'a [&'a str]);

/// For each case, a provider that refuses the device authorization request (HTTP 400)
/// at `path`: login exits 1 with every word in its one error line, and asks nothing else.
fn refused_at_the_start(cases: &[Case], profile: impl Fn(&Scratch, &FakeServer), path: &str) {
    for &(error, description, words) in cases {
        let body = json!({"error": error, "error_description": description});
        let server = FakeServer::start(move |_, _| fake::json(400, body.clone()));
        let scratch = Scratch::new();
        profile(&scratch, &server);
        let line = failed_login(&scratch, 1);
        for w in words {
            assert!(line.contains(w), "{error}: {w} not in {line}");
        }
        assert_eq!(server.paths(), vec![path.to_string()]);
    }
}

fn github_device_flow_disabled_arrives_form_encoded_with_200_and_names_the_setting() {
    let server = FakeServer::start(|req, _| {
        assert_eq!(req.path, "/login/device/code");
        // GitHub's own words, form-encoded (keycard asks for JSON; an old server or a
        // proxy ignoring Accept must still be understood).
        fake::form(
            200,
            "error=device_flow_disabled&error_description=Device+flow+must+be+explicitly+enabled+for+this+App&error_uri=https%3A%2F%2Fdocs.github.com",
        )
    });
    let scratch = preset_scratch("github", &[], "https://github.com", &server.url);
    let line = failed_login(&scratch, 1);
    assert!(line.contains("\"Enable Device Flow\""), "{line}");
    assert!(line.contains("device_flow_disabled"), "{line}");
    assert!(
        scratch.run(&["status"]).code == 3,
        "nothing was saved: still not signed in"
    );
}

fn github_incorrect_client_credentials_says_which_id_to_use() {
    let server = FakeServer::start(|req, _| {
        let wants_json = req.header("accept") == Some("application/json");
        assert!(wants_json);
        fake::json(
            200,
            json!({"error": "incorrect_client_credentials",
                   "error_description": "The client_id and/or client_secret passed are incorrect."}),
        )
    });
    let scratch = preset_scratch(
        "github",
        &[&format!("base={}", "https://ghe.example.com")],
        "https://ghe.example.com",
        &server.url,
    );
    let line = failed_login(&scratch, 1);
    assert!(
        line.contains("\"Client ID\"")
            && line.contains("`keycard config set --profile p client_id ID`"),
        "{line}"
    );
}

/// An Entra tenant: the device code is handed out, then the poll is refused with
/// `status` and `body`, as Microsoft's token endpoint does.
fn entra(status: u16, body: Value) -> FakeServer {
    FakeServer::start(move |req: &Request, _| match req.path.as_str() {
        "/acme/oauth2/v2.0/devicecode" => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "ABCDEFGHI",
                   "verification_uri": "https://microsoft.com/devicelogin", "expires_in": "900",
                   "interval": "1", "message": "To sign in, use a web browser..."}),
        ),
        _ => fake::json(status, body.clone()),
    })
}

/// A new scratch dir with `preset_profile`.
fn preset_scratch(preset: &str, vars: &[&str], origin: &str, server: &str) -> Scratch {
    let scratch = Scratch::new();
    preset_profile(&scratch, preset, vars, origin, server);
    scratch
}

fn entra_profile(scratch: &Scratch, server: &FakeServer) {
    preset_profile(
        scratch,
        "microsoft",
        &["tenant=acme"],
        "https://login.microsoftonline.com",
        &server.url,
    );
}

fn entra_authorization_declined_exits_5_like_access_denied() {
    let server = entra(
        400,
        json!({"error": "authorization_declined",
               "error_description": "AADSTS70000: The user has declined to authorize the application.",
               "error_codes": [70000]}),
    );
    let scratch = Scratch::new();
    entra_profile(&scratch, &server);
    let line = failed_login(&scratch, 5);
    assert!(line.contains("sign-in was denied"), "{line}");
    assert!(line.contains("keycard login --profile p"), "{line}");
    assert!(!scratch.token_file("p").exists());
}

fn entra_code_expired_and_bad_verification_code_exit_5() {
    for (error, description) in [
        ("code_expired", "AADSTS70019: Verification code expired."),
        (
            "bad_verification_code",
            "AADSTS70018: Invalid verification code.",
        ),
        (
            "expired_token",
            "AADSTS70020: The provided value is expired.",
        ),
    ] {
        let server = entra(
            400,
            json!({"error": error, "error_description": description}),
        );
        let scratch = Scratch::new();
        entra_profile(&scratch, &server);
        let line = failed_login(&scratch, 5);
        assert!(
            line.contains("expired or is no longer valid") || line.contains("code expired"),
            "{error}: {line}"
        );
    }
}

fn entra_misconfigured_app_and_tenant_policy_exit_1_with_the_setting_to_change() {
    for (status, error, description, words) in [
        (
            401,
            "invalid_client",
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.\r\nTrace ID: 1\r\nCorrelation ID: 2",
            &["\"Allow public client flows\"", "App registrations"][..],
        ),
        (
            400,
            "invalid_grant",
            "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            &["tenant policy", "administrator", "\"Device code flow\""][..],
        ),
        (
            400,
            "invalid_grant",
            "AADSTS65001: The user or administrator has not consented to use the application with ID 'x'.",
            &["\"Grant admin consent\""][..],
        ),
    ] {
        let server = entra(
            status,
            json!({"error": error, "error_description": description, "error_codes": [1]}),
        );
        let scratch = Scratch::new();
        entra_profile(&scratch, &server);
        let line = failed_login(&scratch, 1);
        for w in words {
            assert!(line.contains(w), "{error}: {w} not in {line}");
        }
    }
}

fn entra_unknown_app_or_tenant_is_refused_at_the_start() {
    let cases: &[Case] = &[
        (
            "unauthorized_client",
            "AADSTS700016: Application with identifier 'cli' was not found in the directory 'acme'.",
            &[
                "\"Application (client) ID\"",
                "config set --profile p client_id ID",
            ][..],
        ),
        (
            "invalid_request",
            "AADSTS90002: Tenant 'acme' not found. Check to make sure you have the correct tenant ID.",
            &[
                "\"Directory (tenant) ID\"",
                "`keycard config remove p`, then `keycard config add p --preset microsoft --var tenant=TENANT_ID --client-id ID`",
            ][..],
        ),
        (
            "invalid_request",
            "AADSTS50059: No tenant-identifying information found in either the request or implied by any provided credentials.",
            &["\"Directory (tenant) ID\""][..],
        ),
    ];
    refused_at_the_start(cases, entra_profile, "/acme/oauth2/v2.0/devicecode");
}

fn okta_org_server_grant_not_enabled_and_scope_not_allowed() {
    let cases: &[Case] = &[
        (
            "unauthorized_client",
            "The client is not authorized to use the provided grant type. Configured grant types: [authorization_code].",
            &["\"Device Authorization\"", "\"Refresh Token\""][..],
        ),
        (
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
            &["access policy rule", "offline_access"][..],
        ),
    ];
    let org_server = |scratch: &Scratch, server: &FakeServer| {
        preset_profile(
            scratch,
            "okta",
            &["domain=acme.okta.com", "server=org"],
            "https://acme.okta.com",
            &server.url,
        )
    };
    // The org authorization server: no server ID in the path.
    refused_at_the_start(cases, org_server, "/oauth2/v1/device/authorize");
}

fn okta_without_an_access_policy_rule_is_not_a_denial() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/oauth2/default/v1/device/authorize" => device_ok(),
        _ => fake::json(
            400,
            json!({"error": "access_denied",
                   "error_description": "Policy evaluation failed for this request, please check the policy configurations."}),
        ),
    });
    let scratch = preset_scratch(
        "okta",
        &["domain=acme.okta.com"],
        "https://acme.okta.com",
        &server.url,
    );
    let line = failed_login(&scratch, 1);
    assert!(
        line.contains("Access Policies") && line.contains("\"Device Authorization\""),
        "{line}"
    );
}

fn auth0_grant_not_enabled_names_the_dashboard_settings() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/oauth/device/code" => fake::json(
            403,
            json!({"error": "unauthorized_client",
                   "error_description": "Grant type 'urn:ietf:params:oauth:grant-type:device_code' not allowed for the client."}),
        ),
        _ => panic!("no poll after a refused start"),
    });
    let scratch = preset_scratch(
        "auth0",
        &["domain=acme.eu.auth0.com"],
        "https://acme.eu.auth0.com",
        &server.url,
    );
    let line = failed_login(&scratch, 1);
    for w in [
        "\"OIDC Conformant\"",
        "\"Device Code\"",
        "\"Refresh Token\"",
    ] {
        assert!(line.contains(w), "{w} not in {line}");
    }
}

fn google_wrong_client_type_and_missing_secret() {
    for (status, error, description, words) in [
        (
            401,
            "invalid_client",
            "Invalid client type.",
            &["\"TVs and Limited Input devices\""][..],
        ),
        (
            400,
            "invalid_request",
            "client_secret is missing.",
            // On standard input: a secret in the command line draws a warning.
            &["config set --profile p client_secret -`"][..],
        ),
    ] {
        let body = json!({"error": error, "error_description": description});
        let server = FakeServer::start(move |req, _| match req.path.as_str() {
            "/device/code" => fake::json(
                200,
                json!({"device_code": "dc-1", "user_code": "ABC-DEF-GHI",
                       "verification_url": "https://www.google.com/device", "expires_in": 1800, "interval": 1}),
            ),
            _ => fake::json(status, body.clone()),
        });
        let scratch = Scratch::new();
        scratch
            .add_preset(
                "p",
                "google",
                "cli.apps.googleusercontent.com",
                &["--client-secret", "s3cret"],
            )
            .expect(0);
        let text = scratch.config_toml();
        let text = text
            .replace("https://oauth2.googleapis.com", &server.url)
            .replace("https://accounts.google.com", &server.url);
        std::fs::write(scratch.config_dir().join("config.toml"), text).unwrap();
        let line = failed_login(&scratch, 1);
        for w in words {
            assert!(line.contains(w), "{error}: {w} not in {line}");
        }
        assert!(!line.contains("s3cret"), "{line}");
    }
}

fn keycloak_client_without_the_device_grant() {
    let server = FakeServer::start(|req, _| {
        let host = req.header("host").unwrap_or_default().to_string();
        let realm = format!("http://{host}/realms/acme");
        match req.path.as_str() {
            "/realms/acme/.well-known/openid-configuration" => fake::json(
                200,
                json!({"issuer": realm,
                       "device_authorization_endpoint": format!("{realm}/protocol/openid-connect/auth/device"),
                       "token_endpoint": format!("{realm}/protocol/openid-connect/token")}),
            ),
            _ => fake::json(
                400,
                json!({"error": "unauthorized_client",
                       "error_description": "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client."}),
            ),
        }
    });
    let scratch = Scratch::new();
    scratch
        .add_preset(
            "p",
            "keycloak",
            "cli",
            &[
                "--var",
                &format!("base={}", server.url),
                "--var",
                "realm=acme",
            ],
        )
        .expect(0);
    let line = failed_login(&scratch, 1);
    assert!(
        line.contains("\"OAuth 2.0 Device Authorization Grant\"")
            && line.contains("Capability config"),
        "{line}"
    );
    let toml = scratch.config_toml();
    assert!(
        !toml.contains("offline_access"),
        "the preset asks for no offline token: {toml}"
    );
}

fn an_unknown_refusal_keeps_the_providers_words_cleaned_and_points_at_verbose() {
    let server = FakeServer::start(|_, _| {
        fake::json(
            400,
            json!({"error": "server_says_no", "error_description": "line one\nline two \u{1b}]0;pwned\u{7}"}),
        )
    });
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let line = failed_login(&scratch, 1);
    assert!(
        line.contains("server_says_no: line one line two")
            && !line.contains("pwned")
            && line.contains("-v"),
        "{line}"
    );
}

fn a_refresh_blocked_by_tenant_policy_is_a_setup_problem_not_a_sign_in() {
    let server = FakeServer::start(|_, _| {
        fake::json(
            400,
            json!({"error": "invalid_grant",
                   "error_description": "AADSTS53003: Access has been blocked by Conditional Access policies."}),
        )
    });
    let scratch = Scratch::new();
    entra_profile(&scratch, &server);
    signed_in(&scratch, "p", -60, true);
    let issuer = format!("{}/acme/v2.0", server.url);
    scratch.edit_tokens("p", |t| t["issuer"] = json!(issuer));
    let run = scratch.run(&["token"]);
    run.expect(1);
    run.stderr_has("tenant policy");
    assert!(run.stdout.is_empty());
}

/// GitHub Enterprise Server through the preset's base-URL variable: sign-in in GitHub's
/// dialect, then `GET /api/v3/user` for `whoami`, `status --check` and the user `status`
/// shows offline.
fn github_whoami_and_status_ask_get_user_on_the_servers_api() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/login/device/code", _) => fake::form(
            200,
            "device_code=dc-1&user_code=WDJB-MJHT&verification_uri=https%3A%2F%2Fghe.example.com%2Flogin%2Fdevice&expires_in=899&interval=1",
        ),
        ("/login/oauth/access_token", 0) => fake::form(200, "error=authorization_pending"),
        ("/login/oauth/access_token", _) => fake::form(
            200,
            "access_token=gho_abc&token_type=bearer&scope=read%3Auser",
        ),
        ("/api/v3/user", _) if req.header("authorization") == Some("Bearer gho_abc") => fake::json(
            200,
            json!({"login": "octocat", "id": 583231, "name": null, "email": null,
                   "html_url": "https://ghe.example.com/octocat"}),
        ),
        ("/api/v3/user", _) => fake::json(
            401,
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        ),
        (other, _) => panic!("unexpected request for {other}"),
    });
    let scratch = Scratch::new();
    scratch
        .add_preset(
            "p",
            "github",
            "Iv1.abc",
            &["--var", &format!("base={}", server.url)],
        )
        .expect(0);
    assert!(
        scratch.config_toml().contains(&format!(
            "userinfo_endpoint = \"{}/api/v3/user\"",
            server.url
        )),
        "{}",
        scratch.config_toml()
    );
    let login = scratch.run(&["login", "--no-browser"]);
    login.expect(0);
    login.stderr_has("as octocat");
    assert_eq!(scratch.tokens("p")["identity"]["login"], "octocat");

    let status = scratch.run(&["status"]);
    status.expect(0);
    status.stdout_has("octocat");
    let short = scratch.run(&["status", "--format", "{user}"]);
    assert_eq!(short.stdout.trim(), "octocat");

    let whoami = scratch.run(&["whoami"]);
    whoami.expect(0);
    assert_eq!(whoami.json()["login"], "octocat");
    assert!(whoami.stderr.is_empty(), "{}", whoami.stderr);

    let before = server.requests("/api/v3/user").len();
    scratch.run(&["status", "--check"]).expect(0);
    let users = server.requests("/api/v3/user");
    assert_eq!(users.len(), before + 1);
    assert!(
        users
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer gho_abc"))
    );
    assert!(server.discovery_requests().is_empty());
}

crate::tests![
    github_device_flow_disabled_arrives_form_encoded_with_200_and_names_the_setting,
    github_incorrect_client_credentials_says_which_id_to_use,
    entra_authorization_declined_exits_5_like_access_denied,
    entra_code_expired_and_bad_verification_code_exit_5,
    entra_misconfigured_app_and_tenant_policy_exit_1_with_the_setting_to_change,
    entra_unknown_app_or_tenant_is_refused_at_the_start,
    okta_org_server_grant_not_enabled_and_scope_not_allowed,
    okta_without_an_access_policy_rule_is_not_a_denial,
    auth0_grant_not_enabled_names_the_dashboard_settings,
    google_wrong_client_type_and_missing_secret,
    keycloak_client_without_the_device_grant,
    an_unknown_refusal_keeps_the_providers_words_cleaned_and_points_at_verbose,
    a_refresh_blocked_by_tenant_policy_is_a_setup_problem_not_a_sign_in,
    github_whoami_and_status_ask_get_user_on_the_servers_api
];
