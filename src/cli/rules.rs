//! `nhiscan rules`: load and lint the detection rules (`check`), or list them (`list`).
//!
//! Loading and the checks on rule files live in [`crate::rules`]; the example checks run
//! here, through the matcher, so that `rules` does not depend on `matcher` (which depends
//! on `rules`). Rule problems are the user's input errors, so `check` exits 2 when there
//! are any.

use super::Global;
use crate::rules::{check_set, load_for_lint, LintProblem, RuleSet};
use clap::{Args, Subcommand};
use std::path::PathBuf;
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

/// Everything `nhiscan rules check` checks: the rule-file checks of
/// [`crate::rules::check_set`], then, through the full matcher (prefilter included), that
/// every example yields a match of its rule and no negative example does.
pub fn lint(set: &RuleSet) -> Vec<LintProblem> {
    let (mut problems, runnable) = check_set(set);
    let matcher = match crate::matcher::Matcher::new(runnable) {
        Ok(m) => m,
        Err(e) => {
            problems.push(LintProblem {
                id: "-".into(),
                path: PathBuf::new(),
                message: e.to_string(),
            });
            return problems;
        }
    };
    for rule in matcher.rules() {
        let p = |message: String| LintProblem {
            id: rule.id.clone(),
            path: rule.origin.clone(),
            message,
        };
        for (i, ex) in rule.examples.iter().enumerate() {
            let hits = matcher.scan_all(ex.as_bytes());
            if !hits.iter().any(|m| m.rule.id == rule.id) {
                let by: Vec<&str> = hits.iter().map(|m| m.rule.id.as_str()).collect();
                let extra = if by.is_empty() {
                    String::new()
                } else {
                    format!(" (matched by {})", by.join(", "))
                };
                problems.push(p(format!("example {} does not match{extra}", i + 1)));
            }
        }
        for (i, ex) in rule.negative_examples.iter().enumerate() {
            if matcher
                .scan_all(ex.as_bytes())
                .iter()
                .any(|m| m.rule.id == rule.id)
            {
                problems.push(p(format!("negative example {} matches", i + 1)));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn builtin_rules_pass_lint() {
        let set = RuleSet::builtin().unwrap();
        let problems = lint(&set);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(problems.is_empty(), "{}", text.join("\n"));
    }

    #[test]
    fn lint_catches_missing_keyword_in_example_and_bad_negative() {
        let mut set = RuleSet::default();
        let text = "[[rule]]\nid = \"acme.x.tok.1\"\nname = \"t\"\npattern = 'tok_[A-Z]{4}'\n\
                    keywords = [\"zzz\"]\ncredential = \"t\"\nunlocks = \"acme\"\n\
                    examples = [\"tok_ABCD\"]\nnegative_examples = [\"zzz tok_WXYZ\"]\n";
        set.add_file_text(Path::new("u.toml"), text).unwrap();
        let problems = lint(&set);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("example 1 does not match"));
        assert!(problems[1].message.contains("negative example 1 matches"));
    }

    #[test]
    fn a_failed_checksum_does_not_stop_an_example_matching() {
        let mut set = RuleSet::default();
        let text = "[[rule]]\nid = \"acme.x.tok.1\"\nname = \"t\"\npattern = 'tok_[A-Z0-9]{10}'\n\
                    keywords = [\"tok_\"]\ncredential = \"t\"\nunlocks = \"acme\"\n\
                    examples = [\"tok_ABCDEFGH12\"]\nvalidate = \"github_crc32\"\n";
        set.add_file_text(Path::new("u.toml"), text).unwrap();
        assert!(lint(&set).is_empty(), "{:?}", lint(&set));
    }
}
