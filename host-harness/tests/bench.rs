//! The `bench` command runs end to end on tiny sizes (no timing is asserted:
//! the numbers live in BENCHMARKS.md), and the engine falls back to
//! on-demand allocation when the instance pool cannot be reserved.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;
use std::process::Command;

fn bin(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_host-harness"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    c.env("ASHBY_CONNECTOR_CACHE_DIR", cache);
    c.env_remove("ASHBY_API_KEY");
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
        "4. send",
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

/// The largest call the component takes (10,000 records) fits in the
/// default memory limit with the guest's size-class allocator, through
/// both `sample-payload` and `send`.
#[test]
fn largest_call_fits_in_the_default_memory_limit() {
    use host_harness::bench::{CONFIG, canned, record};
    use host_harness::http_host::Origin;
    use host_harness::runtime::{InputRecord, Limits, Outcome, Runtime, Tenant};
    use host_harness::secret::ApiKey;

    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let bytes = std::fs::read(host_harness::PLUGIN_WASM).unwrap();
        let runtime = Runtime::with_options(
            &bytes,
            &host_harness::cache::RuntimeOptions {
                pool_instances: Some(4),
                cache_dir: Some(dir.path().to_path_buf()),
            },
        )
        .unwrap();
        let tenant = Tenant {
            name: "big".into(),
            origin: Origin::ashby(),
            key: ApiKey::new("big-call-key").unwrap(),
        };
        // The default memory limit; more CPU time, for the debug-built guest.
        // The host's records-per-call cap raised to the plugin's own cap.
        let limits = Limits {
            cpu_per_call: std::time::Duration::from_secs(60),
            max_records_per_call: plugin::MAX_RECORDS_PER_CALL as usize,
            ..Limits::default()
        };
        let (mut inst, _) = host_harness::deliver::configured(&runtime, &tenant, &limits, CONFIG)
            .await
            .unwrap();
        inst.set_in_process_transport(canned());
        let n = plugin::MAX_RECORDS_PER_CALL as u64;
        let records: Vec<InputRecord> = (0..n)
            .map(|i| InputRecord {
                index: i,
                json: record(i),
            })
            .collect();
        for _ in 0..2 {
            let sample = inst.sample(records.clone()).await.unwrap().unwrap();
            assert_eq!(sample.requests.len() as u64, n);
            let out = inst.send(records.clone()).await.unwrap().unwrap();
            assert_eq!(out.len() as u64, n);
            assert!(
                out.iter()
                    .all(|o| matches!(o.outcome, Outcome::Delivered(_)))
            );
        }
    });
}
