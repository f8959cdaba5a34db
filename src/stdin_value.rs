//! A setting's value read from standard input (`config set client_secret -`), so that a
//! secret never appears in the command line (shell history, `ps`, /proc/PID/cmdline).
//! From a terminal it is typed without echo; from a pipe or a file (`< secret.txt`) it
//! is the first line.

use crate::echo::EchoOff;
use crate::exit;
use crate::hint;
use anyhow::{Context, Result};
use std::io::{BufRead, IsTerminal, Read, Write};

/// No setting is longer than this; more is not a value but the wrong file.
const MAX_BYTES: u64 = 64 * 1024;

/// The value for `key`, from standard input. Secrets are typed without echo.
pub fn read(key: &str, secret: bool) -> Result<String> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        eprint!("{key}: ");
        std::io::stderr().flush()?;
        let echo = if secret { EchoOff::start() } else { None };
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        drop(echo);
        if secret {
            eprintln!();
        }
        read.context("cannot read standard input")?;
        line
    } else {
        let mut bytes = Vec::new();
        stdin
            .lock()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(exit::usage(format!(
                "standard input holds more than 64 KiB, far more than any {key}"
            )));
        }
        String::from_utf8(bytes)
            .map_err(|_| exit::usage(format!("the {key} on standard input is not UTF-8 text")))?
    };
    let value = raw.strip_suffix('\n').unwrap_or(&raw);
    let value = value.strip_suffix('\r').unwrap_or(value);
    if value.trim().is_empty() {
        return Err(exit::usage(format!(
            "no {key} on standard input; give it as `{}` or type it when asked",
            hint::command("config set", &format!("{key} - < FILE"))
        )));
    }
    // Nothing is said about the value itself: it may be the secret.
    if value.chars().any(char::is_control) {
        return Err(exit::usage(format!(
            "the {key} on standard input has a line break or another control character; \
             give the value alone, on one line"
        )));
    }
    Ok(value.to_string())
}
