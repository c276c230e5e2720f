//! The matcher alone on a directory of files held in memory, one thread: no walking, no
//! reads, no output, so a change to the engine or the rules is measured without the I/O
//! and scheduling noise of a whole run (a two-core VM varies by 20% run to run).
//!
//!     cargo run --release --example scan_in_memory -- bench-out/corpus [ROUNDS]
//!
//! Prints the total size, the matches found (to check that a speed-up found the same
//! ones) and the best of ROUNDS (default 5) passes.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: scan_in_memory DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut bufs = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("{}: {e}", d.display());
                continue;
            }
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => match std::fs::read(&p) {
                    Ok(b) => bufs.push(b),
                    Err(e) => eprintln!("{}: {e}", p.display()),
                },
                _ => {}
            }
        }
    }
    let total: usize = bufs.iter().map(Vec::len).sum();
    let m = match nhiscan::matcher::Matcher::load(None) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        found = bufs.iter().map(|b| m.scan(b).len()).sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = total as f64 / 1_048_576.0;
    println!(
        "{mb:.1} MB in {} files, {found} matches, best of {rounds}: {best:.3} s, {:.0} MB/s",
        bufs.len(),
        mb / best
    );
}
