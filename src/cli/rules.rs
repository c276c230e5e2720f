//! `nhiscan rules`.

use super::Global;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct RulesArgs {}

pub fn run(g: &Global, a: &RulesArgs) -> anyhow::Result<ExitCode> {
    let _ = (g, a);
    unimplemented!("rules")
}
