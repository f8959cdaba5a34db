//! `keycard kube-credential`: the ExecCredential kubectl reads, and the real kubectl using
//! it against a loopback API server that accepts only the profile's access token.

use crate::support::*;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const V1: &str = "client.authentication.k8s.io/v1";
const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

fn signed_in_with_provider(provider: &Provider) -> Scratch {
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    login_as(&scratch, provider, "p", "alice").expect(0);
    scratch
}

fn the_credential_holds_a_working_token_until_keycard_would_refresh_it() {
    let provider = Provider::start();
    let scratch = signed_in_with_provider(&provider);

    let run = scratch.run(&["--profile", "p", "kube-credential"]);
    run.expect(0);
    assert_eq!(run.stderr, "");
    let credential = run.json();
    assert_eq!(credential["apiVersion"], V1);
    assert_eq!(credential["kind"], "ExecCredential");
    let status = credential["status"].as_object().unwrap();
    assert_eq!(status.len(), 2, "{credential}");
    let token = status["token"].as_str().unwrap();
    assert_eq!(token, scratch.tokens("p")["access_token"].as_str().unwrap());
    assert_eq!(provider.userinfo(token).0, 200);

    // RFC 3339 in UTC, five minutes (the margin) before the token expires.
    let stamp = status["expirationTimestamp"].as_str().unwrap();
    assert!(stamp.ends_with('Z'), "{stamp}");
    let stamp: DateTime<Utc> = stamp.parse().unwrap();
    let expires_at: DateTime<Utc> = scratch.tokens("p")["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let before = (expires_at - stamp).num_seconds();
    assert!((299..=300).contains(&before), "{before} s before expiry");

    // kubectl says which version it reads; keycard answers in it.
    let asked = |version: &str| {
        let info = format!(
            r#"{{"kind":"ExecCredential","apiVersion":"{version}","spec":{{"interactive":false}}}}"#
        );
        Run::of(
            scratch
                .keycard()
                .args(["--profile", "p", "kube-credential"])
                .env("KUBERNETES_EXEC_INFO", info),
        )
    };
    assert_eq!(asked(V1BETA1).expect(0).json()["apiVersion"], V1BETA1);
    assert_eq!(asked(V1).expect(0).json()["apiVersion"], V1);
    let old = asked("client.authentication.k8s.io/v1alpha1");
    old.expect(2);
    assert_eq!(old.stdout, "");
    old.stderr_has(V1BETA1);

    // An expired token is refreshed first, once.
    scratch.expire_in("p", -60);
    let run = scratch.run(&["--profile", "p", "kube-credential"]);
    run.expect(0);
    let fresh = run.json()["status"]["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, token);
    assert_eq!(provider.userinfo(&fresh).0, 200);
    assert_eq!(provider.token_requests("refresh_token"), 1);
}

fn without_a_session_it_exits_3_with_the_login_hint_and_never_signs_in() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "http://127.0.0.1:9", "cli");
    let run = scratch.run(&["--profile", "p", "kube-credential"]);
    run.needs_login("p");
    assert!(
        !run.stderr.contains("code"),
        "no device flow: {}",
        run.stderr
    );
}

/// A fake Kubernetes API server over TLS on 127.0.0.1 (kubectl sends credentials only
/// over TLS): it answers `/api` when the request carries `Bearer TOKEN`, else 401, and
/// prints every Authorization header it receives, one per line.
fn api_server(dir: &Path, token: &str) -> TlsServer {
    let (cert, key) = self_signed(dir, "api");
    let handler = r#"
    def do_GET(self):
        auth = self.headers.get('Authorization') or '-'
        print(auth, flush=True)
        if auth == 'Bearer ' + args[0]:
            status, body = 200, {'kind': 'APIVersions', 'versions': ['v1']}
        else:
            status, body = 401, {'kind': 'Status', 'code': 401, 'reason': 'Unauthorized'}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)"#;
    TlsServer::start(&cert, &key, handler, &[token])
}

/// The README's kubeconfig snippet, with the test binary for `keycard`.
fn kubeconfig(server: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
contexts:
- name: test
  context: {{cluster: test, user: keycard-p}}
current-context: test
users:
- name: keycard-p
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: {keycard}
      args: [--profile, p, kube-credential]
      interactiveMode: Never
      provideClusterInfo: false
",
        keycard = env!("CARGO_BIN_EXE_keycard"),
    )
}

fn the_real_kubectl_authenticates_with_the_profiles_token() {
    let kubectl = require("kubectl");
    let provider = Provider::shared();
    let scratch = signed_in_with_provider(provider);
    let token = scratch.token_field("p", "access_token");
    let api = api_server(scratch.path(), &token);
    let config = scratch.path().join("kubeconfig");
    std::fs::write(&config, kubeconfig(&api.url())).unwrap();

    let mut kubectl = Command::new(kubectl);
    clean_env(&mut kubectl);
    let out = kubectl
        .env("HOME", scratch.path())
        .env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        .env_remove("KUBECONFIG")
        .args([
            "--kubeconfig",
            config.to_str().unwrap(),
            "get",
            "--raw",
            "/api",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "kubectl failed: {stderr}");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["kind"], "APIVersions");

    let bearer = format!("Bearer {token}");
    let seen = api.printed();
    assert!(seen.contains(&bearer), "{seen:?}");
    // kubectl's version dispatcher may probe once without credentials; any credential
    // it sends is the profile's.
    assert!(seen.iter().all(|a| a == "-" || *a == bearer), "{seen:?}");
    assert!(
        !stderr.contains(&token),
        "kubectl showed the token: {stderr}"
    );
}

crate::tests![
    the_credential_holds_a_working_token_until_keycard_would_refresh_it,
    without_a_session_it_exits_3_with_the_login_hint_and_never_signs_in,
    the_real_kubectl_authenticates_with_the_profiles_token
];
