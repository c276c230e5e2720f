//! A small findings file for the format tests: four kinds, four severities, one orphan,
//! one exception, one history secret with hostile author and path strings, and one
//! failed source. Secrets are fake and only ever in redacted form.

use super::{FindingsFile, ScanInfo, Subject, Summary, Tool, SCHEMA_VERSION};
use crate::model::*;

fn finding(id: &str, kind: Kind, connector: &str, resource: &str, title: &str) -> Finding {
    Finding {
        id: id.into(),
        kind,
        connector: connector.into(),
        resource: resource.into(),
        title: title.into(),
        owner: Some("alice@acme.example".into()),
        relation: Some(Relation::Created),
        confidence: Confidence::Confirmed,
        evidence: vec![Evidence::new(
            "aws:iam",
            "tag owner=alice@acme.example on user svc-deploy",
        )],
        severity: Severity::High,
        status: NhiStatus::Active,
        created_at: None,
        last_used_at: None,
        secret: None,
        rule: None,
        location: None,
        other_locations: Vec::new(),
        remediation: Remediation {
            action: Action::Rotate,
            detail: "rotate the key, then delete the old one".into(),
        },
        exception: None,
        attributes: Default::default(),
    }
}

pub(crate) fn sample() -> FindingsFile {
    let mut key = finding(
        "a1",
        Kind::AwsAccessKey,
        "aws:prod",
        "arn:aws:iam::111111111111:user/svc-deploy#AKIAEXAMPLEEXAMPLE",
        "Access key of svc-deploy created by alice",
    );
    key.created_at = Some("2024-01-02T03:04:05Z".parse().unwrap());
    key.secret = Some(SecretRef {
        redacted: "AKIA…MPLE".into(),
        sha256: "ab".repeat(32),
    });

    let mut repo = finding(
        "b2",
        Kind::SecretInRepo,
        "git",
        "app@0123456789abcdef0123456789abcdef01234567:-evil|path.py:12",
        "AWS key committed by alice | =cmd",
    );
    repo.severity = Severity::Critical;
    repo.relation = Some(Relation::Authored);
    repo.confidence = Confidence::Likely;
    repo.rule = Some("aws-access-key-id".into());
    repo.secret = Some(SecretRef {
        redacted: "AKIA…MPLE".into(),
        sha256: "cd".repeat(32),
    });
    repo.evidence = vec![Evidence::new(
        "git:commit",
        "authored by =HYPERLINK(\"http://x\") <alice@acme.example>",
    )];
    repo.location = Some(Location {
        repo: Some("app".into()),
        path: "-evil|path.py".into(),
        line: 12,
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        author_name: Some("=HYPERLINK(\"http://x\")".into()),
        author_email: Some("@alice@acme.example".into()),
        committed_at: None,
        in_head: false,
    });

    let mut admin = finding(
        "c3",
        Kind::HostAdmin,
        "host:web-1",
        "web-1:olduser",
        "Admin account olduser on web-1",
    );
    admin.severity = Severity::Medium;
    admin.owner = None;
    admin.relation = Some(Relation::Orphaned);
    admin.confidence = Confidence::Possible;
    admin.status = NhiStatus::Unknown;
    admin.evidence = vec![Evidence::new("host:passwd", "uid 0, not in HR")];
    admin.remediation = Remediation {
        action: Action::Review,
        detail: "find an owner or disable".into(),
    };

    let mut dk = finding(
        "d4",
        Kind::GithubDeployKey,
        "github:acme",
        "acme/app#deploy_key:42",
        "Deploy key added by alice",
    );
    dk.severity = Severity::Low;
    dk.exception = Some(ExceptionRef {
        reason: "legal hold, case 2291".into(),
        approved_by: "ciso@acme.example".into(),
        expires: "2027-01-31".into(),
    });

    let mut aws = Coverage::new("aws:prod");
    aws.fail("AccessDenied: iam:ListUsers");
    let mut git = Coverage::new("git");
    git.items_scanned = 120;

    let mut file = FindingsFile {
        schema_version: SCHEMA_VERSION.into(),
        tool: Tool::default(),
        scan: ScanInfo {
            id: "scan-1".into(),
            mode: "leaver".into(),
            started_at: "2026-11-21T10:00:00Z".into(),
            finished_at: "2026-11-21T10:05:00Z".into(),
            subject: Some(Subject {
                employee_id: Some("E1001".into()),
                email: "alice@acme.example".into(),
                status: "terminated".into(),
                end_date: Some("2026-11-20".into()),
                risk: "high".into(),
                identifiers: vec!["alice@acme.example".into(), "github:alice-dev".into()],
                in_roster: true,
                manager_email: None,
            }),
            warnings: Vec::new(),
        },
        coverage: vec![git, aws],
        findings: vec![key, repo, admin, dk],
        summary: Summary::default(),
    };
    file.summarize();
    file
}
