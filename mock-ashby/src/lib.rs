//! A mock of the Ashby public API, served over real HTTP/1.1 on loopback.
//!
//! The mock follows Ashby's documented behaviour (RPC-style `POST /<category>.<method>`
//! endpoints, HTTP Basic auth with the API key as username, HTTP 200 + `success:false`
//! envelopes for validation errors, 401/403/429 for auth and throttling) and keeps an
//! in-memory organisation so that ids returned by a create work in later calls.
//!
//! It runs on its own thread with its own tokio runtime, so both synchronous tests and
//! async code can use it. Faults (rate limits, 5xx, dropped connections, garbage bodies…)
//! can be queued with [`MockAshby::inject`]; every request is recorded and can be read
//! back with [`MockAshby::requests`].
//!
//! Validation rules here are written from Ashby's documentation, independently of the
//! connector, so tests exercise the connector against Ashby's rules and not its own.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};

/// Fixed ids (and a few names) of the organisation objects the mock is seeded with.
///
/// Every id has the prefix `7a1c0d2e-0000-4000-8000-0000000000`.
pub mod fixtures {
    /// Team (department) "Engineering".
    pub const TEAM_ID: &str = "7a1c0d2e-0000-4000-8000-000000000001";
    /// Name of the team [`TEAM_ID`].
    pub const TEAM_NAME: &str = "Engineering";
    /// Location "Remote".
    pub const LOCATION_ID: &str = "7a1c0d2e-0000-4000-8000-000000000002";
    /// Name of the location [`LOCATION_ID`].
    pub const LOCATION_NAME: &str = "Remote";
    /// Interview plan used by [`JOB_ID`]; its stages are [`LEAD_STAGE_ID`],
    /// [`SCREEN_STAGE_ID`] and [`OFFER_STAGE_ID`], in that order.
    pub const INTERVIEW_PLAN_ID: &str = "7a1c0d2e-0000-4000-8000-000000000003";
    /// Candidate/application source "Referral".
    pub const SOURCE_ID: &str = "7a1c0d2e-0000-4000-8000-000000000004";
    /// A recruiter user (usable as `creditedToUserId`).
    pub const USER_ID: &str = "7a1c0d2e-0000-4000-8000-000000000005";
    /// An `Open` job "Senior Rust Engineer" in [`TEAM_ID`] at [`LOCATION_ID`] using
    /// [`INTERVIEW_PLAN_ID`].
    pub const JOB_ID: &str = "7a1c0d2e-0000-4000-8000-000000000006";
    /// Title of the job [`JOB_ID`].
    pub const JOB_TITLE: &str = "Senior Rust Engineer";
    /// Custom field "Notice period (days)": type `Number`, on `Candidate`.
    pub const NOTICE_PERIOD_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-000000000007";
    /// Custom field "Relocation": type `Boolean`, on `Candidate`.
    pub const RELOCATION_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-000000000008";
    /// Custom field "Seniority": type `ValueSelect` ([`SENIORITY_OPTIONS`]), on `Application`.
    pub const SENIORITY_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-000000000009";
    /// Option values of the "Seniority" field.
    pub const SENIORITY_OPTIONS: [&str; 3] = ["Junior", "Senior", "Staff"];
    /// Custom field "Start availability": type `Date`, on `Application`.
    pub const START_AVAILABILITY_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000a";
    /// First stage of [`INTERVIEW_PLAN_ID`], title "Lead", type `Lead`: where new
    /// applications land by default.
    pub const LEAD_STAGE_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000b";
    /// A `Draft` opening attached to [`JOB_ID`].
    pub const OPENING_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000c";
    /// Custom field "Team size": type `Number`, on `Job`.
    pub const TEAM_SIZE_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000d";
    /// Stage "Offer" (type `Offer`) of [`INTERVIEW_PLAN_ID`].
    pub const OFFER_STAGE_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000e";
    /// Stage "Recruiter screen" (type `PreInterviewScreen`) of [`INTERVIEW_PLAN_ID`],
    /// the target of `interviewStageId: "FirstPreInterviewScreen"`.
    pub const SCREEN_STAGE_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000f";
    /// Id of the latest version of the seeded opening [`OPENING_ID`].
    pub const OPENING_VERSION_ID: &str = "7a1c0d2e-0000-4000-8000-000000000010";
}

/// Value of the `Ashby-Version` header on every response.
pub const ASHBY_VERSION: &str = "2026-01-01";

/// Largest request body the mock reads (bigger bodies drop the connection).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Timestamp used for seeded objects.
const SEED_TIME: &str = "2026-01-05T09:00:00.000Z";

/// Length of the fixed rate-limit window.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Most results `candidate.search` returns.
const SEARCH_LIMIT: usize = 100;

// ---------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------

/// How to start a [`MockAshby`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Port on 127.0.0.1 to bind; 0 picks any free port.
    pub port: u16,
    /// API keys the mock accepts (multi-tenant tests use several). Must not be empty.
    pub api_keys: Vec<String>,
    /// Permissions granted to every key; `None` grants all of them. A `…Write`
    /// permission implies the matching `…Read` one.
    pub permissions: Option<Vec<String>>,
    /// Delay added before every response.
    pub latency: Duration,
    /// Requests allowed per API key per fixed 60 s window; over it the mock answers 429
    /// with `Retry-After` and the code `rate_limit_exceeded`. `None` means no limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Requests in a million answered HTTP 503 at random (outside the
    /// injected faults), as from a flaky proxy; 0 for none.
    pub fail_per_million: u32,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            port: 0,
            api_keys: vec![default_api_key().to_owned()],
            permissions: None,
            latency: Duration::ZERO,
            rate_limit_per_minute: None,
            fail_per_million: 0,
        }
    }
}

/// The key used by [`MockConfig::default`]: `mock-` and 32 hex characters, random per process.
pub fn default_api_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| format!("mock-{:016x}{:016x}", random_u64(), random_u64()))
}

/// One request the mock received, as recorded by [`MockAshby::requests`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path without query, e.g. `/candidate.create`.
    pub path: String,
    /// Headers with lower-case names, in arrival order; the `authorization` value is
    /// replaced by `Basic ****`.
    pub headers: Vec<(String, String)>,
    /// The API key the request authenticated with, if it sent a valid one.
    pub api_key: Option<String>,
    /// The body parsed as JSON, or `Null` if it was not JSON.
    pub body: Value,
    /// HTTP status of the answer; 0 when no answer was sent (dropped connection, or a
    /// request still being handled). For `DropAfterApply` it is the status the mock
    /// computed before dropping the connection.
    pub status: u16,
    /// The `success` field of a JSON answer, if any.
    pub success: Option<bool>,
    /// Name of the injected fault applied to this request ([`FaultKind::name`]).
    pub fault: Option<String>,
    /// When the request arrived.
    pub at: std::time::Instant,
}

impl RecordedRequest {
    /// The value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A fault queued with [`MockAshby::inject`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Path the fault applies to, e.g. `Some("/candidate.create")`; `None` = any path.
    pub path: Option<String>,
    /// How many matching requests it applies to.
    pub times: u32,
    /// What happens to those requests.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault applied once, to the next request on any path.
    pub fn once(kind: FaultKind) -> Self {
        Self {
            path: None,
            times: 1,
            kind,
        }
    }

    /// A fault applied once, to the next request on `path` (e.g. `/candidate.create`).
    pub fn on(path: &str, kind: FaultKind) -> Self {
        Self {
            path: Some(path.to_owned()),
            times: 1,
            kind,
        }
    }

    /// The same fault, applied to `times` matching requests.
    pub fn with_times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }
}

/// What an injected [`Fault`] does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// HTTP 429 with the error envelope `rate_limit_exceeded`; `Retry-After` is set when
    /// `retry_after` is `Some`; `partner_scope` adds `X-RateLimit-Scope:
    /// integration-partner` and a partner-specific message.
    RateLimit {
        /// Value of the `Retry-After` header, if any.
        retry_after: Option<String>,
        /// Whether this is the integration-partner (cross-organisation) limit.
        partner_scope: bool,
    },
    /// An HTTP error with this status (e.g. 500, 502, 503). 500 carries a JSON error
    /// envelope; other statuses a small HTML page like a proxy would send.
    ServerError(u16),
    /// HTTP 503 with this `Retry-After` value (seconds or an HTTP date), as
    /// during maintenance.
    Unavailable {
        /// Value of the `Retry-After` header.
        retry_after: String,
    },
    /// Read the request, then close the connection without answering.
    Drop,
    /// Apply the request (objects are created) then close the connection without
    /// answering: a timeout after the write.
    DropAfterApply,
    /// Sleep this long, then answer normally.
    Delay(Duration),
    /// HTTP 401 as for a missing key.
    Unauthorized,
    /// HTTP 403 as for a wrong or deactivated key.
    Forbidden,
    /// HTTP 403 with the envelope code `missing_endpoint_permission`.
    MissingPermission,
    /// HTTP 200 `success:false` with this code and message.
    Error {
        /// Error code, e.g. `invalid_input`.
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// HTTP 200 with an HTML body that is not JSON.
    Garbage,
}

impl FaultKind {
    /// Short name of the fault, as recorded in [`RecordedRequest::fault`]: `RateLimit`,
    /// `ServerError`, `Unavailable`, `Drop`, `DropAfterApply`, `Delay`, `Unauthorized`, `Forbidden`,
    /// `MissingPermission`, `Error` or `Garbage`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RateLimit { .. } => "RateLimit",
            Self::ServerError(_) => "ServerError",
            Self::Unavailable { .. } => "Unavailable",
            Self::Drop => "Drop",
            Self::DropAfterApply => "DropAfterApply",
            Self::Delay(_) => "Delay",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::MissingPermission => "MissingPermission",
            Self::Error { .. } => "Error",
            Self::Garbage => "Garbage",
        }
    }
}

/// Copies of the objects the mock holds, as Ashby would return them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateSnapshot {
    /// Candidates, in creation order (`Candidate` shape).
    pub candidates: Vec<Value>,
    /// Applications, in creation order (`Application` shape).
    pub applications: Vec<Value>,
    /// Jobs, the seeded [`fixtures::JOB_ID`] first (`Job` shape).
    pub jobs: Vec<Value>,
    /// Openings, the seeded [`fixtures::OPENING_ID`] first (`Opening` shape).
    pub openings: Vec<Value>,
    /// Offer processes `{id, applicationId, status}`, in creation order.
    pub offer_processes: Vec<Value>,
    /// Custom field values: object id → field id → value (cleared fields are absent).
    pub custom_field_values: BTreeMap<String, BTreeMap<String, Value>>,
}

impl StateSnapshot {
    /// The candidate with this id.
    pub fn candidate(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.candidates, id)
    }

    /// The application with this id.
    pub fn application(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.applications, id)
    }

    /// The job with this id.
    pub fn job(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.jobs, id)
    }

    /// The opening with this id.
    pub fn opening(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.openings, id)
    }

    /// Candidates having this email address (case-insensitive) among their emails.
    pub fn candidates_with_email(&self, email: &str) -> Vec<&Value> {
        self.candidates
            .iter()
            .filter(|c| candidate_has_email(c, email))
            .collect()
    }
}

fn find_by_id<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    list.iter()
        .find(|v| v.get("id").and_then(Value::as_str) == Some(id))
}

/// A running mock Ashby server. Dropping it (or calling [`MockAshby::shutdown`]) stops it.
pub struct MockAshby {
    addr: SocketAddr,
    api_key: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for MockAshby {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockAshby")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockAshby {
    /// Binds 127.0.0.1:`config.port` and starts serving on a background thread. The
    /// socket is bound when this returns.
    pub fn start(config: MockConfig) -> anyhow::Result<MockAshby> {
        anyhow::ensure!(
            !config.api_keys.is_empty(),
            "MockConfig.api_keys must hold at least one key"
        );
        let listener = StdTcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("binding mock Ashby on 127.0.0.1:{}", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mock-ashby-worker")
            .enable_all()
            .build()
            .context("building the mock Ashby runtime")?;
        let shared = Arc::new(Shared::new(&config));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("mock-ashby".to_owned())
            .spawn(move || {
                runtime.block_on(serve(listener, server_shared, stop_rx));
                runtime.shutdown_timeout(Duration::from_millis(500));
            })
            .context("spawning the mock Ashby thread")?;
        Ok(MockAshby {
            addr,
            api_key: config.api_keys[0].clone(),
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Base URL to use instead of `https://api.ashbyhq.com`, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first accepted API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Queues a fault. Faults are checked in queue order before normal handling; each
    /// matching request consumes one `times` of the first matching fault. A fault with
    /// `times == 0` is ignored.
    pub fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.shared.faults).push_back(fault);
        }
    }

    /// Number of fault applications still queued (sum of the remaining `times`).
    pub fn pending_faults(&self) -> u32 {
        lock(&self.shared.faults).iter().map(|f| f.times).sum()
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Changes the delay added before every response.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// Changes the granted permissions (`None` grants all).
    pub fn set_permissions(&self, permissions: Option<Vec<String>>) {
        *lock(&self.shared.permissions) = permissions;
    }

    /// Where the mock receives response-webhook records (`--responses-url`).
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.base_url())
    }

    /// The response-webhook records the mock accepted, in arrival order.
    pub fn webhook_records(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == WEBHOOK_PATH && r.status == 200)
            .map(|r| r.body)
            .collect()
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log)
            .entries
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).entries.clear();
    }

    /// Copies of the stored objects.
    pub fn state(&self) -> StateSnapshot {
        lock(&self.shared.store).snapshot()
    }

    /// Stops the server and joins its thread (dropping the handle does the same).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for MockAshby {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Server plumbing
// ---------------------------------------------------------------------------------------

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

struct Shared {
    api_keys: Vec<String>,
    permissions: Mutex<Option<Vec<String>>>,
    rate_limit: Option<u32>,
    fail_per_million: u32,
    latency: Mutex<Duration>,
    faults: Mutex<VecDeque<Fault>>,
    log: Mutex<RequestLog>,
    store: Mutex<Store>,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

#[derive(Default)]
struct RequestLog {
    next_seq: u64,
    entries: Vec<(u64, RecordedRequest)>,
}

impl Shared {
    fn new(config: &MockConfig) -> Self {
        Self {
            api_keys: config.api_keys.clone(),
            permissions: Mutex::new(config.permissions.clone()),
            rate_limit: config.rate_limit_per_minute,
            fail_per_million: config.fail_per_million,
            latency: Mutex::new(config.latency),
            faults: Mutex::new(VecDeque::new()),
            log: Mutex::new(RequestLog::default()),
            store: Mutex::new(Store::seeded()),
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn record(&self, request: RecordedRequest) -> u64 {
        let mut log = lock(&self.log);
        let seq = log.next_seq;
        log.next_seq += 1;
        log.entries.push((seq, request));
        seq
    }

    fn complete(&self, seq: u64, status: u16, success: Option<bool>, fault: Option<&str>) {
        let mut log = lock(&self.log);
        if let Some((_, r)) = log.entries.iter_mut().rev().find(|(s, _)| *s == seq) {
            r.status = status;
            r.success = success;
            r.fault = fault.map(str::to_owned);
        }
    }

    /// Takes one application of the first queued fault matching `path`.
    fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let index = faults
            .iter()
            .position(|f| f.times > 0 && f.path.as_deref().is_none_or(|p| p == path))?;
        let fault = faults.get_mut(index)?;
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            faults.remove(index);
        }
        Some(kind)
    }

    /// A random 503 for [`MockConfig::fail_per_million`] requests in a million.
    fn random_failure(&self) -> Option<FaultKind> {
        (self.fail_per_million > 0 && random_u64() % 1_000_000 < u64::from(self.fail_per_million))
            .then_some(FaultKind::ServerError(503))
    }

    /// Counts a request against the key's window; `Some(seconds)` when over the limit.
    fn over_rate_limit(&self, key: &str) -> Option<u64> {
        let limit = self.rate_limit?;
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let window = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(window.0) >= RATE_WINDOW {
            *window = (now, 0);
        }
        window.1 = window.1.saturating_add(1);
        if window.1 <= limit {
            return None;
        }
        let left = RATE_WINDOW.saturating_sub(now.duration_since(window.0));
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Some(secs.max(1))
    }

    fn granted(&self, needed: &str) -> bool {
        match &*lock(&self.permissions) {
            None => true,
            Some(list) => list.iter().any(|p| {
                p == needed
                    || needed
                        .strip_suffix("Read")
                        .is_some_and(|module| p.strip_suffix("Write") == Some(module))
            }),
        }
    }
}

async fn serve(
    listener: StdTcpListener,
    shared: Arc<Shared>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off briefly.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(Arc::clone(&shared), req));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose by the mock")
    }
}

impl std::error::Error for ConnectionDropped {}

/// The `Authorization` header as the mock understood it.
enum Auth {
    Missing,
    Malformed,
    Key(String),
}

fn parse_authorization(value: Option<&HeaderValue>) -> Auth {
    let Some(value) = value else {
        return Auth::Missing;
    };
    let Ok(text) = value.to_str() else {
        return Auth::Malformed;
    };
    let Some((scheme, credentials)) = text.trim().split_once(' ') else {
        return Auth::Malformed;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Auth::Malformed;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(credentials.trim()) else {
        return Auth::Malformed;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return Auth::Malformed;
    };
    // Username = key; Ashby documents an empty password and ignores it.
    match decoded.split_once(':') {
        Some((key, _password)) if !key.is_empty() => Auth::Key(key.to_owned()),
        _ => Auth::Malformed,
    }
}

/// Everything normal handling needs to know about a request.
struct RequestParts {
    method: String,
    path: String,
    auth: Auth,
    content_type: Option<String>,
    body: Bytes,
}

/// A response before it becomes a hyper response.
struct Reply {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    headers: Vec<(&'static str, String)>,
    success: Option<bool>,
}

/// The path at which the mock acts as a response-webhook receiver.
pub const WEBHOOK_PATH: &str = "/_webhook";

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

impl Reply {
    fn ok(results: Value) -> Self {
        let body = json!({ "success": true, "results": results });
        Self::json(StatusCode::OK, &body, Some(true))
    }

    fn error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Self {
        let body = json!({
            "success": false,
            "errors": [code],
            "errorInfo": { "code": code, "message": message, "requestId": request_id },
        });
        Self::json(status, &body, Some(false))
    }

    fn json(status: StatusCode, body: &Value, success: Option<bool>) -> Self {
        Self {
            status,
            content_type: JSON_CONTENT_TYPE,
            body: Bytes::from(body.to_string()),
            headers: Vec::new(),
            success,
        }
    }

    fn text(status: StatusCode, content_type: &'static str, body: &'static str) -> Self {
        Self {
            status,
            content_type,
            body: Bytes::from_static(body.as_bytes()),
            headers: Vec::new(),
            success: None,
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    fn into_response(self, request_id: &str) -> Response<Full<Bytes>> {
        let mut builder = Response::builder()
            .status(self.status)
            .header(CONTENT_TYPE, self.content_type)
            .header("x-ashby-request-id", request_id)
            .header("Ashby-Version", ASHBY_VERSION)
            .header("Ashby-Version-Status", "active");
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        builder.body(Full::new(self.body)).unwrap_or_else(|_| {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        })
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ConnectionDropped> {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_ascii_lowercase();
            let value = if name == "authorization" {
                "Basic ****".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect();
    let auth = parse_authorization(parts.headers.get(AUTHORIZATION));
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let api_key = match &auth {
        Auth::Key(key) if shared.api_keys.contains(key) => Some(key.clone()),
        _ => None,
    };
    let mut record = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        headers,
        api_key,
        body: Value::Null,
        status: 0,
        success: None,
        fault: None,
        at: std::time::Instant::now(),
    };
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            shared.record(record);
            return Err(ConnectionDropped);
        }
    };
    record.body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seq = shared.record(record);

    let fault = shared.take_fault(&path).or_else(|| shared.random_failure());
    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let request_id = request_id();
    let request = RequestParts {
        method,
        path,
        auth,
        content_type,
        body,
    };
    let (reply, drop_connection) = match &fault {
        None => (Some(process(&shared, &request, &request_id)), false),
        Some(FaultKind::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            (Some(process(&shared, &request, &request_id)), false)
        }
        Some(FaultKind::Drop) => (None, true),
        Some(FaultKind::DropAfterApply) => (Some(process(&shared, &request, &request_id)), true),
        Some(kind) => (Some(fault_reply(kind, &request.path, &request_id)), false),
    };
    let fault_name = fault.as_ref().map(FaultKind::name);
    match reply {
        Some(reply) => {
            shared.complete(seq, reply.status.as_u16(), reply.success, fault_name);
            if drop_connection {
                Err(ConnectionDropped)
            } else {
                Ok(reply.into_response(&request_id))
            }
        }
        None => {
            shared.complete(seq, 0, None, fault_name);
            Err(ConnectionDropped)
        }
    }
}

fn fault_reply(kind: &FaultKind, path: &str, request_id: &str) -> Reply {
    match kind {
        FaultKind::RateLimit {
            retry_after,
            partner_scope,
        } => {
            let message = if *partner_scope {
                "Too many requests from this integration partner across all organisations; \
                 slow down and retry later."
            } else {
                "Too many requests for this API key; slow down and retry later."
            };
            let mut reply = Reply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                message,
                request_id,
            );
            if let Some(seconds) = retry_after {
                reply = reply.with_header("Retry-After", seconds.clone());
            }
            if *partner_scope {
                reply = reply.with_header("X-RateLimit-Scope", "integration-partner".to_owned());
            }
            reply
        }
        FaultKind::ServerError(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                Reply::error(
                    status,
                    "internal_server_error",
                    "Something went wrong on our side; the request may be retried.",
                    request_id,
                )
            } else {
                Reply::text(
                    status,
                    "text/html; charset=utf-8",
                    "<html><head><title>Upstream error</title></head>\
                     <body><h1>The origin server is unavailable</h1></body></html>",
                )
            }
        }
        FaultKind::Unavailable { retry_after } => Reply::text(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            "<html><body><h1>Down for maintenance</h1></body></html>",
        )
        .with_header("Retry-After", retry_after.clone()),
        FaultKind::Unauthorized => unauthorized(request_id),
        FaultKind::Forbidden => forbidden(request_id),
        FaultKind::MissingPermission => {
            let permission = endpoint(path).map_or("an unknown", |e| e.permission);
            missing_permission(permission, path, request_id)
        }
        FaultKind::Error { code, message } => {
            Reply::error(StatusCode::OK, code, message, request_id)
        }
        FaultKind::Garbage => Reply::text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head>\
             <body>Checking your connection before reaching the site.</body></html>",
        ),
        // Handled by the caller; kept total for safety.
        FaultKind::Drop | FaultKind::DropAfterApply | FaultKind::Delay(_) => Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "unexpected fault",
            request_id,
        ),
    }
}

// The bodies of 401/403 are "human-readable" per Ashby's docs but their exact format is not
// documented; the mock sends its usual envelope with codes of its own choosing.
fn unauthorized(request_id: &str) -> Reply {
    Reply::error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "No API key was provided: send HTTP Basic auth with the API key as username \
         and an empty password.",
        request_id,
    )
}

fn forbidden(request_id: &str) -> Reply {
    Reply::error(
        StatusCode::FORBIDDEN,
        "invalid_api_key",
        "The API key is not valid or has been deactivated.",
        request_id,
    )
}

fn missing_permission(permission: &str, path: &str, request_id: &str) -> Reply {
    Reply::error(
        StatusCode::FORBIDDEN,
        "missing_endpoint_permission",
        &format!("The API key lacks the {permission} permission required by {path}."),
        request_id,
    )
}

/// Normal handling: routing, auth, rate limit, permission, body checks, endpoint.
fn process(shared: &Shared, req: &RequestParts, request_id: &str) -> Reply {
    if req.method != "POST" {
        return Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &format!(
                "{} is not supported: every Ashby endpoint takes POST",
                req.method
            ),
            request_id,
        )
        .with_header("Allow", "POST".to_owned());
    }
    if req.path == WEBHOOK_PATH {
        // The mock doubles as a response-webhook receiver: it takes any JSON.
        return match serde_json::from_slice::<Value>(&req.body) {
            Ok(_) => Reply::ok(json!({"received": true})),
            Err(e) => Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                &format!("the webhook body is not JSON: {e}"),
                request_id,
            ),
        };
    }
    let Some(endpoint) = endpoint(&req.path) else {
        return Reply::error(
            StatusCode::NOT_FOUND,
            "endpoint_not_found",
            &format!("There is no endpoint at {}", req.path),
            request_id,
        );
    };
    let key = match &req.auth {
        Auth::Missing | Auth::Malformed => return unauthorized(request_id),
        Auth::Key(key) if !shared.api_keys.contains(key) => return forbidden(request_id),
        Auth::Key(key) => key,
    };
    if let Some(seconds) = shared.over_rate_limit(key) {
        return Reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            &format!("Rate limit exceeded for this API key. Try again in {seconds} seconds."),
            request_id,
        )
        .with_header("Retry-After", seconds.to_string());
    }
    if !shared.granted(endpoint.permission) {
        return missing_permission(endpoint.permission, &req.path, request_id);
    }
    let invalid =
        |message: &str| Reply::error(StatusCode::OK, "invalid_input", message, request_id);
    let is_json = req.content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
    });
    if !is_json {
        return invalid("The Content-Type header must be application/json.");
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(body) => body,
        Err(_) => return invalid("Request payload is malformed: the body is not valid JSON."),
    };
    let map = match &body {
        Value::Object(map) => map,
        Value::Array(_) => {
            return invalid(
                "Batched requests are not supported: send one JSON object per request.",
            );
        }
        _ => return invalid("Request payload is malformed: the body must be a JSON object."),
    };
    let args = Args::root(map);
    let result = {
        let mut store = lock(&shared.store);
        (endpoint.handler)(&mut store, &args)
    };
    match result {
        Ok(results) => Reply::ok(results),
        Err(e) => Reply::error(StatusCode::OK, &e.code, &e.message, request_id),
    }
}

// ---------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------

type Handler = fn(&mut Store, &Args<'_>) -> ApiResult<Value>;

struct Endpoint {
    path: &'static str,
    permission: &'static str,
    handler: Handler,
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/application.create",
        permission: "candidatesWrite",
        handler: application_create,
    },
    Endpoint {
        path: "/application.update",
        permission: "candidatesWrite",
        handler: application_update,
    },
    Endpoint {
        path: "/application.info",
        permission: "candidatesRead",
        handler: application_info,
    },
    Endpoint {
        path: "/candidate.create",
        permission: "candidatesWrite",
        handler: candidate_create,
    },
    Endpoint {
        path: "/candidate.update",
        permission: "candidatesWrite",
        handler: candidate_update,
    },
    Endpoint {
        path: "/candidate.search",
        permission: "candidatesRead",
        handler: candidate_search,
    },
    Endpoint {
        path: "/candidate.info",
        permission: "candidatesRead",
        handler: candidate_info,
    },
    Endpoint {
        path: "/customField.setValues",
        permission: "candidatesWrite",
        handler: custom_field_set_values,
    },
    Endpoint {
        path: "/customField.setValue",
        permission: "candidatesWrite",
        handler: custom_field_set_value,
    },
    Endpoint {
        path: "/job.create",
        permission: "jobsWrite",
        handler: job_create,
    },
    Endpoint {
        path: "/job.update",
        permission: "jobsWrite",
        handler: job_update,
    },
    Endpoint {
        path: "/job.info",
        permission: "jobsRead",
        handler: job_info,
    },
    Endpoint {
        path: "/opening.create",
        permission: "jobsWrite",
        handler: opening_create,
    },
    Endpoint {
        path: "/opening.update",
        permission: "jobsWrite",
        handler: opening_update,
    },
    Endpoint {
        path: "/offerProcess.start",
        permission: "offersWrite",
        handler: offer_process_start,
    },
];

fn endpoint(path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.path == path)
}

/// Paths of every endpoint the mock implements.
pub fn endpoint_paths() -> Vec<&'static str> {
    ENDPOINTS.iter().map(|e| e.path).collect()
}

// ---------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------

struct ApiError {
    code: String,
    message: String,
}

type ApiResult<T> = Result<T, ApiError>;

fn invalid_input(message: String) -> ApiError {
    ApiError {
        code: "invalid_input".to_owned(),
        message,
    }
}

/// `<kind>_not_found`, e.g. `candidate_not_found`.
fn not_found(kind: &str, id: &str) -> ApiError {
    let human = kind.replace('_', " ");
    let mut chars = human.chars();
    let capitalised = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default();
    ApiError {
        code: format!("{kind}_not_found"),
        message: format!(
            "{capitalised} not found: no {human} with id {id} exists, or the API key cannot see it."
        ),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(field: &str, expected: &str, value: &Value) -> ApiError {
    invalid_input(format!(
        "`{field}` must be {expected}, but {} was given.",
        json_type(value)
    ))
}

fn v_str(value: &Value, field: &str) -> ApiResult<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| wrong_type(field, "a string", value))
}

fn v_nonempty(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if text.trim().is_empty() {
        return Err(invalid_input(format!("`{field}` must not be empty.")));
    }
    Ok(text)
}

fn v_bool(value: &Value, field: &str) -> ApiResult<bool> {
    value
        .as_bool()
        .ok_or_else(|| wrong_type(field, "a boolean", value))
}

fn v_uint(value: &Value, field: &str) -> ApiResult<u64> {
    value
        .as_u64()
        .ok_or_else(|| wrong_type(field, "a non-negative integer", value))
}

fn v_object<'v>(value: &'v Value, field: &str) -> ApiResult<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(field, "an object", value))
}

fn v_array<'v>(value: &'v Value, field: &str) -> ApiResult<&'v Vec<Value>> {
    value
        .as_array()
        .ok_or_else(|| wrong_type(field, "an array", value))
}

fn v_uuid(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !is_uuid(&text) {
        return Err(invalid_input(format!(
            "`{field}` must be a UUID, got {text:?}."
        )));
    }
    Ok(text)
}

fn v_email(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !is_email(&text) {
        return Err(invalid_input(format!(
            "`{field}` must be a valid email address, got {text:?}."
        )));
    }
    Ok(text)
}

fn v_url(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !is_url(&text) {
        return Err(invalid_input(format!(
            "`{field}` must be a valid http(s) URL, got {text:?}."
        )));
    }
    Ok(text)
}

fn v_date(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !is_date(&text) {
        return Err(invalid_input(format!(
            "`{field}` must be a date in YYYY-MM-DD format, got {text:?}."
        )));
    }
    Ok(text)
}

fn v_datetime(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !is_datetime(&text) {
        return Err(invalid_input(format!(
            "`{field}` must be an ISO 8601 date-time with a time zone \
             (e.g. 2026-01-31T12:00:00Z), got {text:?}."
        )));
    }
    Ok(text)
}

fn v_enum(value: &Value, field: &str, allowed: &[&str]) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !allowed.contains(&text.as_str()) {
        return Err(invalid_input(format!(
            "`{field}` must be one of {}, got {text:?}.",
            allowed
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(text)
}

fn v_uuid_list(value: &Value, field: &str) -> ApiResult<Vec<String>> {
    v_array(value, field)?
        .iter()
        .enumerate()
        .map(|(i, item)| v_uuid(item, &format!("{field}[{i}]")))
        .collect()
}

/// A JSON object being validated; `prefix` names nested objects in messages.
struct Args<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Args<'a> {
    fn root(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            prefix: String::new(),
        }
    }

    fn nested(map: &'a Map<String, Value>, prefix: String) -> Self {
        Self { map, prefix }
    }

    fn name(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        }
    }

    /// The field's value; `null` counts as absent.
    fn raw(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn opt<T>(
        &self,
        field: &str,
        convert: impl FnOnce(&'a Value, &str) -> ApiResult<T>,
    ) -> ApiResult<Option<T>> {
        match self.raw(field) {
            None => Ok(None),
            Some(value) => convert(value, &self.name(field)).map(Some),
        }
    }

    fn req<T>(
        &self,
        field: &str,
        convert: impl FnOnce(&'a Value, &str) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.opt(field, convert)?.ok_or_else(|| {
            invalid_input(format!(
                "`{}` is required but was missing.",
                self.name(field)
            ))
        })
    }

    fn opt_enum(&self, field: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        self.opt(field, |v, f| v_enum(v, f, allowed))
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, len)| is_hex(part, len))
}

fn is_email(text: &str) -> bool {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty()
        && !host.starts_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// `YYYY-MM-DD`, a real calendar date.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (
        digits(&text[0..4]),
        digits(&text[5..7]),
        digits(&text[8..10]),
    ) else {
        return false;
    };
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or `±HH:MM`.
fn is_datetime(text: &str) -> bool {
    if !text.is_ascii() || text.len() < 17 {
        return false;
    }
    let (date, rest) = text.split_at(10);
    if !is_date(date) || !rest.starts_with('T') {
        return false;
    }
    let rest = &rest[1..];
    let (time, zone) = if let Some(time) = rest.strip_suffix('Z') {
        (time, None)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let (time, zone) = rest.split_at(rest.len() - 6);
        (time, Some(&zone[1..]))
    } else {
        return false;
    };
    if let Some(zone) = zone {
        let ok = zone.as_bytes().get(2) == Some(&b':')
            && digits(&zone[0..2]).is_some_and(|h| h <= 23)
            && digits(&zone[3..5]).is_some_and(|m| m <= 59);
        if !ok {
            return false;
        }
    }
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let fields: Vec<&str> = clock.split(':').collect();
    let limits = [23, 59, 60];
    match fields.len() {
        2 if fraction.is_none() => {}
        3 => {}
        _ => return false,
    }
    fields
        .iter()
        .zip(limits)
        .all(|(f, max)| f.len() == 2 && digits(f).is_some_and(|n| n <= max))
}

// ---------------------------------------------------------------------------------------
// Ids and time
// ---------------------------------------------------------------------------------------

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// A fresh UUID v4-looking id.
fn new_id() -> String {
    let hi = random_u64();
    let lo = random_u64();
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// A 26-character, upper-case, ULID-like request id (time prefix + randomness).
fn request_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let random = (u128::from(random_u64()) << 64) | u128::from(random_u64());
    let value = ((millis & 0xffff_ffff_ffff) << 80) | (random & ((1u128 << 80) - 1));
    (0..26)
        .rev()
        .map(|i| {
            let index = ((value >> (i * 5)) & 0x1f) as usize;
            char::from(ALPHABET[index])
        })
        .collect()
}

/// Current time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn now_iso() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to a (year, month, day) civil date.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

// ---------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------

const EMPLOYMENT_TYPES: &[&str] = &["FullTime", "PartTime", "Intern", "Contract", "Temporary"];
const SOCIAL_LINK_TYPES: &[&str] = &[
    "LinkedIn",
    "GitHub",
    "Twitter",
    "Medium",
    "StackOverflow",
    "YouTube",
    "CodePen",
    "Website",
];
const OBJECT_TYPES: &[&str] = &["Application", "Candidate", "Job", "Opening"];
const COMPENSATION_INTERVALS: &[&str] = &[
    "NONE",
    "1 TIME",
    "1 HOUR",
    "1 DAY",
    "1 WEEK",
    "2 WEEK",
    "1 MONTH",
    "2 MONTH",
    "1 YEAR",
    "6 MONTH",
    "0.5 MONTH",
    "3 MONTH",
];
/// Offer-process statuses after which a new process may be started.
const FINISHED_OFFER_STATUSES: &[&str] =
    &["CandidateAccepted", "CandidateRejected", "OfferCancelled"];

struct CustomFieldDef {
    id: &'static str,
    title: &'static str,
    object_type: &'static str,
    field_type: &'static str,
    options: &'static [&'static str],
}

const CUSTOM_FIELDS: &[CustomFieldDef] = &[
    CustomFieldDef {
        id: fixtures::NOTICE_PERIOD_FIELD_ID,
        title: "Notice period (days)",
        object_type: "Candidate",
        field_type: "Number",
        options: &[],
    },
    CustomFieldDef {
        id: fixtures::RELOCATION_FIELD_ID,
        title: "Relocation",
        object_type: "Candidate",
        field_type: "Boolean",
        options: &[],
    },
    CustomFieldDef {
        id: fixtures::SENIORITY_FIELD_ID,
        title: "Seniority",
        object_type: "Application",
        field_type: "ValueSelect",
        options: &fixtures::SENIORITY_OPTIONS,
    },
    CustomFieldDef {
        id: fixtures::START_AVAILABILITY_FIELD_ID,
        title: "Start availability",
        object_type: "Application",
        field_type: "Date",
        options: &[],
    },
    CustomFieldDef {
        id: fixtures::TEAM_SIZE_FIELD_ID,
        title: "Team size",
        object_type: "Job",
        field_type: "Number",
        options: &[],
    },
];

struct Store {
    teams: Map<String, Value>,
    locations: Map<String, Value>,
    interview_plans: Map<String, Value>,
    /// Stages of every plan, each with `interviewPlanId` and `orderInInterviewPlan`.
    stages: Vec<Value>,
    sources: Map<String, Value>,
    users: Map<String, Value>,
    candidates: Map<String, Value>,
    applications: Map<String, Value>,
    jobs: Map<String, Value>,
    openings: Map<String, Value>,
    offer_processes: Map<String, Value>,
    custom_field_values: BTreeMap<String, BTreeMap<String, Value>>,
    opening_counter: u32,
}

fn keyed(values: Vec<Value>) -> Map<String, Value> {
    values
        .into_iter()
        .filter_map(|v| {
            let id = v.get("id")?.as_str()?.to_owned();
            Some((id, v))
        })
        .collect()
}

impl Store {
    fn seeded() -> Self {
        use fixtures::*;
        let user = json!({
            "id": USER_ID,
            "firstName": "Riley",
            "lastName": "Recruiter",
            "email": "riley.recruiter@example.com",
            "globalRole": "Elevated Access",
            "isEnabled": true,
            "updatedAt": SEED_TIME,
            "managerId": null,
        });
        let stage = |id: &str, title: &str, kind: &str, order: u32| {
            json!({
                "id": id,
                "title": title,
                "type": kind,
                "orderInInterviewPlan": order,
                "interviewStageGroupId": null,
                "interviewPlanId": INTERVIEW_PLAN_ID,
            })
        };
        let job = json!({
            "id": JOB_ID,
            "title": JOB_TITLE,
            "confidential": false,
            "status": "Open",
            "employmentType": "FullTime",
            "locationId": LOCATION_ID,
            "departmentId": TEAM_ID,
            "defaultInterviewPlanId": INTERVIEW_PLAN_ID,
            "interviewPlanIds": [INTERVIEW_PLAN_ID],
            "customFields": [],
            "jobPostingIds": [],
            "customRequisitionId": null,
            "brandId": null,
            "hiringTeam": [],
            "author": user.clone(),
            "createdAt": SEED_TIME,
            "updatedAt": SEED_TIME,
            "openedAt": SEED_TIME,
            "closedAt": null,
        });
        let opening = json!({
            "id": OPENING_ID,
            "openedAt": null,
            "closedAt": null,
            "isArchived": false,
            "archivedAt": null,
            "closeReasonId": null,
            "openingState": "Draft",
            "latestVersion": {
                "id": OPENING_VERSION_ID,
                "identifier": "ENG-1",
                "description": "Backend engineer for the platform team",
                "authorId": USER_ID,
                "createdAt": SEED_TIME,
                "teamId": TEAM_ID,
                "jobIds": [JOB_ID],
                "targetHireDate": null,
                "targetStartDate": null,
                "isBackfill": false,
                "employmentType": "FullTime",
                "locationIds": [LOCATION_ID],
                "hiringTeam": [],
                "customFields": [],
            },
        });
        Self {
            teams: keyed(vec![json!({
                "id": TEAM_ID,
                "name": TEAM_NAME,
                "isArchived": false,
                "parentTeamId": null,
            })]),
            locations: keyed(vec![json!({
                "id": LOCATION_ID,
                "name": LOCATION_NAME,
                "externalName": LOCATION_NAME,
                "isArchived": false,
                "address": { "postalAddress": {} },
                "isRemote": true,
                "workplaceType": "Remote",
                "parentLocationId": null,
                "type": "Location",
            })]),
            interview_plans: keyed(vec![json!({
                "id": INTERVIEW_PLAN_ID,
                "title": "Engineering interview plan",
                "isArchived": false,
            })]),
            stages: vec![
                stage(LEAD_STAGE_ID, "Lead", "Lead", 0),
                stage(SCREEN_STAGE_ID, "Recruiter screen", "PreInterviewScreen", 1),
                stage(OFFER_STAGE_ID, "Offer", "Offer", 2),
            ],
            sources: keyed(vec![json!({
                "id": SOURCE_ID,
                "title": "Referral",
                "isArchived": false,
            })]),
            users: keyed(vec![user]),
            candidates: Map::new(),
            applications: Map::new(),
            jobs: keyed(vec![job]),
            openings: keyed(vec![opening]),
            offer_processes: Map::new(),
            custom_field_values: BTreeMap::new(),
            opening_counter: 1,
        }
    }

    fn snapshot(&self) -> StateSnapshot {
        StateSnapshot {
            candidates: self
                .candidates
                .values()
                .map(|c| self.render_candidate(c))
                .collect(),
            applications: self
                .applications
                .values()
                .map(|a| self.render_application(a))
                .collect(),
            jobs: self.jobs.values().map(|j| self.render_job(j)).collect(),
            openings: self
                .openings
                .values()
                .map(|o| self.render_opening(o))
                .collect(),
            offer_processes: self.offer_processes.values().cloned().collect(),
            custom_field_values: self.custom_field_values.clone(),
        }
    }

    // --- lookups -----------------------------------------------------------------------

    fn lookup(map: &Map<String, Value>, kind: &str, id: &str) -> ApiResult<Value> {
        map.get(id).cloned().ok_or_else(|| not_found(kind, id))
    }

    fn require(map: &Map<String, Value>, kind: &str, id: &str) -> ApiResult<()> {
        if map.contains_key(id) {
            Ok(())
        } else {
            Err(not_found(kind, id))
        }
    }

    fn plan_stages(&self, plan_id: &str) -> Vec<&Value> {
        let mut stages: Vec<&Value> = self
            .stages
            .iter()
            .filter(|s| s["interviewPlanId"] == plan_id)
            .collect();
        stages.sort_by_key(|s| s["orderInInterviewPlan"].as_u64());
        stages
    }

    fn stage_in_plan(&self, plan_id: &str, stage_id: &str) -> ApiResult<Value> {
        self.plan_stages(plan_id)
            .into_iter()
            .find(|s| s["id"] == stage_id)
            .cloned()
            .ok_or_else(|| ApiError {
                code: "interview_stage_not_found".to_owned(),
                message: format!(
                    "Interview stage not found: no stage with id {stage_id} exists in \
                     interview plan {plan_id}."
                ),
            })
    }

    // --- rendering ---------------------------------------------------------------------

    fn custom_field_values_of(&self, object_id: &str) -> Vec<Value> {
        self.custom_field_values
            .get(object_id)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|(field_id, value)| {
                        let def = CUSTOM_FIELDS.iter().find(|d| d.id == field_id)?;
                        Some(custom_field_value(def, value))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn render_candidate(&self, candidate: &Value) -> Value {
        let mut out = candidate.clone();
        let id = candidate["id"].as_str().unwrap_or_default();
        out["customFields"] = Value::Array(self.custom_field_values_of(id));
        out
    }

    fn candidate_summary(&self, candidate_id: &str) -> Value {
        let Some(candidate) = self.candidates.get(candidate_id) else {
            return json!({ "id": candidate_id });
        };
        let mut summary = Map::new();
        summary.insert("id".to_owned(), candidate["id"].clone());
        summary.insert("name".to_owned(), candidate["name"].clone());
        for key in ["primaryEmailAddress", "primaryPhoneNumber"] {
            if let Some(value) = candidate.get(key) {
                summary.insert(key.to_owned(), value.clone());
            }
        }
        Value::Object(summary)
    }

    fn job_summary(&self, job_id: &str) -> Value {
        match self.jobs.get(job_id) {
            Some(job) => json!({
                "id": job["id"],
                "title": job["title"],
                "locationId": job["locationId"],
                "departmentId": job["departmentId"],
            }),
            None => json!({ "id": job_id }),
        }
    }

    fn render_application(&self, application: &Value) -> Value {
        let mut out = application.clone();
        let id = application["id"].as_str().unwrap_or_default();
        let candidate_id = application["candidate"]["id"].as_str().unwrap_or_default();
        let job_id = application["job"]["id"].as_str().unwrap_or_default();
        out["candidate"] = self.candidate_summary(candidate_id);
        out["job"] = self.job_summary(job_id);
        out["customFields"] = Value::Array(self.custom_field_values_of(id));
        out
    }

    fn render_job(&self, job: &Value) -> Value {
        let mut out = job.clone();
        let id = job["id"].as_str().unwrap_or_default();
        out["customFields"] = Value::Array(self.custom_field_values_of(id));
        out
    }

    fn render_opening(&self, opening: &Value) -> Value {
        let mut out = opening.clone();
        let id = opening["id"].as_str().unwrap_or_default();
        if let Some(version) = out.get_mut("latestVersion") {
            version["customFields"] = Value::Array(self.custom_field_values_of(id));
        }
        out
    }
}

fn custom_field_value(def: &CustomFieldDef, value: &Value) -> Value {
    let mut out = json!({
        "id": def.id,
        "isPrivate": false,
        "title": def.title,
        "value": value,
    });
    if matches!(def.field_type, "ValueSelect" | "MultiValueSelect") && !value.is_null() {
        // Option labels equal their values in the seeded fields.
        out["valueLabel"] = value.clone();
    }
    out
}

fn candidate_has_email(candidate: &Value, email: &str) -> bool {
    let wanted = email.trim();
    candidate["emailAddresses"].as_array().is_some_and(|list| {
        list.iter().any(|e| {
            e["value"]
                .as_str()
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(wanted))
        })
    })
}

fn contact(value: &str, primary: bool) -> Value {
    json!({ "value": value, "type": "Personal", "isPrimary": primary })
}

fn build_location(args: &Args<'_>) -> ApiResult<Value> {
    let mut components = Vec::new();
    let mut summary = Vec::new();
    for (field, kind) in [
        ("city", "City"),
        ("region", "Region"),
        ("country", "Country"),
    ] {
        if let Some(name) = args.opt(field, v_str)? {
            summary.push(name.clone());
            components.push(json!({ "type": kind, "name": name }));
        }
    }
    Ok(json!({
        "id": new_id(),
        "locationSummary": summary.join(", "),
        "locationComponents": components,
    }))
}

/// Sets `value` as the primary entry of a contact list (`emailAddresses`/`phoneNumbers`),
/// keeping earlier entries as non-primary, and mirrors it in `primary_key`.
fn set_primary_contact(
    candidate: &mut Map<String, Value>,
    list_key: &str,
    primary_key: &str,
    value: &str,
) {
    let mut list = candidate
        .get(list_key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut found = false;
    for entry in &mut list {
        let same = entry["value"]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(value));
        entry["isPrimary"] = Value::Bool(same);
        found |= same;
    }
    if !found {
        list.insert(0, contact(value, true));
    }
    let primary = list
        .iter()
        .find(|e| e["isPrimary"] == true)
        .cloned()
        .unwrap_or_else(|| contact(value, true));
    candidate.insert(list_key.to_owned(), Value::Array(list));
    candidate.insert(primary_key.to_owned(), primary);
}

fn set_social_link(links: &mut Vec<Value>, kind: &str, url: &str) {
    match links.iter_mut().find(|l| l["type"] == kind) {
        Some(link) => link["url"] = Value::String(url.to_owned()),
        None => links.push(json!({ "type": kind, "url": url })),
    }
}

fn status_for_stage(stage_type: &str) -> &'static str {
    match stage_type {
        "Lead" => "Lead",
        "Hired" => "Hired",
        "Archived" => "Archived",
        _ => "Active",
    }
}

// --- candidate.* -------------------------------------------------------------------------

fn candidate_create(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let name = a.req("name", v_nonempty)?;
    let email = a.opt("email", v_email)?;
    let phone = a.opt("phoneNumber", v_nonempty)?;
    let linkedin = a.opt("linkedInUrl", v_url)?;
    let github = a.opt("githubUrl", v_url)?;
    let website = a.opt("website", v_url)?;
    let alternates = a.opt("alternateEmailAddresses", |v, f| {
        v_array(v, f)?
            .iter()
            .enumerate()
            .map(|(i, item)| v_email(item, &format!("{f}[{i}]")))
            .collect::<ApiResult<Vec<_>>>()
    })?;
    let source_id = a.opt("sourceId", v_uuid)?;
    let credited_id = a.opt("creditedToUserId", v_uuid)?;
    let location = a.opt("location", v_object)?;
    let location = location
        .map(|m| build_location(&Args::nested(m, a.name("location"))))
        .transpose()?;
    let created_at = a.opt("createdAt", v_datetime)?;

    let source = source_id
        .map(|id| Store::lookup(&store.sources, "source", &id))
        .transpose()?;
    let credited = credited_id
        .map(|id| Store::lookup(&store.users, "user", &id))
        .transpose()?;

    let id = new_id();
    let now = now_iso();
    let mut emails = Vec::new();
    if let Some(email) = &email {
        emails.push(contact(email, true));
    }
    for alt in alternates.unwrap_or_default() {
        let duplicate = emails.iter().any(|e| {
            e["value"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(&alt))
        });
        if !duplicate {
            emails.push(contact(&alt, false));
        }
    }
    let mut links = Vec::new();
    for (kind, url) in [
        ("LinkedIn", linkedin),
        ("GitHub", github),
        ("Website", website),
    ] {
        if let Some(url) = url {
            links.push(json!({ "type": kind, "url": url }));
        }
    }
    let mut candidate = Map::new();
    candidate.insert("id".into(), json!(id));
    candidate.insert(
        "createdAt".into(),
        json!(created_at.unwrap_or_else(|| now.clone())),
    );
    candidate.insert("updatedAt".into(), json!(now));
    candidate.insert("name".into(), json!(name.trim()));
    if let Some(email) = &email {
        candidate.insert("primaryEmailAddress".into(), contact(email, true));
    }
    candidate.insert("emailAddresses".into(), Value::Array(emails));
    let phones = match &phone {
        Some(phone) => {
            candidate.insert("primaryPhoneNumber".into(), contact(phone, true));
            vec![contact(phone, true)]
        }
        None => Vec::new(),
    };
    candidate.insert("phoneNumbers".into(), Value::Array(phones));
    candidate.insert("socialLinks".into(), Value::Array(links));
    candidate.insert("tags".into(), json!([]));
    candidate.insert("applicationIds".into(), json!([]));
    candidate.insert("fileHandles".into(), json!([]));
    candidate.insert("customFields".into(), json!([]));
    candidate.insert(
        "profileUrl".into(),
        json!(format!(
            "https://app.ashbyhq.com/candidate-searches/new/right-side/candidates/{id}"
        )),
    );
    candidate.insert("source".into(), source.unwrap_or(Value::Null));
    candidate.insert("creditedToUser".into(), credited.unwrap_or(Value::Null));
    candidate.insert("timezone".into(), Value::Null);
    if let Some(location) = location {
        candidate.insert("location".into(), location);
    }
    let candidate = Value::Object(candidate);
    let rendered = store.render_candidate(&candidate);
    store.candidates.insert(id, candidate);
    Ok(rendered)
}

fn candidate_update(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("candidateId", v_uuid)?;
    let name = a.opt("name", v_nonempty)?;
    let email = a.opt("email", v_email)?;
    let phone = a.opt("phoneNumber", v_nonempty)?;
    let linkedin = a.opt("linkedInUrl", v_url)?;
    let github = a.opt("githubUrl", v_url)?;
    let website = a.opt("websiteUrl", v_url)?;
    let alternate = a.opt("alternateEmail", v_email)?;
    let social_links = a.opt("socialLinks", |v, f| {
        v_array(v, f)?
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("{f}[{i}]");
                let link = Args::nested(v_object(item, &field)?, field);
                let kind = link.req("type", |v, f| v_enum(v, f, SOCIAL_LINK_TYPES))?;
                let url = link.req("url", v_url)?;
                Ok(json!({ "type": kind, "url": url }))
            })
            .collect::<ApiResult<Vec<_>>>()
    })?;
    let source_id = a.opt("sourceId", v_uuid)?;
    let credited_id = a.opt("creditedToUserId", v_uuid)?;
    let location = a.opt("location", v_object)?;
    let location = location
        .map(|m| build_location(&Args::nested(m, a.name("location"))))
        .transpose()?;
    let created_at = a.opt("createdAt", v_datetime)?;
    a.opt("sendNotifications", v_bool)?;

    Store::require(&store.candidates, "candidate", &id)?;
    let source = source_id
        .map(|sid| Store::lookup(&store.sources, "source", &sid))
        .transpose()?;
    let credited = credited_id
        .map(|uid| Store::lookup(&store.users, "user", &uid))
        .transpose()?;

    let Some(candidate) = store.candidates.get_mut(&id).and_then(Value::as_object_mut) else {
        return Err(not_found("candidate", &id));
    };
    if let Some(name) = name {
        candidate.insert("name".into(), json!(name.trim()));
    }
    if let Some(email) = email {
        set_primary_contact(candidate, "emailAddresses", "primaryEmailAddress", &email);
    }
    if let Some(phone) = phone {
        set_primary_contact(candidate, "phoneNumbers", "primaryPhoneNumber", &phone);
    }
    if let Some(alternate) = alternate {
        let mut emails = candidate
            .get("emailAddresses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let known = emails.iter().any(|e| {
            e["value"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(&alternate))
        });
        if !known {
            emails.push(contact(&alternate, false));
        }
        candidate.insert("emailAddresses".into(), Value::Array(emails));
    }
    // A `socialLinks` list replaces every link and makes the single-URL fields ignored.
    if let Some(links) = social_links {
        candidate.insert("socialLinks".into(), Value::Array(links));
    } else {
        let mut links = candidate
            .get("socialLinks")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (kind, url) in [
            ("LinkedIn", linkedin),
            ("GitHub", github),
            ("Website", website),
        ] {
            if let Some(url) = url {
                set_social_link(&mut links, kind, &url);
            }
        }
        candidate.insert("socialLinks".into(), Value::Array(links));
    }
    if let Some(source) = source {
        candidate.insert("source".into(), source);
    }
    if let Some(credited) = credited {
        candidate.insert("creditedToUser".into(), credited);
    }
    if let Some(location) = location {
        candidate.insert("location".into(), location);
    }
    if let Some(created_at) = created_at {
        candidate.insert("createdAt".into(), json!(created_at));
    }
    candidate.insert("updatedAt".into(), json!(now_iso()));
    let candidate = Value::Object(candidate.clone());
    Ok(store.render_candidate(&candidate))
}

fn candidate_search(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let email = a.opt("email", v_str)?.filter(|e| !e.trim().is_empty());
    let name = a.opt("name", v_str)?.filter(|n| !n.trim().is_empty());
    if email.is_none() && name.is_none() {
        return Err(invalid_input(
            "Provide at least one of `email` or `name` to search candidates.".to_owned(),
        ));
    }
    let needle = name.map(|n| n.trim().to_lowercase());
    let results: Vec<Value> = store
        .candidates
        .values()
        .filter(|c| email.as_deref().is_none_or(|e| candidate_has_email(c, e)))
        .filter(|c| {
            needle.as_deref().is_none_or(|n| {
                c["name"]
                    .as_str()
                    .is_some_and(|name| name.to_lowercase().contains(n))
            })
        })
        .take(SEARCH_LIMIT)
        .map(|c| store.render_candidate(c))
        .collect();
    Ok(Value::Array(results))
}

fn candidate_info(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.opt("id", v_uuid)?;
    let external = a.opt("externalMappingId", v_nonempty)?;
    match (id, external) {
        (Some(id), _) => {
            let candidate = Store::lookup(&store.candidates, "candidate", &id)?;
            Ok(store.render_candidate(&candidate))
        }
        // The mock keeps no external mappings, so such lookups never match.
        (None, Some(external)) => Err(ApiError {
            code: "candidate_not_found".to_owned(),
            message: format!(
                "Candidate not found: no candidate has external mapping id {external:?}."
            ),
        }),
        (None, None) => Err(invalid_input(
            "Provide `id` (or `externalMappingId`) of the candidate to fetch.".to_owned(),
        )),
    }
}

// --- application.* -----------------------------------------------------------------------

struct HistoryEntry {
    stage_id: String,
    stage_number: u64,
    entered_at: String,
}

fn application_create(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let candidate_id = a.req("candidateId", v_uuid)?;
    let job_id = a.req("jobId", v_uuid)?;
    let plan_id = a.opt("interviewPlanId", v_uuid)?;
    let stage_id = a.opt("interviewStageId", |v, f| {
        let text = v_str(v, f)?;
        if text == "FirstPreInterviewScreen" || is_uuid(&text) {
            Ok(text)
        } else {
            Err(invalid_input(format!(
                "`{f}` must be a UUID or \"FirstPreInterviewScreen\", got {text:?}."
            )))
        }
    })?;
    let source_id = a.opt("sourceId", v_uuid)?;
    let credited_id = a.opt("creditedToUserId", v_uuid)?;
    let created_at = a.opt("createdAt", v_datetime)?;
    let history = a.opt("applicationHistory", |v, f| {
        v_array(v, f)?
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("{f}[{i}]");
                let entry = Args::nested(v_object(item, &field)?, field);
                let stage_id = entry.req("stageId", v_uuid)?;
                let stage_number = entry.req("stageNumber", v_uint)?;
                let entered_at = entry.req("enteredStageAt", v_datetime)?;
                if let Some(reason) = entry.opt("archiveReasonId", v_uuid)? {
                    // The mock organisation has no archive reasons.
                    return Err(not_found("archive_reason", &reason));
                }
                Ok(HistoryEntry {
                    stage_id,
                    stage_number,
                    entered_at,
                })
            })
            .collect::<ApiResult<Vec<_>>>()
    })?;

    Store::require(&store.candidates, "candidate", &candidate_id)?;
    let job = Store::lookup(&store.jobs, "job", &job_id)?;
    let plan_id = match plan_id {
        Some(plan_id) => {
            Store::require(&store.interview_plans, "interview_plan", &plan_id)?;
            plan_id
        }
        None => job["defaultInterviewPlanId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                invalid_input(format!(
                    "Job {job_id} has no default interview plan; pass `interviewPlanId`."
                ))
            })?,
    };
    let source = source_id
        .map(|id| Store::lookup(&store.sources, "source", &id))
        .transpose()?;
    let credited = credited_id
        .map(|id| Store::lookup(&store.users, "user", &id))
        .transpose()?;
    let history = history.unwrap_or_default();
    for entry in &history {
        store.stage_in_plan(&plan_id, &entry.stage_id)?;
    }
    let stage = match stage_id.as_deref() {
        Some("FirstPreInterviewScreen") => store
            .plan_stages(&plan_id)
            .into_iter()
            .find(|s| s["type"] == "PreInterviewScreen")
            .cloned()
            .ok_or_else(|| ApiError {
                code: "interview_stage_not_found".to_owned(),
                message: format!(
                    "Interview stage not found: plan {plan_id} has no pre-interview screen stage."
                ),
            })?,
        Some(stage_id) => store.stage_in_plan(&plan_id, stage_id)?,
        None => match history.iter().max_by_key(|h| h.stage_number) {
            Some(last) => store.stage_in_plan(&plan_id, &last.stage_id)?,
            None => {
                let stages = store.plan_stages(&plan_id);
                stages
                    .iter()
                    .find(|s| s["type"] == "Lead")
                    .or_else(|| stages.first())
                    .map(|s| (*s).clone())
                    .ok_or_else(|| ApiError {
                        code: "interview_stage_not_found".to_owned(),
                        message: format!(
                            "Interview stage not found: plan {plan_id} has no stages."
                        ),
                    })?
            }
        },
    };
    // Ashby does not document what happens when a candidate already has an application
    // for the job; the mock rejects the duplicate so tests notice double submissions.
    let duplicate = store.applications.values().any(|app| {
        app["candidate"]["id"] == candidate_id.as_str() && app["job"]["id"] == job_id.as_str()
    });
    if duplicate {
        return Err(invalid_input(
            "The candidate already has an application for this job.".to_owned(),
        ));
    }

    let id = new_id();
    let now = now_iso();
    let created_at = created_at.unwrap_or_else(|| now.clone());
    let stage_title = stage["title"].clone();
    let history_json: Vec<Value> = if history.is_empty() {
        vec![json!({
            "id": new_id(),
            "stageId": stage["id"],
            "title": stage_title,
            "stageNumber": 0,
            "enteredStageAt": created_at,
            "allowedActions": ["set_entered_at"],
            "actorId": null,
        })]
    } else {
        history
            .iter()
            .map(|h| {
                let title = store
                    .stages
                    .iter()
                    .find(|s| s["id"] == h.stage_id.as_str())
                    .map(|s| s["title"].clone())
                    .unwrap_or(Value::Null);
                json!({
                    "id": new_id(),
                    "stageId": h.stage_id,
                    "title": title,
                    "stageNumber": h.stage_number,
                    "enteredStageAt": h.entered_at,
                    "allowedActions": ["set_entered_at"],
                    "actorId": null,
                })
            })
            .collect()
    };
    let status = status_for_stage(stage["type"].as_str().unwrap_or_default());
    let application = json!({
        "id": id,
        "createdAt": created_at,
        "updatedAt": now,
        "status": status,
        "customFields": [],
        "candidate": { "id": candidate_id },
        "currentInterviewStage": stage,
        "source": source.unwrap_or(Value::Null),
        "archiveReason": null,
        "archivedAt": null,
        "job": { "id": job_id },
        "creditedToUser": credited.unwrap_or(Value::Null),
        "hiringTeam": [],
        "appliedViaJobPostingId": null,
        "submitterClientIp": null,
        "submitterUserAgent": null,
        "applicationHistory": history_json,
    });
    if let Some(candidate) = store.candidates.get_mut(&candidate_id) {
        if let Some(ids) = candidate["applicationIds"].as_array_mut() {
            ids.push(json!(id));
        }
        candidate["updatedAt"] = json!(now);
    }
    let rendered = store.render_application(&application);
    store.applications.insert(id, application);
    Ok(rendered)
}

fn application_update(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("applicationId", v_uuid)?;
    let source_id = a.opt("sourceId", v_uuid)?;
    let credited_id = a.opt("creditedToUserId", v_uuid)?;
    let created_at = a.opt("createdAt", v_datetime)?;
    a.opt("sendNotifications", v_bool)?;

    Store::require(&store.applications, "application", &id)?;
    let source = source_id
        .map(|sid| Store::lookup(&store.sources, "source", &sid))
        .transpose()?;
    let credited = credited_id
        .map(|uid| Store::lookup(&store.users, "user", &uid))
        .transpose()?;
    let Some(application) = store.applications.get_mut(&id) else {
        return Err(not_found("application", &id));
    };
    if let Some(source) = source {
        application["source"] = source;
    }
    if let Some(credited) = credited {
        application["creditedToUser"] = credited;
    }
    if let Some(created_at) = created_at {
        application["createdAt"] = json!(created_at);
    }
    application["updatedAt"] = json!(now_iso());
    let application = application.clone();
    Ok(store.render_application(&application))
}

fn application_info(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("applicationId", v_uuid)?;
    let application = Store::lookup(&store.applications, "application", &id)?;
    Ok(store.render_application(&application))
}

// --- job.* -------------------------------------------------------------------------------

fn job_create(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let title = a.req("title", v_nonempty)?;
    let team_id = a.req("teamId", v_uuid)?;
    let location_id = a.req("locationId", v_uuid)?;
    let plan_id = a.opt("defaultInterviewPlanId", v_uuid)?;
    let template_id = a.opt("jobTemplateId", v_uuid)?;
    let brand_id = a.opt("brandId", v_uuid)?;
    let employment_type = a.opt_enum("employmentType", EMPLOYMENT_TYPES)?;

    Store::require(&store.teams, "team", &team_id)?;
    Store::require(&store.locations, "location", &location_id)?;
    if let Some(plan_id) = &plan_id {
        Store::require(&store.interview_plans, "interview_plan", plan_id)?;
    }
    if let Some(template_id) = template_id {
        // The mock organisation has no job templates.
        return Err(not_found("job_template", &template_id));
    }

    let id = new_id();
    let now = now_iso();
    let job = json!({
        "id": id,
        "title": title.trim(),
        "confidential": false,
        "status": "Draft",
        "employmentType": employment_type.unwrap_or_else(|| "FullTime".to_owned()),
        "locationId": location_id,
        "departmentId": team_id,
        "defaultInterviewPlanId": plan_id,
        "interviewPlanIds": plan_id.iter().collect::<Vec<_>>(),
        "customFields": [],
        "jobPostingIds": [],
        "customRequisitionId": null,
        "brandId": brand_id,
        "hiringTeam": [],
        "createdAt": now,
        "updatedAt": now,
        "openedAt": null,
        "closedAt": null,
    });
    let rendered = store.render_job(&job);
    store.jobs.insert(id, job);
    Ok(rendered)
}

fn job_update(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("jobId", v_uuid)?;
    let title = a.opt("title", v_nonempty)?;
    let team_id = a.opt("teamId", v_uuid)?;
    let location_id = a.opt("locationId", v_uuid)?;
    let plan_id = a.opt("defaultInterviewPlanId", v_uuid)?;
    // Typed uuid in the published spec, but it is a free-form requisition code in practice.
    let requisition = a.opt("customRequisitionId", v_str)?;
    let employment_type = a.opt_enum("employmentType", EMPLOYMENT_TYPES)?;

    Store::require(&store.jobs, "job", &id)?;
    if let Some(team_id) = &team_id {
        Store::require(&store.teams, "team", team_id)?;
    }
    if let Some(location_id) = &location_id {
        Store::require(&store.locations, "location", location_id)?;
    }
    if let Some(plan_id) = &plan_id {
        Store::require(&store.interview_plans, "interview_plan", plan_id)?;
    }
    let Some(job) = store.jobs.get_mut(&id) else {
        return Err(not_found("job", &id));
    };
    if let Some(title) = title {
        job["title"] = json!(title.trim());
    }
    if let Some(team_id) = team_id {
        job["departmentId"] = json!(team_id);
    }
    if let Some(location_id) = location_id {
        job["locationId"] = json!(location_id);
    }
    if let Some(plan_id) = plan_id {
        job["defaultInterviewPlanId"] = json!(plan_id);
        if let Some(plans) = job["interviewPlanIds"].as_array_mut()
            && !plans.iter().any(|p| p == plan_id.as_str())
        {
            plans.push(json!(plan_id));
        }
    }
    if let Some(requisition) = requisition {
        job["customRequisitionId"] = json!(requisition);
    }
    if let Some(employment_type) = employment_type {
        job["employmentType"] = json!(employment_type);
    }
    job["updatedAt"] = json!(now_iso());
    let job = job.clone();
    Ok(store.render_job(&job))
}

fn job_info(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("id", v_uuid)?;
    a.opt("includeUnpublishedJobPostingsIds", v_bool)?;
    let expand = a
        .opt("expand", |v, f| {
            v_array(v, f)?
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    v_enum(
                        item,
                        &format!("{f}[{i}]"),
                        &["location", "openings", "compensation"],
                    )
                })
                .collect::<ApiResult<Vec<_>>>()
        })?
        .unwrap_or_default();
    let job = Store::lookup(&store.jobs, "job", &id)?;
    let mut out = store.render_job(&job);
    if expand.iter().any(|e| e == "location") {
        let location_id = job["locationId"].as_str().unwrap_or_default();
        out["location"] = store
            .locations
            .get(location_id)
            .cloned()
            .unwrap_or(Value::Null);
    }
    if expand.iter().any(|e| e == "openings") {
        let openings: Vec<Value> = store
            .openings
            .values()
            .filter(|o| {
                o["latestVersion"]["jobIds"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|j| j == id.as_str()))
            })
            .map(|o| store.render_opening(o))
            .collect();
        out["openings"] = Value::Array(openings);
    }
    if expand.iter().any(|e| e == "compensation") {
        out["compensation"] = json!({ "compensationTiers": [] });
    }
    Ok(out)
}

// --- opening.* ---------------------------------------------------------------------------

/// `employmentType` on openings also accepts "" (stored as the default, FullTime).
fn opening_employment_type(a: &Args<'_>) -> ApiResult<Option<String>> {
    let mut allowed = EMPLOYMENT_TYPES.to_vec();
    allowed.push("");
    Ok(a.opt_enum("employmentType", &allowed)?.map(|t| {
        if t.is_empty() {
            "FullTime".to_owned()
        } else {
            t
        }
    }))
}

fn opening_create(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let identifier = a.opt("identifier", v_str)?;
    let description = a.opt("description", v_str)?;
    let team_id = a.opt("teamId", v_uuid)?;
    let location_ids = a.opt("locationIds", v_uuid_list)?.unwrap_or_default();
    let job_ids = a.opt("jobIds", v_uuid_list)?.unwrap_or_default();
    let target_hire = a.opt("targetHireDate", v_date)?;
    let target_start = a.opt("targetStartDate", v_date)?;
    let backfill = a.opt("isBackfill", v_bool)?.unwrap_or(false);
    let employment_type = opening_employment_type(a)?.unwrap_or_else(|| "FullTime".to_owned());
    let state = a
        .opt_enum("openingState", &["Draft", "Approved", "Open", "Closed"])?
        .unwrap_or_else(|| "Draft".to_owned());

    if let Some(team_id) = &team_id {
        Store::require(&store.teams, "team", team_id)?;
    }
    for location_id in &location_ids {
        Store::require(&store.locations, "location", location_id)?;
    }
    for job_id in &job_ids {
        Store::require(&store.jobs, "job", job_id)?;
    }

    store.opening_counter += 1;
    let identifier = identifier.unwrap_or_else(|| store.opening_counter.to_string());
    let id = new_id();
    let now = now_iso();
    let opened_at = matches!(state.as_str(), "Open" | "Closed").then(|| now.clone());
    let closed_at = (state == "Closed").then(|| now.clone());
    let opening = json!({
        "id": id,
        "openedAt": opened_at,
        "closedAt": closed_at,
        "isArchived": false,
        "archivedAt": null,
        "closeReasonId": null,
        "openingState": state,
        "latestVersion": {
            "id": new_id(),
            "identifier": identifier,
            "description": description.unwrap_or_default(),
            "authorId": fixtures::USER_ID,
            "createdAt": now,
            "teamId": team_id,
            "jobIds": job_ids,
            "targetHireDate": target_hire,
            "targetStartDate": target_start,
            "isBackfill": backfill,
            "employmentType": employment_type,
            "locationIds": location_ids,
            "hiringTeam": [],
            "customFields": [],
        },
    });
    let rendered = store.render_opening(&opening);
    store.openings.insert(id, opening);
    Ok(rendered)
}

fn opening_update(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("openingId", v_uuid)?;
    let identifier = a.opt("identifier", v_str)?;
    let description = a.opt("description", v_str)?;
    let team_id = a.opt("teamId", v_uuid)?;
    let target_hire = a.opt("targetHireDate", v_date)?;
    let target_start = a.opt("targetStartDate", v_date)?;
    let backfill = a.opt("isBackfill", v_bool)?;
    let employment_type = opening_employment_type(a)?;

    Store::require(&store.openings, "opening", &id)?;
    if let Some(team_id) = &team_id {
        Store::require(&store.teams, "team", team_id)?;
    }
    let Some(opening) = store.openings.get_mut(&id) else {
        return Err(not_found("opening", &id));
    };
    // Every edit produces a new version of the opening.
    let version = &mut opening["latestVersion"];
    version["id"] = json!(new_id());
    version["createdAt"] = json!(now_iso());
    let updates = [
        ("identifier", identifier.map(Value::String)),
        ("description", description.map(Value::String)),
        ("teamId", team_id.map(Value::String)),
        ("targetHireDate", target_hire.map(Value::String)),
        ("targetStartDate", target_start.map(Value::String)),
        ("isBackfill", backfill.map(Value::Bool)),
        ("employmentType", employment_type.map(Value::String)),
    ];
    for (key, value) in updates {
        if let Some(value) = value {
            version[key] = value;
        }
    }
    let opening = opening.clone();
    Ok(store.render_opening(&opening))
}

// --- customField.* -----------------------------------------------------------------------

fn check_field_value(def: &CustomFieldDef, value: &Value, field: &str) -> ApiResult<()> {
    let mismatch = |expected: &str| {
        invalid_input(format!(
            "`{field}` must be {expected} for the {} field {:?}, but {} was given.",
            def.field_type,
            def.title,
            json_type(value)
        ))
    };
    let ok = match def.field_type {
        "Boolean" => value.is_boolean(),
        "Number" => value.is_number(),
        "String" | "LongText" | "Phone" => value.is_string(),
        "Email" => value.as_str().is_some_and(is_email),
        "Url" => value.as_str().is_some_and(is_url),
        "UUID" => value.as_str().is_some_and(is_uuid),
        // "An ISO date string": a calendar date, or a full date-time.
        "Date" => value.as_str().is_some_and(|s| is_date(s) || is_datetime(s)),
        "ValueSelect" => {
            let Some(choice) = value.as_str() else {
                return Err(mismatch("a string"));
            };
            if !def.options.contains(&choice) {
                return Err(invalid_input(format!(
                    "`{field}`: {choice:?} is not an option of the field {:?} (options: {}).",
                    def.title,
                    def.options.join(", ")
                )));
            }
            true
        }
        "MultiValueSelect" => value.as_array().is_some_and(|items| {
            items
                .iter()
                .all(|i| i.as_str().is_some_and(|s| def.options.contains(&s)))
        }),
        "Currency" => value.as_object().is_some_and(|o| {
            o.get("value").is_some_and(Value::is_number)
                && o.get("currencyCode")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        }),
        "NumberRange" => value.as_object().is_some_and(|o| {
            o.get("type").and_then(Value::as_str) == Some("number-range")
                && o.get("minValue").is_some_and(Value::is_number)
                && o.get("maxValue").is_some_and(Value::is_number)
        }),
        "CompensationRange" => value.as_object().is_some_and(|o| {
            o.get("type").and_then(Value::as_str) == Some("compensation-range")
                && o.get("minValue").is_some_and(Value::is_number)
                && o.get("maxValue").is_some_and(Value::is_number)
                && o.get("currencyCode").is_some_and(Value::is_string)
                && o.get("interval")
                    .and_then(Value::as_str)
                    .is_some_and(|i| COMPENSATION_INTERVALS.contains(&i))
        }),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(match def.field_type {
        "Boolean" => mismatch("a boolean"),
        "Number" => mismatch("a number"),
        "Date" => mismatch("an ISO date string (YYYY-MM-DD)"),
        "Email" => mismatch("an email address string"),
        "Url" => mismatch("an http(s) URL string"),
        "UUID" => mismatch("a UUID string"),
        "MultiValueSelect" => mismatch("an array of option values"),
        "Currency" => mismatch("an object {value, currencyCode}"),
        "NumberRange" => mismatch("an object {type: \"number-range\", minValue, maxValue}"),
        "CompensationRange" => mismatch(
            "an object {type: \"compensation-range\", minValue, maxValue, currencyCode, interval}",
        ),
        _ => mismatch("a string"),
    })
}

/// Checks that the object exists and that the field applies to its type.
fn resolve_field(
    object_type: &str,
    field_id: &str,
    field: &str,
) -> ApiResult<&'static CustomFieldDef> {
    let def = CUSTOM_FIELDS
        .iter()
        .find(|d| d.id == field_id)
        .ok_or_else(|| not_found("custom_field", field_id))?;
    if def.object_type != object_type {
        return Err(invalid_input(format!(
            "`{field}`: the custom field {:?} applies to {} objects, not {object_type}.",
            def.title, def.object_type
        )));
    }
    Ok(def)
}

fn require_object(store: &Store, object_type: &str, object_id: &str) -> ApiResult<()> {
    match object_type {
        "Candidate" => Store::require(&store.candidates, "candidate", object_id),
        "Application" => Store::require(&store.applications, "application", object_id),
        "Job" => Store::require(&store.jobs, "job", object_id),
        _ => Store::require(&store.openings, "opening", object_id),
    }
}

fn apply_field_value(store: &mut Store, object_id: &str, def: &CustomFieldDef, value: &Value) {
    if value.is_null() {
        if let Some(fields) = store.custom_field_values.get_mut(object_id) {
            fields.remove(def.id);
            if fields.is_empty() {
                store.custom_field_values.remove(object_id);
            }
        }
    } else {
        store
            .custom_field_values
            .entry(object_id.to_owned())
            .or_default()
            .insert(def.id.to_owned(), value.clone());
    }
}

fn touch(store: &mut Store, object_type: &str, object_id: &str) {
    let map = match object_type {
        "Candidate" => &mut store.candidates,
        "Application" => &mut store.applications,
        "Job" => &mut store.jobs,
        _ => return,
    };
    if let Some(object) = map.get_mut(object_id) {
        object["updatedAt"] = json!(now_iso());
    }
}

fn custom_field_set_values(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let object_id = a.req("objectId", v_uuid)?;
    let object_type = a.req("objectType", |v, f| v_enum(v, f, OBJECT_TYPES))?;
    let values = a.req("values", v_array)?;
    if values.is_empty() {
        return Err(invalid_input(
            "`values` must contain at least one {fieldId, fieldValue} entry.".to_owned(),
        ));
    }
    let mut parsed = Vec::new();
    for (i, item) in values.iter().enumerate() {
        let field = format!("values[{i}]");
        let entry = Args::nested(v_object(item, &field)?, field.clone());
        let field_id = entry.req("fieldId", v_uuid)?;
        let Some(value) = entry.map.get("fieldValue") else {
            return Err(invalid_input(format!(
                "`{field}.fieldValue` is required (use null to clear the field)."
            )));
        };
        if parsed.iter().any(|(id, _, _)| *id == field_id) {
            return Err(invalid_input(format!(
                "`{field}.fieldId`: the field {field_id} appears more than once."
            )));
        }
        parsed.push((field_id, value, field));
    }

    require_object(store, &object_type, &object_id)?;
    let mut resolved = Vec::new();
    for (field_id, value, field) in &parsed {
        let def = resolve_field(&object_type, field_id, &format!("{field}.fieldId"))?;
        if !value.is_null() {
            check_field_value(def, value, &format!("{field}.fieldValue"))?;
        }
        resolved.push((def, *value));
    }
    for (def, value) in &resolved {
        apply_field_value(store, &object_id, def, value);
    }
    touch(store, &object_type, &object_id);
    Ok(Value::Array(
        resolved
            .iter()
            .map(|(def, value)| custom_field_value(def, value))
            .collect(),
    ))
}

fn custom_field_set_value(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let object_id = a.req("objectId", v_uuid)?;
    let object_type = a.req("objectType", |v, f| v_enum(v, f, OBJECT_TYPES))?;
    let field_id = a.req("fieldId", v_uuid)?;
    let Some(value) = a.map.get("fieldValue") else {
        return Err(invalid_input(
            "`fieldValue` is required (use null to clear the field).".to_owned(),
        ));
    };
    require_object(store, &object_type, &object_id)?;
    let def = resolve_field(&object_type, &field_id, "fieldId")?;
    if !value.is_null() {
        check_field_value(def, value, "fieldValue")?;
    }
    apply_field_value(store, &object_id, def, value);
    touch(store, &object_type, &object_id);
    Ok(custom_field_value(def, value))
}

// --- offerProcess.start ------------------------------------------------------------------

fn offer_process_start(store: &mut Store, a: &Args<'_>) -> ApiResult<Value> {
    let application_id = a.req("applicationId", v_uuid)?;
    Store::require(&store.applications, "application", &application_id)?;
    // Not documented by Ashby: the mock refuses a second offer process while one is
    // still running for the application, with a code of its own.
    let running = store.offer_processes.values().any(|p| {
        p["applicationId"] == application_id.as_str()
            && !p["status"]
                .as_str()
                .is_some_and(|s| FINISHED_OFFER_STATUSES.contains(&s))
    });
    if running {
        return Err(ApiError {
            code: "offer_process_already_started".to_owned(),
            message: format!(
                "An offer process is already running for application {application_id}."
            ),
        });
    }
    let id = new_id();
    let process = json!({
        "id": id,
        "applicationId": application_id,
        "status": "WaitingOnOfferCreation",
    });
    store.offer_processes.insert(id, process.clone());
    Ok(process)
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::fixtures::*;
    use super::*;

    struct Answer {
        status: u16,
        headers: reqwest::header::HeaderMap,
        text: String,
        json: Value,
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    async fn send(
        mock: &MockAshby,
        key: Option<&str>,
        path: &str,
        body: &Value,
    ) -> reqwest::Result<Answer> {
        let mut request = client()
            .post(format!("{}{path}", mock.base_url()))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(key) = key {
            request = request.basic_auth(key, Some(""));
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            headers,
            text,
            json,
        })
    }

    async fn call(mock: &MockAshby, path: &str, body: Value) -> Answer {
        send(mock, Some(mock.api_key()), path, &body).await.unwrap()
    }

    fn code(answer: &Answer) -> &str {
        answer.json["errorInfo"]["code"]
            .as_str()
            .unwrap_or_default()
    }

    fn start() -> MockAshby {
        MockAshby::start(MockConfig::default()).unwrap()
    }

    async fn create_candidate(mock: &MockAshby, name: &str, email: &str) -> String {
        let answer = call(
            mock,
            "/candidate.create",
            json!({ "name": name, "email": email }),
        )
        .await;
        assert_eq!(answer.json["success"], true, "{}", answer.text);
        answer.json["results"]["id"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn auth_errors_and_permissions() {
        let mock = MockAshby::start(MockConfig {
            api_keys: vec!["key-a".into(), "key-b".into()],
            permissions: Some(vec!["jobsWrite".into()]),
            ..MockConfig::default()
        })
        .unwrap();
        let body = json!({ "name": "Ada" });

        let none = send(&mock, None, "/candidate.create", &body).await.unwrap();
        assert_eq!(none.status, 401);
        let garbled = client()
            .post(format!("{}/candidate.create", mock.base_url()))
            .header("authorization", "Basic !!!notbase64")
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(garbled.status().as_u16(), 401);
        let wrong = send(&mock, Some("nope"), "/candidate.create", &body)
            .await
            .unwrap();
        assert_eq!(wrong.status, 403);

        let denied = send(&mock, Some("key-b"), "/candidate.create", &body)
            .await
            .unwrap();
        assert_eq!(denied.status, 403);
        assert_eq!(code(&denied), "missing_endpoint_permission");
        assert_eq!(denied.json["errors"][0], "missing_endpoint_permission");
        assert!(
            denied.json["errorInfo"]["message"]
                .as_str()
                .unwrap()
                .contains("candidatesWrite")
        );

        // jobsWrite implies jobsRead.
        let info = send(&mock, Some("key-a"), "/job.info", &json!({ "id": JOB_ID }))
            .await
            .unwrap();
        assert_eq!(info.status, 200);
        assert_eq!(info.json["results"]["title"], JOB_TITLE);

        let records = mock.requests();
        assert_eq!(records.len(), 5);
        assert_eq!(records[0].status, 401);
        assert_eq!(records[2].api_key, None);
        assert_eq!(records[3].api_key.as_deref(), Some("key-b"));
        assert_eq!(records[3].header("authorization"), Some("Basic ****"));
        assert!(records.iter().all(|r| {
            r.headers
                .iter()
                .all(|(_, v)| !v.contains("a2V5LW") && !v.contains("key-"))
        }));
        assert_eq!(records[4].success, Some(true));
    }

    #[tokio::test]
    async fn candidate_then_application() {
        let mock = start();
        let created = call(
            &mock,
            "/candidate.create",
            json!({
                "name": "Ada Lovelace",
                "email": "ada@example.com",
                "linkedInUrl": "https://www.linkedin.com/in/ada",
                "alternateEmailAddresses": ["ada@work.example.com"],
                "sourceId": SOURCE_ID,
                "someUnknownField": 42,
            }),
        )
        .await;
        assert_eq!(created.status, 200);
        let request_id = created.headers["x-ashby-request-id"].to_str().unwrap();
        assert_eq!(request_id.len(), 26);
        assert_eq!(created.headers["ashby-version"], ASHBY_VERSION);
        assert_eq!(created.headers["ashby-version-status"], "active");
        assert!(
            created.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let candidate = &created.json["results"];
        assert_eq!(created.json["success"], true);
        let candidate_id = candidate["id"].as_str().unwrap().to_owned();
        assert!(is_uuid(&candidate_id));
        assert_eq!(candidate["name"], "Ada Lovelace");
        assert_eq!(candidate["primaryEmailAddress"]["value"], "ada@example.com");
        assert_eq!(candidate["emailAddresses"].as_array().unwrap().len(), 2);
        assert_eq!(candidate["socialLinks"][0]["type"], "LinkedIn");
        assert_eq!(candidate["applicationIds"], json!([]));
        assert_eq!(candidate["source"]["id"], SOURCE_ID);
        assert_eq!(candidate["creditedToUser"], Value::Null);
        assert!(
            candidate["profileUrl"]
                .as_str()
                .unwrap()
                .ends_with(&candidate_id)
        );

        let applied = call(
            &mock,
            "/application.create",
            json!({ "candidateId": candidate_id, "jobId": JOB_ID }),
        )
        .await;
        assert_eq!(applied.json["success"], true, "{}", applied.text);
        let application = &applied.json["results"];
        let application_id = application["id"].as_str().unwrap().to_owned();
        assert_eq!(application["status"], "Lead");
        assert_eq!(application["currentInterviewStage"]["id"], LEAD_STAGE_ID);
        assert_eq!(application["candidate"]["id"], candidate_id.as_str());
        assert_eq!(application["job"]["title"], JOB_TITLE);

        let state = mock.state();
        let stored = state.candidate(&candidate_id).unwrap();
        assert_eq!(stored["applicationIds"], json!([application_id]));
        assert_eq!(state.applications.len(), 1);

        let again = call(
            &mock,
            "/application.create",
            json!({ "candidateId": candidate_id, "jobId": JOB_ID }),
        )
        .await;
        assert_eq!(code(&again), "invalid_input");

        let info = call(
            &mock,
            "/application.info",
            json!({ "applicationId": application_id }),
        )
        .await;
        assert_eq!(info.json["results"]["id"], application_id.as_str());

        let updated = call(
            &mock,
            "/candidate.update",
            json!({
                "candidateId": candidate_id,
                "websiteUrl": "https://ada.example.com",
                "alternateEmail": "ada@home.example.com",
            }),
        )
        .await;
        assert_eq!(updated.json["success"], true, "{}", updated.text);
        assert_eq!(
            updated.json["results"]["emailAddresses"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(updated.json["results"]["socialLinks"][1]["type"], "Website");

        let offer = call(
            &mock,
            "/offerProcess.start",
            json!({ "applicationId": application_id }),
        )
        .await;
        assert_eq!(offer.json["results"]["status"], "WaitingOnOfferCreation");
        let offer_again = call(
            &mock,
            "/offerProcess.start",
            json!({ "applicationId": application_id }),
        )
        .await;
        assert_eq!(code(&offer_again), "offer_process_already_started");
    }

    #[tokio::test]
    async fn not_found_and_invalid_input() {
        let mock = start();
        let missing = call(
            &mock,
            "/application.create",
            json!({ "candidateId": new_id(), "jobId": JOB_ID }),
        )
        .await;
        assert_eq!(missing.status, 200);
        assert_eq!(missing.json["success"], false);
        assert_eq!(code(&missing), "candidate_not_found");
        assert_eq!(missing.json["errors"], json!(["candidate_not_found"]));
        assert_eq!(
            missing.json["errorInfo"]["requestId"],
            missing.headers["x-ashby-request-id"].to_str().unwrap()
        );

        let no_name = call(
            &mock,
            "/candidate.create",
            json!({ "email": "x@example.com" }),
        )
        .await;
        assert_eq!(code(&no_name), "invalid_input");
        assert!(
            no_name.json["errorInfo"]["message"]
                .as_str()
                .unwrap()
                .contains("name")
        );

        let bad_email = call(
            &mock,
            "/candidate.create",
            json!({ "name": "X", "email": "nope" }),
        )
        .await;
        assert_eq!(code(&bad_email), "invalid_input");

        let bad_team = call(
            &mock,
            "/job.create",
            json!({ "title": "T", "teamId": new_id(), "locationId": LOCATION_ID }),
        )
        .await;
        assert_eq!(code(&bad_team), "team_not_found");

        let batched = call(&mock, "/candidate.create", json!([{ "name": "A" }])).await;
        assert_eq!(code(&batched), "invalid_input");

        let text = client()
            .post(format!("{}/candidate.create", mock.base_url()))
            .basic_auth(mock.api_key(), Some(""))
            .header("content-type", "text/plain")
            .body(r#"{"name":"A"}"#)
            .send()
            .await
            .unwrap();
        let text: Value = serde_json::from_str(&text.text().await.unwrap()).unwrap();
        assert_eq!(text["errorInfo"]["code"], "invalid_input");
        assert!(mock.state().candidates.is_empty());
    }

    #[tokio::test]
    async fn custom_field_values() {
        let mock = start();
        let candidate_id = create_candidate(&mock, "Grace Hopper", "grace@example.com").await;
        let set = call(
            &mock,
            "/customField.setValues",
            json!({
                "objectId": candidate_id,
                "objectType": "Candidate",
                "values": [
                    { "fieldId": NOTICE_PERIOD_FIELD_ID, "fieldValue": 30 },
                    { "fieldId": RELOCATION_FIELD_ID, "fieldValue": true },
                ],
            }),
        )
        .await;
        assert_eq!(set.json["success"], true, "{}", set.text);
        let results = set.json["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["id"], NOTICE_PERIOD_FIELD_ID);
        assert_eq!(results[0]["title"], "Notice period (days)");
        assert_eq!(results[0]["value"], 30);
        assert_eq!(results[0]["isPrivate"], false);
        let state = mock.state();
        assert_eq!(
            state.custom_field_values[&candidate_id][RELOCATION_FIELD_ID],
            true
        );
        assert_eq!(
            state.candidate(&candidate_id).unwrap()["customFields"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        let mismatch = call(
            &mock,
            "/customField.setValues",
            json!({
                "objectId": candidate_id,
                "objectType": "Candidate",
                "values": [{ "fieldId": NOTICE_PERIOD_FIELD_ID, "fieldValue": "30" }],
            }),
        )
        .await;
        assert_eq!(code(&mismatch), "invalid_input");
        assert!(
            mismatch.json["errorInfo"]["message"]
                .as_str()
                .unwrap()
                .contains("number")
        );

        let wrong_type = call(
            &mock,
            "/customField.setValues",
            json!({
                "objectId": candidate_id,
                "objectType": "Candidate",
                "values": [{ "fieldId": SENIORITY_FIELD_ID, "fieldValue": "Senior" }],
            }),
        )
        .await;
        assert_eq!(code(&wrong_type), "invalid_input");

        let empty = call(
            &mock,
            "/customField.setValues",
            json!({ "objectId": candidate_id, "objectType": "Candidate", "values": [] }),
        )
        .await;
        assert_eq!(code(&empty), "invalid_input");

        let unknown = call(
            &mock,
            "/customField.setValues",
            json!({
                "objectId": candidate_id,
                "objectType": "Candidate",
                "values": [{ "fieldId": new_id(), "fieldValue": 1 }],
            }),
        )
        .await;
        assert_eq!(code(&unknown), "custom_field_not_found");

        let cleared = call(
            &mock,
            "/customField.setValues",
            json!({
                "objectId": candidate_id,
                "objectType": "Candidate",
                "values": [{ "fieldId": NOTICE_PERIOD_FIELD_ID, "fieldValue": null }],
            }),
        )
        .await;
        assert_eq!(cleared.json["success"], true);
        let state = mock.state();
        assert!(!state.custom_field_values[&candidate_id].contains_key(NOTICE_PERIOD_FIELD_ID));

        let job = call(
            &mock,
            "/customField.setValues",
            json!({
                "objectId": JOB_ID,
                "objectType": "Job",
                "values": [{ "fieldId": TEAM_SIZE_FIELD_ID, "fieldValue": 8 }],
            }),
        )
        .await;
        assert_eq!(job.json["success"], true, "{}", job.text);
    }

    #[tokio::test]
    async fn candidate_search() {
        let mock = start();
        let ada = create_candidate(&mock, "Ada Lovelace", "Ada@Example.com").await;
        create_candidate(&mock, "Alan Turing", "alan@example.com").await;

        let by_email = call(
            &mock,
            "/candidate.search",
            json!({ "email": "ada@example.COM" }),
        )
        .await;
        let found = by_email.json["results"].as_array().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["id"], ada.as_str());

        let by_name = call(&mock, "/candidate.search", json!({ "name": "a" })).await;
        assert_eq!(by_name.json["results"].as_array().unwrap().len(), 2);

        let both = call(
            &mock,
            "/candidate.search",
            json!({ "name": "turing", "email": "ada@example.com" }),
        )
        .await;
        assert_eq!(both.json["results"], json!([]));

        let neither = call(&mock, "/candidate.search", json!({})).await;
        assert_eq!(code(&neither), "invalid_input");

        let info = call(&mock, "/candidate.info", json!({ "id": ada })).await;
        assert_eq!(info.json["results"]["name"], "Ada Lovelace");
    }

    #[tokio::test]
    async fn jobs_and_openings() {
        let mock = start();
        let job = call(
            &mock,
            "/job.create",
            json!({ "title": "Platform Engineer", "teamId": TEAM_ID, "locationId": LOCATION_ID }),
        )
        .await;
        assert_eq!(job.json["results"]["status"], "Draft", "{}", job.text);
        let job_id = job.json["results"]["id"].as_str().unwrap().to_owned();

        let updated = call(
            &mock,
            "/job.update",
            json!({ "jobId": job_id, "title": "Staff Platform Engineer", "employmentType": "Contract" }),
        )
        .await;
        assert_eq!(updated.json["results"]["title"], "Staff Platform Engineer");
        assert_eq!(updated.json["results"]["employmentType"], "Contract");

        let opening = call(
            &mock,
            "/opening.create",
            json!({ "identifier": "ENG-2", "jobIds": [job_id], "targetHireDate": "2026-03-01" }),
        )
        .await;
        let opening_id = opening.json["results"]["id"].as_str().unwrap().to_owned();
        assert_eq!(opening.json["results"]["openingState"], "Draft");
        assert_eq!(
            opening.json["results"]["latestVersion"]["jobIds"],
            json!([job_id])
        );

        let bad_date = call(
            &mock,
            "/opening.create",
            json!({ "targetHireDate": "2026-02-30" }),
        )
        .await;
        assert_eq!(code(&bad_date), "invalid_input");
        let bad_job = call(&mock, "/opening.create", json!({ "jobIds": [new_id()] })).await;
        assert_eq!(code(&bad_job), "job_not_found");

        let edited = call(
            &mock,
            "/opening.update",
            json!({ "openingId": opening_id, "description": "Second hire" }),
        )
        .await;
        assert_eq!(
            edited.json["results"]["latestVersion"]["description"],
            "Second hire"
        );

        let info = call(
            &mock,
            "/job.info",
            json!({ "id": job_id, "expand": ["openings", "location"] }),
        )
        .await;
        assert_eq!(
            info.json["results"]["openings"][0]["id"],
            opening_id.as_str()
        );
        assert_eq!(info.json["results"]["location"]["name"], LOCATION_NAME);

        let missing = call(&mock, "/job.info", json!({ "id": new_id() })).await;
        assert_eq!(code(&missing), "job_not_found");
        assert_eq!(mock.state().jobs.len(), 2);
        assert_eq!(mock.state().openings.len(), 2);
    }

    #[tokio::test]
    async fn routing_errors() {
        let mock = start();
        let get = client()
            .get(format!("{}/candidate.create", mock.base_url()))
            .basic_auth(mock.api_key(), Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(get.status().as_u16(), 405);
        let unknown = call(&mock, "/candidate.teleport", json!({})).await;
        assert_eq!(unknown.status, 404);
        assert_eq!(unknown.json["success"], false);
    }

    #[tokio::test]
    async fn faults() {
        let mock = start();
        let body = json!({ "name": "Fault Tester" });

        mock.inject(Fault::on(
            "/candidate.create",
            FaultKind::RateLimit {
                retry_after: Some("7".into()),
                partner_scope: true,
            },
        ));
        // A fault on another path does not fire here.
        let other = call(&mock, "/job.info", json!({ "id": JOB_ID })).await;
        assert_eq!(other.status, 200);
        let limited = call(&mock, "/candidate.create", body.clone()).await;
        assert_eq!(limited.status, 429);
        assert_eq!(limited.headers["retry-after"], "7");
        assert_eq!(limited.headers["x-ratelimit-scope"], "integration-partner");
        assert_eq!(code(&limited), "rate_limit_exceeded");

        mock.inject(Fault::once(FaultKind::ServerError(503)).with_times(2));
        assert_eq!(
            call(&mock, "/candidate.create", body.clone()).await.status,
            503
        );
        assert_eq!(
            call(&mock, "/candidate.create", body.clone()).await.status,
            503
        );
        mock.inject(Fault::once(FaultKind::ServerError(500)));
        let internal = call(&mock, "/candidate.create", body.clone()).await;
        assert_eq!(internal.status, 500);
        assert_eq!(internal.json["success"], false);

        mock.inject(Fault::once(FaultKind::Drop));
        assert!(
            send(&mock, Some(mock.api_key()), "/candidate.create", &body)
                .await
                .is_err()
        );
        assert!(mock.state().candidates.is_empty());

        mock.inject(Fault::on("/candidate.create", FaultKind::DropAfterApply));
        assert!(
            send(&mock, Some(mock.api_key()), "/candidate.create", &body)
                .await
                .is_err()
        );
        assert_eq!(mock.state().candidates.len(), 1);

        mock.inject(Fault::once(FaultKind::Delay(Duration::from_millis(60))));
        let started = Instant::now();
        let delayed = call(&mock, "/candidate.create", body.clone()).await;
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert_eq!(delayed.json["success"], true);

        mock.inject(Fault::once(FaultKind::Unauthorized));
        assert_eq!(
            call(&mock, "/candidate.create", body.clone()).await.status,
            401
        );
        mock.inject(Fault::once(FaultKind::Forbidden));
        assert_eq!(
            call(&mock, "/candidate.create", body.clone()).await.status,
            403
        );
        mock.inject(Fault::once(FaultKind::MissingPermission));
        let perm = call(&mock, "/candidate.create", body.clone()).await;
        assert_eq!(perm.status, 403);
        assert_eq!(code(&perm), "missing_endpoint_permission");

        mock.inject(Fault::once(FaultKind::Error {
            code: "application_blocked".into(),
            message: "blocked".into(),
        }));
        let error = call(&mock, "/candidate.create", body.clone()).await;
        assert_eq!(error.status, 200);
        assert_eq!(code(&error), "application_blocked");

        mock.inject(Fault::once(FaultKind::Garbage));
        let garbage = call(&mock, "/candidate.create", body.clone()).await;
        assert_eq!(garbage.status, 200);
        assert!(serde_json::from_str::<Value>(&garbage.text).is_err());

        assert_eq!(mock.pending_faults(), 0);
        let normal = call(&mock, "/candidate.create", body.clone()).await;
        assert_eq!(normal.json["success"], true);

        let faults: Vec<Option<String>> = mock.requests().into_iter().map(|r| r.fault).collect();
        let names: Vec<&str> = faults.iter().flatten().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "RateLimit",
                "ServerError",
                "ServerError",
                "ServerError",
                "Drop",
                "DropAfterApply",
                "Delay",
                "Unauthorized",
                "Forbidden",
                "MissingPermission",
                "Error",
                "Garbage"
            ]
        );
        let records = mock.requests();
        let dropped = records
            .iter()
            .find(|r| r.fault.as_deref() == Some("Drop"))
            .unwrap();
        assert_eq!(dropped.status, 0);
        let applied = records
            .iter()
            .find(|r| r.fault.as_deref() == Some("DropAfterApply"))
            .unwrap();
        assert_eq!(applied.success, Some(true));
    }

    #[tokio::test]
    async fn configured_rate_limit_is_per_key() {
        let mock = MockAshby::start(MockConfig {
            api_keys: vec!["first".into(), "second".into()],
            rate_limit_per_minute: Some(2),
            ..MockConfig::default()
        })
        .unwrap();
        let body = json!({ "id": JOB_ID });
        for _ in 0..2 {
            let ok = send(&mock, Some("first"), "/job.info", &body)
                .await
                .unwrap();
            assert_eq!(ok.status, 200);
        }
        let limited = send(&mock, Some("first"), "/job.info", &body)
            .await
            .unwrap();
        assert_eq!(limited.status, 429);
        assert_eq!(code(&limited), "rate_limit_exceeded");
        let retry: u64 = limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry));
        assert!(limited.headers.get("x-ratelimit-scope").is_none());
        let other = send(&mock, Some("second"), "/job.info", &body)
            .await
            .unwrap();
        assert_eq!(other.status, 200);
    }

    #[tokio::test]
    async fn latency_keep_alive_and_shutdown() {
        let mock = start();
        mock.set_latency(Duration::from_millis(30));
        let client = client();
        let url = format!("{}/job.info", mock.base_url());
        let started = Instant::now();
        let calls = (0..8).map(|_| {
            client
                .post(&url)
                .basic_auth(mock.api_key(), Some(""))
                .header("content-type", "application/json")
                .body(json!({ "id": JOB_ID }).to_string())
                .send()
        });
        for response in futures_join(calls).await {
            assert_eq!(response.unwrap().status().as_u16(), 200);
        }
        // Concurrent requests are served in parallel, not one after another.
        assert!(started.elapsed() < Duration::from_millis(30 * 8));
        assert_eq!(mock.requests().len(), 8);
        mock.clear_requests();
        assert!(mock.requests().is_empty());

        let url = mock.base_url();
        mock.shutdown();
        let after = client
            .post(format!("{url}/job.info"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        assert!(after.is_err());
    }

    /// Runs futures concurrently on the current task (no extra crate needed).
    async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for handle in handles {
            out.push(handle.await.unwrap());
        }
        out
    }

    #[test]
    fn validators() {
        assert!(is_uuid(JOB_ID));
        assert!(is_uuid(&new_id()));
        assert!(!is_uuid("not-a-uuid"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-1-01"));
        assert!(is_datetime("2026-01-31T12:00:00Z"));
        assert!(is_datetime("2026-01-31T12:00:00.123+02:00"));
        assert!(is_datetime("2026-01-31T12:00Z"));
        assert!(!is_datetime("2026-01-31T12:00:00"));
        assert!(!is_datetime("2026-01-31 12:00:00Z"));
        assert!(is_email("a.b+c@example.co.uk"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(is_url("https://github.com/ada"));
        assert!(!is_url("github.com/ada"));
        assert!(!is_url("https://"));
        let id = request_id();
        assert_eq!(id.len(), 26);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(request_id(), request_id());
        assert!(now_iso().ends_with('Z'));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        let key = default_api_key();
        assert!(key.starts_with("mock-") && key.len() == 37);
        assert_eq!(MockConfig::default().api_keys, vec![key.to_owned()]);
    }
}
