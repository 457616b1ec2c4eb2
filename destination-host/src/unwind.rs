//! Catching a host panic on a guest's behalf: a future polled under
//! `catch_unwind`, so a panic in the host's own code (a library that
//! panics on a hostile input) ends the call as a fault of that instance
//! instead of killing the task that drives it. A leaf.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Poll;

/// Runs `f` to completion; a panic while polling it becomes `Err` with the
/// panic's message. The future is not polled again after a panic.
pub async fn caught<F: Future>(f: F) -> Result<F::Output, String> {
    let mut f = std::pin::pin!(f);
    std::future::poll_fn(
        move |cx| match catch_unwind(AssertUnwindSafe(|| f.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(message(payload.as_ref()))),
        },
    )
    .await
}

/// A panic payload as text.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_after_a_pending_poll_is_caught() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let out = rt.block_on(caught(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            if std::hint::black_box(true) {
                panic!("size overflows MAX_SIZE");
            }
            1
        }));
        assert_eq!(out, Err("size overflows MAX_SIZE".to_string()));
        assert_eq!(rt.block_on(caught(async { 2 })), Ok(2));
    }
}
