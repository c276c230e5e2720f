//! `AuthorizedKeysFile` from `etc/ssh/sshd_config` (sshd_config(5)): which files hold the
//! keys that let someone log in as an account. The parser is pure: reads go through a
//! [`ConfigSource`], so the connector keeps every read inside the root.
//!
//! Handled: `Include` (relative to `/etc/ssh`, `*`/`?` globs in the file name, nested up to
//! a depth limit), first-obtained-value for global options, `Match` blocks (their
//! `AuthorizedKeysFile` overrides the global one for the accounts they match; a block whose
//! criteria depend on the connection, such as `Address` or `Host`, may apply to anyone, so
//! its files are read *as well*), several files per line, `none`, and the `%h`, `%u`, `%U`
//! and `%%` tokens. Relative paths are relative to the home directory.

use super::ConfigSource;

/// The default when `sshd_config` does not set it.
pub const DEFAULT_FILES: &[&str] = &[".ssh/authorized_keys", ".ssh/authorized_keys2"];

/// sshd itself caps `Include` nesting (16).
const MAX_INCLUDE_DEPTH: usize = 16;

/// One `AuthorizedKeysFile` setting: the file templates, empty for `none`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysFileSetting {
    pub files: Vec<String>,
    pub file: String,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Criterion {
    All,
    User(String),
    Group(String),
    /// Depends on the connection (Host, Address, LocalPort, ...): may match anyone.
    Connection,
}

#[derive(Debug, Clone)]
struct MatchBlock {
    criteria: Vec<Criterion>,
    keys_file: Option<KeysFileSetting>,
}

/// What `sshd_config` says about authorized keys files.
#[derive(Debug, Clone, Default)]
pub struct SshdConfig {
    global: Option<KeysFileSetting>,
    blocks: Vec<MatchBlock>,
    /// Problems worth a coverage error: (file, line, reason).
    pub issues: Vec<(String, u64, String)>,
    /// `AuthorizedKeysCommand` is set: sshd also takes keys from a program (LDAP, EC2
    /// Instance Connect) that a file scan cannot see.
    pub keys_command: bool,
}

/// Whether a Match block applies to an account.
#[derive(PartialEq, Eq)]
enum Applies {
    Yes,
    No,
    Maybe,
}

impl SshdConfig {
    /// Parse `/etc/ssh/sshd_config` and its includes. An absent file is the default config.
    pub fn load(src: &mut dyn ConfigSource) -> SshdConfig {
        let mut cfg = SshdConfig::default();
        let mut cur: Option<usize> = None;
        cfg.parse_file(src, "/etc/ssh/sshd_config", 0, &mut cur);
        cfg
    }

    fn parse_file(
        &mut self,
        src: &mut dyn ConfigSource,
        path: &str,
        depth: usize,
        cur: &mut Option<usize>,
    ) {
        let Some(text) = src.read(path) else {
            return;
        };
        for (i, raw) in text.lines().enumerate() {
            let line = i as u64 + 1;
            let words = split_words(raw);
            let Some((kw, args)) = words.split_first() else {
                continue;
            };
            match kw.to_ascii_lowercase().as_str() {
                "include" => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        self.issues
                            .push((path.into(), line, "Include nested too deeply".into()));
                        continue;
                    }
                    for a in args {
                        for f in expand_include(src, a) {
                            // A Match opened in an included file ends with that file
                            // (as in sshd's servconf.c).
                            let mut inner = *cur;
                            self.parse_file(src, &f, depth + 1, &mut inner);
                        }
                    }
                }
                "match" => {
                    self.blocks.push(MatchBlock {
                        criteria: parse_criteria(args),
                        keys_file: None,
                    });
                    *cur = Some(self.blocks.len() - 1);
                }
                "authorizedkeyscommand" if args.first().is_some_and(|a| a != "none") => {
                    self.keys_command = true;
                }
                "authorizedkeysfile" => {
                    let files: Vec<String> = if args.len() == 1 && args[0] == "none" {
                        Vec::new()
                    } else {
                        args.iter().filter(|a| *a != "none").cloned().collect()
                    };
                    let setting = KeysFileSetting {
                        files,
                        file: path.into(),
                        line,
                    };
                    // First obtained value wins, globally and within a block.
                    let slot = match cur {
                        Some(b) => &mut self.blocks[*b].keys_file,
                        None => &mut self.global,
                    };
                    if slot.is_none() {
                        *slot = Some(setting);
                    }
                }
                _ => {}
            }
        }
    }

    /// The key file templates that can grant login as `user` (in `groups`): the first
    /// Match block that certainly applies and sets the option, else the global setting
    /// (else the default), plus the files of blocks that may apply depending on the
    /// connection. In order, without duplicates.
    pub fn key_file_templates(&self, user: &str, groups: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut chosen: Option<Vec<String>> = None;
        let mut maybe: Vec<String> = Vec::new();
        for b in &self.blocks {
            let Some(kf) = &b.keys_file else { continue };
            match applies(&b.criteria, user, groups) {
                Applies::Yes if chosen.is_none() => chosen = Some(kf.files.clone()),
                Applies::Yes | Applies::No => {}
                Applies::Maybe => maybe.extend(kf.files.iter().cloned()),
            }
        }
        let base = chosen.unwrap_or_else(|| match &self.global {
            Some(g) => g.files.clone(),
            None => DEFAULT_FILES.iter().map(|s| s.to_string()).collect(),
        });
        for f in base.into_iter().chain(maybe) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }
}

/// A template made into a root-relative path: `%h`, `%u`, `%U`, `%%` expanded, a relative
/// result taken relative to the home directory. `None` for an unknown token (sshd refuses
/// the whole setting then) or a relative path with no home.
pub fn expand(template: &str, user: &str, uid: u32, home: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            'h' => out.push_str(home),
            'u' => out.push_str(user),
            'U' => out.push_str(&uid.to_string()),
            _ => return None,
        }
    }
    if out.starts_with('/') {
        Some(out)
    } else if home.trim().is_empty() {
        None
    } else {
        Some(format!("{}/{out}", home.trim_end_matches('/')))
    }
}

fn applies(criteria: &[Criterion], user: &str, groups: &[String]) -> Applies {
    let mut result = Applies::Yes;
    for c in criteria {
        match c {
            Criterion::All => {}
            Criterion::User(list) => {
                if !match_list(list, user) {
                    return Applies::No;
                }
            }
            Criterion::Group(list) => {
                if !groups.iter().any(|g| match_list(list, g)) {
                    return Applies::No;
                }
            }
            Criterion::Connection => result = Applies::Maybe,
        }
    }
    result
}

fn parse_criteria(args: &[String]) -> Vec<Criterion> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let k = k.to_ascii_lowercase();
        if k == "all" {
            out.push(Criterion::All);
            continue;
        }
        let v = it.next().cloned().unwrap_or_default();
        out.push(match k.as_str() {
            "user" => Criterion::User(v),
            "group" => Criterion::Group(v),
            _ => Criterion::Connection,
        });
    }
    out
}

/// ssh pattern list (`alice,svc-*,!bob`): a negated match vetoes, otherwise any match.
fn match_list(list: &str, name: &str) -> bool {
    let mut hit = false;
    for p in list.split(',') {
        let p = p.trim();
        if let Some(neg) = p.strip_prefix('!') {
            if wildcard(neg, name) {
                return false;
            }
        } else if wildcard(p, name) {
            hit = true;
        }
    }
    hit
}

/// `*` and `?` wildcards.
pub fn wildcard(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Files an `Include` argument names: relative to `/etc/ssh`, globs in the last component.
fn expand_include(src: &mut dyn ConfigSource, arg: &str) -> Vec<String> {
    let path = if arg.starts_with('/') {
        arg.to_string()
    } else if let Some(rest) = arg.strip_prefix("~/") {
        // sshd expands `~` for the server's user (root).
        format!("/root/{rest}")
    } else {
        format!("/etc/ssh/{arg}")
    };
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (if d.is_empty() { "/" } else { d }, n),
        None => return Vec::new(),
    };
    if !name.contains(['*', '?']) {
        return vec![path];
    }
    src.list(dir)
        .into_iter()
        .filter(|n| wildcard(name, n))
        .map(|n| format!("{}/{n}", dir.trim_end_matches('/')))
        .collect()
}

/// Keyword and arguments: whitespace separated, an optional `=` after the keyword, double
/// quotes group words, `#` starts a comment where a word would start.
fn split_words(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        if quoted {
            if c == '"' {
                quoted = false;
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                in_word = true;
            }
            '#' if !in_word => break,
            c if c.is_whitespace() || (c == '=' && out.is_empty()) => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::host::MemSource;

    fn load(files: &[(&str, &str)]) -> SshdConfig {
        let mut f = MemSource(
            files
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        SshdConfig::load(&mut f)
    }

    #[test]
    fn default_without_config() {
        let c = load(&[]);
        assert_eq!(
            c.key_file_templates("alice", &[]),
            vec![".ssh/authorized_keys", ".ssh/authorized_keys2"]
        );
    }

    #[test]
    fn include_first_value_wins_and_several_files() {
        let c = load(&[
            (
                "/etc/ssh/sshd_config",
                "Include /etc/ssh/sshd_config.d/*.conf\nAuthorizedKeysFile .ssh/authorized_keys\n",
            ),
            (
                "/etc/ssh/sshd_config.d/10-keys.conf",
                "# central keys\nAuthorizedKeysFile  /etc/ssh/authorized_keys/%u \".ssh/my keys\" # x\n",
            ),
            ("/etc/ssh/sshd_config.d/ignored.txt", "AuthorizedKeysFile none\n"),
        ]);
        assert_eq!(
            c.key_file_templates("alice", &[]),
            vec!["/etc/ssh/authorized_keys/%u", ".ssh/my keys"]
        );
    }

    #[test]
    fn none_and_match_blocks() {
        let c = load(&[(
            "/etc/ssh/sshd_config",
            "AuthorizedKeysFile=none\nMatch User svc-*,!svc-x\n  AuthorizedKeysFile /srv/keys/%u\n\
             Match Group admins\n  AuthorizedKeysFile %h/.ssh/admin_keys\n\
             Match Address 10.0.0.0/8\n  AuthorizedKeysFile /etc/ssh/vpn_keys/%u\n",
        )]);
        assert_eq!(
            c.key_file_templates("bob", &[]),
            vec!["/etc/ssh/vpn_keys/%u"]
        );
        assert_eq!(
            c.key_file_templates("svc-a", &[]),
            vec!["/srv/keys/%u", "/etc/ssh/vpn_keys/%u"]
        );
        assert_eq!(
            c.key_file_templates("svc-x", &["admins".into()]),
            vec!["%h/.ssh/admin_keys", "/etc/ssh/vpn_keys/%u"]
        );
        assert!(!c.keys_command);
        let c = load(&[(
            "/etc/ssh/sshd_config",
            "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f
",
        )]);
        assert!(c.keys_command);
    }

    #[test]
    fn a_match_in_an_included_file_ends_with_it() {
        let c = load(&[
            (
                "/etc/ssh/sshd_config",
                "Include sshd_config.d/*.conf
AuthorizedKeysFile /etc/ssh/keys/%u
",
            ),
            (
                "/etc/ssh/sshd_config.d/sftp.conf",
                "Match Group sftp
  AuthorizedKeysFile /srv/sftp/%u.keys
",
            ),
        ]);
        assert_eq!(c.key_file_templates("al", &[]), vec!["/etc/ssh/keys/%u"]);
        assert_eq!(
            c.key_file_templates("al", &["sftp".into()]),
            vec!["/srv/sftp/%u.keys"]
        );
    }

    #[test]
    fn include_loops_stop() {
        let c = load(&[("/etc/ssh/sshd_config", "Include sshd_config\n")]);
        assert!(!c.issues.is_empty());
        assert_eq!(c.key_file_templates("a", &[]).len(), 2);
    }

    #[test]
    fn tokens_expand() {
        assert_eq!(
            expand("%h/.ssh/k", "al", 1001, "/home/al").as_deref(),
            Some("/home/al/.ssh/k")
        );
        assert_eq!(
            expand(".ssh/k_%u_%U_%%", "al", 7, "/home/al/").as_deref(),
            Some("/home/al/.ssh/k_al_7_%")
        );
        assert_eq!(
            expand("/etc/ssh/keys/%u", "al", 7, "").as_deref(),
            Some("/etc/ssh/keys/al")
        );
        assert_eq!(expand(".ssh/k", "al", 7, ""), None);
        assert_eq!(expand("/k/%z", "al", 7, "/h"), None);
        assert!(wildcard("*.conf", "10-a.conf"));
        assert!(!wildcard("*.conf", "a.conf.bak"));
    }
}
