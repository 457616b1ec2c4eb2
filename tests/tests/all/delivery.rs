//! The delivery loop's rules, each against the mock with injected faults:
//! retries and Retry-After, halts, the per-key rate limit and 429s across
//! flows, the journal and resume, lookup-before-create, batching, and the
//! response webhook. Ends with a property test over random fault sequences.

use destination_host::deliver::{self, JournalSpec, Options, Report};
use destination_host::rate::Rate;
use destination_host::retry::RetryPolicy;
use destination_host::sandbox::{Limits, Tenant};
use e2e::{items, mock, post, rt, runtime, tenant};
use mock_ashby::{Fault, FaultKind, MockAshby, MockConfig, fixtures};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options for fast tests: short backoff, no pacing unless asked.
fn fast() -> Options {
    Options {
        retry: RetryPolicy {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        limits: Limits {
            rate: None,
            ..Limits::default()
        },
        ..Options::default()
    }
}

fn candidates(n: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("{tag} {i}"), "email": format!("{tag}.{i}@example.com")}))
        .collect()
}

fn run(t: &Tenant, config: &Value, records: &[Value], opts: Options) -> Report {
    rt().block_on(deliver::run(
        runtime(),
        t,
        &config.to_string(),
        items(records),
        opts,
    ))
    .unwrap()
}

fn fault(path: &str, times: u32, kind: FaultKind) -> Fault {
    Fault {
        path: Some(path.into()),
        times,
        kind,
    }
}

fn create_candidate() -> Value {
    json!({"template": "create-candidate"})
}

fn emails(m: &MockAshby) -> Vec<String> {
    m.state()
        .candidates
        .iter()
        .filter_map(|c| c["primaryEmailAddress"]["value"].as_str().map(String::from))
        .collect()
}

fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

// ---------------------------------------------------------------- 1. retries

#[test]
fn transient_failures_are_retried_then_dead_lettered_as_retries_exhausted() {
    let m = mock();
    let t = tenant(&m);
    m.inject(fault("/candidate.create", 2, FaultKind::ServerError(502)));
    let r = run(&t, &create_candidate(), &candidates(1, "retry"), fast());
    assert_eq!(r.summary.delivered, 1, "{:?}", r.summary);
    assert_eq!(r.summary.requests, 3);
    assert_eq!(r.summary.retries, 2);
    println!(
        "figure: two 502s then success: {} requests, {} retries, {} ms",
        r.summary.requests, r.summary.retries, r.summary.elapsed_ms
    );

    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dead.jsonl");
    m.inject(fault("/candidate.create", 100, FaultKind::ServerError(500)));
    let r = run(
        &t,
        &create_candidate(),
        &candidates(1, "exhaust"),
        Options {
            retry: RetryPolicy {
                max_attempts: 3,
                ..fast().retry
            },
            dead_letter: Some(dl.clone()),
            ..fast()
        },
    );
    assert_eq!(r.summary.dead_lettered, 1);
    assert_eq!(r.summary.requests, 3, "exactly max_attempts requests");
    assert_eq!(r.summary.retries, 2);
    let dead = lines(&dl);
    assert_eq!(dead[0]["code"], "retries_exhausted");
    assert_eq!(dead[0]["attempts"], 3);
    let reason = dead[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("3 attempts") && reason.contains("server_error"),
        "the last error is named: {reason}"
    );
}

#[test]
fn retry_after_is_a_floor_and_a_waiting_record_does_not_block_the_rest() {
    let m = mock();
    let t = tenant(&m);
    // The first request gets 503 with Retry-After: 1.
    m.inject(fault(
        "/candidate.create",
        1,
        FaultKind::Unavailable {
            retry_after: "1".into(),
        },
    ));
    let started = Instant::now();
    let r = run(
        &t,
        &create_candidate(),
        &candidates(40, "floor"),
        Options {
            concurrency: 2,
            chunk: 4,
            ..fast()
        },
    );
    assert_eq!(r.summary.delivered, 40, "{:?}", r.summary);
    assert_eq!(r.summary.retries, 1);
    let reqs = m.requests();
    let failed = reqs.iter().position(|q| q.status == 503).unwrap();
    let email = reqs[failed].body["email"].clone();
    let again = reqs.iter().rposition(|q| q.body["email"] == email).unwrap();
    let waited = reqs[again].at - reqs[failed].at;
    assert!(
        waited >= Duration::from_millis(990),
        "re-sent after {waited:?}, sooner than Retry-After"
    );
    // Every other record went out while it waited.
    assert_eq!(
        again,
        reqs.len() - 1,
        "the retried record is the last request"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    println!(
        "figure: 503 Retry-After 1 s: retried after {waited:?}; 40 records, {} requests, run {} ms",
        r.summary.requests, r.summary.elapsed_ms
    );
}

#[test]
fn default_backoff_grows_with_full_jitter() {
    let m = mock();
    let t = tenant(&m);
    m.inject(fault("/candidate.create", 4, FaultKind::ServerError(500)));
    let r = run(
        &t,
        &create_candidate(),
        &candidates(1, "backoff"),
        Options {
            limits: Limits {
                rate: None,
                ..Limits::default()
            },
            ..Options::default()
        },
    );
    assert_eq!((r.summary.delivered, r.summary.requests), (1, 5));
    let at: Vec<Instant> = m.requests().iter().map(|q| q.at).collect();
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    // Attempt n waits a uniform draw from [0, 250 ms x 2^(n-1)]; the upper
    // bound gets slack for a busy machine.
    for (n, g) in gaps.iter().enumerate() {
        let cap = Duration::from_millis(250 << n);
        assert!(
            *g <= cap + Duration::from_secs(2),
            "gap {n}: {g:?} > {cap:?}"
        );
    }
    println!(
        "figure: default backoff, four 500s: gaps between attempts {gaps:?} (caps 250/500/1000/2000 ms)"
    );
}

// ---------------------------------------------------------------- 2. halt

#[test]
fn a_halt_stops_the_flow_and_counts_the_rest_not_attempted() {
    let m = mock();
    let t = tenant(&m);
    m.inject(fault("/candidate.create", 1, FaultKind::Forbidden));
    let r = run(
        &t,
        &create_candidate(),
        &candidates(100, "halt"),
        Options {
            concurrency: 1,
            ..fast()
        },
    );
    let h = r.halt.expect("halted");
    assert_eq!(h.code, "forbidden");
    let s = &r.summary;
    assert_eq!(s.input, s.delivered + s.dead_lettered + s.not_attempted);
    assert_eq!(s.dead_lettered, 0, "a bad credential dead-letters nothing");
    assert!(s.not_attempted >= 99, "{s:?}");
    assert_eq!(s.retries, 0, "a halt is not retried");
    assert_eq!(s.requests, 1, "nothing is sent after the halt");
    println!(
        "figure: 403 on the first of 100 records: {} request, {} not attempted, {} ms",
        s.requests, s.not_attempted, s.elapsed_ms
    );
}

// ---------------------------------------------------------------- 3. rate

#[test]
fn the_rate_limit_is_shared_by_every_flow_using_the_key() {
    let m = MockAshby::start(MockConfig {
        api_keys: vec!["key-one".into(), "key-two".into()],
        ..MockConfig::default()
    })
    .unwrap();
    let t = tenant(&m);
    let opts = || Options {
        limits: Limits {
            rate: Some(Rate::parse("10/s").unwrap()),
            ..Limits::default()
        },
        ..fast()
    };
    // Two flows, one key, 15 requests each: 30 requests at 10/s with a
    // burst of 10 take at least 2 s. Separate buckets would take 0.5 s.
    let started = Instant::now();
    let cfg = create_candidate().to_string();
    let (a, b) = rt().block_on(async {
        let a = deliver::run(
            runtime(),
            &t,
            &cfg,
            items(&candidates(15, "flow-a")),
            opts(),
        );
        let b = deliver::run(
            runtime(),
            &t,
            &cfg,
            items(&candidates(15, "flow-b")),
            opts(),
        );
        tokio::join!(a, b)
    });
    let shared = started.elapsed();
    assert_eq!(
        a.unwrap().summary.delivered + b.unwrap().summary.delivered,
        30
    );
    assert!(shared >= Duration::from_millis(1900), "took {shared:?}");
    println!("figure: two flows sharing one key at 10/s, 30 requests: {shared:?}");
}

#[test]
fn a_429_slows_the_key_for_every_flow_and_partner_scope_is_reported() {
    let m = mock();
    let t = tenant(&m);
    m.inject(fault(
        "/candidate.create",
        1,
        FaultKind::RateLimit {
            retry_after: Some("1".into()),
            partner_scope: true,
        },
    ));
    let opts = || Options {
        concurrency: 1,
        chunk: 1,
        limits: Limits {
            rate: Some(Rate::parse("1000/s").unwrap()),
            ..Limits::default()
        },
        ..fast()
    };
    let cfg = create_candidate().to_string();
    let (a, b) = rt().block_on(async {
        let a = deliver::run(runtime(), &t, &cfg, items(&candidates(30, "pa")), opts());
        let b = deliver::run(runtime(), &t, &cfg, items(&candidates(30, "pb")), opts());
        tokio::join!(a, b)
    });
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.summary.delivered + b.summary.delivered, 60);
    let limited = a.summary.rate_limited + b.summary.rate_limited;
    let partner = a.summary.rate_limited_partner + b.summary.rate_limited_partner;
    assert_eq!(
        (limited, partner),
        (1, 1),
        "{:?} {:?}",
        a.summary,
        b.summary
    );
    let reqs = m.requests();
    let at429 = reqs.iter().find(|q| q.status == 429).unwrap().at;
    // Requests that arrived after the 429, from either flow, waited for the
    // pause. A few may slip through before the client has read the 429 (the
    // other flow keeps going meanwhile); without the pause the other flow's
    // remaining ~15-30 records would all go out in this window.
    let soon: Vec<_> = reqs
        .iter()
        .filter(|q| q.at > at429 && q.at - at429 < Duration::from_millis(900))
        .collect();
    assert!(
        soon.len() <= 5,
        "{} requests went out during the pause",
        soon.len()
    );
}

// ---------------------------------------------------------------- 4. journal

#[test]
fn a_journal_resumes_without_resending_and_refuses_a_changed_input() {
    let m = mock();
    let t = tenant(&m);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let journal = dir.path().join("journal");
    let dl = dir.path().join("dead.jsonl");
    let mut recs = candidates(30, "journal");
    recs[7] = json!({"email": "no-name@example.com"}); // rejected locally
    let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let opts = |input: &Path| {
        let p = input.to_path_buf();
        Options {
            journal: Some(JournalSpec {
                path: journal.clone(),
                reopen: Arc::new(move || destination_host::input::open(&p)),
            }),
            dead_letter: Some(dl.clone()),
            ..fast()
        }
    };
    let send = |o: Options| {
        rt().block_on(deliver::run(
            runtime(),
            &t,
            &create_candidate().to_string(),
            destination_host::input::open(&input).unwrap(),
            o,
        ))
    };
    let first = send(opts(&input)).unwrap();
    assert_eq!(
        (first.summary.delivered, first.summary.dead_lettered),
        (29, 1)
    );
    let before = m.requests().len();
    let second = send(opts(&input)).unwrap();
    assert_eq!(
        m.requests().len(),
        before,
        "a finished run sends nothing again"
    );
    let s = &second.summary;
    assert_eq!(
        (s.input, s.resumed, s.delivered, s.dead_lettered),
        (30, 30, 29, 1)
    );
    assert_eq!(lines(&dl).len(), 1, "the dead letter is kept, not doubled");

    // Change one journaled record: refused before anything is sent.
    std::fs::write(&input, text.replace("journal 3\"", "journal three\"")).unwrap();
    let e = send(opts(&input)).unwrap_err().to_string();
    assert!(
        e.contains("changed under its journal") && e.contains("record 3"),
        "{e}"
    );
    assert_eq!(m.requests().len(), before);
}

// ---------------------------------------------------------------- 6. lookup before create

#[test]
fn dedupe_by_email_finds_creates_updates_and_refuses_ambiguity() {
    let m = mock();
    let t = tenant(&m);
    rt().block_on(async {
        post(
            &m,
            "/candidate.create",
            json!({"name": "One", "email": "one@example.com"}),
        )
        .await;
        post(
            &m,
            "/candidate.create",
            json!({"name": "Two a", "email": "two@example.com"}),
        )
        .await;
        post(
            &m,
            "/candidate.create",
            json!({"name": "Two b", "email": "two@example.com"}),
        )
        .await;
    });
    let existing_one = m.state().candidates[0]["id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dead.jsonl");
    let resp = dir.path().join("responses.jsonl");
    let recs = vec![
        json!({"name": "One again", "email": "one@example.com"}),
        json!({"name": "Two again", "email": "two@example.com"}),
        json!({"name": "Three", "email": "three@example.com"}),
    ];
    let r = run(
        &t,
        &json!({"template": "create-candidate", "dedupe_by_email": true, "response_webhook": true}),
        &recs,
        Options {
            dead_letter: Some(dl.clone()),
            responses: Some(resp.clone()),
            ..fast()
        },
    );
    assert_eq!((r.summary.delivered, r.summary.dead_lettered), (2, 1));
    let dead = lines(&dl);
    assert_eq!(dead[0]["index"], 1);
    assert_eq!(dead[0]["code"], "ambiguous_match");
    let creates: Vec<_> = m
        .requests()
        .into_iter()
        .filter(|q| q.path == "/candidate.create" && q.api_key.is_some())
        .collect();
    assert_eq!(creates.len(), 4, "3 set-up creates + only `three` created");
    let responses = lines(&resp);
    assert!(
        responses
            .iter()
            .any(|v| v.to_string().contains(&existing_one)),
        "the existing id is returned: {responses:?}"
    );
    assert_eq!(
        emails(&m)
            .iter()
            .filter(|e| *e == "one@example.com")
            .count(),
        1
    );

    // on_existing: update sends candidate.update with the record's fields.
    let r = run(
        &t,
        &json!({"template": "create-candidate", "dedupe_by_email": true, "on_existing": "update"}),
        &[json!({"name": "One Updated", "email": "one@example.com"})],
        fast(),
    );
    assert_eq!(r.summary.delivered, 1);
    let upd = m
        .requests()
        .into_iter()
        .find(|q| q.path == "/candidate.update")
        .expect("candidate.update sent");
    assert_eq!(upd.body["candidateId"], existing_one.as_str());
    assert_eq!(upd.body["name"], "One Updated");

    // A create that timed out after Ashby applied it: the retry finds the
    // candidate instead of creating it twice.
    m.inject(fault("/candidate.create", 1, FaultKind::DropAfterApply));
    let r = run(
        &t,
        &json!({"template": "create-candidate", "dedupe_by_email": true}),
        &[json!({"name": "Four", "email": "four@example.com"})],
        fast(),
    );
    assert_eq!(r.summary.delivered, 1, "{:?}", r.summary);
    assert_eq!(r.summary.retries, 1);
    assert_eq!(
        emails(&m)
            .iter()
            .filter(|e| *e == "four@example.com")
            .count(),
        1
    );
    println!(
        "figure: dedupe with a create answered by a dropped connection: {} requests (search, create, search), one candidate",
        r.summary.requests
    );
}

// ---------------------------------------------------------------- 7. batching

#[test]
fn batching_merges_custom_field_values_per_object() {
    let m = mock();
    let t = tenant(&m);
    let ids: Vec<String> = rt().block_on(async {
        let mut ids = Vec::new();
        for n in ["B1", "B2"] {
            let v = post(&m, "/candidate.create", json!({"name": n})).await;
            ids.push(v["results"]["id"].as_str().unwrap().to_string());
        }
        ids
    });
    let recs: Vec<Value> = (0..6)
        .map(|i| {
            json!({"objectId": ids[i % 2], "objectType": "Candidate",
                   "fieldValues": [{"fieldId": fixtures::NOTICE_PERIOD_FIELD_ID, "fieldValue": 10 + i}]})
        })
        .collect();
    let config = json!({"template": "set-custom-field-values",
                        "batch": {"enabled": true, "size": 50, "grouping": {"by_field": "objectId"}}});
    // sample-payload shows the merged requests.
    let sample = rt().block_on(async {
        let (mut inst, summary) = runtime()
            .configured(&t, &Limits::default(), &config.to_string())
            .await
            .unwrap();
        assert_eq!(summary.records_per_call, Some(50));
        let recs = recs
            .iter()
            .enumerate()
            .map(|(i, r)| destination_host::sandbox::InputRecord {
                index: i as u64,
                json: r.to_string(),
                maybe_applied: false,
            })
            .collect();
        inst.sample(recs).await.unwrap().unwrap()
    });
    assert_eq!(sample.requests.len(), 2);
    assert_eq!(sample.requests[0].records, vec![0, 2, 4]);

    let before = m.requests().len();
    let r = run(&t, &config, &recs, Options { chunk: 2, ..fast() });
    assert_eq!(r.summary.delivered, 6, "{:?}", r.summary);
    let sent: Vec<_> = m.requests()[before..].to_vec();
    assert_eq!(
        sent.len(),
        2,
        "one call per object even with a small host chunk (the summary's records-per-call wins)"
    );
    assert!(sent.iter().all(|q| q.path == "/customField.setValues"));

    // The outcome of a batched request applies to every record in it.
    m.inject(fault(
        "/customField.setValues",
        1,
        FaultKind::Error {
            code: "invalid_input".into(),
            message: "no".into(),
        },
    ));
    let r = run(&t, &config, &recs, fast());
    assert_eq!((r.summary.delivered, r.summary.dead_lettered), (3, 3));

    // Other templates: configure warns that Ashby will reject an array body.
    let (_, summary) = rt()
        .block_on(runtime().configured(
            &t,
            &Limits::default(),
            &json!({"template": "create-candidate", "batch": {"enabled": true}}).to_string(),
        ))
        .unwrap();
    assert!(
        summary.warnings.iter().any(|w| w.contains("reject")),
        "{:?}",
        summary.warnings
    );
}

// ---------------------------------------------------------------- 8. webhook

#[test]
fn responses_are_posted_to_the_webhook_with_retries() {
    let m = mock();
    let t = tenant(&m);
    m.inject(fault("/_webhook", 2, FaultKind::ServerError(500)));
    let r = run(
        &t,
        &json!({"template": "create-candidate", "response_webhook": true}),
        &candidates(3, "hook"),
        Options {
            responses_url: Some(m.webhook_url()),
            ..fast()
        },
    );
    assert_eq!(r.summary.delivered, 3);
    assert_eq!(r.summary.responses_posted, Some(3));
    assert_eq!(r.summary.responses_failed, Some(0));
    let got = m.webhook_records();
    assert_eq!(got.len(), 3);
    let ids: Vec<&str> = got.iter().filter_map(|v| v["id"].as_str()).collect();
    assert_eq!(ids.len(), 3, "each record carries the created id: {got:?}");

    // A receiver that never recovers: counted, not lost silently.
    m.inject(fault("/_webhook", 1000, FaultKind::ServerError(503)));
    let r = run(
        &t,
        &json!({"template": "create-candidate", "response_webhook": true}),
        &candidates(2, "hook-down"),
        Options {
            responses_url: Some(m.webhook_url()),
            retry: RetryPolicy {
                max_attempts: 2,
                ..fast().retry
            },
            ..fast()
        },
    );
    assert_eq!(r.summary.responses_failed, Some(2));
    let posts = m
        .requests()
        .iter()
        .filter(|q| q.path == "/_webhook")
        .count();
    println!(
        "figure: webhook: 5 records, 2 injected 500s then a dead receiver: {posts} POSTs in all"
    );
}
