//! The `bench` command runs end to end on tiny sizes (no timing is asserted:
//! the numbers live in BENCHMARKS.md), and the engine falls back to
//! on-demand allocation when the instance pool cannot be reserved.

use std::path::Path;
use std::process::Command;

fn bin(cache: &Path) -> Command {
    let mut c = crate::util::bin();
    c.env("ASHBY_CONNECTOR_CACHE_DIR", cache);
    c
}

#[test]
fn bench_quick_prints_every_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path()).args(["bench", "--quick"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for needle in [
        "| target | measured | goal | result |",
        "1. sample-payload, component / native",
        "1. send through the component",
        "2. new configured instance, median (pooling)",
        "2. CLI start to first request, warm cache",
        "configured instances resident",
        "tenant(s) sending at once",
        "4. send / native client (reqwest, 8 keep-alive connections)",
        "4. client CPU per record, send / native client",
        "4. send vs Python http.client",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
}

#[test]
fn bench_refuses_an_unknown_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .args(["bench", "--quick", "--only", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario `nope`"));
}

/// With the address space capped below what the pool reserves, the engine
/// allocates on demand and the run still delivers.
#[cfg(target_os = "linux")]
#[test]
fn pool_falls_back_to_on_demand_when_address_space_is_short() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"name\":\"Ada\",\"email\":\"ada@example.com\"}\n").unwrap();
    let exe = env!("CARGO_BIN_EXE_host-harness");
    let script = format!(
        "ulimit -v 6000000 && exec \"{exe}\" send --config examples/create-candidate.json --input \"{}\"",
        input.display()
    );
    let out = Command::new("sh")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(["-c", &script])
        .env("ASHBY_CONNECTOR_CACHE_DIR", dir.path().join("cache"))
        .env_remove("ASHBY_API_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("allocating on demand"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["delivered"], 1);
}
