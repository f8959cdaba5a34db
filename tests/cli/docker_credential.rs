//! `docker-credential-keycard` (a link to keycard) speaking docker's credential helper
//! protocol, and the docker CLI using it against a registry that demands a login.

use crate::support::{
    Provider, Run, Scratch, TlsServer, clean_env, login_as, require, run_with_input, self_signed,
    signed_in,
};
use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A link named `docker-credential-keycard` to the keycard binary, in `dir/bin`.
fn link(scratch: &Scratch) -> PathBuf {
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-keycard");
    if !helper.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keycard"), &helper).unwrap();
    }
    helper
}

/// The helper run as docker runs it: `docker-credential-keycard OPERATION`, `input` on stdin.
fn helper(scratch: &Scratch, args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
    let mut cmd = Command::new(link(scratch));
    clean_env(&mut cmd);
    cmd.env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        .envs(env.iter().copied())
        .args(args);
    run_with_input(cmd, input)
}

fn registry_profile(scratch: &Scratch) {
    scratch.add_profile("prod", "https://id.example.com", "cli");
    scratch.set("prod", "hosts", "registry.example.com:5000 Index.Docker.io");
}

fn get_answers_for_listed_registries_only() {
    let scratch = Scratch::new();
    registry_profile(&scratch);
    signed_in(&scratch, "prod", 3600, true);

    let run = helper(
        &scratch,
        &["get"],
        &[],
        "https://registry.example.com:5000\n",
    );
    run.expect(0);
    assert_eq!(
        run.json(),
        serde_json::json!({
            "ServerURL": "https://registry.example.com:5000",
            "Username": "oauth2",
            "Secret": "at-secret",
        })
    );
    assert_eq!(run.stderr, "");
    // Docker Hub's server URL, with its path.
    let run = helper(&scratch, &["get"], &[], "https://index.docker.io/v1/");
    assert_eq!(run.expect(0).json()["Secret"], "at-secret");
    // Same through `keycard docker-credential`.
    let mut cmd = scratch.keycard();
    cmd.args(["docker-credential", "get"]);
    let out = run_with_input(cmd, "registry.example.com:5000");
    assert_eq!(out.expect(0).json()["Username"], "oauth2");

    // Another port, another host, or prod in KEYCARD_PROFILE: docker's "not here".
    for url in ["registry.example.com", "https://ghcr.io", "not a url"] {
        let run = helper(&scratch, &["get"], &[("KEYCARD_PROFILE", "prod")], url);
        run.expect(1);
        assert_eq!(run.stdout, "credentials not found in native keychain\n");
        assert_eq!(run.stderr, "");
    }
}

fn a_listed_registry_without_a_session_is_an_error_naming_the_login_command() {
    let scratch = Scratch::new();
    registry_profile(&scratch);
    let run = helper(&scratch, &["get"], &[], "registry.example.com:5000");
    run.needs_login("prod");
}

fn list_names_hosts_of_signed_in_profiles_without_secrets() {
    let scratch = Scratch::new();
    registry_profile(&scratch);
    scratch.add_profile("idle", "https://id.example.com", "cli");
    scratch.set("idle", "hosts", "idle.example.com");
    signed_in(&scratch, "prod", 3600, true);

    let run = helper(&scratch, &["list"], &[], "");
    run.expect(0);
    assert_eq!(
        run.json(),
        serde_json::json!({
            "https://index.docker.io": "oauth2",
            "https://registry.example.com:5000": "oauth2",
        })
    );
    assert!(!run.stdout.contains("secret"));

    // A host two profiles list is one `get` refuses: list leaves it out.
    scratch.add_profile("dup", "https://id.example.com", "cli");
    scratch.set("dup", "hosts", "index.docker.io");
    signed_in(&scratch, "dup", 3600, true);
    let run = helper(&scratch, &["list"], &[], "");
    assert_eq!(
        run.expect(0).json(),
        serde_json::json!({ "https://registry.example.com:5000": "oauth2" })
    );
}

fn store_and_erase_leave_the_session_alone() {
    let scratch = Scratch::new();
    registry_profile(&scratch);
    signed_in(&scratch, "prod", 3600, true);
    let before = std::fs::read(scratch.token_file("prod")).unwrap();
    let stored = r#"{"ServerURL":"registry.example.com:5000","Username":"me","Secret":"pw"}"#;
    helper(&scratch, &["store"], &[], stored).expect(0);
    helper(&scratch, &["erase"], &[], "registry.example.com:5000").expect(0);
    assert_eq!(std::fs::read(scratch.token_file("prod")).unwrap(), before);
    let run = helper(&scratch, &["get"], &[], "registry.example.com:5000");
    assert_eq!(run.expect(0).json()["Secret"], "at-secret");
    helper(&scratch, &["frobnicate"], &[], "").expect(2);
}

/// A TLS registry on 127.0.0.1 (self-signed, made by openssl) that answers 401 +
/// `WWW-Authenticate: Basic` without credentials and prints `PATH AUTHORIZATION` for
/// every request; `None` when openssl or python3 is missing.
fn registry(dir: &Path) -> TlsServer {
    let (cert, key) = self_signed(dir, "registry");
    let handler = r#"
    def do_GET(self):
        auth = self.headers.get('Authorization')
        print('%s %s' % (self.path, auth), flush=True)
        if not auth:
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="registry"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        self.send_response(404)
        self.send_header('Content-Type', 'application/json')
        body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no such manifest"}]}'
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET"#;
    TlsServer::start(&cert, &key, handler, &[])
}

/// `Authorization` values of the requests for `path_part`, in order, from what the
/// stopped registry printed.
fn authorizations(printed: &[String], path_part: &str) -> Vec<String> {
    printed
        .iter()
        .filter(|l| l.contains(path_part))
        .filter_map(|l| l.split_once(' ').map(|(_, a)| a.to_string()))
        .filter(|a| a != "None")
        .collect()
}

/// The docker CLI (no daemon needed: `manifest inspect` talks to the registry itself)
/// finds keycard through credHelpers and sends its token to the registry.
fn the_docker_cli_logs_in_to_a_registry_with_the_profiles_token() {
    let docker = require("docker");
    let scratch = Scratch::new();
    let registry = registry(scratch.path());
    let provider = Provider::shared();
    provider.add_profile(&scratch, "reg");
    login_as(&scratch, provider, "reg", "alice").expect(0);
    let host = format!("127.0.0.1:{}", registry.port);
    scratch.run(&["config", "set", "hosts", &host]).expect(0);

    let docker_config = scratch.path().join("docker");
    std::fs::create_dir_all(&docker_config).unwrap();
    std::fs::write(
        docker_config.join("config.json"),
        serde_json::json!({ "credHelpers": { &host: "keycard" } }).to_string(),
    )
    .unwrap();
    let bin = link(&scratch).parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(docker);
    clean_env(&mut cmd);
    let out = cmd
        .args([
            "manifest",
            "inspect",
            "--insecure",
            &format!("{host}/team/app"),
        ])
        .env("PATH", path)
        .env("DOCKER_CONFIG", &docker_config)
        .env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        // Never a daemon: the command must not need one.
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    let run = Run::from(out);
    let token = scratch.token_field("reg", "access_token");
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("oauth2:{token}"))
    );
    let sent = authorizations(&registry.printed(), "/v2/team/app/manifests/");
    assert!(!sent.is_empty(), "docker sent no credentials: {run:?}");
    assert!(sent.iter().all(|a| *a == basic), "{sent:?}");
    assert!(
        run.stderr.contains("no such manifest") || run.stderr.contains("MANIFEST_UNKNOWN"),
        "docker got past the login to the registry's answer: {run:?}"
    );
}

crate::tests![
    get_answers_for_listed_registries_only,
    a_listed_registry_without_a_session_is_an_error_naming_the_login_command,
    list_names_hosts_of_signed_in_profiles_without_secrets,
    store_and_erase_leave_the_session_alone,
    the_docker_cli_logs_in_to_a_registry_with_the_profiles_token
];
