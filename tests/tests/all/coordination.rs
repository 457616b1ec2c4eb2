//! The library side of `--coordination`: a key's budget and an origin's
//! circuit shared through a real `redis-server` by two [`Coordination`]s,
//! as two host processes would hold them.

use destination_host::circuit::{CircuitState, CircuitStore, Policy, Signal, TurnKind};
use destination_host::coordination::{Coordination, Pacer};
use destination_host::origin::Origin;
use destination_host::rate::Rate;
use destination_host::secret::ApiKey;
use destination_host::shared_circuit::RedisCircuitStore;
use std::time::{Duration, Instant};
use test_support::redis_server::RedisServer;

const ORIGIN: &str = "http://127.0.0.1:9";

fn failed(key: u64) -> Signal {
    Signal::Failed {
        key: Some(key),
        retry_after: None,
        what: "HTTP 503".into(),
    }
}

fn open_of(store: &RedisCircuitStore) -> bool {
    let mut open = false;
    store.update(ORIGIN, &mut |s: &mut CircuitState| open = s.open);
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_circuit_and_one_probe() {
    let redis = RedisServer::start();
    let (a, b) = (
        RedisCircuitStore::new(&Coordination::new(&redis.url(), 2).unwrap()),
        RedisCircuitStore::new(&Coordination::new(&redis.url(), 2).unwrap()),
    );
    let policy = Policy::default();
    let now = destination_host::circuit::now_ms();
    // Three different requests fail, one seen by `a`, two by `b`.
    a.update(ORIGIN, &mut |s| s.report(now, &failed(1), &policy));
    b.update(ORIGIN, &mut |s| s.report(now, &failed(2), &policy));
    assert!(!open_of(&a));
    b.update(ORIGIN, &mut |s| s.report(now, &failed(3), &policy));
    assert!(open_of(&a), "b's failures opened the circuit a sees");
    // When the probe is due, only one of them may send it.
    let later = now + policy.probe_cap.as_millis() as u64 * 2;
    let mut turns = Vec::new();
    for store in [&a, &b, &a] {
        store.update(ORIGIN, &mut |s| turns.push(s.turn(later, 0, &policy)));
    }
    let probes = turns
        .iter()
        .filter(|t| matches!(t, TurnKind::Probe))
        .count();
    assert_eq!(probes, 1, "{turns:?}");
    // Its answer closes the circuit for both.
    a.update(ORIGIN, &mut |s| s.report(later, &Signal::Answered, &policy));
    assert!(!open_of(&b));
    // Redis holds a hashed name with an expiry, not the origin.
    let keys = redis.contents();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(!keys[0].0.contains("127.0.0.1") && keys[0].0.ends_with(":circuit"));
    let ttl = redis.command(&["PTTL", &keys[0].0]).unwrap();
    assert!(ttl.starts_with(':') && ttl != ":-1\r\n", "{ttl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_is_shared_and_survives_redis_going_away() {
    let mut redis = RedisServer::start();
    let key = ApiKey::new("sk-lib-0123456789abcdef").unwrap();
    let origin = Origin::parse(ORIGIN).unwrap();
    let rate = Rate::parse("20/s").unwrap();
    let pacers: Vec<Pacer> = (0..2)
        .map(|_| {
            Coordination::new(&redis.url(), 2)
                .unwrap()
                .pacer(&key, &origin, rate)
        })
        .collect();
    // 40 tokens from two "processes": 20 from the shared burst, 20 at 20/s.
    let start = Instant::now();
    for i in 0..40 {
        pacers[i % 2].acquire().await;
    }
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    // A pause from one holds the other.
    pacers[0].pause_for(Duration::from_millis(400)).await;
    let paused = Instant::now();
    pacers[1].acquire().await;
    assert!(
        paused.elapsed() >= Duration::from_millis(380),
        "{:?}",
        paused.elapsed()
    );
    // Redis gone: tokens still come, at the local share (10/s each).
    redis.kill();
    let down = Instant::now();
    for _ in 0..15 {
        pacers[1].acquire().await;
    }
    let took = down.elapsed();
    assert!(
        took >= Duration::from_millis(400),
        "unpaced without Redis: {took:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "stuck without Redis: {took:?}"
    );
}
