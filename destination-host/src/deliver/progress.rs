//! Progress reports: the loop calls the caller's [`ProgressFn`] with a
//! [`Progress`] snapshot at most every [`EVERY`], and once at the end. The
//! library draws nothing; the CLI renders it.

use super::flow::Flow;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often progress is reported at most.
pub const EVERY: Duration = Duration::from_millis(500);

/// A snapshot of a run's progress.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// Input positions read so far.
    pub read: u64,
    /// Records in the input, when known in advance.
    pub total: Option<u64>,
    /// Delivered so far.
    pub delivered: u64,
    /// Dead-lettered so far.
    pub dead_lettered: u64,
    /// Not attempted so far (the flow halted).
    pub not_attempted: u64,
    /// Re-sends so far.
    pub retries: u64,
    /// Records waiting out a backoff before their next attempt, now.
    pub retrying: u64,
    /// 429 answers so far.
    pub rate_limited: u64,
    /// Time since the run started.
    pub elapsed: Duration,
    /// True for the last report of the run.
    pub finished: bool,
}

impl Progress {
    /// Records that reached an outcome.
    pub fn done(&self) -> u64 {
        self.delivered + self.dead_lettered + self.not_attempted
    }
}

/// Receives progress reports.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Throttles reports to the caller's function.
pub(super) struct Reporter {
    f: Option<ProgressFn>,
    total: Option<u64>,
    start: Instant,
    last: Mutex<Instant>,
    read: AtomicU64,
}

impl Reporter {
    pub(super) fn new(f: Option<ProgressFn>, total: Option<u64>) -> Reporter {
        Reporter {
            f,
            total,
            start: Instant::now(),
            last: Mutex::new(Instant::now()),
            read: AtomicU64::new(0),
        }
    }

    fn snapshot(&self, flow: &Flow, read: u64, finished: bool) -> Progress {
        let c = &flow.counts;
        Progress {
            read,
            total: self.total,
            delivered: c.delivered.load(Relaxed),
            dead_lettered: c.dead.load(Relaxed),
            not_attempted: c.not_attempted.load(Relaxed),
            retries: c.retries.load(Relaxed),
            retrying: c.retrying.load(Relaxed),
            rate_limited: c.rate_limited.load(Relaxed),
            elapsed: self.start.elapsed(),
            finished,
        }
    }

    /// Whether anyone listens.
    pub(super) fn wanted(&self) -> bool {
        self.f.is_some()
    }

    /// Reports if [`EVERY`] has passed since the last report, with the
    /// positions read so far as the reader last said.
    pub(super) fn tick_again(&self, flow: &Flow) {
        self.tick(flow, self.read.load(Relaxed));
    }

    /// Reports if [`EVERY`] has passed since the last report.
    pub(super) fn tick(&self, flow: &Flow, read: u64) {
        self.read.store(read, Relaxed);
        let Some(f) = &self.f else { return };
        let mut last = super::sinks::lock(&self.last);
        if last.elapsed() >= EVERY {
            *last = Instant::now();
            f(&self.snapshot(flow, read, false));
        }
    }

    /// The last report.
    pub(super) fn finish(&self, flow: &Flow, read: u64) {
        if let Some(f) = &self.f {
            f(&self.snapshot(flow, read, true));
        }
    }
}
