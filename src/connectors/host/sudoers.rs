//! `sudoers(5)`: enough of the grammar to answer "who can run what as root on this host".
//!
//! Handles `User_Alias`/`Runas_Alias`/`Host_Alias`/`Cmnd_Alias` (nested, negated), user
//! specs with several `host = commands` sections, `(runas)`, tags (`NOPASSWD:` ...),
//! `%group`/`#uid`/`%#gid` principals, `ALL`, `\` continuations, comments, and
//! `#include`/`@include`/`#includedir`/`@includedir` through a [`ConfigSource`] (the
//! connector keeps that inside the root). `Defaults` lines are ignored. Never panics on
//! any input; a line it cannot make sense of is reported by file and line, not content.

use super::ConfigSource;
use std::collections::{BTreeMap, BTreeSet};

/// A principal in a user list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    All,
    User(String),
    Uid(u32),
    Group(String),
    Gid(u32),
    /// Netgroups and non-Unix groups: cannot be resolved from files, never matched.
    Unresolvable(String),
}

/// One user spec that applies on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SudoGrant {
    /// Root-relative path of the file, with a leading `/`.
    pub file: String,
    pub line: u64,
    /// Principals after alias expansion, with negation. Last match wins, as in sudo.
    pub users: Vec<(bool, Principal)>,
    pub all_commands: bool,
    pub nopasswd: bool,
    /// Short description of the granted commands (`ALL`, or the list), for evidence.
    pub commands: String,
    /// The runas part as written, if any (`ALL:ALL`, `root`).
    pub runas: Option<String>,
    /// Set by the caller for a `sudoers.d` file the main file does not include (sudo
    /// itself would ignore it).
    pub not_included: bool,
}

impl SudoGrant {
    /// Whether this grant applies to an account.
    pub fn matches(&self, user: &str, uid: u32, groups: &[(String, u32)]) -> bool {
        let mut result = None;
        for (neg, p) in &self.users {
            let hit = match p {
                Principal::All => true,
                Principal::User(u) => u == user,
                Principal::Uid(n) => *n == uid,
                Principal::Group(g) => groups.iter().any(|(name, _)| name == g),
                Principal::Gid(n) => groups.iter().any(|(_, gid)| gid == n),
                Principal::Unresolvable(_) => false,
            };
            if hit {
                result = Some(!neg);
            }
        }
        result == Some(true)
    }

    /// The group principals the grant names (for "admin via %group" evidence).
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.users.iter().filter_map(|(neg, p)| match p {
            Principal::Group(g) if !neg => Some(g.as_str()),
            _ => None,
        })
    }
}

/// A sudoers problem, by file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SudoersIssue {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// Everything read from the sudoers tree.
#[derive(Debug, Default)]
pub struct Sudoers {
    pub grants: Vec<SudoGrant>,
    pub issues: Vec<SudoersIssue>,
    /// Every file parsed, root-relative.
    pub files: BTreeSet<String>,
}

const MAX_INCLUDE_DEPTH: usize = 32;
const MAX_ALIAS_DEPTH: usize = 32;
const TAGS: &[&str] = &[
    "NOPASSWD",
    "PASSWD",
    "NOEXEC",
    "EXEC",
    "SETENV",
    "NOSETENV",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AliasKind {
    User,
    Runas,
    Host,
    Cmnd,
}

struct RawSpec {
    file: String,
    line: u64,
    text: String,
}

#[derive(Default)]
struct Collected {
    aliases: BTreeMap<(AliasKind, String), Vec<String>>,
    specs: Vec<RawSpec>,
    issues: Vec<SudoersIssue>,
    files: BTreeSet<String>,
}

/// Parse `start` (e.g. `/etc/sudoers`) and everything it includes. `hostname` is this
/// host's name, for host lists and `%h` in include paths.
pub fn parse_tree(source: &mut dyn ConfigSource, start: &str, hostname: &str) -> Sudoers {
    let mut c = Collected::default();
    parse_file(source, start, hostname, 0, &mut c);
    finish(c, hostname)
}

/// Parse several independent starting files (e.g. each file of `etc/sudoers.d` that the
/// main file did not include) into the same alias namespace.
pub fn parse_files(source: &mut dyn ConfigSource, files: &[String], hostname: &str) -> Sudoers {
    let mut c = Collected::default();
    for f in files {
        parse_file(source, f, hostname, 0, &mut c);
    }
    finish(c, hostname)
}

/// Parse one file's text without includes.
#[cfg(test)]
pub fn parse_text(file: &str, text: &str, hostname: &str) -> Sudoers {
    let mut c = Collected::default();
    c.files.insert(file.to_string());
    collect_text(&mut NoIncludes, file, text, hostname, 0, &mut c);
    finish(c, hostname)
}

#[cfg(test)]
struct NoIncludes;
#[cfg(test)]
impl ConfigSource for NoIncludes {
    fn read(&mut self, _: &str) -> Option<String> {
        None
    }
    fn list(&mut self, _: &str) -> Vec<String> {
        Vec::new()
    }
}

fn parse_file(
    source: &mut dyn ConfigSource,
    rel: &str,
    host: &str,
    depth: usize,
    c: &mut Collected,
) {
    let rel = super::fs::normalize_rel(rel);
    if !c.files.insert(rel.clone()) {
        return; // already parsed: an include cycle or a repeated include
    }
    let Some(text) = source.read(&rel) else {
        return;
    };
    collect_text(source, &rel, &text, host, depth, c);
}

/// `parse_file` for an `#include`d file, where absence is itself a finding: sudo refuses
/// to run with a missing include, and a snapshot that lacks it hides its grants.
fn parse_included(
    source: &mut dyn ConfigSource,
    from: (&str, u64),
    rel: &str,
    host: &str,
    depth: usize,
    c: &mut Collected,
) {
    let norm = super::fs::normalize_rel(rel);
    if c.files.contains(&norm) {
        return;
    }
    match source.read(&norm) {
        Some(_) => parse_file(source, &norm, host, depth, c),
        None => {
            c.files.insert(norm.clone());
            c.issues.push(SudoersIssue {
                file: from.0.to_string(),
                line: from.1,
                reason: format!("included file {norm} is missing or unreadable"),
            });
        }
    }
}

/// sudo skips included directory entries that end in `~` or contain a `.`.
pub fn includedir_skips(name: &str) -> bool {
    name.ends_with('~') || name.contains('.')
}

fn collect_text(
    source: &mut dyn ConfigSource,
    file: &str,
    text: &str,
    host: &str,
    depth: usize,
    c: &mut Collected,
) {
    for (line, l) in logical_lines(text) {
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        let issue = |reason: &str| SudoersIssue {
            file: file.to_string(),
            line,
            reason: reason.to_string(),
        };
        if let Some((dir, arg)) = include_directive(t) {
            if depth >= MAX_INCLUDE_DEPTH {
                c.issues.push(issue("includes nested too deeply"));
                continue;
            }
            let path = include_path(file, arg, host);
            if dir {
                for name in source.list(&path) {
                    if !includedir_skips(&name) {
                        let child = super::fs::join_rel(&path, &name);
                        parse_file(source, &child, host, depth + 1, c);
                    }
                }
            } else {
                parse_included(source, (file, line), &path, host, depth + 1, c);
            }
            continue;
        }
        let t = strip_comment(t);
        if t.is_empty() {
            continue;
        }
        let first = t
            .split(|ch: char| {
                ch.is_whitespace() || ch == ':' || ch == '!' || ch == '@' || ch == '>'
            })
            .next()
            .unwrap_or("");
        if first == "Defaults" {
            continue;
        }
        let kind = match first {
            "User_Alias" => Some(AliasKind::User),
            "Runas_Alias" => Some(AliasKind::Runas),
            "Host_Alias" => Some(AliasKind::Host),
            "Cmnd_Alias" | "Cmd_Alias" => Some(AliasKind::Cmnd),
            _ => None,
        };
        if let Some(kind) = kind {
            let body = &t[first.len()..];
            let mut ok = true;
            for def in split_top(body, ':') {
                match def.split_once('=') {
                    Some((name, items)) if is_alias_name(name.trim()) => {
                        let items = split_list(items).into_iter().map(str::to_string).collect();
                        c.aliases.insert((kind, name.trim().to_string()), items);
                    }
                    _ => ok = false,
                }
            }
            if !ok {
                c.issues.push(issue("malformed alias definition"));
            }
            continue;
        }
        c.specs.push(RawSpec {
            file: file.to_string(),
            line,
            text: t.to_string(),
        });
    }
}

/// `(is_dir, argument)` for `#include`, `@include`, `#includedir`, `@includedir`.
fn include_directive(t: &str) -> Option<(bool, &str)> {
    for (prefix, dir) in [
        ("#includedir", true),
        ("@includedir", true),
        ("#include", false),
        ("@include", false),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if rest.starts_with(char::is_whitespace) {
                return Some((dir, rest.trim()));
            }
        }
    }
    None
}

/// Resolve an include argument: quotes removed, `%h` is the short hostname, relative
/// paths are relative to the including file's directory (sudo 1.9).
fn include_path(file: &str, arg: &str, host: &str) -> String {
    let arg = arg.trim().trim_matches('"');
    let short = host.split('.').next().unwrap_or(host);
    let arg = arg
        .replace("%%", "\u{0}")
        .replace("%h", short)
        .replace('\u{0}', "%");
    if arg.starts_with('/') {
        super::fs::normalize_rel(&arg)
    } else {
        let dir = file.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        super::fs::normalize_rel(&format!("{dir}/{arg}"))
    }
}

/// Physical lines joined at trailing `\`, each with the number of its first line.
fn logical_lines(text: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(u64, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        let (body, cont) = match raw.strip_suffix('\\') {
            // `\\` at the end is an escaped backslash, not a continuation.
            Some(b) if !b.ends_with('\\') => (b, true),
            _ => (raw, false),
        };
        let entry = cur.get_or_insert_with(|| (i as u64 + 1, String::new()));
        if !entry.1.is_empty() {
            entry.1.push(' ');
        }
        entry.1.push_str(body);
        if !cont {
            if let Some(done) = cur.take() {
                out.push(done);
            }
        }
    }
    if let Some(done) = cur.take() {
        out.push(done);
    }
    out
}

/// Drop a `#` comment. `#` followed by a digit is a uid (`#1000`), not a comment.
fn strip_comment(t: &str) -> &str {
    let bytes = t.as_bytes();
    let mut in_quote = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quote = !in_quote,
            b'#' if !in_quote => {
                let uid = bytes.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                let escaped = i > 0 && bytes[i - 1] == b'\\';
                if !uid && !escaped {
                    return t[..i].trim_end();
                }
            }
            _ => {}
        }
    }
    t
}

fn is_alias_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && s != "ALL"
}

/// Split at `sep` outside parentheses and quotes, honouring `\` escapes.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match ch {
            '\\' => escaped = true,
            '"' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => depth -= 1,
            c if c == sep && depth <= 0 && !in_quote => {
                out.push(&s[start..i]);
                start = i + ch.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// A comma-separated list, items trimmed, empties dropped.
fn split_list(s: &str) -> Vec<&str> {
    split_top(s, ',')
        .into_iter()
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

/// Split a user spec's right-hand part into `host = commands` sections: at `:` outside
/// parentheses, except the colon that ends a tag (`NOPASSWD:`).
fn split_sections(s: &str) -> Vec<String> {
    let pieces = split_top(s, ':');
    let mut out: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    for p in pieces {
        let mut cur = match pending.take() {
            Some(mut acc) => {
                acc.push(':');
                acc.push_str(p);
                acc
            }
            None => p.to_string(),
        };
        let last_word: String = cur
            .trim_end()
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if TAGS.contains(&last_word.as_str()) {
            pending = Some(std::mem::take(&mut cur));
        } else {
            out.push(cur);
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

/// Expand one list against aliases of `kind`, producing (negated, item) leaves.
fn expand(
    items: &[String],
    kind: AliasKind,
    aliases: &BTreeMap<(AliasKind, String), Vec<String>>,
    neg: bool,
    depth: usize,
    out: &mut Vec<(bool, String)>,
) {
    for item in items {
        let mut it = item.trim();
        let mut n = neg;
        while let Some(rest) = it.strip_prefix('!') {
            n = !n;
            it = rest.trim_start();
        }
        if is_alias_name(it) {
            if depth < MAX_ALIAS_DEPTH {
                if let Some(sub) = aliases.get(&(kind, it.to_string())) {
                    expand(sub, kind, aliases, n, depth + 1, out);
                }
            }
            // An undefined alias matches nothing (visudo would reject the file).
            continue;
        }
        out.push((n, it.to_string()));
    }
}

fn principal(item: &str) -> Principal {
    let item = item.trim_matches('"');
    if item == "ALL" {
        Principal::All
    } else if let Some(g) = item.strip_prefix("%#") {
        g.parse()
            .map(Principal::Gid)
            .unwrap_or_else(|_| Principal::Unresolvable(item.into()))
    } else if item.starts_with("%:") || item.starts_with('+') {
        Principal::Unresolvable(item.to_string())
    } else if let Some(g) = item.strip_prefix('%') {
        Principal::Group(g.to_string())
    } else if let Some(u) = item.strip_prefix('#') {
        u.parse()
            .map(Principal::Uid)
            .unwrap_or_else(|_| Principal::Unresolvable(item.into()))
    } else {
        Principal::User(item.to_string())
    }
}

/// Whether a host list matches this host. Items that cannot be evaluated from files
/// (addresses, networks, netgroups) count as matching: better a grant reported on a host
/// where it does not apply than a missed one.
fn host_matches(items: &[(bool, String)], host: &str) -> bool {
    let host_l = host.to_ascii_lowercase();
    let short = host_l.split('.').next().unwrap_or(&host_l).to_string();
    let mut result = None;
    for (neg, it) in items {
        let il = it.to_ascii_lowercase();
        let known_name = il
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
            && il.chars().any(|c| c.is_ascii_alphabetic());
        let hit = if il == "all" {
            true
        } else if known_name {
            il == host_l || il == short || il.split('.').next() == Some(short.as_str())
        } else {
            !neg
        };
        if hit {
            result = Some(!neg);
        }
    }
    result == Some(true)
}

fn finish(c: Collected, host: &str) -> Sudoers {
    let mut s = Sudoers {
        grants: Vec::new(),
        issues: c.issues,
        files: c.files,
    };
    for spec in &c.specs {
        match parse_spec(spec, &c.aliases, host) {
            Ok(Some(g)) => s.grants.push(g),
            Ok(None) => {}
            Err(reason) => s.issues.push(SudoersIssue {
                file: spec.file.clone(),
                line: spec.line,
                reason,
            }),
        }
    }
    s
}

fn parse_spec(
    spec: &RawSpec,
    aliases: &BTreeMap<(AliasKind, String), Vec<String>>,
    host: &str,
) -> Result<Option<SudoGrant>, String> {
    let t = spec.text.as_str();
    // The user list ends at the first whitespace that is not next to a comma.
    let user_end = user_list_end(t).ok_or_else(|| "malformed user specification".to_string())?;
    let users_raw: Vec<String> = split_list(&t[..user_end])
        .into_iter()
        .map(str::to_string)
        .collect();
    if users_raw.is_empty() {
        return Err("malformed user specification".into());
    }
    let rest = &t[user_end..];
    let mut users = Vec::new();
    expand(&users_raw, AliasKind::User, aliases, false, 0, &mut users);
    let users: Vec<(bool, Principal)> =
        users.into_iter().map(|(n, u)| (n, principal(&u))).collect();

    let mut all_commands = false;
    let mut nopasswd = false;
    let mut cmds: Vec<String> = Vec::new();
    let mut runas: Option<String> = None;
    let mut any_section = false;
    for section in split_sections(rest) {
        let Some((hosts, cmnd_list)) = section.split_once('=') else {
            return Err("user specification without '='".into());
        };
        let host_items: Vec<String> = split_list(hosts).into_iter().map(str::to_string).collect();
        if host_items.is_empty() {
            return Err("user specification without a host list".into());
        }
        any_section = true;
        let mut hosts_exp = Vec::new();
        expand(
            &host_items,
            AliasKind::Host,
            aliases,
            false,
            0,
            &mut hosts_exp,
        );
        if !host_matches(&hosts_exp, host) {
            continue;
        }
        // Runas and tags carry over from one command to the next within a section.
        let mut tag_nopasswd = false;
        for cmnd_spec in split_list(cmnd_list) {
            let mut rest = cmnd_spec.trim();
            loop {
                if let Some(after) = rest.strip_prefix('(') {
                    let Some(close) = after.find(')') else {
                        return Err("unbalanced parenthesis in runas".into());
                    };
                    runas = Some(after[..close].trim().to_string());
                    rest = after[close + 1..].trim_start();
                    continue;
                }
                let word_end = rest
                    .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                    .unwrap_or(rest.len());
                let word = &rest[..word_end];
                if word.is_empty() {
                    break;
                }
                if rest[word_end..].starts_with(':') && TAGS.contains(&word) {
                    match word {
                        "NOPASSWD" => tag_nopasswd = true,
                        "PASSWD" => tag_nopasswd = false,
                        _ => {}
                    }
                    rest = rest[word_end + 1..].trim_start();
                    continue;
                }
                if rest[word_end..].starts_with('=') && word != "ALL" {
                    // Option such as ROLE=, TYPE=, CWD=, CHROOT=, TIMEOUT=, NOTAFTER=.
                    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                    rest = rest[end..].trim_start();
                    continue;
                }
                break;
            }
            if rest.is_empty() {
                continue;
            }
            let mut leaves = Vec::new();
            expand(
                &[rest.to_string()],
                AliasKind::Cmnd,
                aliases,
                false,
                0,
                &mut leaves,
            );
            for (neg, cmd) in leaves {
                let cmd = strip_digest(&cmd);
                if neg {
                    // Last match wins: `!ALL` cancels everything before it; `ALL,
                    // !/bin/su` is still ALL (and trivially bypassed), so keep it.
                    if cmd == "ALL" {
                        cmds.clear();
                        all_commands = false;
                        nopasswd = false;
                    } else {
                        cmds.retain(|c| c != cmd);
                    }
                    continue;
                }
                if cmd == "ALL" {
                    all_commands = true;
                }
                if tag_nopasswd {
                    nopasswd = true;
                }
                if !cmds.iter().any(|c| c == cmd) {
                    cmds.push(cmd.to_string());
                }
            }
        }
    }
    if !any_section {
        return Err("user specification without '='".into());
    }
    if cmds.is_empty() {
        return Ok(None);
    }
    let commands = if all_commands {
        "ALL".to_string()
    } else {
        summarize(&cmds)
    };
    Ok(Some(SudoGrant {
        file: spec.file.clone(),
        line: spec.line,
        users,
        all_commands,
        nopasswd,
        commands,
        runas,
        not_included: false,
    }))
}

fn user_list_end(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    let mut i = 0;
    let mut last_non_ws: Option<u8> = None;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_whitespace() {
            // Whitespace after a comma, or before one, is inside the list.
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let next = b.get(j).copied();
            if last_non_ws == Some(b',') || next == Some(b',') {
                i = j;
                continue;
            }
            return Some(i);
        }
        last_non_ws = Some(ch);
        i += 1;
    }
    None
}

/// `sha256:HEX /bin/x` → `/bin/x`.
fn strip_digest(cmd: &str) -> &str {
    let c = cmd.trim();
    for d in ["sha224:", "sha256:", "sha384:", "sha512:"] {
        if let Some(rest) = c.strip_prefix(d) {
            return rest
                .split_once(char::is_whitespace)
                .map(|(_, r)| r.trim())
                .unwrap_or(c);
        }
    }
    c
}

fn summarize(cmds: &[String]) -> String {
    let mut s = String::new();
    for (i, c) in cmds.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        if s.len() + c.len() > 160 {
            s.push_str(&format!("… ({} more)", cmds.len() - i));
            break;
        }
        s.push_str(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::host::MemSource;

    fn groups(g: &[&str]) -> Vec<(String, u32)> {
        g.iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), 100 + i as u32))
            .collect()
    }

    #[test]
    fn aliases_groups_tags_and_continuations() {
        let text = "\
# sudoers for web-1
Defaults env_reset
Defaults:ADMINS !lecture
User_Alias ADMINS = alice, \\
                    bob, %ops : BACKUP = backupadm
Host_Alias WEB = web-1, web-2
Host_Alias DB = db-1
Cmnd_Alias RESTART = /usr/bin/systemctl restart app, \\
    /usr/bin/systemctl reload app
Runas_Alias OP = root
root    ALL=(ALL:ALL) ALL
ADMINS  WEB = (OP) ALL   # comment here
BACKUP  ALL = (root) NOPASSWD: /usr/bin/rsync, /usr/bin/tar
carol   DB = ALL
deploy  WEB = NOPASSWD: RESTART
%wheel  ALL = (ALL) PASSWD: ALL, NOPASSWD: /bin/ls
#1005   ALL = ALL
ALL, !eve ALL = /usr/bin/uptime
nobody  ALL = ALL, !ALL
mallory ALL
";
        let s = parse_text("/etc/sudoers", text, "web-1");
        assert_eq!(
            s.issues,
            vec![SudoersIssue {
                file: "/etc/sudoers".into(),
                line: 20,
                reason: "user specification without '='".into()
            }]
        );
        let find = |line: u64| s.grants.iter().find(|g| g.line == line);
        let admins = find(12).expect("ADMINS grant");
        assert!(admins.all_commands && !admins.nopasswd);
        assert_eq!(admins.runas.as_deref(), Some("OP"));
        assert!(admins.matches("alice", 1001, &[]));
        assert!(admins.matches("zed", 1009, &groups(&["ops"])));
        assert!(!admins.matches("carol", 1003, &[]));
        assert_eq!(admins.groups().collect::<Vec<_>>(), vec!["ops"]);
        let backup = find(13).expect("BACKUP grant");
        assert!(backup.nopasswd && !backup.all_commands);
        assert_eq!(backup.commands, "/usr/bin/rsync, /usr/bin/tar");
        assert!(backup.matches("backupadm", 1002, &[]));
        assert!(find(14).is_none(), "carol's grant is for db-1 only");
        let deploy = find(15).expect("deploy grant");
        assert!(deploy.nopasswd);
        assert_eq!(
            deploy.commands,
            "/usr/bin/systemctl restart app, /usr/bin/systemctl reload app"
        );
        let wheel = find(16).expect("wheel grant");
        assert!(wheel.all_commands && wheel.nopasswd);
        assert!(wheel.matches("x", 1, &groups(&["wheel"])));
        assert!(find(17).expect("uid grant").matches("dave", 1005, &[]));
        let all = find(18).expect("ALL grant");
        assert!(all.matches("anyone", 1, &[]) && !all.matches("eve", 2, &[]));
        assert!(find(19).is_none(), "!ALL only grants nothing");
        // On db-1 carol's grant applies and the WEB ones do not.
        let s = parse_text("/etc/sudoers", text, "db-1.acme.example");
        assert!(s.grants.iter().any(|g| g.line == 14));
        assert!(!s.grants.iter().any(|g| g.line == 12 || g.line == 15));
    }

    #[test]
    fn includes_and_includedir_stay_in_tree_and_skip_like_sudo() {
        let files: BTreeMap<String, String> = [
            ("/etc/sudoers", "root ALL=(ALL) ALL\n@includedir /etc/sudoers.d\n#include extra/%h.conf\n#include /etc/sudoers\n"),
            ("/etc/sudoers.d/10-ops", "%ops ALL=(ALL) NOPASSWD: ALL\n"),
            ("/etc/sudoers.d/20-old~", "old ALL=ALL\n"),
            ("/etc/sudoers.d/README.txt", "readme ALL=ALL\n"),
            ("/etc/extra/web-1.conf", "webonly ALL=ALL\n@include ../sudoers.d/10-ops\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let s = parse_tree(&mut MemSource(files), "/etc/sudoers", "web-1.acme.example");
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        let who: Vec<(String, u64)> = s.grants.iter().map(|g| (g.file.clone(), g.line)).collect();
        assert_eq!(
            who,
            vec![
                ("/etc/sudoers".to_string(), 1),
                ("/etc/sudoers.d/10-ops".to_string(), 1),
                ("/etc/extra/web-1.conf".to_string(), 1),
            ]
        );
        assert!(s.files.contains("/etc/extra/web-1.conf"));
        assert!(!s.files.contains("/etc/sudoers.d/README.txt"));
    }

    #[test]
    fn comments_uids_and_sections() {
        let s = parse_text(
            "/etc/sudoers",
            "#1001 ALL = (root) /bin/a : db-1 = NOPASSWD: ALL # trailing\n%#2000 ALL=/bin/b\n# just a comment\n",
            "db-1",
        );
        assert_eq!(s.grants.len(), 2);
        assert!(
            s.grants[0].matches("u", 1001, &[]) && s.grants[0].all_commands && s.grants[0].nopasswd
        );
        assert!(s.grants[1].matches("u", 1, &[("g".into(), 2000)]));
    }

    proptest::proptest! {
        #[test]
        fn sudoers_parser_never_panics(s in "\\PC{0,400}") {
            let _ = parse_text("/etc/sudoers", &s, "web-1");
        }
        #[test]
        fn sudoers_parser_never_panics_on_grammar_soup(
            s in "([A-Z_a-z%#!@0-9 ]{0,8}[=:,()\\\\\"\n ]){0,60}"
        ) {
            let _ = parse_text("/etc/sudoers", &s, "web-1");
        }
    }
}
