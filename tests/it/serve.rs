//! Issue 13: `nhiscan serve` through the real binary on a free 127.0.0.1 port: signed
//! SCIM and HR webhook events open cases, unsigned or badly signed ones are refused with
//! nothing stored, a repeated event is one case, and an event received by a server that
//! is then killed is processed after a restart.

use crate::support::write;
use hmac::{Hmac, Mac};
use nhiscan::state::Store;
use sha2::Sha256;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "test-only-webhook-secret";
const TOKEN: &str = "test-only-bearer-token";

fn company(dir: &Path) {
    write(
        dir,
        "roster.csv",
        "employee_id,email,name,status,end_date,manager_email,aliases,risk\n\
         E1,alice@acme.example,Alice Archer,terminated,2026-11-20,dave@acme.example,alice,high\n\
         E2,bob@acme.example,Bob Baker,active,,dave@acme.example,bob,standard\n\
         E3,carol@acme.example,Carol Chen,active,,dave@acme.example,carol,standard\n",
    );
    let h = dir.join("hosts/web-1");
    write(&h, "etc/hostname", "web-1\n");
    write(
        &h,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nbob:x:1002:1002:Bob Baker:/home/bob:/bin/bash\n",
    );
    write(
        &h,
        "etc/shadow",
        "root:*:20228::::::\nbob:$6$x$y:20228::::::\n",
    );
    write(
        dir,
        "nhiscan.toml",
        "[hr]\nroster = \"roster.csv\"\n\n[state]\npath = \"state.db\"\n\n[[connector]]\ntype = \"host\"\nroots = [\"hosts/web-1\"]\n",
    );
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("nhiscan"))
        .current_dir(dir)
        .args([
            "-c",
            "nhiscan.toml",
            "--no-progress",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env("NHISCAN_WEBHOOK_SECRET", SECRET)
        .env("NHISCAN_SERVE_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("serve prints its address");
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Server { child, port }
}

fn sign(body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One HTTP/1.1 request; (status, body).
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn signed(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    request(
        port,
        method,
        path,
        &[("X-Nhiscan-Signature", sign(body))],
        body,
    )
}

/// Wait until the store has a case for `email`, or fail.
fn wait_case(dir: &Path, email: &str) -> nhiscan::state::Case {
    let start = Instant::now();
    loop {
        if let Ok(s) = Store::open(&dir.join("state.db")) {
            if let Some(c) = s.cases().unwrap().into_iter().find(|c| c.email == email) {
                if !s.case_runs(c.id).unwrap().is_empty() {
                    return c;
                }
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no case for {email}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn signed_scim_and_webhook_events_open_cases_and_unsigned_ones_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    company(d);
    let srv = serve(d, &[]);

    // Refused: no signature, a wrong one, a wrong token. Nothing stored.
    let patch = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#;
    assert_eq!(
        request(srv.port, "PATCH", "/scim/v2/Users/E2", &[], patch).0,
        401
    );
    let bad = vec![("X-Nhiscan-Signature", sign("another body"))];
    assert_eq!(
        request(srv.port, "PATCH", "/scim/v2/Users/E2", &bad, patch).0,
        401
    );
    let wrong = vec![("Authorization", "Bearer nope".to_string())];
    assert_eq!(
        request(srv.port, "PATCH", "/scim/v2/Users/E2", &wrong, patch).0,
        401
    );
    let store = Store::open(&d.join("state.db")).unwrap();
    assert!(store.pending_events().unwrap().is_empty());
    assert!(store.cases().unwrap().is_empty());
    drop(store);

    // SCIM lookup from the roster, with the bearer token.
    let auth = vec![("Authorization", format!("Bearer {TOKEN}"))];
    let (code, body) = request(
        srv.port,
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22bob%40acme.example%22",
        &auth,
        "",
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["totalResults"], 1, "{v}");
    assert_eq!(v["Resources"][0]["id"], "E2");
    assert_eq!(v["Resources"][0]["active"], true);

    // The IdP deactivates bob: a case, scanned (his host account is still there).
    let (code, body) = signed(srv.port, "PATCH", "/scim/v2/Users/E2", patch);
    assert_eq!(code, 202, "{body}");
    let case = wait_case(d, "bob@acme.example");
    assert!(case.source.starts_with("event:scim:"), "{case:?}");
    // The same event again: the same case, nothing new.
    let (code, body) = signed(srv.port, "PATCH", "/scim/v2/Users/E2", patch);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("duplicate"), "{body}");

    // An HR webhook naming alice (terminated in the roster).
    let hook =
        r#"{"event_id":"hr-7731","employee_id":"E1","changed_fields":["employment_status"]}"#;
    assert_eq!(signed(srv.port, "POST", "/events", hook).0, 202);
    assert_eq!(signed(srv.port, "POST", "/events", hook).0, 200);
    wait_case(d, "alice@acme.example");
    let store = Store::open(&d.join("state.db")).unwrap();
    let cases = store.cases().unwrap();
    assert_eq!(cases.len(), 2, "{cases:?}");
}

#[test]
fn an_event_received_before_a_crash_is_processed_after_the_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    company(d);
    let event = r#"{"specversion":"1.0","id":"ev-42","source":"/hris/workday","type":"com.acme.employee.terminated","data":{"email":"carol@acme.example"}}"#;
    {
        let mut srv = serve(d, &["--receive-only"]);
        assert_eq!(signed(srv.port, "POST", "/events", event).0, 202);
        // Killed before anything processed it.
        srv.child.kill().unwrap();
        srv.child.wait().unwrap();
    }
    let store = Store::open(&d.join("state.db")).unwrap();
    assert_eq!(store.pending_events().unwrap().len(), 1);
    assert!(store.cases().unwrap().is_empty());
    drop(store);
    let _srv = serve(d, &[]);
    let case = wait_case(d, "carol@acme.example");
    assert_eq!(case.source, "event:/hris/workday#ev-42");
    // The event is marked processed once its case's scan is recorded, a moment after.
    let store = Store::open(&d.join("state.db")).unwrap();
    let start = Instant::now();
    while !store.pending_events().unwrap().is_empty() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(store.pending_events().unwrap().is_empty());
}
