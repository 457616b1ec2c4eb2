//! The endpoints, one file per category of Ashby's API. Each file holds its handlers, their
//! validation and an `ENDPOINTS` table; [`CATEGORIES`] lists the tables. The crate docs say
//! how to add an endpoint.

mod application;
mod candidate;
mod custom_field;
mod job;
mod offer_process;
mod opening;

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
    /// What it does.
    pub(crate) handler: Handler,
}

/// Every category's endpoint table.
const CATEGORIES: &[&[Endpoint]] = &[
    application::ENDPOINTS,
    candidate::ENDPOINTS,
    custom_field::ENDPOINTS,
    job::ENDPOINTS,
    opening::ENDPOINTS,
    offer_process::ENDPOINTS,
];

fn all() -> impl Iterator<Item = &'static Endpoint> {
    CATEGORIES.iter().flat_map(|table| table.iter())
}

/// The endpoint at `path`, if the mock implements it.
pub(crate) fn endpoint(path: &str) -> Option<&'static Endpoint> {
    all().find(|e| e.path == path)
}

/// Paths of every endpoint the mock implements.
pub fn endpoint_paths() -> Vec<&'static str> {
    all().map(|e| e.path).collect()
}
