//! `nhiscan sweep`: inventory every NHI the connectors can see and report those whose
//! owner is not active (left, unknown, or never in HR). Needs a roster.

use super::{setup, usage, Global};
use crate::connectors::Mode;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SweepArgs {}

pub fn run(g: &Global, _a: &SweepArgs) -> anyhow::Result<ExitCode> {
    let cfg = setup::load_config(g)?;
    let cfg = cfg.as_ref();
    let Some((directory, warnings)) = setup::load_directory(g, cfg)? else {
        return Err(usage(
            "sweep needs an HR roster to tell active owners from leavers: pass --hr FILE or set [hr] roster in nhiscan.toml",
        ));
    };
    let connectors = setup::connectors_or_default(cfg)?;
    let mut spec = setup::base_spec(g, cfg, Mode::Sweep, connectors, &[])?;
    spec.directory = Some(directory);
    spec.warnings = warnings;
    setup::finish(g, spec)
}
