//! Everything a command reads from its surroundings, gathered once in `main`: paths,
//! global flags, which streams are terminals, and the clock. Nothing else reads the clock.

use crate::cli::GlobalArgs;
use crate::config::{Config, Source};
use crate::exit;
use crate::paths::{Paths, ProfileName};
use crate::profile_file;
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::cell::OnceCell;
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

/// Wall time for timestamps, monotonic time for deadlines, and sleeping: passed in so the
/// poll loop can be tested without waiting.
pub trait Clock {
    fn now(&self) -> DateTime<Utc>;
    /// Monotonic time since an arbitrary start.
    fn elapsed(&self) -> Duration;
    fn sleep(&self, d: Duration);
}

pub struct SystemClock {
    start: Instant,
    /// Debug builds only: `KEYCARD_TEST_NOW` (RFC 3339) stands still as the wall time, so
    /// tests of time rules (the hourly session warning) need no sleeping.
    fixed_now: Option<DateTime<Utc>>,
}

impl SystemClock {
    fn new() -> SystemClock {
        #[cfg(debug_assertions)]
        let fixed_now = std::env::var("KEYCARD_TEST_NOW")
            .ok()
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.to_utc());
        #[cfg(not(debug_assertions))]
        let fixed_now = None;
        SystemClock {
            start: Instant::now(),
            fixed_now,
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

pub struct Env {
    pub paths: Paths,
    /// The profile named by `--profile` or `KEYCARD_PROFILE`, if any.
    chosen: Option<(String, Source)>,
    /// The nearest `.keycard-profile`, looked for only when a command resolves a profile
    /// that neither `--profile` nor `KEYCARD_PROFILE` names (credential helpers never do).
    profile_file: OnceCell<Option<(&'static Path, Result<ProfileName, String>)>>,
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub stdin_tty: bool,
    pub stderr_tty: bool,
    /// `CI` is set: no prompts, no spinners, no browser.
    pub ci: bool,
    pub clock: SystemClock,
}

impl Env {
    pub fn new(global: &GlobalArgs) -> Result<Env> {
        let chosen = match &global.profile {
            Some(p) => Some((p.clone(), Source::Flag)),
            None => std::env::var("KEYCARD_PROFILE")
                .ok()
                .filter(|p| !p.is_empty())
                .map(|p| (p, Source::Env)),
        };
        Ok(Env {
            paths: Paths::new(global.config_dir.clone())?,
            chosen,
            profile_file: OnceCell::new(),
            json: global.json,
            quiet: global.quiet,
            verbose: global.verbose,
            stdin_tty: std::io::stdin().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            ci: std::env::var_os("CI").is_some_and(|v| !v.is_empty()),
            clock: SystemClock::new(),
        })
    }

    /// The profile this command acts on, and where that choice came from: `--profile`,
    /// else `KEYCARD_PROFILE`, else `.keycard-profile`, else config.toml's active one.
    pub fn profile(&self, config: &Config) -> Result<(ProfileName, Source)> {
        if let Some((name, source)) = &self.chosen {
            return config.resolve(Some((name, *source)));
        }
        let found = self.profile_file.get_or_init(|| {
            profile_file::find().map(|(path, name)| (path, name.map_err(|e| format!("{e:#}"))))
        });
        match found {
            None => config.resolve(None),
            Some((path, Ok(name))) => config.resolve(Some((name.as_str(), Source::File(path)))),
            Some((_, Err(message))) => Err(exit::fail(exit::Code::Failure, message.clone())),
        }
    }

    /// The profile `--profile` names, if any (not `KEYCARD_PROFILE`): credential helpers
    /// let only the flag narrow which profile may answer for a host.
    pub fn flag_profile(&self) -> Option<&str> {
        match &self.chosen {
            Some((name, Source::Flag)) => Some(name),
            _ => None,
        }
    }

    /// A person is at the keyboard: prompts and progress make sense.
    pub fn interactive(&self) -> bool {
        self.stdin_tty && self.stderr_tty && !self.ci
    }
}
