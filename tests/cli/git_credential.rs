//! `keycard git-credential`: the real git asks keycard for the token of the profile whose
//! `hosts` lists the remote, and a loopback smart-HTTP server checks what git sends.

use crate::fake::{self, FakeServer};
use crate::support::{Provider, Run, Scratch, login_as, require, run_with_input, signed_in, skip};
use base64::Engine;
use std::path::Path;
use std::process::{Command, Stdio};

/// A one-branch ref advertisement (git's smart HTTP, protocol v0): enough for
/// `git ls-remote` to succeed.
fn advertisement() -> String {
    let pkt = |s: &str| format!("{:04x}{s}", s.len() + 4);
    let sha = "0123456789abcdef0123456789abcdef01234567";
    format!(
        "{}0000{}{}0000",
        pkt("# service=git-upload-pack\n"),
        pkt(&format!("{sha} HEAD\0side-band-64k\n")),
        pkt(&format!("{sha} refs/heads/main\n")),
    )
}

/// A repository at `/repo.git` that answers 401 with a `challenge` (`Basic realm=...`)
/// until a request carries an `Authorization` header; the tests check its value.
fn git_server(challenge: &'static str) -> FakeServer {
    FakeServer::start(move |req, _| {
        if req.header("Authorization").is_none() {
            return fake::text(401, "text/plain", "").with_header("WWW-Authenticate", challenge);
        }
        fake::text(
            200,
            "application/x-git-upload-pack-advertisement",
            &advertisement(),
        )
    })
}

/// `host:port` of a fake server, as a `hosts` entry.
fn host_of(server: &FakeServer) -> String {
    server.url.trim_start_matches("http://").to_string()
}

/// The Authorization headers the server received, in order.
fn authorizations(server: &FakeServer) -> Vec<String> {
    server
        .all()
        .iter()
        .filter_map(|r| r.header("Authorization").map(str::to_string))
        .collect()
}

fn basic(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The real git, isolated: its own HOME and global config (holding `gitconfig`), no
/// system config, no prompts, and keycard on PATH for `!keycard git-credential`.
fn git(scratch: &Scratch, gitconfig: &str, args: &[&str]) -> Run {
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let global = scratch.path().join("gitconfig");
    std::fs::write(&global, gitconfig).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_keycard")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(require("git"))
        .args(args)
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("GIT_CONFIG_GLOBAL", &global)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("KEYCARD_CONFIG_DIR", scratch.config_dir())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run::from(out)
}

/// gitconfig that makes keycard the only helper for the server, as the README says.
fn keycard_only(server: &FakeServer) -> String {
    format!(
        "[credential \"{0}\"]\n\thelper =\n\thelper = !keycard git-credential\n",
        server.url
    )
}

/// `keycard git-credential OPERATION` with `input` on stdin.
fn helper(scratch: &Scratch, args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
    let mut cmd = scratch.keycard();
    cmd.args(args).envs(env.iter().copied());
    run_with_input(cmd, input)
}

fn get(scratch: &Scratch, host: &str) -> Run {
    helper(
        scratch,
        &["git-credential", "get"],
        &[],
        &format!("protocol=https\nhost={host}\n\n"),
    )
}

/// Profile `forge`, signed in at `provider` as alice, listing `server`'s host.
fn forge_for(provider: &Provider, server: &FakeServer) -> Scratch {
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "forge");
    login_as(&scratch, provider, "forge", "alice").expect(0);
    scratch
        .run(&["config", "set", "hosts", &host_of(server)])
        .expect(0);
    scratch
}

/// Profile `name`, listing git.example.com, signed in with `at-secret` for an hour.
fn signed_in_for_git_example(name: &str) -> Scratch {
    let scratch = Scratch::new();
    scratch.add_profile(name, "https://id.example.com", "cli");
    scratch
        .run(&["config", "set", "hosts", "git.example.com"])
        .expect(0);
    signed_in(&scratch, name, 3600, true);
    scratch
}

fn access_token(scratch: &Scratch) -> String {
    scratch.token_field("forge", "access_token")
}

fn git_sends_the_profiles_fresh_token_to_a_listed_host() {
    let provider = Provider::shared();
    let server = git_server("Basic realm=\"repo\"");
    let scratch = forge_for(provider, &server);

    let url = format!("{}/repo.git", server.url);
    let run = git(&scratch, &keycard_only(&server), &["ls-remote", &url]);
    run.expect(0);
    run.stdout_has("refs/heads/main");
    let token = access_token(&scratch);
    assert_eq!(authorizations(&server), vec![basic("oauth2", &token)]);
    assert_eq!(
        provider.userinfo(&token).0,
        200,
        "a token the provider takes"
    );
    // git's `store` after the success left the session alone.
    assert_eq!(scratch.tokens("forge")["access_token"], token.as_str());
}

fn an_expiring_token_is_refreshed_once_before_git_gets_it() {
    let provider = Provider::start();
    let server = git_server("Basic realm=\"repo\"");
    let scratch = forge_for(&provider, &server);
    let old = scratch.tokens("forge")["access_token"].clone();
    scratch.expire_in("forge", -60);

    let url = format!("{}/repo.git", server.url);
    git(&scratch, &keycard_only(&server), &["ls-remote", &url]).expect(0);
    git(&scratch, &keycard_only(&server), &["ls-remote", &url]).expect(0);
    let token = access_token(&scratch);
    assert_ne!(old, token.as_str(), "the token was refreshed");
    assert_eq!(provider.token_requests("refresh_token"), 1);
    assert_eq!(
        authorizations(&server),
        vec![basic("oauth2", &token), basic("oauth2", &token)]
    );
}

fn a_host_no_profile_lists_falls_through_to_the_next_helper() {
    let scratch = signed_in_for_git_example("prod");
    let server = git_server("Basic realm=\"repo\"");
    let gitconfig = "[credential]\n\thelper = !keycard git-credential\n\t\
                     helper = \"!f() { echo username=next; echo password=fallback; }; f\"\n";

    let url = format!("{}/repo.git", server.url);
    git(&scratch, gitconfig, &["ls-remote", &url]).expect(0);
    assert_eq!(authorizations(&server), vec![basic("next", "fallback")]);

    let run = get(&scratch, &host_of(&server));
    run.expect(0);
    assert_eq!(run.stdout, "", "no answer at all");
    assert_eq!(run.stderr, "");
}

fn a_listed_host_without_a_session_fails_naming_the_login_command() {
    let scratch = Scratch::new();
    let server = git_server("Basic realm=\"repo\"");
    scratch.add_profile("forge", "https://id.example.com", "cli");
    scratch
        .run(&["config", "set", "hosts", &host_of(&server)])
        .expect(0);

    let url = format!("{}/repo.git", server.url);
    let run = git(&scratch, &keycard_only(&server), &["ls-remote", &url]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("keycard login --profile forge"),
        "git shows keycard's reason: {}",
        run.stderr
    );
    assert!(authorizations(&server).is_empty());

    let run = get(&scratch, &host_of(&server));
    run.expect(3);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("keycard login --profile forge"));
}

fn only_the_profile_listing_a_host_ever_answers_for_it() {
    let scratch = Scratch::new();
    scratch.add_profile("prod", "https://id.example.com", "cli");
    scratch.set("prod", "hosts", "git.prod.test registry.prod.test:5000");
    scratch.add_profile("other", "https://id.example.com", "cli");
    signed_in(&scratch, "prod", 3600, true);
    signed_in(&scratch, "other", 3600, true);

    // prod is active and KEYCARD_PROFILE names it: still nothing for github.com.
    scratch.run(&["config", "use", "prod"]).expect(0);
    let github = "protocol=https\nhost=github.com\n\n";
    for env in [&[][..], &[("KEYCARD_PROFILE", "prod")][..]] {
        let run = helper(&scratch, &["git-credential", "get"], env, github);
        run.expect(0);
        assert_eq!(run.stdout, "");
    }

    // The listed host, in any case, with KEYCARD_PROFILE naming another profile.
    let run = helper(
        &scratch,
        &["git-credential", "get"],
        &[("KEYCARD_PROFILE", "other")],
        "protocol=https\nhost=GIT.Prod.TEST\n\n",
    );
    run.expect(0);
    assert!(
        run.stdout
            .starts_with("username=oauth2\npassword=at-secret\n")
    );
    // A port is part of the host: registry.prod.test alone is not listed.
    assert_eq!(get(&scratch, "registry.prod.test").stdout, "");
    assert!(
        get(&scratch, "registry.prod.test:5000")
            .stdout
            .contains("at-secret")
    );

    // --profile narrows the choice: another profile never answers for prod's host.
    let run = helper(
        &scratch,
        &["--profile", "other", "git-credential", "get"],
        &[],
        "protocol=https\nhost=git.prod.test\n\n",
    );
    run.expect(0);
    assert_eq!(run.stdout, "");
    let run = helper(
        &scratch,
        &["--profile", "prod", "git-credential", "get"],
        &[],
        "protocol=https\nhost=git.prod.test\n\n",
    );
    assert!(run.stdout.contains("password=at-secret"));
}

fn two_profiles_listing_one_host_is_an_error_naming_both() {
    let scratch = Scratch::new();
    for name in ["alpha", "beta"] {
        scratch.add_profile(name, "https://id.example.com", "cli");
        scratch.set(name, "hosts", "git.example.com");
        signed_in(&scratch, name, 3600, true);
    }
    let run = get(&scratch, "git.example.com");
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    run.stderr_has("'alpha'").stderr_has("'beta'");
}

fn store_and_erase_leave_the_session_alone() {
    let scratch = signed_in_for_git_example("prod");
    let before = std::fs::read(scratch.token_file("prod")).unwrap();
    let input = "protocol=https\nhost=git.example.com\nusername=oauth2\npassword=at-secret\n\n";
    for operation in ["store", "erase", "some-future-operation"] {
        let run = helper(&scratch, &["git-credential", operation], &[], input);
        run.expect(0);
        assert_eq!(run.stdout, "");
    }
    assert_eq!(std::fs::read(scratch.token_file("prod")).unwrap(), before);
}

fn plain_http_is_refused_except_to_loopback() {
    let scratch = Scratch::new();
    scratch.add_profile("prod", "https://id.example.com", "cli");
    scratch
        .run(&["config", "set", "hosts", "git.example.com 127.0.0.1:8080"])
        .expect(0);
    signed_in(&scratch, "prod", 3600, true);
    let ask = |host: &str| {
        helper(
            &scratch,
            &["git-credential", "get"],
            &[],
            &format!("protocol=http\nhost={host}\n"),
        )
    };
    let run = ask("git.example.com");
    run.expect(2);
    assert_eq!(run.stdout, "");
    run.stderr_has("https://");
    assert!(ask("127.0.0.1:8080").expect(0).stdout.contains("at-secret"));
}

fn the_user_name_comes_from_the_profile() {
    let scratch = Scratch::new();
    scratch.add_preset("gh", "github", "Iv1.x", &[]).expect(0);
    assert_eq!(
        scratch.run(&["config", "get", "username"]).expect(0).stdout,
        "x-access-token\n"
    );
    scratch
        .run(&["config", "set", "hosts", "github.com"])
        .expect(0);
    signed_in(&scratch, "gh", 3600, true);
    assert!(
        get(&scratch, "github.com")
            .stdout
            .starts_with("username=x-access-token\npassword=at-secret\n")
    );
    for bad in ["a:b", ""] {
        scratch.run(&["config", "set", "username", bad]).expect(2);
    }
}

/// git's version as (major, minor), from `git --version` ("git version 2.47.3").
fn git_version() -> (u32, u32) {
    let out = Command::new(require("git"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text
        .split_whitespace()
        .nth(2)
        .unwrap_or("0.0")
        .split('.')
        .map(|n| n.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

fn bearer_auth_goes_to_a_git_that_offers_it() {
    let scratch = signed_in_for_git_example("forge");
    scratch
        .run(&["config", "set", "git_auth", "bearer"])
        .expect(0);
    let run = helper(
        &scratch,
        &["git-credential", "get"],
        &[],
        "capability[]=authtype\nprotocol=https\nhost=git.example.com\n\n",
    );
    let lines: Vec<&str> = run.expect(0).stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "capability[]=authtype",
            "authtype=Bearer",
            "credential=at-secret",
            "ephemeral=1"
        ]
    );
    // A git without the authtype capability (before 2.46) gets Basic.
    let run = get(&scratch, "git.example.com");
    assert!(
        run.stdout
            .starts_with("username=oauth2\npassword=at-secret\n")
    );
}

fn a_real_git_sends_the_token_as_bearer() {
    if git_version() < (2, 46) {
        skip("needs git 2.46 or later (the authtype capability); this git is older");
    }
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "forge");
    login_as(&scratch, provider, "forge", "alice").expect(0);
    let server = git_server("Bearer realm=\"repo\"");
    scratch
        .run(&["config", "set", "hosts", &host_of(&server)])
        .expect(0);
    scratch
        .run(&["config", "set", "git_auth", "bearer"])
        .expect(0);

    let url = format!("{}/repo.git", server.url);
    git(&scratch, &keycard_only(&server), &["ls-remote", &url]).expect(0);
    let token = access_token(&scratch);
    assert_eq!(authorizations(&server), vec![format!("Bearer {token}")]);
}

fn a_token_with_a_line_break_is_never_passed_on() {
    let scratch = signed_in_for_git_example("prod");
    // A provider's token that would smuggle a second key into git's answer.
    scratch.edit_tokens("prod", |t| {
        t["access_token"] = serde_json::json!("at\nusername=evil")
    });
    let run = get(&scratch, "git.example.com");
    // The token file counts as damaged: signing in again is the fix.
    run.expect(3);
    assert_eq!(run.stdout, "");
    run.stderr_has("control");
}

crate::tests![
    git_sends_the_profiles_fresh_token_to_a_listed_host,
    an_expiring_token_is_refreshed_once_before_git_gets_it,
    a_host_no_profile_lists_falls_through_to_the_next_helper,
    a_listed_host_without_a_session_fails_naming_the_login_command,
    only_the_profile_listing_a_host_ever_answers_for_it,
    two_profiles_listing_one_host_is_an_error_naming_both,
    store_and_erase_leave_the_session_alone,
    plain_http_is_refused_except_to_loopback,
    the_user_name_comes_from_the_profile,
    bearer_auth_goes_to_a_git_that_offers_it,
    a_real_git_sends_the_token_as_bearer,
    a_token_with_a_line_break_is_never_passed_on
];
