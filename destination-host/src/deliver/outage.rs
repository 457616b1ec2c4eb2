//! A flow's pauses for outages: how many, how long, told once each on the
//! log. Below the gate ([`super::pause`]), which reports to it, and the flow
//! ([`super::flow`]), which owns it.

use super::sinks::lock;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A duration for people: `8.2s`, `15m 0s`.
pub(super) fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m {}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// This flow's pauses: how many, and how long in all.
#[derive(Default)]
pub(super) struct OutageClock(Mutex<Clock>);

#[derive(Default)]
struct Clock {
    since: Option<Instant>,
    pauses: u64,
    total: Duration,
}

impl OutageClock {
    /// The flow is paused (told once per pause).
    pub(super) fn paused(&self, why: &str) {
        let mut c = lock(&self.0);
        if c.since.is_none() {
            c.since = Some(Instant::now());
            c.pauses += 1;
            tracing::warn!(
                "warning: pausing the flow: the origin is failing ({why}); probing it with backoff, no record is charged an attempt meanwhile"
            );
        }
    }

    /// The circuit is closed again (told once per pause).
    pub(super) fn resumed(&self) {
        let mut c = lock(&self.0);
        if let Some(since) = c.since.take() {
            let d = since.elapsed();
            c.total += d;
            tracing::info!(
                "resuming the flow: the origin answered again after {}",
                human(d)
            );
        }
    }

    /// How long the pause going on has lasted (zero when not paused).
    pub(super) fn paused_for(&self) -> Duration {
        lock(&self.0).since.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// `(pauses, total paused ms)`, counting a pause still going on.
    pub(super) fn totals(&self) -> (u64, u64) {
        let c = lock(&self.0);
        let open = c.since.map_or(Duration::ZERO, |s| s.elapsed());
        (c.pauses, (c.total + open).as_millis() as u64)
    }
}
