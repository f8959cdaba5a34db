//! keycard's integration tests: one binary, so the suite links once.
//!
//! End-to-end tests run the real `keycard` binary against a real authorization server
//! (the npm package oidc-provider, started from tests/oidc) and a scripted user who
//! approves or denies the code through the provider's own pages.

mod completions;
mod config;
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
mod prompt;
mod provider_answers;
mod provider_errors;
mod provider_text;
mod providers;
mod qr;
mod refused;
mod secret_input;
mod secrets;
mod shared_files;
mod status;
mod support;
mod terminal;
mod tokens;
mod transport;
