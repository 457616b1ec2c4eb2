//! The retry policy: exponential backoff with full jitter, never sooner than
//! the remote's `Retry-After`. A leaf: the delivery loop, the response
//! webhook and the HTTP import's 429 pause all read it.

use std::time::{Duration, SystemTime};

/// The longest wait a `Retry-After` may ask for; a longer one is capped.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How often and how patiently a failed request is tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per record (or webhook post) before giving up.
    pub max_attempts: u32,
    /// First backoff step; doubles per attempt, full jitter.
    pub base: Duration,
    /// Longest backoff.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: a uniform draw in
    /// `[0, min(cap, base * 2^(attempt-1))]` (full jitter), never sooner
    /// than `floor` (a `Retry-After`).
    pub fn backoff(&self, attempt: u32, floor: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        let jitter = exp.mul_f64(fastrand::f64());
        match floor {
            Some(f) => jitter.max(f),
            None => jitter,
        }
    }
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP date (RFC 9110
/// §10.2.3), capped at an hour. A date in the past means now.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("99999"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert!(
            parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT").is_some_and(|d| d > Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_bounds() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            assert!(p.backoff(attempt, None) <= p.cap);
        }
        assert!(p.backoff(1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }
}
