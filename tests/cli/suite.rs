//! The test plumbing itself: what the runner and the fake server promise.

use crate::fake::{self, FakeServer};
use crate::harness;
use crate::support::*;

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .expect_err("it should have panicked");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// A handler that panics (a failed assertion about the request, say) fails the test,
/// even though it ran on the server's thread and keycard only saw a closed connection.
fn a_panicking_fake_handler_fails_its_test() {
    let server = FakeServer::start(|req, _| {
        assert_eq!(req.path, "/expected", "the handler's own assertion");
        fake::json(200, serde_json::json!({}))
    });
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    scratch.run(&["login"]).expect(4);
    let message = panic_message(|| drop(server));
    assert!(
        message.contains("fake server panicked") && message.contains("the handler's own assertion"),
        "{message}"
    );
}

/// A missing tool ends the test as skipped (reported as ignored, with the reason), and
/// under CI fails it.
fn a_missing_tool_is_a_skip_and_under_ci_a_failure() {
    let tool = "keycard-test-no-such-tool";
    assert!(harness::find(tool).is_none());
    assert!(harness::find("sh").is_some());
    let payload = std::panic::catch_unwind(|| harness::skip_or_fail("needs a tool", false))
        .expect_err("skips");
    assert!(harness::is_skip(&*payload), "a skip, not a failure");
    let message = panic_message(|| harness::skip_or_fail("needs a tool", true));
    assert!(
        message.contains("needs a tool") && message.contains("CI"),
        "{message}"
    );
}

crate::tests![
    a_panicking_fake_handler_fails_its_test,
    a_missing_tool_is_a_skip_and_under_ci_a_failure
];
