//! Issue 14 §3: what keycard accepts from a provider. Token types it does not
//! understand and tokens that could inject a header line are refused, never stored,
//! never printed.

use crate::fake::{self, FakeServer};
use crate::hostile_files::{fake_provider, one_line_error, session_at};
use crate::support::*;
use serde_json::{Value, json};

fn tokens_with(change: impl Fn(&mut Value)) -> fake::Response {
    let mut body = json!({
        "access_token": "at-new",
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "rt-new",
    });
    change(&mut body);
    fake::json(200, body)
}

fn server_answering(change: impl Fn(&mut Value) + Send + Sync + 'static) -> FakeServer {
    fake_provider(move |_, _| tokens_with(&change))
}

fn a_token_type_other_than_bearer_is_refused_at_login_and_refresh() {
    for kind in ["DPoP", "MAC", "N_A", "bearer\u{1b}[2J"] {
        // Sign-in: nothing saved.
        let server = server_answering(move |t| t["token_type"] = json!(kind));
        let scratch = Scratch::new();
        scratch.add_endpoint_profile("p", &server.url);
        let run = scratch.run(&["login", "--no-browser"]);
        run.expect(1);
        run.stderr_has("which keycard cannot use");
        assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
        assert!(
            !scratch.token_file("p").exists(),
            "{kind}: tokens were saved"
        );

        // Refresh: the old file stays, nothing is printed.
        let scratch = session_at(&server, -60);
        let before = std::fs::read_to_string(scratch.token_file("p")).unwrap();
        let run = scratch.run(&["token"]);
        run.expect(1);
        one_line_error(&run, "which keycard cannot use");
        assert_eq!(run.stdout, "");
        assert_eq!(
            std::fs::read_to_string(scratch.token_file("p")).unwrap(),
            before,
            "{kind}"
        );
    }
}

fn bearer_in_any_case_or_no_token_type_is_accepted() {
    for kind in [json!("bearer"), json!("BEARER"), Value::Null] {
        let server = server_answering(move |t| t["token_type"] = kind.clone());
        let scratch = session_at(&server, -60);
        let run = scratch.run(&["token"]);
        run.expect(0);
        assert_eq!(run.stdout, "at-new\n");
    }
}

fn a_token_that_could_inject_a_header_line_is_never_stored_or_printed() {
    for (member, bad) in [
        ("access_token", "at-new\r\nX-Injected: 1"),
        ("access_token", "at new"),
        ("access_token", "at-\u{e9}"),
        ("access_token", ""),
        ("refresh_token", "rt\nnext"),
        ("id_token", "a.b.c\u{0}"),
    ] {
        let server = server_answering(move |t| t[member] = json!(bad));
        let scratch = session_at(&server, -60);
        let before = std::fs::read_to_string(scratch.token_file("p")).unwrap();
        let run = scratch.run(&["token"]);
        run.expect(4);
        one_line_error(&run, "keycard neither stores nor prints it");
        assert_eq!(run.stdout, "", "{member}");
        assert_eq!(
            std::fs::read_to_string(scratch.token_file("p")).unwrap(),
            before,
            "{member}"
        );

        let scratch = Scratch::new();
        scratch.add_endpoint_profile("p", &server.url);
        let run = scratch.run(&["login", "--no-browser", "--json"]);
        run.expect(4);
        assert!(!run.stdout.contains("X-Injected") && !run.stderr.contains("X-Injected"));
        assert!(!scratch.token_file("p").exists(), "{member}: saved");
    }
}

fn a_hand_edited_token_with_a_line_break_is_not_printed() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    signed_in(&scratch, "p", 3600, true);
    scratch.edit_tokens("p", |t| t["access_token"] = json!("at\nX-Injected: 1"));
    for args in [&["token"][..], &["exec", "--", "true"]] {
        let run = scratch.run(args);
        run.expect(3);
        one_line_error(&run, "is damaged");
        assert_eq!(run.stdout, "");
    }
}

crate::tests![
    a_token_type_other_than_bearer_is_refused_at_login_and_refresh,
    bearer_in_any_case_or_no_token_type_is_accepted,
    a_token_that_could_inject_a_header_line_is_never_stored_or_printed,
    a_hand_edited_token_with_a_line_break_is_not_printed,
];
