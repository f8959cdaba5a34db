//! Ctrl-C: exit 130 at once, but never in the middle of writing a file.

use crate::exit::Code;
use crate::fsio::WRITE_GUARD;

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
        if let Some(signal) = signals.forever().next() {
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
