//! Text from outside (a provider, a token, a server) made safe to print on a terminal.
//! A hostile server could otherwise send escape sequences (repaint the screen, set the
//! window title, plant an OSC 8 hyperlink, write the clipboard with OSC 52), fake lines,
//! or reorder what the user reads with bidirectional overrides. Everything a provider
//! or a token says passes through `one_line` before it reaches a terminal; JSON on
//! stdout passes through `escape_invisible`.

use std::borrow::Cow;

/// THE sanitizer: provider or token text made safe for one line of a terminal. Escape
/// sequences (CSI, OSC, DCS and the other string sequences, in their 7-bit `ESC x` and
/// 8-bit C1 forms) are removed whole, so no half of one is left to be read as text;
/// other C0 and C1 controls (line breaks and tabs included) become spaces; bidirectional
/// overrides, embeddings, isolates and marks and zero-width characters are removed;
/// runs of white space become one space. Clean text comes back borrowed, at the cost of
/// one scan: a prompt pays nothing more.
pub fn one_line(s: &str) -> Cow<'_, str> {
    let tidy = !s.chars().any(needs_cleaning)
        && !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s.contains("  ");
    if tidy {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    skip_csi(&mut chars);
                }
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    chars.next();
                    skip_string(&mut chars);
                }
                // Two-character sequences (`ESC c` resets the terminal, `ESC 7` saves
                // the cursor, ...): the second character goes too.
                Some(' '..='~') => {
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if is_invisible(c) => {}
            c if c.is_control() || c.is_whitespace() => push_space(&mut out),
            c => out.push(c),
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    Cow::Owned(out)
}

/// A line for stdout (JSON above all) with every character `one_line` would act on and
/// JSON encoders leave as they are (C1 controls, DEL, bidirectional and zero-width
/// characters, U+2028/2029) written as a JSON `\uXXXX` escape. In JSON those characters
/// can only occur inside strings, so the result is the same JSON value, valid, and
/// inert on a terminal. C0 controls are left alone: a JSON encoder already escapes them
/// inside strings, and outside them they are keycard's own (line breaks, the colours of
/// `status`); provider text in a plain line has been through `one_line` already.
pub fn escape_invisible(line: &str) -> Cow<'_, str> {
    let escape = |c: char| needs_cleaning(c) && c >= ' ';
    if !line.chars().any(escape) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        if escape(c) {
            // Every such character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A character `one_line` removes or replaces.
fn needs_cleaning(c: char) -> bool {
    c.is_control() || is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters that change what a terminal shows without showing themselves: the
/// bidirectional controls (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069) and
/// the zero-width ones (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+180E, U+00AD).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{180e}'
            | '\u{00ad}'
    )
}

fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

/// A CSI sequence after its introducer: parameters and intermediates up to the final
/// byte (`@` to `~`). Anything else ends it too, so a broken sequence cannot swallow
/// the text after it.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\u{20}'..='\u{3f}' => {
                chars.next();
            }
            '\u{40}'..='\u{7e}' => {
                chars.next();
                return;
            }
            _ => return,
        }
    }
}

/// An OSC, DCS, SOS, PM or APC string after its introducer, up to its terminator (BEL,
/// `ESC \` or the C1 ST). An unterminated one runs to the end: all of it is dropped.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One sample of every class the issue names, each inside ordinary text.
    pub const HOSTILE: &[(&str, &str)] = &[
        ("CSI", "a\u{1b}[2J\u{1b}[1;31mb"),
        ("C1 CSI", "a\u{9b}2Jb"),
        (
            "OSC 8 hyperlink",
            "a\u{1b}]8;;https://evil.example/\u{1b}\\b\u{1b}]8;;\u{7}",
        ),
        ("OSC 52 clipboard", "a\u{1b}]52;c;ZXZpbA==\u{7}b"),
        ("C1 OSC", "a\u{9d}0;title\u{9c}b"),
        ("DCS", "a\u{1b}Pq#0\u{1b}\\b"),
        ("two-char escape", "a\u{1b}cb"),
        ("C0", "a\u{7}\u{8}\u{0}b"),
        ("C1", "a\u{85}\u{8d}b"),
        ("DEL", "a\u{7f}b"),
        ("line break", "a\r\nb"),
        ("bidi override", "a\u{202e}b\u{202c}"),
        ("bidi isolate", "a\u{2066}b\u{2069}"),
        ("bidi mark", "a\u{200f}b"),
        ("zero width", "a\u{200b}\u{200d}\u{feff}b"),
    ];

    #[test]
    fn every_hostile_class_is_removed() {
        for (class, text) in HOSTILE {
            let clean = one_line(text);
            assert!(
                clean == "ab" || clean == "a b",
                "{class}: {text:?} became {clean:?}"
            );
        }
    }

    #[test]
    fn clean_text_is_borrowed_and_kept() {
        for text in ["alice@example.com", "Zoë Ångström", "ABCD-EFGH", "عربي"] {
            assert!(
                matches!(one_line(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
        assert_eq!(one_line("  two\n lines \t"), "two lines");
    }

    #[test]
    fn json_keeps_its_value_and_shows_no_control() {
        for (class, text) in HOSTILE {
            let json = serde_json::json!({ "claim": text }).to_string();
            let shown = escape_invisible(&json);
            assert!(!shown.chars().any(needs_cleaning), "{class}: {shown}");
            let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
            assert_eq!(back["claim"], *text, "{class}");
        }
    }

    proptest! {
        #![proptest_config(crate::property::config())]

        #[test]
        fn provider_text_comes_out_as_one_clean_line(text in "\\PC*|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a ]{0,12}") {
            let line = one_line(&text);
            prop_assert!(!line.chars().any(needs_cleaning), "{line:?}");
            prop_assert!(!line.contains("  ") && line.trim() == line, "{line:?}");
        }
    }
}
