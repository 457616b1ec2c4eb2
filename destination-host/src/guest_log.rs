//! Captures a guest's stdout and stderr into a bounded buffer that the host
//! drains into its own log after each call.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// A shared, size-capped sink for guest output. Bytes past the cap are
/// counted and dropped; the guest never sees an error.
#[derive(Clone)]
pub struct GuestLog {
    inner: Arc<Mutex<LogBuf>>,
}

struct LogBuf {
    buf: Vec<u8>,
    cap: usize,
    dropped: u64,
}

impl GuestLog {
    /// A sink holding at most `cap` bytes between drains.
    pub fn new(cap: usize) -> GuestLog {
        GuestLog {
            inner: Arc::new(Mutex::new(LogBuf {
                buf: Vec::new(),
                cap,
                dropped: 0,
            })),
        }
    }

    /// Takes what was captured so far and how many bytes were dropped.
    pub fn drain(&self) -> (Vec<u8>, u64) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let dropped = std::mem::take(&mut g.dropped);
        (std::mem::take(&mut g.buf), dropped)
    }

    fn push(&self, bytes: &[u8]) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = g.cap.saturating_sub(g.buf.len());
        let take = room.min(bytes.len());
        g.buf.extend_from_slice(&bytes[..take]);
        g.dropped += (bytes.len() - take) as u64;
    }
}

impl AsyncWrite for GuestLog {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for GuestLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestLog {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}
