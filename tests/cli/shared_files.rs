//! Issue 14 §1 and §4: a config directory, config.toml, token or lock file that another
//! user can change, and special files where keycard's files should be. Whatever commands
//! read or send secrets refuse them, naming the path, who can change it and the fix;
//! a prompt stays silent; nothing waits on a FIFO.

use crate::fake::FakeServer;
use crate::hostile_files::{
    fake_provider, fresh_provider_session, fresh_tokens, one_line_error, session_at, snapshot,
};
use crate::support::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A user and a group id no test machine gives to a real person.
const OTHER_UID: u32 = 65533;
const NOBODY: u32 = 65534;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), None).unwrap();
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The commands that read or send a secret: each must refuse before doing so.
const SECRET_COMMANDS: &[&[&str]] = &[
    &["token"],
    &["whoami"],
    &["status"],
    &["exec", "--", "true"],
    &["kube-credential"],
    &["login", "--no-browser", "--force"],
    &["logout", "--yes"],
];

/// Every secret command exits 1 naming `path` and `fix`, sends nothing and changes no
/// file; the prompt forms print nothing at all and exit non-zero.
fn all_refuse(scratch: &Scratch, server: &FakeServer, path: &Path, fix: &str) {
    let before = snapshot(scratch.path());
    for args in SECRET_COMMANDS {
        let run = scratch.run(args);
        run.expect(1);
        one_line_error(&run, &path.display().to_string());
        assert!(run.stderr.contains(fix), "{args:?}: {}", run.stderr);
        assert!(
            !run.stdout.contains("at-secret"),
            "{args:?}: {}",
            run.stdout
        );
        assert_eq!(snapshot(scratch.path()), before, "{args:?} changed a file");
    }
    for args in [
        &["status", "--short"][..],
        &["status", "--format", "{state}"],
    ] {
        let run = scratch.run(args);
        assert_ne!(run.code, 0, "{args:?}");
        assert_eq!(
            (run.stdout.as_str(), run.stderr.as_str()),
            ("", ""),
            "{args:?}"
        );
    }
    assert!(
        server.all().is_empty(),
        "nothing was sent: {:?}",
        server.paths()
    );
}

fn a_config_directory_others_can_write_is_refused_by_every_secret_command() {
    for (mode, who) in [
        (0o777, "every other user"),
        (0o770, "group "),
        (0o1777, "every"),
    ] {
        // Expired: `token` would otherwise refresh, sending the refresh token.
        let (server, scratch) = fresh_provider_session(-60);
        let dir = scratch.config_dir();
        chmod(&dir, mode);
        all_refuse(
            &scratch,
            &server,
            &dir,
            &format!("chmod go-w {}", dir.display()),
        );
        let run = scratch.run(&["token"]);
        assert!(run.stderr.contains(who), "{mode:o}: {}", run.stderr);
        // The fix it names works.
        chmod(&dir, 0o755);
        scratch.run(&["token"]).expect(0);
    }
}

fn a_config_toml_others_can_write_is_refused() {
    let (server, scratch) = fresh_provider_session(-60);
    let config = scratch.config_dir().join("config.toml");
    chmod(&config, 0o666);
    all_refuse(&scratch, &server, &config, "chmod go-w");
    chmod(&config, 0o644);
    scratch.run(&["token"]).expect(0);
}

fn a_linked_config_toml_is_judged_by_the_file_it_points_at() {
    let (server, scratch) = fresh_provider_session(-60);
    let config = scratch.config_dir().join("config.toml");
    let target = scratch.path().join("dotfiles.toml");
    std::fs::rename(&config, &target).unwrap();
    std::os::unix::fs::symlink(&target, &config).unwrap();
    scratch.run(&["status"]).expect(0);
    chmod(&target, 0o646);
    let run = scratch.run(&["token"]);
    run.expect(1);
    one_line_error(&run, "every other user");
    assert!(server.all().is_empty());
}

/// Runs keycard as `uid` (tests run as root: the only way to be another user here).
fn run_as(scratch: &Scratch, uid: u32, args: &[&str]) -> Run {
    use std::os::unix::process::CommandExt;
    let mut cmd: Command = scratch.keycard();
    cmd.uid(uid).gid(uid).args(args);
    Run::from(cmd.output().unwrap())
}

/// A session whose directory and files belong to `owner`, readable by everyone so that
/// what refuses them is keycard's check, not the kernel's permissions.
fn readable_session(server: &FakeServer, owner: u32) -> Scratch {
    let scratch = session_at(server, -60);
    let dir = scratch.config_dir();
    chmod(&dir, 0o755);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        chmod(&path, 0o644);
        chown(&path, owner);
    }
    chown(&dir, owner);
    scratch
}

/// One line naming `path`, its owner (uid 65533) and the `chown` fix.
fn refused_as_theirs(run: &Run, path: &Path) {
    run.expect(1);
    one_line_error(run, &format!("{} belongs to ", path.display()));
    run.stderr_has(&format!("uid {OTHER_UID}"));
    run.stderr_has(&format!("chown nobody {}", path.display()));
}

fn files_of_another_user_are_refused_naming_the_owner_and_the_chown() {
    if !is_root() {
        skip("needs root to act as two users");
    }
    let server = fake_provider(|_, _| fresh_tokens(json!(3600)));
    let scratch = readable_session(&server, OTHER_UID);
    let dir = scratch.config_dir();
    let run = run_as(&scratch, NOBODY, &["token"]);
    run.expect(1);
    refused_as_theirs(&run, &dir);
    assert!(run.stderr.contains("chown "), "{}", run.stderr);
    let run = run_as(&scratch, NOBODY, &["status", "--short"]);
    assert_ne!(run.code, 0);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));

    // The directory is theirs, the token file is not.
    chown(&dir, NOBODY);
    chown(&dir.join("config.toml"), NOBODY);
    let token = scratch.token_file("p");
    let run = run_as(&scratch, NOBODY, &["token"]);
    run.expect(1);
    refused_as_theirs(&run, &token);

    // The token file is theirs too, the lock file another user planted is not.
    chown(&token, NOBODY);
    chmod(&token, 0o600);
    let lock = dir.join(".auth-p.lock");
    std::fs::write(&lock, "").unwrap();
    // Open to all, so that only keycard's check can refuse it.
    chmod(&lock, 0o666);
    chown(&lock, OTHER_UID);
    let run = run_as(&scratch, NOBODY, &["token"]);
    run.expect(1);
    refused_as_theirs(&run, &lock);
    assert!(server.all().is_empty(), "no refresh was sent");

    // All theirs: it works, as that user.
    chown(&lock, NOBODY);
    let run = run_as(&scratch, NOBODY, &["token"]);
    run.expect(0);
    assert_eq!(run.stdout.trim(), "at-new");
}

fn root_may_use_another_users_directory_but_not_one_others_can_write() {
    if !is_root() {
        skip("needs root to own a directory as another user");
    }
    let server = fake_provider(|_, _| fresh_tokens(json!(3600)));
    let scratch = readable_session(&server, NOBODY);
    let run = scratch.run(&["token"]);
    run.expect(0);
    assert_eq!(run.stdout.trim(), "at-new");
    chmod(&scratch.config_dir(), 0o775);
    let run = scratch.run(&["token"]);
    run.expect(1);
    one_line_error(&run, "chmod go-w");
}

/// Runs keycard, failing the test (instead of hanging it) if it does not end.
fn run_without_hanging(scratch: &Scratch, args: &[&str]) -> Run {
    use std::process::Stdio;
    let mut child = scratch
        .keycard()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("keycard {args:?} hung on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().unwrap())
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

fn special_files_at_config_toml_are_refused_without_blocking() {
    let (_server, scratch) = fresh_provider_session(3600);
    let config = scratch.config_dir().join("config.toml");
    std::fs::remove_file(&config).unwrap();
    mkfifo(&config);
    for args in [&["token"][..], &["config", "list"]] {
        let run = run_without_hanging(&scratch, args);
        run.expect(1);
        one_line_error(&run, "is a FIFO");
    }
    let run = run_without_hanging(&scratch, &["status", "--short"]);
    assert_ne!(run.code, 0);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    // A link to a FIFO or to a device is refused the same way.
    std::fs::remove_file(&config).unwrap();
    let fifo = scratch.path().join("fifo");
    mkfifo(&fifo);
    for (target, what) in [
        (fifo.as_path(), "is a FIFO"),
        (Path::new("/dev/zero"), "is a device"),
    ] {
        let _ = std::fs::remove_file(&config);
        std::os::unix::fs::symlink(target, &config).unwrap();
        let run = run_without_hanging(&scratch, &["token"]);
        run.expect(1);
        one_line_error(&run, what);
    }
}

fn a_config_toml_over_a_mebibyte_is_not_read() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    let config = scratch.config_dir().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!("# {}\n", "x".repeat(1 << 20)));
    std::fs::write(&config, text).unwrap();
    let run = scratch.run(&["config", "list"]);
    run.expect(1);
    one_line_error(&run, "larger than 1 MiB");
}

fn special_files_at_the_lock_path_are_refused_without_blocking() {
    let (server, scratch) = fresh_provider_session(-60);
    let lock = scratch.config_dir().join(".auth-p.lock");
    mkfifo(&lock);
    let run = run_without_hanging(&scratch, &["token"]);
    run.expect(1);
    one_line_error(&run, "is a FIFO");
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap();
    let run = run_without_hanging(&scratch, &["token"]);
    run.expect(1);
    one_line_error(&run, ".auth-p.lock");
    assert!(server.all().is_empty(), "no refresh without the lock");
}

fn a_fifo_at_the_token_path_is_refused_without_blocking() {
    let (_server, scratch) = fresh_provider_session(3600);
    std::fs::remove_file(scratch.token_file("p")).unwrap();
    mkfifo(&scratch.token_file("p"));
    let run = run_without_hanging(&scratch, &["token"]);
    run.expect(1);
    one_line_error(&run, "is a FIFO");
}

/// proc(5): while a process is not dumpable, its /proc/PID files belong to root. So a
/// keycard running as another user and waiting in `login` (holding a device code and
/// the client secret) shows whether it made itself non-dumpable.
fn keycard_holding_secrets_cannot_be_dumped_or_read_by_the_same_user() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    if !is_root() {
        skip("needs root to tell a root-owned /proc entry from the user's");
    }
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => crate::fake::json(
            200,
            json!({"device_code": "dc-secret", "user_code": "WAIT-HERE",
                   "verification_uri": "http://127.0.0.1/verify", "expires_in": 600, "interval": 1}),
        ),
        _ => crate::fake::json(400, json!({"error": "authorization_pending"})),
    });
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let dir = scratch.config_dir();
    for entry in std::fs::read_dir(&dir).unwrap() {
        chown(&entry.unwrap().path(), NOBODY);
    }
    chown(&dir, NOBODY);
    let mut child = scratch
        .keycard()
        .uid(NOBODY)
        .gid(NOBODY)
        .args(["login", "--json", "--no-browser"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("WAIT-HERE"), "login is waiting: {line:?}");
    let owner = std::fs::metadata(format!("/proc/{}/mem", child.id()))
        .unwrap()
        .uid();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        owner, 0,
        "keycard (uid {NOBODY}) is dumpable: /proc/PID is its user's"
    );
}

/// The command between "fix it with `" and the next backquote in `stderr`.
fn named_fix(stderr: &str) -> &str {
    let start = stderr
        .find("fix it with `")
        .unwrap_or_else(|| panic!("no fix named: {stderr}"))
        + "fix it with `".len();
    let len = stderr[start..].find('`').unwrap();
    &stderr[start..start + len]
}

fn the_fixes_named_for_a_path_with_a_space_work_when_pasted() {
    // Like macOS's "Application Support": a directory name a shell splits in two.
    let scratch = Scratch::new();
    signed_in(&scratch, "p", 3600, true);
    let dir = scratch.path().join("my keys");
    std::fs::rename(scratch.config_dir(), &dir).unwrap();
    let token_file = dir.join("auth-p.json");
    let keycard = |args: &[&str]| {
        let mut cmd = keycard_bare();
        cmd.arg("--config-dir").arg(&dir).args(["--profile", "p"]);
        Run::of(cmd.args(args))
    };
    let paste = |fix: &str| {
        let mut sh = Command::new(require("sh"));
        sh.args(["-c", fix]).current_dir(scratch.path());
        let run = Run::of(&mut sh);
        assert_eq!(run.code, 0, "`{fix}` failed when pasted\n{run}");
    };

    chmod(&dir, 0o777);
    let refused = keycard(&["token"]);
    refused.expect(1);
    paste(named_fix(&refused.stderr));
    assert_eq!(mode(&dir), 0o755);

    chmod(&token_file, 0o644);
    let warned = keycard(&["status"]);
    warned.expect(0);
    paste(named_fix(&warned.stderr));
    assert_eq!(mode(&token_file), 0o600);
    keycard(&["token"]).expect(0).stdout_has("at-secret");
}

crate::tests![
    the_fixes_named_for_a_path_with_a_space_work_when_pasted,
    a_config_directory_others_can_write_is_refused_by_every_secret_command,
    a_config_toml_others_can_write_is_refused,
    a_linked_config_toml_is_judged_by_the_file_it_points_at,
    files_of_another_user_are_refused_naming_the_owner_and_the_chown,
    root_may_use_another_users_directory_but_not_one_others_can_write,
    special_files_at_config_toml_are_refused_without_blocking,
    a_config_toml_over_a_mebibyte_is_not_read,
    special_files_at_the_lock_path_are_refused_without_blocking,
    a_fifo_at_the_token_path_is_refused_without_blocking,
    keycard_holding_secrets_cannot_be_dumped_or_read_by_the_same_user,
];
