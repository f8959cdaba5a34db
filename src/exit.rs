//! Stable exit codes (SPEC "Streams and exit codes") and the error type that carries them.
//!
//! Errors travel as `anyhow::Error`; the code rides along as a `Coded` somewhere in the
//! chain, so callers can keep adding context without losing it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Done; for `status`, a usable session. (Never carried by an error.)
    Success = 0,
    /// Anything not listed below.
    Failure = 1,
    /// Bad usage: an unknown flag, a bad value, an invalid profile name.
    Usage = 2,
    /// Not signed in, or sign-in required again.
    NotSignedIn = 3,
    /// The provider is unreachable or answers garbage.
    Network = 4,
    /// The user denied the request or the code expired.
    LoginIncomplete = 5,
    /// `exec`: the command exists but cannot be run (as env(1) and shells say).
    CannotRun = 126,
    /// `exec`: no such command (as env(1) and shells say).
    CommandNotFound = 127,
    /// Ctrl-C.
    Interrupted = 130,
}

impl Code {
    /// Every code, in the order `--help`, the man page and the README list them. The
    /// documentation is checked against this list (src/checks.rs); a new code goes here
    /// and into `meaning`, then into those three.
    pub const ALL: [Code; 9] = [
        Code::Success,
        Code::Failure,
        Code::Usage,
        Code::NotSignedIn,
        Code::Network,
        Code::LoginIncomplete,
        Code::CannotRun,
        Code::CommandNotFound,
        Code::Interrupted,
    ];

    /// A word every description of the code has, in `--help`, the man page and the README.
    #[cfg(test)]
    pub fn meaning(self) -> &'static str {
        match self {
            Code::Success => "success",
            Code::Failure => "error",
            Code::Usage => "usage",
            Code::NotSignedIn => "not signed in",
            Code::Network => "unreachable",
            Code::LoginIncomplete => "denied",
            Code::CannotRun | Code::CommandNotFound => "exec",
            Code::Interrupted => "interrupted",
        }
    }

    /// The code keycard exits with for `n` (another keycard's, recorded); a number that
    /// is not one of keycard's is a failure.
    pub fn of(n: i32) -> Code {
        Code::ALL
            .into_iter()
            .find(|c| *c as i32 == n && *c != Code::Success)
            .unwrap_or(Code::Failure)
    }
}

#[derive(Debug)]
pub struct Coded {
    pub code: Code,
    pub message: String,
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Coded {}

/// An error with an exit code other than 1.
pub fn fail(code: Code, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        code,
        message: message.into(),
    })
}

/// Sets the exit code without printing anything (the command already said what it had to).
pub fn silent(code: Code) -> anyhow::Error {
    fail(code, "")
}

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    fail(Code::Usage, message)
}

pub fn network(message: impl Into<String>) -> anyhow::Error {
    fail(Code::Network, message)
}

/// The exit code for an error: the first `Coded` in its chain, else 1.
pub fn code_of(err: &anyhow::Error) -> Code {
    err.chain()
        .find_map(|e| e.downcast_ref::<Coded>().map(|c| c.code))
        .unwrap_or(Code::Failure)
}

/// Whether the error is a closed stdout (`keycard token | head -c0`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn code_survives_context() {
        let err = Err::<(), _>(network("connection refused"))
            .context("could not reach the provider")
            .unwrap_err();
        assert_eq!(code_of(&err), Code::Network);
        assert_eq!(
            format!("{err:#}"),
            "could not reach the provider: connection refused"
        );
    }

    #[test]
    fn plain_errors_exit_1() {
        assert_eq!(code_of(&anyhow::anyhow!("boom")), Code::Failure);
    }
}
