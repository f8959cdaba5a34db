//! `login --qr`: the QR code on stderr is read back from keycard's output the way a phone
//! would, by a QR decoder (rqrr), and must say exactly the link the provider issued.

use crate::fake::{self, FakeServer};
use crate::support::*;
use serde_json::json;

/// Drops ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The text of the one QR code drawn in `stderr`: the lines made only of half blocks
/// (glyphs are light modules, blanks dark), scaled up to pixels and decoded.
fn decode(stderr: &str) -> String {
    let plain = strip_ansi(stderr);
    let rows: Vec<Vec<char>> = plain
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| l.starts_with('█') && l.chars().all(|c| "█▀▄ ".contains(c)))
        .map(|l| l.chars().collect())
        .collect();
    assert!(rows.len() > 10, "no QR code on stderr:\n{stderr}");
    let width = rows[0].len();
    assert!(rows.iter().all(|r| r.len() == width), "ragged QR code");
    let dark = |x: usize, y: usize| {
        let cell = rows[y / 2][x];
        let light = if y.is_multiple_of(2) {
            matches!(cell, '█' | '▀')
        } else {
            matches!(cell, '█' | '▄')
        };
        !light
    };
    const PIXELS: usize = 4;
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(
        width * PIXELS,
        rows.len() * 2 * PIXELS,
        |x, y| dark(x / PIXELS, y / PIXELS),
    );
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code expected:\n{stderr}");
    grids[0].decode().expect("the QR code decodes").1
}

fn no_blocks(text: &str) -> bool {
    !text.contains(['█', '▀', '▄'])
}

/// Signs in as alice with `login ARGS` (which must succeed); returns the complete link the
/// provider issued and the finished run.
fn sign_in(provider: &Provider, scratch: &Scratch, args: &[&str]) -> (String, Run) {
    let pending = scratch.start_login(args);
    let link = pending.device["verification_uri_complete"]
        .as_str()
        .unwrap()
        .to_string();
    act_as_user(&provider.issuer, &pending.user_code(), "alice", false);
    let run = pending.finish();
    run.expect(0);
    (link, run)
}

fn the_qr_code_decodes_to_the_providers_complete_link() {
    let provider = Provider::shared();
    let scratch = Scratch::new();
    provider.add_profile(&scratch, "p");

    // --json and --no-browser (start_login adds both): the code goes to stderr only.
    let (link, run) = sign_in(provider, &scratch, &["--profile", "p", "--qr"]);
    assert_eq!(decode(&run.stderr), link);
    assert!(no_blocks(&run.stdout), "{}", run.stdout);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    let qr_at = run.stderr.find("  █").unwrap();
    assert!(
        run.stderr.find(&link).unwrap() < qr_at,
        "the QR code comes after the links"
    );
    assert!(!run.stderr.contains('\x1b'), "no colour under NO_COLOR");

    // With colour, every line is pinned to light glyphs on a dark background.
    let (link, run) = sign_in(
        provider,
        &scratch,
        &["--profile", "p", "--qr", "--force", "--color", "always"],
    );
    assert_eq!(decode(&run.stderr), link);
    run.stderr_has("\x1b[38;5;231;48;5;16m█");

    // Without --qr, no code.
    let pending = scratch.start_login(&["--profile", "p", "--force"]);
    act_as_user(&provider.issuer, &pending.user_code(), "alice", false);
    let run = pending.finish();
    run.expect(0);
    assert!(no_blocks(&run.stderr), "{}", run.stderr);
}

fn without_a_complete_link_the_qr_code_holds_the_verification_uri() {
    let server = FakeServer::start(|req, _| match req.path.as_str() {
        "/device" => fake::json(
            200,
            json!({"device_code": "dc-1", "user_code": "ABCD-EFGH",
                   "verification_uri": "https://example.test/device", "interval": 1, "expires_in": 60}),
        ),
        _ => fake::json(
            200,
            json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}),
        ),
    });
    let scratch = Scratch::new();
    scratch.add_endpoint_profile("p", &server.url);
    let run = scratch.run(&["login", "--no-browser", "--qr", "--quiet"]);
    run.expect(0);
    assert_eq!(decode(&run.stderr), "https://example.test/device");
    assert_eq!(run.stdout, "");
}

crate::tests![
    the_qr_code_decodes_to_the_providers_complete_link,
    without_a_complete_link_the_qr_code_holds_the_verification_uri
];
