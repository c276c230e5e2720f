//! The one async runtime of a process. API connectors (AWS, GitHub, SaaS specs) are async
//! and run their futures here through [`block_on`]; git and host stay on threads and
//! rayon. No connector builds a runtime of its own: the pool of connections, timers and
//! worker threads is shared by every source of a run.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A run's deadline and the flag that stops its connectors. Cloned into every connector's
/// [`super::Limits`]; blocking connectors (git, host) check [`Cancel::is_cancelled`]
/// between units, and [`block_on`] drops an async connector's future when the deadline
/// passes (see [`Cancel::enter`]). The default never fires.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    flag: AtomicBool,
    deadline: Option<(Instant, Duration)>,
}

impl Cancel {
    /// A run that must finish within `within` from now.
    pub fn with_deadline(within: Duration) -> Self {
        Cancel(Arc::new(CancelInner {
            flag: AtomicBool::new(false),
            deadline: Some((Instant::now() + within, within)),
        }))
    }
    /// Whether the run was told to stop (its deadline passed).
    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::Relaxed)
            || self.0.deadline.is_some_and(|(at, _)| Instant::now() >= at)
    }
    /// Tell every connector to stop.
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::Relaxed);
    }
    /// When the deadline passes, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.0.deadline.map(|(at, _)| at)
    }
    /// The deadline as given (`30m`), for messages.
    pub fn label(&self) -> String {
        self.0
            .deadline
            .map(|(_, d)| format_duration(d))
            .unwrap_or_else(|| "none".into())
    }
    /// Make this the cancel of the current thread's [`block_on`] calls until the guard
    /// is dropped (the pipeline does this on each connector's thread).
    pub fn enter(&self) -> CancelGuard {
        let prev = CURRENT.with(|c| c.replace(Some(self.clone())));
        CancelGuard(prev)
    }
}

/// Restores the thread's previous cancel; see [`Cancel::enter`].
pub struct CancelGuard(Option<Cancel>);

impl Drop for CancelGuard {
    fn drop(&mut self) {
        let prev = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Cancel>> = const { RefCell::new(None) };
}

/// `90s`, `30m`, `2h`, `1h30m`; a bare number is seconds. At least one second.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || {
        format!("{s:?} is not a duration: write seconds (`1800`) or units (`90s`, `30m`, `2h`, `1h30m`)")
    };
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(n) = t.parse::<u64>() {
        return if n == 0 {
            Err(bad())
        } else {
            Ok(Duration::from_secs(n))
        };
    }
    let (mut total, mut num) = (0u64, String::new());
    for ch in t.chars() {
        if ch.is_ascii_digit() {
            num.push(ch);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let mult = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        total = total.saturating_add(n.saturating_mul(mult));
    }
    if !num.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// `1h30m`, `30m`, `45s`: the shortest form of a whole number of seconds.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// Why [`block_on`] gave no result: the future panicked, or the run's deadline passed.
/// `class` is the coverage error class (`panic`, `timeout`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Stopped {
    pub class: &'static str,
    pub message: String,
}

impl Stopped {
    fn panic(message: impl Into<String>) -> Self {
        Stopped {
            class: "panic",
            message: message.into(),
        }
    }
    pub fn class(&self) -> &'static str {
        self.class
    }
    /// Whether the run's deadline stopped it.
    pub fn is_timeout(&self) -> bool {
        self.class == "timeout"
    }
}

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// The shared runtime, started on first use (worker threads: the CPU count, at least 2).
pub fn shared() -> Result<&'static tokio::runtime::Runtime, String> {
    RUNTIME
        .get_or_init(|| {
            let workers = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .max(2);
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("nhiscan-io")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| e.clone())
}

/// Run `fut` to completion on the shared runtime from a connector's (blocking) thread.
/// Called from inside a runtime (a test, `serve`), it blocks a fresh scoped thread
/// instead, because a runtime thread must not block. A panic inside `fut` comes back as
/// `Err` with its message, for the caller to record under its own coverage name. On a
/// thread with a run deadline ([`Cancel::enter`]) the future is dropped when it passes,
/// and the error's class is `timeout`.
pub fn block_on<F>(fut: F) -> Result<F::Output, Stopped>
where
    F: Future + Send,
    F::Output: Send,
{
    let rt = shared().map_err(Stopped::panic)?;
    let cancel = CURRENT.with(|c| c.borrow().clone());
    let run = move || {
        rt.block_on(async move {
            // The future borrows from the caller, so it cannot be spawned as 'static:
            // its panic is caught in place, poll by poll, instead of unwinding through
            // the connector's thread.
            let fut: std::pin::Pin<Box<dyn Future<Output = F::Output> + Send + '_>> = Box::pin(fut);
            let caught = futures_catch(fut);
            match cancel.as_ref().and_then(|c| c.deadline().map(|d| (c, d))) {
                None => caught.await.map_err(Stopped::panic),
                Some((c, at)) => {
                    match tokio::time::timeout_at(tokio::time::Instant::from_std(at), caught).await
                    {
                        Ok(r) => r.map_err(Stopped::panic),
                        Err(_) => Err(Stopped {
                            class: "timeout",
                            message: format!(
                                "was stopped by the run deadline ({}) before it finished",
                                c.label()
                            ),
                        }),
                    }
                }
            }
        })
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join())
            .map_err(|_| Stopped::panic("the connector's thread panicked"))?
    } else {
        run()
    }
}

async fn futures_catch<T>(
    fut: std::pin::Pin<Box<dyn Future<Output = T> + Send + '_>>,
) -> Result<T, String> {
    use std::panic::AssertUnwindSafe;
    struct Catch<'a, T>(std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>);
    impl<T> Future for Catch<'_, T> {
        type Output = Result<T, String>;
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Self::Output> {
            let f = &mut self.0;
            match std::panic::catch_unwind(AssertUnwindSafe(|| f.as_mut().poll(cx))) {
                Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
                Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
                Err(p) => std::task::Poll::Ready(Err(panic_message(&*p))),
            }
        }
    }
    Catch(fut).await
}

/// The text of a panic payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn futures_run_and_panics_come_back_as_errors() {
        assert_eq!(block_on(async { 41 + 1 }), Ok(42));
        let e = block_on(async {
            if true {
                panic!("injected fault");
            }
            1
        })
        .unwrap_err();
        assert!(e.message.contains("injected fault"), "{e}");
        assert_eq!(e.class(), "panic");
        // Still usable after a panic.
        assert_eq!(block_on(async { 7 }), Ok(7));
    }

    #[test]
    fn the_deadline_drops_a_future_that_never_ends() {
        let c = Cancel::with_deadline(Duration::from_millis(200));
        let _g = c.enter();
        let t = Instant::now();
        let e = block_on(std::future::pending::<()>()).unwrap_err();
        assert!(e.is_timeout(), "{e:?}");
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(c.is_cancelled());
    }

    #[test]
    fn durations_parse_and_print() {
        for (s, secs) in [
            ("90", 90),
            ("90s", 90),
            ("30m", 1800),
            ("2h", 7200),
            ("1h30m", 5400),
        ] {
            assert_eq!(parse_duration(s), Ok(Duration::from_secs(secs)), "{s}");
        }
        for s in ["", "0", "m", "30x", "1h30", "-5"] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(30)), "30s");
    }

    #[tokio::test]
    async fn block_on_inside_a_runtime_does_not_deadlock() {
        assert_eq!(block_on(async { "ok" }), Ok("ok"));
    }
}
