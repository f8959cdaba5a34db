//! Tests that hold the source to its own rules: modules import only from lower layers
//! (`LAYERS` in main.rs), and the exit codes `--help`, the man page and the README
//! document are those of `exit::Code`.

use crate::LAYERS;
use std::path::Path;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules `text` names with `crate::NAME`.
fn imports(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .map(|(at, lead)| {
            text[at + lead.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs");
        // The top layer: whatever it names is lower (and the text of these checks
        // would read as imports).
        if module == "main" || module == "checks" {
            continue;
        }
        let Some(own) = layer_of(module) else {
            wrong.push(format!("{module} is in no layer of LAYERS (src/main.rs)"));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains("crate::{"),
            "{}: name one module per `use crate::` so this check can read it",
            relative.display()
        );
        for import in imports(&text) {
            if import == module {
                continue;
            }
            match layer_of(&import) {
                Some(layer) if layer < own => {}
                Some(_) => wrong.push(format!(
                    "{} imports crate::{import}, which is not in a lower layer",
                    relative.display()
                )),
                None => wrong.push(format!("crate::{import} is in no layer of LAYERS")),
            }
        }
    }
    assert!(files.len() > 20, "found only {} sources", files.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_imports() {
    assert_eq!(
        imports("use crate::exit;\nlet x = crate::http::is(y);"),
        ["exit", "http"]
    );
}

/// `(codes, description)` for each entry of a documented exit-code list.
type Entries = Vec<(Vec<u8>, String)>;

fn numbers(text: &str) -> Vec<u8> {
    text.split('/')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// "Exit status: 0 success, 1 error, ..., 126/127 exec: ..., 130 interrupted." in `--help`.
fn help_entries() -> Entries {
    use clap::CommandFactory;
    let help = crate::cli::Cli::command().render_long_help().to_string();
    let start = help
        .find("Exit status:")
        .expect("--help has no \"Exit status:\"");
    let sentence = help[start + "Exit status:".len()..]
        .split(".\n")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    sentence
        .split(", ")
        .map(|entry| {
            let (codes, words) = entry.split_once(' ').unwrap_or((entry, ""));
            (numbers(codes), words.to_string())
        })
        .collect()
}

/// The text of `file` between its heading `heading` and the next `next_heading`.
fn section(file: &Path, heading: &str, next_heading: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let Some((_, after)) = text.split_once(heading) else {
        panic!("{} has no {heading:?}", file.display());
    };
    after.split(next_heading).next().unwrap().to_string()
}

/// The `.TP` / `\fBN\fR` entries of the EXIT STATUS section of man/keycard.1.
fn man_entries(root: &Path) -> Entries {
    section(&root.join("man/keycard.1"), ".SH \"EXIT STATUS\"", "\n.SH ")
        .split(".TP\n")
        .filter_map(|entry| {
            let entry = entry.strip_prefix("\\fB")?;
            let (codes, rest) = entry.split_once("\\fR")?;
            Some((numbers(codes), rest.to_string()))
        })
        .collect()
}

/// The rows of the table under "## Exit codes" in README.md.
fn readme_entries(root: &Path) -> Entries {
    section(&root.join("README.md"), "\n## Exit codes\n", "\n## ")
        .lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix('|')?.split('|');
            let codes = numbers(cells.next()?);
            (!codes.is_empty()).then(|| (codes, cells.next().unwrap_or("").to_string()))
        })
        .collect()
}

#[test]
fn documented_exit_codes_are_those_of_exit_rs() {
    use crate::exit::Code;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let want: Vec<u8> = Code::ALL.iter().map(|&c| c as u8).collect();
    for (doc, entries) in [
        ("keycard --help", help_entries()),
        ("man/keycard.1", man_entries(root)),
        ("README.md", readme_entries(root)),
    ] {
        let listed: Vec<u8> = entries
            .iter()
            .flat_map(|(codes, _)| codes.clone())
            .collect();
        assert_eq!(
            listed, want,
            "{doc} lists other exit codes than src/exit.rs"
        );
        for (codes, words) in &entries {
            for &number in codes {
                let code = Code::ALL.iter().find(|&&c| c as u8 == number).unwrap();
                assert!(
                    words.to_lowercase().contains(code.meaning()),
                    "{doc}: exit {number} is described as {words:?}, without {:?} (src/exit.rs)",
                    code.meaning()
                );
            }
        }
    }
}
