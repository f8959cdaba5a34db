//! What people see. Results go to stdout; prose, progress and warnings to stderr. Colour
//! and the progress line appear only on terminals (decided once in `main`).

use crate::env::Env;
use crate::oauth::DeviceAuthorization;
use crate::text::{self, one_line};
use anyhow::Result;
use chrono::TimeDelta;
use console::style;
use std::io::Write;
use std::time::Duration;

/// One result line on stdout. Errors (a closed pipe) propagate instead of panicking.
/// JSON above all: a provider's claim with a control or bidirectional character in it
/// comes out escaped (`text::escape_invisible`), still the same JSON value.
pub fn out(line: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", text::escape_invisible(line))?;
    stdout.flush()?;
    Ok(())
}

/// Prose for people on stderr, unless `--quiet`.
pub fn info(env: &Env, message: &str) {
    if !env.quiet {
        eprintln!("{message}");
    }
}

/// One line on stderr. Warnings often quote a provider (an error it sent, a lifetime it
/// gave): the whole line is cleaned (`text::one_line`), whatever was put into it.
pub fn warn(message: &str) {
    eprintln!(
        "{} {}",
        style("warning:").yellow().bold(),
        text::one_line(message)
    );
}

/// "52m", "1h 05m", "3d 4h", "45s"; negative spans read as "0s".
pub fn human_duration(d: TimeDelta) -> String {
    human_seconds(u64::try_from(d.num_seconds()).unwrap_or(0))
}

/// `human_duration` for a count of seconds, whatever its size.
pub fn human_seconds(secs: u64) -> String {
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{mins}m"),
        3600..86_400 => format!("{hours}h {mins:02}m"),
        _ => format!("{days}d {hours}h"),
    }
}

/// The code, the link and the deadline, readable at a glance on stderr. With `--json`
/// the same facts (never the device code) also go to stdout as one line.
pub fn show_device_code(env: &Env, auth: &DeviceAuthorization) -> Result<()> {
    if env.json {
        let line = serde_json::json!({
            "user_code": auth.user_code,
            "verification_uri": auth.verification_uri,
            "verification_uri_complete": auth.verification_uri_complete,
            "expires_in": auth.expires_in,
            "interval": auth.interval,
            "message": auth.message,
        });
        out(&line.to_string())?;
    }
    let expires = auth
        .expires_in
        .map(|s| format!(" (expires in {})", human_seconds(s)))
        .unwrap_or_default();
    // The code is printed even with --quiet: without it, sign-in cannot happen.
    eprintln!();
    eprintln!(
        "  Your one-time code:  {}",
        style(one_line(&auth.user_code)).bold().cyan()
    );
    eprintln!(
        "  Enter it at:         {}{expires}",
        style(one_line(&auth.verification_uri)).underlined()
    );
    if let Some(complete) = &auth.verification_uri_complete {
        eprintln!(
            "  Or open directly:    {}",
            style(one_line(complete)).underlined()
        );
    }
    // Microsoft's ready-made sentence; it may hold advice the fields above do not.
    if let Some(message) = auth.message.as_deref().filter(|m| !m.trim().is_empty()) {
        eprintln!("  Provider says:       {}", one_line(message));
    }
    eprintln!();
    Ok(())
}

/// `login --qr`: the link as a QR code on stderr, under the code and links. Shown even
/// with --quiet, like the code: it was asked for, and it is how the sign-in happens.
pub fn show_qr(link: &str) {
    match crate::qr::render(link, console::colors_enabled_stderr()) {
        Some(lines) => {
            for line in lines {
                eprintln!("  {line}");
            }
            eprintln!();
        }
        None => warn("the link is too long for a QR code; open it as shown above"),
    }
}

/// A single updating line while waiting for approval; silent when stderr is not a terminal.
pub struct Progress {
    live: bool,
    drawn: bool,
}

impl Progress {
    pub fn new(env: &Env) -> Progress {
        let live = env.stderr_tty && !env.ci && !env.quiet;
        if !live && !env.quiet {
            eprintln!("Waiting for the code to be approved...");
        }
        Progress { live, drawn: false }
    }

    pub fn waiting(&mut self, code_left: Duration) {
        if self.live {
            let left = human_seconds(code_left.as_secs());
            eprint!("\r\x1b[2KWaiting for approval... (code valid for {left}, Ctrl-C to cancel)");
            let _ = std::io::stderr().flush();
            self.drawn = true;
        }
    }

    pub fn finish(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Asks a yes/no question on a terminal; anything but y/yes is no.
pub fn confirm(question: &str) -> Result<bool> {
    // One write: stderr is unbuffered, and a terminal echoing what was typed ahead would
    // otherwise land inside the question.
    let mut stderr = std::io::stderr().lock();
    stderr.write_all(format!("{question} [y/N] ").as_bytes())?;
    stderr.flush()?;
    drop(stderr);
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let d = |s| human_duration(TimeDelta::seconds(s));
        assert_eq!(d(-5), "0s");
        assert_eq!(d(45), "45s");
        assert_eq!(d(52 * 60 + 10), "52m");
        assert_eq!(d(3600 + 5 * 60), "1h 05m");
        assert_eq!(d(3 * 86_400 + 4 * 3600), "3d 4h");
        assert_eq!(human_seconds(u64::MAX), "213503982334601d 7h");
    }
}
