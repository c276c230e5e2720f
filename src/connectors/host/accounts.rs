//! Parsers for `etc/passwd`, `etc/group` and `etc/shadow`. Pure functions over text:
//! a malformed line is skipped and reported by line number (never by content, since a
//! shadow line holds a password hash), and nothing here panics on any input.

use std::collections::BTreeMap;

/// A line that could not be parsed: 1-based line number and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
}

/// One `etc/passwd` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
    pub line: u64,
}

/// One `etc/group` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
    pub line: u64,
}

/// What `etc/shadow` says about an account's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordState {
    /// A password hash is set: password login works.
    Set,
    /// `!…` or `*…`: password login is locked or was never enabled.
    Locked,
    /// Empty field: login without a password.
    Empty,
}

impl PasswordState {
    pub fn as_str(&self) -> &'static str {
        match self {
            PasswordState::Set => "set",
            PasswordState::Locked => "locked",
            PasswordState::Empty => "empty",
        }
    }
}

/// One `etc/shadow` entry, without the hash itself (it is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowEntry {
    pub name: String,
    pub password: PasswordState,
    /// Days since 1970-01-01 of the last password change.
    pub last_change: Option<i64>,
    /// Days since 1970-01-01 on which the account expires.
    pub expire: Option<i64>,
    pub line: u64,
}

/// Lines of a colon-separated database, with comments, blank lines and NIS compat
/// entries (`+`/`-`) dropped. Yields (1-based line number, line).
fn db_lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.trim_end_matches('\r');
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('+') || t.starts_with('-') {
            None
        } else {
            Some((i as u64 + 1, l))
        }
    })
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Split one account-database line into its `:`-separated fields, checking the field
/// count and that the first field is a valid `what` name (user, group).
fn split_record<'a>(
    l: &'a str,
    fields: std::ops::RangeInclusive<usize>,
    what: &str,
) -> Result<Vec<&'a str>, String> {
    let f: Vec<&str> = l.split(':').collect();
    if !fields.contains(&f.len()) {
        return Err(format!(
            "expected {} fields, found {}",
            fields.end(),
            f.len()
        ));
    }
    if !valid_name(f[0]) {
        return Err(format!("invalid {what} name"));
    }
    Ok(f)
}

pub fn parse_passwd(text: &str) -> (Vec<PasswdEntry>, Vec<BadLine>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (line, l) in db_lines(text) {
        let f = match split_record(l, 7..=7, "user") {
            Ok(f) => f,
            Err(reason) => {
                bad.push(BadLine { line, reason });
                continue;
            }
        };
        let (Ok(uid), Ok(gid)) = (f[2].trim().parse::<u32>(), f[3].trim().parse::<u32>()) else {
            bad.push(BadLine {
                line,
                reason: "uid or gid is not a number".into(),
            });
            continue;
        };
        out.push(PasswdEntry {
            name: f[0].to_string(),
            uid,
            gid,
            gecos: f[4].to_string(),
            home: f[5].to_string(),
            shell: f[6].trim().to_string(),
            line,
        });
    }
    (out, bad)
}

pub fn parse_group(text: &str) -> (Vec<GroupEntry>, Vec<BadLine>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (line, l) in db_lines(text) {
        let f = match split_record(l, 4..=4, "group") {
            Ok(f) => f,
            Err(reason) => {
                bad.push(BadLine { line, reason });
                continue;
            }
        };
        let Ok(gid) = f[2].trim().parse::<u32>() else {
            bad.push(BadLine {
                line,
                reason: "gid is not a number".into(),
            });
            continue;
        };
        let members = f[3]
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect();
        out.push(GroupEntry {
            name: f[0].to_string(),
            gid,
            members,
            line,
        });
    }
    (out, bad)
}

pub fn parse_shadow(text: &str) -> (Vec<ShadowEntry>, Vec<BadLine>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (line, l) in db_lines(text) {
        // Nine fields by the book; some tools write eight. Fewer means a broken line.
        let f = match split_record(l, 8..=9, "user") {
            Ok(f) => f,
            Err(reason) => {
                bad.push(BadLine { line, reason });
                continue;
            }
        };
        let hash = f[1];
        let password = if hash.is_empty() {
            PasswordState::Empty
        } else if hash.starts_with('!') || hash.starts_with('*') {
            PasswordState::Locked
        } else {
            PasswordState::Set
        };
        let day = |s: &str| s.trim().parse::<i64>().ok();
        out.push(ShadowEntry {
            name: f[0].to_string(),
            password,
            last_change: day(f[2]),
            expire: day(f[7]),
            line,
        });
    }
    (out, bad)
}

/// Group memberships by user name: explicit members plus the primary group (by gid).
pub fn memberships(passwd: &[PasswdEntry], groups: &[GroupEntry]) -> BTreeMap<String, Vec<String>> {
    let mut by_gid: BTreeMap<u32, &str> = BTreeMap::new();
    for g in groups {
        by_gid.entry(g.gid).or_insert(&g.name);
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in passwd {
        let v = out.entry(p.name.clone()).or_default();
        if let Some(name) = by_gid.get(&p.gid) {
            v.push((*name).to_string());
        }
    }
    for g in groups {
        for m in &g.members {
            if let Some(v) = out.get_mut(m) {
                v.push(g.name.clone());
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}

/// Shells that refuse interactive login. An empty shell field means `/bin/sh`.
pub fn is_nologin_shell(shell: &str) -> bool {
    let base = shell.rsplit('/').next().unwrap_or(shell);
    matches!(
        base,
        "nologin" | "false" | "true" | "sync" | "shutdown" | "halt"
    )
}

/// The GECOS full-name field (first comma-separated part), trimmed.
pub fn gecos_name(gecos: &str) -> &str {
    gecos.split(',').next().unwrap_or("").trim()
}

/// An email address anywhere in the GECOS field.
pub fn gecos_email(gecos: &str) -> Option<String> {
    gecos
        .split(|c: char| c == ',' || c.is_whitespace() || c == '<' || c == '>')
        .map(|t| t.trim_matches(|c: char| c == '"' || c == '\'' || c == '(' || c == ')'))
        .find(|t| looks_like_email(t))
        .map(|t| t.to_ascii_lowercase())
}

/// `local@domain.tld` with a dotted domain.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-@".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_parses_and_reports_bad_lines() {
        let text = "root:x:0:0:root:/root:/bin/bash\n\
                    # comment\n\
                    \n\
                    alice:x:1001:1001:Alice Liddell,,,alice@acme.example:/home/alice:/bin/bash\n\
                    broken:x:1002\n\
                    nan:x:abc:1:x:/:/bin/sh\n\
                    +@netgroup::::::\n\
                    svc:x:998:998::/var/lib/svc:/usr/sbin/nologin\r\n";
        let (p, bad) = parse_passwd(text);
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].name, "alice");
        assert_eq!(p[1].uid, 1001);
        assert_eq!(p[1].line, 4);
        assert_eq!(p[2].shell, "/usr/sbin/nologin");
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![5, 6]);
        assert_eq!(gecos_name(&p[1].gecos), "Alice Liddell");
        assert_eq!(
            gecos_email(&p[1].gecos).as_deref(),
            Some("alice@acme.example")
        );
        assert_eq!(
            gecos_email("Bob <BOB@acme.example>").as_deref(),
            Some("bob@acme.example")
        );
        assert_eq!(gecos_email("root"), None);
    }

    #[test]
    fn group_membership_includes_primary_group() {
        let (p, _) = parse_passwd(
            "alice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:27::/home/bob:/bin/sh\n",
        );
        let (g, bad) =
            parse_group("sudo:x:27:alice\nalice:x:1001:\ndocker:x:999:alice, bob\nbad:x:y:z\n");
        assert_eq!(bad.len(), 1);
        let m = memberships(&p, &g);
        assert_eq!(m["alice"], vec!["alice", "docker", "sudo"]);
        assert_eq!(m["bob"], vec!["docker", "sudo"]);
    }

    #[test]
    fn shadow_password_states() {
        let text = "root:*:19000:0:99999:7:::\n\
                    alice:$6$salt$hash:19500:0:99999:7:::\n\
                    carol:!$6$salt$hash:19500:0:99999:7::19600:\n\
                    open::19500::::::\n\
                    short:x:1\n";
        let (s, bad) = parse_shadow(text);
        assert_eq!(
            bad,
            vec![BadLine {
                line: 5,
                reason: "expected 9 fields, found 3".into()
            }]
        );
        assert_eq!(s[0].password, PasswordState::Locked);
        assert_eq!(s[1].password, PasswordState::Set);
        assert_eq!(s[1].last_change, Some(19500));
        assert_eq!(s[2].password, PasswordState::Locked);
        assert_eq!(s[2].expire, Some(19600));
        assert_eq!(s[3].password, PasswordState::Empty);
    }

    #[test]
    fn nologin_shells() {
        assert!(is_nologin_shell("/usr/sbin/nologin"));
        assert!(is_nologin_shell("/bin/false"));
        assert!(!is_nologin_shell("/bin/bash"));
        assert!(!is_nologin_shell(""));
    }

    proptest::proptest! {
        #[test]
        fn account_parsers_never_panic(s in "\\PC{0,400}") {
            let _ = parse_passwd(&s);
            let _ = parse_group(&s);
            let _ = parse_shadow(&s);
            let _ = gecos_email(&s);
        }
        #[test]
        fn account_parsers_never_panic_on_colon_soup(s in "[a-z0-9:,!*$ \n#+-]{0,300}") {
            let (p, _) = parse_passwd(&s);
            let (g, _) = parse_group(&s);
            let _ = parse_shadow(&s);
            let _ = memberships(&p, &g);
        }
    }
}
