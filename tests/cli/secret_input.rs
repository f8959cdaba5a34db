//! Issue 14 §4: a client secret never has to be on the command line, and a broken
//! config.toml is reported without quoting the secret in it.

use crate::support::*;

fn config_set_client_secret_dash_reads_standard_input() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    let mut cmd = scratch.keycard();
    cmd.args(["--profile", "p", "config", "set", "client_secret", "-"]);
    let run = run_with_input(cmd, "s3cr3t-from-stdin\n");
    run.expect(0);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    assert!(!run.stderr.contains("command line"), "{}", run.stderr);
    assert!(
        scratch
            .config_toml()
            .contains("client_secret = \"s3cr3t-from-stdin\""),
        "{}",
        scratch.config_toml()
    );
}

fn config_add_client_secret_dash_reads_a_file_on_standard_input() {
    let scratch = Scratch::new();
    let file = scratch.path().join("secret.txt");
    std::fs::write(&file, "s3cr3t-from-file\r\n").unwrap();
    let mut cmd = scratch.keycard();
    cmd.args([
        "config",
        "add",
        "p",
        "--issuer",
        "https://id.example.com",
        "--client-id",
        "cli",
        "--client-secret",
        "-",
    ]);
    cmd.stdin(std::fs::File::open(&file).unwrap());
    let run = Run::from(cmd.output().unwrap());
    run.expect(0);
    assert!(
        scratch
            .config_toml()
            .contains("client_secret = \"s3cr3t-from-file\"")
    );
}

fn a_secret_on_standard_input_must_be_one_line_and_is_never_echoed_in_errors() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    for input in ["", "\n", "s3cr3t\nsecond-line\n", "s3cr3t\u{1b}[2J"] {
        let mut cmd = scratch.keycard();
        cmd.args(["--profile", "p", "config", "set", "client_secret", "-"]);
        let run = run_with_input(cmd, input);
        run.expect(2);
        assert!(!run.stderr.contains("s3cr3t"), "{input:?}: {}", run.stderr);
        assert!(
            !scratch.config_toml().contains("client_secret"),
            "{input:?}"
        );
    }
}

fn a_secret_given_as_an_argument_draws_a_warning_with_the_way_out() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    let run = scratch.run(&[
        "--profile",
        "p",
        "config",
        "set",
        "client_secret",
        "s3cr3t-arg",
    ]);
    run.expect(0);
    run.stderr_has("keycard config set --profile p client_secret -");
    assert!(!run.stderr.contains("s3cr3t-arg"), "{}", run.stderr);
}

fn a_broken_config_toml_is_reported_without_quoting_a_secret() {
    let scratch = Scratch::new();
    scratch.add_profile("p", "https://id.example.com", "cli");
    let config = scratch.config_dir().join("config.toml");
    let good = std::fs::read_to_string(&config).unwrap();
    for line in [
        "client_secret = 918273645546372819",
        "client_secret = \"s3cr3t-value",
        "client_secret = s3cr3t-value",
        "client_auth = \"s3cr3t-value\"",
        "timeout = \"s3cr3t-value\"",
        "client_secret = [\"s3cr3t-value\"]",
        "s3cr3t-value",
    ] {
        std::fs::write(&config, format!("{good}{line}\n")).unwrap();
        let run = scratch.run(&["status"]);
        run.expect(1);
        run.stderr_has_in(line, "is not valid");
        assert!(
            !run.stderr.contains("s3cr3t") && !run.stderr.contains("918273645546372819"),
            "{line}: {}",
            run.stderr
        );
    }
}

crate::tests![
    config_set_client_secret_dash_reads_standard_input,
    config_add_client_secret_dash_reads_a_file_on_standard_input,
    a_secret_on_standard_input_must_be_one_line_and_is_never_echoed_in_errors,
    a_secret_given_as_an_argument_draws_a_warning_with_the_way_out,
    a_broken_config_toml_is_reported_without_quoting_a_secret,
];
