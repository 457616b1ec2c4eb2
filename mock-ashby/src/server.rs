//! The server: the accept loop, one request from bytes to reply (recording, faults,
//! latency), and normal handling (routing, auth, rate limit, permission, body checks, then
//! the endpoint).

use std::net::TcpListener as StdTcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};

use crate::api;
use crate::auth::{self, Auth, Permissions, parse_authorization};
use crate::config::MockConfig;
use crate::faults::{FaultKind, FaultQueue, fault_reply};
use crate::ids::request_id;
use crate::rate_limit::RateLimiter;
use crate::record::{RecordedRequest, RequestLog};
use crate::reply::Reply;
use crate::state::Org;
use crate::sync::lock;
use crate::validate::Args;
use crate::webhook::{self, WEBHOOK_PATH};

/// Largest request body the mock reads (bigger bodies drop the connection).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What the server and the [`MockAshby`](crate::MockAshby) handle share.
pub(crate) struct Shared {
    api_keys: Vec<String>,
    /// Permissions granted to every key.
    pub(crate) permissions: Permissions,
    rate_limit: RateLimiter,
    /// Requests in a million answered 503 at random.
    fail_per_million: u32,
    /// Delay added before every response.
    pub(crate) latency: Mutex<Duration>,
    /// Injected faults.
    pub(crate) faults: FaultQueue,
    /// Every request received.
    pub(crate) log: RequestLog,
    /// The organisation's objects.
    pub(crate) org: Mutex<Org>,
}

impl Shared {
    /// The state of a freshly started mock.
    pub(crate) fn new(config: &MockConfig) -> Self {
        Self {
            api_keys: config.api_keys.clone(),
            permissions: Permissions::new(config.permissions.clone()),
            rate_limit: RateLimiter::new(config.rate_limit_per_minute),
            fail_per_million: config.fail_per_million,
            latency: Mutex::new(config.latency),
            faults: FaultQueue::default(),
            log: RequestLog::default(),
            org: Mutex::new(Org::seeded()),
        }
    }
}

/// Serves HTTP/1.1 connections from `listener` until `stop` fires.
pub(crate) async fn serve(
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

/// Everything normal handling needs to know about a request.
struct RequestParts {
    method: String,
    path: String,
    auth: Auth,
    content_type: Option<String>,
    body: Bytes,
}

/// One request: record it, apply a queued fault or the latency, answer it.
async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ConnectionDropped> {
    let (parts, body) = req.into_parts();
    let (mut record, request) = describe(&shared, &parts);
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            shared.log.record(record);
            return Err(ConnectionDropped);
        }
    };
    record.body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seq = shared.log.record(record);
    let request = RequestParts { body, ..request };

    let fault = shared
        .faults
        .take(&request.path)
        .or_else(|| random_failure(shared.fail_per_million));
    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let request_id = request_id();
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
            shared
                .log
                .complete(seq, reply.status.as_u16(), reply.success, fault_name);
            if drop_connection {
                Err(ConnectionDropped)
            } else {
                Ok(reply.into_response(&request_id))
            }
        }
        None => {
            shared.log.complete(seq, 0, None, fault_name);
            Err(ConnectionDropped)
        }
    }
}

/// The record of a request (body not read yet, no answer yet) and its parts with an
/// empty body.
fn describe(
    shared: &Shared,
    parts: &hyper::http::request::Parts,
) -> (RecordedRequest, RequestParts) {
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
    let record = RecordedRequest {
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
    let request = RequestParts {
        method,
        path,
        auth,
        content_type,
        body: Bytes::new(),
    };
    (record, request)
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
        return webhook::receive(&req.body, request_id);
    }
    let Some(endpoint) = api::endpoint(&req.path) else {
        return Reply::error(
            StatusCode::NOT_FOUND,
            "endpoint_not_found",
            &format!("There is no endpoint at {}", req.path),
            request_id,
        );
    };
    let key = match auth::authenticate(&req.auth, &shared.api_keys, request_id) {
        Ok(key) => key,
        Err(reply) => return reply,
    };
    if let Some(seconds) = shared.rate_limit.over_limit(key) {
        return Reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            &format!("Rate limit exceeded for this API key. Try again in {seconds} seconds."),
            request_id,
        )
        .with_header("Retry-After", seconds.to_string());
    }
    if !shared.permissions.granted(endpoint.permission) {
        return auth::missing_permission(endpoint.permission, &req.path, request_id);
    }
    let body = match json_object(req) {
        Ok(body) => body,
        Err(message) => return Reply::error(StatusCode::OK, "invalid_input", message, request_id),
    };
    if let Some(unknown) = body.keys().find(|k| !endpoint.fields.contains(&k.as_str())) {
        let message = format!(
            "unknown field `{unknown}`: {} does not declare it (Ashby may ignore it; the mock refuses it)",
            endpoint.path
        );
        return Reply::error(StatusCode::OK, "invalid_input", &message, request_id);
    }
    let scopes = shared.permissions.scopes(api::permissions());
    let result = {
        let mut org = lock(&shared.org);
        (endpoint.handler)(&mut org, &Args::for_key(&body, &scopes))
    };
    match result {
        Ok(results) => Reply::ok(results),
        Err(e) => Reply::error(StatusCode::OK, &e.code, &e.message, request_id),
    }
}

/// The body as one JSON object sent as `application/json`, or why it is not.
fn json_object(req: &RequestParts) -> Result<Map<String, Value>, &'static str> {
    let is_json = req.content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
    });
    if !is_json {
        return Err("The Content-Type header must be application/json.");
    }
    match serde_json::from_slice(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Array(_)) => {
            Err("Batched requests are not supported: send one JSON object per request.")
        }
        Ok(_) => Err("Request payload is malformed: the body must be a JSON object."),
        Err(_) => Err("Request payload is malformed: the body is not valid JSON."),
    }
}

/// A 503 for `per_million` requests in a million, at random.
fn random_failure(per_million: u32) -> Option<FaultKind> {
    (per_million > 0 && fastrand::u32(..1_000_000) < per_million)
        .then_some(FaultKind::ServerError(503))
}
