//! The flow's side of the origin's circuit ([`crate::circuit`]): a worker
//! waits at the gate while the circuit is open, one worker at a time sends
//! a probe, the flow halts when the outage lasts longer than
//! `Options::max_outage`, and the pauses are told on the log and counted.
//!
//! The circuit is the origin's, shared by every flow of the process using
//! it; each flow's `destination_circuit_state` gauge shows what its own
//! workers last found at this gate (`closed` on a go, `half_open` while one
//! of them holds the probe, `open` while they wait), and the request that
//! opens or closes the circuit sets its flow's gauge at once (`http_import`).
//! A flow with no job at the gate keeps its last value.

use super::flow::Flow;
use super::sinks::lock;
use crate::circuit::{Permit, Turn, now_ms};
use crate::metrics::CircuitState;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest a waiting worker sleeps before it looks again (for a halt,
/// a stop, or the circuit closing).
const LOOK_AGAIN: Duration = Duration::from_millis(200);

/// What a worker may do with its job.
pub(super) enum Gate {
    /// Send it.
    Go(Permit),
    /// Send its first record as the probe.
    Probe(Permit),
    /// The flow halted or is stopping: send nothing.
    Halted,
}

/// Waits until the flow may send (or must not any more).
pub(super) async fn gate(flow: &Flow) -> Gate {
    loop {
        if flow.halted() {
            return Gate::Halted;
        }
        match flow.circuit.turn() {
            Turn::Go(p) => {
                flow.metrics.set_circuit_state(CircuitState::Closed);
                flow.outage.resumed();
                return Gate::Go(p);
            }
            Turn::Probe(p) => {
                flow.metrics.set_circuit_state(CircuitState::HalfOpen);
                return Gate::Probe(p);
            }
            Turn::Wait(d) => {
                let st = flow.circuit.state();
                if st.open {
                    flow.metrics.set_circuit_state(CircuitState::Open);
                    flow.outage.paused(&st.last_failure);
                    let failing = Duration::from_millis(now_ms().saturating_sub(st.open_since_ms));
                    if flow.outage.paused_for() > flow.opts.max_outage {
                        let why = format!(
                            "the origin has been failing for {} (last: {}), longer than the {} the flow waits",
                            human(failing),
                            st.last_failure,
                            human(flow.opts.max_outage)
                        );
                        flow.halt("outage", &why, None);
                        return Gate::Halted;
                    }
                }
                tokio::time::sleep(d.min(LOOK_AGAIN)).await;
            }
        }
    }
}

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
