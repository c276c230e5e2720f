//! IAM per principal: users, groups, roles, customer policies, the credential report,
//! access keys' last use.

#[allow(unused_imports)]
use super::*;

/// Everything about one listed user; `None` when the user was deleted after ListUsers
/// returned it (any of its calls answers NoSuchEntity).
pub(super) async fn fetch_user(c: &AccountClients, mut u: UserData) -> Option<UserData> {
    let name = u.name.clone();
    macro_rules! or_gone {
        ($listing:expr) => {{
            let (items, listed) = $listing;
            if listed == Listed::Gone {
                return c.gone(format!("user {name}"));
            }
            (items, listed)
        }};
    }
    let (tags, tags_listed) = or_gone!(collect_items!(
        c,
        "iam:ListUserTags",
        c.iam.list_user_tags().user_name(&name)
    ));
    u.tags_unread = tags_listed != Listed::Ok;
    u.tags = tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    if !c.skip("iam:GetLoginProfile") {
        match c.iam.get_login_profile().user_name(&name).send().await {
            Ok(out) => {
                u.login_profile = Some(
                    out.login_profile()
                        .and_then(|p| chrono_time(p.create_date())),
                )
            }
            // No console password (or the user is gone: the next call tells).
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) => {}
            Err(e) => {
                c.fail("iam:GetLoginProfile", &e);
                u.login_profile_unread = true;
            }
        }
    } else {
        u.login_profile_unread = true;
    }
    let (mfa, _) = or_gone!(collect_items!(
        c,
        "iam:ListMFADevices",
        c.iam.list_mfa_devices().user_name(&name)
    ));
    u.mfa_devices = mfa.iter().map(|d| d.serial_number().to_string()).collect();
    let (groups, groups_listed) = or_gone!(collect_items!(
        c,
        "iam:ListGroupsForUser",
        c.iam.list_groups_for_user().user_name(&name)
    ));
    u.admin_unread |= groups_listed != Listed::Ok;
    u.groups = groups.iter().map(|g| g.group_name().to_string()).collect();
    let (attached, attached_listed) = or_gone!(collect_items!(
        c,
        "iam:ListAttachedUserPolicies",
        c.iam.list_attached_user_policies().user_name(&name)
    ));
    u.admin_unread |= attached_listed != Listed::Ok;
    u.attached = attached
        .iter()
        .map(|p| AttachedPolicy {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.policy_arn().unwrap_or_default().to_string(),
        })
        .collect();
    let (inline_names, inline_listed) = or_gone!(collect_items!(
        c,
        "iam:ListUserPolicies",
        c.iam.list_user_policies().user_name(&name)
    ));
    u.admin_unread |= inline_listed != Listed::Ok;
    for p in inline_names {
        if c.skip("iam:GetUserPolicy") {
            u.admin_unread = true;
            break;
        }
        match c
            .iam
            .get_user_policy()
            .user_name(&name)
            .policy_name(&p)
            .send()
            .await
        {
            Ok(out) => u.inline.push(InlinePolicy {
                name: p,
                document: out.policy_document().to_string(),
            }),
            // The policy (or the user) was deleted since it was listed: nothing to judge.
            Err(e) if not_found(&e) => {}
            Err(e) => {
                c.fail("iam:GetUserPolicy", &e);
                u.admin_unread = true;
            }
        }
    }
    let (keys, keys_listed) = or_gone!(collect_items!(
        c,
        "iam:ListAccessKeys",
        c.iam.list_access_keys().user_name(&name)
    ));
    u.access_keys_unread = keys_listed != Listed::Ok;
    u.access_keys = keys
        .iter()
        .filter_map(|k| {
            Some(AccessKeyData {
                id: k.access_key_id()?.to_string(),
                status: k
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                created: opt_time(k.create_date()),
            })
        })
        .collect();
    let (ssh, _) = or_gone!(collect_items!(
        c,
        "iam:ListSSHPublicKeys",
        c.iam.list_ssh_public_keys().user_name(&name)
    ));
    for k in &ssh {
        let id = k.ssh_public_key_id().to_string();
        let mut cred = UserCredential {
            id: id.clone(),
            status: k.status().as_str().to_string(),
            created: chrono_time(k.upload_date()),
            ..Default::default()
        };
        // The key body, for its OpenSSH fingerprint (the join to hosts' authorized_keys).
        // IAM's own `Fingerprint` field is an MD5 digest, which nothing else prints.
        if !c.skip("iam:GetSSHPublicKey") {
            match c
                .iam
                .get_ssh_public_key()
                .user_name(&name)
                .ssh_public_key_id(&id)
                .encoding(aws_sdk_iam::types::EncodingType::Ssh)
                .send()
                .await
            {
                Ok(out) => {
                    cred.fingerprint = out
                        .ssh_public_key()
                        .and_then(|b| transform::ssh_key_fingerprint(b.ssh_public_key_body()));
                }
                Err(e) if not_found(&e) => {
                    c.gone::<()>(format!("SSH public key {id} of user {name}"));
                    continue;
                }
                Err(e) => {
                    c.fail("iam:GetSSHPublicKey", &e);
                }
            }
        }
        u.ssh_keys.push(cred);
    }
    let (certs, _) = or_gone!(collect_items!(
        c,
        "iam:ListSigningCertificates",
        c.iam.list_signing_certificates().user_name(&name)
    ));
    u.certificates = certs
        .iter()
        .map(|k| UserCredential {
            id: k.certificate_id().to_string(),
            status: k.status().as_str().to_string(),
            created: opt_time(k.upload_date()),
            ..Default::default()
        })
        .collect();
    Some(u)
}

/// Service-specific credentials (CodeCommit, Keyspaces, Bedrock) of every user in one
/// paginated `AllUsers` call instead of one call per user.
pub(super) async fn attach_service_credentials(c: &AccountClients, users: &mut [UserData]) {
    const OP: &str = "iam:ListServiceSpecificCredentials";
    let mut marker: Option<String> = None;
    let mut by_user: BTreeMap<String, Vec<UserCredential>> = BTreeMap::new();
    loop {
        let req = c
            .iam
            .list_service_specific_credentials()
            .all_users(true)
            .set_marker(marker.clone());
        match req.send().await {
            Ok(out) => {
                for m in out.service_specific_credentials() {
                    by_user
                        .entry(m.user_name().to_string())
                        .or_default()
                        .push(UserCredential {
                            id: m.service_specific_credential_id().to_string(),
                            status: m.status().as_str().to_string(),
                            created: chrono_time(m.create_date()),
                            service: Some(m.service_name().to_string()),
                            fingerprint: None,
                        });
                }
                marker = out
                    .marker()
                    .filter(|_| out.is_truncated())
                    .map(str::to_string);
                if marker.is_none() {
                    break;
                }
            }
            Err(e) => {
                c.fail(OP, &e);
                break;
            }
        }
    }
    for u in users.iter_mut() {
        if let Some(creds) = by_user.remove(&u.name) {
            u.service_credentials = creds;
        }
    }
}

/// A group's policies; `None` when it was deleted after ListGroups returned it.
pub(super) async fn fetch_group(c: &AccountClients, name: String) -> Option<GroupData> {
    let (attached, listed) = collect_items!(
        c,
        "iam:ListAttachedGroupPolicies",
        c.iam.list_attached_group_policies().group_name(&name)
    );
    if listed == Listed::Gone {
        return c.gone(format!("group {name}"));
    }
    let (inline_names, listed) = collect_items!(
        c,
        "iam:ListGroupPolicies",
        c.iam.list_group_policies().group_name(&name)
    );
    if listed == Listed::Gone {
        return c.gone(format!("group {name}"));
    }
    let mut g = GroupData {
        name: name.clone(),
        attached: attached
            .iter()
            .map(|p| AttachedPolicy {
                name: p.policy_name().unwrap_or_default().to_string(),
                arn: p.policy_arn().unwrap_or_default().to_string(),
            })
            .collect(),
        inline: Vec::new(),
    };
    for p in inline_names {
        if c.skip("iam:GetGroupPolicy") {
            break;
        }
        match c
            .iam
            .get_group_policy()
            .group_name(&name)
            .policy_name(&p)
            .send()
            .await
        {
            Ok(out) => g.inline.push(InlinePolicy {
                name: p,
                document: out.policy_document().to_string(),
            }),
            Err(e) if not_found(&e) => {}
            Err(e) => {
                c.fail("iam:GetGroupPolicy", &e);
            }
        }
    }
    Some(g)
}

/// A role's tags, last use and policies; `None` when it was deleted after ListRoles
/// returned it.
pub(super) async fn fetch_role(c: &AccountClients, mut r: RoleData) -> Option<RoleData> {
    let role = format!("role {}", r.name);
    macro_rules! or_gone {
        ($listing:expr) => {{
            let (items, listed) = $listing;
            if listed == Listed::Gone {
                return c.gone(role);
            }
            items
        }};
    }
    // ListRoles returns no tags (as real AWS does), hence ListRoleTags.
    let tags = or_gone!(collect_items!(
        c,
        "iam:ListRoleTags",
        c.iam.list_role_tags().role_name(&r.name)
    ));
    r.tags = tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    // ListRoles does not fill RoleLastUsed either; GetRole does.
    if !c.skip("iam:GetRole") {
        match c.iam.get_role().role_name(&r.name).send().await {
            Ok(out) => {
                if let Some(lu) = out.role().and_then(|x| x.role_last_used()) {
                    r.last_used = opt_time(lu.last_used_date());
                    r.last_used_region = lu.region().map(str::to_string);
                }
            }
            Err(e) if not_found(&e) => return c.gone(role),
            Err(e) => {
                c.fail("iam:GetRole", &e);
            }
        }
    }
    let attached = or_gone!(collect_items!(
        c,
        "iam:ListAttachedRolePolicies",
        c.iam.list_attached_role_policies().role_name(&r.name)
    ));
    r.attached = attached
        .iter()
        .map(|p| AttachedPolicy {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.policy_arn().unwrap_or_default().to_string(),
        })
        .collect();
    // Inline role policies grant admin as often as attached ones do.
    let inline_names = or_gone!(collect_items!(
        c,
        "iam:ListRolePolicies",
        c.iam.list_role_policies().role_name(&r.name)
    ));
    for p in inline_names {
        if c.skip("iam:GetRolePolicy") {
            break;
        }
        match c
            .iam
            .get_role_policy()
            .role_name(&r.name)
            .policy_name(&p)
            .send()
            .await
        {
            Ok(out) => r.inline.push(InlinePolicy {
                name: p,
                document: out.policy_document().to_string(),
            }),
            Err(e) if not_found(&e) => {}
            Err(e) => {
                c.fail("iam:GetRolePolicy", &e);
            }
        }
    }
    Some(r)
}

/// Default-version documents of the customer-managed policies attached anywhere, once
/// per policy. AWS-managed policies are judged by ARN, never fetched.
pub(super) async fn fetch_customer_policies(
    c: &AccountClients,
    sem: &Arc<Semaphore>,
    data: &AccountData,
) -> BTreeMap<String, String> {
    let arns: BTreeSet<String> = data
        .users
        .iter()
        .flat_map(|u| u.attached.iter())
        .chain(data.groups.values().flat_map(|g| g.attached.iter()))
        .chain(data.roles.iter().flat_map(|r| r.attached.iter()))
        .map(|p| p.arn.clone())
        .filter(|a| !a.contains(":iam::aws:policy/") && !a.is_empty())
        .collect();
    let mut set = JoinSet::new();
    for arn in arns {
        let c = c.clone();
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.ok()?;
            if c.skip("iam:GetPolicy") {
                return None;
            }
            let version = match c.iam.get_policy().policy_arn(&arn).send().await {
                Ok(out) => out
                    .policy()
                    .and_then(|p| p.default_version_id())
                    .map(str::to_string)?,
                Err(e) if not_found(&e) => return c.gone(format!("policy {arn}")),
                Err(e) => {
                    c.fail("iam:GetPolicy", &e);
                    return None;
                }
            };
            if c.skip("iam:GetPolicyVersion") {
                return None;
            }
            match c
                .iam
                .get_policy_version()
                .policy_arn(&arn)
                .version_id(version)
                .send()
                .await
            {
                Ok(out) => {
                    let doc = out
                        .policy_version()
                        .and_then(|v| v.document())
                        .map(str::to_string)?;
                    Some((arn, doc))
                }
                Err(e) => {
                    c.fail("iam:GetPolicyVersion", &e);
                    None
                }
            }
        });
    }
    let mut out = BTreeMap::new();
    while let Some(r) = set.join_next().await {
        if let Ok(Some((arn, doc))) = r {
            out.insert(arn, doc);
        }
    }
    out
}

/// Start credential report generation; true when IAM accepted (or already has) one.
pub(super) async fn generate_report(c: &AccountClients) -> bool {
    match c.iam.generate_credential_report().send().await {
        Ok(_) => true,
        Err(e) => {
            // Not a coverage error on its own: GetAccessKeyLastUsed covers the keys.
            tracing::debug!(error = %classify("iam:GenerateCredentialReport", &e).scrubbed(&c.scrub), "Credential report unavailable");
            false
        }
    }
}

/// Wait for the credential report and read its CSV.
pub(super) async fn read_report(c: &AccountClients) -> Option<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + REPORT_WAIT;
    loop {
        match c.iam.get_credential_report().send().await {
            Ok(out) => return out.content().map(|b| b.as_ref().to_vec()),
            Err(e) => {
                let not_ready = e.as_service_error().is_some_and(|s| {
                    s.is_credential_report_not_ready_exception()
                        || s.is_credential_report_not_present_exception()
                });
                if !not_ready || tokio::time::Instant::now() >= deadline {
                    tracing::debug!(error = %classify("iam:GetCredentialReport", &e).scrubbed(&c.scrub), "Credential report unavailable");
                    return None;
                }
                let _ = c.iam.generate_credential_report().send().await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Last use of every access key: from the credential report where its rows match the
/// keys, else one GetAccessKeyLastUsed per remaining key.
pub(super) async fn key_last_used(
    c: &AccountClients,
    sem: &Arc<Semaphore>,
    users: &[UserData],
    report_started: bool,
) -> BTreeMap<String, Option<DateTime<Utc>>> {
    let mut out = BTreeMap::new();
    if users.iter().all(|u| u.access_keys.is_empty()) {
        return out;
    }
    let rows = if report_started {
        read_report(c).await
    } else {
        None
    }
    .and_then(|csv| transform::parse_credential_report(&csv).ok())
    .unwrap_or_default();
    let mut missing = Vec::new();
    for u in users {
        let matched = rows
            .get(&u.arn)
            .map(|row| transform::match_report_keys(row, &u.access_keys))
            .unwrap_or_default();
        for k in &u.access_keys {
            if !matched.contains_key(&k.id) {
                missing.push(k.id.clone());
            }
        }
        out.extend(matched);
    }
    let mut set = JoinSet::new();
    for id in missing {
        let c = c.clone();
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.ok()?;
            if c.skip("iam:GetAccessKeyLastUsed") {
                return None;
            }
            match c
                .iam
                .get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await
            {
                Ok(o) => Some((
                    id,
                    o.access_key_last_used()
                        .and_then(|l| opt_time(l.last_used_date())),
                )),
                Err(e) => {
                    c.fail("iam:GetAccessKeyLastUsed", &e);
                    None
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        if let Ok(Some((id, t))) = r {
            out.insert(id, t);
        }
    }
    out
}
