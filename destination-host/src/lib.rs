//! The host side of a sandboxed destination component: the library a Rust
//! platform embeds to run one `.wasm` for many tenants.
//!
//! Layers, each using only those above it (ARCHITECTURE.md has the map):
//! - leaves: [`bindings`] (the contract from `wit/`), [`secret`], [`retry`],
//!   [`origin`], [`input`], [`guest_log`], [`world`], [`text`] (terminal-safe
//!   text), [`unwind`] (panics caught), [`guest_text`] (the key redacted
//!   from what a guest wrote), [`metrics`];
//! - [`rate`] (a token bucket per API key), [`circuit`] (a circuit per
//!   origin: an outage pauses the flows, not the records) and
//!   [`coordination`] (both shared with other processes through Redis),
//!   then [`limits`] (what a tenant
//!   flow is granted) and [`engine`] (wasmtime's engine, pooling, the
//!   compiled-component cache);
//! - [`http_import`]: the component's only import, `http.send`, the one
//!   place the network is reached and policy is enforced;
//! - [`sandbox`]: the compiled component ([`sandbox::Sandbox`]) and one
//!   instance per tenant flow ([`sandbox::Guest`]);
//! - [`journal`] and [`webhook`], then [`deliver`], which drives `send`
//!   over a whole input and accounts for every record.
//!
//! This crate and the CLI are the only ones that know wasmtime. It has no
//! HTTP server, no command line and no knowledge of the plugin's code.

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

pub mod bindings;
pub mod circuit;
pub mod coordination;
pub mod deliver;
pub mod engine;
pub mod guest_log;
pub mod guest_text;
pub mod http_import;
pub mod input;
pub mod journal;
pub mod limits;
pub mod metrics;
pub mod origin;
pub mod rate;
pub mod retry;
pub mod sandbox;
pub mod secret;
pub mod shared_circuit;
pub mod text;
pub mod unwind;
pub mod webhook;
pub mod world;
