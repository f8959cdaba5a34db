//! Text from outside (a provider, a server) made safe to print on a terminal. A hostile
//! server could otherwise send escape sequences or fake lines; everything a provider
//! says passes through here before it reaches a terminal.

/// Provider text made safe for a terminal: one line, no control characters.
pub fn one_line(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // As `http::hostile::config`: no regression files in the source tree.
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn provider_text_comes_out_as_one_clean_line(text in "\\PC*|[\\x00-\\x1f\\x7f]{0,8}") {
            let line = one_line(&text);
            prop_assert!(!line.chars().any(char::is_control), "{line:?}");
        }
    }
}
