//! A mock of the Ashby public API, served over real HTTP/1.1 on loopback.
//!
//! The mock follows Ashby's documented behaviour (RPC-style `POST /<category>.<method>`
//! endpoints, HTTP Basic auth with the API key as username, HTTP 200 + `success:false`
//! envelopes for validation errors, 401/403/429 for auth and throttling) and keeps an
//! in-memory organisation so that ids returned by a create work in later calls.
//!
//! It runs on its own thread with its own tokio runtime, so both synchronous tests and
//! async code can use it. Faults (rate limits, 5xx, dropped connections, garbage bodies…)
//! can be queued with [`MockAshby::inject`]; every request is recorded and can be read
//! back with [`MockAshby::requests`].
//!
//! # Where the rules come from
//!
//! Validation rules here are written from Ashby's documentation and OpenAPI description,
//! independently of the connector: never from `templates.json` or the plugin's code. Tests
//! therefore exercise the connector against Ashby's rules and not its own. Where Ashby's
//! docs are silent the mock picks the stricter reading and says so in a comment (a second
//! application of a candidate to a job, a second running offer process). A top-level field
//! an endpoint's request schema does not declare is refused with `invalid_input`, naming it
//! (Ashby may silently ignore it; a connector that sends one would lose data without a
//! word, so the mock makes it loud). Each endpoint lists its declared fields in its
//! `ENDPOINTS` row.
//!
//! # Modules
//!
//! - `mock`: [`MockAshby`], the handle tests hold; `config`: [`MockConfig`], how to start it.
//! - `server`: the accept loop, one request from bytes to reply, and routing; `reply`
//!   builds the HTTP answers (Ashby's envelope and headers).
//! - `auth`: the `Authorization` header, keys and permissions; `rate_limit`: the per-key
//!   window; `faults`: injected [`Fault`]s; `record`: the [`RecordedRequest`] log;
//!   `webhook`: the response-webhook receiver at [`WEBHOOK_PATH`].
//! - `state`: the in-memory organisation (`Org`), its seed and [`StateSnapshot`];
//!   [`fixtures`]: the seeded ids.
//! - `validate`: field converters and the `Args` reader used by every endpoint, with
//!   `validate::formats` for UUIDs, emails, URLs and dates; `ids`: ids and time.
//! - `api`: one file per endpoint category (`api/candidate.rs`, `api/job.rs`, …) holding
//!   its handlers and their validation.
//!
//! # Adding an endpoint
//!
//! 1. Write the handler in `src/api/<category>.rs` as
//!    `fn(&mut Org, &Args<'_>) -> ApiResult<Value>`: read every documented field with
//!    `Args::req`/`Args::opt` and a `validate::v_*` converter (in Ashby's documented
//!    types), check referenced ids with `Org::require`/`Org::lookup`, then change the
//!    organisation and return the `results` object.
//! 2. Add an `Endpoint { path, permission, fields, handler }` row to that file's
//!    `ENDPOINTS` (`permission` is the one Ashby's docs name for the endpoint, `fields`
//!    the top-level properties of its request schema in the OpenAPI).
//! 3. For a new category, create the file, declare it in `src/api/mod.rs` and add its
//!    `ENDPOINTS` to `CATEGORIES` there.
//! 4. Test it over HTTP in a module of `tests/main.rs`, through the public API only.

mod api;
mod auth;
mod config;
mod faults;
pub mod fixtures;
mod ids;
mod mock;
mod rate_limit;
mod record;
mod reply;
mod server;
mod state;
mod sync;
mod validate;
mod webhook;

pub use api::endpoint_paths;
pub use config::{MockConfig, default_api_key};
pub use faults::{Fault, FaultKind};
pub use mock::MockAshby;
pub use record::RecordedRequest;
pub use reply::ASHBY_VERSION;
pub use state::StateSnapshot;
pub use webhook::WEBHOOK_PATH;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::fixtures::*;
    use crate::ids::{civil_from_days, new_id, now_iso, request_id};
    use crate::validate::formats::{is_date, is_datetime, is_email, is_url, is_uuid};

    #[test]
    fn validators() {
        assert!(is_uuid(JOB_ID));
        assert!(is_uuid(&new_id()));
        assert!(!is_uuid("not-a-uuid"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-1-01"));
        assert!(is_datetime("2026-01-31T12:00:00Z"));
        assert!(is_datetime("2026-01-31T12:00:00.123+02:00"));
        assert!(is_datetime("2026-01-31T12:00Z"));
        assert!(!is_datetime("2026-01-31T12:00:00"));
        assert!(!is_datetime("2026-01-31 12:00:00Z"));
        assert!(is_email("a.b+c@example.co.uk"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(is_url("https://github.com/ada"));
        assert!(!is_url("github.com/ada"));
        assert!(!is_url("https://"));
        let id = request_id();
        assert_eq!(id.len(), 26);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(request_id(), request_id());
        assert!(now_iso().ends_with('Z'));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        let key = default_api_key();
        assert!(key.starts_with("mock-") && key.len() == 37);
        assert_eq!(MockConfig::default().api_keys, vec![key.to_owned()]);
    }
}
