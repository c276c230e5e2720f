//! `nhiscan diff`.

use super::Global;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct DiffArgs {}

pub fn run(g: &Global, a: &DiffArgs) -> anyhow::Result<ExitCode> {
    let _ = (g, a);
    unimplemented!("diff")
}
