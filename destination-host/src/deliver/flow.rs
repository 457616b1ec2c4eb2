//! The state one run's workers share: options, counters, the halt, the
//! bound on records in flight, and the outputs.

use super::outage::OutageClock;
use super::sinks::{Sinks, lock};
use super::{HaltInfo, Options};
use crate::circuit::Circuit;
use crate::journal::{Done, Entry};
use crate::metrics::FlowMetrics;
use crate::sandbox::StepDone;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, mpsc};

/// Records handed to one `send` call; `None` tells a worker to stop.
pub(super) type Job = Option<Vec<Pending>>;

/// The queue workers take jobs from, and put retries back on.
pub(super) type Jobs = Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>>;

/// A record handed to `send`, with what the loop knows about it.
#[derive(Clone)]
pub(super) struct Pending {
    pub(super) index: u64,
    pub(super) json: String,
    /// The journal's key for the record; `None` without a journal.
    pub(super) hash: Option<String>,
    /// Requests sent for it so far (a deferral the plugin held back is
    /// not one).
    pub(super) attempts: u32,
    /// An earlier attempt may have been applied (sticky; passed to `send`).
    pub(super) maybe_applied: bool,
}

impl Pending {
    /// The journal entry that makes this record's outcome final.
    pub(super) fn entry(&self, done: Done) -> Entry {
        Entry {
            index: self.index,
            hash: self.hash.clone().unwrap_or_default(),
            done,
        }
    }
}

/// The run's counters (see [`super::Summary`] for what each means).
#[derive(Default)]
pub(super) struct Counters {
    pub(super) input: AtomicU64,
    pub(super) resumed: AtomicU64,
    pub(super) delivered: AtomicU64,
    pub(super) dead: AtomicU64,
    pub(super) not_attempted: AtomicU64,
    pub(super) retries: AtomicU64,
    /// Records waiting out a backoff before their next attempt.
    pub(super) retrying: AtomicU64,
    pub(super) requests: AtomicU64,
    pub(super) restarts: AtomicU64,
    pub(super) rate_limited: AtomicU64,
    pub(super) rate_limited_partner: AtomicU64,
    /// Records per unknown field name.
    pub(super) unknown_fields: Mutex<BTreeMap<String, u64>>,
}

/// Adds `n` to a counter.
pub(super) fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// Everything the workers of one run share.
pub(super) struct Flow {
    pub(super) opts: Options,
    pub(super) counts: Counters,
    pub(super) sinks: Sinks,
    halted: AtomicBool,
    halt: Mutex<Option<HaltInfo>>,
    /// One permit per record that may be between the reader and a final
    /// outcome; the run ends when all are back.
    pub(super) outstanding: Semaphore,
    pub(super) in_flight_cap: usize,
    /// This flow's metric handles.
    pub(super) metrics: FlowMetrics,
    /// The origin's circuit, shared with every flow using the origin.
    pub(super) circuit: Circuit,
    /// This flow's pauses for outages.
    pub(super) outage: OutageClock,
    /// Whether the destination publishes response records (its configure
    /// summary's `response-webhook`): when not, `on-response` is never
    /// called, which spares copying every exchange into the guest.
    pub(super) publishes: bool,
}

impl Flow {
    pub(super) fn new(
        opts: Options,
        sinks: Sinks,
        in_flight_cap: usize,
        circuit: Circuit,
        metrics: FlowMetrics,
        publishes: bool,
    ) -> Flow {
        metrics.set_circuit_state(if circuit.is_open() {
            crate::metrics::CircuitState::Open
        } else {
            crate::metrics::CircuitState::Closed
        });
        Flow {
            metrics,
            circuit,
            outage: OutageClock::default(),
            publishes,
            opts,
            counts: Counters::default(),
            sinks,
            halted: AtomicBool::new(false),
            halt: Mutex::new(None),
            outstanding: Semaphore::new(in_flight_cap),
            in_flight_cap,
        }
    }

    /// Whether the flow halted or was asked to stop: nothing new is sent.
    pub(super) fn halted(&self) -> bool {
        self.halted.load(Ordering::Relaxed) || self.stopping()
    }

    /// Whether the caller asked the flow to stop (a signal).
    pub(super) fn stopping(&self) -> bool {
        self.opts.stop.as_ref().is_some_and(|s| s.is_set())
    }

    /// Stops the flow; the first halt's reason is kept.
    pub(super) fn halt(&self, code: &str, message: &str, permission: Option<String>) {
        if !self.halted.swap(true, Ordering::Relaxed) {
            tracing::debug!(name: "destination.flow.halted", code, "flow halted: {code}");
            *lock(&self.halt) = Some(HaltInfo {
                code: code.to_string(),
                message: message.to_string(),
                permission,
            });
        }
    }

    /// Why the flow halted, if it did.
    pub(super) fn halt_info(&self) -> Option<HaltInfo> {
        lock(&self.halt).clone()
    }

    /// `n` records reached a final outcome (or were given up): their
    /// in-flight permits come back.
    pub(super) fn release(&self, n: usize) {
        self.outstanding.add_permits(n);
    }

    /// Dead-letters a record before it reached `send` (bad input).
    pub(super) fn dead_letter(
        &self,
        index: u64,
        record: Value,
        code: &str,
        reason: &str,
        attempts: u32,
    ) {
        self.write_dead_letter(index, record, (code, reason), attempts, &[]);
    }

    /// Counts, logs and writes one dead letter; `completed` are the
    /// record's calls that succeeded before the one that failed.
    fn write_dead_letter(
        &self,
        index: u64,
        record: Value,
        (code, reason): (&str, &str),
        attempts: u32,
        completed: &[StepDone],
    ) {
        add(&self.counts.dead, 1);
        self.metrics.rejected(code);
        tracing::debug!(
            name: "destination.record.rejected",
            index, code, attempts,
            "record {index} dead-lettered ({code})"
        );
        if let Some(ok) = self
            .sinks
            .dead_letter(index, record, code, reason, attempts, completed)
        {
            self.metrics.dead_letter_written(ok);
        }
    }

    /// `n` records were not attempted (the flow halted or stopped).
    pub(super) fn not_attempted(&self, n: u64) {
        add(&self.counts.not_attempted, n);
        self.metrics.not_attempted(n);
    }

    /// Dead-letters a record that went through `send`; returns the journal
    /// entry that makes it final.
    pub(super) fn dead_letter_pending(
        &self,
        p: &Pending,
        code: &str,
        reason: &str,
        attempts: u32,
    ) -> Entry {
        self.dead_letter_after(p, code, reason, attempts, &[])
    }

    /// Dead-letters a record whose calls in `completed` succeeded before
    /// the one that failed; returns the journal entry that makes it final.
    pub(super) fn dead_letter_after(
        &self,
        p: &Pending,
        code: &str,
        reason: &str,
        attempts: u32,
        completed: &[StepDone],
    ) -> Entry {
        let record = record_value(&p.json);
        self.write_dead_letter(p.index, record, (code, reason), attempts, completed);
        p.entry(Done::DeadLettered(code.to_string()))
    }

    /// Counts a record's unknown fields, once per record.
    pub(super) fn count_unknown(&self, fields: &[String]) {
        if fields.is_empty() {
            return;
        }
        let mut counts = lock(&self.counts.unknown_fields);
        for f in fields {
            *counts.entry(f.clone()).or_default() += 1;
        }
    }
}

/// A record's JSON as a value for an output line (the text itself if it
/// does not parse, so nothing is lost).
pub(super) fn record_value(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|_| Value::String(json.to_string()))
}
