//! `nhiscan sweep`: inventory every NHI the connectors can see and report those whose
//! owner is not active (left, unknown, or never in HR). Needs a roster.

use super::{setup, usage, Global};
use crate::pipeline::Mode;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Also list the NHIs whose only tie is one weak signal to an active person (severity
    /// info, each naming the person to confirm); without it the summary counts them.
    #[arg(long)]
    pub unconfirmed: bool,
}

pub fn run(g: &Global, a: &SweepArgs) -> anyhow::Result<ExitCode> {
    let cfg = setup::load_config(g)?;
    let cfg = cfg.as_ref();
    let Some((directory, warnings)) = setup::load_directory(g, cfg)? else {
        return Err(usage(
            "sweep needs an HR roster to tell active owners from leavers: pass --hr FILE or set [hr] roster in nhiscan.toml",
        ));
    };
    let connectors = setup::connectors_or_default(g, cfg)?;
    let mut spec = setup::base_spec(g, cfg, Mode::Sweep, connectors, &[])?;
    spec.directory = Some(directory);
    spec.warnings = warnings;
    spec.unconfirmed = a.unconfirmed;
    setup::finish(g, spec)
}
