//! `nhiscan leaver PERSON`: everything tied to one person who left (or is leaving).

use super::{setup, usage, Global};
use crate::hr::Directory;
use crate::pipeline::Mode;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct LeaverArgs {
    /// An email, an employee id, or any alias the HR roster lists.
    pub person: String,
    /// Another identifier the person goes by (username, other email, github:LOGIN, ...).
    /// Repeatable. Also lets a person who is not in the roster be scanned.
    #[arg(long = "alias", value_name = "ID")]
    pub aliases: Vec<String>,
    /// Also list the secrets the person could read only because they committed to the
    /// repository that holds them (exposure), as low-severity findings; without it the
    /// summary counts them. Config: `[scan] exposure = true`.
    #[arg(long)]
    pub exposure: bool,
}

pub fn run(g: &Global, a: &LeaverArgs) -> anyhow::Result<ExitCode> {
    let person = a.person.trim();
    if person.is_empty() {
        return Err(usage("PERSON must not be empty"));
    }
    let cfg = setup::load_config(g)?;
    let cfg = cfg.as_ref();
    let loaded = setup::load_directory(g, cfg)?;
    let (directory, subject, warnings) = match loaded {
        Some((mut dir, warnings)) => {
            let found = dir.find_all(person);
            match found.as_slice() {
                [one] => {
                    dir.add_aliases(*one, &a.aliases);
                    (dir, *one, warnings)
                }
                [] if a.aliases.is_empty() => {
                    return Err(usage(format!(
                        "{person} is not in the HR roster (searched emails, employee ids and aliases); check the spelling, or pass --alias ID to scan for this person's identifiers anyway"
                    )))
                }
                [] => {
                    // Not in HR but the caller vouches for the identifiers: scan for them,
                    // keeping the roster so that ambiguity with other people still shows.
                    let mut people = std::mem::take(&mut dir.people);
                    people.extend(Directory::from_identifiers(person, &a.aliases).people);
                    let idx = people.len() - 1;
                    (Directory::from_people(people), idx, warnings)
                }
                many => {
                    let who: Vec<String> = many
                        .iter()
                        .filter_map(|&i| dir.people.get(i).map(|p| format!("{} ({})", p.email, p.employee_id)))
                        .collect();
                    return Err(usage(format!(
                        "{person} is ambiguous in the HR roster: it matches {}; use the email or employee id",
                        who.join(", ")
                    )));
                }
            }
        }
        None => (
            Directory::from_identifiers(person, &a.aliases),
            0,
            Vec::new(),
        ),
    };
    let connectors = setup::connectors_or_default(g, cfg)?;
    let mut spec = setup::base_spec(g, cfg, Mode::Leaver, connectors, &[])?;
    spec.directory = Some(directory);
    spec.subject = Some(subject);
    spec.warnings = warnings;
    spec.exposure |= a.exposure;
    setup::finish(g, spec)
}
