//! HTTP answers: Ashby's JSON envelope and the headers every response carries.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

/// Value of the `Ashby-Version` header on every response.
pub const ASHBY_VERSION: &str = "2026-01-01";

/// A response before it becomes a hyper response.
pub(crate) struct Reply {
    /// HTTP status.
    pub(crate) status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    headers: Vec<(&'static str, String)>,
    /// The envelope's `success`, when the body is an envelope.
    pub(crate) success: Option<bool>,
}

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

impl Reply {
    /// HTTP 200 `{success: true, results}`.
    pub(crate) fn ok(results: Value) -> Self {
        let body = json!({ "success": true, "results": results });
        Self::json(StatusCode::OK, &body, Some(true))
    }

    /// Ashby's error envelope `{success: false, errors, errorInfo}` with this status.
    pub(crate) fn error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Self {
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

    /// A non-JSON body, as a proxy or a maintenance page would send.
    pub(crate) fn text(status: StatusCode, content_type: &'static str, body: &'static str) -> Self {
        Self {
            status,
            content_type,
            body: Bytes::from_static(body.as_bytes()),
            headers: Vec::new(),
            success: None,
        }
    }

    /// Adds a response header.
    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The hyper response, with the request id and Ashby's version headers.
    pub(crate) fn into_response(self, request_id: &str) -> Response<Full<Bytes>> {
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
