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
use super::outage::human;
use crate::circuit::{Permit, Turn, now_ms};
use crate::metrics::CircuitState;
use std::time::Duration;

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
