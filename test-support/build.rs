//! Builds the plugin and the test-only guests of `test-guests/` for
//! `wasm32-wasip2` (see `host-harness/guest_build.rs`): `PLUGIN_WASM`,
//! `HOSTILE_WASM` (a component that attacks its host) and `MISMATCH_WASM`
//! (a component of another world).

#[path = "../host-harness/guest_build.rs"]
mod guest_build;

fn main() {
    guest_build::build(
        &[
            ("plugin", "PLUGIN_WASM"),
            ("hostile", "HOSTILE_WASM"),
            ("mismatch", "MISMATCH_WASM"),
        ],
        &[
            "plugin/src",
            "plugin/Cargo.toml",
            "plugin/build.rs",
            "test-guests",
            "wit",
            "templates.json",
            "Cargo.lock",
        ],
    );
}
