//! The endpoints, one file per category of Ashby's API. Each file holds its handlers, their
//! validation and an `ENDPOINTS` table; [`CATEGORIES`] lists the tables. The crate docs say
//! how to add an endpoint.

mod api_key;
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
    api_key::ENDPOINTS,
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

/// Every permission an endpoint of the mock needs, with each `…Write`'s `…Read`, once
/// each, in table order.
pub(crate) fn permissions() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for p in all().map(|e| e.permission) {
        let read = p.strip_suffix("Write").and_then(|m| {
            all()
                .map(|e| e.permission)
                .find(|q| q.strip_suffix("Read") == Some(m))
        });
        for q in [Some(p), read].into_iter().flatten() {
            if !out.contains(&q) {
                out.push(q);
            }
        }
    }
    out
}

/// Paths of every endpoint the mock implements.
pub fn endpoint_paths() -> Vec<&'static str> {
    all().map(|e| e.path).collect()
}
