//! The sandbox: one [`Runtime`] per process (one `Engine`, the component
//! compiled once, one `InstancePre`), and one [`Instance`] per tenant flow
//! (its own `Store` holding that tenant's origin, credential and limits).

use crate::cache::{LoadInfo, RuntimeOptions};
use crate::guest_log::GuestLog;
use crate::http_host::{HttpCtx, Origin};
use crate::secret::ApiKey;
use anyhow::Context as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Bindings generated from `wit/` (the same files the guest uses).
#[allow(missing_docs, reason = "generated; the docs live in the WIT files")]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "connector",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

pub use bindings::connector::destination::http;
pub use bindings::connector::destination::types::{
    CallError, ConfigError, ConfigSummary, Delivered, Exchange, Halt, InputRecord, KeyProblem,
    Outcome, PlannedRequest, RecordOutcome, RecordProblem, Rejected, Retry, Sample, Severity,
};

/// How long one epoch tick lasts. Guest CPU time is counted in ticks.
const TICK: Duration = Duration::from_millis(10);

/// Resource limits for one tenant flow's `Store`. The defaults are safe for
/// a multi-tenant host.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Linear memory cap; growing past it traps.
    pub memory_bytes: usize,
    /// Guest CPU time allowed per export call (time spent waiting on the
    /// host's HTTP does not count).
    pub cpu_per_call: Duration,
    /// Wall-clock bound on one host HTTP exchange.
    pub http_timeout: Duration,
    /// Wall-clock bound on one whole export call.
    pub call_timeout: Duration,
    /// Cap on a response body the host will read.
    pub max_response_bytes: usize,
    /// Cap on a request body the guest may send.
    pub max_request_bytes: usize,
    /// Cap on guest stdout+stderr kept between drains.
    pub guest_log_bytes: usize,
    /// Records handed to one `send` or `sample-payload` call at most; the
    /// host refuses a larger call without entering the guest.
    pub max_records_per_call: usize,
    /// Requests per second for the tenant's API key, shared by every flow
    /// using that key in this process; `None` = unpaced.
    pub rate: Option<crate::rate::Rate>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory_bytes: 64 << 20,
            cpu_per_call: Duration::from_secs(1),
            http_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(300),
            max_response_bytes: 10 << 20,
            max_request_bytes: 10 << 20,
            guest_log_bytes: 64 << 10,
            max_records_per_call: 1_000,
            rate: Some(crate::rate::Rate::ASHBY_DEFAULT),
        }
    }
}

/// One tenant's connection to its Ashby: where, and with which key.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// A name for logs (never the key).
    pub name: String,
    /// The origin every request goes to.
    pub origin: Origin,
    /// The credential the host adds to every request.
    pub key: ApiKey,
}

/// Per-flow counters the host keeps outside the guest.
#[derive(Debug, Default)]
pub struct FlowStats {
    /// HTTP requests actually issued.
    pub requests: AtomicU64,
}

/// Everything one `Store` holds. The guest sees none of it directly.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    /// The HTTP import's state: origin, credential, policy.
    pub http: HttpCtx,
    log: GuestLog,
    cpu_ticks: u64,
    cpu_budget_ticks: u64,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The compiled component, ready to instantiate cheaply, many times.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    pre: bindings::ConnectorPre<HostState>,
    client: reqwest::Client,
    info: Arc<LoadInfo>,
}

impl Runtime {
    /// Compiles the component at `path` (once), or loads it from the disk
    /// cache ([`RuntimeOptions::from_env`]), and links it against the
    /// host's imports: the `http` interface and an empty WASI.
    pub fn from_file(path: &Path) -> anyhow::Result<Runtime> {
        let bytes =
            std::fs::read(path).with_context(|| format!("reading component {}", path.display()))?;
        Runtime::with_options(&bytes, &RuntimeOptions::from_env())
            .with_context(|| format!("loading component {}", path.display()))
    }

    /// The plugin built by this crate's build script.
    pub fn plugin() -> anyhow::Result<Runtime> {
        Runtime::from_file(Path::new(crate::PLUGIN_WASM))
    }

    /// Compiles a component from its bytes (pooling allocator, no disk cache).
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Runtime> {
        Runtime::with_options(bytes, &RuntimeOptions::default())
    }

    /// Compiles (or loads from the cache) a component with explicit options.
    pub fn with_options(bytes: &[u8], opts: &RuntimeOptions) -> anyhow::Result<Runtime> {
        Ok(Runtime::from_bytes_inner(bytes, opts, None)?)
    }

    /// How the engine allocates and where the compiled code came from.
    pub fn load_info(&self) -> &LoadInfo {
        &self.info
    }

    /// Builds the runtime. With `host_memory` (test support, see
    /// `inspect.rs`) the engine allocates linear memories from it, on
    /// demand and without the disk cache.
    pub(crate) fn from_bytes_inner(
        bytes: &[u8],
        opts: &RuntimeOptions,
        host_memory: Option<Arc<dyn wasmtime::MemoryCreator>>,
    ) -> wasmtime::Result<Runtime> {
        use wasmtime::error::Context as _;
        let (engine, component, info) = match host_memory {
            None => crate::cache::prepare(opts, bytes).context("compiling the component")?,
            Some(m) => {
                let mut config = crate::cache::base_config();
                crate::inspect::configure(&mut config, m);
                let engine = Engine::new(&config).context("creating the wasmtime engine")?;
                let t = std::time::Instant::now();
                let component = wasmtime::component::Component::new(&engine, bytes)
                    .context("compiling the component")?;
                let info = LoadInfo {
                    allocation: crate::cache::Allocation::OnDemand,
                    cache: crate::cache::CacheOutcome::Off,
                    load_time: t.elapsed(),
                };
                (engine, component, info)
            }
        };
        if let crate::cache::Allocation::Fallback(why) = &info.allocation {
            eprintln!(
                "note: the instance pool could not be reserved ({why}); allocating on demand"
            );
        }
        // Also for a component loaded from the disk cache.
        crate::world::check(&engine, &component)?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).context("linking WASI")?;
        bindings::Connector::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .context("linking the http import")?;
        let instance_pre = linker.instantiate_pre(&component).context(
            "the component does not match the `connector` world (its imports are not what this host provides)",
        )?;
        let pre = bindings::ConnectorPre::new(instance_pre).context(
            "the component does not export the `destination` interface of the `connector` world",
        )?;
        spawn_ticker(&engine);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| wasmtime::format_err!("building the HTTP client: {e}"))?;
        Ok(Runtime {
            engine,
            pre,
            client,
            info: Arc::new(info),
        })
    }

    /// The engine, for hosts that want to share it.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Makes a fresh, unconfigured instance for one tenant flow.
    pub async fn instantiate(&self, tenant: &Tenant, limits: &Limits) -> anyhow::Result<Instance> {
        let log = GuestLog::new(limits.guest_log_bytes);
        // An empty WASI: no env, no args, no preopened dirs, no sockets, no
        // name lookup. Only stdout/stderr, captured.
        let wasi = WasiCtx::builder()
            .stdout(log.clone())
            .stderr(log.clone())
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        let stats = Arc::new(FlowStats::default());
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .trap_on_grow_failure(true)
                .instances(4)
                .build(),
            http: HttpCtx::new(
                self.client.clone(),
                tenant.origin.clone(),
                &tenant.key,
                limits,
                stats.clone(),
            ),
            log,
            cpu_ticks: 0,
            cpu_budget_ticks: ticks(limits.cpu_per_call),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            s.cpu_ticks += 1;
            if s.cpu_ticks > s.cpu_budget_ticks {
                return Err(wasmtime::format_err!(
                    "guest exceeded its CPU time limit of {:?} for one call",
                    TICK * s.cpu_budget_ticks as u32
                ));
            }
            Ok(UpdateDeadline::Continue(1))
        });
        let bindings = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| anyhow::Error::from(e).context("instantiating the component"))?;
        Ok(Instance {
            store,
            bindings,
            tenant: tenant.name.clone(),
            call_timeout: limits.call_timeout,
            max_records_per_call: limits.max_records_per_call,
            stats,
            dead: false,
            log_dropped: 0,
        })
    }
}

fn ticks(d: Duration) -> u64 {
    (d.as_millis() / TICK.as_millis()).max(1) as u64
}

/// The engines the process-wide epoch ticker advances.
static TICKED: std::sync::Mutex<Vec<wasmtime::EngineWeak>> = std::sync::Mutex::new(Vec::new());
static TICKER: std::sync::Once = std::sync::Once::new();
static TICKER_THREADS: AtomicU64 = AtomicU64::new(0);

/// Registers `engine` with the one epoch ticker thread of the process
/// (started on first use). A dropped engine is forgotten at the next tick.
fn spawn_ticker(engine: &Engine) {
    TICKED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(engine.weak());
    TICKER.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(TICK);
                    TICKED
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .retain(|w| match w.upgrade() {
                            Some(e) => {
                                e.increment_epoch();
                                true
                            }
                            None => false,
                        });
                }
            });
        if spawned.is_ok() {
            TICKER_THREADS.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// How many epoch ticker threads this process has started (at most one).
pub fn ticker_threads() -> u64 {
    TICKER_THREADS.load(Ordering::Relaxed)
}

static TRACE_GUEST_LOG: AtomicBool = AtomicBool::new(true);

/// Whether guest output is copied to the host's stderr (default on).
pub fn set_guest_log_echo(on: bool) {
    TRACE_GUEST_LOG.store(on, Ordering::Relaxed);
}

/// A configured-or-not instance of the component for one tenant flow. After a
/// trap it is dead: every further call fails, and the host makes a new one.
pub struct Instance {
    store: Store<HostState>,
    bindings: bindings::Connector,
    tenant: String,
    call_timeout: Duration,
    max_records_per_call: usize,
    stats: Arc<FlowStats>,
    dead: bool,
    log_dropped: u64,
}

message_error!(
    /// A call that trapped or timed out: the instance is unusable afterwards.
    Fault
);

impl Instance {
    /// This flow's counters.
    pub fn stats(&self) -> &Arc<FlowStats> {
        &self.stats
    }

    /// The host's own cap on records per call, checked before the guest is
    /// entered.
    fn too_many(&self, n: usize) -> Option<CallError> {
        (n > self.max_records_per_call)
            .then_some(CallError::TooManyRecords(self.max_records_per_call as u32))
    }

    /// Bytes of guest output dropped over the cap, over the instance's life.
    pub fn guest_output_dropped(&self) -> u64 {
        self.log_dropped
    }

    /// Whether a trap killed this instance.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Answers every HTTP request of this instance in process, after the
    /// host's policy checks, without a socket (benchmarks; library only).
    pub fn set_in_process_transport(&mut self, answer: crate::http_host::InProcess) {
        self.store.data_mut().http.in_process = Some(answer);
    }

    /// Stops further HTTP from this instance (after a halt).
    pub fn halt_http(&mut self) {
        self.store.data_mut().http.halted = true;
    }

    async fn guarded<R>(
        &mut self,
        what: &str,
        f: impl AsyncFnOnce(&bindings::Connector, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, Fault> {
        if self.dead {
            return Err(Fault(format!("{what}: the instance died earlier")));
        }
        self.store.data_mut().cpu_ticks = 0;
        let timeout = self.call_timeout;
        let r = tokio::time::timeout(timeout, f(&self.bindings, &mut self.store)).await;
        self.drain_log();
        match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(trap)) => {
                self.dead = true;
                Err(Fault(format!("{what} trapped: {}", trap_message(&trap))))
            }
            Err(_) => {
                self.dead = true;
                Err(Fault(format!(
                    "{what} exceeded its time limit of {timeout:?}"
                )))
            }
        }
    }

    fn drain_log(&mut self) {
        let (bytes, dropped) = self.store.data().log.drain();
        self.log_dropped += dropped;
        if TRACE_GUEST_LOG.load(Ordering::Relaxed) && (!bytes.is_empty() || dropped > 0) {
            let text = String::from_utf8_lossy(&bytes);
            for line in text.lines() {
                eprintln!("[guest {}] {line}", self.tenant);
            }
            if dropped > 0 {
                eprintln!(
                    "[guest {}] ({dropped} bytes of output dropped)",
                    self.tenant
                );
            }
        }
    }

    /// `configure`. Outer error: the instance faulted.
    pub async fn configure(
        &mut self,
        config: &str,
    ) -> Result<Result<ConfigSummary, ConfigError>, Fault> {
        let config = config.to_string();
        self.guarded("configure", async move |b, s| {
            b.connector_destination_destination()
                .call_configure(s, &config)
                .await
        })
        .await
    }

    /// `sample-payload`.
    pub async fn sample(
        &mut self,
        records: Vec<InputRecord>,
    ) -> Result<Result<Sample, CallError>, Fault> {
        if let Some(refused) = self.too_many(records.len()) {
            return Ok(Err(refused));
        }
        self.guarded("sample-payload", async move |b, s| {
            b.connector_destination_destination()
                .call_sample_payload(s, &records)
                .await
        })
        .await
    }

    /// `send`.
    pub async fn send(
        &mut self,
        records: Vec<InputRecord>,
    ) -> Result<Result<Vec<RecordOutcome>, CallError>, Fault> {
        if let Some(refused) = self.too_many(records.len()) {
            return Ok(Err(refused));
        }
        self.guarded("send", async move |b, s| {
            b.connector_destination_destination()
                .call_send(s, &records)
                .await
        })
        .await
    }

    /// `on-response`.
    pub async fn on_response(
        &mut self,
        exchange: Exchange,
    ) -> Result<Result<Option<String>, CallError>, Fault> {
        self.guarded("on-response", async move |b, s| {
            b.connector_destination_destination()
                .call_on_response(s, &exchange)
                .await
        })
        .await
    }
}

/// Renders a trap as one line: the trap and its causes, without the wasm
/// backtrace wasmtime wraps them in.
pub fn trap_message(e: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        parts.push(format!("{trap}"));
    }
    for cause in e.chain() {
        let c = cause.to_string();
        if c.starts_with("error while executing at wasm backtrace") {
            continue;
        }
        if !parts.iter().any(|p| p.contains(&c)) {
            parts.push(c);
        }
    }
    if parts.is_empty() {
        parts.push(e.to_string().lines().next().unwrap_or("trap").to_string());
    }
    parts.join(": ")
}
