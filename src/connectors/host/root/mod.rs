//! Scanning one root: accounts, admin rights, authorized keys and secrets in crontabs and
//! dotfiles, turned into NHI records with owner hints. Every read goes through
//! [`RootFs`], so nothing outside the root is touched, and nothing is ever written.
//!
//! Faults never abort the root: an unreadable file or a malformed line becomes a coverage
//! error naming the file (and line), and the scan goes on.
//!
//! This file holds the walk (reading through the cache, the order of the passes, the
//! accounts); [`admin`] decides admin rights from groups and sudoers, [`emit`] turns
//! accounts and keys into records, and [`files`] scans crontabs and dotfiles through the
//! shared blob stage.

mod admin;
mod emit;
mod files;

use admin::{admin_rights, runas_access};

use super::accounts::{self, PasswdEntry, PasswordState, ShadowEntry};
use super::fs::{join_rel, normalize_rel, ReadError, RootFs};
use super::keys::{self, AuthorizedKey};
use super::sshd;
use super::sudoers::{self, SudoGrant, Sudoers};
use super::ConfigSource;
use crate::connectors::git::content;
use crate::connectors::{ScanContext, Sink};
use crate::model::{Coverage, Evidence, Kind, Location, Nhi, NhiStatus, OwnerHint, Signal};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// Small files read for metadata; anything bigger is not a hostname.
const HOSTNAME_MAX: u64 = 4096;

/// The connector name for a root that does not exist, or before its hostname is known.
pub fn fallback_name(root: &Path) -> String {
    root.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| "localhost".to_string())
}

/// The hostname of a root as it reads it (`etc/hostname`, else the kernel's hostname for
/// a live `/`, else the directory's name), before any disambiguation.
pub fn hostname_of(root: &Path) -> String {
    match std::fs::canonicalize(root) {
        Ok(real) if real.is_dir() => read_hostname(&RootFs::new(real.clone()), &real),
        _ => fallback_name(root),
    }
}

/// Scan one root and return its coverage entry. `host` is its unique name (the hostname,
/// or `hostname@dir` where several roots share one), used in the connector name and in
/// every resource.
pub fn scan_root(root: &Path, host: &str, ctx: &ScanContext<'_>, sink: &dyn Sink) -> Coverage {
    let meta = std::fs::metadata(root);
    let real_root = match meta {
        Ok(m) if m.is_dir() => match std::fs::canonicalize(root) {
            Ok(p) => p,
            Err(e) => return failed(root, host, &e.to_string()),
        },
        Ok(_) => return failed(root, host, "not a directory"),
        Err(e) => return failed(root, host, &io_reason(&e)),
    };
    let rfs = RootFs::new(real_root);
    let mut s = RootScan {
        rfs,
        host: host.to_string(),
        connector: format!("host:{host}"),
        cov: Coverage::new(format!("host:{host}")),
        ctx,
        sink,
        cache: HashMap::new(),
        keys_cache: HashMap::new(),
    };
    tracing::debug!(root = %root.display(), host = %host, "Scanning host root");
    s.run();
    s.cov
}

fn failed(root: &Path, host: &str, reason: &str) -> Coverage {
    let mut cov = Coverage::new(format!("host:{host}"));
    cov.fail(format!("host root {}: {reason}", root.display()));
    cov
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// `etc/hostname`, else (for a live `/`) the kernel's hostname, else the root's name.
fn read_hostname(rfs: &RootFs, real_root: &Path) -> String {
    let mut candidates = vec!["/etc/hostname"];
    if real_root == Path::new("/") {
        candidates.push("/proc/sys/kernel/hostname");
    }
    for c in candidates {
        if let Ok(bytes) = rfs.read(c, HOSTNAME_MAX) {
            let text = String::from_utf8_lossy(&bytes);
            let name = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'));
            if let Some(n) = name {
                if n.len() <= 253
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
                {
                    return n.to_string();
                }
            }
        }
    }
    fallback_name(real_root)
}

/// One account with everything known about it.
struct Account<'a> {
    p: &'a PasswdEntry,
    shadow: Option<&'a ShadowEntry>,
    groups: Vec<(String, u32)>,
    /// (file, key) for every distinct key that grants login as this account.
    keys: Vec<(String, AuthorizedKey)>,
    /// Later lines with a key already in `keys` (same fingerprint): their comments may
    /// name someone the first line did not.
    dup_keys: Vec<(String, AuthorizedKey)>,
    admin_via: Vec<String>,
    /// Real admin rights (uid 0, an admin group, a sudoers grant); `adm` membership,
    /// which only reads logs, is not one.
    strong_admin: bool,
    nopasswd: bool,
    expired: bool,
    /// (user, evidence) for each user a sudoers grant lets run commands as this account
    /// (`alice ALL=(svc-deploy) ALL`): they can act as it.
    runas_by: Vec<(String, String)>,
}

impl Account<'_> {
    fn is_root(&self) -> bool {
        self.p.name == "root" && self.p.uid == 0
    }
    fn is_admin(&self) -> bool {
        !self.admin_via.is_empty()
    }
    /// Worth reporting as an account: not `root` itself, and not a system account
    /// (uid below 1000 or a nologin shell) unless it has keys or real admin rights.
    fn reportable(&self) -> bool {
        if self.is_root() {
            return false;
        }
        let login_shell = !accounts::is_nologin_shell(&self.p.shell);
        self.p.uid == 0
            || !self.keys.is_empty()
            || self.strong_admin
            || (self.p.uid >= 1000 && self.p.uid != 65534 && login_shell)
    }
    fn status(&self) -> NhiStatus {
        if self.expired {
            return NhiStatus::Inactive;
        }
        if !self.keys.is_empty() {
            return NhiStatus::Active;
        }
        if self
            .shadow
            .is_some_and(|s| s.password == PasswordState::Locked)
        {
            return NhiStatus::Inactive;
        }
        if accounts::is_nologin_shell(&self.p.shell) {
            NhiStatus::Inactive
        } else {
            NhiStatus::Active
        }
    }
}

struct RootScan<'a> {
    rfs: RootFs,
    host: String,
    connector: String,
    cov: Coverage,
    ctx: &'a ScanContext<'a>,
    sink: &'a dyn Sink,
    /// Every file read once, by normalised root-relative path.
    cache: HashMap<String, Result<Arc<Vec<u8>>, Unread>>,
    /// Parsed authorized_keys files, so shared homes report malformed lines once.
    keys_cache: HashMap<String, Arc<Vec<AuthorizedKey>>>,
}

/// Why a file was not read (already recorded in coverage where it matters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unread {
    Absent,
    TooLarge,
    Failed,
}

impl<'a> RootScan<'a> {
    /// Read a file inside the root once, recording faults in coverage.
    fn read_outcome(&mut self, rel: &str) -> Result<Arc<Vec<u8>>, Unread> {
        let rel = normalize_rel(rel);
        if let Some(hit) = self.cache.get(&rel) {
            return hit.clone();
        }
        let out = match self.rfs.read(&rel, self.ctx.limits.max_file_size) {
            Ok(bytes) => {
                self.cov.items_scanned += 1;
                self.cov.bytes_scanned += bytes.len() as u64;
                self.ctx.progress.add_items(1);
                self.ctx.progress.add_bytes(bytes.len() as u64);
                Ok(Arc::new(bytes))
            }
            Err(ReadError::Missing) => Err(Unread::Absent),
            // Host files are account databases, sudoers, keys and crontabs: one not read
            // is a hole in the scan, so an error (partial), not just a count.
            Err(ReadError::TooLarge(n)) => {
                self.cov.skip("too_large");
                self.cov.error(format!(
                    "{}: {rel} over the size limit ({n} bytes, limit {} bytes): not read; \
                     raise --max-file-size or [scan] max_file_size",
                    self.connector, self.ctx.limits.max_file_size
                ));
                Err(Unread::TooLarge)
            }
            Err(ReadError::Io(e)) => {
                self.cov.error(format!(
                    "{}: cannot read {rel}: {}",
                    self.connector,
                    io_reason(&e)
                ));
                Err(Unread::Failed)
            }
        };
        self.cache.insert(rel, out.clone());
        out
    }

    /// The file's bytes, or `None` when it is absent, unreadable or too large.
    fn read(&mut self, rel: &str) -> Option<Arc<Vec<u8>>> {
        self.read_outcome(rel).ok()
    }

    fn read_text(&mut self, rel: &str) -> Option<String> {
        self.read(rel)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn list(&mut self, rel_dir: &str) -> Vec<String> {
        match self.rfs.list_files(rel_dir) {
            Ok(Some(v)) => v,
            Ok(None) => Vec::new(),
            Err(e) => {
                self.cov.error(format!(
                    "{}: cannot list {rel_dir}: {}",
                    self.connector,
                    io_reason(&e)
                ));
                Vec::new()
            }
        }
    }

    fn bad_line(&mut self, file: &str, line: u64, reason: &str) {
        self.cov.error(format!(
            "{}: {file}:{line}: skipped malformed line ({reason})",
            self.connector
        ));
    }

    fn run(&mut self) {
        // Accounts.
        let passwd = match self.read_outcome("/etc/passwd") {
            Ok(bytes) => {
                let (entries, bad) = accounts::parse_passwd(&String::from_utf8_lossy(&bytes));
                for b in bad {
                    self.bad_line("/etc/passwd", b.line, &b.reason);
                }
                entries
            }
            Err(why) => {
                // An unreadable passwd is already an error; an absent or oversized one
                // must be too, or a root with no account database would look clean.
                if why != Unread::Failed {
                    let what = if why == Unread::Absent {
                        "not found"
                    } else {
                        "over the size limit"
                    };
                    self.cov.error(format!(
                        "{}: /etc/passwd {what}: no accounts could be listed",
                        self.connector
                    ));
                }
                Vec::new()
            }
        };
        let groups = match self.read_text("/etc/group") {
            Some(t) => {
                let (entries, bad) = accounts::parse_group(&t);
                for b in bad {
                    self.bad_line("/etc/group", b.line, &b.reason);
                }
                entries
            }
            None => Vec::new(),
        };
        let shadow = match self.read_text("/etc/shadow") {
            Some(t) => {
                let (entries, bad) = accounts::parse_shadow(&t);
                for b in bad {
                    self.bad_line("/etc/shadow", b.line, &b.reason);
                }
                entries
            }
            None => Vec::new(),
        };
        let sudo = self.read_sudoers();
        for i in &sudo.issues {
            let msg = format!("{}: {}:{}: {}", self.connector, i.file, i.line, i.reason);
            self.cov.error(msg);
        }

        let sshd = sshd::SshdConfig::load(&mut ConfigSrc(self));
        for (file, line, reason) in &sshd.issues {
            let msg = format!("{}: {file}:{line}: {reason}", self.connector);
            self.cov.error(msg);
        }
        if sshd.keys_command {
            // Keys served by a program are out of reach of a file scan: counted, so the
            // coverage shows it, without failing every host that uses one.
            self.cov.skip("authorized_keys_command");
        }

        let members = accounts::memberships(&passwd, &groups);
        let gid_of: HashMap<&str, u32> = groups.iter().map(|g| (g.name.as_str(), g.gid)).collect();
        let shadow_by: HashMap<&str, &ShadowEntry> =
            shadow.iter().map(|s| (s.name.as_str(), s)).collect();
        let today = chrono::Utc::now().timestamp().div_euclid(86_400);

        // root's own keys even when passwd is missing or names another home.
        let mut synthetic_root = None;
        if !passwd.iter().any(|p| p.name == "root") {
            synthetic_root = Some(PasswdEntry {
                name: "root".into(),
                uid: 0,
                gid: 0,
                gecos: String::new(),
                home: "/root".into(),
                shell: "/bin/sh".into(),
                line: 0,
            });
        }
        let mut accts: Vec<Account<'_>> = Vec::new();
        for p in passwd.iter().chain(synthetic_root.iter()) {
            self.ctx.progress.add_items(1);
            let group_names = members.get(&p.name).cloned().unwrap_or_default();
            let groups: Vec<(String, u32)> = group_names
                .iter()
                .map(|g| {
                    (
                        g.clone(),
                        gid_of.get(g.as_str()).copied().unwrap_or(u32::MAX),
                    )
                })
                .collect();
            // `AuthorizedKeysFile` of sshd_config (default `.ssh/authorized_keys{,2}`).
            let mut homes = vec![p.home.clone()];
            if p.name == "root" && p.uid == 0 && normalize_rel(&p.home) != "/root" {
                homes.push("/root".into());
            }
            let mut key_files: Vec<String> = Vec::new();
            for t in sshd.key_file_templates(&p.name, &group_names) {
                for home in &homes {
                    if let Some(f) = sshd::expand(&t, &p.name, p.uid, home) {
                        let f = normalize_rel(&f);
                        if !key_files.contains(&f) {
                            key_files.push(f);
                        }
                    }
                }
            }
            let mut keys: Vec<(String, AuthorizedKey)> = Vec::new();
            let mut dup_keys: Vec<(String, AuthorizedKey)> = Vec::new();
            for f in key_files {
                let f = normalize_rel(&f);
                for k in self.authorized_keys(&f).iter() {
                    if keys
                        .iter()
                        .any(|(_, seen)| seen.fingerprint == k.fingerprint)
                    {
                        dup_keys.push((f.clone(), k.clone()));
                    } else {
                        keys.push((f.clone(), k.clone()));
                    }
                }
            }
            let sh = shadow_by.get(p.name.as_str()).copied();
            let expired = sh
                .and_then(|s| s.expire)
                .is_some_and(|d| d >= 1 && d <= today);
            let mut a = Account {
                p,
                shadow: sh,
                groups,
                keys,
                dup_keys,
                admin_via: Vec::new(),
                strong_admin: false,
                nopasswd: false,
                expired,
                runas_by: Vec::new(),
            };
            admin_rights(&mut a, &sudo);
            accts.push(a);
        }
        runas_access(&mut accts, &sudo);

        for a in &accts {
            if a.reportable() {
                self.emit_account(a, None);
            } else if !a.is_root() && (!name_tokens(&a.p.name).is_empty() || !a.runas_by.is_empty())
            {
                // A no-login service account named after someone (`svc-alice-backup`),
                // or one a sudoers grant lets someone act as, still runs jobs for people:
                // reported when something ties it to a person, counted (not called
                // orphaned) when nothing does.
                self.emit_account(a, Some("idle_system_account"));
            }
            for (file, k) in &a.keys {
                self.emit_key(a, file, k);
            }
        }

        self.scan_secret_files(&passwd, &accts);
    }

    /// `etc/sudoers` and what it includes, plus any `etc/sudoers.d` file it did not
    /// include: sudo would ignore those, but they state an intent to grant rights and a
    /// snapshot's main file may be missing, so they are reported (and marked).
    fn read_sudoers(&mut self) -> Sudoers {
        let host = self.host.clone();
        let main = sudoers::parse_tree(&mut ConfigSrc(self), "/etc/sudoers", &host);
        let main_read = self.cache.get("/etc/sudoers").is_some_and(|c| c.is_ok());
        let extra: Vec<String> = self
            .list("/etc/sudoers.d")
            .into_iter()
            .filter(|n| !sudoers::includedir_skips(n))
            .map(|n| join_rel("/etc/sudoers.d", &n))
            .filter(|f| !main.files.contains(f))
            .collect();
        if extra.is_empty() {
            return main;
        }
        // Parse everything again in one alias namespace; reads come from the cache.
        let mut all = vec!["/etc/sudoers".to_string()];
        all.extend(extra.iter().cloned());
        let mut combined = sudoers::parse_files(&mut ConfigSrc(self), &all, &host);
        if main_read {
            for g in &mut combined.grants {
                if extra.contains(&g.file) {
                    g.not_included = true;
                }
            }
        }
        combined
    }

    fn authorized_keys(&mut self, rel: &str) -> Arc<Vec<AuthorizedKey>> {
        if let Some(k) = self.keys_cache.get(rel) {
            return k.clone();
        }
        let parsed = match self.read_text(rel) {
            Some(t) => {
                let (keys, bad) = keys::parse_authorized_keys(&t);
                for b in bad {
                    self.bad_line(rel, b.line, &b.reason);
                }
                keys
            }
            None => Vec::new(),
        };
        let parsed = Arc::new(parsed);
        self.keys_cache.insert(rel.to_string(), parsed.clone());
        parsed
    }
}

/// Adapter so the sudoers and sshd_config parsers read through the scan's cache and fault
/// recording.
struct ConfigSrc<'s, 'a>(&'s mut RootScan<'a>);

impl ConfigSource for ConfigSrc<'_, '_> {
    fn read(&mut self, rel: &str) -> Option<String> {
        self.0.read_text(rel)
    }
    fn list(&mut self, rel_dir: &str) -> Vec<String> {
        self.0.list(rel_dir)
    }
}

/// Words of a service-like account name that could be a person's username
/// (`svc-alice-backup` → `alice`; `svc-chloe.young-backup` → `chloe`, `young`,
/// `chloe.young`; `svc-fgupta9-backup` → `fgupta9`, `fgupta`), by the one naming rule
/// every connector uses ([`crate::attribution::tokens_from_name`]). Only names with
/// separators are split: a bare `alice` is the account name itself, not a hint.
fn name_tokens(name: &str) -> Vec<String> {
    if !name.contains(['-', '_', '.']) {
        return Vec::new();
    }
    crate::attribution::tokens_from_name(name)
}

/// Control characters removed and length capped, for text we did not write (comments).
fn printable(s: &str, max: usize) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_tokens_pick_person_like_words() {
        assert_eq!(name_tokens("svc-alice-backup"), vec!["alice"]);
        assert_eq!(name_tokens("alice_ci"), vec!["alice"]);
        assert_eq!(name_tokens("jsmith2.deploy"), vec!["jsmith2", "jsmith"]);
        assert_eq!(
            name_tokens("svc-chloe.young-backup"),
            vec!["chloe", "young", "chloe.young", "chloeyoung"]
        );
        assert!(name_tokens("backupadm").is_empty());
        assert!(name_tokens("svc-ci").is_empty());
    }
}
