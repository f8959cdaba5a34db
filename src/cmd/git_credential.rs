//! `keycard git-credential <get|store|erase>`: git's credential helper protocol
//! (https://git-scm.com/docs/git-credential). git writes `key=value` lines on stdin,
//! ended by a blank line or EOF; `get` answers with lines of its own on stdout.
//!
//! A host no profile lists gets no answer and exit 0, so git asks its next helper. A
//! listed host whose profile is not signed in gets an error on stderr and nothing on
//! stdout: a helper never starts a sign-in (no terminal, no browser, no waiting).

use crate::config::{Config, GitAuth};
use crate::credential::{self, Credential};
use crate::env::Env;
use crate::exit;
use crate::hosts::Host;
use crate::ui;
use anyhow::Result;
use std::io::BufRead;

/// More than any request git sends (its `wwwauth[]` lines included); the rest is not read.
const MAX_REQUEST: u64 = 1 << 20;

pub fn run(operation: &str, env: &Env) -> Result<()> {
    let request = Request::read(std::io::stdin().lock());
    // keycard owns the session: `store` (git got in) and `erase` (the server refused
    // the token) must not change it. A refused token may only lack a permission, and
    // deleting the session for it would throw away a refresh token that still works.
    // Unknown operations are ignored, as git asks of helpers.
    if operation != "get" {
        return Ok(());
    }
    let Some(host) = request.host() else {
        return Ok(());
    };
    let config = Config::load(&env.paths)?;
    let Some(name) = credential::profile_for(env, &config, &host)? else {
        return Ok(());
    };
    if request.protocol.as_deref() == Some("http") && !host.is_loopback() {
        return Err(exit::usage(format!(
            "refusing to give git the token of profile '{name}' for plain http://{host}, where \
             anyone on the way could read it; use an https:// remote"
        )));
    }
    let credential = credential::fetch(env, &config, &name)?;
    ui::out(&answer(&credential, &request))
}

/// The fields of git's request that keycard reads; every other key is ignored.
#[derive(Debug, Default, PartialEq)]
struct Request {
    protocol: Option<String>,
    host: Option<String>,
    /// `capability[]` values git announced (`authtype`, `state`, ...).
    capabilities: Vec<String>,
}

impl Request {
    /// Reads up to a blank line or EOF. Bytes that are not UTF-8 and lines that are not
    /// `key=value` are skipped: git sends neither, and nothing here may panic.
    fn read(input: impl BufRead) -> Request {
        let mut request = Request::default();
        let mut input = input.take(MAX_REQUEST);
        let mut line = Vec::new();
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\n', '\r']);
            if text.is_empty() {
                break;
            }
            let Some((key, value)) = text.split_once('=') else {
                continue;
            };
            match key {
                "protocol" => request.protocol = Some(value.to_string()),
                "host" => request.host = Some(value.to_string()),
                "capability[]" => request.capabilities.push(value.to_string()),
                _ => {}
            }
        }
        request
    }

    /// The host to look up, for the web protocols only: git also asks helpers for
    /// other things (`protocol=cert` for a certificate's passphrase), never keycard's.
    fn host(&self) -> Option<Host> {
        let protocol = self.protocol.as_deref()?;
        if !matches!(protocol, "https" | "http") {
            return None;
        }
        Host::parse(self.host.as_deref()?, protocol)
    }
}

/// `username=` and `password=`, or with `git_auth = bearer` and a git that announced
/// `capability[]=authtype` (2.46+), the token as `Authorization: Bearer`. Older gits get
/// Basic, which the forges take with a token too. The expiry keeps another helper that
/// stores what keycard answered (credential-cache) from handing out a dead token.
fn answer(credential: &Credential, request: &Request) -> String {
    let expiry = credential
        .expires_at
        .map(|at| format!("\npassword_expiry_utc={}", at.timestamp()))
        .unwrap_or_default();
    let bearer = credential.git_auth == GitAuth::Bearer
        && request.capabilities.iter().any(|c| c == "authtype");
    if bearer {
        // `ephemeral`: the token is only good until it expires; helpers must not keep it.
        format!(
            "capability[]=authtype\nauthtype=Bearer\ncredential={}\nephemeral=1{expiry}",
            credential.token.expose()
        )
    } else {
        format!(
            "username={}\npassword={}{expiry}",
            credential.username,
            credential.token.expose()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_keys_it_needs_and_stops_at_a_blank_line() {
        let input = b"protocol=https\nhost=Git.Example.com\nwwwauth[]=Basic realm=\"x\"\n\
                      capability[]=authtype\nnonsense\npath=a=b\n\nhost=evil.example.com\n";
        let request = Request::read(&input[..]);
        assert_eq!(request.protocol.as_deref(), Some("https"));
        assert_eq!(request.host.as_deref(), Some("Git.Example.com"));
        assert_eq!(request.capabilities, vec!["authtype"]);
        assert_eq!(request.host().unwrap().to_string(), "git.example.com");
    }

    #[test]
    fn only_web_protocols_have_a_host_to_look_up() {
        let request = Request::read(&b"protocol=cert\nhost=x.example.com\n"[..]);
        assert!(request.host().is_none());
        assert!(Request::read(&b"protocol=https\n"[..]).host().is_none());
        assert_eq!(Request::read(&b"\xff\xfe\n"[..]), Request::default());
    }
}
