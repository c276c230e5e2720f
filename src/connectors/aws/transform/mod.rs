//! Pure transform from what the IAM, credential-report and CloudTrail APIs returned
//! (plain structs mirroring the API fields) to [`Nhi`] records with owner hints.
//!
//! No I/O and no SDK types here, so every rule (admin detection, owner tags, naming,
//! trust-policy principals, CloudTrail caller mapping, credential-report matching) is
//! unit-tested on recorded shapes. Nothing here knows about people: it only says which
//! identifiers it saw and where.

use crate::model::{Evidence, Kind, Nhi, NhiStatus, OwnerHint, Signal};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

mod admin;
mod api;
mod owners;
mod report;
mod trail;

pub use admin::*;
pub use api::*;
pub use owners::*;
pub use report::*;
pub use trail::*;

pub(super) fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(super) fn status_of(s: &str) -> NhiStatus {
    if s.eq_ignore_ascii_case("active") {
        NhiStatus::Active
    } else if s.eq_ignore_ascii_case("inactive") || s.eq_ignore_ascii_case("expired") {
        NhiStatus::Inactive
    } else {
        NhiStatus::Unknown
    }
}

/// Turn one account's data into NHI records for connector `connector` (`aws:NAME`).
pub fn account_nhis(connector: &str, data: &AccountData) -> Vec<Nhi> {
    let mut audit: BTreeMap<Created, Vec<OwnerHint>> = BTreeMap::new();
    for ev in &data.cloudtrail {
        if let Some((created, hint)) = cloudtrail_hint(ev) {
            let hints = audit.entry(created).or_default();
            if !hints.contains(&hint) {
                hints.push(hint);
            }
        }
    }
    let mut out = Vec::new();
    for u in &data.users {
        user_nhis(connector, data, u, &audit, &mut out);
    }
    for r in &data.roles {
        if let Some(n) = role_nhi(connector, data, r, &audit) {
            out.push(n);
        }
    }
    out
}

pub(super) fn user_nhis(
    connector: &str,
    data: &AccountData,
    u: &UserData,
    audit: &BTreeMap<Created, Vec<OwnerHint>>,
    out: &mut Vec<Nhi>,
) {
    let start = out.len();
    let what = format!("IAM user {}", u.name);
    let tags = tag_hints(&u.tags, &format!("user {}", u.name));
    let admin_via = admin_reason(&u.attached, &u.inline, &data.policy_docs, "").or_else(|| {
        u.groups.iter().find_map(|g| {
            let gd = data.groups.get(g)?;
            admin_reason(
                &gd.attached,
                &gd.inline,
                &data.policy_docs,
                &format!("group {g}: "),
            )
        })
    });
    let admin = admin_via.is_some();
    let key_used = |id: &str| data.key_last_used.get(id).copied().flatten();
    let active_keys = u
        .access_keys
        .iter()
        .filter(|k| status_of(&k.status) == NhiStatus::Active)
        .count();

    let mut user = Nhi::new(connector, Kind::AwsIamUser, &u.arn, {
        let mut t = what.clone();
        if admin {
            t.push_str(" (administrator)");
        }
        t
    });
    user.status = if u.login_profile.is_some() || active_keys > 0 {
        NhiStatus::Active
    } else if u.login_profile_unread || u.access_keys_unread {
        // A failed read is not evidence that the user cannot sign in.
        NhiStatus::Unknown
    } else {
        NhiStatus::Inactive
    };
    user.created_at = u.created;
    user.last_used_at = u
        .access_keys
        .iter()
        .filter_map(|k| key_used(&k.id))
        .chain(u.password_last_used)
        .max();
    user.privileged = admin;
    let ev = |d: String| Evidence::new("aws:iam", d);
    user.hints.push(OwnerHint::new(
        format!("aws:{}", u.name),
        Signal::Account,
        ev(format!("{what} {}", u.arn)),
    ));
    user.hints.push(OwnerHint::new(
        &u.name,
        Signal::Account,
        ev(format!("{what} {}", u.arn)),
    ));
    user.hints.extend(tags.iter().cloned());
    let naming = name_hints(&u.name, "IAM user");
    user.hints.extend(naming.iter().cloned());
    if let Some(h) = audit.get(&Created::User(u.name.clone())) {
        user.hints.extend(h.iter().cloned());
    }
    let a = &mut user.attributes;
    a.insert("account_id".into(), data.account_id.clone());
    a.insert("user_name".into(), u.name.clone());
    a.insert("user_id".into(), u.user_id.clone());
    a.insert("path".into(), u.path.clone());
    a.insert(
        "console_access".into(),
        if u.login_profile.is_none() && u.login_profile_unread {
            "unknown".to_string()
        } else {
            u.login_profile.is_some().to_string()
        },
    );
    if is_service_like(&u.name) {
        a.insert("service_like_name".into(), "true".into());
    }
    if let Some(t) = u.password_last_used {
        a.insert("password_last_used".into(), rfc3339(&t));
    }
    a.insert("mfa".into(), (!u.mfa_devices.is_empty()).to_string());
    a.insert("groups".into(), u.groups.join(","));
    a.insert("access_keys_active".into(), active_keys.to_string());
    if let Some(via) = &admin_via {
        a.insert("admin_via".into(), via.clone());
    }
    for (k, v) in &u.tags {
        a.insert(format!("tag:{k}"), v.clone());
    }
    out.push(user);

    // Credentials belong to the user: the API's own owner field, plus the user's tags.
    let creator = |what: &str| {
        let mut h = vec![OwnerHint::new(
            format!("aws:{}", u.name),
            Signal::CreatorField,
            ev(format!("{what} belongs to IAM user {}", u.name)),
        )];
        h.extend(tags.iter().cloned());
        h.extend(naming.iter().cloned());
        h
    };
    for k in &u.access_keys {
        let mut n = Nhi::new(
            connector,
            Kind::AwsAccessKey,
            format!("{}#{}", u.arn, k.id),
            format!("Access key {} of IAM user {}", k.id, u.name),
        );
        n.status = status_of(&k.status);
        n.created_at = k.created;
        n.last_used_at = key_used(&k.id);
        n.privileged = admin;
        n.hints = creator(&format!("access key {}", k.id));
        if let Some(h) = audit.get(&Created::AccessKey(k.id.clone())) {
            n.hints.extend(h.iter().cloned());
        }
        n.add_join(crate::model::JoinKey::aws_access_key_id(&k.id));
        n.attributes
            .insert("account_id".into(), data.account_id.clone());
        n.attributes.insert("user_name".into(), u.name.clone());
        n.attributes.insert("access_key_id".into(), k.id.clone());
        n.attributes.insert("key_status".into(), k.status.clone());
        if !data.key_last_used.contains_key(&k.id) {
            n.attributes.insert("last_used".into(), "unknown".into());
        }
        out.push(n);
    }
    let creds = [
        (&u.ssh_keys, Kind::AwsSshKey, "ssh", "SSH public key"),
        (
            &u.service_credentials,
            Kind::AwsServiceCredential,
            "svc-cred",
            "Service-specific credential",
        ),
        (
            &u.certificates,
            Kind::AwsSigningCertificate,
            "cert",
            "Signing certificate",
        ),
    ];
    for (list, kind, tag, label) in creds {
        for c in list {
            let mut title = format!("{label} {} of IAM user {}", c.id, u.name);
            if let Some(s) = &c.service {
                title.push_str(&format!(" for {s}"));
            }
            let mut n = Nhi::new(connector, kind, format!("{}#{tag}:{}", u.arn, c.id), title);
            n.status = status_of(&c.status);
            n.created_at = c.created;
            n.privileged = admin && kind != Kind::AwsServiceCredential;
            n.hints = creator(&format!("{} {}", label.to_lowercase(), c.id));
            if let Some(fp) = &c.fingerprint {
                // The same key in a host's authorized_keys joins on this.
                n.set_ssh_key(fp);
            }
            n.attributes
                .insert("account_id".into(), data.account_id.clone());
            n.attributes.insert("user_name".into(), u.name.clone());
            if let Some(s) = &c.service {
                n.attributes.insert("service".into(), s.clone());
            }
            out.push(n);
        }
    }
    // What could not be read is said on every record it affects: a sweep must not call a
    // user orphaned with confidence, or rate it below admin, on facts it never saw.
    let unread: Vec<crate::model::Unread> = [
        (u.tags_unread, crate::model::Unread::OwnerTags),
        (u.admin_unread, crate::model::Unread::AdminRights),
    ]
    .into_iter()
    .filter_map(|(flag, what)| flag.then_some(what))
    .collect();
    if !unread.is_empty() {
        for n in &mut out[start..] {
            n.mark_unread(&unread);
        }
    }
}

pub(super) fn role_nhi(
    connector: &str,
    data: &AccountData,
    r: &RoleData,
    audit: &BTreeMap<Created, Vec<OwnerHint>>,
) -> Option<Nhi> {
    if is_service_linked(&r.path) {
        return None;
    }
    let admin_via = admin_reason(&r.attached, &r.inline, &data.policy_docs, "");
    let mut n = Nhi::new(
        connector,
        Kind::AwsIamRole,
        &r.arn,
        format!("IAM role {}", r.name),
    );
    n.status = NhiStatus::Active;
    n.created_at = r.created;
    n.last_used_at = r.last_used;
    n.privileged = admin_via.is_some();
    n.hints = tag_hints(&r.tags, &format!("role {}", r.name));
    let managed = is_aws_managed_role(&r.path, &r.name);
    if managed {
        // Its name is AWS's (a permission set's, a landing zone's), not a person's.
        n.tie_required = Some("aws_managed_role");
    } else {
        n.hints.extend(name_hints(&r.name, "IAM role"));
    }
    let principals = r
        .trust_policy
        .as_deref()
        .map(trust_principals)
        .unwrap_or_default();
    for (p, user) in &principals {
        if let Some(user) = user {
            n.hints.push(OwnerHint::new(
                format!("aws:{user}"),
                Signal::Access,
                Evidence::new(
                    "aws:iam",
                    format!("trust policy of role {} allows {p}", r.name),
                ),
            ));
        }
    }
    if let Some(h) = audit.get(&Created::Role(r.name.clone())) {
        n.hints.extend(h.iter().cloned());
    }
    let a = &mut n.attributes;
    a.insert("account_id".into(), data.account_id.clone());
    a.insert("role_name".into(), r.name.clone());
    a.insert("path".into(), r.path.clone());
    a.insert(
        "trusted_principals".into(),
        principals
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    if let Some(d) = &r.description {
        a.insert("description".into(), d.clone());
    }
    if let Some(reg) = &r.last_used_region {
        a.insert("last_used_region".into(), reg.clone());
    }
    if let Some(via) = admin_via {
        a.insert("admin_via".into(), via);
    }
    for (k, v) in &r.tags {
        a.insert(format!("tag:{k}"), v.clone());
    }
    Some(n)
}

#[cfg(test)]
mod tests;
