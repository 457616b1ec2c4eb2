//! The delivery loop's two promises under random faults, as a property test:
//! for any sequence of injected faults (and, in some cases, a run killed
//! part-way and resumed from its journal),
//! 1. every input record is accounted for: input = delivered + dead_lettered
//!    + not_attempted, and
//! 2. no record is created twice, except a record that was in flight when
//!    the run was killed, or whose create Ashby applied but never answered
//!    (the ambiguous failure dedupe_by_email exists for). With dedupe on, no
//!    record is created twice at all.

use destination_host::deliver::{self, JournalSpec, Options};
use destination_host::retry::RetryPolicy;
use destination_host::sandbox::Limits;
use e2e::{items, mock, rt, runtime, tenant};
use mock_ashby::{Fault, FaultKind};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

const N: usize = 12;

fn fault_kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        3 => Just(FaultKind::RateLimit { retry_after: Some("0".into()), partner_scope: false }),
        1 => Just(FaultKind::RateLimit { retry_after: None, partner_scope: true }),
        3 => Just(FaultKind::ServerError(500)),
        2 => Just(FaultKind::ServerError(502)),
        1 => Just(FaultKind::Unavailable { retry_after: "0".into() }),
        3 => Just(FaultKind::Drop),
        3 => Just(FaultKind::DropAfterApply),
        2 => Just(FaultKind::Delay(Duration::from_millis(20))),
        2 => Just(FaultKind::Error { code: "invalid_input".into(), message: "bad".into() }),
        2 => Just(FaultKind::Garbage),
        1 => Just(FaultKind::Forbidden),
        1 => Just(FaultKind::MissingPermission),
    ]
}

fn path() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(Some("/candidate.create".to_string())),
        1 => Just(Some("/candidate.search".to_string())),
        1 => Just(None),
    ]
}

fn records() -> Vec<Value> {
    (0..N)
        .map(|i| json!({"name": format!("P{i}"), "email": format!("p{i}@example.com")}))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_record_is_accounted_for_and_none_is_created_twice(
        faults in proptest::collection::vec((path(), fault_kind(), 1u32..4), 0..6),
        kill_after_ms in proptest::option::of(2u64..80),
        dedupe in any::<bool>(),
        concurrency in 1usize..4,
    ) {
        let m = mock();
        let t = tenant(&m);
        for (path, kind, times) in &faults {
            m.inject(Fault { path: path.clone(), times: *times, kind: kind.clone() });
        }
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal");
        let recs = records();
        let config = json!({"template": "create-candidate", "dedupe_by_email": dedupe}).to_string();
        let reopen_recs = recs.clone();
        let opts = Options {
            concurrency,
            chunk: 3,
            retry: RetryPolicy { max_attempts: 4, base: Duration::from_millis(1), cap: Duration::from_millis(10) },
            limits: Limits { rate: None, http_timeout: Duration::from_secs(5), ..Limits::default() },
            journal: Some(JournalSpec {
                path: journal.clone(),
                reopen: Arc::new(move || Ok(items(&reopen_recs))),
            }),
            ..Options::default()
        };

        // A first run, maybe killed part-way (its future dropped: workers
        // stop, in-flight requests are abandoned, nothing more is written).
        let mut in_flight_at_kill: HashSet<String> = HashSet::new();
        let report = match kill_after_ms {
            Some(ms) => {
                let first = rt().block_on(async {
                    tokio::time::timeout(
                        Duration::from_millis(ms),
                        deliver::run(runtime(), &t, &config, items(&recs), opts.clone()),
                    )
                    .await
                });
                match first {
                    Ok(r) => r.unwrap(),
                    Err(_killed) => {
                        // Let the mock finish what it was handling.
                        std::thread::sleep(Duration::from_millis(60));
                        let journaled: HashSet<u64> = std::fs::read_to_string(&journal)
                            .unwrap_or_default()
                            .lines()
                            .skip(1)
                            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                            .filter_map(|e| e["i"].as_u64())
                            .collect();
                        for q in m.requests() {
                            if let Some(e) = q.body["email"].as_str()
                                && let Some(i) = e.strip_prefix('p').and_then(|s| s.split('@').next()).and_then(|s| s.parse::<u64>().ok())
                                && !journaled.contains(&i)
                            {
                                in_flight_at_kill.insert(e.to_string());
                            }
                        }
                        rt().block_on(deliver::run(runtime(), &t, &config, items(&recs), opts.clone())).unwrap()
                    }
                }
            }
            None => rt().block_on(deliver::run(runtime(), &t, &config, items(&recs), opts.clone())).unwrap(),
        };

        // 1. Accounting.
        let s = &report.summary;
        prop_assert_eq!(s.input, N as u64);
        prop_assert_eq!(s.input, s.delivered + s.dead_lettered + s.not_attempted, "{:?}", s);

        // 2. Duplicates.
        let mut created: HashMap<String, usize> = HashMap::new();
        for c in m.state().candidates {
            if let Some(e) = c["primaryEmailAddress"]["value"].as_str() {
                *created.entry(e.to_string()).or_default() += 1;
            }
        }
        let ambiguous: HashSet<String> = m
            .requests()
            .iter()
            .filter(|q| q.path == "/candidate.create" && q.fault.as_deref() == Some("DropAfterApply"))
            .filter_map(|q| q.body["email"].as_str().map(String::from))
            .collect();
        for (email, n) in &created {
            if *n > 1 {
                prop_assert!(!dedupe, "{email} created {n} times with dedupe_by_email on");
                prop_assert!(
                    ambiguous.contains(email) || in_flight_at_kill.contains(email),
                    "{} created {} times but it was neither in flight at the kill nor an ambiguous failure", email, n
                );
            }
        }
        // Every record the journal calls delivered exists in Ashby.
        for line in std::fs::read_to_string(&journal).unwrap().lines().skip(1) {
            let e: Value = serde_json::from_str(line).unwrap();
            if e["o"] == "delivered" {
                let email = format!("p{}@example.com", e["i"]);
                prop_assert!(created.contains_key(&email), "{} journaled delivered but absent", email);
            }
        }
    }
}
