//! The terminal progress line: which connectors are running and in which phase (with
//! totals where known), then items, bytes and secret matches so far, redrawn from the
//! shared [`Progress`] by its own thread. Off when stderr is not a terminal, with
//! `--quiet` or `--no-progress`, so piped output and CI logs stay clean.
//!
//! While the line is shown, log lines go through [`write_stderr`], which lifts the line,
//! prints, and redraws it: a WARN is never glued onto the end of the progress line.
//! Rendering is a pure function of the counters ([`render_line`]); nothing here decides
//! what a connector's phases are.

use super::{Phase, Progress};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bar being drawn, if any, for [`write_stderr`].
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

pub struct Display {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Display {
    pub fn start(progress: Arc<Progress>, enabled: bool) -> Display {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled {
            return Display { stop, thread: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        // `wide_msg` cuts the line at the terminal's width: a wrapped line could not be
        // redrawn in place.
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        set_active(Some(bar.clone()));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                bar.set_message(render_line(
                    progress.items.load(Ordering::Relaxed),
                    progress.bytes.load(Ordering::Relaxed),
                    progress.findings.load(Ordering::Relaxed),
                    &progress.running(),
                ));
                bar.tick();
                std::thread::sleep(Duration::from_millis(100));
            }
            set_active(None);
            bar.finish_and_clear();
        });
        Display {
            stop,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn set_active(bar: Option<ProgressBar>) {
    *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// Write `buf` (whole lines) to stderr; while the progress line is shown, it is lifted
/// first and redrawn below the text.
pub fn write_stderr(buf: &[u8]) -> std::io::Result<()> {
    let bar = ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let write = || {
        let mut err = std::io::stderr().lock();
        err.write_all(buf).and_then(|()| err.flush())
    };
    match bar {
        Some(b) if !b.is_finished() => b.suspend(write),
        _ => write(),
    }
}

/// One running connector: `aws:prod users 120/400`, `git repos 3`, `host:web-1`.
fn render_phase(name: &str, p: &Phase) -> String {
    let mut s = name.to_string();
    if !p.what.is_empty() {
        s.push(' ');
        s.push_str(&p.what);
    }
    match p.total {
        Some(t) => s.push_str(&format!(" {}/{t}", p.done)),
        None if p.done > 0 => s.push_str(&format!(" {}", p.done)),
        None => {}
    }
    s
}

/// The progress line: the running connectors first (what looks hung is named), then the
/// counts.
pub fn render_line(items: u64, bytes: u64, findings: u64, running: &[(String, Phase)]) -> String {
    let counts = format!(
        "{items} items, {} read, {findings} secret matches",
        HumanBytes(bytes)
    );
    if running.is_empty() {
        return format!("scanning: {counts}");
    }
    let phases: Vec<String> = running.iter().map(|(n, p)| render_phase(n, p)).collect();
    format!("{} | {counts}", phases.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(what: &str, done: u64, total: Option<u64>) -> Phase {
        Phase {
            what: what.into(),
            done,
            total,
        }
    }

    #[test]
    fn progress_line_names_each_running_connector_and_its_phase() {
        let running = vec![
            ("aws:prod".to_string(), phase("users", 120, Some(400))),
            ("git".to_string(), phase("repos", 3, Some(12))),
            ("host:web-1".to_string(), phase("", 0, None)),
            ("aws:dev".to_string(), phase("pages", 7, None)),
        ];
        assert_eq!(
            render_line(22, 4035, 1, &running),
            "aws:prod users 120/400 · git repos 3/12 · host:web-1 · aws:dev pages 7 \
             | 22 items, 3.94 KiB read, 1 secret matches"
        );
    }

    #[test]
    fn progress_line_with_nothing_running_shows_the_counts() {
        assert_eq!(
            render_line(0, 0, 0, &[]),
            "scanning: 0 items, 0 B read, 0 secret matches"
        );
    }

    #[test]
    fn a_finished_connector_leaves_the_line() {
        let p = Progress::default();
        {
            let run = p.start("aws:prod");
            run.phase("accounts", 1, Some(3));
            p.phase("git", "repos", 0, Some(2));
            assert_eq!(
                p.running(),
                vec![
                    ("aws:prod".to_string(), phase("accounts", 1, Some(3))),
                    ("git".to_string(), phase("repos", 0, Some(2))),
                ]
            );
        }
        assert_eq!(
            p.running(),
            vec![("git".to_string(), phase("repos", 0, Some(2)))]
        );
        p.finish("git");
        assert!(p.running().is_empty());
    }
}
