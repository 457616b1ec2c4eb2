//! The sandbox: one [`Sandbox`] per process (one `Engine`, the component
//! compiled once, one `InstancePre`), and one [`Guest`] per tenant flow
//! (an instance in its own `Store` holding that tenant's origin, credential
//! and limits).

use crate::bindings::types;
use crate::engine::{LoadInfo, SandboxOptions};
use crate::guest_log::GuestLog;
use crate::http_import::HttpCtx;
use anyhow::Context as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub use crate::bindings::{
    CallError, CheckInfo, CheckReport, CheckStatus, ConfigError, ConfigSummary, Delivered,
    Description, Exchange, Halt, InputRecord, KeyProblem, Method, Outcome, PlannedRequest,
    RecordOutcome, RecordProblem, Rejected, Retry, Sample, Severity, StepDone, http,
};
pub use crate::limits::{FlowStats, Limits, Tenant};

/// How long one epoch tick lasts. Guest CPU time is counted in ticks.
const TICK: Duration = Duration::from_millis(10);

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

impl crate::bindings::http::Host for HostState {
    async fn send(
        &mut self,
        request: crate::bindings::http::Request,
    ) -> wasmtime::Result<Result<crate::bindings::http::Response, crate::bindings::http::Error>>
    {
        Ok(self.http.send(request).await)
    }
}

impl types::Host for HostState {}

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
pub struct Sandbox {
    engine: Engine,
    pre: crate::bindings::ConnectorPre<HostState>,
    client: reqwest::Client,
    info: Arc<LoadInfo>,
    echo_guest_output: bool,
    metrics: crate::metrics::Metrics,
}

impl Sandbox {
    /// Compiles the component at `path` (once), or loads it from the disk
    /// cache ([`SandboxOptions::from_env`]), and links it against the
    /// host's imports: the `http` interface and an empty WASI.
    pub fn from_file(path: &Path) -> anyhow::Result<Sandbox> {
        let bytes =
            std::fs::read(path).with_context(|| format!("reading component {}", path.display()))?;
        Sandbox::with_options(&bytes, &SandboxOptions::from_env())
            .with_context(|| format!("loading component {}", path.display()))
    }

    /// Compiles a component from its bytes (pooling allocator, no disk cache).
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Sandbox> {
        Sandbox::with_options(bytes, &SandboxOptions::default())
    }

    /// Compiles (or loads from the cache) a component with explicit options.
    pub fn with_options(bytes: &[u8], opts: &SandboxOptions) -> anyhow::Result<Sandbox> {
        let (engine, component, info) = crate::engine::prepare(opts, bytes)
            .map_err(anyhow::Error::from)
            .context("compiling the component")?;
        if let crate::engine::Allocation::Fallback(why) = &info.allocation {
            tracing::warn!(
                "note: the instance pool could not be reserved ({why}); allocating on demand"
            );
        }
        Ok(Sandbox::from_engine(engine, &component, info)?)
    }

    /// How the engine allocates and where the compiled code came from.
    pub fn load_info(&self) -> &LoadInfo {
        &self.info
    }

    /// Builds the sandbox from an engine and a component compiled with it:
    /// checks the component's world, links the imports (the `http`
    /// interface and an empty WASI) and pre-instantiates it. Hosts with an
    /// engine of their own (or test support with a custom memory creator)
    /// start here.
    pub fn from_engine(
        engine: Engine,
        component: &wasmtime::component::Component,
        info: LoadInfo,
    ) -> wasmtime::Result<Sandbox> {
        use wasmtime::error::Context as _;
        // Also for a component loaded from the disk cache.
        crate::world::check(&engine, component)?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).context("linking WASI")?;
        crate::bindings::Connector::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .context("linking the http import")?;
        let instance_pre = linker.instantiate_pre(component).context(
            "the component does not match the `connector` world (its imports are not what this host provides)",
        )?;
        let pre = crate::bindings::ConnectorPre::new(instance_pre).context(
            "the component does not export the `destination` interface of the `connector` world",
        )?;
        spawn_ticker(&engine);
        let client = crate::http_import::client()
            .map_err(|e| wasmtime::format_err!("building the HTTP client: {e}"))?;
        Ok(Sandbox {
            engine,
            pre,
            client,
            info: Arc::new(info),
            echo_guest_output: true,
            metrics: crate::metrics::Metrics::new(),
        })
    }

    /// Whether guest stdout and stderr lines are logged (at `info`, target
    /// `guest`); on by default. Benchmarks turn it off.
    pub fn echo_guest_output(mut self, on: bool) -> Sandbox {
        self.echo_guest_output = on;
        self
    }

    /// Records this sandbox's metrics in `metrics` (a registry several
    /// sandboxes may share) instead of its own.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Sandbox {
        self.metrics = metrics;
        self
    }

    /// The registry this sandbox's flows record their metrics in.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// The engine, for hosts that want to share it.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Makes a fresh, unconfigured instance for one tenant flow.
    pub async fn instantiate(&self, tenant: &Tenant, limits: &Limits) -> anyhow::Result<Guest> {
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
                &self.metrics.flow(&tenant.name),
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
        Ok(Guest {
            store,
            bindings,
            tenant: tenant.name.clone(),
            call_timeout: limits.call_timeout,
            max_records_per_call: limits.max_records_per_call,
            stats,
            dead: false,
            log_dropped: 0,
            echo_guest_output: self.echo_guest_output,
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

/// A configured-or-not instance of the component for one tenant flow. After a
/// trap it is dead: every further call fails, and the host makes a new one.
pub struct Guest {
    store: Store<HostState>,
    bindings: crate::bindings::Connector,
    tenant: String,
    call_timeout: Duration,
    max_records_per_call: usize,
    stats: Arc<FlowStats>,
    dead: bool,
    log_dropped: u64,
    echo_guest_output: bool,
}

message_error!(
    /// A call that trapped or timed out: the instance is unusable afterwards.
    GuestFault
);

impl Guest {
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
    pub fn set_in_process_transport(&mut self, answer: crate::http_import::InProcess) {
        self.store.data_mut().http.in_process = Some(answer);
    }

    /// Earlier attempts of the records the next call sends: the
    /// `http.request.resend_count` of its HTTP attempts' spans.
    pub fn set_resend_count(&mut self, n: u32) {
        self.store.data_mut().http.resend_count = n;
    }

    /// Lets this instance's requests pass an open circuit (it sends the
    /// probe) or stops letting them.
    pub fn set_probe(&mut self, on: bool) {
        self.store.data_mut().http.probe = on;
    }

    /// Stops further HTTP from this instance (after a halt).
    pub fn halt_http(&mut self) {
        self.store.data_mut().http.halted = true;
    }

    async fn guarded<R>(
        &mut self,
        what: &str,
        f: impl AsyncFnOnce(&crate::bindings::Connector, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, GuestFault> {
        if self.dead {
            return Err(GuestFault(format!("{what}: the instance died earlier")));
        }
        self.store.data_mut().cpu_ticks = 0;
        let timeout = self.call_timeout;
        let call = crate::unwind::caught(f(&self.bindings, &mut self.store));
        let r = tokio::time::timeout(timeout, call).await;
        self.drain_log();
        match r {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Err(panic)) => {
                // The host panicked on the guest's behalf: the Store's state
                // is unknown, so it is never entered again.
                self.dead = true;
                Err(GuestFault(format!(
                    "{what} faulted: the host panicked serving it: {}",
                    crate::text::one_line(&panic)
                )))
            }
            Ok(Ok(Err(trap))) => {
                self.dead = true;
                let why = self.redactor().text(trap_message(&trap));
                let metrics = self.store.data().http.metrics();
                metrics.plugin_fault(fault_kind(&trap, &why));
                Err(GuestFault(format!(
                    "{what} trapped: {}",
                    crate::text::one_line(&why)
                )))
            }
            Err(_) => {
                self.dead = true;
                let metrics = self.store.data().http.metrics();
                metrics.plugin_fault(crate::metrics::FaultKind::CallTimeout);
                Err(GuestFault(format!(
                    "{what} exceeded its time limit of {timeout:?}"
                )))
            }
        }
    }

    /// The tenant's key in every form, for what the guest wrote.
    fn redactor(&self) -> &crate::secret::Redactor {
        self.store.data().http.redactor()
    }

    /// Logs what the guest wrote to stdout and stderr: one event per line,
    /// the key redacted, every control character escaped.
    fn drain_log(&mut self) {
        let (bytes, dropped) = self.store.data().log.drain();
        self.log_dropped += dropped;
        if self.echo_guest_output && (!bytes.is_empty() || dropped > 0) {
            let text = self
                .redactor()
                .text(String::from_utf8_lossy(&bytes).into_owned());
            let tenant = crate::text::one_line(&self.tenant);
            for line in text.lines() {
                let line = crate::text::one_line(line);
                tracing::info!(target: "guest", tenant = %tenant, "[guest {tenant}] {line}");
            }
            if dropped > 0 {
                tracing::info!(
                    target: "guest", tenant = %tenant,
                    "[guest {tenant}] ({dropped} bytes of output dropped)"
                );
            }
        }
    }

    /// `configure`. Outer error: the instance faulted.
    pub async fn configure(
        &mut self,
        config: &str,
    ) -> Result<Result<ConfigSummary, ConfigError>, GuestFault> {
        let config = config.to_string();
        let mut r = self
            .guarded("configure", async move |b, s| {
                b.connector_destination_destination()
                    .call_configure(s, &config)
                    .await
            })
            .await?;
        crate::guest_text::configured(self.redactor(), &mut r);
        if let Ok(summary) = &r {
            // The only method this instance may use from now on.
            self.store.data_mut().http.method = Some(summary.method.clone());
        }
        Ok(r)
    }

    /// `sample-payload`.
    pub async fn sample(
        &mut self,
        records: Vec<InputRecord>,
    ) -> Result<Result<Sample, CallError>, GuestFault> {
        if let Some(refused) = self.too_many(records.len()) {
            return Ok(Err(refused));
        }
        let mut r = self
            .guarded("sample-payload", async move |b, s| {
                b.connector_destination_destination()
                    .call_sample_payload(s, &records)
                    .await
            })
            .await?;
        if let Ok(sample) = &mut r {
            crate::guest_text::sample(self.redactor(), sample);
        }
        Ok(r)
    }

    /// `send`.
    pub async fn send(
        &mut self,
        records: Vec<InputRecord>,
    ) -> Result<Result<Vec<RecordOutcome>, CallError>, GuestFault> {
        if let Some(refused) = self.too_many(records.len()) {
            return Ok(Err(refused));
        }
        let mut r = self
            .guarded("send", async move |b, s| {
                b.connector_destination_destination()
                    .call_send(s, &records)
                    .await
            })
            .await?;
        if let Ok(outcomes) = &mut r {
            crate::guest_text::outcomes(self.redactor(), outcomes);
        }
        Ok(r)
    }

    /// `describe`: the config's schema, the catalog and the checks; callable
    /// before `configure`.
    pub async fn describe(&mut self) -> Result<Description, GuestFault> {
        self.guarded("describe", async move |b, s| {
            b.connector_destination_destination().call_describe(s).await
        })
        .await
    }

    /// `check`: runs one named check (read requests only) after `configure`.
    pub async fn check(
        &mut self,
        name: &str,
    ) -> Result<Result<CheckReport, CallError>, GuestFault> {
        let name = name.to_string();
        self.guarded("check", async move |b, s| {
            b.connector_destination_destination()
                .call_check(s, &name)
                .await
        })
        .await
    }

    /// Runs `names` (every check `describe` lists when `None`) in order,
    /// after `configure`. A check the component refuses is an error.
    pub async fn run_checks(&mut self, names: Option<&[&str]>) -> anyhow::Result<Vec<CheckReport>> {
        let names: Vec<String> = match names {
            Some(n) => n.iter().map(|s| s.to_string()).collect(),
            None => self
                .describe()
                .await?
                .checks
                .into_iter()
                .map(|c| c.name)
                .collect(),
        };
        let mut out = Vec::new();
        for name in names {
            match self.check(&name).await? {
                Ok(report) => out.push(report),
                Err(e) => anyhow::bail!("the component refused check {name:?}: {e:?}"),
            }
        }
        Ok(out)
    }

    /// `on-response`.
    pub async fn on_response(
        &mut self,
        exchange: Exchange,
    ) -> Result<Result<Option<String>, CallError>, GuestFault> {
        let mut r = self
            .guarded("on-response", async move |b, s| {
                b.connector_destination_destination()
                    .call_on_response(s, &exchange)
                    .await
            })
            .await?;
        if let Ok(Some(text)) = &mut r {
            self.redactor().in_place(text);
        }
        Ok(r)
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

/// What kind of fault a trap was, for the metrics.
fn fault_kind(e: &wasmtime::Error, message: &str) -> crate::metrics::FaultKind {
    use crate::metrics::FaultKind as K;
    match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::UnreachableCodeReached) => K::Panic,
        Some(wasmtime::Trap::StackOverflow) => K::StackOverflow,
        _ if message.contains("CPU time limit") => K::CpuLimit,
        _ if message.contains("growing memory") || message.contains("memory limit") => {
            K::MemoryLimit
        }
        _ => K::Trap,
    }
}

message_error!(
    /// A configuration the component refused, or a flow that cannot start.
    ConfigRefused
);

/// Renders a `configure` refusal as one sentence.
pub fn config_error_text(e: &ConfigError) -> String {
    use ConfigError as E;
    match e {
        E::Malformed(m) => format!("the config is not a JSON object: {m}"),
        E::UnknownKey(k) => format!("config key `{k}` is not known"),
        E::Missing(p) => format!("config key `{}` is missing: {}", p.key, p.reason),
        E::Invalid(p) => format!("config key `{}` is invalid: {}", p.key, p.reason),
        E::AlreadyConfigured => "the instance was already configured".into(),
    }
}

impl Sandbox {
    /// Makes a configured guest for `tenant`, or explains why not (a
    /// [`ConfigRefused`] when the component refused the config).
    pub async fn configured(
        &self,
        tenant: &Tenant,
        limits: &Limits,
        config: &str,
    ) -> anyhow::Result<(Guest, ConfigSummary)> {
        let mut guest = self.instantiate(tenant, limits).await?;
        match guest.configure(config).await {
            Ok(Ok(summary)) => Ok((guest, summary)),
            Ok(Err(e)) => Err(ConfigRefused(config_error_text(&e)).into()),
            Err(fault) => Err(anyhow::anyhow!(
                "the component faulted during configure: {fault}"
            )),
        }
    }
}
