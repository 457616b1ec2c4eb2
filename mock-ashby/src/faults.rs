//! Injected faults: what they are, the queue they wait in, and the answers they replace.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use hyper::StatusCode;

use crate::api;
use crate::auth::{forbidden, missing_permission, unauthorized};
use crate::reply::Reply;
use crate::sync::lock;

/// A fault queued with [`MockAshby::inject`](crate::MockAshby::inject).
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
    /// Short name of the fault, as recorded in [`RecordedRequest::fault`](crate::RecordedRequest::fault): `RateLimit`,
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

/// Faults waiting to be applied, in queue order.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue(Mutex<VecDeque<Fault>>);

impl FaultQueue {
    /// Queues `fault`; one with `times == 0` is ignored.
    pub(crate) fn push(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.0).push_back(fault);
        }
    }

    /// Sum of the remaining `times`.
    pub(crate) fn pending(&self) -> u32 {
        lock(&self.0).iter().map(|f| f.times).sum()
    }

    /// Removes every queued fault.
    pub(crate) fn clear(&self) {
        lock(&self.0).clear();
    }

    /// Takes one application of the first queued fault matching `path`.
    pub(crate) fn take(&self, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.0);
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
}

/// The answer to a request a fault replaces (every kind but `Drop`, `DropAfterApply` and
/// `Delay`, which change how the normal answer is sent).
pub(crate) fn fault_reply(kind: &FaultKind, path: &str, request_id: &str) -> Reply {
    match kind {
        FaultKind::RateLimit {
            retry_after,
            partner_scope,
        } => rate_limited(retry_after.as_deref(), *partner_scope, request_id),
        FaultKind::ServerError(code) => server_error(*code, request_id),
        FaultKind::Unavailable { retry_after } => Reply::text(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            "<html><body><h1>Down for maintenance</h1></body></html>",
        )
        .with_header("Retry-After", retry_after.clone()),
        FaultKind::Unauthorized => unauthorized(request_id),
        FaultKind::Forbidden => forbidden(request_id),
        FaultKind::MissingPermission => {
            let permission = api::endpoint(path).map_or("an unknown", |e| e.permission);
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

/// 429 `rate_limit_exceeded`, with `Retry-After` when given, per key or per partner.
fn rate_limited(retry_after: Option<&str>, partner_scope: bool, request_id: &str) -> Reply {
    let message = if partner_scope {
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
        reply = reply.with_header("Retry-After", seconds.to_owned());
    }
    if partner_scope {
        reply = reply.with_header("X-RateLimit-Scope", "integration-partner".to_owned());
    }
    reply
}

/// 500 as Ashby's JSON envelope; any other status as a proxy's HTML page.
fn server_error(code: u16, request_id: &str) -> Reply {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
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
