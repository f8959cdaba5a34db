//! `login --qr`: the sign-in link as a QR code for a phone's camera, drawn with Unicode
//! half blocks (one character cell holds two modules, one above the other, so the code
//! comes out square and small: 37 x 19 cells for a typical link).
//!
//! Light modules are the drawn glyphs and dark modules the blank cells. With colour, every
//! line is pinned to white glyphs on a black background from the 256-colour cube (themes
//! remap the 16 basic colours, not the cube), so phones see dark modules on light
//! around them on any terminal. Without colour (NO_COLOR, CI, not a terminal) the glyphs
//! take the terminal's own text colour: right on dark terminals, the common case (as
//! `qrencode -t UTF8` assumes), and a colour-inverted code on light ones, which phone
//! cameras also read.

use qrcode::{Color, EcLevel, QrCode};

/// The light margin the QR standard asks for: scanners find the code's edges by it.
const QUIET_ZONE: usize = 4;

const WHITE_ON_BLACK: &str = "\x1b[38;5;231;48;5;16m";
const RESET: &str = "\x1b[0m";

/// The lines of the drawing, or `None` when `text` does not fit in a QR code.
pub fn render(text: &str, colour: bool) -> Option<Vec<String>> {
    // Level L (7% recovery): a screen has no smudges to recover from, and the smaller
    // code gets larger modules in the same space, which cameras focus on more easily.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let width = code.width();
    let modules = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let light = |x: usize, y: usize| {
        let inside = QUIET_ZONE..QUIET_ZONE + width;
        if !inside.contains(&x) || !inside.contains(&y) {
            return true;
        }
        modules[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] == Color::Light
    };
    // An odd last row is paired with one more row of quiet zone.
    let lines = (0..size.div_ceil(2))
        .map(|row| {
            let cells: String = (0..size)
                .map(|x| match (light(x, 2 * row), light(x, 2 * row + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                })
                .collect();
            if colour {
                format!("{WHITE_ON_BLACK}{cells}{RESET}")
            } else {
                cells
            }
        })
        .collect();
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quiet_zone_is_light_and_the_finder_pattern_dark() {
        let lines = render("https://id.example.com/device?user_code=WDJB-MJHT", false).unwrap();
        let size = lines[0].chars().count();
        assert_eq!(size, lines.len() * 2 - 1, "square, padded by half a row");
        assert!(lines[..2].iter().all(|l| l.chars().all(|c| c == '█')));
        // Line 2 holds module rows 4 and 5: the finder pattern's dark top edge, over the
        // first row of its light ring between two dark modules.
        let row: Vec<char> = lines[2].chars().collect();
        assert_eq!(&row[..4], &['█'; 4]);
        assert_eq!(row[4], ' ');
        assert_eq!(&row[5..10], &['▄'; 5]);
        assert_eq!(row[10], ' ');
    }

    #[test]
    fn colour_pins_every_line_and_too_much_text_is_refused() {
        let lines = render("x", true).unwrap();
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with(WHITE_ON_BLACK) && l.ends_with(RESET))
        );
        assert!(render(&"x".repeat(3000), false).is_none());
    }
}
