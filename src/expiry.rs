//! How long an access token is trusted, whatever the provider and the clock say.
//!
//! The rules, for absurd input (README "Files"):
//! - A provider's `expires_in` above a year (u64::MAX, 1e30, ...) is taken as a year, with a
//!   warning when the tokens arrive; the capped expiry is what gets saved, so the warning
//!   comes once per sign-in or refresh, never on every `token` call.
//! - An `expires_in` of zero (negative ones arrive as zero) is no lifetime at all: treated
//!   as absent (a refresh keeps the previous lifetime), with a warning, rather than
//!   refreshing on every call.
//! - A token file is trusted for at most a year after its `issued_at`, whatever its
//!   `expires_at` says (a hand-edited year 9999).
//! - A token "issued" in the future (the clock was set back since sign-in) has an unknown
//!   time left: it counts as expired now, so `token` refreshes it once and the refreshed
//!   file is dated by the clock as it now is.
//!
//! Everything is `checked_*` or clamped: no input overflows chrono.

use chrono::{DateTime, TimeDelta, Utc};

/// An access token counts as expired this long before its `expires_at`.
pub const EXPIRY_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// No access token is trusted for longer than this after it was issued.
pub const MAX_LIFETIME: TimeDelta = TimeDelta::days(365);

/// How far `issued_at` may be ahead of the clock before it counts as the clock having
/// gone back (NTP steps are seconds; this is a jump).
pub const CLOCK_SLACK: TimeDelta = TimeDelta::minutes(1);

/// The lifetime to record for a provider's `expires_in`, and a warning when it was absurd.
pub fn lifetime_of(expires_in: Option<u64>) -> (Option<TimeDelta>, Option<String>) {
    match expires_in {
        None => (None, None),
        Some(0) => (
            None,
            Some(
                "the provider gave the access token a lifetime of 0 seconds (or less); \
                 keycard ignores it"
                    .into(),
            ),
        ),
        Some(s) if s > MAX_LIFETIME.num_seconds() as u64 => (
            Some(MAX_LIFETIME),
            Some(format!(
                "the provider says the access token lives {s} seconds; keycard trusts it \
                 for {} days",
                MAX_LIFETIME.num_days()
            )),
        ),
        // In range: at most a year of seconds fits an i64 with room to spare.
        Some(s) => (Some(TimeDelta::seconds(s as i64)), None),
    }
}

/// A lifetime carried over from an earlier token (a refresh without `expires_in`), or
/// `None` when the earlier one was not a lifetime (issued after it expired).
pub fn carried_over(lifetime: TimeDelta) -> Option<TimeDelta> {
    (lifetime > TimeDelta::zero()).then(|| lifetime.min(MAX_LIFETIME))
}

/// The clock was set back since the token was issued.
pub fn clock_went_back(issued_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    issued_at.signed_duration_since(now) > CLOCK_SLACK
}

/// When the access token stops being usable, as far as keycard trusts the file: its
/// `expires_at`, but no later than a year after `issued_at`, and now if it was issued in
/// the future. `None` for a token without expiry.
pub fn trusted_expiry(
    issued_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let exp = expires_at?;
    if clock_went_back(issued_at, now) {
        return Some(now.min(exp));
    }
    let latest = issued_at
        .checked_add_signed(MAX_LIFETIME)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    Some(exp.min(latest))
}

/// The margin for a token: five minutes, or half its lifetime when it lives ten minutes
/// or less, so that Keycloak's five-minute tokens are used for a while instead of being
/// refreshed on every call. Zero for a lifetime that is not one.
pub fn margin(issued_at: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> TimeDelta {
    match expires_at {
        Some(exp) => {
            let lifetime = exp.signed_duration_since(issued_at);
            EXPIRY_MARGIN.min(lifetime / 2).max(TimeDelta::zero())
        }
        None => TimeDelta::zero(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn absurd_expires_in_is_capped_at_a_year_with_a_warning() {
        for s in [
            MAX_LIFETIME.num_seconds() as u64 + 1,
            u64::MAX,
            i64::MAX as u64,
        ] {
            let (lifetime, warning) = lifetime_of(Some(s));
            assert_eq!(lifetime, Some(MAX_LIFETIME), "{s}");
            assert!(warning.unwrap().contains("365 days"), "{s}");
        }
        assert_eq!(
            lifetime_of(Some(3600)),
            (Some(TimeDelta::hours(1)), None),
            "an ordinary lifetime is kept and not warned about"
        );
        assert_eq!(lifetime_of(Some(MAX_LIFETIME.num_seconds() as u64)).1, None);
    }

    #[test]
    fn zero_expires_in_counts_as_none_with_a_warning() {
        let (lifetime, warning) = lifetime_of(Some(0));
        assert_eq!(lifetime, None);
        assert!(warning.is_some());
        assert_eq!(lifetime_of(None), (None, None));
    }

    #[test]
    fn a_far_future_expiry_is_trusted_for_a_year_after_issue() {
        let year_9999 = DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            trusted_expiry(at(0), Some(year_9999), at(10)),
            Some(at(0) + MAX_LIFETIME)
        );
        assert_eq!(
            trusted_expiry(at(0), Some(DateTime::<Utc>::MAX_UTC), at(0)),
            Some(at(0) + MAX_LIFETIME)
        );
        // Issued at the very end of chrono's range: adding a year would overflow.
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(trusted_expiry(end, Some(end), end), Some(end));
    }

    #[test]
    fn a_token_issued_in_the_future_counts_as_expired_now() {
        let now = at(0);
        let issued = at(86_400);
        assert!(clock_went_back(issued, now));
        assert_eq!(
            trusted_expiry(issued, Some(at(86_400 + 3600)), now),
            Some(now)
        );
        // A few seconds of skew is not a jump.
        assert!(!clock_went_back(at(30), now));
        assert_eq!(trusted_expiry(at(30), Some(at(3600)), now), Some(at(3600)));
    }

    #[test]
    fn far_past_and_inverted_times_do_not_overflow() {
        let min = DateTime::<Utc>::MIN_UTC;
        let max = DateTime::<Utc>::MAX_UTC;
        assert_eq!(margin(max, Some(min)), TimeDelta::zero());
        assert_eq!(margin(min, Some(max)), EXPIRY_MARGIN);
        assert_eq!(trusted_expiry(min, Some(min), max), Some(min));
        assert_eq!(trusted_expiry(max, Some(min), min), Some(min));
        // An expiry before the issue time is no lifetime to carry over.
        assert_eq!(carried_over(TimeDelta::hours(-1)), None);
        assert_eq!(carried_over(TimeDelta::zero()), None);
        assert_eq!(carried_over(TimeDelta::days(10_000)), Some(MAX_LIFETIME));
        assert_eq!(
            carried_over(TimeDelta::minutes(10)),
            Some(TimeDelta::minutes(10))
        );
    }

    #[test]
    fn short_lifetimes_use_half_as_margin() {
        assert_eq!(margin(at(0), Some(at(300))), TimeDelta::seconds(150));
        assert_eq!(margin(at(0), Some(at(3600))), EXPIRY_MARGIN);
        assert_eq!(margin(at(0), None), TimeDelta::zero());
    }
}
