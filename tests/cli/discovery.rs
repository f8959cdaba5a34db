//! Finding the endpoints: OpenID Connect discovery, then RFC 8414, issuers with a path,
//! explicit endpoints, the cache and its refresh, and issuer mismatch.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::json;

fn metadata(issuer: &str, prefix: &str) -> fake::Response {
    fake::json(
        200,
        json!({"issuer": issuer,
               "device_authorization_endpoint": format!("{prefix}/device"),
               "token_endpoint": format!("{prefix}/token")}),
    )
}

/// `/device` and `/token` under any prefix: pending once, then a token.
fn flow(path: &str, n: usize) -> Option<fake::Response> {
    if path.ends_with("/device") {
        return Some(fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "ABCD-EFGH",
                   "verification_uri": "https://example.test/device", "interval": 1, "expires_in": 60}),
        ));
    }
    if path.ends_with("/token") {
        return Some(if n == 0 {
            fake::json(400, json!({"error": "authorization_pending"}))
        } else {
            fake::json(
                200,
                json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}),
            )
        });
    }
    None
}

fn host_of(req: &fake::Request) -> String {
    format!("http://{}", req.header("host").unwrap())
}

fn oidc_discovery_then_rfc_8414_for_an_issuer_with_a_path() {
    let server = FakeServer::start(|req, n| {
        let issuer = format!("{}/tenants/acme", host_of(req));
        match req.path.as_str() {
            "/tenants/acme/.well-known/openid-configuration" => fake::html(404),
            "/.well-known/oauth-authorization-server/tenants/acme" => {
                metadata(&issuer, &format!("{}/as", host_of(req)))
            }
            p => flow(p, n).unwrap_or_else(|| fake::json(404, json!({}))),
        }
    });
    let scratch = Scratch::new();
    let issuer = format!("{}/tenants/acme/", server.url);
    scratch.add_profile("p", &issuer, "cli");
    scratch.run(&["login"]).expect(0);
    assert_eq!(
        server.paths()[..3],
        [
            "/tenants/acme/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server/tenants/acme",
            "/as/device",
        ]
    );
    // Cached: a second login discovers nothing.
    scratch.run(&["login", "--force"]).expect(0);
    assert_eq!(server.discovery_requests().len(), 2);
}

fn explicit_endpoints_need_no_discovery_even_with_an_issuer() {
    let server = FakeServer::start(|req, n| {
        flow(&req.path, n).unwrap_or_else(|| fake::json(500, json!({})))
    });
    let scratch = Scratch::new();
    // Explicit endpoints and an issuer that could be discovered.
    scratch.add_endpoint_profile("p", &server.url);
    scratch
        .run(&["config", "set", "issuer", &server.url])
        .expect(0);
    scratch.run(&["login"]).expect(0);
    assert_eq!(server.paths(), ["/device", "/token", "/token"]);
    assert!(server.discovery_requests().is_empty());
}

fn stale_cached_endpoints_are_discovered_again_on_404() {
    let server = FakeServer::start(|req, n| match req.path.as_str() {
        "/.well-known/openid-configuration" => {
            metadata(&host_of(req), &format!("{}/v2", host_of(req)))
        }
        p if p.starts_with("/v1/") => fake::text(404, "text/plain", "Not Found"),
        p => flow(p, n).unwrap(),
    });
    let scratch = Scratch::new();
    scratch.add_profile("p", &server.url, "cli");
    // What an earlier discovery cached, before the provider moved its endpoints.
    let stale = format!(
        "{}\n[profiles.p.discovered]\nissuer = \"{url}\"\ndevice_authorization_endpoint = \"{url}/v1/device\"\ntoken_endpoint = \"{url}/v1/token\"\n",
        scratch.config_toml(),
        url = server.url
    );
    std::fs::write(scratch.config_dir().join("config.toml"), stale).unwrap();
    scratch.run(&["login"]).expect(0);
    assert_eq!(
        server.paths()[..3],
        [
            "/v1/device",
            "/.well-known/openid-configuration",
            "/v2/device"
        ]
    );
    let toml = scratch.config_toml();
    assert!(
        toml.contains(&format!("\"{}/v2/token\"", server.url)) && !toml.contains("/v1/"),
        "the cache is updated: {toml}"
    );
    // Once only: endpoints that are still missing after discovery are an error (exit 4).
    let gone = FakeServer::start(|req, _| match req.path.as_str() {
        "/.well-known/openid-configuration" => metadata(&host_of(req), &host_of(req)),
        _ => fake::text(404, "text/plain", "Not Found"),
    });
    let scratch = Scratch::new();
    scratch.add_profile("p", &gone.url, "cli");
    let run = scratch.run(&["login"]);
    run.expect(4);
    run.stderr_has("HTTP 404");
    assert_eq!(gone.discovery_requests().len(), 1, "{:?}", gone.paths());
}

fn an_issuer_mismatch_is_an_error() {
    let server = FakeServer::start(|req, n| match req.path.as_str() {
        "/.well-known/openid-configuration" => metadata("https://evil.example.com", &host_of(req)),
        p => flow(p, n).unwrap(),
    });
    let scratch = Scratch::new();
    scratch.add_profile("p", &server.url, "cli");
    let run = scratch.run(&["login"]);
    run.expect(1);
    run.stderr_has("https://evil.example.com")
        .stderr_has(&server.url);
    assert_eq!(server.paths(), ["/.well-known/openid-configuration"]);
    assert!(!scratch.config_toml().contains("discovered"));
}

crate::tests![
    oidc_discovery_then_rfc_8414_for_an_issuer_with_a_path,
    explicit_endpoints_need_no_discovery_even_with_an_issuer,
    stale_cached_endpoints_are_discovered_again_on_404,
    an_issuer_mismatch_is_an_error
];
