//! Locking that survives a panicked holder: the mock's data stays usable by later requests.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking the data even if a previous holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
