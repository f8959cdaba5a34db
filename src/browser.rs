//! Opening the verification page, only where a graphical browser can appear: never with
//! `--no-browser`, under CI, over SSH without a display, or when the only browser would
//! be a text one taking over this terminal (gh and aws both fell into that).

use crate::env::Env;

pub fn should_open(env: &Env, no_browser: bool) -> bool {
    if no_browser || env.ci || !env.stderr_tty {
        return false;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if let Ok(browser) = std::env::var("BROWSER")
        && is_text_browser(&browser)
    {
        return false;
    }
    if cfg!(target_os = "macos") || cfg!(windows) {
        // A remote shell there has no desktop to show a window on.
        return !set("SSH_CONNECTION") && !set("SSH_TTY");
    }
    // Linux and the BSDs: a browser needs a display, local or forwarded.
    set("DISPLAY") || set("WAYLAND_DISPLAY")
}

/// Opens `url`; returns false when no browser could be started. Only http(s) links are
/// handed to the system: the provider chose this URL, and a `file:` or custom scheme
/// could start something other than a browser.
pub fn open(url: &str) -> bool {
    if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        return false;
    }
    let mut options = webbrowser::BrowserOptions::new();
    options.with_suppress_output(true);
    webbrowser::open_browser_with_options(webbrowser::Browser::Default, url, &options).is_ok()
}

fn is_text_browser(browser: &str) -> bool {
    const TEXT: &[&str] = &[
        "lynx",
        "links",
        "links2",
        "elinks",
        "w3m",
        "www-browser",
        "browsh",
        "eww",
        "carbonyl",
    ];
    browser.split(':').any(|cmd| {
        let program = cmd.split_whitespace().next().unwrap_or("");
        let name = program.rsplit('/').next().unwrap_or(program);
        TEXT.contains(&name)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_text_browsers_in_browser_lists() {
        assert!(super::is_text_browser("/usr/bin/lynx"));
        assert!(super::is_text_browser("firefox:w3m %s"));
        assert!(!super::is_text_browser("firefox"));
    }
}
