//! A moto server for one test, shared by the integration tests that need AWS: started
//! from `.venv` (installed by `scripts/moto.sh`) on a free 127.0.0.1 port through
//! `tests/moto/launch.py`, killed on drop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A moto server for one test; killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start(env: &[(&str, &str)]) -> Moto {
        let python = root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "moto is not installed: run `scripts/moto.sh` (creates .venv with moto 5.2.5) before the aws tests"
        );
        let mut cmd = Command::new(python);
        cmd.arg(root().join("tests/moto/launch.py"))
            .args(["--port", "0"])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start moto launcher");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("moto printed no PORT= line within 30 s");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT=")
            .and_then(|p| p.parse().ok())
            .expect("PORT=<n>");
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while moto.get("/moto-api/") != Some(200) {
            assert!(
                Instant::now() < deadline,
                "moto did not answer GET /moto-api/ within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn get(&self, path: &str) -> Option<u16> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        buf.split_whitespace().nth(1)?.parse().ok()
    }

    /// Switch launch.py's fault injector to `spec` (`Some("")`: off), or only read its
    /// state (`None`); returns the state: the spec and the faults injected since it was set.
    pub fn faults(&self, spec: Option<&str>) -> serde_json::Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect moto");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let method = if spec.is_some() { "POST" } else { "GET" };
        let spec = spec.unwrap_or_default();
        write!(
            s,
            "{method} /nhiscan/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{spec}",
            spec.len()
        )
        .expect("write");
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        let body = buf.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|_| panic!("fault endpoint answered {buf}"))
    }

    /// Run `tests/moto/seed.py` and return its JSON (generated ids).
    pub fn seed(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(root().join(".venv/bin/python"))
            .arg(root().join("tests/moto/seed.py"))
            .arg(self.endpoint())
            .args(args)
            .output()
            .expect("run seed.py");
        assert!(
            out.status.success(),
            "seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("seed output")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
