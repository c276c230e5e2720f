//! `nhiscan sweep`.

use super::Global;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SweepArgs {}

pub fn run(g: &Global, a: &SweepArgs) -> anyhow::Result<ExitCode> {
    let _ = (g, a);
    unimplemented!("sweep")
}
