//! Admin rights of an account: admin and root-equivalent groups, sudoers grants (direct,
//! by group, through aliases), and the accounts a grant lets someone run as.

use super::*;

/// Groups whose members are administrators. `docker`, `lxd`, `libvirt` and `root` are
/// root-equivalent (a member can mount `/` into a container or VM it controls).
const ADMIN_GROUPS: &[&str] = &["sudo", "wheel", "admin", "docker", "root", "lxd", "libvirt"];
const ROOT_EQUIVALENT_GROUPS: &[&str] = &["docker", "root", "lxd", "libvirt"];

/// Users a sudoers grant lets run commands as a specific other account
/// (`alice ALL=(svc-deploy) ALL`), recorded on that account. `ALL` and `root` targets
/// are admin rights, which the grantee's own account already reports.
pub(super) fn runas_access(accts: &mut [Account<'_>], sudo: &Sudoers) {
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

pub(super) fn admin_rights(a: &mut Account<'_>, sudo: &Sudoers) {
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
pub(super) fn short_admin_reasons(a: &Account<'_>) -> String {
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
