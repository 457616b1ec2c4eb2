//! What the host grants one tenant flow: its origin and key ([`Tenant`]),
//! its sandbox limits ([`Limits`]) and the counters kept outside the guest
//! ([`FlowStats`]). A leaf below the HTTP import and the sandbox.

use crate::coordination::Coordination;
use crate::origin::Origin;
use crate::rate::Rate;
use crate::secret::ApiKey;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Resource limits for one tenant flow's `Store`. The defaults are safe for
/// a multi-tenant host.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Linear memory cap; growing past it traps.
    pub memory_bytes: usize,
    /// Guest CPU time allowed per export call (time spent waiting on the
    /// host's HTTP does not count).
    pub cpu_per_call: Duration,
    /// Wall-clock bound on one host HTTP exchange.
    pub http_timeout: Duration,
    /// Wall-clock bound on one whole export call.
    pub call_timeout: Duration,
    /// Cap on a response body the host will read.
    pub max_response_bytes: usize,
    /// Cap on a request body the guest may send.
    pub max_request_bytes: usize,
    /// Cap on guest stdout+stderr kept between drains.
    pub guest_log_bytes: usize,
    /// Records handed to one `send` or `sample-payload` call at most; the
    /// host refuses a larger call without entering the guest.
    pub max_records_per_call: usize,
    /// Requests per second for the tenant's API key, shared by every flow
    /// using that key in this process; `None` = unpaced.
    pub rate: Option<Rate>,
    /// Where that rate and the key's 429 pause are kept: `None` = in this
    /// process; a [`Coordination`] shares them with every host process
    /// that points at the same Redis.
    pub coordination: Option<Coordination>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory_bytes: 64 << 20,
            cpu_per_call: Duration::from_secs(1),
            http_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(300),
            max_response_bytes: 10 << 20,
            max_request_bytes: 10 << 20,
            guest_log_bytes: 64 << 10,
            max_records_per_call: 1_000,
            rate: Some(Rate::ASHBY_DEFAULT),
            coordination: None,
        }
    }
}

/// One tenant's connection to its Ashby: where, and with which key.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// A name for logs (never the key).
    pub name: String,
    /// The origin every request goes to.
    pub origin: Origin,
    /// The credential the host adds to every request.
    pub key: ApiKey,
}

/// Per-flow counters the host keeps outside the guest.
#[derive(Debug, Default)]
pub struct FlowStats {
    /// HTTP requests actually issued.
    pub requests: AtomicU64,
    /// Answers with status 429, as the host saw them (not as the guest
    /// classified them).
    pub rate_limited: AtomicU64,
    /// Of those, the ones with `X-RateLimit-Scope: integration-partner`.
    pub rate_limited_partner: AtomicU64,
}
