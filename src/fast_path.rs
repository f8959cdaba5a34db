//! The command lines run on every prompt and every script call (`status --short`,
//! `status --format T` and `token`, with the global options), read by hand into the very
//! `cli::Cli` clap would build, without building clap's command. Building that command for
//! eleven subcommands was most of what a prompt cost (README "Performance").
//!
//! Everything after the parse is shared: `main` runs the same `Env`, profile resolution,
//! file reading and state computation whichever parser produced the `Cli`. Whatever this
//! parser does not fully understand (help, `--`, a repeated option, a value that starts
//! with '-' or is empty, a mistyped word, conflicting flags, non-UTF-8, ...) makes it
//! return `None`, and clap parses the line as before: errors and help always come from
//! clap. The tests below feed generated argument vectors to both parsers and require the
//! same `Cli` whenever this one accepts a line.

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, StatusArgs, TokenArgs, parse_duration};
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// The subcommand being read, with its own options so far.
enum Sub {
    Status {
        short: bool,
        format: Option<String>,
    },
    Token {
        id_token: bool,
        min_ttl: Option<std::time::Duration>,
    },
}

/// `args` without the program name. `config_dir_env` is `KEYCARD_CONFIG_DIR`, which clap
/// reads for `--config-dir` when the option is not given.
pub fn parse(args: &[OsString], config_dir_env: Option<&OsStr>) -> Option<Cli> {
    let mut profile: Option<String> = None;
    let mut config_dir: Option<PathBuf> = None;
    let mut color: Option<ColorChoice> = None;
    let (mut json, mut quiet, mut verbose) = (false, false, false);
    let mut sub: Option<Sub> = None;

    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let arg = arg.to_str()?;
        let (name, attached) = match arg.strip_prefix("--") {
            Some(long) => match long.split_once('=') {
                Some((name, value)) => (Name::Long(name), Some(value)),
                None => (Name::Long(long), None),
            },
            None => match arg.strip_prefix('-') {
                // `-p NAME` and `-pNAME`; `-p=NAME`, bundles such as `-qv` and anything
                // else go to clap.
                Some(short) if short.starts_with('p') && short.len() > 1 => {
                    (Name::Short('p'), Some(&short[1..]))
                }
                Some(short) => (Name::Short(single_char(short)?), None),
                None => {
                    // The first word is the subcommand; any later one is clap's to refuse.
                    if sub.is_some() {
                        return None;
                    }
                    sub = Some(match arg {
                        "status" => Sub::Status {
                            short: false,
                            format: None,
                        },
                        "token" => Sub::Token {
                            id_token: false,
                            min_ttl: None,
                        },
                        _ => return None,
                    });
                    continue;
                }
            },
        };
        // An option's value: attached, or the next argument. Values clap could read
        // differently (empty, or looking like an option) are left to clap.
        let mut value = || -> Option<&str> {
            let v = match attached {
                Some(v) => v,
                None => rest.next()?.to_str()?,
            };
            (!v.is_empty() && !v.starts_with('-') && !v.starts_with('=')).then_some(v)
        };
        let flag = |seen: &mut bool| -> Option<()> {
            // `--json=true` and repeats are clap's to refuse.
            (attached.is_none() && !*seen).then(|| *seen = true)
        };
        match (name, &mut sub) {
            (Name::Short('p') | Name::Long("profile"), _) if profile.is_none() => {
                profile = Some(value()?.to_string());
            }
            (Name::Long("config-dir"), _) if config_dir.is_none() => {
                config_dir = Some(PathBuf::from(value()?));
            }
            (Name::Long("color"), _) if color.is_none() => {
                color = Some(match value()? {
                    "auto" => ColorChoice::Auto,
                    "always" => ColorChoice::Always,
                    "never" => ColorChoice::Never,
                    _ => return None,
                });
            }
            (Name::Long("json"), _) => flag(&mut json)?,
            (Name::Short('q') | Name::Long("quiet"), _) => flag(&mut quiet)?,
            (Name::Short('v') | Name::Long("verbose"), _) => flag(&mut verbose)?,
            (Name::Long("short"), Some(Sub::Status { short, .. })) => flag(short)?,
            (Name::Long("format"), Some(Sub::Status { format, .. })) if format.is_none() => {
                *format = Some(value()?.to_string());
            }
            (Name::Long("id-token"), Some(Sub::Token { id_token, .. })) => flag(id_token)?,
            (Name::Long("min-ttl"), Some(Sub::Token { min_ttl, .. })) if min_ttl.is_none() => {
                *min_ttl = Some(parse_duration(value()?).ok()?);
            }
            _ => return None,
        }
    }

    if quiet && verbose {
        return None;
    }
    let config_dir = match config_dir {
        Some(dir) => Some(dir),
        // clap refuses an empty KEYCARD_CONFIG_DIR: let it say so.
        None => match config_dir_env {
            Some(dir) if dir.is_empty() => return None,
            Some(dir) => Some(PathBuf::from(dir)),
            None => None,
        },
    };
    let command = match sub? {
        // Only the prompt forms; `status` for people and `--short` with `--format`
        // (which clap refuses) go to clap.
        Sub::Status { short, format } if short != format.is_some() => Command::Status(StatusArgs {
            short,
            format,
            all: false,
            check: false,
        }),
        Sub::Status { .. } => return None,
        Sub::Token { id_token, min_ttl } => Command::Token(TokenArgs { id_token, min_ttl }),
    };
    Some(Cli {
        global: GlobalArgs {
            profile,
            config_dir,
            json,
            quiet,
            verbose,
            color: color.unwrap_or(ColorChoice::Auto),
        },
        command,
    })
}

#[derive(Clone, Copy)]
enum Name<'a> {
    Long(&'a str),
    Short(char),
}

/// The letter of a one-letter short option (`-q`), or `None` for anything else.
fn single_char(short: &str) -> Option<char> {
    let mut chars = short.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Words a command line is made of: the fast path's own, their near misses, and what
    /// only clap handles. Values come as separate words too, so they land both after
    /// their option and out of place.
    const WORDS: &[&str] = &[
        "status",
        "token",
        "--short",
        "--format",
        "{profile} {state}",
        "--format={expires_in}",
        "--format=",
        "--format=-x",
        "--all",
        "--check",
        "--id-token",
        "--min-ttl",
        "30m",
        "--min-ttl=1h",
        "--min-ttl=bogus",
        "--min-ttl=",
        "-p",
        "prod",
        "-pprod",
        "-p=prod",
        "-p-x",
        "-ps",
        "--profile",
        "--profile=prod",
        "--profile=",
        "--profile=a=b",
        "--config-dir",
        "/tmp/kc",
        "--config-dir=/tmp/kc",
        "--config-dir=",
        "--json",
        "--json=true",
        "-q",
        "--quiet",
        "-v",
        "--verbose",
        "-qv",
        "-vq",
        "--color",
        "always",
        "never",
        "--color=never",
        "--color=AUTO",
        "--colour=auto",
        "--",
        "-",
        "--help",
        "-h",
        "help",
        "--version",
        "-V",
        "-x",
        "--unknown",
        "--stat",
        "login",
        "config",
        "stat",
        "Status",
        "",
        "two words",
    ];

    /// The outcome of both parsers for one argument vector; panics when the fast path
    /// accepts a line that clap reads differently (or refuses). True when it accepted.
    fn agree(words: &[&str]) -> bool {
        let args: Vec<OsString> = words.iter().map(OsString::from).collect();
        agree_os(&args)
    }

    fn agree_os(args: &[OsString]) -> bool {
        // Both read the same process environment for KEYCARD_CONFIG_DIR.
        let env = std::env::var_os("KEYCARD_CONFIG_DIR");
        let Some(fast) = parse(args, env.as_deref()) else {
            return false;
        };
        let mut argv = vec![OsString::from("keycard")];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(&argv) {
            Ok(clap) => assert_eq!(
                format!("{fast:?}"),
                format!("{clap:?}"),
                "fast path and clap differ on {args:?}"
            ),
            Err(e) => panic!("fast path accepted {args:?}, clap refused it: {e}"),
        }
        true
    }

    /// The words of lines the fast path takes, so that generated lines often are some.
    const LIKELY: &[&str] = &[
        "--short",
        "--format",
        "{profile} {state}",
        "--format={expires_in}",
        "--id-token",
        "--min-ttl",
        "30m",
        "-p",
        "prod",
        "-pprod",
        "--profile=prod",
        "--config-dir",
        "/tmp/kc",
        "--json",
        "-q",
        "-v",
        "--color",
        "never",
    ];

    /// xorshift64: a fixed sequence, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    #[test]
    fn what_prompts_and_scripts_run_takes_the_fast_path() {
        for line in [
            &["status", "--short"][..],
            &["status", "--format", "{profile} {state} {expires_in}"],
            &["status", "--format={state}"],
            &["token"],
            &["token", "--min-ttl", "30m"],
            &["token", "--id-token"],
            &["--profile", "prod", "status", "--short"],
            &["status", "--short", "-p", "prod"],
            &["-pprod", "token", "--json"],
            &[
                "--config-dir=/tmp/kc",
                "--color",
                "never",
                "status",
                "--short",
                "-q",
            ],
        ] {
            assert!(agree(line), "{line:?} did not take the fast path");
        }
    }

    #[test]
    fn the_rest_goes_to_clap() {
        for line in [
            &[][..],
            &["status"],
            &["status", "--short", "--format", "x"],
            &["status", "--short", "--all"],
            &["status", "--short", "--short"],
            &["status", "--short", "--"],
            &["status", "--short", "--help"],
            &["-p", "a", "status", "--short", "-p", "b"],
            &["--profile=", "status", "--short"],
            &["-p=prod", "status", "--short"],
            &["-qv", "token"],
            &["-q", "-v", "token"],
            &["token", "--min-ttl", "forever"],
            &["token", "--short"],
            &["--short", "status"],
            &["status", "--short", "extra"],
            &["--version"],
            &["whoami"],
        ] {
            assert!(!agree(line), "{line:?} took the fast path");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let raw = OsString::from_vec(b"pr\xffod".to_vec());
            assert!(!agree_os(&[
                "status".into(),
                "--short".into(),
                "-p".into(),
                raw
            ]));
        }
    }

    /// Every vector of up to two words, then random ones of up to eight built around a
    /// subcommand, mostly of likely words with some of any. Counts show that both outcomes
    /// were exercised.
    #[test]
    fn generated_command_lines_parse_the_same_as_with_clap() {
        let mut accepted = 0;
        let mut total = 0;
        let mut check = |words: &[&str]| {
            total += 1;
            accepted += usize::from(agree(words));
        };
        check(&[]);
        for a in WORDS {
            check(&[a]);
            for b in WORDS {
                check(&[a, b]);
            }
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..50_000 {
            let word = |rng: &mut Rng| match rng.below(4) {
                0 => rng.pick(WORDS),
                _ => rng.pick(LIKELY),
            };
            let mut words = Vec::new();
            for _ in 0..rng.below(3) {
                words.push(word(&mut rng));
            }
            words.push(rng.pick(&["status", "token", "status", "token", "whoami"]));
            for _ in 0..rng.below(6) {
                words.push(word(&mut rng));
            }
            check(&words);
        }
        assert!(
            accepted > 2000,
            "only {accepted} of {total} took the fast path"
        );
        assert!(
            total - accepted > 20_000,
            "only {} of {total} went to clap",
            total - accepted
        );
    }
}
