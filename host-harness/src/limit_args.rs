//! The CLI's sandbox-limit flags, shared by `send`, `replay`, `sample` and
//! `test`. Defaults are [`Limits::default`]'s.

use host_harness::runtime::Limits;
use std::time::Duration;

/// Per-instance sandbox limits.
#[derive(clap::Args, Clone, Debug)]
#[command(next_help_heading = "Sandbox limits (per instance)")]
pub struct LimitArgs {
    /// Guest linear memory cap in MiB; growing past it traps.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub memory_mb: u64,
    /// Guest CPU time per call in milliseconds (epoch interruption, 10 ms ticks).
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub cpu_ms: u64,
    /// Wall-clock bound on one HTTP exchange, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_timeout: u64,
    /// Wall-clock bound on one whole call into the component, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub call_timeout: u64,
    /// Largest response body the host reads, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 10 << 20, value_parser = clap::value_parser!(u64).range(1..=(1 << 30)))]
    pub max_response_bytes: u64,
    /// Records handed to one call into the component at most.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub max_records_per_call: u64,
}

impl LimitArgs {
    /// `base` with these flags applied.
    pub fn apply(&self, base: Limits) -> Limits {
        Limits {
            memory_bytes: (self.memory_mb << 20) as usize,
            cpu_per_call: Duration::from_millis(self.cpu_ms),
            http_timeout: Duration::from_secs(self.http_timeout),
            call_timeout: Duration::from_secs(self.call_timeout),
            max_response_bytes: self.max_response_bytes as usize,
            max_records_per_call: self.max_records_per_call as usize,
            ..base
        }
    }
}
