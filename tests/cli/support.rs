//! Shared test plumbing: a scratch config dir, the keycard command, the real provider
//! and its scripted user.

#![allow(dead_code)]

pub use crate::harness::{require, skip};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "keycard-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The config dir keycard is pointed at (not created: keycard must create it).
    pub fn config_dir(&self) -> PathBuf {
        self.0.join("config")
    }

    pub fn token_file(&self, profile: &str) -> PathBuf {
        self.config_dir().join(format!("auth-{profile}.json"))
    }

    pub fn config_toml(&self) -> String {
        std::fs::read_to_string(self.config_dir().join("config.toml")).unwrap_or_default()
    }

    /// `keycard --config-dir <scratch>` with a clean environment.
    pub fn keycard(&self) -> Command {
        let mut cmd = keycard_bare();
        cmd.env("KEYCARD_CONFIG_DIR", self.config_dir());
        cmd
    }

    /// `keycard config add NAME --issuer ISSUER --client-id CLIENT`, which must succeed.
    pub fn add_profile(&self, name: &str, issuer: &str, client_id: &str) {
        self.try_add_profile(name, issuer, client_id).expect(0);
    }

    /// `keycard config add NAME --issuer ISSUER --client-id CLIENT`, whatever it answers.
    pub fn try_add_profile(&self, name: &str, issuer: &str, client_id: &str) -> Run {
        self.run(&[
            "config",
            "add",
            name,
            "--issuer",
            issuer,
            "--client-id",
            client_id,
        ])
    }

    /// `keycard config add NAME --preset PRESET --client-id CLIENT EXTRA...` (`--var`,
    /// `--client-secret`, ...), whatever it answers.
    pub fn add_preset(&self, name: &str, preset: &str, client_id: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "config",
            "add",
            name,
            "--preset",
            preset,
            "--client-id",
            client_id,
        ];
        args.extend(extra);
        self.run(&args)
    }

    /// A profile whose explicit endpoints are `BASE/device` and `BASE/token` (no discovery).
    pub fn add_endpoint_profile(&self, name: &str, base: &str) {
        let args = endpoint_profile_args(name, base);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .expect(0);
    }

    /// `keycard --profile PROFILE config set KEY VALUE`, which must succeed.
    pub fn set(&self, profile: &str, key: &str, value: &str) {
        self.run(&["--profile", profile, "config", "set", key, value])
            .expect(0);
    }

    /// Starts `keycard login ARGS --json --no-browser` and reads its device authorization.
    pub fn start_login(&self, args: &[&str]) -> PendingLogin {
        let mut cmd = self.keycard();
        cmd.arg("login").args(args);
        PendingLogin::start(cmd)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(self.keycard().args(args))
    }

    pub fn tokens(&self, profile: &str) -> Value {
        let text = std::fs::read_to_string(self.token_file(profile)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// One string field of the profile's token file (`access_token`, `refresh_token`, ...).
    pub fn token_field(&self, profile: &str, key: &str) -> String {
        self.tokens(profile)[key]
            .as_str()
            .unwrap_or_else(|| panic!("no string {key:?} in the token file of {profile:?}"))
            .to_string()
    }

    /// Rewrites the profile's token file (keeping its mode) after `change`.
    pub fn edit_tokens(&self, profile: &str, change: impl FnOnce(&mut Value)) {
        let mut tokens = self.tokens(profile);
        change(&mut tokens);
        std::fs::write(self.token_file(profile), tokens.to_string()).unwrap();
    }

    /// Makes the access token expire `secs` from now (negative: in the past).
    pub fn expire_in(&self, profile: &str, secs: i64) {
        let at = chrono::Utc::now() + chrono::TimeDelta::seconds(secs);
        self.edit_tokens(profile, |t| t["expires_at"] = serde_json::json!(at));
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `config add NAME --client-id cli` with the explicit endpoints `BASE/device` and
/// `BASE/token` (no discovery).
pub fn endpoint_profile_args(name: &str, base: &str) -> Vec<String> {
    [
        "config",
        "add",
        name,
        "--client-id",
        "cli",
        "--device-authorization-endpoint",
        &format!("{base}/device"),
        "--token-endpoint",
        &format!("{base}/token"),
    ]
    .map(str::to_string)
    .to_vec()
}

/// The keycard binary with nothing inherited that could change its behaviour.
pub fn keycard_bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keycard"));
    clean_env(&mut cmd);
    cmd
}

/// Removes what could steer keycard (profile, config dir, browser, colour) from `cmd`'s
/// environment and closes its stdin.
pub fn clean_env(cmd: &mut Command) {
    for var in [
        "KEYCARD_PROFILE",
        "KEYCARD_CONFIG_DIR",
        "XDG_CONFIG_HOME",
        "BROWSER",
        "DISPLAY",
        "WAYLAND_DISPLAY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", std::env::temp_dir().join("keycard-test-no-home"));
    cmd.env("NO_COLOR", "1");
    cmd.stdin(Stdio::null());
}

/// A finished keycard run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o
                .status
                .code()
                .unwrap_or_else(|| panic!("keycard died from a signal: {:?}", o.status)),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Runs `cmd` to the end with its output captured: one line for any command.
    pub fn of(cmd: &mut Command) -> Run {
        Run::from(
            cmd.output()
                .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}")),
        )
    }

    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "unexpected exit code\n{self}");
        self
    }

    /// Asserts that stderr contains `text`; a failure shows the whole run.
    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Run {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}\n{self}");
        self
    }

    /// `stderr_has` for one case of many: a failure names `case` first.
    #[track_caller]
    pub fn stderr_has_in(&self, case: impl std::fmt::Display, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "{case}: stderr lacks {text:?}\n{self}"
        );
        self
    }

    /// Asserts that stdout contains `text`; a failure shows the whole run.
    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Run {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}\n{self}");
        self
    }

    /// Asserts the answer to a command that needs a session `profile` lacks: exit 3,
    /// nothing on stdout, and the `keycard login --profile PROFILE` that fixes it.
    #[track_caller]
    pub fn needs_login(&self, profile: &str) -> &Run {
        self.expect(3);
        assert_eq!(self.stdout, "", "nothing on stdout\n{self}");
        self.stderr_has(&format!("keycard login --profile {profile}"))
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// Installs the test server's npm packages once per test run.
pub fn node_modules() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = repo().join("tests/oidc");
        if !dir.join("node_modules/oidc-provider/package.json").exists() {
            let status = Command::new(require("npm"))
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .env("npm_config_update_notifier", "false")
                .current_dir(&dir)
                .status()
                .expect("npm is needed for the end-to-end tests");
            assert!(status.success(), "npm ci in tests/oidc failed");
        }
        dir
    })
}

/// A real oidc-provider on 127.0.0.1, stopped when dropped (it also exits when our end
/// of its stdin closes, so a crashed test leaves no server behind).
pub struct Provider {
    child: Child,
    _stdin: ChildStdin,
    pub issuer: String,
}

impl Provider {
    pub fn start() -> Provider {
        Provider::with(&[])
    }

    /// One provider with the default options for the whole run, for the tests that read
    /// no counts from it (`stats`, `token_requests`): each sign-in is its own grant, so
    /// they cannot see each other, and the suite starts dozens of node processes fewer.
    /// It exits with the test binary (its stdin closes).
    pub fn shared() -> &'static Provider {
        static SHARED: OnceLock<Provider> = OnceLock::new();
        SHARED.get_or_init(Provider::start)
    }

    /// `args` go to tests/oidc/server.mjs (`--device-ttl 2`, `--access-ttl 60`, ...).
    pub fn with(args: &[&str]) -> Provider {
        let dir = node_modules();
        let mut child = Command::new(require("node"))
            .arg(dir.join("server.mjs"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node is needed for the end-to-end tests");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("test server did not start: {line:?}"));
        Provider {
            child,
            _stdin: stdin,
            issuer: ready["issuer"].as_str().unwrap().to_string(),
        }
    }

    /// Stops this provider and starts another on the same port: the same issuer, with no
    /// memory of the grants and tokens it issued (its storage lives in memory).
    pub fn restart(self) -> Provider {
        let port = self
            .issuer
            .rsplit(':')
            .next()
            .expect("the issuer has a port")
            .to_string();
        drop(self);
        Provider::with(&["--port", &port])
    }

    /// Request counts the provider saw (tests/oidc/server.mjs `/_test/stats`).
    pub fn stats(&self) -> Value {
        let mut resp = ureq::get(format!("{}/_test/stats", self.issuer))
            .call()
            .unwrap();
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
    }

    pub fn device_code_polls(&self) -> u64 {
        self.stats()["token_requests"]["urn:ietf:params:oauth:grant-type:device_code"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Calls userinfo with `access_token`; returns the HTTP status and body.
    pub fn userinfo(&self, access_token: &str) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .get(format!("{}/me", self.issuer))
            .header("Authorization", format!("Bearer {access_token}"))
            .call()
            .unwrap();
        let status = resp.status().as_u16();
        (
            status,
            serde_json::from_str(&resp.body_mut().read_to_string().unwrap_or_default())
                .unwrap_or(Value::Null),
        )
    }

    /// How many token requests of `grant` the provider saw ("refresh_token", ...).
    pub fn token_requests(&self, grant: &str) -> u64 {
        self.stats()["token_requests"][grant].as_u64().unwrap_or(0)
    }

    /// Whether the provider still considers `token` active (RFC 7662 introspection).
    pub fn is_active(&self, token: &str) -> bool {
        let mut resp = ureq::post(format!("{}/token/introspection", self.issuer))
            .header(
                "Authorization",
                "Basic aW50cm9zcGVjdG9yOmludHJvc3BlY3Rvci1zZWNyZXQ=",
            )
            .send_form([("token", token)])
            .unwrap();
        let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        body["active"]
            .as_bool()
            .expect("introspection answers `active`")
    }

    /// Adds profile `name` for this provider's public client.
    pub fn add_profile(&self, scratch: &Scratch, name: &str) {
        scratch.add_profile(name, &self.issuer, "keycard");
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The scripted person: approves (or denies) `user_code` through the provider's pages
/// (tests/oidc/user.mjs, run inside the test server: no extra node process per sign-in).
pub fn act_as_user(issuer: &str, user_code: &str, login: &str, deny: bool) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(format!("{issuer}/_test/user"))
        .query("code", user_code)
        .query("login", login)
        .query("deny", if deny { "1" } else { "0" })
        .send_empty()
        .unwrap();
    let said = resp.body_mut().read_to_string().unwrap_or_default();
    assert!(
        resp.status().as_u16() == 200,
        "scripted user failed ({}): {said}",
        resp.status()
    );
}

/// A `keycard login --json` in progress, with its first stdout line (the device
/// authorization) already read.
pub struct PendingLogin {
    pub child: Child,
    pub device: Value,
    stdout: BufReader<ChildStdout>,
}

impl PendingLogin {
    pub fn start(mut cmd: Command) -> PendingLogin {
        let (mut child, stdout, line) =
            spawn_reading_a_line(cmd.args(["--json", "--no-browser"]).stderr(Stdio::piped()));
        let line = line.unwrap();
        let device = serde_json::from_str(&line).unwrap_or_else(|_| {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("login printed no device authorization: {line:?}\nstderr: {err}")
        });
        PendingLogin {
            child,
            device,
            stdout,
        }
    }

    pub fn user_code(&self) -> String {
        self.device["user_code"].as_str().unwrap().to_string()
    }

    /// Reads the next stdout line as a new device authorization (a `login` that started
    /// afresh) and makes it the one `user_code` answers.
    pub fn next_device(&mut self) -> &Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        self.device = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("no new device authorization: {line:?}"));
        &self.device
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits (bounded) for keycard to finish.
    pub fn finish(mut self) -> Run {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "keycard login did not finish within 60 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = self.child.wait().unwrap();
        Run {
            code: status
                .code()
                .unwrap_or_else(|| panic!("keycard died from a signal: {status:?}")),
            stdout: format!("{}\n{rest}", self.device),
            stderr,
        }
    }
}

/// Signs `profile` in as `login` through the whole device flow; returns the finished run.
pub fn login_as(scratch: &Scratch, provider: &Provider, profile: &str, login: &str) -> Run {
    let pending = scratch.start_login(&["--profile", profile]);
    act_as_user(&provider.issuer, &pending.user_code(), login, false);
    pending.finish()
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Writes a token file for `profile` as `keycard login` would, expiring in `expires_in_secs`.
pub fn signed_in(scratch: &Scratch, profile: &str, expires_in_secs: i64, refresh: bool) {
    let now = chrono::Utc::now();
    let mut tokens = serde_json::json!({
        "version": 1,
        "access_token": "at-secret",
        // An unsigned JWT whose claims say sub u1 and email a@ex.test.
        "id_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSIsImVtYWlsIjoiYUBleC50ZXN0In0.",
        "token_type": "Bearer",
        "scope": "openid email",
        "expires_at": now + chrono::TimeDelta::seconds(expires_in_secs),
        "issued_at": now - chrono::TimeDelta::hours(1),
        "issuer": "https://id.example.com",
        "client_id": "cli",
        "identity": {"sub": "u1", "email": "alice@example.test", "name": "Alice"},
    });
    if refresh {
        tokens["refresh_token"] = serde_json::json!("rt-secret");
    }
    std::fs::create_dir_all(scratch.config_dir()).unwrap();
    let path = scratch.token_file(profile);
    std::fs::write(&path, tokens.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Runs `cmd` with `input` on its stdin and its output captured.
pub fn run_with_input(mut cmd: Command, input: &str) -> Run {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that exits without reading its input closes the pipe: not our failure.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    Run::from(child.wait_with_output().unwrap())
}

/// Runs the openssl command line in `dir`, which must succeed (the test skips without
/// openssl).
pub fn openssl(dir: &Path, args: &str) {
    let out = Command::new(require("openssl"))
        .args(args.split_whitespace())
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate for 127.0.0.1 in `dir`: (`STEM-cert.pem`, `STEM-key.pem`).
pub fn self_signed(dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (format!("{stem}-cert.pem"), format!("{stem}-key.pem"));
    openssl(
        dir,
        &format!(
            "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
             -keyout {key} -out {cert}"
        ),
    );
    (dir.join(cert), dir.join(key))
}

/// An HTTPS server on 127.0.0.1 from Python's http.server and ssl, for what a test needs
/// over TLS (a private CA, kubectl, docker). `handler` is the body of a
/// `BaseHTTPRequestHandler` subclass, indented four spaces; it sees `sys.argv[3:]` as
/// `args`. Stopped when dropped.
pub struct TlsServer {
    child: Child,
    pub port: u16,
    /// What the handler prints, after the port line.
    pub stdout: BufReader<ChildStdout>,
}

impl TlsServer {
    pub fn start(cert: &Path, key: &Path, handler: &str, args: &[&str]) -> TlsServer {
        let script = format!(
            "import http.server, json, ssl, sys\n\
             args = sys.argv[3:]\n\
             class H(http.server.BaseHTTPRequestHandler):\n{handler}\n    \
             def log_message(self, *a): pass\n\
             s = http.server.HTTPServer(('127.0.0.1', 0), H)\n\
             ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
             ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n\
             s.socket = ctx.wrap_socket(s.socket, server_side=True)\n\
             print(s.server_address[1], flush=True)\n\
             s.serve_forever()\n"
        );
        let (mut child, stdout, line) = spawn_reading_a_line(
            Command::new(require("python3"))
                .args(["-c", &script])
                .arg(cert)
                .arg(key)
                .args(args)
                .stdin(Stdio::null())
                .stderr(Stdio::piped()),
        );
        let line = line.unwrap_or_default();
        let Ok(port) = line.trim().parse() else {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            let _ = child.wait();
            panic!("the python3 TLS server did not start: {err}");
        };
        TlsServer {
            child,
            port,
            stdout,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Stops the server and returns the lines its handler printed.
    pub fn printed(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut all = String::new();
        let _ = self.stdout.read_to_string(&mut all);
        all.lines().map(str::to_string).collect()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `cmd` with its stdout piped (stderr as the caller set it) and reads the first
/// line it prints; returns the child, the rest of its stdout and that line.
pub fn spawn_reading_a_line(
    cmd: &mut Command,
) -> (Child, BufReader<ChildStdout>, std::io::Result<String>) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let read = stdout.read_line(&mut line).map(|_| line);
    (child, stdout, read)
}

/// Makes a FIFO at `path` (a special file keycard must refuse without blocking on it).
#[cfg(unix)]
pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo(3) only reads it.
    assert_eq!(
        unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) },
        0,
        "mkfifo {}",
        path.display()
    );
}

/// An unsigned JWT (`alg: none`) carrying `claims`, as an ID or refresh token a test
/// provider hands out; keycard reads such claims without checking a signature.
pub fn jwt(claims: Value) -> String {
    use base64::Engine;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(claims.to_string().as_bytes())
    )
}
