//! Secrets in crontabs and dotfiles: which files each account has, read through the
//! root's cache and handed to the shared blob stage, with the account whose file it is
//! (or a system crontab's user field) as the owner hint.

use super::*;

/// Per-account files that commonly hold credentials, relative to the home directory.
const DOTFILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".profile",
    ".zshrc",
    ".netrc",
    ".pgpass",
    ".aws/credentials",
    ".git-credentials",
    ".docker/config.json",
];

impl RootScan<'_> {
    pub(super) fn scan_secret_files(&mut self, passwd: &[PasswdEntry], accts: &[Account<'_>]) {
        // (path, account whose file it is)
        let mut files: Vec<(String, Option<String>)> = Vec::new();
        for dir in [
            "/var/spool/cron/crontabs",
            "/var/spool/cron",
            "/var/spool/cron/tabs",
        ] {
            for name in self.list(dir) {
                files.push((join_rel(dir, &name), Some(name)));
            }
        }
        files.push(("/etc/crontab".into(), None));
        for name in self.list("/etc/cron.d") {
            files.push((join_rel("/etc/cron.d", &name), None));
        }
        files.push(("/etc/environment".into(), None));
        let mut homes_seen = BTreeSet::new();
        let root_home = accts
            .iter()
            .any(|a| a.is_root() && normalize_rel(&a.p.home) == "/root");
        let extra_root = (!root_home).then(|| ("/root".to_string(), "root".to_string()));
        for (home, user) in passwd
            .iter()
            .map(|p| (p.home.clone(), p.name.clone()))
            .chain(extra_root)
        {
            if home.trim().is_empty() {
                continue;
            }
            let home = normalize_rel(&home);
            if !homes_seen.insert(home.clone()) {
                continue;
            }
            for f in DOTFILES {
                files.push((join_rel(&home, f), Some(user.clone())));
            }
        }
        let mut seen = BTreeSet::new();
        // One NHI per (rule, secret) on this host, wherever it appears: the first file in
        // scan order holds the location, the others go to `other_locations`.
        let mut found = HostSecrets::default();
        for (path, owner) in files {
            // The run's deadline passed: the pipeline records what was not read.
            if self.ctx.limits.cancel.is_cancelled() {
                break;
            }
            let path = normalize_rel(&path);
            if !seen.insert(path.clone()) {
                continue;
            }
            self.scan_file(&path, owner.as_deref(), &mut found);
        }
        for n in found.items {
            self.sink.emit(n);
        }
    }

    pub(super) fn scan_file(&mut self, path: &str, owner: Option<&str>, found: &mut HostSecrets) {
        let bare = path.trim_start_matches('/');
        if self.ctx.allow_paths.is_allowed(path) || self.ctx.allow_paths.is_allowed(bare) {
            self.cov.skip("allowlisted");
            return;
        }
        let Some(data) = self.read(path) else {
            return;
        };
        // The blob stage the git connector uses: UTF-16 text decoded, binary content with
        // the specific rules, archives opened (entries located as `FILE!/ENTRY`).
        let limits = content::ArchiveLimits::new(self.ctx.limits.max_file_size);
        let scan = content::scan_blob(self.ctx.matcher, path, &data, limits);
        for r in &scan.skips {
            self.cov.skip(r);
        }
        for n in scan.notes {
            if !self.cov.notes.contains(&n) {
                self.cov.notes.push(n);
            }
        }
        for e in scan.errors {
            self.cov.error(format!("{}: {e}", self.connector));
        }
        let system_cron = path == "/etc/crontab" || path.starts_with("/etc/cron.d/");
        let is_user_crontab = path.starts_with("/var/spool/cron/");
        // Group repeated sightings of one secret in the file into one NHI.
        let mut groups: BTreeMap<(String, String), Vec<content::Hit>> = BTreeMap::new();
        let mut order: Vec<(String, String)> = Vec::new();
        for m in scan.hits {
            let key = (m.rule.id.clone(), m.sha256.clone());
            if !groups.contains_key(&key) {
                order.push(key.clone());
            }
            groups.entry(key).or_default().push(m);
        }
        for key in order {
            let Some(ms) = groups.remove(&key) else {
                continue;
            };
            let Some(first) = ms.first() else { continue };
            let rule = &first.rule;
            let locations = ms.iter().map(|m| Location {
                path: m
                    .entry
                    .as_ref()
                    .map_or_else(|| path.to_string(), |e| format!("{path}!/{e}")),
                line: m.line,
                in_head: true,
                ..Default::default()
            });
            if let Some(&i) = found.by_key.get(&key) {
                // Seen in an earlier file: one more place, and whoever this file gives it to.
                let n = &mut found.items[i];
                n.other_locations.extend(locations);
                for h in self.secret_hints(path, owner, &data, &ms, is_user_crontab, system_cron) {
                    if !n
                        .hints
                        .iter()
                        .any(|x| x.identifier == h.identifier && x.evidence == h.evidence)
                    {
                        n.hints.push(h);
                    }
                }
                continue;
            }
            let at = first
                .entry
                .as_ref()
                .map_or_else(|| path.to_string(), |e| format!("{path}!/{e}"));
            let resource = format!("{}:{at}:{}", self.host, first.line);
            let place = if is_user_crontab {
                format!("crontab of {}", owner.unwrap_or("?"))
            } else {
                at
            };
            let title = format!("{} in {place} on {}", rule.name, self.host);
            let mut n = Nhi::new(&self.connector, Kind::SecretOnHost, resource, title);
            n.rule = Some(rule.id.clone());
            n.secret = Some(first.secret.to_ref());
            let mut locations = locations;
            n.location = locations.next();
            n.other_locations = locations.collect();
            n.fingerprint_basis = Some(format!("{}\0{}", self.host, key.1));
            for m in &ms {
                for jk in m.join_key.iter().chain(&m.derived_keys) {
                    n.add_join(jk.clone());
                }
            }
            n.attributes.insert("file".into(), path.to_string());
            n.attributes
                .insert("credential".into(), rule.credential.clone());
            n.rule_severity = crate::model::rule_severity_cap(rule.severity.as_deref());
            n.attributes.insert("unlocks".into(), rule.unlocks.clone());
            if let Some(ok) = rule.checksum_ok(first.secret.expose()) {
                n.set_checksum(ok);
                if !ok {
                    n.title.push_str(crate::model::CHECKSUM_INVALID_NOTE);
                }
            }
            n.hints = self.secret_hints(path, owner, &data, &ms, is_user_crontab, system_cron);
            if let Some(u) = n
                .hints
                .first()
                .and_then(|h| h.identifier.strip_prefix("host:"))
            {
                n.attributes.insert("account".into(), u.to_string());
            }
            found.by_key.insert(key, found.items.len());
            found.items.push(n);
        }
    }

    /// Who can use a secret found in `path`: the account whose file it is, and for system
    /// crontabs the user each job line runs as.
    pub(super) fn secret_hints(
        &self,
        path: &str,
        owner: Option<&str>,
        data: &[u8],
        ms: &[content::Hit],
        is_user_crontab: bool,
        system_cron: bool,
    ) -> Vec<OwnerHint> {
        let Some(first) = ms.first() else {
            return Vec::new();
        };
        let mut users: Vec<(String, String)> = Vec::new();
        if let Some(o) = owner {
            let why = if is_user_crontab {
                format!(
                    "crontab of {o} ({path} line {}) holds this credential",
                    first.line
                )
            } else {
                format!(
                    "{path} line {} in {o}'s home holds this credential",
                    first.line
                )
            };
            users.push((o.to_string(), why));
        }
        if system_cron {
            // Lines of an archive entry are not the crontab's.
            for m in ms.iter().filter(|m| m.entry.is_none()) {
                if let Some(u) = system_cron_user(data, m.line) {
                    let why = format!("{path} line {} runs as {u} with this credential", m.line);
                    if !users.iter().any(|(x, _)| *x == u) {
                        users.push((u, why));
                    }
                }
            }
        }
        users
            .into_iter()
            .map(|(u, why)| {
                OwnerHint::new(
                    format!("host:{u}"),
                    Signal::Access,
                    Evidence::new("host:file", why),
                )
            })
            .collect()
    }
}

/// Secrets found so far on one root, by (rule id, secret hash).
#[derive(Default)]
pub(super) struct HostSecrets {
    items: Vec<Nhi>,
    by_key: HashMap<(String, String), usize>,
}

/// The user field of a system crontab job line (`m h dom mon dow user cmd` or
/// `@daily user cmd`), for the 1-based line `line`.
fn system_cron_user(data: &[u8], line: u64) -> Option<String> {
    let idx = usize::try_from(line.checked_sub(1)?).ok()?;
    let text = data.split(|b| *b == b'\n').nth(idx)?;
    let text = String::from_utf8_lossy(text);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let first = fields.first()?;
    if first.starts_with('#') || first.contains('=') {
        return None;
    }
    let user = if first.starts_with('@') {
        fields.get(1)?
    } else {
        fields.get(5)?
    };
    let valid = user
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    valid.then(|| user.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_cron_user_field() {
        let data = b"SHELL=/bin/sh\n*/5 * * * * backup /usr/bin/x --t=1\n@daily  ops /bin/y\n# c\n";
        assert_eq!(system_cron_user(data, 1), None);
        assert_eq!(system_cron_user(data, 2).as_deref(), Some("backup"));
        assert_eq!(system_cron_user(data, 3).as_deref(), Some("ops"));
        assert_eq!(system_cron_user(data, 4), None);
        assert_eq!(system_cron_user(data, 99), None);
        assert_eq!(system_cron_user(data, 0), None);
    }
}
