//! keycard's integration tests: one binary, so the suite links once.
//!
//! End-to-end tests run the real `keycard` binary against a real authorization server
//! (the npm package oidc-provider, started from tests/oidc) and a scripted user who
//! approves or denies the code through the provider's own pages.

mod completions;
mod config;
mod config_edit;
mod crash;
mod discovery;
mod docker_credential;
mod exec;
mod fake;
mod git_credential;
mod hostile_files;
mod kube;
mod login;
mod man;
mod polling;
mod profile_file;
mod prompt;
mod provider_errors;
mod providers;
mod qr;
mod refused;
mod secrets;
mod session_end;
mod signin;
mod status;
mod support;
mod terminal;
mod tokens;
mod transport;
