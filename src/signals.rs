//! Ctrl-C: exit 130 at once, but never in the middle of writing a file.

use crate::exit::Code;
use crate::fsio::WRITE_GUARD;
use std::sync::atomic::{AtomicBool, Ordering};

/// A child owns the terminal (an editor): Ctrl-C is the child's to handle (vi ignores
/// it), and keycard must not exit from under it.
static CHILD_OWNS_CTRL_C: AtomicBool = AtomicBool::new(false);

/// Runs `f`, which waits for a child on the terminal, with Ctrl-C left to the child.
pub fn while_child_runs<T>(f: impl FnOnce() -> T) -> T {
    CHILD_OWNS_CTRL_C.store(true, Ordering::SeqCst);
    let out = f();
    CHILD_OWNS_CTRL_C.store(false, Ordering::SeqCst);
    out
}

/// Starts the signal thread, once; later calls do nothing. Commands that usually write
/// nothing (`status`, `token` with a valid token) call it only before they write, so a
/// prompt's call pays for no thread.
#[cfg(unix)]
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(start);
}

#[cfg(unix)]
fn start() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return; // Without a handler the default action still stops keycard.
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if signal == SIGINT && CHILD_OWNS_CTRL_C.load(Ordering::SeqCst) {
                continue;
            }
            // Wait for a write in progress to finish its rename; then nothing is half-done.
            let _guard = WRITE_GUARD.lock();
            crate::echo::restore_terminal();
            eprintln!();
            let code = if signal == SIGINT {
                Code::Interrupted as i32
            } else {
                128 + signal
            };
            std::process::exit(code);
        }
    });
}

#[cfg(not(unix))]
pub fn install() {}
