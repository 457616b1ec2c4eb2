//! Builds guest crates for `wasm32-wasip2` with a child cargo and its own
//! target directory (the pattern of wasmtime's `test-programs`), so that a
//! plain `cargo build` or `cargo test --workspace` produces the components,
//! and exports each one's path as an environment variable of the crate.
//!
//! Used by `host-harness/build.rs` (the plugin, which the CLI embeds) and by
//! `test-support/build.rs` (the plugin and the test-only guests), through
//! `#[path]`. Both share one child target directory, `<target>/wasm-guests`,
//! so the plugin is compiled once; it is not the parent's, which avoids
//! waiting on the parent's build-directory lock (rust-lang/cargo#8938).

use std::env;
use std::path::PathBuf;
use std::process::Command;

/// Builds `guests` (crate name, environment variable) and exports their
/// paths; `watch` are the paths (relative to the workspace root) whose
/// changes rebuild them.
pub fn build(guests: &[(&str, &str)], watch: &[&str]) {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.clone());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap_or_default());
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join("wasm-guests"))
        .unwrap_or_else(|| out_dir.join("wasm-guests"));
    let profile = if env::var("PROFILE").as_deref() == Ok("release") {
        "release"
    } else {
        "debug"
    };

    for path in watch {
        println!("cargo::rerun-if-changed={}", root.join(path).display());
    }
    println!("cargo::rerun-if-env-changed=RUSTFLAGS");

    ensure_target();

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .arg("build")
        .args(guests.iter().map(|(krate, _)| format!("--package={krate}")))
        .arg("--lib")
        .arg("--target=wasm32-wasip2")
        .arg("--locked")
        .arg(format!("--target-dir={}", target_dir.display()))
        .env("CARGO_BUILD_BUILD_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR");
    // Only -D warnings is forwarded: host flags (e.g. -C target-cpu) must not
    // leak into the wasm build, but CI's deny-warnings should cover the guest.
    let parent_flags = env::var("RUSTFLAGS").unwrap_or_default();
    if parent_flags.contains("-D warnings") || parent_flags.contains("-Dwarnings") {
        cmd.env("RUSTFLAGS", "-D warnings");
    } else {
        cmd.env_remove("RUSTFLAGS");
    }
    if profile == "release" {
        // Whole-program optimisation for the guest only (the host's release
        // profile is untouched): fewer calls into the allocator and std
        // across crate boundaries, measured by `host-harness bench`.
        cmd.arg("--release")
            .args(["--config", "profile.release.lto=true"])
            .args(["--config", "profile.release.codegen-units=1"]);
    }

    let output = match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("could not run cargo to build the guests: {e}"),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint =
            if stderr.contains("wasm32-wasip2") && stderr.contains("target may not be installed") {
                "\n\nThe wasm32-wasip2 target is missing: run `rustup target add wasm32-wasip2`.\n"
            } else {
                ""
            };
        panic!(
            "building the guests for wasm32-wasip2 failed{hint}\n--- child cargo stdout ---\n{}\n--- child cargo stderr ---\n{}",
            String::from_utf8_lossy(&output.stdout),
            stderr
        );
    }
    for (krate, var) in guests {
        let wasm = target_dir
            .join("wasm32-wasip2")
            .join(profile)
            .join(format!("{krate}.wasm"));
        if !wasm.exists() {
            panic!(
                "the {krate} build succeeded but {} is missing",
                wasm.display()
            );
        }
        println!("cargo::rustc-env={var}={}", wasm.display());
    }
}

/// On a fresh machine the wasm32-wasip2 standard library may be missing:
/// install it with rustup (from rustup's own servers) so that the README's
/// commands need no other set-up. Without rustup, the build fails below with
/// a clear message.
fn ensure_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = sysroot
        .map(|s| s.join("lib/rustlib/wasm32-wasip2").exists())
        .unwrap_or(false);
    if installed {
        return;
    }
    println!("cargo::warning=installing the wasm32-wasip2 target with rustup");
    let _ = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .status();
}
