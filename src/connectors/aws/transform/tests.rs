//! The transform on recorded shapes.
use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .expect("time")
}

fn tags(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn owner_tag_keys_match_case_and_separator_insensitively() {
    for k in [
        "owner",
        "Owner",
        "OWNER",
        "CreatedBy",
        "created_by",
        "createdBy",
        "creator",
        "email",
        "maintainer",
        "owner_email",
        "Owner-Email",
        "OwnerEmail",
        "contact",
        "CONTACT",
        "contact_email",
    ] {
        assert_eq!(owner_tag_strength(k), Some(TagStrength::Owner), "{k}");
    }
    for k in ["team", "Team", "poc"] {
        assert_eq!(owner_tag_strength(k), Some(TagStrength::Weak), "{k}");
    }
    assert_eq!(owner_tag_strength("environment"), None);
    let h = tag_hints(
        &tags(&[
            ("Owner", "alice@acme.example"),
            ("team", "platform"),
            ("env", "prod"),
        ]),
        "user x",
    );
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].signal, Signal::OwnerTag);
    assert_eq!(h[0].identifier, "alice@acme.example");
    assert_eq!(h[1].signal, Signal::Naming);
}

#[test]
fn aws_created_roles_are_recognised_and_people_s_roles_are_not() {
    for (path, name) in [
        (
            "/aws-reserved/sso.amazonaws.com/",
            "AWSReservedSSO_AdministratorAccess_0123abcd",
        ),
        ("/", "OrganizationAccountAccessRole"),
        ("/service-role/", "AWSControlTowerExecution"),
        ("/", "aws-controltower-AuditAdministratorRole"),
        ("/", "AWSCloudFormationStackSetExecutionRole"),
        ("/", "stacksets-exec-0123456789abcdef"),
    ] {
        assert!(is_aws_managed_role(path, name), "{name}");
    }
    for (path, name) in [
        ("/", "svc-alice-deploy"),
        ("/", "OrganizationAdmins"),
        ("/", "ci"),
    ] {
        assert!(!is_aws_managed_role(path, name), "{name}");
    }
}

#[test]
fn admin_policy_detection() {
    let star =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    assert!(policy_grants_admin(star));
    // IAM returns documents URL-encoded.
    assert!(policy_grants_admin(&urlencoding::encode(star)));
    let iam = r#"{"Statement":[{"Effect":"Allow","Action":["s3:Get*","iam:*"],"Resource":["*"]}]}"#;
    assert!(policy_grants_admin(iam));
    let narrow = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    assert!(!policy_grants_admin(narrow));
    let deny = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    assert!(!policy_grants_admin(deny));
    assert!(!policy_grants_admin("not json"));
}

#[test]
fn owner_tag_values_with_several_addresses_or_a_display_name() {
    assert_eq!(
        tag_owner_values("alice@acme.example"),
        vec!["alice@acme.example"]
    );
    assert_eq!(tag_owner_values("Alice Smith"), vec!["Alice Smith"]);
    assert_eq!(
        tag_owner_values("alice@acme.example, bob@acme.example"),
        vec!["alice@acme.example", "bob@acme.example"]
    );
    assert_eq!(
        tag_owner_values("alice@acme.example;bob@acme.example"),
        vec!["alice@acme.example", "bob@acme.example"]
    );
    assert_eq!(
        tag_owner_values("Alice Liddell (alice@acme.example)"),
        vec!["alice@acme.example"]
    );
    assert_eq!(
        tag_owner_values("alice@acme.example/bob@acme.example"),
        vec!["alice@acme.example", "bob@acme.example"]
    );
    let h = tag_hints(
        &tags(&[
            ("env", "x"),
            ("owner", "alice@acme.example bob@acme.example"),
        ]),
        "user x",
    );
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].identifier, "bob@acme.example");
    assert_eq!(owner_tag_strength("RequestedBy"), Some(TagStrength::Owner));
    assert_eq!(owner_tag_strength("owner_id"), Some(TagStrength::Owner));
}

#[test]
fn admin_policy_spellings_not_action_and_partitions() {
    // `*:*` is how many tools and people write "everything".
    let star_star = r#"{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}"#;
    assert!(policy_grants_admin(star_star));
    assert!(policy_grants_admin(
        r#"{"Statement":[{"Effect":"Allow","Action":"IAM:*","Resource":"*"}]}"#
    ));
    // NotAction allows everything else: still admin while IAM stays writable.
    let not_delete =
        r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:DeleteUser","Resource":"*"}]}"#;
    assert!(policy_grants_admin(not_delete));
    // AWS's PowerUserAccess: everything but IAM and Organizations is not admin.
    let power = r#"{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}"#;
    assert!(!policy_grants_admin(power));
    assert!(!policy_grants_admin(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}"#
    ));
    for arn in [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
        "arn:aws-cn:iam::aws:policy/IAMFullAccess",
    ] {
        assert!(is_admin_managed_policy(arn), "{arn}");
    }
    for arn in [
        "arn:aws:iam::123456789012:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/job-function/AdministratorAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
    ] {
        assert!(!is_admin_managed_policy(arn), "{arn}");
    }
}

#[test]
fn inline_role_policy_and_group_star_star_make_admins() {
    let mut d = sample();
    d.groups.insert(
        "ops".into(),
        GroupData {
            name: "ops".into(),
            attached: vec![],
            inline: vec![InlinePolicy {
                name: "all".into(),
                document: urlencoding::encode(
                    r#"{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}"#,
                )
                .into_owned(),
            }],
        },
    );
    d.users[0].groups = vec!["ops".into()];
    d.roles[0].inline = vec![InlinePolicy {
        name: "root".into(),
        document: r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into(),
    }];
    let nhis = account_nhis("aws:test", &d);
    assert_eq!(
        nhis[0].attributes["admin_via"],
        "group ops: inline policy all allows *"
    );
    let role = nhis
        .iter()
        .find(|n| n.kind == Kind::AwsIamRole)
        .expect("role");
    assert!(role.privileged);
    assert_eq!(role.attributes["admin_via"], "inline policy root allows *");
}

#[test]
fn person_words_in_user_and_role_names_become_naming_hints_on_their_credentials() {
    let mut d = sample();
    d.users[0].name = "svc-alice-deploy".into();
    d.users[0].tags.clear();
    d.users.push(UserData {
        name: "alice-ci".into(),
        arn: "arn:aws:iam::123456789012:user/alice-ci".into(),
        access_keys: vec![AccessKeyData {
            id: "AKIACI".into(),
            status: "Active".into(),
            created: None,
        }],
        ..Default::default()
    });
    d.roles[0].name = "deployAliceRole".into();
    let nhis = account_nhis("aws:test", &d);
    let naming = |n: &Nhi| {
        n.hints
            .iter()
            .filter(|h| h.signal == Signal::Naming)
            .map(|h| h.identifier.clone())
            .collect::<Vec<_>>()
    };
    for n in &nhis {
        if n.kind == Kind::AwsIamRole || n.attributes.contains_key("user_name") {
            assert!(
                naming(n).contains(&"alice".to_string()),
                "{} {:?}",
                n.resource,
                n.hints
            );
        }
    }
    let ci = nhis
        .iter()
        .find(|n| n.resource.ends_with("user/alice-ci"))
        .expect("alice-ci");
    assert!(
        !naming(ci).contains(&"alice-ci".to_string()),
        "the whole name is the Account hint"
    );
    assert!(ci.hints[..2].iter().all(|h| h.signal == Signal::Account));
}

#[test]
fn user_whose_login_profile_or_keys_could_not_be_read_is_unknown_not_inactive() {
    let mut d = sample();
    d.users[0].access_keys.clear();
    d.users[0].login_profile_unread = true;
    let nhis = account_nhis("aws:test", &d);
    assert_eq!(nhis[0].status, NhiStatus::Unknown);
    assert_eq!(nhis[0].attributes["console_access"], "unknown");
    d.users[0].login_profile_unread = false;
    d.users[0].access_keys_unread = true;
    assert_eq!(account_nhis("aws:test", &d)[0].status, NhiStatus::Unknown);
    d.users[0].access_keys_unread = false;
    assert_eq!(account_nhis("aws:test", &d)[0].status, NhiStatus::Inactive);
}

#[test]
fn what_could_not_be_read_is_marked_on_the_user_and_its_credentials() {
    let mut d = sample();
    let user_arn = d.users[0].arn.clone();
    d.users[0].tags_unread = true;
    d.users[0].admin_unread = true;
    let nhis = account_nhis("aws:test", &d);
    let of_user: Vec<&Nhi> = nhis
        .iter()
        .filter(|n| n.resource.starts_with(&user_arn))
        .collect();
    assert!(of_user.len() > 1, "the user and at least one credential");
    for n in of_user {
        assert_eq!(
            n.attributes.get("unread").map(String::as_str),
            Some("owner tags, admin rights"),
            "{}",
            n.resource
        );
    }
    d.users[0].tags_unread = false;
    d.users[0].admin_unread = false;
    assert!(account_nhis("aws:test", &d)
        .iter()
        .all(|n| !n.attributes.contains_key("unread")));
}

#[test]
fn service_like_names() {
    assert!(is_service_like("svc-alice-deploy"));
    assert!(is_service_like("ci_bot"));
    assert!(is_service_like("terraform"));
    assert!(!is_service_like("alice"));
    assert!(!is_service_like("cindy"));
}

#[test]
fn a_principal_arn_condition_names_who_can_assume() {
    let doc = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}}}]}"#;
    let p = trust_principals(doc);
    assert!(
        p.contains(&(
            "arn:aws:iam::123456789012:user/alice".to_string(),
            Some("alice".to_string())
        )),
        "{p:?}"
    );
}

#[test]
fn trust_policy_principals() {
    let doc = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:root"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let p = trust_principals(doc);
    assert!(p.contains(&(
        "arn:aws:iam::123456789012:user/alice".into(),
        Some("alice".into())
    )));
    assert!(p.contains(&("arn:aws:iam::123456789012:root".into(), None)));
    assert!(p.contains(&("ec2.amazonaws.com".into(), None)));
    assert_eq!(
        iam_user_name_from_arn("arn:aws:iam::1:user/team/x/bob"),
        Some("bob".into())
    );
    assert_eq!(iam_user_name_from_arn("arn:aws:iam::1:role/bob"), None);
}

#[test]
fn credential_report_matches_keys_by_creation_time() {
    let csv = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
alice,arn:aws:iam::123456789012:user/alice,2024-01-01T00:00:00+00:00,true,no_information,N/A,N/A,false,true,2024-01-02T00:00:00+00:00,2024-05-01T10:00:00+00:00,us-east-1,iam,false,2024-01-03T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n";
    let rows = parse_credential_report(csv.as_bytes()).expect("parse");
    let row = &rows["arn:aws:iam::123456789012:user/alice"];
    assert_eq!(row.key_slots.len(), 2);
    let keys = vec![
        AccessKeyData {
            id: "AKIA1".into(),
            status: "Active".into(),
            created: Some(t("2024-01-02T00:00:00.400Z")),
        },
        AccessKeyData {
            id: "AKIA2".into(),
            status: "Inactive".into(),
            created: Some(t("2024-01-03T00:00:00Z")),
        },
        AccessKeyData {
            id: "AKIA3".into(),
            status: "Active".into(),
            created: Some(t("2024-06-01T00:00:00Z")),
        },
    ];
    let m = match_report_keys(row, &keys);
    assert_eq!(m.get("AKIA1"), Some(&Some(t("2024-05-01T10:00:00Z"))));
    assert_eq!(m.get("AKIA2"), Some(&None));
    assert!(
        !m.contains_key("AKIA3"),
        "a key newer than the report falls back to GetAccessKeyLastUsed"
    );
}

fn ct(name: &str, json: &str) -> CloudTrailEvent {
    CloudTrailEvent {
        event_id: "e-1".into(),
        event_name: name.into(),
        event_time: Some(t("2026-01-05T10:00:00Z")),
        cloud_trail_event: json.into(),
    }
}

#[test]
fn cloudtrail_callers_map_to_hints() {
    let key = ct(
        "CreateAccessKey",
        r#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice","userName":"alice"},
            "requestParameters":{"userName":"svc-deploy"},
            "responseElements":{"accessKey":{"accessKeyId":"AKIAXYZ","status":"Active","userName":"svc-deploy"}}}"#,
    );
    let (c, h) = cloudtrail_hint(&key).expect("hint");
    assert_eq!(c, Created::AccessKey("AKIAXYZ".into()));
    assert_eq!(h.identifier, "aws:alice");
    assert_eq!(h.signal, Signal::AuditEvent);
    assert!(h
        .evidence
        .detail
        .contains("CreateAccessKey by arn:aws:iam::123456789012:user/alice"));

    let sso = ct(
        "CreateRole",
        r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@acme.example"},
            "requestParameters":{"roleName":"deployer"},"responseElements":{}}"#,
    );
    let (c, h) = cloudtrail_hint(&sso).expect("hint");
    assert_eq!(c, Created::Role("deployer".into()));
    assert_eq!(h.identifier, "alice@acme.example");

    let own = ct(
        "CreateLoginProfile",
        r#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/bob","userName":"bob"},"requestParameters":{}}"#,
    );
    assert_eq!(
        cloudtrail_hint(&own).map(|x| x.0),
        Some(Created::User("bob".into()))
    );

    let root = ct(
        "CreateUser",
        r#"{"userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"},"requestParameters":{"userName":"x"}}"#,
    );
    assert!(cloudtrail_hint(&root).is_none());
    assert!(cloudtrail_hint(&ct("CreateUser", "{not json")).is_none());
}

fn sample() -> AccountData {
    let arn = "arn:aws:iam::123456789012:user/svc-deploy".to_string();
    let mut groups = BTreeMap::new();
    groups.insert(
        "admins".to_string(),
        GroupData {
            name: "admins".into(),
            attached: vec![AttachedPolicy {
                name: "AdministratorAccess".into(),
                arn: ADMIN_MANAGED_POLICIES[0].into(),
            }],
            inline: vec![],
        },
    );
    let mut key_last_used = BTreeMap::new();
    key_last_used.insert("AKIAOLD".to_string(), Some(t("2026-01-01T00:00:00Z")));
    AccountData {
        account_id: "123456789012".into(),
        users: vec![UserData {
            name: "svc-deploy".into(),
            arn: arn.clone(),
            groups: vec!["admins".into()],
            tags: tags(&[("owner", "alice@acme.example")]),
            access_keys: vec![
                AccessKeyData { id: "AKIAOLD".into(), status: "Active".into(), created: None },
                AccessKeyData { id: "AKIANEW".into(), status: "Inactive".into(), created: None },
            ],
            ssh_keys: vec![UserCredential { id: "APKA1".into(), status: "Active".into(), ..Default::default() }],
            ..Default::default()
        }],
        roles: vec![
            RoleData {
                name: "deployer".into(),
                arn: "arn:aws:iam::123456789012:role/deployer".into(),
                path: "/".into(),
                trust_policy: Some(urlencoding::encode(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}"#).into_owned()),
                tags: tags(&[("CreatedBy", "bob@acme.example")]),
                ..Default::default()
            },
            RoleData { name: "AWSServiceRoleForX".into(), path: "/aws-service-role/x/".into(), ..Default::default() },
        ],
        groups,
        key_last_used,
        ..Default::default()
    }
}

#[test]
fn account_transform_emits_users_keys_roles_with_hints() {
    let nhis = account_nhis("aws:test", &sample());
    let kinds: Vec<_> = nhis.iter().map(|n| (n.kind, n.resource.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (
                Kind::AwsIamUser,
                "arn:aws:iam::123456789012:user/svc-deploy"
            ),
            (
                Kind::AwsAccessKey,
                "arn:aws:iam::123456789012:user/svc-deploy#AKIAOLD"
            ),
            (
                Kind::AwsAccessKey,
                "arn:aws:iam::123456789012:user/svc-deploy#AKIANEW"
            ),
            (
                Kind::AwsSshKey,
                "arn:aws:iam::123456789012:user/svc-deploy#ssh:APKA1"
            ),
            (Kind::AwsIamRole, "arn:aws:iam::123456789012:role/deployer"),
        ]
    );
    let user = &nhis[0];
    assert!(user.privileged);
    assert_eq!(
        user.attributes["admin_via"],
        "group admins: managed policy AdministratorAccess"
    );
    assert_eq!(user.status, NhiStatus::Active);
    assert!(user
        .hints
        .iter()
        .any(|h| h.signal == Signal::Account && h.identifier == "aws:svc-deploy"));
    assert!(user
        .hints
        .iter()
        .any(|h| h.signal == Signal::OwnerTag && h.identifier == "alice@acme.example"));
    assert_eq!(user.attributes["service_like_name"], "true");
    assert!(
        !user.hints.iter().any(|h| h.signal == Signal::Naming),
        "svc-deploy has no person-like word"
    );
    let old = &nhis[1];
    assert_eq!(old.status, NhiStatus::Active);
    assert_eq!(old.last_used_at, Some(t("2026-01-01T00:00:00Z")));
    assert_eq!(
        old.join_keys,
        vec![crate::model::JoinKey::aws_access_key_id("AKIAOLD")]
    );
    assert!(old
        .hints
        .iter()
        .any(|h| h.signal == Signal::CreatorField && h.identifier == "aws:svc-deploy"));
    assert!(old
        .hints
        .iter()
        .any(|h| h.signal == Signal::OwnerTag && h.identifier == "alice@acme.example"));
    assert_eq!(nhis[2].status, NhiStatus::Inactive);
    let role = &nhis[4];
    assert!(role
        .hints
        .iter()
        .any(|h| h.signal == Signal::Access && h.identifier == "aws:alice"));
    assert!(role
        .hints
        .iter()
        .any(|h| h.signal == Signal::OwnerTag && h.identifier == "bob@acme.example"));
    assert_eq!(
        role.attributes["trusted_principals"],
        "arn:aws:iam::123456789012:user/alice"
    );
}

#[test]
fn audit_events_attach_to_created_resources() {
    let mut d = sample();
    d.cloudtrail.push(ct(
        "CreateAccessKey",
        r#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice","userName":"alice"},
            "requestParameters":{"userName":"svc-deploy"},"responseElements":{"accessKey":{"accessKeyId":"AKIANEW"}}}"#,
    ));
    let nhis = account_nhis("aws:test", &d);
    let new = nhis
        .iter()
        .find(|n| n.resource.ends_with("#AKIANEW"))
        .expect("key");
    assert!(new
        .hints
        .iter()
        .any(|h| h.signal == Signal::AuditEvent && h.identifier == "aws:alice"));
    let old = nhis
        .iter()
        .find(|n| n.resource.ends_with("#AKIAOLD"))
        .expect("key");
    assert!(!old.hints.iter().any(|h| h.signal == Signal::AuditEvent));
}

#[test]
fn iam_ssh_key_bodies_get_openssh_fingerprints() {
    // seed.py's fake key; the fingerprint is what `ssh-keygen -lf` prints for it.
    let body = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnhiscanTestKeyNotRealAAAAAAAAAAAAAAAAAAAAA";
    let fp = "SHA256:8ibWsoZ49rrR3MvzksXp+l+u6PztxDd9Z5TMOd9tCc4";
    assert_eq!(ssh_key_fingerprint(body).as_deref(), Some(fp));
    // IAM returns bodies with or without comment and trailing newline.
    assert_eq!(
        ssh_key_fingerprint(&format!("{body} alice@laptop\n")).as_deref(),
        Some(fp)
    );
    assert_eq!(
        ssh_key_fingerprint("-----BEGIN PUBLIC KEY-----\nMIIB\n"),
        None
    );
    assert_eq!(ssh_key_fingerprint(""), None);
    assert_eq!(ssh_key_fingerprint(&format!("{body}\n{body}")), None);

    let data = AccountData {
        account_id: "123456789012".into(),
        users: vec![UserData {
            name: "alice".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            ssh_keys: vec![UserCredential {
                id: "APKA1".into(),
                status: "Active".into(),
                fingerprint: Some(fp.into()),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let nhis = account_nhis("aws:prod", &data);
    let key = nhis
        .iter()
        .find(|n| n.kind == Kind::AwsSshKey)
        .expect("ssh key");
    assert_eq!(key.attributes["fingerprint"], fp);
    assert_eq!(key.join_keys, vec![crate::model::JoinKey::ssh_key(fp)]);
}
