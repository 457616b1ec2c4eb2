//! What an endpoint is: a path, the permission it needs and its handler.

use serde_json::Value;

use crate::state::Org;
use crate::validate::{ApiResult, Args};

/// An endpoint's work: validate the body's fields, change the organisation, return the
/// envelope's `results`.
pub(crate) type Handler = fn(&mut Org, &Args<'_>) -> ApiResult<Value>;

/// One endpoint the mock implements.
pub(crate) struct Endpoint {
    /// The request path, e.g. `/candidate.create`.
    pub(crate) path: &'static str,
    /// The permission Ashby's docs require for it, e.g. `candidatesWrite`.
    pub(crate) permission: &'static str,
    /// The top-level body fields its request schema declares in Ashby's OpenAPI. Any
    /// other field is refused (`invalid_input`): Ashby may ignore it, but a field that
    /// is silently dropped is a bug in the connector, so the mock makes it loud.
    pub(crate) fields: &'static [&'static str],
    /// What it does.
    pub(crate) handler: Handler,
}
