//! `nhiscan rules`: load and lint the detection rules (`check`), or list them (`list`).
//!
//! Owns only presentation: loading and linting live in [`crate::rules`]. Rule problems
//! are the user's input errors, so `check` exits 2 when there are any.

use super::Global;
use crate::rules::{lint, load_for_lint, RuleSet};
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load the built-in rules plus `--rules DIR` and lint them: ids unique and well
    /// formed, patterns compile, keywords usable, every example matches (through the full
    /// matcher, prefilter included) and no negative example does. Exit 0 if all is well,
    /// 2 otherwise.
    Check,
    /// List the loaded rules: id, system, credential, name, file.
    List,
}

pub fn run(g: &Global, a: &RulesArgs) -> anyhow::Result<ExitCode> {
    let dir = g.rules.as_deref();
    match a.command {
        RulesCommand::Check => {
            let (set, mut problems) = load_for_lint(dir)?;
            problems.extend(lint(&set));
            if problems.is_empty() {
                if !g.quiet {
                    super::out(&format!("{} rules OK\n", set.rules.len()));
                }
                Ok(ExitCode::from(super::EXIT_CLEAN))
            } else {
                super::out(
                    &problems
                        .iter()
                        .map(|p| format!("{p}\n"))
                        .collect::<String>(),
                );
                eprintln!(
                    "nhiscan: {} problem(s) in {} rules",
                    problems.len(),
                    set.rules.len()
                );
                Ok(ExitCode::from(super::EXIT_USAGE))
            }
        }
        RulesCommand::List => {
            let set = RuleSet::load(dir)?;
            let mut text = String::new();
            for r in &set.rules {
                text.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    r.id,
                    r.unlocks,
                    r.credential,
                    r.name,
                    r.origin.display()
                ));
            }
            super::out(&text);
            Ok(ExitCode::from(super::EXIT_CLEAN))
        }
    }
}
