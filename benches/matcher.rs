//! Throughput of `Matcher::scan` on generated source-like text: a few MB with a handful of
//! planted secrets, and the same amount of text with no rule keyword at all (the cost of
//! the prefilter alone).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nhiscan::matcher::Matcher;
use nhiscan::rules::RuleSet;

/// Deterministic pseudo-random source-like text of about `size` bytes. Keywords such as
/// `token`, `secret`, `password` appear as in real code, so the generic rules do run.
fn source_like(size: usize, with_keywords: bool) -> Vec<u8> {
    let keyword_lines = [
        "    let token = lexer.next_token()?;\n",
        "    // the password is read from the vault at start-up\n",
        "    if secret.is_empty() { return Err(Error::MissingSecret); }\n",
        "    url = \"https://github.com/acme/widgets\"\n",
    ];
    let plain_lines = [
        "fn compute_total(items: &[Item]) -> u64 {\n",
        "    items.iter().map(|i| i.price * i.quantity as u64).sum()\n",
        "}\n",
        "    let mut buffer = Vec::with_capacity(1024);\n",
        "    for (idx, value) in values.iter().enumerate() {\n",
        "        println!(\"{idx}: {value:?}\");\n",
        "    }\n",
        "import os, sys, json  # standard library only\n",
        "    return {\"status\": 200, \"body\": json.dumps(result)}\n",
        "const handler = async (event) => { return render(event.body); };\n",
    ];
    let mut out = Vec::with_capacity(size + 256);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let line = if with_keywords && x % 23 == 0 {
            keyword_lines[(x >> 8) as usize % keyword_lines.len()]
        } else {
            plain_lines[(x >> 8) as usize % plain_lines.len()]
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn planted(mut data: Vec<u8>) -> Vec<u8> {
    let secrets = [
        // AKIA and 16 base32 characters (one more would be no key id at all).
        format!("aws_access_key_id = AKIA{}\n", "QZK3TRW7PLMXN4BV"),
        // Split so that this file holds no token-shaped literal (the project scans itself).
        format!(
            "GITHUB_TOKEN={}\n",
            nhiscan::rules::with_github_checksum("ghp_", "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0")
        ),
        format!("password = \"{}\"\n", "Zq8fK2mPw9!Lr4Vt7"),
        format!(
            "DATABASE_URL=postgres://app:{}@db.internal/app\n",
            "Vb7Nq2Lx9Kp4"
        ),
    ];
    let step = data.len() / (secrets.len() + 1);
    for (i, s) in secrets.iter().enumerate() {
        let at = step * (i + 1);
        let at = at + data[at..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
        data.splice(at..at, s.bytes());
    }
    data
}

fn bench(c: &mut Criterion) {
    let matcher = Matcher::new(RuleSet::builtin().expect("builtin rules")).expect("matcher");
    let size = 4 << 20;
    let with_secrets = planted(source_like(size, true));
    let found = matcher.scan(&with_secrets).len();
    assert!(found >= 4, "planted secrets not found: {found}");
    let no_keywords = source_like(size, false);
    assert!(matcher.scan(&no_keywords).is_empty());

    let mut g = c.benchmark_group("matcher");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(with_secrets.len() as u64));
    g.bench_function("source_with_secrets", |b| {
        b.iter(|| matcher.scan(std::hint::black_box(&with_secrets)))
    });
    g.throughput(Throughput::Bytes(no_keywords.len() as u64));
    g.bench_function("source_no_keywords", |b| {
        b.iter(|| matcher.scan(std::hint::black_box(&no_keywords)))
    });
    g.finish();

    c.bench_function("matcher_compile_builtin", |b| {
        b.iter(|| Matcher::new(RuleSet::builtin().expect("builtin rules")).expect("matcher"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
