//! # Ashby destination connector
//!
//! A destination for [Ashby](https://developers.ashbyhq.com)'s recruiting
//! API that turns input records (JSON objects) into `POST /<category>.<method>`
//! requests, built as a sandboxed WebAssembly component (`wasm32-wasip2`).
//! The component exports the `destination` interface of
//! `wit/destination.wit` and reaches the world only through the host's
//! `http.send` import: it names a path, never a host, and never sees
//! credentials.
//!
//! The crate has two layers:
//!
//! - a **pure core**, native-testable and free of wit-bindgen types:
//!   [`templates`] (the embedded `templates.json`), [`schema`] (the field-type
//!   grammar and validators), [`config`] (strict config parsing), [`shape`]
//!   (record → request body), [`envelope`] (Ashby response → outcome) and
//!   [`core`] ([`Destination`], which plans, sends and classifies). It talks
//!   HTTP through the [`Transport`] trait, so benchmarks and the host's native
//!   comparison can run it with an in-process transport;
//! - a thin **bindings** layer (wasm32 only) that implements the exported
//!   `Guest` trait by converting types and delegating to the core, keeps the
//!   configured [`Destination`] for the instance's lifetime, and implements
//!   [`Transport`] with the imported `http.send`.
//!
//! ```
//! use plugin::{Destination, InputRecord};
//!
//! let (dest, summary) = Destination::configure(r#"{"template": "create-candidate"}"#).unwrap();
//! assert_eq!(summary.endpoint, "/candidate.create");
//! let sample = dest.sample(&[InputRecord::new(0, r#"{"name": "Ada Lovelace"}"#)]);
//! assert_eq!(sample.requests[0].body, r#"{"name":"Ada Lovelace"}"#);
//! ```

pub mod config;
pub mod core;
pub mod envelope;
pub mod lost_write;
pub mod schema;
pub mod shape;
pub mod templates;
pub mod types;

pub use crate::core::{Destination, MAX_RECORDS_PER_CALL};
pub use crate::templates::Template;
pub use crate::types::*;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod bindings;

/// The guest's small-block allocator (wasm32 without threads only).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[allow(
    unsafe_code,
    reason = "a global allocator; see the module's SAFETY notes"
)]
mod class_alloc;
