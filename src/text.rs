//! Text from outside (a provider, a server) made safe to print on a terminal. A hostile
//! server could otherwise send escape sequences or fake lines; everything a provider
//! says passes through here before it reaches a terminal.

use std::borrow::Cow;

/// Provider text made safe for a terminal: one line, no control characters.
pub fn one_line(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text from a file, made safe for one line of a terminal or a prompt: each control
/// character becomes a space (an escape sequence in a claim must not repaint the
/// terminal); the rest is kept as it is.
pub fn without_controls(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::property::config())]

        #[test]
        fn provider_text_comes_out_as_one_clean_line(text in "\\PC*|[\\x00-\\x1f\\x7f]{0,8}") {
            let line = one_line(&text);
            prop_assert!(!line.chars().any(char::is_control), "{line:?}");
        }
    }
}
