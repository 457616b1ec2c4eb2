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

/// Declares an error type that is one sentence: `Name(pub String)`, shown
/// as the sentence itself.
macro_rules! message_error {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub String);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::error::Error for $name {}
    };
}

pub mod bench;
pub mod cache;
pub mod deliver;
pub mod demo;
pub mod fuzzing;
pub mod guest_log;
pub mod http_host;
pub mod input;
pub mod inspect;
pub mod journal;

pub mod rate;
pub mod runtime;
pub mod secret;
pub mod webhook;
pub mod world;

/// Path of the plugin component built by `build.rs` for `wasm32-wasip2`.
pub const PLUGIN_WASM: &str = env!("PLUGIN_WASM");

/// Test-only: the hostile guest of `test-guests/hostile` (a component of the
/// same world that misbehaves on purpose). The CLI never loads it by itself.
pub const HOSTILE_WASM: &str = env!("HOSTILE_WASM");

/// Test-only: the component of `test-guests/mismatch`, of another world.
pub const MISMATCH_WASM: &str = env!("MISMATCH_WASM");
