//! `nhiscan leaver`.

use super::Global;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct LeaverArgs {}

pub fn run(g: &Global, a: &LeaverArgs) -> anyhow::Result<ExitCode> {
    let _ = (g, a);
    unimplemented!("leaver")
}
