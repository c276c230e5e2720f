//! `nhiscan report`.

use super::Global;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ReportArgs {}

pub fn run(g: &Global, a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let _ = (g, a);
    unimplemented!("report")
}
