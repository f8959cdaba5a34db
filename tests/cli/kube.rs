//! `keycard kube-credential`: the ExecCredential kubectl reads, and the real kubectl using
//! it against a loopback API server that accepts only the profile's access token.

use crate::support::*;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const V1: &str = "client.authentication.k8s.io/v1";
const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

fn signed_in_with_provider(provider: &Provider) -> Scratch {
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");
    login_as(&scratch, provider, "p", "alice").expect(0);
    scratch
}

#[test]
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
        Run::from(
            scratch
                .keycard()
                .args(["--profile", "p", "kube-credential"])
                .env("KUBERNETES_EXEC_INFO", info)
                .output()
                .unwrap(),
        )
    };
    assert_eq!(asked(V1BETA1).expect(0).json()["apiVersion"], V1BETA1);
    assert_eq!(asked(V1).expect(0).json()["apiVersion"], V1);
    let old = asked("client.authentication.k8s.io/v1alpha1");
    old.expect(2);
    assert_eq!(old.stdout, "");
    assert!(old.stderr.contains(V1BETA1), "{}", old.stderr);

    // An expired token is refreshed first, once.
    scratch.expire_in("p", -60);
    let run = scratch.run(&["--profile", "p", "kube-credential"]);
    run.expect(0);
    let fresh = run.json()["status"]["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, token);
    assert_eq!(provider.userinfo(&fresh).0, 200);
    assert_eq!(provider.token_requests("refresh_token"), 1);
}

#[test]
fn without_a_session_it_exits_3_with_the_login_hint_and_never_signs_in() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "http://127.0.0.1:9", "cli");
    let run = scratch.run(&["--profile", "p", "kube-credential"]);
    run.expect(3);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("keycard login --profile p"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("code"),
        "no device flow: {}",
        run.stderr
    );
}

/// A fake Kubernetes API server over TLS on 127.0.0.1 (kubectl sends credentials only
/// over TLS): it answers `/api` when the request carries `Bearer TOKEN`, else 401, and
/// prints every Authorization header it receives, one per line.
struct ApiServer {
    child: Child,
    url: String,
    seen: BufReader<std::process::ChildStdout>,
}

impl ApiServer {
    fn start(dir: &Path, token: &str) -> ApiServer {
        let out = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "api-key.pem",
                "-out",
                "api-cert.pem",
            ])
            .current_dir(dir)
            .output()
            .expect("openssl makes the API server's certificate");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let server = r#"
import http.server, json, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get('Authorization') or '-'
        print(auth, flush=True)
        if auth == 'Bearer ' + sys.argv[3]:
            status, body = 200, {'kind': 'APIVersions', 'versions': ['v1']}
        else:
            status, body = 401, {'kind': 'Status', 'code': 401, 'reason': 'Unauthorized'}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;
        let mut child = Command::new("python3")
            .args(["-c", server])
            .arg(dir.join("api-cert.pem"))
            .arg(dir.join("api-key.pem"))
            .arg(token)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 serves the fake API server");
        let mut seen = BufReader::new(child.stdout.take().unwrap());
        let mut port = String::new();
        seen.read_line(&mut port).unwrap();
        ApiServer {
            child,
            url: format!("https://127.0.0.1:{}", port.trim()),
            seen,
        }
    }

    /// The Authorization headers received so far (the server has been stopped).
    fn authorizations(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut all = String::new();
        std::io::Read::read_to_string(&mut self.seen, &mut all).unwrap();
        all.lines().map(str::to_string).collect()
    }
}

fn kubectl_installed() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
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

#[test]
fn the_real_kubectl_authenticates_with_the_profiles_token() {
    if !kubectl_installed() {
        eprintln!("skipped: kubectl is not installed");
        return;
    }
    let provider = Provider::start();
    let scratch = signed_in_with_provider(&provider);
    let token = scratch.tokens("p")["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let api = ApiServer::start(scratch.path(), &token);
    let config = scratch.path().join("kubeconfig");
    std::fs::write(&config, kubeconfig(&api.url)).unwrap();

    let mut kubectl = Command::new("kubectl");
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
    let seen = api.authorizations();
    assert!(seen.contains(&bearer), "{seen:?}");
    // kubectl's version dispatcher may probe once without credentials; any credential
    // it sends is the profile's.
    assert!(seen.iter().all(|a| a == "-" || *a == bearer), "{seen:?}");
    assert!(
        !stderr.contains(&token),
        "kubectl showed the token: {stderr}"
    );
}
