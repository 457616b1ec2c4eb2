//! Builds the plugin component for `wasm32-wasip2` (see `guest_build.rs`)
//! and exports its path as `PLUGIN_WASM`, the component the CLI runs unless
//! `--plugin` names another; exports the source revision it was built from
//! as `SOURCE_REVISION` (for `component --out`).

mod guest_build;

use std::process::Command;

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
    source_revision();
}

/// `git rev-parse HEAD`, with `+modified` when the work tree differs from it,
/// or `unknown` outside a git checkout. Re-run after every commit.
fn source_revision() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    if let Some(log) = git(&["rev-parse", "--git-path", "logs/HEAD"]) {
        println!("cargo::rerun-if-changed={log}");
    }
    let revision = match git(&["rev-parse", "HEAD"]) {
        Some(rev) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(s) if !s.is_empty() => format!("{rev}+modified"),
            _ => rev,
        },
        None => "unknown".to_string(),
    };
    println!("cargo::rustc-env=SOURCE_REVISION={revision}");
}
