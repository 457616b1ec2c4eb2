//! The endpoints, one file per category of Ashby's API. Each file holds its handlers, their
//! validation and an `ENDPOINTS` table; [`CATEGORIES`] lists the tables. The crate docs say
//! how to add an endpoint.

mod application;
mod candidate;
mod custom_field;
mod endpoint;
mod job;
mod offer_process;
mod opening;

pub(crate) use endpoint::Endpoint;

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
