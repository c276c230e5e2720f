//! Integration tests: issue 7, defects 1 and 7. A credential planted in the metadata each
//! connector reads (AWS tags and descriptions on moto; a host's GECOS field, key comment,
//! key options and crontab; git commit authors, messages, branch names and origin URL)
//! or in a URL's userinfo never reaches any output: no format of the scan, `-o -`,
//! `report`, `diff`, nor stderr at `-v`/`-vv` holds the value or any 12-character piece
//! of it. A rule match in metadata is a finding of its own.

use crate::moto::{root, Moto};
use crate::support::{git, nhiscan};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Checksum-valid fake GitHub tokens, built at run time (no token literal in this file).
fn token(tail: &str) -> String {
    let body = format!("FAKE{tail}7q2x9Lm4Np8Rs3Tv6Wy1Zb5Cd");
    nhiscan::rules::with_github_checksum("ghp_", &body[..30])
}

/// Every format a scan writes, with the extension that selects it.
const FORMATS: &[(&str, &str)] = &[
    ("json", "json"),
    ("jsonl", "jsonl"),
    ("csv", "csv"),
    ("sarif", "sarif"),
    ("ocsf", "ocsf.json"),
    ("markdown", "md"),
    ("html", "html"),
];

/// Runs one scan command in every way a user can see its results, and keeps all of it.
struct Outputs {
    dir: PathBuf,
    env: Vec<(String, String)>,
    text: String,
}

impl Outputs {
    fn new(dir: &Path, env: &[(&str, &str)]) -> Outputs {
        Outputs {
            dir: dir.to_path_buf(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            text: String::new(),
        }
    }

    /// Run nhiscan with `args`, keep stdout and stderr; the exit code.
    fn run(&mut self, args: &[&str]) -> Option<i32> {
        let mut c = nhiscan();
        c.current_dir(&self.dir).arg("--no-progress").args(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        let out = c.output().expect("run nhiscan");
        let code = out.status.code();
        self.text
            .push_str(&format!("\n== nhiscan {args:?} (exit {code:?})\n"));
        self.text.push_str(&String::from_utf8_lossy(&out.stdout));
        self.text.push_str(&String::from_utf8_lossy(&out.stderr));
        assert_ne!(
            code,
            Some(2),
            "nhiscan {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        code
    }

    fn keep_file(&mut self, name: &str) -> String {
        let t = std::fs::read_to_string(self.dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", self.text));
        self.text.push_str(&format!("\n== {name}\n{t}"));
        t
    }

    /// The scan `scan` written in every format, to stdout at `-v` and `-vv`, re-rendered
    /// by `report` in every format, and compared by `diff` with a second run. Returns
    /// the two JSON findings files.
    fn everything(&mut self, scan: &[&str]) -> (Value, Value) {
        for (fmt, ext) in FORMATS {
            let out = format!("out.{ext}");
            self.run(&[scan, &["-o", &out, "--format", fmt]].concat());
            self.keep_file(&out);
        }
        self.run(&[scan, &["-o", "-", "-v"]].concat());
        self.run(&[scan, &["-o", "second.json", "-vv"]].concat());
        for (fmt, _) in FORMATS {
            self.run(&["report", "out.json", "--format", fmt]);
            self.run(&["report", "out.jsonl", "--format", fmt]);
        }
        self.run(&["diff", "out.json", "second.json"]);
        self.run(&["diff", "out.json", "second.json", "--format", "json"]);
        let one = serde_json::from_str(&self.keep_file("out.json")).expect("json");
        let two = serde_json::from_str(&self.keep_file("second.json")).expect("json");
        (one, two)
    }

    /// Neither a planted value nor any 12-character piece of it appears anywhere.
    fn assert_no_leak(&self, planted: &[(&str, &str)]) {
        for (what, value) in planted {
            let chars: Vec<char> = value.chars().collect();
            assert!(chars.len() >= 12, "{what}: plant at least 12 characters");
            for w in chars.windows(12) {
                let piece: String = w.iter().collect();
                if let Some(at) = self.text.find(&piece) {
                    let start = self.text[..at]
                        .char_indices()
                        .rev()
                        .nth(120)
                        .map_or(0, |(i, _)| i);
                    let end = (at + 160).min(self.text.len());
                    let end = (end..=self.text.len())
                        .find(|i| self.text.is_char_boundary(*i))
                        .unwrap_or(self.text.len());
                    panic!("{what}: `{piece}` leaked:\n…{}…", &self.text[start..end]);
                }
            }
        }
    }
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings")
}

fn by_resource<'a>(v: &'a Value, resource: &str) -> &'a Value {
    findings(v)
        .iter()
        .find(|f| f["resource"] == resource)
        .unwrap_or_else(|| {
            let all: Vec<&Value> = findings(v).iter().map(|f| &f["resource"]).collect();
            panic!("no finding {resource}; have {all:#?}")
        })
}

// ---------------------------------------------------------------------------------------
// AWS, against moto

/// Run a boto3 script against `moto` with `ep` (the endpoint) and `args` in scope.
fn boto(moto: &Moto, script: &str, args: &[&str]) {
    let prelude = "import json, sys, boto3\n\
        ep, args = sys.argv[1], sys.argv[2:]\n\
        iam = boto3.client('iam', endpoint_url=ep, aws_access_key_id='testing', \
        aws_secret_access_key='testing', region_name='us-east-1')\n";
    let out = Command::new(root().join(".venv/bin/python"))
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .arg(moto.endpoint())
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

const ROSTER: &str = "employee_id,email,name,status,end_date,aliases\n\
    E1001,alice@acme.example,Alice,terminated,2026-11-20,alice;aws:alice\n\
    E1002,bob@acme.example,Bob,active,,bob;aws:bob\n";

#[test]
fn a_secret_in_an_aws_tag_is_redacted_and_reported() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    let note = token("n");
    let in_role = token("r");
    let opaque = "Xk9fQ2mLp7RtZ3vBn8WcY4hJ6sDa1EgU";
    let db_password = "Vq7-Lm2+Rt9zKp4xWs";
    boto(
        &moto,
        "note, in_role, opaque, pw = args\n\
         iam.create_user(UserName='svc-meta', Tags=[{'Key': 'note', 'Value': 'token ' + note}, \
             {'Key': 'CreatedBy', 'Value': opaque}])\n\
         iam.create_access_key(UserName='svc-meta')\n\
         iam.create_user(UserName='alice', Tags=[{'Key': 'db_password', 'Value': pw}])\n\
         iam.create_role(RoleName='meta-role', Description='deploy with ' + in_role, \
             AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', \
             'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))\n",
        &[&note, &in_role, opaque, db_password],
    );
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("nhiscan.toml"),
        format!(
            "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"aws\"\nname = \"test\"\n\
             endpoint_url = \"{}\"\ncloudtrail = false\n",
            moto.endpoint()
        ),
    )
    .expect("config");
    std::fs::write(dir.path().join("roster.csv"), ROSTER).expect("roster");

    let mut out = Outputs::new(dir.path(), AWS_ENV);
    let (one, two) = out.everything(&["sweep"]);
    out.run(&["leaver", "alice@acme.example", "-o", "leaver.json", "-vv"]);
    let leaver: Value = serde_json::from_str(&out.keep_file("leaver.json")).expect("json");
    out.assert_no_leak(&[
        ("the token in tag note", &note),
        ("the token in a role description", &in_role),
        ("the owner tag that looks like a secret", opaque),
        ("the password in tag db_password", db_password),
    ]);

    let user = "arn:aws:iam::123456789012:user/svc-meta";
    let f = by_resource(&one, &format!("{user}#tag:note"));
    assert_eq!(f["kind"], "secret_in_metadata", "{f:#}");
    assert_eq!(f["connector"], "aws:test");
    assert_eq!(f["rule"], "nhi.github.pat-classic.1", "{f:#}");
    assert_eq!(
        f["relation"], "orphaned",
        "nobody in HR owns svc-meta: {f:#}"
    );
    assert!(f["secret"]["redacted"]
        .as_str()
        .is_some_and(|r| r.starts_with("ghp_…")));
    let again = by_resource(&two, &format!("{user}#tag:note"));
    assert_eq!(f["id"], again["id"], "the same finding id on two runs");
    // The parent keeps its tag, redacted; the owner tag that resolves to nobody is
    // shown 4+4 in the attributes and in the orphan evidence.
    let parent = by_resource(&one, user);
    let tag = parent["attributes"]["tag:note"].as_str().expect("tag:note");
    assert!(tag.starts_with("token ghp_…"), "{tag}");
    assert_eq!(parent["attributes"]["tag:CreatedBy"], "Xk9f…1EgU");
    let evidence = parent["evidence"].to_string();
    assert!(evidence.contains("Xk9f…1EgU"), "{evidence}");
    by_resource(&one, "arn:aws:iam::123456789012:role/meta-role#description");
    // A secret in the leaver's own metadata is hers to rotate.
    let pw = by_resource(
        &leaver,
        "arn:aws:iam::123456789012:user/alice#tag:db_password",
    );
    assert_eq!(pw["owner"], "alice@acme.example", "{pw:#}");
    // The access key id is a public identifier: no finding, shown whole.
    assert!(!findings(&one)
        .iter()
        .any(|f| f["kind"] == "secret_in_metadata"
            && f["resource"]
                .as_str()
                .is_some_and(|r| r.ends_with("#access_key_id"))));
}

#[test]
fn a_password_in_an_aws_endpoint_url_is_never_printed() {
    let moto = Moto::start(&[("NHISCAN_SERVICE_CREDENTIALS_EMPTY", "1")]);
    let password = "Pw9xQ2mL7vRt4KzB";
    let dir = tempfile::tempdir().expect("tmp");
    // One endpoint that answers (moto) and one that does not, both with userinfo.
    std::fs::write(
        dir.path().join("nhiscan.toml"),
        format!(
            "[[connector]]\ntype = \"aws\"\nname = \"up\"\nendpoint_url = \"http://admin:{password}@127.0.0.1:{}/\"\n\
             cloudtrail = false\n\n[[connector]]\ntype = \"aws\"\nname = \"down\"\n\
             endpoint_url = \"https://admin:{password}@127.0.0.1:1/\"\ncloudtrail = false\n",
            moto.port
        ),
    )
    .expect("config");
    std::fs::write(dir.path().join("roster.csv"), ROSTER).expect("roster");
    let mut out = Outputs::new(dir.path(), AWS_ENV);
    // The unreachable endpoint costs the SDK's retries on every scan: two scans, and
    // `report`/`diff` re-render the file in every format.
    out.run(&["sweep", "--hr", "roster.csv", "-o", "out.json", "-vv"]);
    out.run(&[
        "sweep",
        "--hr",
        "roster.csv",
        "-o",
        "-",
        "-v",
        "--format",
        "jsonl",
    ]);
    for (fmt, _) in FORMATS {
        out.run(&["report", "out.json", "--format", fmt]);
    }
    out.run(&["diff", "out.json", "out.json"]);
    out.run(&["diff", "out.json", "out.json", "--format", "json"]);
    let one: Value = serde_json::from_str(&out.keep_file("out.json")).expect("json");
    out.assert_no_leak(&[("the endpoint_url password", password)]);
    let errors = one["coverage"].to_string();
    assert!(errors.contains("***@127.0.0.1:1"), "{errors}");
}

// ---------------------------------------------------------------------------------------
// Host snapshots

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn a_secret_in_host_metadata_is_redacted_and_reported() {
    let gecos = token("g");
    let comment = token("k");
    let option = token("o");
    let cron = token("c");
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("web-meta");
    write(&root.join("etc/hostname"), "web-meta\n");
    write(
        &root.join("etc/passwd"),
        &format!(
            "root:x:0:0:root:/root:/bin/bash\n\
             ci:x:1001:1001:CI bot {gecos},,,:/home/ci:/bin/bash\n\
             alice:x:1002:1002:Alice,,,:/home/alice:/bin/bash\n"
        ),
    );
    write(
        &root.join("etc/group"),
        "root:x:0:\nci:x:1001:\nalice:x:1002:\n",
    );
    write(
        &root.join("etc/shadow"),
        "root:*:19800:0:99999:7:::\nci:!:19800:0:99999:7:::\nalice:$6$x$y:19800:0:99999:7:::\n",
    );
    write(&root.join("etc/sudoers"), "root ALL=(ALL:ALL) ALL\n");
    write(
        &root.join("home/ci/.ssh/authorized_keys"),
        &format!(
            "environment=\"GH_TOKEN={option}\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHSK3WNRoyCkq1qITRBkaABXRWIAOB15inKopSwXubow deploy {comment}\n"
        ),
    );
    write(
        &root.join("var/spool/cron/crontabs/ci"),
        &format!("# rotated {cron} last week\n0 * * * * /usr/local/bin/sync\n"),
    );
    write(
        &tmp.path().join("nhiscan.toml"),
        "[hr]\nroster = \"roster.csv\"\n\n[[connector]]\ntype = \"host\"\nroots = [\"web-meta\"]\n",
    );
    write(&tmp.path().join("roster.csv"), ROSTER);

    let mut out = Outputs::new(tmp.path(), &[]);
    let (one, two) = out.everything(&["sweep"]);
    out.run(&["leaver", "alice@acme.example", "-o", "leaver.json", "-vv"]);
    out.assert_no_leak(&[
        ("the token in a GECOS field", &gecos),
        ("the token in a key comment", &comment),
        ("the token in a key option", &option),
        ("the token in a crontab comment", &cron),
    ]);
    let f = by_resource(&one, "web-meta:ci#gecos");
    assert_eq!(f["kind"], "secret_on_host", "{f:#}");
    assert_eq!(f["id"], by_resource(&two, "web-meta:ci#gecos")["id"]);
    // The key comment's token; the option's value is not kept by the connector at all
    // (only the option's name), so it cannot leak.
    let key = findings(&one)
        .iter()
        .find(|f| {
            f["resource"]
                .as_str()
                .is_some_and(|r| r.starts_with("web-meta:ci#SHA256:") && r.ends_with("#comment"))
        })
        .unwrap_or_else(|| panic!("the key comment's token: {:#?}", findings(&one)));
    assert_eq!(key["kind"], "secret_on_host");
    // The crontab's own scan reports its comment's token, redacted like any file secret.
    let cron_finding = findings(&one)
        .iter()
        .find(|f| f["resource"] == "web-meta:/var/spool/cron/crontabs/ci:1")
        .unwrap_or_else(|| panic!("the crontab token: {:#?}", findings(&one)));
    assert_eq!(cron_finding["kind"], "secret_on_host");
}

// ---------------------------------------------------------------------------------------
// Git

#[test]
fn a_secret_in_git_metadata_is_redacted_and_reported() {
    let in_file = token("f");
    let author = token("a");
    let message = token("m");
    let branch = token("b");
    let origin = token("u");
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = tmp.path().join("api");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"], None);
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            &format!("https://x-access-token:{origin}@github.com/acme/api.git"),
        ],
        None,
    );
    std::fs::write(repo.join("deploy.env"), format!("GH_TOKEN={in_file}\n")).expect("write");
    git(&repo, &["add", "."], None);
    let who = (
        format!("ci {author}"),
        "ci-bot@ci.example".to_string(),
        "2026-01-02T03:04:05Z".to_string(),
    );
    git(
        &repo,
        &[
            "commit",
            "-q",
            "-m",
            &format!("deploy: rotate to {message}"),
        ],
        Some((&who.0, &who.1, &who.2)),
    );
    git(&repo, &["branch", &format!("fix/{branch}")], None);

    let mut out = Outputs::new(&repo, &[]);
    let (one, two) = out.everything(&["secrets", "."]);
    out.assert_no_leak(&[
        ("the token in a commit author's name", &author),
        ("the token in a commit message", &message),
        ("the token in a branch name", &branch),
        ("the token in the origin URL", &origin),
        ("the token in a file", &in_file),
    ]);
    let meta: Vec<&Value> = findings(&one)
        .iter()
        .filter(|f| {
            f["kind"] == "secret_in_repo"
                && f["resource"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("#author"))
        })
        .collect();
    assert_eq!(
        meta.len(),
        1,
        "the author's token is a finding: {:#?}",
        findings(&one)
    );
    let again: Vec<&Value> = findings(&two)
        .iter()
        .filter(|f| f["id"] == meta[0]["id"])
        .collect();
    assert_eq!(again.len(), 1, "the same finding id on two runs");
}
