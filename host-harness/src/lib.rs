//! The host side of the Ashby destination: the reference embedding for Rust
//! hosts, the mock Ashby, and the CLI's building blocks.
//!
//! - [`runtime`] compiles the component once and makes sandboxed instances,
//!   one `Store` per tenant flow, with that tenant's origin and credential.
//! - [`http_host`] serves the component's only import, `http.send`: it is the
//!   one place where the network is reached and where policy is enforced.
//! - [`input`] reads JSON Lines, JSON arrays and CSV as a stream of records.
//! - [`deliver`] drives `send` over a whole input and accounts for every record.
//! - [`mock`] is a stateful mock of Ashby's API on loopback.
//!
//! This crate is the only one that knows wasmtime.

pub mod bench;
pub mod cache;
pub mod deliver;
pub mod demo;
pub mod guest_log;
pub mod http_host;
pub mod input;
pub mod journal;
pub mod mock;
pub mod rate;
pub mod runtime;
pub mod secret;
pub mod webhook;

/// Path of the plugin component built by `build.rs` for `wasm32-wasip2`.
pub const PLUGIN_WASM: &str = env!("PLUGIN_WASM");
