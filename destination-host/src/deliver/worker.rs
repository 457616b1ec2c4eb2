//! One worker per guest instance: takes jobs, calls `send`, contains
//! faults (a fresh instance, then each record of the failed call alone;
//! restarts back off within the flow's crash budget).

use super::flow::{Flow, Job, Jobs, Pending, add};
use super::outcomes::handle_outcomes;
use super::pause::{Gate, gate};
use crate::sandbox::{Guest, GuestFault, InputRecord, RecordOutcome, Sandbox, Tenant};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

/// The longest pause before re-instantiating a trapped component.
const MAX_RESTART_PAUSE: Duration = Duration::from_secs(5);

/// What a worker needs to replace its instance.
pub(super) struct Make<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) tenant: &'a Tenant,
    pub(super) config: &'a str,
}

/// Runs jobs on `guest` until told to stop.
pub(super) async fn worker(
    mut guest: Guest,
    make: Make<'_>,
    flow: Arc<Flow>,
    rx: Jobs,
    tx: mpsc::UnboundedSender<Job>,
) {
    loop {
        let job = { rx.lock().await.recv().await };
        let Some(Some(records)) = job else { return };
        let n = records.len();
        let (records, probe, _permit) = match gate(&flow).await {
            Gate::Halted => {
                flow.not_attempted(n as u64);
                flow.release(n);
                continue;
            }
            Gate::Go(permit) => (records, false, permit),
            Gate::Probe(permit) => (probe_one(records, &tx), true, permit),
        };
        let opened = flow.circuit.state().opened;
        guest.set_probe(probe);
        let caught =
            crate::unwind::caught(run_job(&mut guest, &make, &flow, &tx, records, opened)).await;
        guest.set_probe(false);
        if probe {
            flow.circuit.end_probe();
        }
        if let Err(panic) = caught {
            // A host bug outside any guest call (those are caught in the
            // sandbox and are plugin faults): the flow stops, and the job's
            // permits come back so the run still ends with a summary.
            let why = format!(
                "the host panicked handling a call: {}",
                crate::text::one_line(&panic)
            );
            tracing::error!("{why}");
            flow.halt("host_fault", &why, None);
            flow.not_attempted(n as u64);
            flow.release(n);
        }
    }
}

/// One job: `send`, then the policy on its outcomes, or fault containment.
/// `opened` is the circuit's open count when the call started.
async fn run_job(
    guest: &mut Guest,
    make: &Make<'_>,
    flow: &Arc<Flow>,
    tx: &mpsc::UnboundedSender<Job>,
    records: Vec<Pending>,
    opened: u64,
) {
    match call_send(guest, flow, &records).await {
        Ok(outcomes) => handle_outcomes(guest, flow, tx, records, outcomes, opened).await,
        Err(fault) => {
            let tenant = crate::text::one_line(&make.tenant.name);
            tracing::warn!(tenant = %tenant, "plugin fault in tenant {tenant}: {fault}");
            if let Some(fresh) = one_by_one(make, flow, tx, records, fault).await {
                *guest = fresh;
            }
        }
    }
}

/// A probe is one record: the rest of the job goes back on the queue.
fn probe_one(mut records: Vec<Pending>, tx: &mpsc::UnboundedSender<Job>) -> Vec<Pending> {
    let rest = records.split_off(1.min(records.len()));
    if !rest.is_empty() {
        let _ = tx.send(Some(rest));
    }
    records
}

/// After a fault: a fresh instance, then each record alone, once; a record
/// that kills it again is dead-lettered `plugin_fault`. Returns the last
/// working instance, or `None` when the flow cannot go on (halted).
async fn one_by_one(
    make: &Make<'_>,
    flow: &Arc<Flow>,
    tx: &mpsc::UnboundedSender<Job>,
    records: Vec<Pending>,
    fault: GuestFault,
) -> Option<Guest> {
    let mut guest = match restart(make, flow, &fault).await {
        Ok(fresh) => fresh,
        Err(why) => {
            give_up(flow, records, &why);
            return None;
        }
    };
    let mut records = records.into_iter();
    while let Some(p) = records.next() {
        match call_send(&mut guest, flow, std::slice::from_ref(&p)).await {
            Ok(outcomes) => {
                let opened = flow.circuit.state().opened;
                handle_outcomes(&mut guest, flow, tx, vec![p], outcomes, opened).await
            }
            Err(f2) => {
                let tenant = crate::text::one_line(&make.tenant.name);
                tracing::warn!(
                    tenant = %tenant,
                    "plugin fault in tenant {tenant} on record {} alone: {f2}",
                    p.index
                );
                let e =
                    flow.dead_letter_pending(&p, "plugin_fault", &f2.to_string(), p.attempts + 1);
                flow.sinks.commit(vec![e]);
                flow.release(1);
                guest = match restart(make, flow, &f2).await {
                    Ok(fresh) => fresh,
                    Err(why) => {
                        give_up(flow, records.collect(), &why);
                        return None;
                    }
                };
            }
        }
    }
    Some(guest)
}

/// Replaces a trapped instance, after a pause that doubles with each restart
/// in the flow, within the flow's crash budget. When the budget is spent the
/// flow halts (code `crash_budget_exhausted`).
async fn restart(make: &Make<'_>, flow: &Flow, fault: &GuestFault) -> Result<Guest, String> {
    let n = flow.counts.restarts.fetch_add(1, Ordering::Relaxed) + 1;
    let budget = flow.opts.crash_budget;
    if n > u64::from(budget) {
        // Not restarted after all.
        flow.counts.restarts.fetch_sub(1, Ordering::Relaxed);
        let why = format!(
            "the component faulted {n} times in this flow, over its crash budget of {budget} restarts; last fault: {fault}"
        );
        flow.halt("crash_budget_exhausted", &why, None);
        return Err(why);
    }
    let pause = flow
        .opts
        .restart_backoff
        .saturating_mul(1u32 << (n - 1).min(16) as u32)
        .min(MAX_RESTART_PAUSE);
    tokio::time::sleep(pause).await;
    match make
        .sandbox
        .configured(make.tenant, &flow.opts.limits, make.config)
        .await
    {
        Ok((fresh, _)) => Ok(fresh),
        Err(e) => {
            let why = format!("{fault}; re-instantiating the component failed: {e:#}");
            flow.halt("plugin_unavailable", &why, None);
            Err(why)
        }
    }
}

/// Records a flow could not try because the component is unusable: they are
/// fine, so they are not attempted rather than dead-lettered.
fn give_up(flow: &Flow, records: Vec<Pending>, why: &str) {
    let n = records.len();
    if n > 0 {
        tracing::warn!(name: "destination.flow.stopped", "{n} record(s) not attempted: {why}");
    }
    flow.not_attempted(n as u64);
    flow.release(n);
}

/// One `send` call; the requests it made and the 429s it got (as the
/// host's `http` import saw them) are added to the run's counts.
async fn call_send(
    guest: &mut Guest,
    flow: &Flow,
    records: &[Pending],
) -> Result<Vec<RecordOutcome>, GuestFault> {
    let input: Vec<InputRecord> = records
        .iter()
        .map(|p| InputRecord {
            index: p.index,
            json: p.json.clone(),
            maybe_applied: p.maybe_applied,
        })
        .collect();
    guest.set_resend_count(records.iter().map(|p| p.attempts).max().unwrap_or(0));
    let counted = |g: &Guest| {
        let s = g.stats();
        [&s.requests, &s.rate_limited, &s.rate_limited_partner].map(|c| c.load(Ordering::Relaxed))
    };
    let before = counted(guest);
    let result = guest.send(input).await;
    let after = counted(guest);
    let c = &flow.counts;
    for (total, (a, b)) in [&c.requests, &c.rate_limited, &c.rate_limited_partner]
        .into_iter()
        .zip(after.into_iter().zip(before))
    {
        add(total, a - b);
    }
    match result? {
        Ok(outcomes) => Ok(outcomes),
        Err(e) => {
            flow.metrics
                .plugin_fault(crate::metrics::FaultKind::CallRefused);
            Err(GuestFault(format!(
                "send refused the call: {}",
                crate::text::one_line(&format!("{e:?}"))
            )))
        }
    }
}
