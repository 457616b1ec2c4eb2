//! Drives `send` over a whole input and accounts for every record: each ends
//! delivered, dead-lettered with a reason, or reported not attempted.
//!
//! The plugin classifies each record's outcome; this loop applies the host's
//! policy to it: retry with backoff (never sooner than the remote's
//! Retry-After), dead-letter what is permanent, stop at a halt.
//!
//! Modules, in the order a record meets them: [`schedule`] (reading and
//! chunking), `worker` (the instance pool and fault containment),
//! `outcomes` (the policy on each outcome), `sinks` (dead letters,
//! responses, journal commits) and [`progress`]; `flow` is the state they
//! share.

mod flow;
mod outage;
mod outcomes;
mod pause;
pub mod progress;
mod schedule;
mod sinks;
mod stop;
mod worker;

use crate::input::Items;
use crate::journal::{self, Journal};
use crate::retry::RetryPolicy;
use crate::sandbox::{Guest, Limits, Sandbox, Tenant};
use crate::webhook::Webhook;
use anyhow::Context as _;
use flow::Flow;
pub use progress::{Progress, ProgressFn};
use serde::Serialize;
use serde_json::Value;
use sinks::Sinks;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
pub use stop::StopSignal;
use tokio::sync::mpsc;
use tracing::Instrument as _;

/// How a run behaves.
#[derive(Clone)]
pub struct Options {
    /// Instances (so requests) in flight at once for this flow.
    pub concurrency: usize,
    /// Records handed to one `send` call.
    pub chunk: usize,
    /// Attempts per record and the backoff between them (also used by the
    /// response webhook).
    pub retry: RetryPolicy,
    /// Dead-letter file (JSON Lines).
    pub dead_letter: Option<PathBuf>,
    /// Response-webhook records file (JSON Lines).
    pub responses: Option<PathBuf>,
    /// Records known in advance, for progress.
    pub total_hint: Option<u64>,
    /// Called with progress reports (at most every [`progress::EVERY`], and
    /// once at the end).
    pub progress: Option<ProgressFn>,
    /// Sandbox limits for every instance.
    pub limits: Limits,
    /// Journal final outcomes here and skip what an earlier run finished.
    pub journal: Option<JournalSpec>,
    /// POST each response-webhook record here (with the retry policy above).
    pub responses_url: Option<String>,
    /// Component restarts (after a trap) a flow may make before it stops.
    pub crash_budget: u32,
    /// First wait before re-instantiating after a trap; doubles per restart
    /// in the flow, up to 5 s.
    pub restart_backoff: Duration,
    /// How long the origin may fail (its circuit open) before the flow
    /// halts, the rest of its records not attempted.
    pub max_outage: Duration,
    /// Asks the run to stop gracefully.
    pub stop: Option<StopSignal>,
    /// After a stop, how long calls in flight may take to finish before the
    /// run stops waiting for them.
    pub grace: Duration,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("concurrency", &self.concurrency)
            .field("chunk", &self.chunk)
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .field("journal", &self.journal)
            .field("crash_budget", &self.crash_budget)
            .field("max_outage", &self.max_outage)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

/// Where the journal is, and how to read the input again to check it.
#[derive(Clone)]
pub struct JournalSpec {
    /// The journal file (created if missing).
    pub path: PathBuf,
    /// Opens a fresh reader over the same input, for the check that it did
    /// not change under its journal.
    pub reopen: Arc<dyn Fn() -> anyhow::Result<Items> + Send + Sync>,
}

impl std::fmt::Debug for JournalSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalSpec")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The default number of instances (so requests) in flight per flow.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The default crash budget: restarts a flow may make.
pub const DEFAULT_CRASH_BUDGET: u32 = 16;
/// The default longest outage a flow waits out: 15 minutes. Most incidents
/// of a hosted API (a deploy, a failover, a brief overload) are over well
/// within it, so a scheduled sync rides them out; a longer one is a real
/// incident, and holding the flow beyond it would overlap the next scheduled
/// run. With a journal the same command resumes where it halted.
pub const DEFAULT_MAX_OUTAGE: Duration = Duration::from_secs(15 * 60);
/// The default grace period after a stop: 10 s, long enough for requests in
/// flight at Ashby's usual latency (and short of the 30 s an orchestrator
/// usually allows between SIGTERM and SIGKILL).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: DEFAULT_CONCURRENCY,
            chunk: 16,
            retry: RetryPolicy::default(),
            dead_letter: None,
            responses: None,
            total_hint: None,
            progress: None,
            limits: Limits::default(),
            journal: None,
            responses_url: None,
            crash_budget: DEFAULT_CRASH_BUDGET,
            restart_backoff: Duration::from_millis(50),
            max_outage: DEFAULT_MAX_OUTAGE,
            stop: None,
            grace: DEFAULT_GRACE,
        }
    }
}

/// The summary a run ends with. `input = delivered + dead_lettered + not_attempted`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Records in the input (good or bad).
    pub input: u64,
    /// Records the remote accepted.
    pub delivered: u64,
    /// Records dead-lettered with a reason.
    pub dead_lettered: u64,
    /// Records never attempted (the flow halted).
    pub not_attempted: u64,
    /// HTTP requests issued.
    pub requests: u64,
    /// Requests that were re-sends of an earlier attempt.
    pub retries: u64,
    /// Records an earlier run finished, per the journal (counted in
    /// `delivered` / `dead_lettered`, not sent again).
    pub resumed: u64,
    /// HTTP 429 answers (each slowed the key for every flow using it).
    pub rate_limited: u64,
    /// Of those, answers with `X-RateLimit-Scope: integration-partner`: the
    /// integration partner's traffic across organisations is limited.
    pub rate_limited_partner: u64,
    /// Times a trapped component instance was replaced.
    pub plugin_restarts: u64,
    /// Times the flow paused because the origin was failing (its circuit
    /// opened).
    pub outage_pauses: u64,
    /// Time spent paused, in ms.
    pub outage_ms: u64,
    /// Records per field name that the destination does not know (sent,
    /// dropped or refused as its config says; each record counted once).
    pub unknown_fields: BTreeMap<String, u64>,
    /// Response-webhook records the `--responses-url` receiver accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses_posted: Option<u64>,
    /// Response-webhook records it never accepted (after the retry policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses_failed: Option<u64>,
    /// Wall-clock time of the run.
    pub elapsed_ms: u64,
}

/// Why a flow halted.
#[derive(Debug, Clone, Serialize)]
pub struct HaltInfo {
    /// `unauthorized`, `forbidden`, `missing_endpoint_permission`, ...
    pub code: String,
    /// The remote's message.
    pub message: String,
    /// The permission the endpoint needs.
    pub permission: Option<String>,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The counts.
    pub summary: Summary,
    /// Set when the flow halted.
    pub halt: Option<HaltInfo>,
    /// Response-webhook records, in the order they were produced.
    pub responses: Vec<Value>,
    /// The configure summary's warnings.
    pub warnings: Vec<String>,
    /// Whether the run stopped because [`Options::stop`] was given.
    pub stopped: bool,
    /// Set when writing an output file failed during the run (the summary
    /// is still complete).
    pub output_error: Option<String>,
}

/// A run set up and ready to read its input.
struct Started {
    flow: Arc<Flow>,
    guests: Vec<Guest>,
    earlier: HashMap<u64, journal::Entry>,
    chunk_size: usize,
    warnings: Vec<String>,
}

/// Sends every record of `items` through `config` for `tenant`.
pub async fn run(
    sandbox: &Sandbox,
    tenant: &Tenant,
    config: &str,
    items: Items,
    opts: Options,
) -> anyhow::Result<Report> {
    let span = tracing::info_span!("destination.flow", flow = %tenant.name);
    run_in_span(sandbox, tenant, config, items, opts)
        .instrument(span)
        .await
}

async fn run_in_span(
    sandbox: &Sandbox,
    tenant: &Tenant,
    config: &str,
    items: Items,
    opts: Options,
) -> anyhow::Result<Report> {
    let start = Instant::now();
    let s = start_run(sandbox, tenant, config, opts).await?;
    let (job_tx, job_rx) = mpsc::unbounded_channel::<flow::Job>();
    let job_rx = Arc::new(tokio::sync::Mutex::new(job_rx));
    let mut workers = tokio::task::JoinSet::new();
    let concurrency = s.guests.len();
    for guest in s.guests {
        let (flow, rx, tx) = (s.flow.clone(), job_rx.clone(), job_tx.clone());
        let (sandbox, tenant, config) = (sandbox.clone(), tenant.clone(), config.to_string());
        workers.spawn(
            async move {
                let make = worker::Make {
                    sandbox: &sandbox,
                    tenant: &tenant,
                    config: &config,
                };
                worker::worker(guest, make, flow, rx, tx).await;
            }
            .in_current_span(),
        );
    }
    let flow = s.flow;
    let progress = Arc::new(progress::Reporter::new(
        flow.opts.progress.clone(),
        flow.opts.total_hint,
    ));
    // Reports keep coming while the last records wait out their retries.
    let ticker = progress.wanted().then(|| {
        let (flow, progress) = (flow.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(progress::EVERY).await;
                progress.tick_again(&flow);
            }
        })
    });
    let all_back = async {
        schedule::feed(&flow, items, &s.earlier, s.chunk_size, &job_tx, &progress).await;
        // Wait until every record handed out has come back.
        flow.outstanding
            .acquire_many(flow.in_flight_cap as u32)
            .await
            .map(|p| p.forget())
            .context("internal: the delivery queue closed early")
    };
    let all = tokio::select! {
        r = all_back => r,
        () = grace_over(&flow) => {
            workers.abort_all();
            give_up_in_flight(&flow);
            Ok(())
        }
    };
    if let Some(t) = ticker {
        t.abort();
    }
    all?;
    for _ in 0..concurrency {
        let _ = job_tx.send(None);
    }
    while workers.join_next().await.is_some() {}
    progress.finish(&flow, flow.counts.input.load(Relaxed));
    let webhook = flow.sinks.finish_webhook().await;
    let output_error = flow.sinks.close().err().map(|e| format!("{e:#}"));
    let summary = summarise(&flow, webhook, start);
    Ok(Report {
        summary,
        halt: flow.halt_info(),
        responses: flow.sinks.take_responses(),
        warnings: s.warnings,
        stopped: flow.stopping(),
        output_error,
    })
}

/// Resolves when a stop was given and the grace period after it is over.
async fn grace_over(flow: &Flow) {
    match &flow.opts.stop {
        Some(stop) => {
            stop.given().await;
            tokio::time::sleep(flow.opts.grace).await;
        }
        None => std::future::pending().await,
    }
}

/// The grace period is over: what has not finished is not attempted (the
/// journal has not recorded it, so a resumed run sends it).
fn give_up_in_flight(flow: &Flow) {
    let c = &flow.counts;
    let finished = c.delivered.load(Relaxed) + c.dead.load(Relaxed) + c.not_attempted.load(Relaxed);
    let rest = c.input.load(Relaxed).saturating_sub(finished);
    tracing::warn!(
        "warning: {rest} record(s) still in flight after the {:?} grace period were not attempted",
        flow.opts.grace
    );
    flow::add(&c.not_attempted, rest);
}

/// Configures one instance first (a refused config stops the run before any
/// input is read), checks the journal, starts the webhook, and makes the
/// rest of the pool.
async fn start_run(
    sandbox: &Sandbox,
    tenant: &Tenant,
    config: &str,
    opts: Options,
) -> anyhow::Result<Started> {
    let concurrency = opts.concurrency.max(1);
    let (first, summary) = sandbox.configured(tenant, &opts.limits, config).await?;
    let (journal, earlier) = open_journal(&opts, config).await?;
    let webhook = match &opts.responses_url {
        Some(url) => Some(Webhook::start(url, opts.retry, opts.limits.http_timeout)?),
        None => None,
    };
    let mut guests = vec![first];
    for _ in 1..concurrency {
        guests.push(sandbox.configured(tenant, &opts.limits, config).await?.0);
    }
    // A batching destination wants whole batches per call. With a journal,
    // other destinations get one record per call: a record's outcome is
    // journaled as soon as it is known, so a kill re-sends at most the
    // records in flight (one per instance), not whole chunks.
    let chunk_size = match (summary.records_per_call, journal.is_some()) {
        (Some(n), _) => opts.chunk.max(n as usize),
        (None, true) => 1,
        (None, false) => opts.chunk,
    }
    .clamp(1, opts.limits.max_records_per_call.max(1));
    // Enough records in flight to keep every instance busy with a chunk
    // while retries wait, bounded so memory stays flat on a huge input.
    let in_flight_cap = (concurrency * chunk_size * 4).max(64);
    let sinks = Sinks::open(&opts.dead_letter, &opts.responses, journal, webhook)?;
    Ok(Started {
        flow: Arc::new(Flow::new(
            opts,
            sinks,
            in_flight_cap,
            crate::circuit::for_origin(&tenant.origin),
            sandbox.metrics().flow(&tenant.name),
            summary.response_webhook,
        )),
        guests,
        earlier,
        chunk_size,
        warnings: summary.warnings,
    })
}

/// Opens the journal, refusing it if it belongs to another config or the
/// input changed under it, before anything is sent; returns the records an
/// earlier run finished: those the journal holds, and those whose dead
/// letter is in the dead-letter file though a kill came before their
/// journal line (a dead letter is only ever written for a final outcome),
/// so a resumed run never writes a second dead letter for a record.
async fn open_journal(
    opts: &Options,
    config: &str,
) -> anyhow::Result<(Option<Journal>, HashMap<u64, journal::Entry>)> {
    let Some(spec) = &opts.journal else {
        return Ok((None, HashMap::new()));
    };
    let resuming = spec.path.exists();
    let j = Journal::open(&spec.path, config)?;
    let items = (spec.reopen)().context("reading the input again to check the journal")?;
    let mut j = tokio::task::spawn_blocking(move || j.verify(items).map(|_| j))
        .await
        .context("internal: the journal check stopped")??;
    let mut earlier = j.take_done();
    if let Some(path) = opts.dead_letter.as_ref().filter(|_| resuming) {
        for (index, code) in sinks::dead_lettered(path) {
            earlier.entry(index).or_insert(journal::Entry {
                index,
                hash: String::new(),
                done: journal::Done::DeadLettered(code),
            });
        }
    }
    Ok((Some(j), earlier))
}

fn summarise(flow: &Flow, webhook: Option<(u64, u64)>, start: Instant) -> Summary {
    let c = &flow.counts;
    Summary {
        input: c.input.load(Relaxed),
        delivered: c.delivered.load(Relaxed),
        dead_lettered: c.dead.load(Relaxed),
        not_attempted: c.not_attempted.load(Relaxed),
        requests: c.requests.load(Relaxed),
        retries: c.retries.load(Relaxed),
        resumed: c.resumed.load(Relaxed),
        rate_limited: c.rate_limited.load(Relaxed),
        rate_limited_partner: c.rate_limited_partner.load(Relaxed),
        plugin_restarts: c.restarts.load(Relaxed),
        outage_pauses: flow.outage.totals().0,
        outage_ms: flow.outage.totals().1,
        unknown_fields: sinks::lock(&c.unknown_fields).clone(),
        responses_posted: webhook.map(|w| w.0),
        responses_failed: webhook.map(|w| w.1),
        elapsed_ms: start.elapsed().as_millis() as u64,
    }
}
