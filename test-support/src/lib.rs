//! Test support, kept out of the release library: the components built for
//! tests, a runtime whose guest memory a test can read ([`inspect`]), and
//! the fuzz entry points ([`fuzzing`]) that `fuzz/` and the property tests
//! share.

pub mod fuzzing;
pub mod inspect;
pub mod redis_server;

/// The plugin component, built by `build.rs` for `wasm32-wasip2`.
pub const PLUGIN_WASM: &str = env!("PLUGIN_WASM");

/// The hostile guest of `test-guests/hostile`: a component of the same
/// world that misbehaves on purpose, as its config says.
pub const HOSTILE_WASM: &str = env!("HOSTILE_WASM");

/// The component of `test-guests/mismatch`, of another world.
pub const MISMATCH_WASM: &str = env!("MISMATCH_WASM");
