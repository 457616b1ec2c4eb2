//! The host's policy on the outcomes `send` returns: count, dead-letter,
//! halt, or queue a retry with backoff; publish each exchange's response
//! record (every call of a multi-call record, in order); count unknown
//! fields; journal what became final.

use super::flow::{Flow, Job, Pending, add, record_value};
use crate::journal::{Done, Entry};
use crate::retry::parse_retry_after;
use crate::sandbox::{Exchange, Guest, Outcome, RecordOutcome, Retry, StepDone};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often a waiting retry looks for a halt.
const LOOK_AGAIN: Duration = Duration::from_millis(100);

/// What one call's outcomes left to do.
#[derive(Default)]
struct Tally {
    /// Exchanges to publish through `on-response`, each once.
    published: Vec<Exchange>,
    /// Records to send again later.
    retry_later: Vec<Pending>,
    /// Records that failed in an outage: sent again when the circuit lets
    /// them, their attempt not charged.
    uncharged: Vec<Pending>,
    /// Whether the origin's circuit is open or opened during the call.
    outage: bool,
    /// The longest `Retry-After` among them.
    retry_after: Option<Duration>,
    /// Records that reached a final outcome (their permits come back).
    done: usize,
    /// Journal entries for those.
    finished: Vec<Entry>,
}

/// Applies the outcomes of one `send` call to its records.
pub(super) async fn handle_outcomes(
    guest: &mut Guest,
    flow: &Arc<Flow>,
    tx: &mpsc::UnboundedSender<Job>,
    records: Vec<Pending>,
    outcomes: Vec<RecordOutcome>,
    opened_before: u64,
) {
    let mut by_index = outcomes_by_index(&records, outcomes);
    let st = flow.circuit.state();
    let mut t = Tally {
        outage: st.open || st.opened != opened_before,
        ..Tally::default()
    };
    for mut p in records {
        let Some((outcome, unknown)) = by_index.remove(&p.index) else {
            // Nothing says whether it reached the remote: dead-lettered, so
            // it is neither lost nor sent again on its own.
            let why = "plugin fault: the plugin returned no outcome for this record";
            let e = flow.dead_letter_pending(&p, "plugin_fault", why, p.attempts + 1);
            t.finished.push(e);
            t.done += 1;
            continue;
        };
        if was_sent(&outcome) {
            if p.attempts == 0 {
                // Each record's unknown fields count once, not per attempt.
                flow.count_unknown(&unknown);
            }
            if p.attempts > 0 {
                add(&flow.counts.retries, 1);
                flow.metrics.retried(1);
            }
            p.attempts += 1;
        }
        match outcome {
            Outcome::Delivered(d) => {
                add(&flow.counts.delivered, 1);
                flow.metrics.sent();
                note_steps(&mut t.published, d.completed);
                note_exchange(&mut t.published, Some(d.exchange));
                t.finished.push(p.entry(Done::Delivered));
                t.done += 1;
            }
            Outcome::Rejected(r) => {
                let (code, why) = (&r.code, &r.message);
                let e = flow.dead_letter_after(&p, code, why, p.attempts, &r.completed);
                t.finished.push(e);
                note_steps(&mut t.published, r.completed);
                note_exchange(&mut t.published, r.exchange);
                t.done += 1;
            }
            Outcome::Halt(h) => {
                note_steps(&mut t.published, h.completed);
                flow.halt(&h.code, &h.message, h.permission.clone());
                guest.halt_http();
                flow.not_attempted(1);
                t.done += 1;
            }
            Outcome::Retry(r) => on_retry(flow, &mut t, p, r),
        }
    }
    if flow.publishes {
        publish(guest, flow, t.published).await;
    }
    flow.sinks.commit(t.finished);
    flow.release(t.done);
    schedule_retry(flow, tx, t.retry_later, t.retry_after);
    if !t.uncharged.is_empty() {
        let _ = tx.send(Some(t.uncharged));
    }
}

/// Whether an outcome stands for a request that was sent. A `deferred`
/// retry without an exchange was held back by the plugin (the remote had
/// asked to slow down): it costs no attempt.
fn was_sent(outcome: &Outcome) -> bool {
    !matches!(outcome, Outcome::Retry(r) if r.code == DEFERRED && r.exchange.is_none())
}

/// The retry code of a record the plugin did not send.
const DEFERRED: &str = "deferred";

/// The outcomes keyed by index. An outcome for a record the call did not
/// carry, or a second outcome for one record, is a plugin fault: it is
/// logged and ignored (the first outcome counts), so no record is lost or
/// counted twice.
fn outcomes_by_index(
    records: &[Pending],
    outcomes: Vec<RecordOutcome>,
) -> HashMap<u64, (Outcome, Vec<String>)> {
    let mut by_index = HashMap::with_capacity(outcomes.len());
    for o in outcomes {
        if !records.iter().any(|p| p.index == o.index) {
            tracing::warn!(
                "plugin fault: an outcome for record {}, which this call did not carry: ignored",
                o.index
            );
        } else if let std::collections::hash_map::Entry::Vacant(v) = by_index.entry(o.index) {
            v.insert((o.outcome, o.unknown_fields));
        } else {
            tracing::warn!(
                "plugin fault: a second outcome for record {}: ignored, the first one counts",
                o.index
            );
        }
    }
    by_index
}

/// A transient failure: counted, then retried later or, out of attempts,
/// dead-lettered `retries_exhausted`.
fn on_retry(flow: &Flow, t: &mut Tally, mut p: Pending, r: Retry) {
    p.maybe_applied |= r.maybe_applied;
    note_steps(&mut t.published, r.completed.clone());
    if p.attempts > 0 && r.exchange.is_some() {
        note_exchange(&mut t.published, r.exchange.clone());
    }
    if flow.halted() {
        flow.not_attempted(1);
        t.done += 1;
    } else if t.outage {
        // The origin's failure, not the record's: this attempt is not charged
        // (a deferral was not counted as one).
        if !(r.code == DEFERRED && r.exchange.is_none()) {
            p.attempts = p.attempts.saturating_sub(1);
        }
        if flow.circuit.is_open() {
            flow.outage.paused(&r.message);
        }
        t.uncharged.push(p);
    } else if p.attempts >= flow.opts.retry.max_attempts {
        let why = format!(
            "gave up after {} attempts; last error {}: {}",
            p.attempts, r.code, r.message
        );
        let e = flow.dead_letter_after(&p, "retries_exhausted", &why, p.attempts, &r.completed);
        t.finished.push(e);
        t.done += 1;
    } else {
        if let Some(ra) = r.retry_after.as_deref().and_then(parse_retry_after) {
            t.retry_after = Some(t.retry_after.map_or(ra, |x| x.max(ra)));
        }
        t.retry_later.push(p);
    }
}

/// Calls `on-response` for each exchange and publishes what it returns.
async fn publish(guest: &mut Guest, flow: &Flow, exchanges: Vec<Exchange>) {
    for ex in exchanges {
        match guest.on_response(ex).await {
            Ok(Ok(Some(text))) => flow.sinks.publish(record_value(&text)),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(
                name: "destination.plugin.on_response_refused",
                "on-response refused an exchange: {e:?}"
            ),
            Err(f) => tracing::warn!(name: "destination.plugin.fault", "on-response faulted: {f}"),
        }
    }
}

/// Puts records back on the queue after the backoff (never sooner than the
/// longest `Retry-After` among them).
fn schedule_retry(
    flow: &Arc<Flow>,
    tx: &mpsc::UnboundedSender<Job>,
    records: Vec<Pending>,
    retry_after: Option<Duration>,
) {
    if records.is_empty() {
        return;
    }
    let attempts = records.iter().map(|p| p.attempts).max().unwrap_or(1).max(1);
    let delay = flow.opts.retry.backoff(attempts, retry_after);
    let n = records.len() as u64;
    add(&flow.counts.retrying, n);
    tracing::debug!(
        name: "destination.record.retry_scheduled",
        records = n, delay_seconds = delay.as_secs_f64(),
        "{n} record(s) to be sent again in {delay:?}"
    );
    let (tx, flow) = (tx.clone(), flow.clone());
    tokio::spawn(async move {
        // A halt or a stop cuts the wait short: the records come back at once
        // (to be reported not attempted).
        let until = tokio::time::Instant::now() + delay;
        while !flow.halted() && tokio::time::Instant::now() < until {
            tokio::time::sleep_until(until.min(tokio::time::Instant::now() + LOOK_AGAIN)).await;
        }
        flow.counts
            .retrying
            .fetch_sub(n, std::sync::atomic::Ordering::Relaxed);
        let _ = tx.send(Some(records));
    });
}

/// Adds the exchanges of a record's completed calls to publish, in order.
fn note_steps(published: &mut Vec<Exchange>, steps: Vec<StepDone>) {
    for s in steps {
        note_exchange(published, Some(s.exchange));
    }
}

/// Adds an exchange to publish, unless the same request is already there
/// (a batch answer shared by several records).
fn note_exchange(published: &mut Vec<Exchange>, ex: Option<Exchange>) {
    if let Some(ex) = ex
        && !published.iter().any(|p| {
            p.request.records == ex.request.records
                && p.request.path == ex.request.path
                && p.request.body == ex.request.body
        })
    {
        published.push(ex);
    }
}
