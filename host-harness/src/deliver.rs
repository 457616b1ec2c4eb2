//! Drives `send` over a whole input and accounts for every record: each ends
//! delivered, dead-lettered with a reason, or reported not attempted.
//!
//! The plugin classifies each record's outcome; this loop applies the host's
//! policy to it: retry with backoff (never sooner than the remote's
//! Retry-After), dead-letter what is permanent, stop at a halt.

use crate::input::{InputItem, Items};
use crate::journal::{self, Done, Entry, Journal};
use crate::runtime::{
    Exchange, Fault, InputRecord, Instance, Limits, Outcome, RecordOutcome, Runtime, Tenant,
};
use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Semaphore, mpsc};

/// How a run behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// Instances (so requests) in flight at once for this flow.
    pub concurrency: usize,
    /// Records handed to one `send` call.
    pub chunk: usize,
    /// Attempts per record before it is dead-lettered `retries_exhausted`.
    pub max_attempts: u32,
    /// First backoff step; doubles per attempt, full jitter.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_cap: Duration,
    /// Dead-letter file (JSON Lines).
    pub dead_letter: Option<PathBuf>,
    /// Response-webhook records file (JSON Lines).
    pub responses: Option<PathBuf>,
    /// Records known in advance, for progress.
    pub total_hint: Option<u64>,
    /// Show progress on stderr.
    pub progress: bool,
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

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: 8,
            chunk: 16,
            max_attempts: 5,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(30),
            dead_letter: None,
            responses: None,
            total_hint: None,
            progress: false,
            limits: Limits::default(),
            journal: None,
            responses_url: None,
            crash_budget: 16,
            restart_backoff: Duration::from_millis(50),
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
}

message_error!(
    /// A configuration the component refused, or a flow that cannot start.
    ConfigRefused
);

/// Renders a `configure` refusal as one sentence.
pub fn config_error_text(e: &crate::runtime::ConfigError) -> String {
    use crate::runtime::ConfigError as E;
    match e {
        E::Malformed(m) => format!("the config is not a JSON object: {m}"),
        E::UnknownKey(k) => format!("config key `{k}` is not known"),
        E::Missing(p) => format!("config key `{}` is missing: {}", p.key, p.reason),
        E::Invalid(p) => format!("config key `{}` is invalid: {}", p.key, p.reason),
        E::AlreadyConfigured => "the instance was already configured".into(),
    }
}

/// Makes a configured instance, or explains why not.
pub async fn configured(
    runtime: &Runtime,
    tenant: &Tenant,
    limits: &Limits,
    config: &str,
) -> anyhow::Result<(Instance, crate::runtime::ConfigSummary)> {
    let mut inst = runtime.instantiate(tenant, limits).await?;
    match inst.configure(config).await {
        Ok(Ok(summary)) => Ok((inst, summary)),
        Ok(Err(e)) => Err(ConfigRefused(config_error_text(&e)).into()),
        Err(fault) => Err(anyhow::anyhow!(
            "the component faulted during configure: {fault}"
        )),
    }
}

struct Job {
    records: Vec<Pending>,
}

#[derive(Clone)]
struct Pending {
    index: u64,
    json: String,
    /// The journal's key for the record; empty without a journal.
    hash: String,
    attempts: u32,
}

struct Shared {
    opts: Options,
    halted: AtomicBool,
    halt: Mutex<Option<HaltInfo>>,
    delivered: AtomicU64,
    dead: AtomicU64,
    not_attempted: AtomicU64,
    retries: AtomicU64,
    requests: AtomicU64,
    dead_letter: Mutex<Option<std::io::BufWriter<std::fs::File>>>,
    responses_file: Mutex<Option<std::io::BufWriter<std::fs::File>>>,
    responses: Mutex<Vec<Value>>,
    outstanding: Semaphore,
    write_error: Mutex<Option<String>>,
    journal: Mutex<Option<Journal>>,
    webhook: Mutex<Option<crate::webhook::Webhook>>,
    restarts: AtomicU64,
    rate_limited: AtomicU64,
    rate_limited_partner: AtomicU64,
}

impl Shared {
    fn dead_letter(&self, index: u64, record: Value, code: &str, reason: &str, attempts: u32) {
        self.dead.fetch_add(1, Ordering::Relaxed);
        let line = json!({
            "index": index, "record": record, "code": code, "reason": reason, "attempts": attempts,
        });
        self.write_line(&self.dead_letter, &line);
    }

    /// Dead-letters a record that went through `send`; returns the journal
    /// entry that makes it final.
    fn dead_letter_pending(&self, p: &Pending, code: &str, reason: &str, attempts: u32) -> Entry {
        self.dead_letter(p.index, record_value(&p.json), code, reason, attempts);
        entry(p, Done::DeadLettered(code.to_string()))
    }

    fn write_line(&self, w: &Mutex<Option<std::io::BufWriter<std::fs::File>>>, v: &Value) {
        let mut g = w.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = g.as_mut()
            && let Err(e) = writeln!(w, "{v}")
        {
            *self.write_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
        }
    }

    fn publish(&self, v: Value) {
        self.write_line(&self.responses_file, &v);
        if let Some(w) = self
            .webhook
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            w.send(v.clone());
        }
        self.responses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(v);
    }
}

impl Shared {
    /// Makes a batch's final outcomes durable: the dead letters and responses
    /// written so far are synced first, then the journal lines are appended
    /// and synced. Without a journal this does nothing.
    fn commit(&self, entries: Vec<Entry>) {
        if entries.is_empty() {
            return;
        }
        let mut j = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        let Some(journal) = j.as_mut() else { return };
        let mut result = Ok(());
        for w in [&self.dead_letter, &self.responses_file] {
            if let Some(w) = w.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                result = result
                    .and_then(|_| w.flush())
                    .and_then(|_| w.get_ref().sync_data());
            }
        }
        if let Err(e) = result.and_then(|_| journal.commit(&entries)) {
            *self.write_error.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(format!("the journal: {e}"));
        }
    }
}

fn entry(p: &Pending, done: Done) -> Entry {
    Entry {
        index: p.index,
        hash: p.hash.clone(),
        done,
    }
}

/// Opens an output file: truncated, or (when resuming with a journal)
/// appended to, so earlier runs' lines stay.
fn open_out(
    p: &Option<PathBuf>,
    append: bool,
) -> anyhow::Result<Option<std::io::BufWriter<std::fs::File>>> {
    match p {
        None => Ok(None),
        Some(p) => {
            let f = if append {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
            } else {
                std::fs::File::create(p)
            };
            Ok(Some(std::io::BufWriter::new(f.with_context(|| {
                format!("cannot write {}", p.display())
            })?)))
        }
    }
}

/// Sends every record of `items` through `config` for `tenant`.
pub async fn run(
    runtime: &Runtime,
    tenant: &Tenant,
    config: &str,
    items: Items,
    opts: Options,
) -> anyhow::Result<Report> {
    let start = Instant::now();
    let concurrency = opts.concurrency.max(1);
    // Configure one instance first: a refused config stops the run before
    // any input is read.
    let (first, summary) = configured(runtime, tenant, &opts.limits, config).await?;
    // A journal: refuse it if it belongs to another config or the input
    // changed under it, before anything is sent.
    let (journal, earlier) = match &opts.journal {
        None => (None, HashMap::new()),
        Some(spec) => {
            let j = Journal::open(&spec.path, config)?;
            let items = (spec.reopen)().context("reading the input again to check the journal")?;
            let mut j = tokio::task::spawn_blocking(move || j.verify(items).map(|_| j))
                .await
                .context("internal: the journal check stopped")??;
            let earlier = j.take_done();
            (Some(j), earlier)
        }
    };
    let webhook = match &opts.responses_url {
        Some(url) => Some(crate::webhook::Webhook::start(url, &opts)?),
        None => None,
    };
    let mut instances = vec![first];
    for _ in 1..concurrency {
        instances.push(configured(runtime, tenant, &opts.limits, config).await?.0);
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
    let in_flight_cap = (concurrency * chunk_size * 4).max(64);
    let journaling = journal.is_some();
    let shared = Arc::new(Shared {
        dead_letter: Mutex::new(open_out(&opts.dead_letter, journal.is_some())?),
        responses_file: Mutex::new(open_out(&opts.responses, journal.is_some())?),
        opts: opts.clone(),
        halted: AtomicBool::new(false),
        halt: Mutex::new(None),
        delivered: AtomicU64::new(0),
        dead: AtomicU64::new(0),
        not_attempted: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        responses: Mutex::new(Vec::new()),
        outstanding: Semaphore::new(in_flight_cap),
        write_error: Mutex::new(None),
        journal: Mutex::new(journal),
        webhook: Mutex::new(webhook),
        restarts: AtomicU64::new(0),
        rate_limited: AtomicU64::new(0),
        rate_limited_partner: AtomicU64::new(0),
    });
    let mut resumed = 0u64;

    let (job_tx, job_rx) = mpsc::unbounded_channel::<Option<Job>>();
    let job_rx = Arc::new(tokio::sync::Mutex::new(job_rx));
    let mut workers = tokio::task::JoinSet::new();
    for inst in instances {
        let shared = shared.clone();
        let rx = job_rx.clone();
        let tx = job_tx.clone();
        let runtime = runtime.clone();
        let tenant = tenant.clone();
        let config = config.to_string();
        workers.spawn(async move {
            worker(inst, &runtime, &tenant, &config, shared, rx, tx).await;
        });
    }

    // The reader: a blocking thread feeding records through a bounded channel.
    let (item_tx, mut item_rx) = mpsc::channel::<InputItem>(1024);
    let reader = std::thread::spawn(move || {
        for item in items {
            if item_tx.blocking_send(item).is_err() {
                break;
            }
        }
    });

    let mut input = 0u64;
    let mut chunk: Vec<Pending> = Vec::new();
    let progress = Progress::new(opts.progress, opts.total_hint);
    loop {
        let item = tokio::select! {
            item = item_rx.recv() => item,
            _ = tokio::time::sleep(Duration::from_millis(20)), if !chunk.is_empty() => {
                // Input is slow: don't hold a partial chunk back.
                flush(&shared, &job_tx, &mut chunk).await;
                continue;
            }
        };
        let Some(item) = item else { break };
        input += 1;
        progress.tick(&shared, input);
        if let Some(e) = earlier.get(&item.index()) {
            // An earlier run finished this record: count it, send nothing.
            resumed += 1;
            match e.done {
                Done::Delivered => shared.delivered.fetch_add(1, Ordering::Relaxed),
                Done::DeadLettered(_) => shared.dead.fetch_add(1, Ordering::Relaxed),
            };
            continue;
        }
        // Only a journal needs the record's hash: skip it on the hot path.
        let hash = if journaling {
            journal::record_hash(&journal::item_text(&item))
        } else {
            String::new()
        };
        match item {
            InputItem::Bad {
                index,
                record,
                code,
                reason,
            } => {
                shared.dead_letter(index, record, code, &reason, 0);
                shared.commit(vec![Entry {
                    index,
                    hash,
                    done: Done::DeadLettered(code.to_string()),
                }]);
            }
            InputItem::Record { index, json } => {
                if shared.halted.load(Ordering::Relaxed) {
                    shared.not_attempted.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                chunk.push(Pending {
                    index,
                    json,
                    hash,
                    attempts: 0,
                });
                if chunk.len() >= chunk_size {
                    flush(&shared, &job_tx, &mut chunk).await;
                }
            }
        }
    }
    flush(&shared, &job_tx, &mut chunk).await;
    let _ = reader.join();
    // Wait until every record handed out has come back.
    let _all = shared
        .outstanding
        .acquire_many(in_flight_cap as u32)
        .await
        .context("internal: the delivery queue closed early")?;
    for _ in 0..concurrency {
        let _ = job_tx.send(None);
    }
    while workers.join_next().await.is_some() {}
    progress.finish(&shared, input);
    let webhook = shared
        .webhook
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let (responses_posted, responses_failed) = match webhook {
        Some(w) => {
            let st = w.finish().await;
            (
                Some(st.posted.load(Ordering::Relaxed)),
                Some(st.failed.load(Ordering::Relaxed)),
            )
        }
        None => (None, None),
    };

    for w in [&shared.dead_letter, &shared.responses_file] {
        if let Some(w) = w.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            w.flush().context("flushing an output file")?;
            w.get_ref().sync_all().context("syncing an output file")?;
        }
    }
    if let Some(e) = shared
        .write_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        anyhow::bail!("writing an output file failed: {e}");
    }
    let summary_out = Summary {
        input,
        delivered: shared.delivered.load(Ordering::Relaxed),
        dead_lettered: shared.dead.load(Ordering::Relaxed),
        not_attempted: shared.not_attempted.load(Ordering::Relaxed),
        requests: shared.requests.load(Ordering::Relaxed),
        retries: shared.retries.load(Ordering::Relaxed),
        resumed,
        rate_limited: shared.rate_limited.load(Ordering::Relaxed),
        rate_limited_partner: shared.rate_limited_partner.load(Ordering::Relaxed),
        plugin_restarts: shared.restarts.load(Ordering::Relaxed),
        responses_posted,
        responses_failed,
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    let responses =
        std::mem::take(&mut *shared.responses.lock().unwrap_or_else(|e| e.into_inner()));
    let halt = shared
        .halt
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Ok(Report {
        summary: summary_out,
        halt,
        responses,
        warnings: summary.warnings,
    })
}

async fn flush(
    shared: &Arc<Shared>,
    tx: &mpsc::UnboundedSender<Option<Job>>,
    chunk: &mut Vec<Pending>,
) {
    if chunk.is_empty() {
        return;
    }
    let records = std::mem::take(chunk);
    if let Ok(permit) = shared.outstanding.acquire_many(records.len() as u32).await {
        permit.forget();
    }
    let _ = tx.send(Some(Job { records }));
}

fn release(shared: &Shared, n: usize) {
    shared.outstanding.add_permits(n);
}

async fn worker(
    mut inst: Instance,
    runtime: &Runtime,
    tenant: &Tenant,
    config: &str,
    shared: Arc<Shared>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Option<Job>>>>,
    tx: mpsc::UnboundedSender<Option<Job>>,
) {
    loop {
        let job = { rx.lock().await.recv().await };
        let Some(Some(job)) = job else { return };
        let n = job.records.len();
        if shared.halted.load(Ordering::Relaxed) {
            shared.not_attempted.fetch_add(n as u64, Ordering::Relaxed);
            release(&shared, n);
            continue;
        }
        match call_send(&mut inst, &shared, &job.records).await {
            Ok(outcomes) => {
                handle_outcomes(&mut inst, &shared, &tx, job.records, outcomes).await;
            }
            Err(fault) => {
                eprintln!("plugin fault in tenant {}: {fault}", tenant.name);
                // Contain the fault: a fresh instance, then each record alone,
                // once; a record that kills it again is dead-lettered.
                inst = match restart(runtime, tenant, config, &shared, &fault).await {
                    Ok(fresh) => fresh,
                    Err(why) => {
                        give_up(&shared, job.records, &why);
                        continue;
                    }
                };
                let mut records = job.records.into_iter();
                while let Some(p) = records.next() {
                    match call_send(&mut inst, &shared, std::slice::from_ref(&p)).await {
                        Ok(outcomes) => {
                            handle_outcomes(&mut inst, &shared, &tx, vec![p], outcomes).await
                        }
                        Err(f2) => {
                            eprintln!(
                                "plugin fault in tenant {} on record {} alone: {f2}",
                                tenant.name, p.index
                            );
                            let e = shared.dead_letter_pending(
                                &p,
                                "plugin_fault",
                                &f2.to_string(),
                                p.attempts + 1,
                            );
                            shared.commit(vec![e]);
                            release(&shared, 1);
                            inst = match restart(runtime, tenant, config, &shared, &f2).await {
                                Ok(fresh) => fresh,
                                Err(why) => {
                                    give_up(&shared, records.collect(), &why);
                                    break;
                                }
                            };
                        }
                    }
                }
            }
        }
    }
}

/// Replaces a trapped instance, after a pause that doubles with each restart
/// in the flow, within the flow's crash budget. When the budget is spent the
/// flow halts (code `crash_budget_exhausted`).
async fn restart(
    runtime: &Runtime,
    tenant: &Tenant,
    config: &str,
    shared: &Shared,
    fault: &Fault,
) -> Result<Instance, String> {
    let n = shared.restarts.fetch_add(1, Ordering::Relaxed) + 1;
    if n > u64::from(shared.opts.crash_budget) {
        // Not restarted after all.
        shared.restarts.fetch_sub(1, Ordering::Relaxed);
        let why = format!(
            "the component faulted {n} times in this flow, over its crash budget of {} restarts; last fault: {fault}",
            shared.opts.crash_budget
        );
        halt(shared, "crash_budget_exhausted", &why, None);
        return Err(why);
    }
    let pause = shared
        .opts
        .restart_backoff
        .saturating_mul(1u32 << (n - 1).min(16) as u32)
        .min(Duration::from_secs(5));
    tokio::time::sleep(pause).await;
    match configured(runtime, tenant, &shared.opts.limits, config).await {
        Ok((fresh, _)) => Ok(fresh),
        Err(e) => {
            let why = format!("{fault}; re-instantiating the component failed: {e:#}");
            halt(shared, "plugin_unavailable", &why, None);
            Err(why)
        }
    }
}

/// Records a flow could not try because the component is unusable: they are
/// fine, so they are not attempted rather than dead-lettered.
fn give_up(shared: &Shared, records: Vec<Pending>, why: &str) {
    let n = records.len();
    if n > 0 {
        eprintln!("{n} record(s) not attempted: {why}");
    }
    shared.not_attempted.fetch_add(n as u64, Ordering::Relaxed);
    release(shared, n);
}

/// Stops the flow: nothing new is sent; the first halt's reason is kept.
fn halt(shared: &Shared, code: &str, message: &str, permission: Option<String>) {
    if !shared.halted.swap(true, Ordering::Relaxed) {
        *shared.halt.lock().unwrap_or_else(|e| e.into_inner()) = Some(HaltInfo {
            code: code.to_string(),
            message: message.to_string(),
            permission,
        });
    }
}

/// One `send` call; the requests it made are added to the run's count.
async fn call_send(
    inst: &mut Instance,
    shared: &Shared,
    records: &[Pending],
) -> Result<Vec<RecordOutcome>, Fault> {
    let input: Vec<InputRecord> = records
        .iter()
        .map(|p| InputRecord {
            index: p.index,
            json: p.json.clone(),
        })
        .collect();
    let before = inst.stats().requests.load(Ordering::Relaxed);
    let result = inst.send(input).await;
    let after = inst.stats().requests.load(Ordering::Relaxed);
    shared.requests.fetch_add(after - before, Ordering::Relaxed);
    match result? {
        Ok(outcomes) => Ok(outcomes),
        Err(e) => Err(Fault(format!("send refused the call: {e:?}"))),
    }
}

fn record_value(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|_| Value::String(json.to_string()))
}

async fn handle_outcomes(
    inst: &mut Instance,
    shared: &Arc<Shared>,
    tx: &mpsc::UnboundedSender<Option<Job>>,
    records: Vec<Pending>,
    outcomes: Vec<RecordOutcome>,
) {
    let mut by_index: HashMap<u64, Outcome> =
        outcomes.into_iter().map(|o| (o.index, o.outcome)).collect();
    let mut published: Vec<Exchange> = Vec::new();
    let mut retry_later: Vec<Pending> = Vec::new();
    let mut retry_after: Option<Duration> = None;
    let mut done = 0usize;
    let mut finished: Vec<Entry> = Vec::new();
    let mut limited: Vec<Vec<u64>> = Vec::new();
    for mut p in records {
        p.attempts += 1;
        let Some(outcome) = by_index.remove(&p.index) else {
            finished.push(shared.dead_letter_pending(
                &p,
                "plugin_error",
                "the plugin returned no outcome for this record",
                p.attempts,
            ));
            done += 1;
            continue;
        };
        match outcome {
            Outcome::Delivered(d) => {
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                note_exchange(&mut published, Some(d.exchange));
                finished.push(entry(&p, Done::Delivered));
                done += 1;
            }
            Outcome::Rejected(r) => {
                finished.push(shared.dead_letter_pending(&p, &r.code, &r.message, p.attempts));
                note_exchange(&mut published, r.exchange);
                done += 1;
            }
            Outcome::Halt(h) => {
                halt(shared, &h.code, &h.message, h.permission.clone());
                inst.halt_http();
                shared.not_attempted.fetch_add(1, Ordering::Relaxed);
                done += 1;
            }
            Outcome::Retry(r) => {
                // One 429 answer may cover several records (a batch): count
                // answers, not records.
                if r.code.starts_with("rate_limited")
                    && let Some(ex) = &r.exchange
                    && !limited.contains(&ex.request.records)
                {
                    limited.push(ex.request.records.clone());
                    shared.rate_limited.fetch_add(1, Ordering::Relaxed);
                    if r.code == "rate_limited_integration_partner" {
                        shared.rate_limited_partner.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if p.attempts > 0 && r.exchange.is_some() {
                    note_exchange(&mut published, r.exchange.clone());
                }
                if shared.halted.load(Ordering::Relaxed) {
                    shared.not_attempted.fetch_add(1, Ordering::Relaxed);
                    done += 1;
                } else if p.attempts >= shared.opts.max_attempts {
                    finished.push(shared.dead_letter_pending(
                        &p,
                        "retries_exhausted",
                        &format!(
                            "gave up after {} attempts; last error {}: {}",
                            p.attempts, r.code, r.message
                        ),
                        p.attempts,
                    ));
                    done += 1;
                } else {
                    if let Some(ra) = r.retry_after.as_deref().and_then(parse_retry_after) {
                        retry_after = Some(retry_after.map_or(ra, |x| x.max(ra)));
                    }
                    retry_later.push(p);
                }
            }
        }
    }
    for ex in published {
        match inst.on_response(ex).await {
            Ok(Ok(Some(text))) => shared.publish(record_value(&text)),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => eprintln!("on-response refused an exchange: {e:?}"),
            Err(f) => eprintln!("on-response faulted: {f}"),
        }
    }
    shared.commit(finished);
    release(shared, done);
    if !retry_later.is_empty() {
        let attempts = retry_later.iter().map(|p| p.attempts).max().unwrap_or(1);
        let delay = backoff(&shared.opts, attempts, retry_after);
        shared
            .retries
            .fetch_add(retry_later.len() as u64, Ordering::Relaxed);
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(Some(Job {
                records: retry_later,
            }));
        });
    }
}

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

/// Exponential backoff with full jitter, never sooner than `floor`.
pub fn backoff(opts: &Options, attempt: u32, floor: Option<Duration>) -> Duration {
    let exp = opts
        .backoff_base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(opts.backoff_cap);
    let jitter = exp.mul_f64(random_unit());
    match floor {
        Some(f) => jitter.max(f),
        None => jitter,
    }
}

fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let when = httpdate_parse(v)?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(3600)),
    )
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate_parse(v: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    let day: u64 = parts[1].parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[2])? as u64
        + 1;
    let year: i64 = parts[3].parse().ok()?;
    let hms: Vec<u64> = parts[4].split(':').filter_map(|x| x.parse().ok()).collect();
    if hms.len() != 3 || !(1..=31).contains(&day) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    if days < 0 {
        return None;
    }
    let secs = days as u64 * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

struct Progress {
    on: bool,
    total: Option<u64>,
    start: Instant,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(on: bool, total: Option<u64>) -> Progress {
        Progress {
            on,
            total,
            start: Instant::now(),
            last: Mutex::new(Instant::now()),
        }
    }
    fn line(&self, shared: &Shared, read: u64) -> String {
        let done = shared.delivered.load(Ordering::Relaxed)
            + shared.dead.load(Ordering::Relaxed)
            + shared.not_attempted.load(Ordering::Relaxed);
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let total = self.total.unwrap_or(read);
        let eta = if rate > 0.0 && total > done {
            format!("{:.0}s", (total - done) as f64 / rate)
        } else {
            "-".into()
        };
        format!("\r{done}/{total} records, {rate:.0}/s, ETA {eta}   ")
    }
    fn tick(&self, shared: &Shared, read: u64) {
        if !self.on {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= Duration::from_millis(500) {
            *last = Instant::now();
            eprint!("{}", self.line(shared, read));
        }
    }
    fn finish(&self, shared: &Shared, read: u64) {
        if self.on && self.start.elapsed() >= Duration::from_millis(500) {
            eprintln!("{}", self.line(shared, read));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        let future = httpdate_parse("Fri, 01 Jan 2100 00:00:00 GMT").unwrap();
        assert!(future > SystemTime::now());
        assert_eq!(
            httpdate_parse("Thu, 01 Jan 1970 00:00:10 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(10))
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_bounds() {
        let o = Options::default();
        for attempt in 1..10 {
            let d = backoff(&o, attempt, None);
            assert!(d <= o.backoff_cap);
        }
        assert!(backoff(&o, 1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }
}
