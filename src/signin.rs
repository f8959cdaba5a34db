//! One sign-in at a time per profile (issue 17 §3): the `login` that holds the profile's
//! sign-in lock (`lock::try_signin`) publishes what a person needs to approve its code in
//! `.auth-NAME.signin.json`, and, when it ends, how it ended. A second `login` of the
//! profile shows the same code, waits on the lock, and ends the same way.
//!
//! The file never holds a secret: the user code and links are shown on screens anyway,
//! and the device code (which would let anyone holding it collect the tokens) is never
//! written. It is 0600 all the same, like everything in the directory.

use crate::fsio;
use crate::oauth::DeviceAuthorization;
use crate::paths::{Paths, ProfileName};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the waiting `login` published.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// Tells this sign-in apart from an earlier one whose file is still there.
    pub id: String,
    /// The `login` process waiting for the person.
    pub pid: u32,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub message: Option<String>,
    /// Set when the sign-in ended (not when it was killed): its exit code and error.
    #[serde(default)]
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub code: i32,
    #[serde(default)]
    pub error: Option<String>,
}

impl Pending {
    pub fn new(auth: &DeviceAuthorization, now: DateTime<Utc>) -> Pending {
        Pending {
            id: format!(
                "{}-{}",
                std::process::id(),
                now.timestamp_nanos_opt().unwrap_or_default()
            ),
            pid: std::process::id(),
            user_code: auth.user_code.clone(),
            verification_uri: auth.verification_uri.clone(),
            verification_uri_complete: auth.verification_uri_complete.clone(),
            expires_at: auth
                .expires_in
                .and_then(|s| i64::try_from(s).ok())
                .and_then(|s| now.checked_add_signed(chrono::TimeDelta::seconds(s))),
            message: auth.message.clone(),
            outcome: None,
        }
    }

    /// The code as `ui::show_device_code` shows it, with the time it has left; the
    /// device code is not known here (nor needed: this process never polls with it).
    pub fn as_authorization(&self, now: DateTime<Utc>) -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: Secret::new(""),
            user_code: self.user_code.clone(),
            verification_uri: self.verification_uri.clone(),
            verification_uri_complete: self.verification_uri_complete.clone(),
            expires_in: self
                .expires_at
                .map(|at| u64::try_from(at.signed_duration_since(now).num_seconds()).unwrap_or(0)),
            interval: None,
            message: self.message.clone(),
        }
    }

    /// Still waiting, in a process that is alive (a killed `login` leaves its file
    /// behind, without an outcome).
    pub fn is_waiting(&self) -> bool {
        self.outcome.is_none() && self.pid != std::process::id() && alive(self.pid)
    }
}

/// The published sign-in, if there is a readable one.
pub fn read(paths: &Paths, profile: &ProfileName) -> Option<Pending> {
    let bytes = fsio::read_small(&paths.signin_file(profile), 64 * 1024)?;
    serde_json::from_slice(&bytes).ok()
}

/// Publishes (or, with an outcome, concludes) the sign-in. Call only holding the sign-in
/// lock. A failure to write only costs a second `login` its chance to join.
pub fn publish(paths: &Paths, profile: &ProfileName, pending: &Pending) {
    if let Ok(json) = serde_json::to_vec(pending) {
        let _ = fsio::write_record(&paths.signin_file(profile), &json);
    }
}

/// Removes an earlier sign-in's file. Call only holding the sign-in lock.
pub fn clear(paths: &Paths, profile: &ProfileName) {
    let _ = std::fs::remove_file(paths.signin_file(profile));
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let ok = unsafe { libc::kill(pid, 0) } == 0;
    ok || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn alive(_: u32) -> bool {
    true
}
