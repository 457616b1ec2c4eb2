//! `host-harness bench`: the performance targets of the sandbox, measured
//! with the real component in the real wasmtime, printed as one table.
//!
//! Scenarios (each runnable alone with `--only NAME`):
//! - `native`: per-record cost through the component vs the plugin's core
//!   compiled natively, both answering every request with the same canned
//!   Ashby success in process (no socket).
//! - `instantiate`: a new configured instance from the `InstancePre`, pooled
//!   and on demand.
//! - `startup`: process start to the first request, warm disk cache.
//! - `tenants`: 1,000 configured instances resident; throughput at 1, 10 and
//!   100 tenants against a mock with 50 ms latency.
//! - `e2e`: the `send` CLI vs a plain native client (`native_client`) and a
//!   plain Python `http.client` client on the same standalone mock, and
//!   `send`'s peak RSS.
//!
//! Numbers are medians or totals from one run; they are not assertions.

pub mod native_client;

use anyhow::Context as _;
use destination_host::deliver::{self, Options};
use destination_host::engine::{Allocation, SandboxOptions};
use destination_host::http_import::{InProcess, Origin, check_path, is_reserved_header};
use destination_host::input::InputItem;
use destination_host::sandbox::http::{Header, Response};
use destination_host::sandbox::{Guest, InputRecord, Limits, Sandbox, Tenant};
use destination_host::secret::ApiKey;
use mock_ashby::{MockAshby, MockConfig};
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The scenarios, in the order they run.
pub const SCENARIOS: [&str; 5] = ["native", "instantiate", "startup", "tenants", "e2e"];

/// The destination config every scenario uses (examples/create-candidate.json).
pub const CONFIG: &str =
    r#"{"template":"create-candidate","exclude":["internal_id"],"rename":{"phone":"phoneNumber"}}"#;

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Scenarios to run (empty = all).
    pub only: Vec<String>,
    /// Tiny sizes: proves the command works, measures nothing useful.
    pub quick: bool,
    /// The `host-harness` binary for the process-level scenarios.
    pub exe: PathBuf,
    /// The plugin component to measure.
    pub plugin_wasm: PathBuf,
    /// The Python client script for `e2e`.
    pub python_client: PathBuf,
    /// Working directory for inputs and the cache; a temporary one if `None`.
    pub work_dir: Option<PathBuf>,
}

/// How a measurement compares with its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Met.
    Pass,
    /// Missed.
    Miss,
    /// For information; no target.
    Info,
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Row {
    /// Target number (1-4) and what is measured.
    pub what: String,
    /// The measured value with its unit.
    pub measured: String,
    /// The target.
    pub target: String,
    /// Pass, miss or information.
    pub verdict: Verdict,
}

fn row(what: &str, measured: String, target: &str, verdict: Verdict) -> Row {
    Row {
        what: what.into(),
        measured,
        target: target.into(),
        verdict,
    }
}

fn check(ok: bool) -> Verdict {
    if ok { Verdict::Pass } else { Verdict::Miss }
}

/// Renders rows as a Markdown table (readable as plain text too).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from("| target | measured | goal | result |\n|---|---|---|---|\n");
    for r in rows {
        let v = match r.verdict {
            Verdict::Pass => "met",
            Verdict::Miss => "MISSED",
            Verdict::Info => "-",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.what, r.measured, r.target, v
        ));
    }
    out
}

/// Runs the chosen scenarios, printing each row as it is measured, and
/// returns all rows.
pub async fn run(opts: &BenchOptions) -> anyhow::Result<Vec<Row>> {
    for o in &opts.only {
        if !SCENARIOS.contains(&o.as_str()) {
            anyhow::bail!("unknown scenario `{o}`; one of {}", SCENARIOS.join(", "));
        }
    }
    let own_tmp = opts.work_dir.is_none();
    let work = opts.work_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ashby-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let rows = run_in(opts, &work).await;
    if own_tmp {
        let _ = std::fs::remove_dir_all(&work);
    }
    rows
}

async fn run_in(opts: &BenchOptions, work: &Path) -> anyhow::Result<Vec<Row>> {
    let work = work.to_path_buf();
    let wants = |s: &str| opts.only.is_empty() || opts.only.iter().any(|o| o == s);
    let mut rows = Vec::new();
    let mut emit = |new: Vec<Row>| {
        for r in &new {
            eprintln!("  {} = {} (goal {})", r.what, r.measured, r.target);
        }
        rows.extend(new);
    };
    if wants("native") {
        eprintln!("bench: native vs component ...");
        emit(native(&opts.plugin_wasm, opts.quick).await?);
    }
    if wants("instantiate") {
        eprintln!("bench: instantiation ...");
        emit(instantiate(&opts.plugin_wasm, opts.quick).await?);
    }
    if wants("startup") {
        eprintln!("bench: process start to first request ...");
        emit(startup(opts, &work).await?);
    }
    if wants("tenants") {
        eprintln!("bench: many tenants ...");
        emit(tenants(&opts.plugin_wasm, opts.quick).await?);
    }
    if wants("e2e") {
        eprintln!("bench: send vs Python http.client ...");
        emit(e2e(opts, &work).await?);
    }
    Ok(rows)
}

/// Record `i` of the benchmark input: a create-candidate record of the
/// shape the examples use.
pub fn record(i: u64) -> String {
    format!(
        r#"{{"name":"Candidate {i}","email":"candidate{i}@example.com","phone":"+44 20 7946 {:04}","linkedInUrl":"https://www.linkedin.com/in/candidate-{i}","internal_id":"crm-{i}"}}"#,
        i % 10_000
    )
}

/// Record `i` as `send` posts it to `/candidate.create` (`internal_id`
/// dropped, `phone` renamed), the input of the native baseline.
pub fn shaped(i: u64) -> String {
    format!(
        r#"{{"name":"Candidate {i}","email":"candidate{i}@example.com","phoneNumber":"+44 20 7946 {:04}","linkedInUrl":"https://www.linkedin.com/in/candidate-{i}"}}"#,
        i % 10_000
    )
}

fn records(n: u64) -> Vec<InputRecord> {
    (0..n)
        .map(|i| InputRecord {
            index: i,
            json: record(i),
            maybe_applied: false,
        })
        .collect()
}

const CANNED_BODY: &str = r#"{"success":true,"results":{"id":"5b591d41-9c5e-4f1b-8c35-1d8bd0d3f6e4","name":"Candidate","primaryEmailAddress":{"value":"candidate@example.com","type":"Personal","isPrimary":true},"emailAddresses":[],"phoneNumbers":[],"socialLinks":[],"tags":[],"applicationIds":[],"createdAt":"2026-11-26T00:00:00.000Z"}}"#;

/// The canned answer both sides of the native comparison return.
pub fn canned() -> InProcess {
    InProcess(Response {
        status: 200,
        headers: vec![
            Header {
                name: "content-type".into(),
                value: "application/json; charset=utf-8".into(),
            },
            Header {
                name: "x-ashby-request-id".into(),
                value: "bench-0001".into(),
            },
        ],
        body: CANNED_BODY.as_bytes().to_vec(),
    })
}

/// The native side: the same policy checks the host makes, the same answer.
struct NativeCanned(plugin::types::HttpResponse);

impl plugin::types::Transport for NativeCanned {
    fn send(
        &mut self,
        req: plugin::types::HttpRequest,
    ) -> Result<plugin::types::HttpResponse, plugin::types::HttpError> {
        check_path(&req.path).map_err(plugin::types::HttpError::InvalidRequest)?;
        if req.headers.iter().any(|(n, _)| is_reserved_header(n)) {
            return Err(plugin::types::HttpError::Denied("reserved header".into()));
        }
        Ok(self.0.clone())
    }
}

fn offline_tenant(name: &str) -> anyhow::Result<Tenant> {
    Ok(Tenant {
        name: name.into(),
        origin: Origin::ashby(),
        key: ApiKey::new(format!("bench-key-{name}"))?,
    })
}

fn unpaced() -> Limits {
    Limits {
        rate: None,
        ..Limits::default()
    }
}

async fn configured(runtime: &Sandbox, tenant: &Tenant) -> anyhow::Result<Guest> {
    Ok(runtime.configured(tenant, &unpaced(), CONFIG).await?.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `iters` runs of `f` (after one warm-up) and returns the median in
/// seconds.
async fn timed<F>(iters: usize, mut f: F) -> anyhow::Result<f64>
where
    F: AsyncFnMut() -> anyhow::Result<()>,
{
    f().await?;
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed().as_secs_f64());
    }
    Ok(median(times))
}

/// Times `a` and `b` alike: after one warm-up each, `iters` rounds that
/// run both, in alternating order, so that a slow spell of a shared
/// machine falls on both sides; the medians of each.
async fn timed_pair<A, B>(iters: usize, mut a: A, mut b: B) -> anyhow::Result<(f64, f64)>
where
    A: AsyncFnMut() -> anyhow::Result<()>,
    B: AsyncFnMut() -> anyhow::Result<()>,
{
    a().await?;
    b().await?;
    let (mut ta, mut tb) = (Vec::with_capacity(iters), Vec::with_capacity(iters));
    for i in 0..iters {
        for first in [i % 2 == 0, i % 2 != 0] {
            let t = Instant::now();
            if first {
                a().await?;
                ta.push(t.elapsed().as_secs_f64());
            } else {
                b().await?;
                tb.push(t.elapsed().as_secs_f64());
            }
        }
    }
    Ok((median(ta), median(tb)))
}

/// Target 1: per-record cost, component vs native.
async fn native(plugin: &Path, quick: bool) -> anyhow::Result<Vec<Row>> {
    let (batch, iters) = if quick { (50, 3) } else { (1_000, 40) };
    let recs = records(batch);
    let runtime = Sandbox::with_options(&std::fs::read(plugin)?, &SandboxOptions::from_env())?
        .echo_guest_output(false);
    let tenant = offline_tenant("native")?;
    let mut inst = configured(&runtime, &tenant).await?;
    inst.set_in_process_transport(canned());

    let (dest, _) = plugin::Destination::configure(CONFIG)
        .map_err(|e| anyhow::anyhow!("native configure: {e:?}"))?;
    let answer = canned().0;
    let mut transport = NativeCanned(plugin::types::HttpResponse {
        status: answer.status,
        headers: answer
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
        body: answer.body.clone(),
    });
    let core_recs: Vec<plugin::types::InputRecord> = recs
        .iter()
        .map(|r| plugin::types::InputRecord {
            index: r.index,
            json: r.json.clone(),
            maybe_applied: false,
        })
        .collect();

    let (wasm_sample, native_sample) = timed_pair(
        iters,
        async || {
            let s = inst
                .sample(recs.clone())
                .await
                .map_err(|f| anyhow::anyhow!("{f}"))?
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            anyhow::ensure!(s.requests.len() == recs.len(), "sample planned too few");
            Ok(())
        },
        async || {
            let s = std::hint::black_box(dest.sample(std::hint::black_box(&core_recs)));
            anyhow::ensure!(s.requests.len() == core_recs.len());
            Ok(())
        },
    )
    .await?;
    let (wasm_send, native_send) = timed_pair(
        iters,
        async || {
            let out = inst
                .send(recs.clone())
                .await
                .map_err(|f| anyhow::anyhow!("{f}"))?
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            anyhow::ensure!(
                out.iter()
                    .all(|o| matches!(o.outcome, destination_host::sandbox::Outcome::Delivered(_))),
                "not every record was delivered"
            );
            Ok(())
        },
        async || {
            let out =
                std::hint::black_box(dest.send(&mut transport, std::hint::black_box(&core_recs)));
            anyhow::ensure!(out.len() == core_recs.len());
            Ok(())
        },
    )
    .await?;
    // What an on-response call costs with the webhook off (this config has
    // it off): the delivery loop makes none then (the configure summary
    // says so), but a host that ignores the summary pays this per exchange.
    let exchanges: Vec<destination_host::sandbox::Exchange> = inst
        .send(recs.clone())
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .into_iter()
        .filter_map(|o| match o.outcome {
            destination_host::sandbox::Outcome::Delivered(d) => Some(d.exchange),
            _ => None,
        })
        .collect();
    let on_response = timed(iters, async || {
        for ex in &exchanges {
            let r = inst
                .on_response(ex.clone())
                .await
                .map_err(|f| anyhow::anyhow!("{f}"))?;
            anyhow::ensure!(matches!(r, Ok(None)), "the webhook is off");
        }
        Ok(())
    })
    .await?;
    let per = |t: f64| t / batch as f64;
    let us = |t: f64| format!("{:.2} µs/record", per(t) * 1e6);
    let rate = |t: f64| batch as f64 / t;
    Ok(vec![
        row(
            "1. sample-payload, component / native",
            format!(
                "{:.2}x ({} vs {})",
                wasm_sample / native_sample,
                us(wasm_sample),
                us(native_sample)
            ),
            "≤ 1.2x",
            check(wasm_sample / native_sample <= 1.2),
        ),
        row(
            "1. send (canned in-process transport), component / native",
            format!(
                "{:.2}x ({} vs {})",
                wasm_send / native_send,
                us(wasm_send),
                us(native_send)
            ),
            "≤ 1.2x",
            check(wasm_send / native_send <= 1.2),
        ),
        row(
            "1. on-response per exchange through the component, webhook off",
            format!("{:.2} µs/call", per(on_response) * 1e6),
            "(information)",
            Verdict::Info,
        ),
        row(
            "1. sample-payload through the component, one core",
            format!("{:.0} records/s", rate(wasm_sample)),
            "≥ 100,000 records/s",
            check(rate(wasm_sample) >= 100_000.0),
        ),
        row(
            "1. send through the component, one core",
            format!("{:.0} records/s", rate(wasm_send)),
            "≥ 50,000 records/s",
            check(rate(wasm_send) >= 50_000.0),
        ),
    ])
}

/// Target 2a: a new configured instance from the `InstancePre`.
async fn instantiate(plugin: &Path, quick: bool) -> anyhow::Result<Vec<Row>> {
    let n = if quick { 20 } else { 2_000 };
    let bytes = std::fs::read(plugin)?;
    let mut rows = Vec::new();
    for pooled in [true, false] {
        let env = SandboxOptions::from_env();
        let opts = SandboxOptions {
            pool_instances: if pooled {
                Some(destination_host::engine::DEFAULT_POOL_INSTANCES)
            } else {
                None
            },
            ..env
        };
        let runtime = Sandbox::with_options(&bytes, &opts)?.echo_guest_output(false);
        let alloc = runtime.load_info().allocation.clone();
        let tenant = offline_tenant("instantiate")?;
        let limits = unpaced();
        // Warm up: first use of each slot.
        for _ in 0..10 {
            drop(configured(&runtime, &tenant).await?);
        }
        let mut inst_only = Vec::with_capacity(n);
        let mut with_config = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let mut inst = runtime.instantiate(&tenant, &limits).await?;
            let t1 = t.elapsed();
            match inst.configure(CONFIG).await {
                Ok(Ok(_)) => {}
                other => anyhow::bail!("configure failed: {other:?}"),
            }
            let t2 = t.elapsed();
            drop(inst);
            inst_only.push(t1.as_secs_f64());
            with_config.push(t2.as_secs_f64());
        }
        let label = match alloc {
            Allocation::Pooling(_) => "pooling",
            Allocation::OnDemand => "on-demand",
            Allocation::Fallback(_) => "on-demand (fallback)",
        };
        let m = median(with_config) * 1e6;
        rows.push(row(
            &format!("2. new configured instance, median ({label})"),
            format!(
                "{m:.1} µs (instantiate alone {:.1} µs)",
                median(inst_only) * 1e6
            ),
            if pooled { "≤ 50 µs" } else { "(comparison)" },
            if pooled {
                check(m <= 50.0)
            } else {
                Verdict::Info
            },
        ));
    }
    Ok(rows)
}

/// Target 2b: process start to the first request, warm cache.
async fn startup(opts: &BenchOptions, work: &Path) -> anyhow::Result<Vec<Row>> {
    let runs = if opts.quick { 1 } else { 9 };
    let cache = work.join("startup-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let input = work.join("one.jsonl");
    std::fs::write(&input, format!("{}\n", record(0)))?;
    let config = work.join("config.json");
    std::fs::write(&config, CONFIG)?;
    let mock = MockAshby::start(MockConfig::default())?;
    let first_request = |label: &str| -> anyhow::Result<f64> {
        mock.clear_requests();
        let t = Instant::now();
        let mut child = send_command(
            &opts.exe,
            &mock.base_url(),
            mock.api_key(),
            &config,
            &input,
            &cache,
        )
        .spawn()
        .with_context(|| format!("running {}", opts.exe.display()))?;
        let seen = loop {
            if !mock.requests().is_empty() {
                break t.elapsed();
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("{label}: send exited ({status}) before any request");
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        child.wait()?;
        Ok(seen.as_secs_f64())
    };
    let cold = first_request("cold")?;
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(first_request("warm")?);
    }
    let w = median(warm) * 1e3;
    Ok(vec![
        row(
            "2. CLI start to first request, warm cache (median)",
            format!("{w:.1} ms"),
            "≤ 20 ms",
            check(w <= 20.0),
        ),
        row(
            "2. CLI start to first request, cold cache (compiles)",
            format!("{:.1} ms", cold * 1e3),
            "(comparison)",
            Verdict::Info,
        ),
    ])
}

/// `VmRSS` and `VmHWM` of a process, in bytes.
pub fn rss_of(pid: &str) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

const MIB: f64 = 1024.0 * 1024.0;

/// Target 3.
async fn tenants(plugin: &Path, quick: bool) -> anyhow::Result<Vec<Row>> {
    let resident = if quick { 20 } else { 1_000 };
    let bytes = std::fs::read(plugin)?;
    let runtime =
        Sandbox::with_options(&bytes, &SandboxOptions::from_env())?.echo_guest_output(false);
    let before = rss_of("self").map_or(0, |r| r.0);
    let mut held = Vec::with_capacity(resident);
    let t = Instant::now();
    for i in 0..resident {
        let tenant = offline_tenant(&format!("t{i}"))?;
        held.push(configured(&runtime, &tenant).await?);
    }
    let made = t.elapsed();
    let after = rss_of("self").map_or(0, |r| r.0);
    drop(held);
    let mut rows = vec![row(
        &format!("3. {resident} configured instances resident: process RSS"),
        format!(
            "{:.0} MiB ({:.0} MiB before; {:.0} KiB per instance; made in {:.0} ms)",
            after as f64 / MIB,
            before as f64 / MIB,
            (after.saturating_sub(before)) as f64 / 1024.0 / resident as f64,
            made.as_secs_f64() * 1e3
        ),
        "≤ 500 MiB",
        check(after as f64 / MIB <= 500.0),
    )];

    // Throughput against a mock with 50 ms latency, one instance per tenant.
    let levels: &[usize] = if quick { &[1, 2] } else { &[1, 10, 100] };
    let per_tenant: u64 = if quick { 3 } else { 40 };
    let max = *levels.last().unwrap_or(&1);
    let keys: Vec<String> = (0..max)
        .map(|i| format!("bench-tenant-key-{i:04}"))
        .collect();
    let mock = MockAshby::start(MockConfig {
        api_keys: keys.clone(),
        latency: Duration::from_millis(50),
        ..MockConfig::default()
    })?;
    let origin = Origin::parse(&mock.base_url())?;
    let mut results = Vec::new();
    for &n in levels {
        let t = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for (i, key) in keys.iter().enumerate().take(n) {
            let runtime = runtime.clone();
            let tenant = Tenant {
                name: format!("tenant-{i}"),
                origin: origin.clone(),
                key: ApiKey::new(key)?,
            };
            let items: destination_host::input::Items =
                Box::new((0..per_tenant).map(move |j| InputItem::Record {
                    index: j,
                    json: record(i as u64 * 1_000_000 + j),
                }));
            set.spawn(async move {
                let opts = Options {
                    concurrency: 1,
                    limits: unpaced(),
                    ..Options::default()
                };
                deliver::run(&runtime, &tenant, CONFIG, items, opts).await
            });
        }
        let mut delivered = 0;
        while let Some(r) = set.join_next().await {
            delivered += r??.summary.delivered;
        }
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            delivered == n as u64 * per_tenant,
            "{n} tenants: only {delivered} delivered"
        );
        results.push((n, delivered as f64 / secs));
    }
    let base = results.first().map_or(1.0, |r| r.1);
    for (n, rate) in &results {
        let eff = rate / (base * *n as f64);
        rows.push(row(
            &format!("3. {n} tenant(s) sending at once, mock latency 50 ms"),
            format!(
                "{rate:.0} records/s ({:.0}% of {n}x one tenant)",
                eff * 100.0
            ),
            if *n == 1 {
                "(baseline)"
            } else {
                "near-linear (≥ 80% of n x one tenant)"
            },
            if *n == 1 {
                Verdict::Info
            } else {
                check(eff >= 0.8)
            },
        ));
    }
    Ok(rows)
}

/// A child process watched until it exits: its peak RSS (`VmHWM`), sampled
/// from /proc every 2 ms, and its total CPU time (user + system, all its
/// threads), read from /proc once it has exited and before it is reaped.
struct Watched {
    status: std::process::ExitStatus,
    hwm: u64,
    cpu_secs: f64,
    child: std::process::Child,
}

/// User + system CPU seconds of a process (Linux's USER_HZ is 100).
fn cpu_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Whether `pid` has exited, leaving it unreaped (a zombie keeps its totals).
fn exited(pid: u32) -> anyhow::Result<bool> {
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let pid = Pid::from_raw(pid as i32).context("pid 0")?;
    let opts = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
    Ok(waitid(WaitId::Pid(pid), opts).context("waitid")?.is_some())
}

fn watch(mut child: std::process::Child) -> anyhow::Result<Watched> {
    let pid = child.id().to_string();
    let mut hwm = 0u64;
    loop {
        if let Some((_, h)) = rss_of(&pid) {
            hwm = hwm.max(h);
        }
        if exited(child.id())? {
            let cpu_secs = cpu_of(&pid).context("reading the exited child's CPU time")?;
            let status = child.wait()?;
            return Ok(Watched {
                status,
                hwm,
                cpu_secs,
                child,
            });
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `host-harness send` to `url` with `key`, unpaced, its output discarded,
/// its component cache in `cache`.
fn send_command(
    exe: &Path,
    url: &str,
    key: &str,
    config: &Path,
    input: &Path,
    cache: &Path,
) -> Command {
    let mut c = Command::new(exe);
    c.args(["send", "--base-url", url, "--rate", "1000000/s"])
        .arg("--config")
        .arg(config)
        .arg("--input")
        .arg(input)
        .env("ASHBY_API_KEY", key)
        .env(destination_host::engine::CACHE_DIR_ENV, cache)
        .env_remove(destination_host::engine::CACHE_ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Starts `host-harness mock` and returns it with its base URL.
fn standalone_mock(exe: &Path, key: &str) -> anyhow::Result<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new(exe)
        .args(["mock", "--port", &port.to_string(), "--api-key", key])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the standalone mock")?;
    let stdout = child.stdout.take().context("mock stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let first = lines.next().transpose()?.unwrap_or_default();
    let url = first
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    if !url.starts_with("http://") {
        let _ = child.kill();
        let _ = child.wait();
        anyhow::bail!("the mock said {first:?}");
    }
    // Keep draining so the mock never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok((child, url))
}

/// One client's runs in `e2e`: wall seconds and CPU seconds per run.
#[derive(Default)]
struct Runs {
    secs: Vec<f64>,
    cpu: Vec<f64>,
}

impl Runs {
    /// Times `child` from `start` (its spawn) to its exit.
    fn watch(&mut self, start: Instant, child: std::process::Child) -> anyhow::Result<Watched> {
        let w = watch(child)?;
        self.secs.push(start.elapsed().as_secs_f64());
        self.cpu.push(w.cpu_secs);
        Ok(w)
    }

    /// Median records/s and median CPU µs per record over `n` records.
    fn medians(self, n: u64) -> (f64, f64) {
        (
            n as f64 / median(self.secs),
            median(self.cpu) / n as f64 * 1e6,
        )
    }
}

/// Reads a client's JSON summary from its stdout and checks it delivered `n`.
fn delivered_all(w: Watched, who: &str, n: u64) -> anyhow::Result<()> {
    anyhow::ensure!(w.status.success(), "{who} exited with {}", w.status);
    let mut stdout = Vec::new();
    if let Some(mut out) = w.child.stdout {
        std::io::Read::read_to_end(&mut out, &mut stdout)?;
    }
    let out: serde_json::Value =
        serde_json::from_slice(&stdout).with_context(|| format!("{who}'s output is not JSON"))?;
    let ok = out["ok"].as_u64().unwrap_or(0);
    anyhow::ensure!(ok == n, "{who} delivered {ok} of {n}");
    Ok(())
}

/// Writes `n` lines made by `line` to `path`.
fn write_lines(path: &Path, n: u64, line: fn(u64) -> String) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..n {
        writeln!(f, "{}", line(i))?;
    }
    f.flush()?;
    Ok(())
}

/// Target 4 and the native baseline.
async fn e2e(opts: &BenchOptions, work: &Path) -> anyhow::Result<Vec<Row>> {
    let n: u64 = if opts.quick { 200 } else { 20_000 };
    let (input, shaped_input) = (work.join("e2e.jsonl"), work.join("e2e-shaped.jsonl"));
    write_lines(&input, n, record)?;
    write_lines(&shaped_input, n, shaped)?;
    let config = work.join("config.json");
    std::fs::write(&config, CONFIG)?;
    let key = "bench-e2e-key-0123456789abcdef";
    let cache = work.join("startup-cache");
    let (mut mock, url) = standalone_mock(&opts.exe, key)?;
    let result = async {
        // Warm the cache (and the mock) so neither run pays a compile.
        let warm_in = work.join("warm.jsonl");
        std::fs::write(&warm_in, format!("{}\n", record(0)))?;
        let st = send_command(&opts.exe, &url, key, &config, &warm_in, &cache).status()?;
        anyhow::ensure!(st.success(), "warm-up send failed: {st}");

        // Alternate the three clients; report the median of each.
        let rounds = if opts.quick { 1 } else { 3 };
        let (mut py, mut native, mut send, mut peak) =
            (Runs::default(), Runs::default(), Runs::default(), 0u64);
        for _ in 0..rounds {
            let t = Instant::now();
            let child = match Command::new("python3")
                .arg(&opts.python_client)
                .args(["--url", &url, "--connections", "8"])
                .arg("--input")
                .arg(&input)
                .env("ASHBY_API_KEY", key)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
            {
                Ok(child) => Some(child),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).context("running python3"),
            };
            if let Some(child) = child {
                delivered_all(py.watch(t, child)?, "the Python client", n)?;
            }

            let t = Instant::now();
            let child = Command::new(&opts.exe)
                .args(["bench-native-client", "--url", &url, "--connections", "8"])
                .arg("--input")
                .arg(&shaped_input)
                .env("ASHBY_API_KEY", key)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()?;
            delivered_all(native.watch(t, child)?, "the native client", n)?;

            let t = Instant::now();
            let child = send_command(&opts.exe, &url, key, &config, &input, &cache)
                .args(["--concurrency", "8"])
                .spawn()?;
            let w = send.watch(t, child)?;
            anyhow::ensure!(w.status.success(), "send exited with {}", w.status);
            peak = peak.max(w.hwm);
        }
        Ok(e2e_rows(n, rounds, py, native, send, peak))
    }
    .await;
    let _ = mock.kill();
    let _ = mock.wait();
    result
}

/// The rows of `e2e`.
fn e2e_rows(n: u64, rounds: usize, py: Runs, native: Runs, send: Runs, hwm: u64) -> Vec<Row> {
    let median_of = format!("process wall time, median of {rounds}");
    let (send_rate, send_cpu) = send.medians(n);
    let (native_rate, native_cpu) = native.medians(n);
    let (share, cpu_ratio) = (send_rate / native_rate, send_cpu / native_cpu.max(1e-9));
    let mut rows = vec![
        row(
            &format!("4. send / native client (reqwest, 8 keep-alive connections), {n} records"),
            format!(
                "{:.0}% ({send_rate:.0} vs {native_rate:.0} records/s, {median_of})",
                share * 100.0
            ),
            "≥ 90%",
            check(share >= 0.9),
        ),
        row(
            "4. client CPU per record, send / native client (the mock's CPU not counted)",
            format!("{cpu_ratio:.2}x ({send_cpu:.1} vs {native_cpu:.1} µs/record, median)"),
            "≤ 1.3x",
            check(cpu_ratio <= 1.3),
        ),
    ];
    if py.secs.is_empty() {
        rows.push(row(
            "4. send vs Python http.client",
            "not run: python3 is not installed".into(),
            "≥ 2x",
            Verdict::Info,
        ));
    } else {
        let (py_rate, py_cpu) = py.medians(n);
        let ratio = send_rate / py_rate;
        rows.push(row(
            &format!("4. send vs Python http.client (8 keep-alive connections), {n} records"),
            format!("{ratio:.2}x ({send_rate:.0} vs {py_rate:.0} records/s, {median_of})"),
            "≥ 2x",
            check(ratio >= 2.0),
        ));
        rows.push(row(
            "4. client CPU per record, send / Python (the mock's CPU not counted)",
            format!(
                "{:.2}x less CPU ({send_cpu:.0} vs {py_cpu:.0} µs/record, median)",
                py_cpu / send_cpu.max(1e-9)
            ),
            "(comparison)",
            Verdict::Info,
        ));
    }
    rows.push(row(
        &format!("4. send peak RSS, {n} records"),
        format!("{:.1} MiB", hwm as f64 / MIB),
        "≤ 200 MiB",
        check(hwm as f64 / MIB <= 200.0),
    ));
    rows
}
