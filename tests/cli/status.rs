//! `keycard status` and `keycard logout` on local files (no provider needed).

use crate::support::*;
use serde_json::json;

fn signed_in(scratch: &Scratch, profile: &str, expires_in_secs: i64, refresh: bool) {
    let now = chrono::Utc::now();
    let mut tokens = json!({
        "version": 1,
        "access_token": "at-secret",
        "id_token": "x.y.z",
        "token_type": "Bearer",
        "scope": "openid email",
        "expires_at": now + chrono::TimeDelta::seconds(expires_in_secs),
        "issued_at": now - chrono::TimeDelta::hours(1),
        "issuer": "https://id.example.com",
        "client_id": "cli",
        "identity": {"sub": "u1", "email": "alice@example.test", "name": "Alice"},
    });
    if refresh {
        tokens["refresh_token"] = json!("rt-secret");
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

#[test]
fn states_and_exit_codes() {
    let cases = [
        (3600, true, "valid", 0),
        (60, true, "refreshable", 0),
        (60, false, "expired", 3),
    ];
    for (expires_in, refresh, state, code) in cases {
        let scratch = Scratch::new();
        signed_in(&scratch, "default", expires_in, refresh);
        let run = scratch.run(&["status", "--json"]);
        run.expect(code);
        let json = run.json();
        assert_eq!(json["state"], state);
        assert_eq!(json["user"]["email"], "alice@example.test");
        assert!(
            !run.stdout.contains("secret"),
            "no token in status: {}",
            run.stdout
        );
    }
    let scratch = Scratch::new();
    let run = scratch.run(&["status", "--json"]);
    run.expect(3);
    assert_eq!(run.json()["state"], "none");
}

#[test]
fn human_status_names_profile_user_and_time_left() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    let run = scratch.run(&["status"]);
    run.expect(0);
    assert!(run.stdout.contains("default"), "{}", run.stdout);
    assert!(
        run.stdout.contains("https://id.example.com"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("alice@example.test (Alice)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("valid, expires in 54m")
            || run.stdout.contains("valid, expires in 55m"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn not_signed_in_explains_on_stderr_and_exits_3() {
    let scratch = Scratch::new();
    let run = scratch.run(&["--profile", "prod", "status"]);
    run.expect(3);
    assert!(run.stdout.contains("not signed in"), "{}", run.stdout);
    assert!(
        run.stderr.contains("keycard login --profile prod"),
        "{}",
        run.stderr
    );
}

#[test]
fn damaged_token_file_names_the_file_and_the_fix() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.config_dir()).unwrap();
    std::fs::write(scratch.token_file("default"), "{\"access_tok").unwrap();
    let run = scratch.run(&["status"]);
    run.expect(3);
    assert!(
        run.stderr.contains("auth-default.json")
            && run.stderr.contains("keycard login --profile default"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(scratch.token_file("default")).unwrap(),
        "{\"access_tok"
    );
}

#[cfg(unix)]
#[test]
fn readable_token_file_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    std::fs::set_permissions(
        scratch.token_file("default"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let run = scratch.run(&["status"]);
    run.expect(0);
    assert!(run.stderr.contains("chmod 600"), "{}", run.stderr);
}

#[test]
fn logout_forgets_the_tokens_and_is_idempotent() {
    let scratch = Scratch::new();
    signed_in(&scratch, "default", 3600, true);
    let run = scratch.run(&["logout", "--no-revoke"]);
    run.expect(0);
    assert!(!scratch.token_file("default").exists());
    let again = scratch.run(&["logout"]);
    again.expect(0);
    assert!(
        again.stderr.contains("No credentials on file."),
        "{}",
        again.stderr
    );
    scratch.run(&["status"]).expect(3);
}
