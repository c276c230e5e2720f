//! Scanning one root: accounts, admin rights, authorized keys and secrets in crontabs and
//! dotfiles, turned into NHI records with owner hints. Every read goes through
//! [`RootFs`], so nothing outside the root is touched, and nothing is ever written.
//!
//! Faults never abort the root: an unreadable file or a malformed line becomes a coverage
//! error naming the file (and line), and the scan goes on.

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

/// Groups whose members are administrators. `docker`, `lxd`, `libvirt` and `root` are
/// root-equivalent (a member can mount `/` into a container or VM it controls).
const ADMIN_GROUPS: &[&str] = &["sudo", "wheel", "admin", "docker", "root", "lxd", "libvirt"];
const ROOT_EQUIVALENT_GROUPS: &[&str] = &["docker", "root", "lxd", "libvirt"];

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

    fn emit_account(&mut self, a: &Account<'_>, tie_required: Option<&'static str>) {
        let p = a.p;
        let admin = a.is_admin();
        let kind = if admin {
            Kind::HostAdmin
        } else {
            Kind::HostAccount
        };
        let resource = format!("{}:{}", self.host, p.name);
        let title = if p.uid == 0 {
            format!(
                "Root-equivalent account {} (uid 0) on {}",
                p.name, self.host
            )
        } else if admin {
            format!(
                "Local admin account {} on {} ({})",
                p.name,
                self.host,
                short_admin_reasons(a)
            )
        } else {
            format!("Local account {} on {}", p.name, self.host)
        };
        let mut n = Nhi::new(&self.connector, kind, resource, title);
        n.status = a.status();
        n.privileged = admin;
        let at = &mut n.attributes;
        at.insert("uid".into(), p.uid.to_string());
        at.insert("gid".into(), p.gid.to_string());
        at.insert("home".into(), p.home.clone());
        at.insert("shell".into(), p.shell.clone());
        at.insert(
            "groups".into(),
            a.groups
                .iter()
                .map(|(g, _)| g.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
        if admin {
            at.insert("admin_via".into(), a.admin_via.join("; "));
            at.insert("nopasswd".into(), a.nopasswd.to_string());
        }
        if !p.gecos.is_empty() {
            at.insert("gecos".into(), p.gecos.clone());
        }
        at.insert("authorized_keys".into(), a.keys.len().to_string());
        match a.shadow {
            Some(s) => {
                at.insert("password".into(), s.password.as_str().into());
                if let Some(d) = s.last_change.and_then(day_to_date) {
                    at.insert("password_changed".into(), d);
                }
                if let Some(d) = s.expire.filter(|d| *d >= 1).and_then(day_to_date) {
                    at.insert("account_expires".into(), d);
                }
            }
            None => {
                at.insert("password".into(), "unknown".into());
            }
        }

        let mut detail = format!(
            "local account {} (uid {}) in /etc/passwd line {} on {}",
            p.name, p.uid, p.line, self.host
        );
        if admin {
            detail.push_str(&format!("; admin via {}", a.admin_via.join("; ")));
            if a.nopasswd {
                detail.push_str(" (NOPASSWD)");
            }
        }
        let ev = Evidence::new("host:passwd", detail);
        n.hints.push(OwnerHint::new(
            format!("host:{}", p.name),
            Signal::Account,
            ev.clone(),
        ));
        n.hints
            .push(OwnerHint::new(p.name.clone(), Signal::Account, ev));
        if let Some(email) = accounts::gecos_email(&p.gecos) {
            let ev = Evidence::new(
                "host:passwd",
                format!("GECOS field of {} on {} names {email}", p.name, self.host),
            );
            n.hints.push(OwnerHint::new(email, Signal::Account, ev));
        }
        let display = accounts::gecos_name(&p.gecos);
        if !display.is_empty()
            && !display.contains('@')
            && !display.eq_ignore_ascii_case(&p.name)
            && display.chars().any(|c| c.is_alphabetic())
        {
            let ev = Evidence::new(
                "host:passwd",
                format!("GECOS name of {} on {} is \"{display}\"", p.name, self.host),
            );
            n.hints
                .push(OwnerHint::new(display.to_string(), Signal::Naming, ev));
        }
        for tok in name_tokens(&p.name) {
            let ev = Evidence::new(
                "host:passwd",
                format!(
                    "account name {} on {} contains \"{tok}\"",
                    p.name, self.host
                ),
            );
            n.hints.push(OwnerHint::new(tok, Signal::Naming, ev));
        }
        for (user, why) in &a.runas_by {
            n.hints.push(OwnerHint::new(
                format!("host:{user}"),
                Signal::Access,
                Evidence::new("host:sudoers", why.clone()),
            ));
        }
        n.tie_required = tie_required;
        self.sink.emit(n);
    }

    fn emit_key(&mut self, a: &Account<'_>, file: &str, k: &AuthorizedKey) {
        let account = &a.p.name;
        let comment = printable(&k.comment, 100);
        let resource = format!("{}:{}#{}", self.host, account, k.fingerprint);
        let label = if comment.is_empty() {
            k.fingerprint.clone()
        } else {
            format!("\"{comment}\"")
        };
        let title = format!(
            "SSH key {label} ({}) grants login as {account} on {}",
            k.key_type, self.host
        );
        let mut n = Nhi::new(&self.connector, Kind::SshAuthorizedKey, resource, title);
        n.status = if a.expired {
            NhiStatus::Inactive
        } else {
            NhiStatus::Active
        };
        n.privileged = a.is_root() || a.is_admin();
        n.set_ssh_key(&k.fingerprint);
        let at = &mut n.attributes;
        at.insert("account".into(), account.clone());
        at.insert("key_type".into(), k.key_type.clone());
        at.insert("file".into(), file.to_string());
        at.insert("line".into(), k.line.to_string());
        if !comment.is_empty() {
            at.insert("comment".into(), comment.clone());
        }
        if !k.options.is_empty() {
            at.insert("options".into(), k.options.join(","));
        }
        if let Some(from) = &k.from {
            at.insert("from".into(), printable(from, 200));
        }
        if k.forced_command {
            at.insert("forced_command".into(), "true".into());
        }
        if k.cert_authority {
            at.insert("cert_authority".into(), "true".into());
        }
        if n.privileged {
            at.insert(
                "account_admin_via".into(),
                if a.is_root() {
                    "root".into()
                } else {
                    a.admin_via.join("; ")
                },
            );
        }
        let grants = format!(
            "{file} line {} grants login as {account} on {}",
            k.line, self.host
        );
        // The same key listed again (another line or file) may carry another comment.
        let sightings = std::iter::once((file, k)).chain(
            a.dup_keys
                .iter()
                .filter(|(_, d)| d.fingerprint == k.fingerprint)
                .map(|(f, d)| (f.as_str(), d)),
        );
        for (f, line_key) in sightings {
            let c = printable(&line_key.comment, 100);
            for id in keys::comment_identifiers(&line_key.comment) {
                let ev = Evidence::new(
                    "host:authorized_keys",
                    format!(
                        "key comment {c} in {f} line {} grants login as {account} on {}",
                        line_key.line, self.host
                    ),
                );
                if !n
                    .hints
                    .iter()
                    .any(|h| h.identifier == id && h.evidence == ev)
                {
                    n.hints.push(OwnerHint::new(id, Signal::KeyComment, ev));
                }
            }
        }
        // A person's own authorized_keys is their declared set of keys: only they (and
        // root) edit it, so the account holder owns the key. A uid-0 account's holder is
        // nobody in particular, so there it is access only.
        let home = normalize_rel(&a.p.home);
        let in_own_home = home != "/" && file.starts_with(&format!("{home}/"));
        let (signal, detail) = if a.p.uid == 0 || !in_own_home {
            // Outside the home (a central `/etc/ssh/authorized_keys/%u`): root manages it.
            (Signal::Access, format!("key {} in {grants}", k.fingerprint))
        } else {
            let d = format!(
                "key {} is in {account}'s own {file} line {} on {}, which the account holder manages",
                k.fingerprint, k.line, self.host
            );
            (Signal::OwnerTag, d)
        };
        let ev = Evidence::new("host:authorized_keys", detail);
        n.hints
            .push(OwnerHint::new(format!("host:{account}"), signal, ev));
        self.sink.emit(n);
    }

    fn scan_secret_files(&mut self, passwd: &[PasswdEntry], accts: &[Account<'_>]) {
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

    fn scan_file(&mut self, path: &str, owner: Option<&str>, found: &mut HostSecrets) {
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
    fn secret_hints(
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
struct HostSecrets {
    items: Vec<Nhi>,
    by_key: HashMap<(String, String), usize>,
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

/// Users a sudoers grant lets run commands as a specific other account
/// (`alice ALL=(svc-deploy) ALL`), recorded on that account. `ALL` and `root` targets
/// are admin rights, which the grantee's own account already reports.
fn runas_access(accts: &mut [Account<'_>], sudo: &Sudoers) {
    for grant in &sudo.grants {
        let Some(runas) = grant.runas.as_deref() else {
            continue;
        };
        let users_part = runas.split(':').next().unwrap_or("");
        let targets: Vec<&str> = users_part
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.starts_with('!') && *t != "ALL" && *t != "root")
            .collect();
        if targets.is_empty() {
            continue;
        }
        let grantees: Vec<String> = accts
            .iter()
            .filter(|g| grant.matches(&g.p.name, g.p.uid, &g.groups))
            .map(|g| g.p.name.clone())
            .collect();
        for a in accts.iter_mut() {
            if !targets.contains(&a.p.name.as_str()) {
                continue;
            }
            for u in grantees.iter().filter(|u| **u != a.p.name) {
                let why = format!(
                    "sudoers {} line {} lets {u} run commands as {} ({})",
                    grant.file, grant.line, a.p.name, grant.commands
                );
                if !a.runas_by.iter().any(|(x, _)| x == u) {
                    a.runas_by.push((u.clone(), why));
                }
            }
        }
    }
}

fn admin_rights(a: &mut Account<'_>, sudo: &Sudoers) {
    if a.p.uid == 0 {
        a.admin_via.push("uid 0".into());
        a.strong_admin = true;
    }
    for (g, _) in &a.groups {
        // `adm` only reads logs (Debian/Ubuntu give it to the first user and to syslog):
        // it shows in `groups`, but it does not make a host_admin.
        if ADMIN_GROUPS.contains(&g.as_str()) && g != "adm" {
            if ROOT_EQUIVALENT_GROUPS.contains(&g.as_str()) {
                a.admin_via.push(format!("group {g} (root-equivalent)"));
            } else {
                a.admin_via.push(format!("group {g}"));
            }
            a.strong_admin = true;
        }
    }
    for grant in &sudo.grants {
        if grant.matches(&a.p.name, a.p.uid, &a.groups) {
            let via = describe_grant(grant, &a.p.name, &a.groups);
            a.admin_via.push(via);
            a.strong_admin = true;
            a.nopasswd |= grant.nopasswd;
        }
    }
}

/// `sudoers /etc/sudoers line 50 (%sudo): (ALL:ALL) ALL`: which file and line, and the
/// group it came through when the user is not named directly.
fn describe_grant(g: &SudoGrant, user: &str, groups: &[(String, u32)]) -> String {
    let named = g
        .users
        .iter()
        .any(|(neg, p)| !neg && matches!(p, sudoers::Principal::User(u) if u == user));
    let via_group = if named {
        None
    } else {
        g.groups().find(|grp| groups.iter().any(|(n, _)| n == grp))
    };
    let mut s = format!("sudoers {} line {}", g.file, g.line);
    if let Some(grp) = via_group {
        s.push_str(&format!(" (%{grp})"));
    }
    s.push_str(": ");
    if let Some(r) = &g.runas {
        s.push_str(&format!("({r}) "));
    }
    if g.nopasswd {
        s.push_str("NOPASSWD: ");
    }
    s.push_str(&g.commands);
    if g.not_included {
        s.push_str(" [file not included by /etc/sudoers]");
    }
    s
}

/// `group wheel, sudoers NOPASSWD`: the kinds of admin rights, for titles.
fn short_admin_reasons(a: &Account<'_>) -> String {
    let mut out: Vec<String> = Vec::new();
    for via in &a.admin_via {
        let short = if via.starts_with("sudoers") {
            if a.nopasswd {
                "sudoers NOPASSWD".to_string()
            } else {
                "sudoers".to_string()
            }
        } else {
            via.clone()
        };
        if !out.contains(&short) {
            out.push(short);
        }
    }
    out.join(", ")
}

fn day_to_date(days: i64) -> Option<String> {
    let secs = days.checked_mul(86_400)?;
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.format("%Y-%m-%d").to_string())
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

    #[test]
    fn day_to_date_formats() {
        assert_eq!(day_to_date(19_000).as_deref(), Some("2022-01-08"));
        assert_eq!(day_to_date(i64::MAX), None);
    }
}
