//! `keycard kube-credential`: kubectl's (client-go's) exec credential plugin. It prints an
//! ExecCredential holding a fresh access token; kubectl caches it until its
//! `expirationTimestamp` and then runs keycard again.
//!
//! kubectl runs the plugin without a terminal, so this never prompts or signs in: without
//! a session it exits 3 and the login hint goes to stderr, which kubectl shows.

use crate::config::Config;
use crate::env::{Clock, Env};
use crate::exit;
use crate::session;
use crate::state::TokenState;
use crate::ui;
use anyhow::Result;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

const V1: &str = "client.authentication.k8s.io/v1";
const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

pub fn run(env: &Env) -> Result<()> {
    let api_version = requested_api_version(std::env::var("KUBERNETES_EXEC_INFO").ok())?;
    let config = Config::load(&env.paths)?;
    let (name, _) = env.profile(&config)?;
    let tokens = session::fresh_tokens(env, &config, &name, session::Need::default())?;
    let credential = exec_credential(api_version, &tokens, env.clock.now());
    ui::out(&credential.to_string())
}

/// The apiVersion kubectl asked for in KUBERNETES_EXEC_INFO; v1 when it says nothing
/// (kubectl before 1.22 sets no KUBERNETES_EXEC_INFO for some configurations).
fn requested_api_version(exec_info: Option<String>) -> Result<&'static str> {
    let Some(raw) = exec_info.filter(|s| !s.trim().is_empty()) else {
        return Ok(V1);
    };
    let info: serde_json::Value = serde_json::from_str(&raw).map_err(|e| {
        exit::usage(format!(
            "KUBERNETES_EXEC_INFO is not JSON ({e}); it is set by kubectl, unset it to run \
             `{}` by hand",
            crate::hint::command("kube-credential", "")
        ))
    })?;
    match info.get("apiVersion").and_then(serde_json::Value::as_str) {
        None | Some(V1) => Ok(V1),
        Some(V1BETA1) => Ok(V1BETA1),
        Some(other) => Err(exit::usage(format!(
            "kubectl asks for an ExecCredential of apiVersion {other:?}; keycard answers \
             {V1} and {V1BETA1}: set one of them as users[].user.exec.apiVersion in the kubeconfig"
        ))),
    }
}

fn exec_credential(
    api_version: &str,
    tokens: &TokenState,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let mut status = serde_json::json!({ "token": tokens.access_token.expose() });
    if let Some(at) = hand_out_until(tokens, now) {
        status["expirationTimestamp"] = at.to_rfc3339_opts(SecondsFormat::Secs, true).into();
    }
    serde_json::json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "status": status,
    })
}

/// When keycard itself would stop handing out this token (its expiry less the margin),
/// so kubectl asks again in time for keycard to refresh it. A token already inside the
/// margin (the provider could not be reached to refresh it) is good until it really
/// expires; a token without an expiry gets no timestamp, which kubectl reads as "never".
fn hand_out_until(tokens: &TokenState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let expires_at = tokens.expires_at?;
    match tokens.usable_for(now) {
        Some(left) if left > TimeDelta::zero() => Some(now + left),
        _ => Some(expires_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::TokenResponse;
    use crate::secret::Secret;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn tokens(expires_in: Option<u64>) -> TokenState {
        let resp = TokenResponse {
            access_token: Secret::new("at"),
            token_type: None,
            expires_in,
            refresh_token: Some(Secret::new("rt")),
            id_token: None,
            scope: None,
            refresh_expires_in: None,
            refresh_token_expires_in: None,
        };
        TokenState::from_response(resp, at(0), None, "cli".into()).0
    }

    #[test]
    fn the_credential_expires_when_keycard_would_refresh() {
        let json = exec_credential(V1, &tokens(Some(3600)), at(60));
        assert_eq!(
            json,
            serde_json::json!({
                "apiVersion": V1,
                "kind": "ExecCredential",
                "status": {"token": "at", "expirationTimestamp": "2027-01-15T08:55:00Z"},
            })
        );
        assert_eq!(at(3300).to_rfc3339(), "2027-01-15T08:55:00+00:00");
    }

    #[test]
    fn a_token_inside_the_margin_lasts_until_it_expires_and_one_without_expiry_forever() {
        let inside = exec_credential(V1, &tokens(Some(3600)), at(3500));
        assert_eq!(
            inside["status"]["expirationTimestamp"],
            at(3600).to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let forever = exec_credential(V1, &tokens(None), at(0));
        assert!(forever["status"].get("expirationTimestamp").is_none());
    }

    #[test]
    fn the_api_version_follows_kubernetes_exec_info() {
        let info = |v: &str| Some(format!(r#"{{"kind":"ExecCredential","apiVersion":"{v}"}}"#));
        assert_eq!(requested_api_version(None).unwrap(), V1);
        assert_eq!(requested_api_version(info(V1)).unwrap(), V1);
        assert_eq!(requested_api_version(info(V1BETA1)).unwrap(), V1BETA1);
        let old = requested_api_version(info("client.authentication.k8s.io/v1alpha1"));
        assert_eq!(exit::code_of(&old.unwrap_err()), exit::Code::Usage);
        let garbage = requested_api_version(Some("{".into()));
        assert_eq!(exit::code_of(&garbage.unwrap_err()), exit::Code::Usage);
    }
}
