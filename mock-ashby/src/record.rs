//! The log of requests the mock received, read back with `MockAshby::requests`.

use std::sync::Mutex;

use serde_json::Value;

use crate::sync::lock;

/// One request the mock received, as recorded by [`MockAshby::requests`](crate::MockAshby::requests).
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
    /// Name of the injected fault applied to this request ([`FaultKind::name`](crate::FaultKind::name)).
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

/// Every request received, in arrival order, each with a sequence number so that its
/// answer can be filled in once known.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<LogEntries>,
}

#[derive(Debug, Default)]
struct LogEntries {
    next_seq: u64,
    list: Vec<(u64, RecordedRequest)>,
}

impl RequestLog {
    /// Appends a request; returns its sequence number for [`RequestLog::complete`].
    pub(crate) fn record(&self, request: RecordedRequest) -> u64 {
        let mut log = lock(&self.entries);
        let seq = log.next_seq;
        log.next_seq += 1;
        log.list.push((seq, request));
        seq
    }

    /// Fills in the answer of request `seq`, unless it was cleared meanwhile.
    pub(crate) fn complete(
        &self,
        seq: u64,
        status: u16,
        success: Option<bool>,
        fault: Option<&str>,
    ) {
        let mut log = lock(&self.entries);
        if let Some((_, r)) = log.list.iter_mut().rev().find(|(s, _)| *s == seq) {
            r.status = status;
            r.success = success;
            r.fault = fault.map(str::to_owned);
        }
    }

    /// Copies of every recorded request, in arrival order.
    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        lock(&self.entries)
            .list
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Forgets every recorded request.
    pub(crate) fn clear(&self) {
        lock(&self.entries).list.clear();
    }
}
