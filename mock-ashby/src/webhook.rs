//! The mock doubles as a response-webhook receiver (`--responses-url`): it takes any JSON
//! body POSTed at [`WEBHOOK_PATH`], without auth.

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::reply::Reply;

/// The path at which the mock acts as a response-webhook receiver.
pub const WEBHOOK_PATH: &str = "/_webhook";

/// Accepts a webhook record if its body is JSON.
pub(crate) fn receive(body: &[u8], request_id: &str) -> Reply {
    match serde_json::from_slice::<Value>(body) {
        Ok(_) => Reply::ok(json!({"received": true})),
        Err(e) => Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &format!("the webhook body is not JSON: {e}"),
            request_id,
        ),
    }
}
