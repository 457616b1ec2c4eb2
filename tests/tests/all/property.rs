//! The delivery loop's two promises under random faults, as a property test:
//! for any sequence of injected faults (and, in some cases, a run killed
//! part-way and resumed from its journal),
//! 1. every input record is accounted for: input = delivered + dead_lettered
//!    + not_attempted, and
//! 2. no record is created twice, except a record that was in flight when
//!    the run was killed (a create whose answer was lost is looked up
//!    before it is sent again).
//!
//! A second property: a create whose answer is lost after Ashby applied it
//! (`DropAfterApply`), on every non-idempotent template, is never created
//! twice and never lost: with the template's lookup it is found and
//! delivered as existing; without one it is dead-lettered
//! `ambiguous_outcome` (and exists once).

use destination_host::deliver::{self, JournalSpec, Options};
use destination_host::retry::RetryPolicy;
use destination_host::sandbox::Limits;
use e2e::{
    config_for, items, mock, prerequisites, rt, runtime, substitute, templates_with_examples,
    tenant,
};
use mock_ashby::{Fault, FaultKind, StateSnapshot};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const N: usize = 12;

/// Records created twice, over the cases run (for the report).
static DUPLICATES: AtomicUsize = AtomicUsize::new(0);
/// Cases run.
static CASES: AtomicUsize = AtomicUsize::new(0);

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
        // A lost answer is looked up before the create is sent again, so only
        // a record in flight when the run was killed may be created twice.
        let mut dups = 0;
        for (email, n) in &created {
            if *n > 1 {
                dups += n - 1;
                prop_assert!(
                    in_flight_at_kill.contains(email),
                    "{} created {} times but it was not in flight at the kill", email, n
                );
            }
        }
        let total = DUPLICATES.fetch_add(dups, Ordering::Relaxed) + dups;
        let cases = CASES.fetch_add(1, Ordering::Relaxed) + 1;
        println!("figure: property: {total} duplicate(s) over {cases} case(s), each of a record in flight at a kill");
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

/// Objects of the kind `endpoint` creates.
fn objects(state: &StateSnapshot, endpoint: &str) -> usize {
    match endpoint {
        "/candidate.create" => state.candidates.len(),
        "/application.create" => state.applications.len(),
        "/job.create" => state.jobs.len(),
        "/opening.create" => state.openings.len(),
        "/offerProcess.start" => state.offer_processes.len(),
        other => panic!("no object count for {other}: add it here"),
    }
}

/// Where each lookup reads (a lost answer there too).
fn lookup_paths(endpoint: &str) -> &'static [&'static str] {
    match endpoint {
        "/candidate.create" => &["/candidate.search"],
        "/application.create" => &["/candidate.info", "/application.info"],
        _ => &[],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_create_whose_answer_is_lost_is_never_duplicated_nor_lost(
        which in 0usize..64,
        unavailable in 0u32..3,
        drops in 1u32..4,
        lookup_drops in 0u32..3,
    ) {
        let creates: Vec<_> = templates_with_examples()
            .into_iter()
            .filter(|(t, _)| !t.steps[0].idempotent)
            .collect();
        prop_assert!(creates.len() >= 5, "the create templates");
        let (t, example) = &creates[which % creates.len()];
        let m = mock();
        let vars = rt().block_on(prerequisites(&m));
        let record = substitute(example, &vars);
        let before = objects(&m.state(), &t.endpoint);
        m.inject(Fault { path: Some(t.endpoint.clone()), times: unavailable, kind: FaultKind::ServerError(503) });
        m.inject(Fault { path: Some(t.endpoint.clone()), times: drops, kind: FaultKind::DropAfterApply });
        for p in lookup_paths(&t.endpoint) {
            m.inject(Fault { path: Some((*p).into()), times: lookup_drops, kind: FaultKind::Drop });
        }
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let opts = Options {
            retry: RetryPolicy { max_attempts: 8, base: Duration::from_millis(1), cap: Duration::from_millis(10) },
            limits: Limits { rate: None, http_timeout: Duration::from_secs(5), ..Limits::default() },
            dead_letter: Some(dead.clone()),
            ..Options::default()
        };
        let r = rt().block_on(deliver::run(runtime(), &tenant(&m), &config_for(t), items(&[record]), opts)).unwrap();
        let s = &r.summary;
        let made = objects(&m.state(), &t.endpoint) - before;
        prop_assert_eq!(made, 1, "{} created {} times: {:?}", t.id, made, s);
        prop_assert_eq!((s.input, s.delivered + s.dead_lettered), (1, 1), "{:?}", s);
        if t.steps[0].lookup.is_some() {
            prop_assert_eq!(s.delivered, 1, "{} has a lookup: found, delivered: {:?}", t.id, s);
        } else if s.dead_lettered == 1 {
            let text = std::fs::read_to_string(&dead).unwrap();
            let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
            prop_assert_eq!(&line["code"], "ambiguous_outcome", "{}", line);
        }
    }
}
