//! A graceful stop a caller can ask for (the CLI does on SIGINT/SIGTERM):
//! no input is read for sending any more, calls in flight finish within the
//! grace period, outputs and journal are synced, and the rest of the
//! records are reported not attempted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// Asks a run to stop. Clones share it.
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<(AtomicBool, Notify)>);

impl StopSignal {
    /// A signal not yet given.
    pub fn new() -> StopSignal {
        StopSignal::default()
    }

    /// Asks every run holding this signal to stop.
    pub fn trigger(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    /// Whether it was given.
    pub fn is_set(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    /// Waits until it is given.
    pub async fn given(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}
