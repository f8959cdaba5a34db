//! The token file, auth-<profile>.json: what a sign-in produced, and what it is worth now.

use crate::exit::{self, Code};
use crate::expiry;
use crate::fsio;
use crate::hint;
use crate::identity::{self, Identity};
use crate::oauth::TokenResponse;
use crate::secret::Secret;
use crate::trust::{self, Rule};
use anyhow::{Context, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

/// No token file is this big; a bigger one is not read into memory.
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenState {
    pub version: u32,
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    pub token_type: String,
    #[serde(default)]
    pub scope: Option<String>,
    /// `None` when the provider gave no lifetime (GitHub with expiry turned off).
    pub expires_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    #[serde(default)]
    pub issuer: Option<String>,
    pub client_id: String,
    #[serde(default)]
    pub identity: Identity,
    /// When the refresh token, and with it the session, ends: as the provider said
    /// (`refresh_expires_in`, `refresh_token_expires_in`, or a JWT refresh token's `exp`).
    /// `None` when it did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expires_at: Option<DateTime<Utc>>,
    /// When the person last authenticated at the provider (the ID token's `auth_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<DateTime<Utc>>,
    /// When the provider refused this session: a refresh answered `invalid_grant` (after
    /// it forgot its grants, a revocation, an idle timeout). The session then counts as
    /// `expired`, and `login` signs in again without `--force`; a new sign-in writes a
    /// file without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_at: Option<DateTime<Utc>>,
    /// What the provider said when it refused the session, for `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_reason: Option<String>,
}

/// What a session is good for right now (SPEC "status").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Valid,
    Refreshable,
    Expired,
    None,
}

impl SessionState {
    pub fn is_usable(self) -> bool {
        matches!(self, SessionState::Valid | SessionState::Refreshable)
    }
}

impl TokenState {
    /// The tokens of a token endpoint answer received at `now`. A warning comes back
    /// when the provider's lifetime was absurd (see `expiry`).
    pub fn from_response(
        resp: TokenResponse,
        now: DateTime<Utc>,
        issuer: Option<String>,
        client_id: String,
    ) -> (TokenState, Option<String>) {
        let (lifetime, warning) = expiry::lifetime_of(resp.expires_in);
        let identity = resp
            .id_token
            .as_ref()
            .map(|t| identity::from_id_token(t.expose()))
            .unwrap_or_default();
        let session_expires_at = session_end(&resp, now);
        let auth_time = resp
            .id_token
            .as_ref()
            .and_then(|t| identity::claims(t.expose()))
            .and_then(|claims| claims.get("auth_time").and_then(serde_json::Value::as_i64))
            .and_then(|secs| DateTime::from_timestamp(secs, 0));
        let tokens = TokenState {
            version: FORMAT_VERSION,
            access_token: resp.access_token,
            refresh_token: resp.refresh_token,
            id_token: resp.id_token,
            token_type: resp.token_type.unwrap_or_else(|| "Bearer".to_string()),
            scope: resp.scope,
            expires_at: lifetime.and_then(|l| now.checked_add_signed(l)),
            issued_at: now,
            issuer,
            client_id,
            identity,
            session_expires_at,
            auth_time,
            refused_at: None,
            refused_reason: None,
        };
        (tokens, warning)
    }

    /// The session ended: the refresh token is past the end the provider gave it.
    pub fn session_over(&self, now: DateTime<Utc>) -> bool {
        self.refresh_token.is_some() && self.session_expires_at.is_some_and(|end| end <= now)
    }

    /// Time until the session ends, when the provider said when.
    pub fn session_left(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.refresh_token.as_ref()?;
        self.session_expires_at
            .map(|end| end.signed_duration_since(now))
    }

    /// The margin for this token (`expiry::margin`).
    pub fn margin(&self) -> TimeDelta {
        expiry::margin(self.issued_at, self.expires_at)
    }

    /// When the access token stops being usable, as far as keycard trusts the file
    /// (`expiry::trusted_expiry`); `None` if it does not expire.
    pub fn trusted_expiry(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        expiry::trusted_expiry(self.issued_at, self.expires_at, now)
    }

    /// Time until the trusted expiry, ignoring the margin; `None` if unlimited.
    pub fn time_left(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.trusted_expiry(now)
            .map(|exp| exp.signed_duration_since(now))
    }

    /// Time the access token can still be used (after the margin), `None` if unlimited.
    pub fn usable_for(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.time_left(now).map(|left| left - self.margin())
    }

    /// The file says the token was issued after `now`: the clock was set back.
    pub fn clock_went_back(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some() && expiry::clock_went_back(self.issued_at, now)
    }

    pub fn state(&self, now: DateTime<Utc>) -> SessionState {
        if self.refused_at.is_some() {
            return SessionState::Expired;
        }
        match self.usable_for(now) {
            None => SessionState::Valid,
            Some(left) if left > TimeDelta::zero() => SessionState::Valid,
            // Known dead without asking the provider: no request to find out.
            Some(_) if self.session_over(now) => SessionState::Expired,
            Some(_) if self.refresh_token.is_some() => SessionState::Refreshable,
            Some(_) => SessionState::Expired,
        }
    }
}

/// A session longer than this is as good as endless: nothing to warn about or show.
const MAX_SESSION: TimeDelta = TimeDelta::days(3650);

/// When the refresh token in `resp` ends, from the first of: GitHub's
/// `refresh_token_expires_in`, Keycloak's `refresh_expires_in` (0: no limit), a JWT
/// refresh token's `exp`. `None` without a refresh token or a word on its end.
fn session_end(resp: &TokenResponse, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let refresh_token = resp.refresh_token.as_ref()?;
    let seconds = resp.refresh_token_expires_in.or(resp.refresh_expires_in);
    let end = match seconds {
        Some(0) => return None,
        Some(secs) => TimeDelta::try_seconds(i64::try_from(secs).ok()?)
            .and_then(|d| now.checked_add_signed(d))?,
        None => identity::claims(refresh_token.expose())?
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .and_then(|exp| DateTime::from_timestamp(exp, 0))?,
    };
    (end.signed_duration_since(now) < MAX_SESSION).then_some(end)
}

/// A token file as read from disk.
pub struct Stored {
    pub tokens: TokenState,
    /// Group or others can read it: worth a warning.
    pub loose_mode: bool,
}

/// What is at a profile's token path.
pub enum Found {
    Nothing,
    Tokens(Box<Stored>),
    /// A regular file keycard cannot use: empty, cut short, not JSON, not a token file,
    /// too big. Signing in again is the fix, so `login` may replace it (nothing else may).
    Damaged(anyhow::Error),
}

/// Reads the token file; `None` when there is none, an error when it cannot be used.
pub fn load(path: &Path, profile: &str) -> Result<Option<Stored>> {
    match inspect(path, profile)? {
        Found::Nothing => Ok(None),
        Found::Tokens(stored) => Ok(Some(*stored)),
        Found::Damaged(e) => Err(e),
    }
}

/// Reads the token file, telling a damaged one apart from one that must not be touched
/// at all (a link, a directory, a device: those are errors).
pub fn inspect(path: &Path, profile: &str) -> Result<Found> {
    let mut file = match fsio::open_nonblocking(path, false) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) if is_symlink_error(&e, path) => return Err(not_a_file(path, "a symbolic link")),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        return Err(not_a_file(path, fsio::kind_of(&meta)));
    }
    trust::check(path, &meta, Rule::Owned)?;
    let damaged = |why: String| {
        Ok(Found::Damaged(exit::fail(
            Code::NotSignedIn,
            format!(
                "{} is damaged ({why}); run `{}` to replace it",
                path.display(),
                hint::for_profile("login", &profile, "")
            ),
        )))
    };
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_FILE_BYTES) as usize);
    file.by_ref()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return damaged("larger than 1 MiB, far more than any token file".into());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return damaged("empty".into());
    }
    if std::str::from_utf8(&bytes).is_err() {
        return damaged("not text: it is not UTF-8".into());
    }
    let tokens: TokenState = match serde_json::from_slice(&bytes) {
        Ok(tokens) => tokens,
        Err(e) => return damaged(json_problem(&e)),
    };
    // A hand-edited (or older keycard's) file: a token with a line break or a space
    // would let `$(keycard token)` carry a second header line.
    let tokens_ok = [Some(&tokens.access_token), tokens.refresh_token.as_ref()]
        .into_iter()
        .flatten()
        .chain(tokens.id_token.as_ref())
        .all(|t| crate::oauth::token_chars(t.expose()));
    if !tokens_ok {
        return damaged("a token in it has spaces, control or non-ASCII characters".into());
    }
    if tokens.version > FORMAT_VERSION {
        return Err(exit::fail(
            Code::Failure,
            format!(
                "{} was written by a newer keycard (format {}); upgrade keycard",
                path.display(),
                tokens.version
            ),
        ));
    }
    Ok(Found::Tokens(Box::new(Stored {
        tokens,
        loose_mode: loose_mode(&meta),
    })))
}

/// What is wrong with the JSON, without quoting the file: a token in the wrong place
/// would otherwise end up in the message (serde quotes the values it did not expect).
fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    match e.classify() {
        Category::Eof => format!("cut short at {at}"),
        Category::Syntax | Category::Io => format!("not valid JSON at {at}"),
        Category::Data => {
            let message = e.to_string();
            match message.split(" at line ").next() {
                Some(m) if m.starts_with("missing field") => {
                    format!("not a keycard token file: {m}")
                }
                _ => format!("not a keycard token file: unexpected value at {at}"),
            }
        }
    }
}

fn not_a_file(path: &Path, what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is {what}, not a token file; keycard neither follows nor replaces it: \
         move it aside, then sign in again",
        path.display()
    )
}

/// O_NOFOLLOW refuses a link with ELOOP; make sure that is what happened.
fn is_symlink_error(e: &std::io::Error, path: &Path) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() != Some(libc::ELOOP) {
        return false;
    }
    let _ = e;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

#[cfg(unix)]
fn loose_mode(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 != 0
}

#[cfg(not(unix))]
fn loose_mode(_: &std::fs::Metadata) -> bool {
    false
}

/// Saves the tokens atomically. A symbolic link at the path is refused rather than
/// replaced (rename never writes through a link, so there is nothing to race); a
/// directory there makes the rename itself fail.
pub fn save(path: &Path, tokens: &TokenState) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(not_a_file(path, "a symbolic link"));
    }
    let mut json = serde_json::to_vec_pretty(tokens).context("cannot encode the token file")?;
    json.push(b'\n');
    fsio::write_private(path, &json).with_context(|| format!("cannot save {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expiry::{EXPIRY_MARGIN, MAX_LIFETIME};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn tokens(expires_in: Option<u64>, refresh: bool) -> TokenState {
        TokenState::from_response(response(expires_in, refresh), at(0), None, "cli".into()).0
    }

    fn response(expires_in: Option<u64>, refresh: bool) -> TokenResponse {
        TokenResponse {
            access_token: Secret::new("at"),
            token_type: Some("Bearer".into()),
            expires_in,
            refresh_token: refresh.then(|| Secret::new("rt")),
            id_token: None,
            scope: None,
            refresh_expires_in: None,
            refresh_token_expires_in: None,
        }
    }

    #[test]
    fn valid_until_five_minutes_before_expiry() {
        let t = tokens(Some(3600), true);
        assert_eq!(t.state(at(3600 - 301)), SessionState::Valid);
        assert_eq!(t.state(at(3600 - 300)), SessionState::Refreshable);
        assert_eq!(t.usable_for(at(0)), Some(TimeDelta::minutes(55)));
    }

    #[test]
    fn a_refresh_token_past_its_end_makes_the_session_expired() {
        let mut t = tokens(Some(3600), true);
        t.session_expires_at = Some(at(7200));
        assert_eq!(t.state(at(3600)), SessionState::Refreshable);
        assert_eq!(t.state(at(7200)), SessionState::Expired);
        assert_eq!(t.session_left(at(3600)), Some(TimeDelta::hours(1)));
        // Keycloak's 0 means no limit; an absurd one is no end worth showing.
        for (secs, end) in [
            (Some(0), None),
            (Some(u64::MAX), None),
            (Some(60), Some(at(60))),
        ] {
            let resp = TokenResponse {
                refresh_expires_in: secs,
                ..response(Some(3600), true)
            };
            assert_eq!(session_end(&resp, at(0)), end, "{secs:?}");
        }
    }

    #[test]
    fn a_refused_session_is_expired_whatever_its_times_say() {
        let mut t = tokens(Some(3600), true);
        t.refused_at = Some(at(10));
        t.refused_reason = Some("invalid_grant: grant request is invalid".into());
        assert_eq!(t.state(at(20)), SessionState::Expired);
        let json = serde_json::to_string(&t).unwrap();
        let back: TokenState = serde_json::from_str(&json).unwrap();
        assert_eq!(back.refused_at, Some(at(10)));
        assert_eq!(
            back.refresh_token.unwrap().expose(),
            "rt",
            "nothing else is lost"
        );
        let fresh = tokens(Some(3600), true);
        assert!(!serde_json::to_string(&fresh).unwrap().contains("refused"));
    }

    #[test]
    fn expired_without_refresh_token() {
        assert_eq!(
            tokens(Some(60), false).state(at(3600)),
            SessionState::Expired
        );
    }

    #[test]
    fn short_lived_tokens_use_half_their_lifetime_as_margin() {
        let t = tokens(Some(300), true);
        assert_eq!(t.margin(), TimeDelta::seconds(150));
        assert_eq!(t.state(at(149)), SessionState::Valid);
        assert_eq!(t.state(at(150)), SessionState::Refreshable);
    }

    #[test]
    fn no_expiry_means_valid() {
        assert_eq!(
            tokens(None, false).state(at(1_000_000_000)),
            SessionState::Valid
        );
    }

    #[test]
    fn absurd_lifetimes_do_not_overflow() {
        let t = tokens(Some(u64::MAX), false);
        assert_eq!(t.expires_at, Some(at(0) + MAX_LIFETIME));
        assert_eq!(t.state(at(0)), SessionState::Valid);
    }

    fn file(issued_at: DateTime<Utc>, expires_at: &str, refresh: bool) -> TokenState {
        let mut t = tokens(Some(60), refresh);
        t.issued_at = issued_at;
        t.expires_at = Some(DateTime::parse_from_rfc3339(expires_at).unwrap().to_utc());
        t
    }

    #[test]
    fn a_year_9999_expiry_is_trusted_for_a_year_after_issue() {
        let t = file(at(0), "9999-12-31T23:59:59Z", true);
        assert_eq!(t.state(at(3600)), SessionState::Valid);
        let left = t.usable_for(at(0)).unwrap();
        assert_eq!(left, MAX_LIFETIME - EXPIRY_MARGIN);
        assert_eq!(t.state(at(0) + MAX_LIFETIME), SessionState::Refreshable);
    }

    #[test]
    fn a_1970_or_earlier_expiry_is_simply_expired() {
        for exp in ["1970-01-01T00:00:00Z", "1900-01-01T00:00:00Z"] {
            assert_eq!(
                file(at(0), exp, true).state(at(0)),
                SessionState::Refreshable
            );
            assert_eq!(file(at(0), exp, false).state(at(0)), SessionState::Expired);
        }
    }

    #[test]
    fn a_token_issued_after_now_counts_as_expired() {
        // Signed in "tomorrow" for an hour: the clock went back a day since.
        let tomorrow = at(86_400);
        let t = file(tomorrow, "2027-01-16T09:00:00Z", true);
        assert!(t.clock_went_back(at(0)));
        assert_eq!(t.state(at(0)), SessionState::Refreshable);
        assert!(t.usable_for(at(0)).unwrap() <= TimeDelta::zero());
        let mut no_refresh = t.clone();
        no_refresh.refresh_token = None;
        assert_eq!(no_refresh.state(at(0)), SessionState::Expired);
        assert!(!t.clock_went_back(tomorrow));
    }

    #[test]
    fn a_token_issued_after_it_expired_has_no_margin_and_is_expired() {
        let t = file(at(0), "2020-01-01T00:00:00Z", true);
        assert_eq!(t.margin(), TimeDelta::zero());
        assert_eq!(t.state(at(0)), SessionState::Refreshable);
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("keycard-state-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn damaged_files_are_told_apart_from_files_that_must_not_be_touched() {
        let dir = scratch("inspect");
        let path = dir.join("auth-p.json");
        let damaged = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            match inspect(&path, "p").unwrap() {
                Found::Damaged(e) => {
                    assert_eq!(exit::code_of(&e), Code::NotSignedIn);
                    format!("{e:#}")
                }
                _ => panic!("{:?} is not damaged", String::from_utf8_lossy(bytes)),
            }
        };
        assert!(damaged(b"").contains("empty"));
        assert!(damaged(b"{\"access_tok").contains("cut short"));
        assert!(damaged(b"\xff\xfe{}").contains("not UTF-8"));
        assert!(damaged(b"[]").contains("not a keycard token file"));
        assert!(damaged(b"{\"version\":1}").contains("missing field"));
        let huge = vec![b' '; (MAX_FILE_BYTES + 1) as usize];
        assert!(damaged(&huge).contains("larger than 1 MiB"));
        // serde would quote the misplaced value; a token must not reach the message.
        let message = damaged(br#"{"version":"at-SECRET-VALUE","access_token":5}"#);
        assert!(!message.contains("SECRET"), "{message}");

        std::fs::remove_file(&path).unwrap();
        assert!(matches!(inspect(&path, "p").unwrap(), Found::Nothing));
        std::fs::create_dir(&path).unwrap();
        let err = inspect(&path, "p").err().expect("a directory is an error");
        assert!(err.to_string().contains("is a directory"), "{err}");
        std::fs::remove_dir(&path).unwrap();
        #[cfg(unix)]
        {
            let real = dir.join("real.json");
            std::fs::write(&real, serde_json::to_vec(&tokens(Some(60), true)).unwrap()).unwrap();
            std::os::unix::fs::symlink(&real, &path).unwrap();
            let err = inspect(&path, "p").err().expect("a link is an error");
            assert!(err.to_string().contains("symbolic link"), "{err}");
            let err = save(&path, &tokens(Some(60), true)).unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{err}");
            assert!(std::fs::symlink_metadata(&path).unwrap().is_symlink());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = scratch("fifo");
        let path = dir.join("auth-p.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let err = inspect(&path, "p").err().expect("a FIFO is an error");
        assert!(err.to_string().contains("is a FIFO"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn token_file_round_trips() {
        let t = tokens(Some(60), true);
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"access_token\":\"at\""), "{json}");
        let back: TokenState = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expires_at, t.expires_at);
        assert_eq!(back.refresh_token.unwrap().expose(), "rt");
    }
}
