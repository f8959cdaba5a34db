//! What a shell prompt pays for keycard, measured against the floor: starting `/bin/true`.
//!
//! `cargo bench --bench prompt` builds keycard with the release settings, signs a profile
//! in by writing its token file directly, then alternates, in one run, spawning keycard
//! and `/bin/true` (A B A B ...) and reports the median of the per-pair wall-time ratios,
//! both medians, and keycard's peak RSS (from `wait4`'s rusage). Absolute times drift on a
//! shared machine; the ratio of neighbouring runs does not.
//!
//! Not a test: it is never run by `cargo test`. It exits 1 when a target is missed.
//! `KEYCARD_BENCH_PAIRS` changes the number of measured pairs (default 400, at least 200);
//! `KEYCARD_BIN` measures another keycard binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WARM_UP: usize = 30;
/// Runs (after the timed pairs) whose largest RSS is reported.
const RSS_RUNS: usize = 20;
const TARGET_RATIO: f64 = 1.6;
const TARGET_RSS_KIB: i64 = 3 * 1024;

fn main() {
    let keycard = std::env::var_os("KEYCARD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keycard")));
    let pairs = std::env::var("KEYCARD_BENCH_PAIRS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400usize)
        .max(200);
    let dir = std::env::temp_dir().join(format!("keycard-bench-{}", std::process::id()));
    let _cleanup = Cleanup(dir.clone());
    signed_in(&dir);

    println!("keycard: {}", keycard.display());
    println!("{pairs} pairs after {WARM_UP} warm-up pairs, against /bin/true\n");
    let mut ok = true;
    for (label, args) in [
        ("status --short", &["status", "--short"][..]),
        ("token", &["token"][..]),
    ] {
        let probe = run(&keycard, args, &dir, Spawn::Fast);
        if probe.code != Some(0) {
            println!("{label}: FAILED, exit {:?}", probe.code);
            ok = false;
            continue;
        }
        ok &= measure(label, &keycard, args, &dir, pairs);
    }
    if !ok {
        std::process::exit(1);
    }
}

/// Runs the pairs for one command and prints one line; false when a target is missed.
fn measure(label: &str, keycard: &Path, args: &[&str], dir: &Path, pairs: usize) -> bool {
    let truth = Path::new("/bin/true");
    let mut ratios = Vec::with_capacity(pairs);
    let mut kc_times = Vec::with_capacity(pairs);
    let mut true_times = Vec::with_capacity(pairs);
    for i in 0..WARM_UP + pairs {
        let a = run(keycard, args, dir, Spawn::Fast);
        let b = run(truth, &[], dir, Spawn::Fast);
        assert_eq!(a.code, Some(0), "keycard {args:?} failed during the run");
        if i < WARM_UP {
            continue;
        }
        ratios.push(a.wall.as_secs_f64() / b.wall.as_secs_f64());
        kc_times.push(a.wall.as_secs_f64() * 1e3);
        true_times.push(b.wall.as_secs_f64() * 1e3);
    }
    let peak = |program: &Path, args: &[&str]| {
        (0..RSS_RUNS)
            .map(|_| run(program, args, dir, Spawn::Fork).max_rss_kib)
            .max()
            .unwrap_or(0)
    };
    let peak_rss_kib = peak(keycard, args);
    let floor_rss_kib = peak(truth, &[]);
    let ratio = median(&mut ratios);
    let rss_mib = peak_rss_kib as f64 / 1024.0;
    let ratio_ok = ratio <= TARGET_RATIO;
    let rss_ok = peak_rss_kib <= TARGET_RSS_KIB;
    println!(
        "{label}: median ratio {ratio:.2} ({}, target <= {TARGET_RATIO}); \
         median keycard {:.3} ms, /bin/true {:.3} ms; \
         peak RSS {rss_mib:.2} MiB ({}, target <= 3 MiB; /bin/true {:.2} MiB)",
        verdict(ratio_ok),
        median(&mut kc_times),
        median(&mut true_times),
        verdict(rss_ok),
        floor_rss_kib as f64 / 1024.0,
    );
    ratio_ok && rss_ok
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
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
fn run(program: &Path, args: &[&str], dir: &Path, spawn: Spawn) -> Sample {
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

/// A config with one active profile and a token file valid for eight hours, written the
/// way `keycard login` writes it (src/state.rs).
fn signed_in(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "active = \"prod\"\n\n[profiles.prod]\nissuer = \"https://id.example.com\"\n\
         client_id = \"keycard-cli\"\nscopes = [\"openid\", \"email\", \"offline_access\"]\n",
    )
    .unwrap();
    let now = chrono::Utc::now();
    let tokens = serde_json::json!({
        "version": 1,
        "access_token": "bench-access-token",
        "refresh_token": "bench-refresh-token",
        "token_type": "Bearer",
        "scope": "openid email offline_access",
        "expires_at": now + chrono::TimeDelta::hours(8),
        "issued_at": now,
        "issuer": "https://id.example.com",
        "client_id": "keycard-cli",
        "identity": {"sub": "u1", "email": "alice@example.com", "name": "Alice"},
    });
    let path = dir.join("auth-prod.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&tokens).unwrap()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
