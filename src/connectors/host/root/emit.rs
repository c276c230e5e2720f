//! Accounts and their authorized keys turned into NHI records: status, admin rights,
//! naming and access hints, what a key may do (`from=`, forced commands).

use super::admin::short_admin_reasons;
use super::*;

impl RootScan<'_> {
    pub(super) fn emit_account(&mut self, a: &Account<'_>, tie_required: Option<&'static str>) {
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

    pub(super) fn emit_key(&mut self, a: &Account<'_>, file: &str, k: &AuthorizedKey) {
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
}

fn day_to_date(days: i64) -> Option<String> {
    let secs = days.checked_mul(86_400)?;
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_to_date_formats() {
        assert_eq!(day_to_date(19_000).as_deref(), Some("2022-01-08"));
        assert_eq!(day_to_date(i64::MAX), None);
    }
}
