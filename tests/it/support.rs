//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The `nhiscan` binary under test.
pub fn nhiscan() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("nhiscan").expect("binary built");
    c.env_remove("GITHUB_TOKEN").env("NO_COLOR", "1");
    c
}

/// `tests/fixtures/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
