//! `keycard completions SHELL`: clap_complete's script for the shell, with profile names
//! completed from `keycard config list --names` where the shell's script can call a
//! command (bash, zsh, fish). PowerShell and elvish get the static script.

use crate::cli::Cli;
use crate::ui;
use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

pub fn run(shell: Shell) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "keycard", &mut script);
    let script = String::from_utf8(script).context("completion script is not UTF-8")?;
    ui::out(with_profile_names(shell, &script).trim_end())
}

/// Profile names, as each shell's script can ask for them at completion time. The config
/// dir and profile flags already on the line are not consulted: completion uses the
/// environment's (KEYCARD_CONFIG_DIR), which is what a user's shell has.
fn with_profile_names(shell: Shell, script: &str) -> String {
    match shell {
        // clap completes `--profile`'s value with file names; offer profiles instead, and
        // complete `config use|show|remove NAME` too.
        Shell::Bash => {
            let mut out = String::new();
            let mut in_profile_case = false;
            for line in script.lines() {
                let trimmed = line.trim();
                if trimmed == "--profile)" || trimmed == "-p)" {
                    in_profile_case = true;
                } else if in_profile_case && trimmed.starts_with("COMPREPLY=(") {
                    in_profile_case = false;
                    out.push_str(&line.replace(trimmed, BASH_PROFILE_NAMES));
                    out.push('\n');
                    continue;
                }
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(BASH_PROFILE_POSITIONALS);
            out
        }
        // The value of `-p`/`--profile` (not every `NAME`: `exec --env NAME` names a
        // variable), and the `name` positional of `config use|show|remove` (whose help
        // begins "Profile name"; `config add` names a new profile instead).
        Shell::Zsh => script
            .lines()
            .map(|line| {
                let spec = line.trim_start();
                let names = spec.starts_with("'-p+[")
                    || spec.starts_with("'--profile=[")
                    || spec.contains(":name -- Profile name");
                match line.rsplit_once(":_default'") {
                    Some((head, tail)) if names => {
                        format!("{head}:{ZSH_PROFILE_NAMES}'{tail}\n")
                    }
                    _ => format!("{line}\n"),
                }
            })
            .collect(),
        Shell::Fish => {
            let mut out = script.to_string();
            out.push_str(FISH_PROFILE_NAMES);
            out
        }
        _ => script.to_string(),
    }
}

const BASH_PROFILE_NAMES: &str =
    r#"COMPREPLY=($(compgen -W "$(keycard config list --names 2>/dev/null)" -- "${cur}"))"#;

const ZSH_PROFILE_NAMES: &str = "{compadd -- $(keycard config list --names 2>/dev/null)}";

/// Wraps clap's bash function so that the NAME positional of `config use|show|remove`
/// (and of `config use --here`) completes profile names.
const BASH_PROFILE_POSITIONALS: &str = r#"
_keycard_with_profiles() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    if [[ ${COMP_CWORD} -ge 3 && "${COMP_WORDS[COMP_CWORD-2]}" == config && ${cur} != -* ]]; then
        case "${COMP_WORDS[COMP_CWORD-1]}" in
            use|show|remove)
                COMPREPLY=($(compgen -W "$(keycard config list --names 2>/dev/null)" -- "${cur}"))
                return 0
                ;;
        esac
    fi
    # `config use --here NAME`
    if [[ ${COMP_CWORD} -ge 4 && "${COMP_WORDS[COMP_CWORD-3]}" == config && "${COMP_WORDS[COMP_CWORD-2]}" == use
          && "${COMP_WORDS[COMP_CWORD-1]}" == --here && ${cur} != -* ]]; then
        COMPREPLY=($(compgen -W "$(keycard config list --names 2>/dev/null)" -- "${cur}"))
        return 0
    fi
    _keycard "$@"
}
complete -F _keycard_with_profiles -o bashdefault -o default keycard
"#;

const FISH_PROFILE_NAMES: &str = r#"
complete -c keycard -s p -l profile -x -a "(keycard config list --names 2>/dev/null)"
complete -c keycard -n "__fish_seen_subcommand_from use show remove; and __fish_seen_subcommand_from config" -f -a "(keycard config list --names 2>/dev/null)"
"#;
