//! The test runner: libtest's command line and output (through libtest-mimic), plus what
//! libtest cannot do: a test that finds a tool missing ends as *ignored* with the reason,
//! and counts in the summary line (`N passed; N failed; N ignored`), instead of passing
//! without having run. Under `CI` a missing tool fails the test instead: CI proves that
//! every test ran (.ci/run installs every tool).
//!
//! Each module lists its tests with `tests![...]`; a test function that is not listed is
//! never called, and the dead-code lint (`-D warnings` in clippy and CI) says so.

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;

/// One test: its name as libtest would print it (`module::function`) and its body.
pub struct Test {
    pub name: &'static str,
    pub run: fn(),
}

/// `tests![a, b]` in a module: `pub const TESTS`, the module's tests in order.
#[macro_export]
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        pub const TESTS: &[$crate::harness::Test] = &[$($crate::harness::Test {
            name: concat!(module_path!(), "::", stringify!($name)),
            run: $name,
        }),*];
    };
}

/// Tests are mostly waiting (on a provider's poll interval, a child process, a timeout),
/// not computing: run more of them at once than there are cores. `--test-threads` and
/// `RUST_TEST_THREADS` still decide when given.
const DEFAULT_THREADS: usize = 6;

pub fn main(modules: &[&[Test]]) -> ExitCode {
    let (filters, rest) = split_filters(std::env::args().collect());
    let mut args = Arguments::from_iter(rest);
    if args.test_threads.is_none() {
        args.test_threads = Some(
            std::env::var("RUST_TEST_THREADS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(DEFAULT_THREADS),
        );
    }
    install_panic_hook();
    // libtest-mimic takes one filter; libtest (and `cargo test -- a b`) any number.
    let matches = |name: &str| {
        filters.is_empty()
            || filters.iter().any(|f| {
                if args.exact {
                    name == f
                } else {
                    name.contains(f.as_str())
                }
            })
    };
    // `KEYCARD_TEST_TIMES=1`: each test's wall time on stderr, to find the slow ones.
    let times = std::env::var_os("KEYCARD_TEST_TIMES").is_some();
    let all: Vec<&Test> = modules.iter().flat_map(|tests| tests.iter()).collect();
    let chosen: Vec<&Test> = all
        .iter()
        .copied()
        .filter(|t| matches(t.name.strip_prefix("cli::").unwrap_or(t.name)))
        .collect();
    if chosen.len() < all.len() && !args.list {
        eprintln!("{} tests filtered out by name", all.len() - chosen.len());
    }
    let trials = chosen
        .into_iter()
        .map(|test| {
            let run = test.run;
            let name = test.name.strip_prefix("cli::").unwrap_or(test.name);
            Trial::ignorable_test(name, move || {
                let started = std::time::Instant::now();
                let result = outcome(run);
                if times {
                    eprintln!("{:>6.2}s {name}", started.elapsed().as_secs_f64());
                }
                result
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

/// The command line's test name filters (its positional arguments), and the rest.
fn split_filters(args: Vec<String>) -> (Vec<String>, Vec<String>) {
    const TAKES_VALUE: &[&str] = &[
        "--test-threads",
        "--logfile",
        "--skip",
        "--color",
        "--format",
        "-Z",
    ];
    let mut args = args.into_iter();
    let mut rest: Vec<String> = args.next().into_iter().collect();
    let mut filters = Vec::new();
    while let Some(arg) = args.next() {
        if TAKES_VALUE.contains(&arg.as_str()) {
            rest.push(arg);
            rest.extend(args.next());
        } else if arg.starts_with('-') {
            rest.push(arg);
        } else {
            filters.push(arg);
        }
    }
    (filters, rest)
}

/// Why a test did not run (the payload of its panic).
struct Skip(String);

thread_local! {
    /// The message and place of the last panic on this test's thread: the failure report.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// This thread's panics are reported by whoever catches them, not printed.
    static CAPTURED: RefCell<bool> = const { RefCell::new(false) };
}

fn outcome(run: fn()) -> Result<Completion, Failed> {
    match catch_panic(run) {
        Ok(()) => Ok(Completion::Completed),
        Err((payload, _)) if payload.is::<Skip>() => Ok(Completion::ignored_with(
            payload.downcast::<Skip>().map(|s| s.0).unwrap_or_default(),
        )),
        Err((_, report)) => Err(report.into()),
    }
}

/// Runs `f` on this thread; a panic comes back with its payload and its report (message
/// and place) instead of being printed.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, (Box<dyn std::any::Any + Send>, String)> {
    let was = CAPTURED.with(|c| c.replace(true));
    PANIC.with(|p| p.borrow_mut().take());
    let result = catch_unwind(AssertUnwindSafe(f));
    CAPTURED.with(|c| *c.borrow_mut() = was);
    result.map_err(|payload| {
        let report = PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "(a panic without a message)".into());
        (payload, report)
    })
}

/// A panic on a test's own thread becomes its failure report (printed with the other
/// failures at the end, not in the middle of the progress lines); a skip prints nothing.
/// Panics on other threads print as usual, unless caught with `catch_panic`.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !CAPTURED.with(|c| *c.borrow()) {
            return default(info);
        }
        if info.payload().is::<Skip>() {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("(a panic without a message)");
        let place = info
            .location()
            .map(|l| format!("\n  at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{place}")));
    }));
}

/// Whether this run is CI's, where a skipped test is a failure.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Ends the current test as skipped because of `reason` (what is missing and what to
/// install), or fails it under CI.
#[track_caller]
pub fn skip(reason: &str) -> ! {
    skip_or_fail(reason, under_ci())
}

#[track_caller]
pub fn skip_or_fail(reason: &str, ci: bool) -> ! {
    if ci {
        panic!("{reason}; under CI every test must run (.ci/run installs what the tests need)");
    }
    std::panic::panic_any(Skip(reason.to_string()))
}

/// Whether a panic's payload is a skip.
pub fn is_skip(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Skip>()
}

/// The path of `tool` on PATH; a test that needs it ends here, skipped, when it is missing.
#[track_caller]
pub fn require(tool: &str) -> PathBuf {
    match find(tool) {
        Some(path) => path,
        None => skip(&format!("needs {tool}, which is not installed")),
    }
}

/// `tool` on PATH, if it is there.
pub fn find(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
