//! The configured per-key rate limit: a fixed 60 s window per API key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::lock;

/// Length of the fixed rate-limit window.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Requests counted per key in its current window.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: Option<u32>,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// `limit` requests per key per window; `None` means no limit.
    pub(crate) fn new(limit: Option<u32>) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request against the key's window; `Some(seconds)` when over the limit.
    pub(crate) fn over_limit(&self, key: &str) -> Option<u64> {
        let limit = self.limit?;
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let window = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(window.0) >= RATE_WINDOW {
            *window = (now, 0);
        }
        window.1 = window.1.saturating_add(1);
        if window.1 <= limit {
            return None;
        }
        let left = RATE_WINDOW.saturating_sub(now.duration_since(window.0));
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Some(secs.max(1))
    }
}
