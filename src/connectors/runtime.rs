//! The one async runtime of a process. API connectors (AWS, GitHub, SaaS specs) are async
//! and run their futures here through [`block_on`]; git and host stay on threads and
//! rayon. No connector builds a runtime of its own: the pool of connections, timers and
//! worker threads is shared by every source of a run.

use std::future::Future;
use std::sync::OnceLock;

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
/// `Err` with its message, for the caller to record under its own coverage name.
pub fn block_on<F>(fut: F) -> Result<F::Output, String>
where
    F: Future + Send,
    F::Output: Send,
{
    let rt = shared()?;
    let run = move || {
        rt.block_on(async move {
            // The future borrows from the caller, so it cannot be spawned as 'static:
            // its panic is caught in place, poll by poll, instead of unwinding through
            // the connector's thread.
            let fut: std::pin::Pin<Box<dyn Future<Output = F::Output> + Send + '_>> = Box::pin(fut);
            futures_catch(fut).await
        })
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join())
            .map_err(|_| "the connector's thread panicked".to_string())?
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
        assert!(e.contains("injected fault"), "{e}");
        // Still usable after a panic.
        assert_eq!(block_on(async { 7 }), Ok(7));
    }

    #[tokio::test]
    async fn block_on_inside_a_runtime_does_not_deadlock() {
        assert_eq!(block_on(async { "ok" }), Ok("ok"));
    }
}
