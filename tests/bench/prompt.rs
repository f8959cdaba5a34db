//! What a shell prompt or a script pays for keycard, measured against the floor: starting
//! `/bin/true`. README "Performance" shows a run and the command.
//!
//! `cargo bench --bench prompt` builds keycard with the release settings and, for each of
//! `status --short`, `status --format T` and `token`, on a signed-in profile, a stale token
//! file (access token expired, no refresh token) and no token file at all, alternates
//! spawning keycard and `/bin/true` (and the other programs below) in rounds, and reports
//! the median of the per-round wall-time ratios and each program's peak RSS (from
//! `wait4`'s rusage). Absolute times drift on a shared machine; neighbouring runs share
//! the drift, so the ratio of each round cancels it.
//!
//! Also in every round:
//! - the floor: this benchmark's own binary (static, same release settings) re-run as a
//!   minimal reader that parses the token file with serde_json and prints a prompt line;
//! - with `KEYCARD_BASELINE=path`, a previous keycard binary, or with
//!   `KEYCARD_BASELINE_REV=REV` (a tag or commit) one this benchmark builds first from
//!   that revision's sources (`git archive` into a temporary directory, then
//!   `cargo build --release` into target/bench-baseline): reported beside keycard and as keycard's time over its time.
//!
//! Not a test: `cargo test` never runs it. It exits 1 when a target is missed.
//! `KEYCARD_BENCH_PAIRS` sets the measured rounds per case (default 300, at least 100);
//! `KEYCARD_BIN` measures another keycard binary instead of the one cargo built.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WARM_UP: usize = 20;
/// Runs (after the timed rounds) whose largest RSS is reported.
const RSS_RUNS: usize = 20;
const TARGET_RATIO: f64 = 1.1;
const TARGET_RSS_KIB: i64 = 2 * 1024;
/// The argument that makes this binary the floor reader instead of the benchmark.
const FLOOR_READER: &str = "--floor-reader";

const COMMANDS: [(&str, &[&str]); 3] = [
    ("status --short", &["status", "--short"]),
    (
        "status --format",
        &["status", "--format", "{profile} {state} {expires_in}"],
    ),
    ("token", &["token"]),
];

#[derive(Clone, Copy)]
enum State {
    SignedIn,
    Stale,
    NoTokenFile,
}

impl State {
    fn label(self) -> &'static str {
        match self {
            State::SignedIn => "signed in",
            State::Stale => "stale token file",
            State::NoTokenFile => "no token file",
        }
    }

    /// keycard's exit code for every command here: 0 with a usable session, else 3.
    fn exit_code(self) -> i32 {
        match self {
            State::SignedIn => 0,
            State::Stale | State::NoTokenFile => 3,
        }
    }
}

struct Program {
    label: &'static str,
    path: PathBuf,
    /// Arguments before the command's own (the floor reader's switch).
    prefix: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(FLOOR_READER) {
        floor_reader(Path::new(&args[2]));
        return;
    }
    let keycard = std::env::var_os("KEYCARD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keycard")));
    let rounds = std::env::var("KEYCARD_BENCH_PAIRS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300usize)
        .max(100);
    let root = std::env::temp_dir().join(format!("keycard-bench-{}", std::process::id()));
    let cleanup = Cleanup(root.clone());

    let mut programs = vec![Program {
        label: "keycard",
        path: keycard,
        prefix: vec![],
    }];
    let baseline = match std::env::var("KEYCARD_BASELINE_REV") {
        Ok(rev) => Some(build_revision(&rev)),
        Err(_) => std::env::var_os("KEYCARD_BASELINE").map(PathBuf::from),
    };
    if let Some(path) = baseline {
        programs.push(Program {
            label: "baseline",
            path,
            prefix: vec![],
        });
    }
    programs.push(Program {
        label: "floor",
        path: std::env::current_exe().expect("the benchmark's own path"),
        prefix: vec![FLOOR_READER.into()],
    });
    for p in &programs {
        println!("{:<9}{}", p.label, p.path.display());
    }
    println!(
        "{rounds} rounds per case after {WARM_UP} warm-up rounds; each round runs every \
         program and /bin/true once, in rotating order.\n\
         x true: median of the per-round ratio of wall time to /bin/true's (target <= \
         {TARGET_RATIO}); RSS: peak over {RSS_RUNS} runs (target <= 2.00 MiB).\n"
    );
    let mut header = format!("{:<34}", "case");
    for p in &programs {
        header += &format!(" | {:<18}", format!("{} x true, RSS", p.label));
    }
    if programs.len() == 3 {
        header += " | keycard/baseline";
    }
    println!("{header}");

    let mut ok = true;
    let mut true_rss = 0;
    for state in [State::SignedIn, State::Stale, State::NoTokenFile] {
        let dir = root.join(state.label().replace(' ', "-"));
        write_config_dir(&dir, state);
        for (label, command) in COMMANDS {
            let case = Case {
                command,
                dir: &dir,
                expect: state.exit_code(),
            };
            let Some(result) = case.measure(&programs, rounds) else {
                ok = false;
                continue;
            };
            true_rss = true_rss.max(result.true_rss_kib);
            let mut line = format!("{:<34}", format!("{label}, {}", state.label()));
            for (i, (ratio, rss)) in result.ratios.iter().zip(&result.rss_kib).enumerate() {
                let missed = i == 0 && (*ratio > TARGET_RATIO || *rss > TARGET_RSS_KIB);
                ok &= !missed;
                let mark = if missed { "!" } else { " " };
                line += &format!(
                    " | {ratio:>5.2}x {:>5.2} MiB{mark}   ",
                    *rss as f64 / 1024.0
                );
            }
            if let Some(vs) = result.against_baseline {
                line += &format!(" | {vs:.2}");
            }
            println!("{line}");
        }
    }
    println!(
        "\n/bin/true: peak RSS {:.2} MiB. '!' marks a missed target.",
        true_rss as f64 / 1024.0
    );
    // exit() skips destructors: remove the config directories first.
    drop(cleanup);
    if !ok {
        std::process::exit(1);
    }
}

/// keycard as of `rev`, built with that revision's own settings (its .cargo/config.toml)
/// into target/bench-baseline, which later runs reuse.
fn build_revision(rev: &str) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = repo.join("target").join("bench-baseline");
    // Outside this checkout: cargo would also apply this checkout's .cargo/config.toml.
    let sources = std::env::temp_dir().join(format!("keycard-baseline-{rev}"));
    let _ = std::fs::remove_dir_all(&sources);
    std::fs::create_dir_all(&sources).unwrap();
    let archive = Command::new("git")
        .args(["archive", "--format=tar", rev])
        .current_dir(repo)
        .output()
        .expect("git archive");
    assert!(archive.status.success(), "git archive {rev} failed");
    let mut untar = Command::new("tar")
        .arg("-x")
        .current_dir(&sources)
        .stdin(Stdio::piped())
        .spawn()
        .expect("tar");
    std::io::Write::write_all(&mut untar.stdin.take().unwrap(), &archive.stdout).unwrap();
    assert!(untar.wait().unwrap().success(), "unpacking {rev} failed");
    println!("building keycard {rev} in {}", target.display());
    let built = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--locked",
            "--bin",
            "keycard",
            "--target-dir",
        ])
        .arg(&target)
        .current_dir(&sources)
        .status()
        .expect("cargo build");
    let _ = std::fs::remove_dir_all(&sources);
    assert!(built.success(), "building {rev} failed");
    // Where cargo put it: target/<host-tuple>/release when the revision names a target.
    let dirs = std::fs::read_dir(&target)
        .unwrap()
        .flatten()
        .map(|e| e.path());
    std::iter::once(target.clone())
        .chain(dirs)
        .map(|dir| dir.join("release").join("keycard"))
        .filter(|p| p.exists())
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| panic!("no keycard binary under {}", target.display()))
}

struct Case<'a> {
    command: &'a [&'a str],
    dir: &'a Path,
    expect: i32,
}

struct Measured {
    /// Per program: median ratio of its wall time to /bin/true's in the same round.
    ratios: Vec<f64>,
    rss_kib: Vec<i64>,
    true_rss_kib: i64,
    /// Median of keycard's time over the baseline's in the same round.
    against_baseline: Option<f64>,
}

impl Case<'_> {
    /// The command's arguments (`/bin/true` ignores them), or the floor reader's.
    fn args(&self, program: &Program) -> Vec<String> {
        let mut args = program.prefix.clone();
        if program.prefix.is_empty() {
            args.extend(self.command.iter().map(|s| s.to_string()));
        } else {
            args.push(self.dir.display().to_string());
        }
        args
    }

    /// `None` (after saying why) when keycard or the baseline exits with another code.
    fn measure(&self, programs: &[Program], rounds: usize) -> Option<Measured> {
        let truth = Program {
            label: "/bin/true",
            path: "/bin/true".into(),
            prefix: vec![],
        };
        for p in programs.iter().filter(|p| p.prefix.is_empty()) {
            let code = run(&p.path, &self.args(p), self.dir, Spawn::Fast).code;
            if code != Some(self.expect) {
                println!(
                    "{} {:?}: exit {code:?}, expected {}",
                    p.label, self.command, self.expect
                );
                return None;
            }
        }
        let n = programs.len();
        let mut ratios = vec![Vec::with_capacity(rounds); n];
        let mut against_baseline = Vec::with_capacity(rounds);
        let mut walls = vec![Duration::ZERO; n + 1];
        for round in 0..WARM_UP + rounds {
            // Rotate who goes first, so that no program always follows the same one.
            for k in 0..=n {
                let i = (round + k) % (n + 1);
                let p = programs.get(i).unwrap_or(&truth);
                walls[i] = run(&p.path, &self.args(p), self.dir, Spawn::Fast).wall;
            }
            if round < WARM_UP {
                continue;
            }
            let t = walls[n].as_secs_f64();
            for i in 0..n {
                ratios[i].push(walls[i].as_secs_f64() / t);
            }
            if n == 3 {
                against_baseline.push(walls[0].as_secs_f64() / walls[1].as_secs_f64());
            }
        }
        let peak = |p: &Program| {
            (0..RSS_RUNS)
                .map(|_| run(&p.path, &self.args(p), self.dir, Spawn::Fork).max_rss_kib)
                .max()
                .unwrap_or(0)
        };
        Some(Measured {
            ratios: ratios.iter_mut().map(|r| median(r)).collect(),
            rss_kib: programs.iter().map(peak).collect(),
            true_rss_kib: peak(&truth),
            against_baseline: (n == 3).then(|| median(&mut against_baseline)),
        })
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

struct Sample {
    wall: Duration,
    code: Option<i32>,
    max_rss_kib: i64,
}

#[derive(Clone, Copy, PartialEq)]
enum Spawn {
    /// std's usual way (posix_spawn, a vfork): the cheapest start, for timing.
    Fast,
    /// fork then exec. The kernel folds the pre-exec memory into the child's `ru_maxrss`;
    /// after a vfork that is this whole benchmark process, after a fork only its anonymous
    /// pages, so the fork gives the honest RSS (and `/bin/true` shows the floor).
    Fork,
}

/// Spawns `program args` with the config dir set and stdout/stderr discarded, and reaps
/// it with `wait4` to get its own peak RSS (std's `wait` does not return rusage).
// The child is reaped by wait4 below, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run(program: &Path, args: &[String], dir: &Path, spawn: Spawn) -> Sample {
    let mut cmd = Command::new(program);
    if spawn == Spawn::Fork {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure does nothing; its presence makes std fork instead of vfork.
        unsafe { cmd.pre_exec(|| Ok(())) };
    }
    let start = Instant::now();
    let child = cmd
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .env("KEYCARD_CONFIG_DIR", dir)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own unreaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let reaped = loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed();
    assert_eq!(
        reaped,
        pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Sample {
        wall,
        code,
        max_rss_kib: usage.ru_maxrss,
    }
}

/// A config with one active profile, `prod`, and its token file as `keycard login` writes
/// it (src/state.rs): valid for eight hours, expired an hour ago without a refresh token,
/// or absent.
fn write_config_dir(dir: &Path, state: State) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "active = \"prod\"\n\n[profiles.prod]\nissuer = \"https://id.example.com\"\n\
         client_id = \"keycard-cli\"\nscopes = [\"openid\", \"email\", \"offline_access\"]\n",
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let now = chrono::Utc::now();
    let mut tokens = serde_json::json!({
        "version": 1,
        "access_token": "bench-access-token",
        "token_type": "Bearer",
        "scope": "openid email offline_access",
        "issuer": "https://id.example.com",
        "client_id": "keycard-cli",
        "identity": {"sub": "u1", "email": "alice@example.com", "name": "Alice"},
    });
    match state {
        State::SignedIn => {
            tokens["refresh_token"] = "bench-refresh-token".into();
            tokens["issued_at"] = serde_json::json!(now);
            tokens["expires_at"] = serde_json::json!(now + chrono::TimeDelta::hours(8));
        }
        State::Stale => {
            tokens["issued_at"] = serde_json::json!(now - chrono::TimeDelta::hours(2));
            tokens["expires_at"] = serde_json::json!(now - chrono::TimeDelta::hours(1));
        }
        State::NoTokenFile => return,
    }
    let path = dir.join("auth-prod.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&tokens).unwrap()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The floor: what any static Rust program that reads a prompt's files pays. Reads
/// config.toml, parses the token file with serde_json, prints `prod:STATE`.
fn floor_reader(dir: &Path) {
    #[derive(serde::Deserialize)]
    struct Tokens {
        expires_at: chrono::DateTime<chrono::Utc>,
    }
    let config = std::fs::read(dir.join("config.toml")).unwrap_or_default();
    let tokens = std::fs::read(dir.join("auth-prod.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Tokens>(&bytes).ok());
    let state = match tokens {
        Some(t) if t.expires_at > chrono::Utc::now() => "valid",
        Some(_) => "expired",
        None => "none",
    };
    println!("prod:{state} ({} bytes of config)", config.len());
}

struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
