//! One function per command; this file only dispatches.

mod completions;
mod config;
mod config_edit;
mod docker_credential;
mod exec;
mod git_credential;
mod kube;
mod login;
mod logout;
mod status;
mod token;
mod whoami;

use crate::cli::Command;
use crate::env::Env;
use anyhow::Result;

pub fn run(command: Command, env: &Env) -> Result<()> {
    match command {
        Command::Login(args) => login::run(args, env),
        Command::Logout(args) => logout::run(args, env),
        Command::Status(args) => status::run(args, env),
        Command::Whoami => whoami::run(env),
        Command::Token(args) => token::run(args, env),
        Command::Config(cmd) => config::run(cmd, env),
        Command::Exec(args) => exec::run(args, env),
        Command::KubeCredential => kube::run(env),
        Command::Completions { shell } => completions::run(shell),
        Command::GitCredential { operation } => git_credential::run(&operation, env),
        Command::DockerCredential { operation } => docker_credential::run(operation, env),
    }
}
