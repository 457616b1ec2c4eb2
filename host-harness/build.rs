//! Builds the plugin component for `wasm32-wasip2` (see `guest_build.rs`)
//! and exports its path as `PLUGIN_WASM`, the component the CLI runs unless
//! `--plugin` names another.

mod guest_build;

fn main() {
    guest_build::build(
        &[("plugin", "PLUGIN_WASM")],
        &[
            "plugin/src",
            "plugin/Cargo.toml",
            "plugin/build.rs",
            "wit",
            "templates.json",
            "Cargo.lock",
        ],
    );
}
