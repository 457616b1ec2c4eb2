//! Plain Rust mirrors of the WIT types in `wit/http.wit` and
//! `wit/destination.wit`, plus the [`Transport`] trait the core sends through.
//!
//! Nothing here depends on wit-bindgen, so the core runs natively (unit tests,
//! benchmarks, the host's native comparison). The wasm bindings convert these
//! one to one into the generated types.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An HTTP method (mirror of `http.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`, the only one Ashby's API uses.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Method {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One HTTP request the core asks its transport to make (mirror of
/// `http.request`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// The HTTP method (always `POST` for Ashby).
    pub method: Method,
    /// Path relative to the tenant's origin, e.g. `/candidate.create`.
    pub path: String,
    /// Extra headers as (name, value) pairs; never credentials.
    pub headers: Vec<(String, String)>,
    /// The request body (compact JSON).
    pub body: Vec<u8>,
}

/// What the remote answered (mirror of `http.response`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers as (name, value) pairs. Names are compared
    /// case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: Vec<u8>,
}

/// Why the transport produced no response (mirror of `http.error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpError {
    /// The host's policy refused the request.
    Denied(String),
    /// The request was malformed in the host's eyes.
    InvalidRequest(String),
    /// No complete response arrived in time; the remote may have acted.
    Timeout(String),
    /// The connection could not be established; the remote saw nothing.
    Connect(String),
    /// The connection failed after the request may have been sent.
    Transport(String),
    /// The response body exceeded the host's size cap.
    TooLarge(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Denied(m) => write!(f, "denied: {m}"),
            Self::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Self::Timeout(m) => write!(f, "timeout: {m}"),
            Self::Connect(m) => write!(f, "connect: {m}"),
            Self::Transport(m) => write!(f, "transport: {m}"),
            Self::TooLarge(m) => write!(f, "response too large: {m}"),
        }
    }
}

/// Performs HTTP exchanges for the core.
///
/// In the component this is the imported `http.send`; natively it can be
/// anything (a scripted fake in tests, an in-process mock in benchmarks).
pub trait Transport {
    /// Performs one exchange and returns the response or why there is none.
    ///
    /// The request is passed by value so that the component's transport can
    /// move its strings into the import's arguments instead of copying them.
    fn send(&mut self, req: HttpRequest) -> Result<HttpResponse, HttpError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn send(&mut self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        (**self).send(req)
    }
}

/// One input record (mirror of `types.input-record`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    /// The caller's identifier for the record, echoed in every result.
    pub index: u64,
    /// The record as JSON text; expected to be an object.
    pub json: String,
    /// An earlier attempt may have been applied: look before writing.
    #[serde(default)]
    pub maybe_applied: bool,
}

impl InputRecord {
    /// Builds a record from an index and JSON text.
    pub fn new(index: u64, json: impl Into<String>) -> Self {
        Self {
            index,
            json: json.into(),
            maybe_applied: false,
        }
    }
}

/// What `configure` accepted (mirror of `types.config-summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSummary {
    /// The template id in use, or `None` in manual mode.
    pub template: Option<String>,
    /// The path requests go to, e.g. `/candidate.create`.
    pub endpoint: String,
    /// The HTTP method (`POST`).
    pub method: String,
    /// The Ashby API-key permission the endpoint needs, when known.
    pub permission: Option<String>,
    /// Whether `on_response` publishes records.
    pub response_webhook: bool,
    /// Records wanted per `send` call (the batch size), when batching.
    pub records_per_call: Option<u32>,
    /// Things the user should know that do not stop the flow.
    pub warnings: Vec<String>,
}

/// A config key and what is wrong with it (mirror of `types.key-problem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyProblem {
    /// The offending key, dotted for nested keys (`batch.size`).
    pub key: String,
    /// Why it was refused, as one sentence.
    pub reason: String,
}

/// Why `configure` refused a config (mirror of `types.config-error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfigError {
    /// The config text is not a JSON object; carries the parser's message.
    Malformed(String),
    /// A key this destination does not know; carries the (dotted) key.
    UnknownKey(String),
    /// A required key is absent.
    Missing(KeyProblem),
    /// A key is present but its value is not acceptable.
    Invalid(KeyProblem),
    /// `configure` already succeeded on this instance.
    AlreadyConfigured,
}

impl ConfigError {
    /// Shorthand for [`ConfigError::Invalid`].
    pub fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid(KeyProblem {
            key: key.into(),
            reason: reason.into(),
        })
    }

    /// Shorthand for [`ConfigError::Missing`].
    pub fn missing(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Missing(KeyProblem {
            key: key.into(),
            reason: reason.into(),
        })
    }

    /// The key this error is about, if it names one.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::UnknownKey(k) => Some(k),
            Self::Missing(p) | Self::Invalid(p) => Some(&p.key),
            Self::Malformed(_) | Self::AlreadyConfigured => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(m) => write!(f, "config is malformed: {m}"),
            Self::UnknownKey(k) => write!(f, "unknown config key \"{k}\""),
            Self::Missing(p) => write!(f, "missing config key \"{}\": {}", p.key, p.reason),
            Self::Invalid(p) => write!(f, "invalid config key \"{}\": {}", p.key, p.reason),
            Self::AlreadyConfigured => write!(f, "configure was already called"),
        }
    }
}

/// Why a call other than `configure` failed as a whole (mirror of
/// `types.call-error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallError {
    /// `configure` has not succeeded yet.
    NotConfigured,
    /// More records than the per-call limit; carries the limit.
    TooManyRecords(u32),
    /// The argument could not be used; carries the reason.
    InvalidArgument(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotConfigured => write!(f, "the destination is not configured"),
            Self::TooManyRecords(n) => write!(f, "too many records: at most {n} per call"),
            Self::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
        }
    }
}

/// A request exactly as `send` makes it, credentials left out (mirror of
/// `types.planned-request`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRequest {
    /// HTTP method.
    pub method: Method,
    /// Path relative to the origin.
    pub path: String,
    /// The config's extra headers.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
    /// The `index` of every input record this request carries.
    pub records: Vec<u64>,
}

impl PlannedRequest {
    /// The HTTP request to hand to a [`Transport`].
    pub fn to_http(&self) -> HttpRequest {
        HttpRequest {
            method: self.method,
            path: self.path.clone(),
            headers: self.headers.clone(),
            body: self.body.as_bytes().to_vec(),
        }
    }
}

/// How serious a record problem is (mirror of `types.severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// The record will not be sent; `send` rejects it.
    Error,
    /// The record is sent, but something looks wrong.
    Warning,
}

/// Something about one input record (mirror of `types.record-problem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordProblem {
    /// The record's `index`.
    pub index: u64,
    /// Error or warning.
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `missing_field`.
    pub code: String,
    /// The field concerned, if any.
    pub field: Option<String>,
    /// One sentence for a human.
    pub message: String,
}

/// The result of `sample-payload` (mirror of `types.sample`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sample {
    /// The requests `send` would make, in order.
    pub requests: Vec<PlannedRequest>,
    /// Problems found in the records, in input order.
    pub problems: Vec<RecordProblem>,
}

/// One completed HTTP exchange (mirror of `types.exchange`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The request as sent (credentials left out).
    pub request: PlannedRequest,
    /// HTTP status of the response.
    pub status: u16,
    /// Response headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// The response body as text (lossy UTF-8).
    pub body: String,
}

impl Exchange {
    /// Builds the exchange record of a request and the response it got:
    /// header names are lower-cased and the body is decoded as lossy UTF-8.
    /// The response is moved in: a valid UTF-8 body is not copied.
    pub fn new(request: PlannedRequest, response: HttpResponse) -> Self {
        let mut headers = response.headers;
        for (name, _) in &mut headers {
            name.make_ascii_lowercase();
        }
        let body = match String::from_utf8(response.body) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Self {
            request,
            status: response.status,
            headers,
            body,
        }
    }
}

/// A call of a record's sequence that the remote accepted (mirror of
/// `types.step-done`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDone {
    /// The id the call's answer reports, when known.
    pub id: Option<String>,
    /// The call's exchange.
    pub exchange: Exchange,
}

/// A record the remote accepted (mirror of `types.delivered`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    /// The id of the object created or changed, when known (the first
    /// call's that reports one).
    pub id: Option<String>,
    /// True when no write was made because the object already existed.
    pub existing: bool,
    /// The exchange of the record's last call.
    pub exchange: Exchange,
    /// The record's calls before the last one, in order.
    pub completed: Vec<StepDone>,
}

/// A permanent failure (mirror of `types.rejected`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The remote's error code or the destination's own.
    pub code: String,
    /// One sentence for a human.
    pub message: String,
    /// The exchange, when the remote was asked.
    pub exchange: Option<Exchange>,
    /// The record's calls that succeeded before this failure, in order.
    pub completed: Vec<StepDone>,
}

/// A transient failure (mirror of `types.retry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retry {
    /// Why, as a code: `rate_limited`, `server_error`, `timeout`, ...
    pub code: String,
    /// One sentence for a human.
    pub message: String,
    /// The remote's `Retry-After` header, verbatim.
    pub retry_after: Option<String>,
    /// The exchange, when a response arrived.
    pub exchange: Option<Exchange>,
    /// The write may have been applied although its answer was lost.
    #[serde(default)]
    pub maybe_applied: bool,
    /// The record's calls that succeeded before this failure, in order.
    pub completed: Vec<StepDone>,
}

/// The flow must stop (mirror of `types.halt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// Why, as a code: `unauthorized`, `forbidden`,
    /// `missing_endpoint_permission`, `denied`.
    pub code: String,
    /// The remote's message, or the destination's.
    pub message: String,
    /// The permission the endpoint needs, when known.
    pub permission: Option<String>,
    /// The exchange, when a response arrived.
    pub exchange: Option<Exchange>,
    /// The record's calls that succeeded before this failure, in order.
    pub completed: Vec<StepDone>,
}

/// What became of one input record (mirror of `types.outcome`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The remote accepted it.
    Delivered(Delivered),
    /// Permanent failure: dead-letter it.
    Rejected(Rejected),
    /// Transient failure: the host may send it again later.
    Retry(Retry),
    /// The flow must stop; the record was not the problem.
    Halt(Halt),
}

impl Outcome {
    /// The outcome's code: the error code, or `delivered`.
    pub fn code(&self) -> &str {
        match self {
            Self::Delivered(_) => "delivered",
            Self::Rejected(r) => &r.code,
            Self::Retry(r) => &r.code,
            Self::Halt(h) => &h.code,
        }
    }

    /// The exchange the outcome carries, if any.
    pub fn exchange(&self) -> Option<&Exchange> {
        match self {
            Self::Delivered(d) => Some(&d.exchange),
            Self::Rejected(r) => r.exchange.as_ref(),
            Self::Retry(r) => r.exchange.as_ref(),
            Self::Halt(h) => h.exchange.as_ref(),
        }
    }

    /// The record's calls that succeeded before the one this outcome is
    /// about, in order.
    pub fn completed(&self) -> &[StepDone] {
        match self {
            Self::Delivered(d) => &d.completed,
            Self::Rejected(r) => &r.completed,
            Self::Retry(r) => &r.completed,
            Self::Halt(h) => &h.completed,
        }
    }

    /// Every exchange of the record, in the order they happened: the
    /// completed calls', then the outcome's own.
    pub fn exchanges(&self) -> impl Iterator<Item = &Exchange> {
        self.completed()
            .iter()
            .map(|s| &s.exchange)
            .chain(self.exchange())
    }
}

/// An outcome about one input record (mirror of `types.record-outcome`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordOutcome {
    /// The record's `index`.
    pub index: u64,
    /// What happened.
    pub outcome: Outcome,
    /// The record's fields the destination does not know (sent, dropped
    /// or refused as its config says), in record order.
    pub unknown_fields: Vec<String>,
}

/// A named check (mirror of `types.check-info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfo {
    /// The name `check` takes.
    pub name: String,
    /// What it verifies, as one sentence.
    pub description: String,
}

/// What the destination says about itself (mirror of `types.description`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// The config's JSON Schema (draft 2020-12), as JSON text.
    pub config_schema: String,
    /// The catalog, as JSON text.
    pub catalog: String,
    /// The checks `check` accepts, in the order to run them.
    pub checks: Vec<CheckInfo>,
}

/// How a check came out (mirror of `types.check-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Verified.
    Ok,
    /// Verified not to work.
    Failed,
    /// Could not be verified without writing.
    Unknown,
}

/// The result of one check (mirror of `types.check-report`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The check's name.
    pub name: String,
    /// Ok, failed or unknown.
    pub status: CheckStatus,
    /// A stable machine-readable code.
    pub code: String,
    /// What was found, as one sentence.
    pub message: String,
    /// What to do, as one sentence (empty when nothing).
    pub action: String,
}
