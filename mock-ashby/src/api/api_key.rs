//! `apiKey.info`: the calling key's title, creation time and scopes (Ashby's OpenAPI:
//! `results.title`, `results.createdAt`, `results.scopes`; it needs `apiKeysRead`, which
//! the server checks before the handler runs, answering 403 `missing_endpoint_permission`).

use serde_json::{Value, json};

use super::endpoint::Endpoint;
use crate::state::Org;
use crate::validate::{ApiResult, Args};

/// This category's endpoints.
pub(crate) const ENDPOINTS: &[Endpoint] = &[Endpoint {
    path: "/apiKey.info",
    permission: "apiKeysRead",
    // The OpenAPI's request body is `type: object` with no properties.
    fields: &[],
    handler: api_key_info,
}];

/// The title every mock key has.
const TITLE: &str = "Mock Ashby API key";
/// When every mock key was made.
const CREATED_AT: &str = "2024-01-02T03:04:05.000Z";

/// The body declares no field, so the mock reads nothing from it.
fn api_key_info(_org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    Ok(json!({
        "title": TITLE,
        "createdAt": CREATED_AT,
        "scopes": a.scopes,
    }))
}
