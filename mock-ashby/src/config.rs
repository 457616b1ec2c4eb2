//! [`MockConfig`], how to start a mock, and the default API key.

use std::sync::OnceLock;
use std::time::Duration;

/// How to start a [`MockAshby`](crate::MockAshby).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Port on 127.0.0.1 to bind; 0 picks any free port.
    pub port: u16,
    /// API keys the mock accepts (multi-tenant tests use several). Must not be empty.
    pub api_keys: Vec<String>,
    /// Permissions granted to every key; `None` grants all of them. A `…Write`
    /// permission implies the matching `…Read` one.
    pub permissions: Option<Vec<String>>,
    /// Delay added before every response.
    pub latency: Duration,
    /// Requests allowed per API key per fixed 60 s window; over it the mock answers 429
    /// with `Retry-After` and the code `rate_limit_exceeded`. `None` means no limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Requests in a million answered HTTP 503 at random (outside the
    /// injected faults), as from a flaky proxy; 0 for none.
    pub fail_per_million: u32,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            port: 0,
            api_keys: vec![default_api_key().to_owned()],
            permissions: None,
            latency: Duration::ZERO,
            rate_limit_per_minute: None,
            fail_per_million: 0,
        }
    }
}

/// The key used by [`MockConfig::default`]: `mock-` and 32 hex characters, random per process.
pub fn default_api_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| format!("mock-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)))
}
