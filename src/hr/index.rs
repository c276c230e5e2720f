//! The directory's lookup index: immutable hash maps from every normalised identifier to the
//! people who go by it, built once when the roster is loaded. Lookups are a handful of hash
//! probes and never scan the roster, so the directory can be shared across threads (`Sync`)
//! and queried for every hint of every NHI.

use super::ident::{derived_usernames, name_keys, parse_identifier, Ident, EMPLOYEE_NAMESPACES};
use super::{IdMatch, MatchBasis, MatchStrength, Person};
use std::collections::HashMap;
use std::fmt;

/// One person an index key points at.
#[derive(Debug, Clone)]
struct Entry {
    person: usize,
    /// The person's identifier that produced this key (normalised), for evidence.
    via: String,
    strength: MatchStrength,
    basis: MatchBasis,
}

type Map = HashMap<String, Vec<Entry>>;

#[derive(Default)]
pub(super) struct Index {
    /// How many people the index was built from, to detect a stale index.
    pub(super) len: usize,
    /// Primary and alias emails (strong).
    emails: Map,
    /// Listed namespaced aliases by `ns:value` (strong).
    namespaced: Map,
    /// Listed namespaced aliases by value alone, for bare and cross-namespace lookups.
    ns_values: Map,
    /// Listed bare usernames (strong).
    users: Map,
    /// Employee ids, lowercase (strong; `find` and `employee_id:` lookups only).
    employee_ids: Map,
    /// Usernames derived from email local parts (weak).
    derived: Map,
    /// Display names (weak, except a synthetic person's given identifiers).
    names: Map,
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The maps are large and repeat the roster; counts are what a debug print needs.
        f.debug_struct("Index")
            .field("people", &self.len)
            .field("emails", &self.emails.len())
            .field("namespaced", &self.namespaced.len())
            .field("users", &self.users.len())
            .field("derived", &self.derived.len())
            .field("names", &self.names.len())
            .finish()
    }
}

fn push(map: &mut Map, key: &str, entry: Entry) {
    let list = map.entry(key.to_string()).or_default();
    if !list
        .iter()
        .any(|e| e.person == entry.person && e.strength >= entry.strength)
    {
        list.retain(|e| e.person != entry.person);
        list.push(entry);
    }
}

impl Index {
    pub(super) fn build(people: &[Person]) -> Index {
        let mut idx = Index {
            len: people.len(),
            ..Index::default()
        };
        for (i, p) in people.iter().enumerate() {
            idx.add_person(i, p);
        }
        idx
    }

    fn add_person(&mut self, i: usize, p: &Person) {
        // A person made from the command line has no roster row: everything the user typed
        // is a listed identifier, even a display name.
        let synthetic = p.source.is_empty();
        let id = p.employee_id.trim().to_lowercase();
        if !id.is_empty() {
            let e = Entry {
                person: i,
                via: id.clone(),
                strength: MatchStrength::Strong,
                basis: MatchBasis::EmployeeId,
            };
            push(&mut self.employee_ids, &id, e);
        }
        self.add_listed(i, &p.email, true, synthetic);
        for a in &p.aliases {
            self.add_listed(i, a, false, synthetic);
        }
        if let Some(name) = &p.name {
            for key in name_keys(name) {
                let e = Entry {
                    person: i,
                    via: key.clone(),
                    strength: MatchStrength::Weak,
                    basis: MatchBasis::DisplayName,
                };
                push(&mut self.names, &key, e);
            }
        }
    }

    fn add_listed(&mut self, i: usize, raw: &str, primary: bool, synthetic: bool) {
        let Some(ident) = parse_identifier(raw) else {
            return;
        };
        let via = ident.to_string();
        let strong = |basis| Entry {
            person: i,
            via: via.clone(),
            strength: MatchStrength::Strong,
            basis,
        };
        match &ident {
            Ident::Email(e) => {
                let basis = if primary {
                    MatchBasis::Email
                } else {
                    MatchBasis::AliasEmail
                };
                push(&mut self.emails, e, strong(basis));
                self.add_derived(i, e);
            }
            Ident::Namespaced { ns, value } => {
                if EMPLOYEE_NAMESPACES.contains(&ns.as_str()) {
                    push(
                        &mut self.employee_ids,
                        value,
                        strong(MatchBasis::EmployeeId),
                    );
                    return;
                }
                push(&mut self.namespaced, &via, strong(MatchBasis::Alias));
                push(&mut self.ns_values, value, strong(MatchBasis::Alias));
                if value.contains('@') {
                    // `google:alice@acme.example` names an email too.
                    push(&mut self.emails, value, strong(MatchBasis::AliasEmail));
                    self.add_derived(i, value);
                }
            }
            Ident::User(u) => push(&mut self.users, u, strong(MatchBasis::Alias)),
            Ident::Name(n) => {
                // A listed display name is still only a name: names are not unique.
                let strength = if synthetic {
                    MatchStrength::Strong
                } else {
                    MatchStrength::Weak
                };
                for key in name_keys(n) {
                    let e = Entry {
                        person: i,
                        via: key.clone(),
                        strength,
                        basis: MatchBasis::DisplayName,
                    };
                    push(&mut self.names, &key, e);
                }
            }
        }
    }

    fn add_derived(&mut self, i: usize, email: &str) {
        for u in derived_usernames(email) {
            let e = Entry {
                person: i,
                via: email.to_string(),
                strength: MatchStrength::Weak,
                basis: MatchBasis::DerivedUsername,
            };
            push(&mut self.derived, &u, e);
        }
    }

    /// Every person `raw` could be, one entry per person with its strongest match; when any
    /// match is strong, weak ones are dropped (a listed identifier outranks a guess, and a
    /// guess must not make a listed match look ambiguous). Sorted by person index.
    pub(super) fn lookup(&self, raw: &str) -> Vec<(IdMatch, MatchBasis)> {
        let mut acc = Acc::default();
        let Some(ident) = parse_identifier(raw) else {
            return Vec::new();
        };
        match &ident {
            Ident::Email(e) => {
                acc.take(self.emails.get(e), None);
                if let Some(local) = ident.username() {
                    self.weak_username(&mut acc, local, MatchBasis::LocalPart);
                }
            }
            Ident::Namespaced { ns, value } => {
                if EMPLOYEE_NAMESPACES.contains(&ns.as_str()) {
                    acc.take(self.employee_ids.get(value), None);
                    return acc.finish();
                }
                acc.take(self.namespaced.get(&ident.to_string()), None);
                // `aws:alice` vs a bare listed alias `alice`: the alias says "alice everywhere".
                acc.take(self.users.get(value), None);
                if let Some(Ident::Email(e)) = parse_identifier(value) {
                    acc.take(self.emails.get(&e), None);
                    if let Some((local, _)) = e.rsplit_once('@') {
                        self.weak_username(&mut acc, local, MatchBasis::LocalPart);
                    }
                } else {
                    // Same value in another namespace (`aws:alice` vs `github:alice`): people
                    // often reuse a login, but it is a guess.
                    if let Some(list) = self.ns_values.get(value) {
                        let prefix = format!("{ns}:");
                        for e in list.iter().filter(|e| !e.via.starts_with(&prefix)) {
                            acc.add(e, Some((MatchStrength::Weak, MatchBasis::OtherNamespace)));
                        }
                    }
                    acc.take(self.derived.get(value), None);
                }
            }
            Ident::User(u) => {
                acc.take(self.users.get(u), None);
                acc.take(self.ns_values.get(u), None);
                acc.take(self.derived.get(u), None);
                // HR's own key (`owner = E1042` on a tag, a creator field): exact. Only
                // ids with a digit, so a word never meets an id that happens to be one.
                if u.bytes().any(|b| b.is_ascii_digit()) {
                    acc.take(self.employee_ids.get(u), None);
                }
            }
            Ident::Name(n) => acc.take(self.names.get(n), None),
        }
        acc.finish()
    }

    /// A username taken from an email's local part: any hit is weak.
    fn weak_username(&self, acc: &mut Acc, local: &str, basis: MatchBasis) {
        let weak = Some((MatchStrength::Weak, basis));
        acc.take(self.users.get(local), weak);
        acc.take(self.ns_values.get(local), weak);
        acc.take(self.derived.get(local), weak);
    }

    /// Strong matches plus employee ids: what a command-line PERSON may name.
    pub(super) fn find_all(&self, query: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .lookup(query)
            .into_iter()
            .filter(|(m, _)| m.strength == MatchStrength::Strong)
            .map(|(m, _)| m.person)
            .collect();
        let id = query.trim().to_lowercase();
        if let Some(list) = self.employee_ids.get(&id) {
            out.extend(list.iter().map(|e| e.person));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[derive(Default)]
struct Acc {
    found: Vec<(IdMatch, MatchBasis)>,
}

impl Acc {
    fn take(&mut self, list: Option<&Vec<Entry>>, cap: Option<(MatchStrength, MatchBasis)>) {
        for e in list.into_iter().flatten() {
            self.add(e, cap);
        }
    }

    /// `cap` replaces the entry's strength and basis (to demote a listed alias reached only
    /// through a guess); the strength never rises above the entry's own.
    fn add(&mut self, e: &Entry, cap: Option<(MatchStrength, MatchBasis)>) {
        let (strength, basis) = match cap {
            Some((s, b)) => (s.min(e.strength), b),
            None => (e.strength, e.basis),
        };
        if let Some(existing) = self.found.iter_mut().find(|(m, _)| m.person == e.person) {
            if strength > existing.0.strength {
                *existing = (
                    IdMatch {
                        person: e.person,
                        strength,
                        via: e.via.clone(),
                    },
                    basis,
                );
            }
            return;
        }
        self.found.push((
            IdMatch {
                person: e.person,
                strength,
                via: e.via.clone(),
            },
            basis,
        ));
    }

    fn finish(mut self) -> Vec<(IdMatch, MatchBasis)> {
        if self
            .found
            .iter()
            .any(|(m, _)| m.strength == MatchStrength::Strong)
        {
            self.found
                .retain(|(m, _)| m.strength == MatchStrength::Strong);
        }
        self.found.sort_by_key(|(m, _)| m.person);
        self.found
    }
}
