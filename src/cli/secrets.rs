//! `nhiscan secrets`.

use super::Global;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SecretsArgs {}

pub fn run(g: &Global, a: &SecretsArgs) -> anyhow::Result<ExitCode> {
    let _ = (g, a);
    unimplemented!("secrets")
}
