//! The HTTP layer as a user meets it: timeouts, size limits, garbage answers, redirects,
//! and proxies (with a loopback proxy that records where it was asked to go).

use crate::fake::{self, FakeProxy, FakeServer};
use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};

const PROXY_VARS: &[&str] = &[
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// `keycard ARGS` with only the given proxy variables set.
fn run_with_proxy(scratch: &Scratch, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = scratch.keycard();
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Run::of(cmd.args(args))
}

fn device() -> fake::Response {
    fake::json(
        200,
        json!({"device_code": "dc-1", "user_code": "ABCD-EFGH",
               "verification_uri": "https://example.test/device", "interval": 1, "expires_in": 60}),
    )
}

fn token() -> fake::Response {
    fake::json(
        200,
        json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}),
    )
}

fn a_hung_provider_times_out_after_the_profiles_timeout() {
    let server = FakeServer::start(|_, _| device().after(Duration::from_secs(3)));
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    scratch.run(&["config", "set", "timeout", "1"]).expect(0);
    let run = scratch.run(&["login"]);
    run.expect(4);
    // Gave up before the provider answered (3 s): the code it would have sent is not
    // shown, however long the machine took to start keycard. The message names the 1 s.
    assert!(!run.stderr.contains("ABCD-EFGH"), "{run}");
    run.stderr_has("did not answer within 1s");
    let bad = scratch.run(&["config", "set", "connect_timeout", "soon"]);
    bad.expect(2);
}

fn a_provider_that_drips_its_answer_is_cut_off_by_the_timeout() {
    // One byte a second never trips a read timeout; only the overall `timeout` ends it.
    for body_only in [false, true] {
        let server =
            FakeServer::start(move |_, _| device().dripping(Duration::from_secs(1), body_only));
        let scratch = Scratch::new();
        scratch.add_endpoint_profile("p", &server.url);
        scratch.run(&["config", "set", "timeout", "2"]).expect(0);
        let started = Instant::now();
        let run = scratch.run(&["login"]);
        run.expect(4);
        // The whole answer would take minutes at a byte a second.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        run.stderr_has("did not answer within 2s (the profile's `timeout`)");
    }
}

fn oversized_answers_are_refused() {
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2 << 20));
    let server = FakeServer::start(move |_, _| fake::text(200, "application/json", &big));
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let run = scratch.run(&["login"]);
    run.expect(4);
    run.stderr_has("larger than 1024 KiB");
}

fn non_json_answers_name_url_status_and_content_type() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => device(),
        _ => fake::text(200, "text/plain", "ok"),
    });
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let run = scratch.run(&["login"]);
    run.expect(4);
    run.stderr_has(&format!("{}/token", server.url))
        .stderr_has("HTTP 200")
        .stderr_has("text/plain")
        .stderr_has("not JSON");
    let html = FakeServer::start(|_, _| fake::html(502));
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &html.url);
    let run = scratch.run(&["login"]);
    run.expect(4);
    run.stderr_has("HTML page")
        .stderr_has("text/html")
        .stderr_has("502");
}

fn same_origin_redirects_are_followed() {
    let server = FakeServer::start(|req, n| match (req.path.as_str(), n) {
        ("/.well-known/openid-configuration", _) => {
            fake::redirect(301, "/meta/openid-configuration")
        }
        ("/meta/openid-configuration", _) => {
            let base = format!("http://{}", req.header("host").unwrap());
            fake::json(
                200,
                json!({"issuer": base, "device_authorization_endpoint": format!("{base}/device"),
                       "token_endpoint": format!("{base}/old-token")}),
            )
        }
        ("/device", _) => device(),
        // A POST follows 307 and 308, which keep the method and the body.
        ("/old-token", _) => fake::redirect(307, "/token"),
        _ => token(),
    });
    let scratch = Scratch::new();
    scratch.add_profile("p", &server.url, "cli");
    scratch.run(&["login"]).expect(0);
    let moved = &server.requests("/token")[0];
    assert_eq!(moved.method, "POST");
    assert_eq!(moved.form("device_code").as_deref(), Some("dc-1"));
}

fn redirects_to_another_host_or_scheme_or_a_post_302_are_refused() {
    let elsewhere = FakeServer::start(|_, _| device());
    let other_port = elsewhere.url.clone();
    let server = FakeServer::start(move |req, _| match req.path.as_str() {
        "/device" => fake::redirect(307, &format!("{other_port}/device")),
        "/to-https" => fake::redirect(308, "https://127.0.0.1/to-https"),
        "/post-302" => fake::redirect(302, "/elsewhere"),
        _ => fake::json(404, json!({})),
    });
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let run = scratch.run(&["login"]);
    run.expect(4);
    run.stderr_has("another host or scheme")
        .stderr_has(&elsewhere.url);
    assert!(elsewhere.all().is_empty(), "the other host saw nothing");

    for (path, why) in [
        ("/to-https", "another host or scheme"),
        ("/post-302", "HTTP 302"),
    ] {
        let url = format!("{}{path}", server.url);
        scratch
            .run(&["config", "set", "device_authorization_endpoint", &url])
            .expect(0);
        let run = scratch.run(&["login"]);
        run.expect(4);
        assert!(run.stderr.contains(why), "{path}: {}", run.stderr);
    }
    assert!(server.requests("/elsewhere").is_empty());
}

fn https_proxy_carries_requests_to_remote_hosts() {
    let proxy = FakeProxy::start();
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.test/realms/x", "cli");
    let run = run_with_proxy(&scratch, &[("HTTPS_PROXY", &proxy.url)], &["login"]);
    run.expect(4);
    assert_eq!(proxy.seen(), ["CONNECT id.example.test:443 HTTP/1.1"]);
    run.stderr_has("proxy").stderr_has("id.example.test");
    // ALL_PROXY is the fallback.
    let run = run_with_proxy(&scratch, &[("ALL_PROXY", &proxy.url)], &["login"]);
    run.expect(4);
    assert_eq!(proxy.seen().len(), 2);
}

fn no_proxy_and_loopback_go_direct() {
    let proxy = FakeProxy::start();
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.test", "cli");
    for no_proxy in [
        "example.test",
        ".example.test",
        "other.org, *.example.test:443",
        "*",
    ] {
        let run = run_with_proxy(
            &scratch,
            &[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", no_proxy)],
            &["login"],
        );
        run.expect(4);
    }
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());

    // A local provider is never reached through a proxy (the proxy's loopback is not ours).
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => device(),
        _ => token(),
    });
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    run_with_proxy(
        &scratch,
        &[
            ("HTTPS_PROXY", &proxy.url),
            ("HTTP_PROXY", &proxy.url),
            ("ALL_PROXY", &proxy.url),
        ],
        &["login"],
    )
    .expect(0);
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

fn an_unusable_proxy_setting_is_a_usage_error_that_hides_its_value() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.test", "cli");
    let run = run_with_proxy(
        &scratch,
        &[("HTTPS_PROXY", "gopher://user:hunter2@proxy.example.test:70")],
        &["login"],
    );
    run.expect(2);
    run.stderr_has("HTTPS_PROXY");
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);

    // `ssh -D` gives a SOCKS proxy; keycard speaks HTTP CONNECT only and must say so
    // (ureq without its socks feature would panic on one).
    run_with_proxy(
        &scratch,
        &[("ALL_PROXY", "socks5://127.0.0.1:1080")],
        &["login"],
    )
    .expect(2)
    .stderr_has("SOCKS");
}

fn a_bad_ca_file_is_named() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.test", "cli");
    let login_with_ca = |ca: &std::path::Path, says: &str| {
        scratch
            .run(&["config", "set", "ca_file", ca.to_str().unwrap()])
            .expect(0);
        scratch.run(&["login"]).expect(1).stderr_has(says);
    };
    login_with_ca(&scratch.path().join("missing.pem"), "missing.pem");
    let empty = scratch.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate").unwrap();
    login_with_ca(&empty, "holds no PEM certificate");
}

/// An HTTPS provider on 127.0.0.1 with a certificate from a private CA (made with the
/// openssl command line): the device endpoint answers at once and the token endpoint
/// approves on the first poll.
struct TlsProvider {
    /// Serves until dropped.
    _server: TlsServer,
    url: String,
    ca: std::path::PathBuf,
}

impl TlsProvider {
    fn start(dir: &std::path::Path) -> TlsProvider {
        let openssl = |args: &str| openssl(dir, args);
        openssl(
            "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=keycard-test-CA \
             -keyout ca-key.pem -out ca.pem",
        );
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:provider.keycard.test\n",
        )
        .unwrap();
        openssl("req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out cert.csr");
        openssl(
            "x509 -req -in cert.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
             -extfile ext.cnf -out cert.pem",
        );
        let handler = r#"
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        if self.path == '/device':
            body = {'device_code': 'dc', 'user_code': 'ABCD-EFGH', 'interval': 1,
                    'expires_in': 60, 'verification_uri': 'https://127.0.0.1/device'}
        else:
            body = {'access_token': 'at-tls', 'token_type': 'Bearer', 'expires_in': 3600}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)"#;
        let server = TlsServer::start(&dir.join("cert.pem"), &dir.join("key.pem"), handler, &[]);
        TlsProvider {
            url: server.url(),
            _server: server,
            ca: dir.join("ca.pem"),
        }
    }
}

fn a_private_ca_is_trusted_only_through_ca_file() {
    let scratch = Scratch::new();
    let tls = TlsProvider::start(scratch.path());
    scratch.add_endpoint_profile("p", &tls.url);

    // The system store does not know the private CA: a TLS error, exit 4, no token.
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(4);
    run.stderr_has("127.0.0.1");
    assert!(
        run.stderr.contains("ca_file"),
        "the error names the fix: {}",
        run.stderr
    );
    assert!(!scratch.token_file("p").exists());

    scratch
        .run(&["config", "set", "ca_file", tls.ca.to_str().unwrap()])
        .expect(0);
    let run = scratch.run(&["login", "--no-browser"]);
    run.expect(0);
    assert_eq!(scratch.tokens("p")["access_token"], "at-tls");
}

fn a_whole_sign_in_goes_through_the_https_proxy() {
    let scratch = Scratch::new();
    let tls = TlsProvider::start(scratch.path());
    let port = tls.url.rsplit(':').next().unwrap().parse().unwrap();
    let proxy = FakeProxy::tunnel_to(port);
    // A name only the proxy can "resolve": keycard must not look it up itself.
    let remote = format!("https://provider.keycard.test:{port}");
    scratch.add_endpoint_profile("p", &remote);
    scratch
        .run(&["config", "set", "ca_file", tls.ca.to_str().unwrap()])
        .expect(0);
    let run = run_with_proxy(
        &scratch,
        &[("HTTPS_PROXY", &proxy.url)],
        &["login", "--no-browser"],
    );
    run.expect(0);
    assert_eq!(scratch.tokens("p")["access_token"], "at-tls");
    let connects = proxy.seen();
    assert!(!connects.is_empty());
    for line in connects {
        assert_eq!(
            line,
            format!("CONNECT provider.keycard.test:{port} HTTP/1.1")
        );
    }
}

crate::tests![
    a_hung_provider_times_out_after_the_profiles_timeout,
    a_provider_that_drips_its_answer_is_cut_off_by_the_timeout,
    oversized_answers_are_refused,
    non_json_answers_name_url_status_and_content_type,
    same_origin_redirects_are_followed,
    redirects_to_another_host_or_scheme_or_a_post_302_are_refused,
    https_proxy_carries_requests_to_remote_hosts,
    no_proxy_and_loopback_go_direct,
    an_unusable_proxy_setting_is_a_usage_error_that_hides_its_value,
    a_bad_ca_file_is_named,
    a_private_ca_is_trusted_only_through_ca_file,
    a_whole_sign_in_goes_through_the_https_proxy
];
