//! The Device Authorization Grant (RFC 8628): start, then poll until the user decides.
//!
//! The polling decision is a pure function of the last answer and the current interval
//! (`PollState::next`), and the loop takes its clock and sleep from a `Clock` and sends
//! its requests through a `send` function, so every rule below is unit-tested without
//! waiting or a server: with a fake clock, the exact times of the requests.

use super::refusal;
use super::{Answer, DeviceAuthorization, OAuthError, TokenResponse, read_answer};
use crate::config::{ClientAuth, Profile};
use crate::env::Clock;
use crate::exit::{self, Code};
use crate::http::{Http, Reply};
use anyhow::Result;
use std::collections::BTreeMap;
use std::time::Duration;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Bounds for whatever a server advertises: 0 would be a busy loop, 5000 (milliseconds
/// meant as seconds, seen in one vendor's docs) would never poll in time.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// RFC 8628 §3.5: `slow_down` adds 5 seconds, for this and all later requests.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Longest wait after repeated network failures.
pub const BACKOFF_CAP: Duration = Duration::from_secs(60);
/// Used when a server omits the required `expires_in`.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(600);
/// No user code lives longer than a day; a larger `expires_in` is a server bug.
pub const MAX_EXPIRY: Duration = Duration::from_secs(24 * 3600);

/// How long the user has to approve the code. Zero (or a negative number, read as zero)
/// is a server bug like a missing value: keycard polls and lets the server say
/// `expired_token`, rather than give up before the user had a chance.
pub fn code_lifetime(expires_in: Option<u64>) -> Duration {
    expires_in
        .filter(|&secs| secs > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_EXPIRY)
        .min(MAX_EXPIRY)
}

/// The OAuth client and how it authenticates. Every call to the provider's token,
/// device authorization and revocation endpoints goes through `post_form`, so the choice
/// between `client_secret_post` and `client_secret_basic` is made here only.
pub struct Client<'a> {
    pub id: &'a str,
    pub secret: Option<&'a str>,
    /// How the secret travels; without a secret, `client_id` is always in the form
    /// (RFC 8628 §3.1, public clients).
    pub auth: ClientAuth,
}

impl<'a> Client<'a> {
    /// A client with the default authentication (`client_secret_post`).
    #[allow(dead_code)] // for callers without a profile at hand
    pub fn new(id: &'a str, secret: Option<&'a str>) -> Client<'a> {
        Client {
            id,
            secret,
            auth: ClientAuth::default(),
        }
    }

    /// The profile's client: `client_id`, `client_secret` and `client_auth`.
    pub fn of(profile: &'a Profile, id: &'a str) -> Client<'a> {
        Client {
            id,
            secret: profile.client_secret.as_deref(),
            auth: profile.client_auth.unwrap_or_default(),
        }
    }

    /// POSTs `form` to `url` with this client's credentials added: `client_id` (and
    /// `client_secret` for `post`) in the form, or an HTTP Basic header for `basic`.
    pub fn post_form(&self, http: &Http, url: &str, form: &[(&str, &str)]) -> Result<Reply> {
        let mut form = form.to_vec();
        match (self.secret, self.auth) {
            (Some(secret), ClientAuth::Basic) => {
                return http.post_form(url, &form, Some((self.id, secret)));
            }
            (Some(secret), ClientAuth::Post) => {
                form.push(("client_id", self.id));
                form.push(("client_secret", secret));
            }
            (None, _) => form.push(("client_id", self.id)),
        }
        http.post_form(url, &form, None)
    }
}

/// RFC 8628 §3.1: asks for a device code and a user code. A refusal is explained for
/// `profile` (`refusal`): exit 1, naming the setting to change.
pub fn start(
    http: &Http,
    endpoint: &str,
    client: &Client,
    scopes: &[String],
    extra: &BTreeMap<String, String>,
    profile: &str,
) -> Result<DeviceAuthorization> {
    let scope = scopes.join(" ");
    let mut form = Vec::new();
    if !scope.is_empty() {
        form.push(("scope", scope.as_str()));
    }
    form.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let reply = client.post_form(http, endpoint, &form)?;
    match read_answer::<DeviceAuthorization>(&reply, "device authorization")? {
        Answer::Ok(auth) => Ok(auth),
        Answer::Error(e) => Err(refused(
            &e,
            endpoint,
            profile,
            "the provider refused to start the device flow",
        )),
        Answer::ServerTrouble(m) => Err(exit::network(format!("{m}; try again in a moment"))),
    }
}

/// The error for a refusal: explained when `refusal` knows it (exit 5 for the device
/// flow's own endings, 1 for a client, tenant or policy set up wrongly), else the
/// provider's own words (exit 1).
fn refused(said: &OAuthError, endpoint: &str, profile: &str, doing: &str) -> anyhow::Error {
    match refusal::explain(said, endpoint, profile) {
        Some(explained) => exit::fail(explained.code(), explained.sentence(said)),
        None => exit::fail(Code::Failure, refusal::generic(doing, said)),
    }
}

/// What one poll of the token endpoint produced.
#[derive(Debug)]
pub enum Outcome {
    Token(TokenResponse),
    Error(OAuthError),
    /// Network failure or 5xx: worth another try later.
    Trouble(String),
}

/// What to do next.
#[derive(Debug)]
pub enum Step {
    PollAfter(Duration),
    Done(Box<TokenResponse>),
    /// The provider ended the flow: the person declined, the code is gone, or the client
    /// is refused (`refusal` tells which).
    Ended(OAuthError),
}

#[derive(Debug, Clone)]
pub struct PollState {
    interval: Duration,
    failures: u32,
}

impl PollState {
    pub fn new(advertised: Option<u64>) -> PollState {
        let interval = advertised
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_INTERVAL);
        PollState {
            interval: interval.clamp(MIN_INTERVAL, MAX_INTERVAL),
            failures: 0,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    pub fn next(&mut self, outcome: Outcome) -> Step {
        if !matches!(outcome, Outcome::Trouble(_)) {
            self.failures = 0;
        }
        match outcome {
            Outcome::Token(t) => Step::Done(Box::new(t)),
            Outcome::Error(e) => match e.error.as_str() {
                "authorization_pending" => Step::PollAfter(self.interval),
                "slow_down" => {
                    let stepped = self.interval + SLOW_DOWN_STEP;
                    let asked = e.interval.map(Duration::from_secs).unwrap_or_default();
                    self.interval = stepped.max(asked).min(MAX_INTERVAL);
                    Step::PollAfter(self.interval)
                }
                _ => Step::Ended(e),
            },
            Outcome::Trouble(_) => {
                self.failures = self.failures.saturating_add(1);
                let factor = 2u32.saturating_pow(self.failures.min(16));
                Step::PollAfter(self.interval.saturating_mul(factor).min(BACKOFF_CAP))
            }
        }
    }
}

/// How long to wait before the next poll, or `None` to give up: RFC 8628 §3.5 sends no
/// request once the code has expired. A backoff that would overshoot the expiry is cut
/// short to one last try an interval before it, so a network blip late in the window
/// does not lose a sign-in the user is still completing.
pub fn wait_within(
    now: Duration,
    deadline: Duration,
    wanted: Duration,
    interval: Duration,
) -> Option<Duration> {
    // Checked: a sum past Duration's range is simply beyond any deadline.
    let before_deadline = |wait: Duration| now.checked_add(wait).is_some_and(|t| t < deadline);
    if before_deadline(wanted) {
        Some(wanted)
    } else if wanted > interval && before_deadline(interval) {
        Some(deadline - interval - now)
    } else {
        None
    }
}

/// Sends one token request's form and returns the answer: the poll loop's transport.
pub type SendForm<'a> = dyn FnMut(&[(&str, &str)]) -> Result<Reply> + 'a;

/// Polls until the user approves or denies, or the code expires. `send` posts one token
/// request's form (`Client::post_form` to the token endpoint, in `keycard login`); an
/// error it returns with exit code 4 (network, timeout) counts as trouble to back off
/// from, any other ends the sign-in. `on_wait` sees how long the code has left before
/// each wait (for a progress line). Refusals are explained for `profile`.
pub fn poll(
    send: &mut SendForm,
    auth: &DeviceAuthorization,
    clock: &dyn Clock,
    on_wait: &mut dyn FnMut(Duration),
    profile: &str,
) -> Result<TokenResponse> {
    let lifetime = code_lifetime(auth.expires_in);
    let deadline = clock.elapsed() + lifetime;
    let mut state = PollState::new(auth.interval);
    let mut wanted = state.interval();
    let mut last_trouble = None;
    let mut token_endpoint = String::new();
    loop {
        let now = clock.elapsed();
        let Some(wait) = wait_within(now, deadline, wanted, state.interval()) else {
            // Still failing to reach the provider when the code ran out: that is what the
            // user needs to hear about (exit 4), not the expiry it caused.
            return Err(match last_trouble {
                Some(trouble) => exit::network(format!(
                    "gave up when the code expired; the provider stayed unreachable: {trouble}"
                )),
                None => exit::fail(
                    Code::LoginIncomplete,
                    format!(
                        "the code expired before the sign-in was approved; run `{}` again",
                        crate::hint::for_profile("login", &profile, "")
                    ),
                ),
            });
        };
        on_wait(deadline - now);
        clock.sleep(wait);
        let form = [
            ("grant_type", GRANT_TYPE),
            ("device_code", auth.device_code.expose()),
        ];
        let outcome = match send(&form) {
            Ok(reply) => match read_answer::<TokenResponse>(&reply, "token response") {
                Ok(Answer::Ok(t)) => Outcome::Token(t.checked(&reply.url)?),
                Ok(Answer::Error(e)) => {
                    // Whose refusal it is shows in the endpoint's URL (`refusal::explain`).
                    token_endpoint = reply.url;
                    Outcome::Error(e)
                }
                Ok(Answer::ServerTrouble(m)) => Outcome::Trouble(m),
                Err(e) => return Err(e),
            },
            Err(e) if exit::code_of(&e) == Code::Network => Outcome::Trouble(format!("{e:#}")),
            Err(e) => return Err(e),
        };
        last_trouble = match &outcome {
            Outcome::Trouble(t) => Some(t.clone()),
            _ => None,
        };
        match state.next(outcome) {
            Step::PollAfter(d) => wanted = d,
            Step::Done(t) => return Ok(*t),
            Step::Ended(e) => {
                return Err(refused(
                    &e,
                    &token_endpoint,
                    profile,
                    "the provider ended the sign-in",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, interval: Option<u64>) -> Outcome {
        Outcome::Error(OAuthError {
            error: code.into(),
            description: None,
            interval,
        })
    }

    fn wait(step: Step) -> u64 {
        match step {
            Step::PollAfter(d) => d.as_secs(),
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[test]
    fn interval_defaults_to_five_and_is_clamped() {
        assert_eq!(PollState::new(None).interval(), Duration::from_secs(5));
        assert_eq!(PollState::new(Some(0)).interval(), MIN_INTERVAL);
        assert_eq!(PollState::new(Some(5000)).interval(), MAX_INTERVAL);
        assert_eq!(PollState::new(Some(3)).interval(), Duration::from_secs(3));
    }

    #[test]
    fn code_lifetime_has_a_default_and_a_ceiling() {
        assert_eq!(code_lifetime(None), DEFAULT_EXPIRY);
        assert_eq!(code_lifetime(Some(900)), Duration::from_secs(900));
        assert_eq!(code_lifetime(Some(u64::MAX)), MAX_EXPIRY);
        assert_eq!(
            code_lifetime(Some(0)),
            DEFAULT_EXPIRY,
            "zero is a server bug"
        );
    }

    #[test]
    fn pending_keeps_the_interval() {
        let mut s = PollState::new(Some(2));
        assert_eq!(wait(s.next(err("authorization_pending", None))), 2);
        assert_eq!(wait(s.next(err("authorization_pending", None))), 2);
    }

    #[test]
    fn slow_down_adds_five_seconds_for_good() {
        let mut s = PollState::new(Some(2));
        assert_eq!(wait(s.next(err("slow_down", None))), 7);
        assert_eq!(wait(s.next(err("authorization_pending", None))), 7);
        assert_eq!(wait(s.next(err("slow_down", None))), 12);
    }

    #[test]
    fn slow_down_with_a_larger_interval_takes_it() {
        let mut s = PollState::new(Some(5));
        assert_eq!(wait(s.next(err("slow_down", Some(15)))), 15);
        // ...but a smaller one never shortens the +5 rule.
        assert_eq!(wait(s.next(err("slow_down", Some(1)))), 20);
    }

    #[test]
    fn trouble_backs_off_exponentially_with_a_cap_then_recovers() {
        let mut s = PollState::new(Some(5));
        let trouble = || Outcome::Trouble("503".into());
        assert_eq!(wait(s.next(trouble())), 10);
        assert_eq!(wait(s.next(trouble())), 20);
        assert_eq!(wait(s.next(trouble())), 40);
        assert_eq!(wait(s.next(trouble())), 60);
        for _ in 0..40 {
            assert_eq!(wait(s.next(trouble())), 60);
        }
        assert_eq!(wait(s.next(err("authorization_pending", None))), 5);
    }

    #[test]
    fn no_poll_at_or_after_the_expiry() {
        let s = Duration::from_secs;
        assert_eq!(wait_within(s(0), s(10), s(5), s(5)), Some(s(5)));
        assert_eq!(
            wait_within(s(5), s(10), s(5), s(5)),
            None,
            "would land on the expiry"
        );
        assert_eq!(wait_within(s(8), s(10), s(5), s(5)), None);
    }

    #[test]
    fn a_long_backoff_is_cut_to_one_last_try_before_expiry() {
        let s = Duration::from_secs;
        // 60 s backoff with 50 s left: try once more 5 s before the end.
        assert_eq!(wait_within(s(550), s(600), s(60), s(5)), Some(s(45)));
        // Not even an interval left: give up.
        assert_eq!(wait_within(s(596), s(600), s(60), s(5)), None);
    }

    #[test]
    fn any_other_error_ends_the_flow() {
        for code in [
            "access_denied",
            "authorization_declined",
            "expired_token",
            "code_expired",
            "invalid_client",
            "something_new",
        ] {
            let mut s = PollState::new(None);
            assert!(
                matches!(s.next(err(code, None)), Step::Ended(e) if e.error == code),
                "{code}"
            );
        }
    }

    #[test]
    fn endings_exit_5_for_the_person_and_1_for_the_setup() {
        let exit_of = |error: &str, description: Option<&str>| {
            let said = OAuthError {
                error: error.into(),
                description: description.map(str::to_string),
                interval: None,
            };
            exit::code_of(&refused(
                &said,
                "https://login.microsoftonline.com/t/oauth2/v2.0/token",
                "p",
                "ended",
            ))
        };
        assert_eq!(
            exit_of("authorization_declined", None),
            Code::LoginIncomplete
        );
        assert_eq!(exit_of("access_denied", None), Code::LoginIncomplete);
        assert_eq!(exit_of("code_expired", None), Code::LoginIncomplete);
        assert_eq!(
            exit_of("bad_verification_code", None),
            Code::LoginIncomplete
        );
        assert_eq!(
            exit_of("access_denied", Some("AADSTS53003: blocked")),
            Code::Failure
        );
        assert_eq!(exit_of("no_idea", None), Code::Failure);
    }

    /// The poll loop end to end, on a clock that moves only when the loop sleeps and a
    /// scripted token endpoint: the exact second of every request.
    mod schedule {
        use super::super::*;
        use crate::secret::Secret;
        use chrono::{DateTime, Utc};
        use serde_json::json;
        use std::cell::Cell;

        /// Time that passes only when the loop sleeps.
        struct FakeClock(Cell<Duration>);

        impl Clock for FakeClock {
            fn now(&self) -> DateTime<Utc> {
                DateTime::from_timestamp(1_800_000_000, 0).unwrap() + self.0.get()
            }
            fn elapsed(&self) -> Duration {
                self.0.get()
            }
            fn sleep(&self, d: Duration) {
                self.0.set(self.0.get() + d);
            }
        }

        /// What the token endpoint does with one poll.
        #[derive(Clone)]
        enum Poll {
            Json(u16, serde_json::Value),
            Form(u16, &'static str),
            Html(u16),
            /// The request failed on the way (refused, dropped, timed out): exit 4.
            Unreachable,
            /// The request failed for another reason (a TLS setting, say): exit 1.
            Broken,
        }

        fn pending() -> Poll {
            Poll::Json(400, json!({"error": "authorization_pending"}))
        }

        fn slow_down() -> Poll {
            Poll::Json(400, json!({"error": "slow_down"}))
        }

        fn token() -> Poll {
            Poll::Json(
                200,
                json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}),
            )
        }

        fn reply(status: u16, content_type: &str, body: String) -> Reply {
            Reply {
                url: "http://127.0.0.1/token".into(),
                status,
                content_type: content_type.into(),
                body: body.into_bytes(),
                sent: Vec::new(),
            }
        }

        struct Run {
            result: Result<TokenResponse>,
            /// The second (since the device authorization) of each request.
            at: Vec<u64>,
            /// What `on_wait` was told the code had left, before each wait.
            left: Vec<u64>,
        }

        impl Run {
            fn code(&self) -> Code {
                exit::code_of(self.result.as_ref().expect_err("the sign-in should fail"))
            }

            fn message(&self) -> String {
                format!(
                    "{:#}",
                    self.result.as_ref().expect_err("the sign-in should fail")
                )
            }
        }

        /// Polls a device authorization with `interval` and `expires_in`; the endpoint
        /// answers the n-th poll with `script[n]`, and the last entry for ever after.
        fn run(interval: Option<u64>, expires_in: Option<u64>, script: &[Poll]) -> Run {
            let auth = DeviceAuthorization {
                device_code: Secret::new("dc-1"),
                user_code: "ABCD-EFGH".into(),
                verification_uri: "https://example.test/device".into(),
                verification_uri_complete: None,
                expires_in,
                interval,
                message: None,
            };
            let clock = FakeClock(Cell::new(Duration::ZERO));
            let mut at = Vec::new();
            let mut left = Vec::new();
            let mut send = |form: &[(&str, &str)]| -> Result<Reply> {
                assert_eq!(form, [("grant_type", GRANT_TYPE), ("device_code", "dc-1")]);
                let elapsed = clock.elapsed();
                assert_eq!(elapsed.subsec_nanos(), 0, "whole seconds only: {elapsed:?}");
                at.push(elapsed.as_secs());
                let n = (at.len() - 1).min(script.len() - 1);
                match script[n].clone() {
                    Poll::Json(status, body) => {
                        Ok(reply(status, "application/json", body.to_string()))
                    }
                    Poll::Form(status, body) => Ok(reply(
                        status,
                        "application/x-www-form-urlencoded",
                        body.into(),
                    )),
                    Poll::Html(status) => Ok(reply(
                        status,
                        "text/html",
                        "<html><body>Bad gateway</body></html>".into(),
                    )),
                    Poll::Unreachable => Err(exit::network("connection refused")),
                    Poll::Broken => Err(exit::fail(Code::Failure, "bad ca_file")),
                }
            };
            let result = poll(
                &mut send,
                &auth,
                &clock,
                &mut |l| left.push(l.as_secs()),
                "p",
            );
            Run { result, at, left }
        }

        #[test]
        fn the_advertised_interval_is_kept_between_polls_and_before_the_first() {
            let run = run(Some(2), Some(60), &[pending(), pending(), token()]);
            assert_eq!(run.at, [2, 4, 6]);
            assert_eq!(run.result.unwrap().access_token.expose(), "at-1");
            assert_eq!(run.left, [60, 58, 56], "what the progress line shows");
        }

        #[test]
        fn a_missing_interval_means_five_seconds() {
            // sigstore/sigstore#2381: no `interval` must not mean a busy loop.
            assert_eq!(run(None, Some(60), &[pending(), token()]).at, [5, 10]);
        }

        #[test]
        fn an_interval_of_zero_is_a_second() {
            assert_eq!(
                run(Some(0), Some(60), &[pending(), pending(), token()]).at,
                [1, 2, 3]
            );
        }

        #[test]
        fn slow_down_adds_five_seconds_for_this_and_every_later_poll() {
            let run = run(
                Some(1),
                Some(60),
                &[slow_down(), pending(), slow_down(), token()],
            );
            assert_eq!(run.at, [1, 7, 13, 24]);
        }

        /// GitHub sends `slow_down` with HTTP 200 and its new interval; the larger of that
        /// and old + 5 s wins, and it stays (cli/cli#9370).
        #[test]
        fn slow_down_with_a_larger_interval_takes_it_for_good() {
            let script = [
                Poll::Form(
                    200,
                    "error=slow_down&error_description=Too+many+requests&interval=7",
                ),
                Poll::Form(200, "error=authorization_pending"),
                token(),
            ];
            assert_eq!(run(Some(1), Some(60), &script).at, [1, 8, 15]);
        }

        #[test]
        fn server_errors_back_off_exponentially_then_the_interval_returns() {
            let script = [
                Poll::Html(502),
                Poll::Json(503, json!({})),
                pending(),
                token(),
            ];
            let run = run(Some(1), Some(60), &script);
            // Waits 1 s, then 2 s and 4 s after each failure, then 1 s again.
            assert_eq!(run.at, [1, 3, 7, 8]);
            assert!(run.result.is_ok());
        }

        #[test]
        fn network_failures_back_off_like_server_errors_up_to_a_minute() {
            let mut script = vec![Poll::Unreachable; 8];
            script.push(token());
            let run = run(Some(5), Some(900), &script);
            let gaps: Vec<u64> = run.at.windows(2).map(|w| w[1] - w[0]).collect();
            assert_eq!(gaps, [10, 20, 40, 60, 60, 60, 60, 60]);
            assert!(run.result.is_ok());
        }

        #[test]
        fn an_unreachable_provider_until_the_code_expires_is_exit_4_and_no_late_request() {
            let run = run(Some(1), Some(5), &[Poll::Json(503, json!({}))]);
            // At 1 and 3 (backoff 2 s); the 4 s backoff would pass the expiry at 5, so one
            // last try an interval before it, at 4; then nothing.
            assert_eq!(run.at, [1, 3, 4]);
            assert_eq!(run.code(), Code::Network);
            assert!(run.message().contains("unreachable"), "{}", run.message());
        }

        #[test]
        fn no_request_at_or_after_expires_in() {
            let run = run(Some(1), Some(3), &[pending()]);
            assert_eq!(run.at, [1, 2]);
            assert_eq!(run.code(), Code::LoginIncomplete);
            assert!(run.message().contains("expired"), "{}", run.message());
        }

        #[test]
        fn denied_and_expired_codes_end_with_exit_5_and_the_providers_words() {
            let denied = run(
                Some(1),
                Some(60),
                &[Poll::Json(
                    400,
                    json!({"error": "access_denied", "error_description": "The user said no"}),
                )],
            );
            assert_eq!((denied.at.len(), denied.code()), (1, Code::LoginIncomplete));
            assert!(
                denied.message().contains("The user said no"),
                "{}",
                denied.message()
            );
            let expired = run(
                Some(1),
                Some(60),
                &[
                    pending(),
                    Poll::Json(400, json!({"error": "expired_token"})),
                ],
            );
            assert_eq!(
                (expired.at.clone(), expired.code()),
                (vec![1, 2], Code::LoginIncomplete)
            );
        }

        #[test]
        fn any_other_error_ends_the_sign_in_at_once() {
            let refused = run(
                Some(1),
                Some(60),
                &[Poll::Form(
                    200,
                    "error=incorrect_client_credentials&error_description=The+client_id+is+wrong",
                )],
            );
            assert_eq!((refused.at.len(), refused.code()), (1, Code::Failure));
            assert!(
                refused.message().contains("incorrect_client_credentials"),
                "{}",
                refused.message()
            );
            let broken = run(Some(1), Some(60), &[Poll::Broken]);
            assert_eq!((broken.at.len(), broken.code()), (1, Code::Failure));
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// An OAuth error code with an interval, or `None` for trouble (Outcome is not Clone).
        fn outcome() -> impl Strategy<Value = Option<(&'static str, Option<u64>)>> {
            let codes = proptest::sample::select(
                &[
                    "authorization_pending",
                    "slow_down",
                    "access_denied",
                    "expired_token",
                    "invalid_grant",
                    "",
                ][..],
            );
            let interval = prop_oneof![
                Just(None),
                Just(Some(0u64)),
                Just(Some(u64::MAX)),
                any::<u64>().prop_map(Some)
            ];
            prop_oneof![3 => (codes, interval).prop_map(Some), 1 => Just(None)]
        }

        fn to_outcome(o: Option<(&str, Option<u64>)>) -> Outcome {
            match o {
                Some((code, interval)) => super::err(code, interval),
                None => Outcome::Trouble("503".into()),
            }
        }

        proptest! {
            #![proptest_config(crate::property::config())]

            #[test]
            fn every_wait_is_within_one_to_sixty_seconds(
                advertised in prop_oneof![Just(None), any::<u64>().prop_map(Some)],
                outcomes in proptest::collection::vec(outcome(), 0..40),
            ) {
                let mut state = PollState::new(advertised);
                for outcome in outcomes {
                    if let Step::PollAfter(d) = state.next(to_outcome(outcome)) {
                        prop_assert!((MIN_INTERVAL..=MAX_INTERVAL.max(BACKOFF_CAP)).contains(&d), "{d:?}");
                    }
                    prop_assert!((MIN_INTERVAL..=MAX_INTERVAL).contains(&state.interval()));
                }
            }

            #[test]
            fn the_next_wait_never_reaches_the_deadline(
                now in any::<u64>(), left in any::<u64>(), wanted in any::<u64>(),
                // The loop's interval is never below MIN_INTERVAL (`PollState` clamps it);
                // with 0, "an interval before the expiry" would be the expiry itself.
                interval in MIN_INTERVAL.as_secs()..,
            ) {
                let s = Duration::from_secs;
                let (now, deadline) = (s(now), s(now).saturating_add(s(left)));
                if let Some(wait) = wait_within(now, deadline, s(wanted), s(interval)) {
                    prop_assert!(wait <= s(wanted));
                    prop_assert!(now.checked_add(wait).is_some_and(|t| t < deadline));
                }
            }

            #[test]
            fn code_lifetimes_are_never_zero_or_beyond_a_day(
                expires_in in prop_oneof![Just(None), Just(Some(0)), any::<u64>().prop_map(Some)],
            ) {
                let lifetime = code_lifetime(expires_in);
                prop_assert!(!lifetime.is_zero() && lifetime <= MAX_EXPIRY);
            }
        }
    }
}
