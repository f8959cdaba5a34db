//! keycard's integration tests: one binary, so the suite links once.
//!
//! End-to-end tests run the real `keycard` binary against a real authorization server
//! (the npm package oidc-provider, started from tests/oidc) and a scripted user who
//! approves or denies the code through the provider's own pages.
//!
//! The runner is tests/cli/harness.rs (`harness = false`): it reports a test whose tool
//! is missing as ignored, and fails it under CI.

mod harness;

mod completions;
mod config;
mod config_edit;
mod crash;
mod discovery;
mod docker_credential;
mod exec;
mod fake;
mod forgetting;
mod git_credential;
mod hostile_files;
mod kube;
mod login;
mod man;
mod polling;
mod profile_file;
mod prompt;
mod provider_answers;
mod provider_errors;
mod provider_text;
mod providers;
mod qr;
mod refused;
mod secret_input;
mod secrets;
mod session_end;
mod shared_files;
mod signin;
mod status;
mod suite;
mod support;
mod terminal;
mod tokens;
mod transport;

fn main() -> std::process::ExitCode {
    harness::main(&[
        completions::TESTS,
        config::TESTS,
        config_edit::TESTS,
        crash::TESTS,
        discovery::TESTS,
        docker_credential::TESTS,
        exec::TESTS,
        forgetting::TESTS,
        git_credential::TESTS,
        hostile_files::TESTS,
        kube::TESTS,
        login::TESTS,
        man::TESTS,
        polling::TESTS,
        profile_file::TESTS,
        prompt::TESTS,
        provider_answers::TESTS,
        provider_errors::TESTS,
        provider_text::TESTS,
        providers::TESTS,
        qr::TESTS,
        refused::TESTS,
        secret_input::TESTS,
        secrets::TESTS,
        session_end::TESTS,
        signin::TESTS,
        shared_files::TESTS,
        status::TESTS,
        suite::TESTS,
        terminal::TESTS,
        tokens::TESTS,
        transport::TESTS,
    ])
}
