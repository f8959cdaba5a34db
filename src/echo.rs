//! The terminal's echo, turned off while a secret is typed and always turned back on:
//! when the reading is done, and when Ctrl-C ends keycard in the middle of it.

/// The terminal's echo, off until dropped (or until Ctrl-C: `restore_terminal`).
pub struct EchoOff;

#[cfg(unix)]
static SAVED: std::sync::Mutex<Option<libc::termios>> = std::sync::Mutex::new(None);

impl EchoOff {
    #[cfg(unix)]
    pub fn start() -> Option<EchoOff> {
        // SAFETY: termios is plain data; tcgetattr/tcsetattr only read and write it.
        unsafe {
            let mut term: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut term) != 0 {
                return None;
            }
            *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(term);
            let mut quiet = term;
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet);
        }
        Some(EchoOff)
    }

    #[cfg(not(unix))]
    pub fn start() -> Option<EchoOff> {
        None
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Puts the terminal back as it was before a secret was typed; the Ctrl-C handler
/// calls it too, so an interrupted prompt does not leave the shell without echo.
pub fn restore_terminal() {
    #[cfg(unix)]
    if let Some(term) = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take() {
        // SAFETY: restores the attributes tcgetattr returned.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &term);
        }
    }
}
