//! `--coordination`: several `send` processes on one API key share one
//! budget through a real `redis-server` on loopback (test_support starts
//! it). The mock Ashby is the judge: it records when each request arrived.

use base64::Engine as _;
use mock_ashby::{Fault, FaultKind, MockAshby, MockConfig, RecordedRequest};
use serde_json::Value;
use std::path::Path;
use std::process::Child;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use test_support::redis_server::RedisServer;

use crate::util::{bin, write};

const KEY: &str = "sk-coord-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// These tests measure time across processes: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn mock() -> MockAshby {
    MockAshby::start(MockConfig {
        api_keys: vec![KEY.into()],
        ..MockConfig::default()
    })
    .unwrap()
}

/// Compiles the component into the tests' cache once, so the processes a
/// test starts together start sending together.
fn warm(dir: &Path) {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let config = write(dir, "warm.json", r#"{"template":"create-candidate"}"#);
        let input = write(dir, "warm.jsonl", "{\"name\":\"W\"}\n");
        let out = bin()
            .arg("sample")
            .arg("--config")
            .arg(&config)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Process `p`'s `send` of `n` records named `P{p}-C{i}`, at 10/s on the
/// key, through the Redis at `url`, shared by `workers` processes.
fn spawn(dir: &Path, mock: &MockAshby, url: &str, p: usize, n: usize, workers: u32) -> Child {
    warm(dir);
    // One config per process: rewriting a shared one while an earlier
    // process reads it can hand that process an empty file.
    let config = write(
        dir,
        &format!("c{p}.json"),
        r#"{"template":"create-candidate"}"#,
    );
    let records: String = (0..n)
        .map(|i| format!("{{\"name\":\"P{p}-C{i}\"}}\n"))
        .collect();
    let input = write(dir, &format!("in{p}.jsonl"), records);
    let file = |ext: &str| std::fs::File::create(dir.join(format!("p{p}.{ext}"))).unwrap();
    bin()
        .env("ASHBY_API_KEY", KEY)
        // The rates and pauses here count requests: no `auth` preflight (its
        // tests are in check_cli.rs).
        .args(["send", "--no-preflight", "--base-url", &mock.base_url()])
        .args(["--rate", "10/s"])
        .args(["--coordination", url, "--workers", &workers.to_string()])
        .arg("--config")
        .arg(&config)
        .arg("--input")
        .arg(&input)
        .arg("--dead-letter")
        .arg(dir.join(format!("p{p}.dead.jsonl")))
        .stdout(file("out"))
        .stderr(file("err"))
        .spawn()
        .unwrap()
}

/// Waits for every process; asserts each delivered all `n` records and
/// dead-lettered none; returns their stderr texts.
fn finish(dir: &Path, children: Vec<Child>, n: u64) -> Vec<String> {
    children
        .into_iter()
        .enumerate()
        .map(|(p, mut c)| {
            let status = c.wait().unwrap();
            let read = |ext: &str| std::fs::read_to_string(dir.join(format!("p{p}.{ext}")));
            let err = read("err").unwrap();
            assert!(status.success(), "process {p}: {status}: {err}");
            let summary: Value = serde_json::from_str(&read("out").unwrap()).unwrap();
            assert_eq!(summary["delivered"], n, "process {p}: {summary}");
            assert_eq!(summary["dead_lettered"], 0, "process {p}: {summary}");
            assert_eq!(read("dead.jsonl").unwrap_or_default(), "");
            err
        })
        .collect()
}

/// The most requests that arrived within any one second.
fn worst_second(reqs: &[RecordedRequest]) -> usize {
    let mut at: Vec<Instant> = reqs.iter().map(|r| r.at).collect();
    at.sort();
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..at.len() {
        while at[hi] - at[lo] >= Duration::from_secs(1) {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

fn name(r: &RecordedRequest) -> &str {
    r.body["name"].as_str().unwrap_or("")
}

/// Polls `until` every 5 ms (30 s at most).
fn wait_for(mut until: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !until() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn running(children: &mut [Child]) -> bool {
    children.iter_mut().any(|c| c.try_wait().unwrap().is_none())
}

#[test]
fn three_processes_on_one_key_keep_to_one_rate_and_redis_never_sees_the_key() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let mock = mock();
    let mut children: Vec<Child> = (0..3)
        .map(|p| spawn(dir.path(), &mock, &redis.url(), p, 20, 3))
        .collect();
    let mut seen = Vec::new();
    while running(&mut children) {
        seen.extend(redis.contents());
        std::thread::sleep(Duration::from_millis(50));
    }
    let errs = finish(dir.path(), children, 20);
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 60);
    // 10/s with one second's burst, across all three: at most 20 in any
    // second (unshared, three buckets allowed 58).
    let worst = worst_second(&reqs);
    assert!(worst <= 20, "worst second: {worst} requests");
    // And the budget is spent at the rate: 10 at once, then 50 at 10/s.
    let first = reqs.iter().map(|r| r.at).min().unwrap();
    let last = reqs.iter().map(|r| r.at).max().unwrap();
    assert!(
        last - first >= Duration::from_millis(4_500),
        "{:?}",
        last - first
    );
    for e in &errs {
        assert!(!e.contains("coordination"), "Redis was up: {e}");
    }
    // What Redis held while they ran: namespaced keys, never the API key.
    assert!(seen.iter().any(|(k, _)| k.ends_with(":rate")), "{seen:?}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    for (k, v) in &seen {
        assert!(k.starts_with("ashby-destination:{"), "{k}");
        for text in [k, v] {
            assert!(
                !text.contains(KEY) && !text.contains(&b64),
                "the key is in Redis: {text}"
            );
            assert!(
                !text.contains(&KEY[3..19]),
                "part of the key is in Redis: {text}"
            );
        }
    }
}

#[test]
fn a_429_with_retry_after_seen_by_one_process_pauses_all_three() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let mock = mock();
    let children: Vec<Child> = (0..3)
        .map(|p| spawn(dir.path(), &mock, &redis.url(), p, 25, 3))
        .collect();
    // Once all three send, past the shared burst, the next request is a 429.
    wait_for(|| {
        let reqs = mock.requests();
        reqs.len() >= 12
            && (0..3).all(|p| reqs.iter().any(|r| name(r).starts_with(&format!("P{p}-"))))
    });
    mock.inject(Fault::once(FaultKind::RateLimit {
        retry_after: Some("2".into()),
        partner_scope: false,
    }));
    finish(dir.path(), children, 25);
    let reqs = mock.requests();
    let limited: Vec<&RecordedRequest> = reqs
        .iter()
        .filter(|r| r.fault.as_deref() == Some("RateLimit"))
        .collect();
    assert_eq!(limited.len(), 1);
    let t = limited[0].at;
    // Nothing from anyone for Retry-After (a request already out when the
    // 429 came back may land within a few ms); then every process sends again.
    let early: Vec<_> = reqs
        .iter()
        .filter(|r| r.at > t + Duration::from_millis(20) && r.at < t + Duration::from_millis(1_950))
        .map(|r| (name(r).to_string(), r.at - t))
        .collect();
    assert!(early.is_empty(), "sent during the pause: {early:?}");
    let timeline: Vec<_> = reqs
        .iter()
        .map(|r| {
            (
                name(r),
                r.status,
                r.at.saturating_duration_since(t).as_millis(),
            )
        })
        .collect();
    for p in 0..3 {
        let mine = |r: &&RecordedRequest| name(r).starts_with(&format!("P{p}-"));
        assert!(
            reqs.iter().filter(mine).any(|r| r.at < t),
            "P{p} before: {timeline:?}"
        );
        assert!(
            reqs.iter()
                .filter(mine)
                .any(|r| r.at > t + Duration::from_secs(1)),
            "P{p} after: {timeline:?}"
        );
    }
    // The record that got the 429 was sent again and delivered.
    let again = reqs.iter().filter(|r| name(r) == name(limited[0])).count();
    assert_eq!(again, 2);
}

#[test]
fn redis_killed_mid_run_loses_no_record_and_each_process_paces_at_its_share() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::start();
    let mock = mock();
    let children: Vec<Child> = (0..2)
        .map(|p| spawn(dir.path(), &mock, &redis.url(), p, 40, 2))
        .collect();
    wait_for(|| mock.requests().len() >= 15);
    redis.kill();
    let killed = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let restarted = Instant::now();
    redis.restart();
    let errs = finish(dir.path(), children, 40);
    let reqs = mock.requests();
    // Every record sent exactly once: Redis is not in a record's path.
    let mut names: Vec<&str> = reqs.iter().map(name).collect();
    names.sort();
    names.dedup();
    assert_eq!((reqs.len(), names.len()), (80, 80));
    for e in &errs {
        assert!(e.contains("coordination: Redis at 127.0.0.1:"), "{e}");
        assert!(e.contains("locally at the rate divided by 2"), "{e}");
        assert!(e.contains("answers again"), "{e}");
        // One connection's health per process: each switch is told once.
        assert_eq!(e.matches("answers again").count(), 1, "{e}");
        assert_eq!(
            e.matches("coordination: Redis at 127.0.0.1:").count(),
            2,
            "{e}"
        );
    }
    // Without Redis each paced itself at 10/s ÷ 2 from a full local bucket
    // (5): together within the rate plus a second's burst again, and at
    // most 2 × (5 + 5/s × 2 s) over the two seconds. (Each switch, to the
    // local budget and back to a fresh Redis, may spend one burst.)
    let down: Vec<RecordedRequest> = reqs
        .into_iter()
        .filter(|r| r.at > killed && r.at < restarted)
        .collect();
    let worst = worst_second(&down);
    assert!(worst <= 20, "worst second without Redis: {worst}");
    assert!(
        down.len() <= 31,
        "{} requests in 2 s without Redis",
        down.len()
    );
    assert!(
        down.len() >= 10,
        "kept sending without Redis: {}",
        down.len()
    );
}

#[test]
fn an_outage_one_process_found_pauses_a_process_that_starts_later() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let mock = mock();
    mock.inject(Fault::once(FaultKind::ServerError(503)).with_times(10_000));
    let a = spawn(dir.path(), &mock, &redis.url(), 0, 20, 2);
    // Three different failing requests open the origin's circuit, in Redis.
    wait_for(|| mock.requests().len() >= 3);
    std::thread::sleep(Duration::from_millis(200));
    let b = spawn(dir.path(), &mock, &redis.url(), 1, 20, 2);
    let b_started = Instant::now();
    std::thread::sleep(Duration::from_millis(2_500));
    mock.clear_faults();
    finish(dir.path(), vec![a, b], 20);
    // While the outage lasted, the second process sent only probes (one at
    // a time for both, a second or more apart): alone it would have sent
    // three failing requests at once to open a circuit of its own.
    let reqs = mock.requests();
    let failing: Vec<(&str, u128)> = reqs
        .iter()
        .filter(|r| r.status == 503 && r.at > b_started)
        .map(|r| (name(r), r.at.duration_since(b_started).as_millis()))
        .collect();
    let from_b = failing.iter().filter(|(n, _)| n.starts_with("P1-")).count();
    assert!(from_b <= 2, "{failing:?}");
    assert!(failing.len() <= 4, "{failing:?}");
}
