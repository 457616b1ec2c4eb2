//! The host's policy on the outcomes `send` returns: count, dead-letter,
//! halt, or queue a retry with backoff; publish each exchange's response
//! record (every call of a multi-call record, in order); count unknown
//! fields; journal what became final.

use super::flow::{Flow, Pending, add, record_value};
use super::worker::Job;
use crate::journal::{Done, Entry};
use crate::retry::parse_retry_after;
use crate::sandbox::{Exchange, Guest, Outcome, RecordOutcome, Retry, StepDone};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What one call's outcomes left to do.
#[derive(Default)]
struct Tally {
    /// Exchanges to publish through `on-response`, each once.
    published: Vec<Exchange>,
    /// Records to send again later.
    retry_later: Vec<Pending>,
    /// The longest `Retry-After` among them.
    retry_after: Option<Duration>,
    /// Records that reached a final outcome (their permits come back).
    done: usize,
    /// Journal entries for those.
    finished: Vec<Entry>,
    /// The record sets of 429 answers already counted (one answer may
    /// cover a batch of records).
    limited: Vec<Vec<u64>>,
}

/// Applies the outcomes of one `send` call to its records.
pub(super) async fn handle_outcomes(
    guest: &mut Guest,
    flow: &Arc<Flow>,
    tx: &mpsc::UnboundedSender<Job>,
    records: Vec<Pending>,
    outcomes: Vec<RecordOutcome>,
) {
    let mut by_index: HashMap<u64, (Outcome, Vec<String>)> = outcomes
        .into_iter()
        .map(|o| (o.index, (o.outcome, o.unknown_fields)))
        .collect();
    let mut t = Tally::default();
    for mut p in records {
        p.attempts += 1;
        let Some((outcome, unknown)) = by_index.remove(&p.index) else {
            let why = "the plugin returned no outcome for this record";
            let e = flow.dead_letter_pending(&p, "plugin_error", why, p.attempts);
            t.finished.push(e);
            t.done += 1;
            continue;
        };
        if p.attempts == 1 {
            flow.count_unknown(&unknown);
        }
        match outcome {
            Outcome::Delivered(d) => {
                add(&flow.counts.delivered, 1);
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
                add(&flow.counts.not_attempted, 1);
                t.done += 1;
            }
            Outcome::Retry(r) => on_retry(flow, &mut t, p, r),
        }
    }
    publish(guest, flow, t.published).await;
    flow.sinks.commit(t.finished);
    flow.release(t.done);
    schedule_retry(flow, tx, t.retry_later, t.retry_after);
}

/// A transient failure: counted, then retried later or, out of attempts,
/// dead-lettered `retries_exhausted`.
fn on_retry(flow: &Flow, t: &mut Tally, p: Pending, r: Retry) {
    if r.code.starts_with("rate_limited")
        && let Some(ex) = &r.exchange
        && !t.limited.contains(&ex.request.records)
    {
        t.limited.push(ex.request.records.clone());
        add(&flow.counts.rate_limited, 1);
        if r.code == "rate_limited_integration_partner" {
            add(&flow.counts.rate_limited_partner, 1);
        }
    }
    note_steps(&mut t.published, r.completed.clone());
    if p.attempts > 0 && r.exchange.is_some() {
        note_exchange(&mut t.published, r.exchange.clone());
    }
    if flow.halted() {
        add(&flow.counts.not_attempted, 1);
        t.done += 1;
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
            Ok(Err(e)) => tracing::warn!("on-response refused an exchange: {e:?}"),
            Err(f) => tracing::warn!("on-response faulted: {f}"),
        }
    }
}

/// Puts records back on the queue after the backoff (never sooner than the
/// longest `Retry-After` among them).
fn schedule_retry(
    flow: &Flow,
    tx: &mpsc::UnboundedSender<Job>,
    records: Vec<Pending>,
    retry_after: Option<Duration>,
) {
    if records.is_empty() {
        return;
    }
    let attempts = records.iter().map(|p| p.attempts).max().unwrap_or(1);
    let delay = flow.opts.retry.backoff(attempts, retry_after);
    add(&flow.counts.retries, records.len() as u64);
    let tx = tx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
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
