//! The host's metrics: one [`Metrics`] registry per sandbox (or shared by a
//! host's sandboxes), rendered in the Prometheus text format by
//! [`Metrics::encode`]. The library serves nothing: a host puts the text
//! behind its own endpoint (the CLI's `--metrics-addr`).
//!
//! Names follow Prometheus conventions (counters end in `_total`, base
//! units) and line up with Vector's sink metrics and OpenTelemetry's
//! `http.client.request.duration`. Every label value comes from a bounded
//! set: the flow is the host's own tenant name, the endpoint is the request
//! path reduced to an RPC name shape (never an id or an email), and codes
//! are snake-case tokens; past [`MAX_LABEL_VALUES`] distinct values (or for
//! a value of another shape) the label reads `other`.
//!
//! A flow resolves its label handles once ([`FlowMetrics`]); the hot path
//! only bumps atomics.

use crate::bindings::http::{Error, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The `Content-Type` of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Distinct values a free-form label (endpoint, code) takes at most; later
/// ones read `other`.
pub const MAX_LABEL_VALUES: usize = 64;

/// OpenTelemetry's advised buckets for `http.client.request.duration`, in seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Buckets for waits on the per-key rate limiter, in seconds.
const WAIT_BUCKETS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

type Value = Arc<String>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FlowLabel {
    flow: Value,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    flow: Value,
    code: Value,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    flow: Value,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    flow: Value,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    flow: Value,
    state: &'static str,
}

/// OpenTelemetry's HTTP client attributes (dots become underscores), plus
/// the flow and the endpoint (OpenTelemetry's `url.template`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    flow: Value,
    endpoint: Value,
    http_request_method: &'static str,
    http_response_status_code: Option<u16>,
    error_type: Cow<'static, str>,
    server_address: Value,
    server_port: u16,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

struct Inner {
    registry: Registry,
    received: Family<FlowLabel, Counter>,
    sent: Family<FlowLabel, Counter>,
    rejected: Family<CodeLabels, Counter>,
    retried: Family<FlowLabel, Counter>,
    not_attempted: Family<FlowLabel, Counter>,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Histograms<HttpLabels>,
    ratelimit_wait: Histograms<FlowLabel>,
    inflight: Family<FlowLabel, Gauge>,
    dlq_writes: Family<ResultLabels, Counter>,
    plugin_faults: Family<KindLabels, Counter>,
    circuit: Family<StateLabels, Gauge>,
    endpoints: Bounded,
    codes: Bounded,
}

/// A registry of the host's metrics. Cheap to clone (clones share it).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn wait_histogram() -> Histogram {
    Histogram::new(WAIT_BUCKETS)
}

impl Metrics {
    /// An empty registry with every metric of the host registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let i = Inner {
            received: Family::default(),
            sent: Family::default(),
            rejected: Family::default(),
            retried: Family::default(),
            not_attempted: Family::default(),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(duration_histogram),
            ratelimit_wait: Family::new_with_constructor(wait_histogram),
            inflight: Family::default(),
            dlq_writes: Family::default(),
            plugin_faults: Family::default(),
            circuit: Family::default(),
            endpoints: Bounded::default(),
            codes: Bounded::default(),
            registry: Registry::default(),
        };
        let d = registry.sub_registry_with_prefix("destination");
        let help = [
            (
                "records_received",
                "Input records read (good or bad).",
                &i.received,
            ),
            ("records_sent", "Records the remote accepted.", &i.sent),
            (
                "records_retried",
                "Records sent again (re-sends made, as the summary's retries).",
                &i.retried,
            ),
            (
                "records_not_attempted",
                "Records never attempted because the flow stopped.",
                &i.not_attempted,
            ),
        ];
        for (name, text, family) in help {
            d.register(name, text, family.clone());
        }
        d.register(
            "records_rejected",
            "Records dead-lettered, by code.",
            i.rejected.clone(),
        );
        d.register(
            "http_requests",
            "HTTP requests sent, by endpoint, status and error type.",
            i.http_requests.clone(),
        );
        d.register_with_unit(
            "ratelimit_wait",
            "Time requests waited for the per-key rate limiter.",
            Unit::Seconds,
            i.ratelimit_wait.clone(),
        );
        d.register(
            "inflight_requests",
            "HTTP requests in flight.",
            i.inflight.clone(),
        );
        d.register(
            "dlq_writes",
            "Dead-letter lines written to the dead-letter file, by result.",
            i.dlq_writes.clone(),
        );
        d.register(
            "plugin_faults",
            "Faults of the component (traps, limits, refused calls), by kind.",
            i.plugin_faults.clone(),
        );
        d.register(
            "circuit_state",
            "The flow's circuit breaker: 1 for the state it is in, 0 for the others.",
            i.circuit.clone(),
        );
        registry.register_with_unit(
            "http_client_request_duration",
            "Duration of HTTP client requests (OpenTelemetry http.client.request.duration).",
            Unit::Seconds,
            i.http_duration.clone(),
        );
        Metrics {
            inner: Arc::new(Inner { registry, ..i }),
        }
    }

    /// Every metric in the Prometheus text format (version 0.0.4), served
    /// with [`CONTENT_TYPE`].
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.inner.registry);
        out
    }

    /// The handles of one flow (tenant), resolved once.
    pub fn flow(&self, name: &str) -> FlowMetrics {
        let flow = Arc::new(name.to_string());
        let l = FlowLabel { flow: flow.clone() };
        let i = &self.inner;
        FlowMetrics {
            received: i.received.get_or_create_owned(&l),
            sent: i.sent.get_or_create_owned(&l),
            retried: i.retried.get_or_create_owned(&l),
            not_attempted: i.not_attempted.get_or_create_owned(&l),
            inflight: i.inflight.get_or_create_owned(&l),
            ratelimit_wait: i.ratelimit_wait.get_or_create_owned(&l),
            metrics: self.clone(),
            flow,
        }
    }
}

/// One flow's metric handles. Cheap to clone.
#[derive(Clone)]
pub struct FlowMetrics {
    metrics: Metrics,
    flow: Value,
    received: Counter,
    sent: Counter,
    retried: Counter,
    not_attempted: Counter,
    inflight: Gauge,
    ratelimit_wait: Histogram,
}

impl std::fmt::Debug for FlowMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowMetrics")
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

/// What a component fault was, for `destination_plugin_faults_total{kind}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Reached `unreachable` (a Rust guest's panic).
    Panic,
    /// Overflowed its stack.
    StackOverflow,
    /// Used up its CPU time for one call.
    CpuLimit,
    /// Grew its memory past the cap.
    MemoryLimit,
    /// Ran past the wall-clock bound of one call.
    CallTimeout,
    /// Any other trap.
    Trap,
    /// Refused a whole call (a `call-error`).
    CallRefused,
}

impl FaultKind {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Panic => "panic",
            FaultKind::StackOverflow => "stack_overflow",
            FaultKind::CpuLimit => "cpu_limit",
            FaultKind::MemoryLimit => "memory_limit",
            FaultKind::CallTimeout => "call_timeout",
            FaultKind::Trap => "trap",
            FaultKind::CallRefused => "call_refused",
        }
    }
}

/// A flow's circuit breaker state, for `destination_circuit_state{state}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitState {
    /// Requests flow.
    Closed,
    /// Requests are held back.
    Open,
    /// A probe is allowed through.
    HalfOpen,
}

impl CircuitState {
    const ALL: [CircuitState; 3] = [
        CircuitState::Closed,
        CircuitState::Open,
        CircuitState::HalfOpen,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

impl FlowMetrics {
    /// `n` input records were read.
    pub fn received(&self, n: u64) {
        self.received.inc_by(n);
    }

    /// A record was delivered (the remote accepted it).
    pub fn sent(&self) {
        self.sent.inc();
    }

    /// `n` records were sent again.
    pub fn retried(&self, n: u64) {
        self.retried.inc_by(n);
    }

    /// `n` records were not attempted (the flow stopped).
    pub fn not_attempted(&self, n: u64) {
        self.not_attempted.inc_by(n);
    }

    /// A record was dead-lettered with `code` (any text; bounded here).
    pub fn rejected(&self, code: &str) {
        let code = self.metrics.inner.codes.get(code, is_code);
        let l = CodeLabels {
            flow: self.flow.clone(),
            code,
        };
        self.metrics.inner.rejected.get_or_create(&l).inc();
    }

    /// A dead-letter line was written to the file (`ok`) or failed to be.
    pub fn dead_letter_written(&self, ok: bool) {
        let l = ResultLabels {
            flow: self.flow.clone(),
            result: if ok { "ok" } else { "error" },
        };
        self.metrics.inner.dlq_writes.get_or_create(&l).inc();
    }

    /// The component faulted.
    pub fn plugin_fault(&self, kind: FaultKind) {
        let l = KindLabels {
            flow: self.flow.clone(),
            kind: kind.as_str(),
        };
        self.metrics.inner.plugin_faults.get_or_create(&l).inc();
    }

    /// The one place the circuit state gauge is set: 1 for `state`, 0 for
    /// the others. A flow starts [`CircuitState::Closed`].
    pub fn set_circuit_state(&self, state: CircuitState) {
        for s in CircuitState::ALL {
            let l = StateLabels {
                flow: self.flow.clone(),
                state: s.as_str(),
            };
            let g = self.metrics.inner.circuit.get_or_create(&l);
            g.set(i64::from(s == state));
        }
    }

    /// A request waited `d` for the rate limiter.
    pub fn ratelimit_waited(&self, d: Duration) {
        self.ratelimit_wait.observe(d.as_secs_f64());
    }

    /// The HTTP metrics of this flow's requests to `origin`
    /// (`scheme://host[:port]`).
    pub fn http(&self, origin: &str) -> HttpMetrics {
        let (scheme, authority) = origin.split_once("://").unwrap_or(("https", origin));
        let default_port = if scheme == "http" { 80 } else { 443 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().unwrap_or(default_port)),
            _ => (authority, default_port),
        };
        HttpMetrics {
            flow: self.clone(),
            server_address: Arc::new(host.trim_matches(['[', ']']).to_string()),
            server_port: port,
            cache: Mutex::default(),
        }
    }
}

/// Handles an HTTP context keeps so a request costs no label hashing.
const CACHED: usize = 32;

/// The metrics of one flow's HTTP requests to one origin (one per
/// instance: it caches the handles its requests used).
pub struct HttpMetrics {
    flow: FlowMetrics,
    server_address: Value,
    server_port: u16,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetrics")
            .field("flow", &self.flow.flow)
            .field("server_address", &self.server_address)
            .field("server_port", &self.server_port)
            .finish_non_exhaustive()
    }
}

/// Endpoints and series already resolved, at most [`CACHED`] of each.
#[derive(Default)]
struct Cache {
    endpoints: Vec<(String, Value)>,
    series: Vec<Series>,
}

/// One label set's handles: `(endpoint, method, status, error)` and its
/// counter and histogram.
struct Series {
    endpoint: Value,
    method: &'static str,
    status: Option<u16>,
    error: &'static str,
    requests: Counter,
    duration: Histogram,
}

impl HttpMetrics {
    /// The flow's metrics.
    pub fn flow(&self) -> &FlowMetrics {
        &self.flow
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bounded endpoint label of `path`.
    fn endpoint(&self, path: &str) -> Value {
        let raw = endpoint_of(path);
        let mut c = self.cache();
        if let Some((_, v)) = c.endpoints.iter().find(|(r, _)| r == raw) {
            return v.clone();
        }
        let v = self.flow.metrics.inner.endpoints.get(raw, is_endpoint);
        if c.endpoints.len() < CACHED {
            c.endpoints.push((raw.to_string(), v.clone()));
        }
        v
    }

    /// Counts one finished request and observes its duration (if it took
    /// any: an in-process answer did not).
    fn record(
        &self,
        endpoint: &Value,
        method: &'static str,
        status: Option<u16>,
        error: &'static str,
        secs: Option<f64>,
    ) {
        let mut c = self.cache();
        let hit = c.series.iter().find(|s| {
            Arc::ptr_eq(&s.endpoint, endpoint)
                && s.method == method
                && s.status == status
                && s.error == error
        });
        if let Some(s) = hit {
            s.requests.inc();
            if let Some(secs) = secs {
                s.duration.observe(secs);
            }
            return;
        }
        let l = HttpLabels {
            flow: self.flow.flow.clone(),
            endpoint: endpoint.clone(),
            http_request_method: method,
            http_response_status_code: status,
            error_type: match status {
                Some(code) if code >= 400 => Cow::Owned(code.to_string()),
                _ => Cow::Borrowed(error),
            },
            server_address: self.server_address.clone(),
            server_port: self.server_port,
        };
        let inner = &self.flow.metrics.inner;
        let s = Series {
            endpoint: endpoint.clone(),
            method,
            status,
            error,
            requests: inner.http_requests.get_or_create_owned(&l),
            duration: inner.http_duration.get_or_create_owned(&l),
        };
        s.requests.inc();
        if let Some(secs) = secs {
            s.duration.observe(secs);
        }
        if c.series.len() < CACHED {
            c.series.push(s);
        }
    }

    /// Counts an answer the host gave in process (benchmarks only): no
    /// time passed and no request was made, so it is counted, not timed.
    pub fn in_process(&self, method: &'static str, path: &str, status: u16) {
        let endpoint = self.endpoint(path);
        self.record(&endpoint, method, Some(status), "", None);
    }

    /// Starts one physical HTTP attempt: counted in flight until
    /// [`Attempt::finish`] (or drop), timed, inside a `tracing` span
    /// `http.request` carrying `http.request.resend_count`.
    pub fn attempt(&self, method: &'static str, path: &str, resend_count: u32) -> Attempt<'_> {
        let endpoint = self.endpoint(path);
        let span = tracing::debug_span!(
            "http.request",
            http.request.method = method,
            url.template = endpoint.as_str(),
            http.request.resend_count = resend_count,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        self.flow.inflight.inc();
        Attempt {
            http: self,
            method,
            endpoint,
            span,
            start: Instant::now(),
            finished: false,
        }
    }
}

/// One physical HTTP attempt being measured.
pub struct Attempt<'a> {
    http: &'a HttpMetrics,
    method: &'static str,
    endpoint: Value,
    span: tracing::Span,
    start: Instant,
    finished: bool,
}

impl Attempt<'_> {
    /// The attempt's span, to instrument the exchange with.
    pub fn span(&self) -> tracing::Span {
        self.span.clone()
    }

    /// Records the attempt's result (count, duration, span fields, a
    /// `debug` event) and hands it back.
    pub fn finish(mut self, result: Result<Response, Error>) -> Result<Response, Error> {
        self.finished = true;
        let secs = self.start.elapsed().as_secs_f64();
        let (status, error) = match &result {
            Ok(r) => (Some(r.status), ""),
            Err(e) => (None, error_type(e)),
        };
        self.http
            .record(&self.endpoint, self.method, status, error, Some(secs));
        self.http.flow.inflight.dec();
        if !self.span.is_disabled() {
            self.log(status, error, secs);
        }
        result
    }

    /// Fills in the span and logs the attempt inside it.
    fn log(&self, status: Option<u16>, error: &str, secs: f64) {
        let error = match status {
            Some(s) if s >= 400 => s.to_string(),
            _ => error.to_string(),
        };
        if let Some(s) = status {
            self.span.record("http.response.status_code", s);
        }
        if !error.is_empty() {
            self.span.record("error.type", error.as_str());
        }
        let _in = self.span.enter();
        tracing::debug!(
            name: "destination.http.request",
            duration_seconds = secs,
            "{} {} -> {} in {:.1} ms",
            self.method,
            self.endpoint,
            status.map_or(error, |s| s.to_string()),
            secs * 1000.0
        );
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        // Dropped unfinished (the call was cancelled): no longer in flight.
        if !self.finished {
            self.http.flow.inflight.dec();
        }
    }
}

/// OpenTelemetry's `error.type` for a failure without a response.
fn error_type(e: &Error) -> &'static str {
    match e {
        Error::Timeout(_) => "timeout",
        Error::Connect(_) => "connect",
        Error::Transport(_) => "transport",
        Error::TooLarge(_) => "too_large",
        Error::Denied(_) => "denied",
        Error::InvalidRequest(_) => "invalid_request",
    }
}

/// The path without its query.
fn endpoint_of(path: &str) -> &str {
    path.split('?').next().unwrap_or("")
}

/// An RPC-name path: `/` then letters, dots and underscores (segments
/// separated by `/`), no digit, at most 64 bytes: never an id or an email.
fn is_endpoint(p: &str) -> bool {
    p.len() <= 64
        && p.starts_with('/')
        && p[1..].split('/').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphabetic() || b == b'.' || b == b'_')
        })
}

/// A snake-case code: a lowercase letter, then lowercase letters, digits
/// and underscores, at most 64 bytes.
fn is_code(c: &str) -> bool {
    c.len() <= 64
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Interned label values of one kind, at most [`MAX_LABEL_VALUES`].
#[derive(Default)]
struct Bounded {
    seen: RwLock<HashMap<String, Value>>,
    other: std::sync::OnceLock<Value>,
}

impl Bounded {
    /// The label for `raw`: itself if it has the right shape and fits in
    /// the set, `other` if not.
    fn get(&self, raw: &str, shape: fn(&str) -> bool) -> Value {
        if let Some(v) = self.seen.read().unwrap_or_else(|e| e.into_inner()).get(raw) {
            return v.clone();
        }
        let other = || self.other.get_or_init(|| Arc::new("other".into())).clone();
        if !shape(raw) {
            return other();
        }
        let mut seen = self.seen.write().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_LABEL_VALUES && !seen.contains_key(raw) {
            return other();
        }
        seen.entry(raw.to_string())
            .or_insert_with(|| Arc::new(raw.to_string()))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_rpc_names_never_ids_or_emails() {
        assert!(is_endpoint("/candidate.create"));
        assert!(is_endpoint("/customField.setValues"));
        for bad in [
            "/candidate/7a1c0d2e-0000-4000-8000-000000000001",
            "/ada@example.com",
            "/user42",
            "/",
            "//x",
            "candidate.create",
        ] {
            assert!(!is_endpoint(bad), "{bad}");
        }
        assert_eq!(endpoint_of("/job.info?id=123"), "/job.info");
    }

    #[test]
    fn codes_are_tokens_and_the_set_is_bounded() {
        let b = Bounded::default();
        assert_eq!(*b.get("invalid_email", is_code), "invalid_email");
        assert_eq!(*b.get("Email ada@example.com is bad", is_code), "other");
        for i in 0..(MAX_LABEL_VALUES * 2) {
            b.get(&format!("code_{i}"), is_code);
        }
        assert_eq!(b.seen.read().unwrap().len(), MAX_LABEL_VALUES);
        assert_eq!(*b.get("code_999", is_code), "other");
        assert_eq!(*b.get("invalid_email", is_code), "invalid_email");
    }

    #[test]
    fn encodes_counters_histograms_and_circuit_state() {
        let m = Metrics::new();
        let f = m.flow("tenant-a");
        f.received(3);
        f.sent();
        f.rejected("invalid_email");
        f.set_circuit_state(CircuitState::Open);
        let h = f.http("http://127.0.0.1:8080");
        let ok = Response {
            status: 200,
            headers: vec![],
            body: vec![],
        };
        let _ = h.attempt("POST", "/candidate.create", 0).finish(Ok(ok));
        let _ = h
            .attempt("POST", "/candidate.create", 1)
            .finish(Err(Error::Timeout("slow".into())));
        let text = m.encode();
        for want in [
            "destination_records_received_total{flow=\"tenant-a\"} 3",
            "destination_records_sent_total{flow=\"tenant-a\"} 1",
            "destination_records_rejected_total{flow=\"tenant-a\",code=\"invalid_email\"} 1",
            "destination_circuit_state{flow=\"tenant-a\",state=\"open\"} 1",
            "destination_circuit_state{flow=\"tenant-a\",state=\"closed\"} 0",
            "destination_inflight_requests{flow=\"tenant-a\"} 0",
            "# TYPE http_client_request_duration_seconds histogram",
            "http_request_method=\"POST\",http_response_status_code=\"200\",error_type=\"\",server_address=\"127.0.0.1\",server_port=\"8080\"",
            "error_type=\"timeout\"",
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
    }
}
