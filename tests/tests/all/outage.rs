//! An outage is the flow's problem, not the records': the origin's circuit
//! pauses the flow, probes with backoff and resumes; records are not charged
//! attempts meanwhile; a poison record still is; `max_outage` halts with the
//! rest not attempted, and the journal resumes it.

use destination_host::deliver::{self, JournalSpec, Options, Report, StopSignal};
use destination_host::http_import::Origin;
use destination_host::rate::Rate;
use destination_host::sandbox::{Limits, Tenant};
use destination_host::secret::ApiKey;
use e2e::{items, mock, rt, runtime, tenant};
use mock_ashby::{Fault, FaultKind, MockAshby, MockConfig};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn records(n: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("{tag} {i}"), "email": format!("{tag}.{i}@example.com")}))
        .collect()
}

fn run(t: &Tenant, records: &[Value], opts: Options) -> Report {
    let config = json!({"template": "create-candidate"}).to_string();
    rt().block_on(deliver::run(runtime(), t, &config, items(records), opts))
        .unwrap()
}

/// The figures: 150 records at 50/s.
fn at_50_per_sec() -> Options {
    Options {
        limits: Limits {
            rate: Some(Rate::parse("50/s").unwrap()),
            ..Limits::default()
        },
        ..Options::default()
    }
}

/// Every record ends delivered, none dead-lettered, each created once.
fn all_delivered_once(r: &Report, m: &MockAshby, n: usize) {
    let s = &r.summary;
    assert_eq!(
        (s.input, s.delivered, s.dead_lettered, s.not_attempted),
        (n as u64, n as u64, 0, 0),
        "{s:?}"
    );
    assert_eq!(m.state().candidates.len(), n, "each record created once");
    assert!(r.halt.is_none());
}

#[test]
fn twenty_seconds_of_503_pause_the_flow_and_every_record_is_delivered() {
    let m = mock();
    let t = tenant(&m);
    m.inject(Fault::once(FaultKind::ServerError(503)).with_times(u32::MAX));
    let start = Instant::now();
    let recovered = std::thread::scope(|sc| {
        let h = sc.spawn(|| {
            std::thread::sleep(Duration::from_secs(20));
            m.clear_faults();
            Instant::now()
        });
        let r = run(&t, &records(150, "Out"), at_50_per_sec());
        (h.join().unwrap(), r)
    });
    let (recovered_at, r) = recovered;
    all_delivered_once(&r, &m, 150);
    let reqs = m.requests();
    let during = reqs.iter().filter(|q| q.fault.is_some()).count();
    let first_ok = reqs
        .iter()
        .filter(|q| q.fault.is_none() && q.status == 200)
        .map(|q| q.at)
        .min()
        .unwrap();
    let s = &r.summary;
    assert!(s.outage_pauses >= 1, "{s:?}");
    assert!(s.outage_ms >= 15_000, "{s:?}");
    // Without the circuit, 150 records × 5 attempts = 750 requests went in.
    assert!(
        during <= 60,
        "{during} requests during the outage: the circuit did not hold"
    );
    println!(
        "figure: 20 s of 503s, 150 records at 50/s: {during} requests during the outage, first delivery {:.1} s after recovery, {} pause(s), {} ms paused, run {:.1} s",
        first_ok
            .saturating_duration_since(recovered_at)
            .as_secs_f64(),
        s.outage_pauses,
        s.outage_ms,
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn an_origin_down_for_eight_seconds_loses_nothing() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let key = "outage-test-key-down-8s";
    let t = Tenant {
        name: "down".into(),
        origin: Origin::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        key: ApiKey::new(key).unwrap(),
    };
    let (r, m, up_at) = std::thread::scope(|sc| {
        let h = sc.spawn(|| {
            std::thread::sleep(Duration::from_secs(8));
            let m = MockAshby::start(MockConfig {
                port,
                api_keys: vec![key.into()],
                ..MockConfig::default()
            })
            .unwrap();
            (m, Instant::now())
        });
        let r = run(&t, &records(150, "Down"), at_50_per_sec());
        let (m, up_at) = h.join().unwrap();
        (r, m, up_at)
    });
    all_delivered_once(&r, &m, 150);
    let first = m.requests().iter().map(|q| q.at).min().unwrap();
    println!(
        "figure: origin down 8 s, 150 records: first request {:.1} s after it came up, {} pause(s), {} ms paused",
        first.saturating_duration_since(up_at).as_secs_f64(),
        r.summary.outage_pauses,
        r.summary.outage_ms
    );
    assert!(r.summary.outage_pauses >= 1, "{:?}", r.summary);
}

#[test]
fn an_outage_longer_than_max_outage_halts_with_the_rest_not_attempted_and_resumes() {
    let m = mock();
    let t = tenant(&m);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let recs = records(30, "Max");
    let reopen = recs.clone();
    let opts = Options {
        max_outage: Duration::from_secs(3),
        concurrency: 4,
        limits: Limits {
            rate: None,
            ..Limits::default()
        },
        journal: Some(JournalSpec {
            path: journal,
            reopen: Arc::new(move || Ok(items(&reopen))),
        }),
        ..Options::default()
    };
    // The first 5 records go through, then the origin fails for good.
    let first = std::thread::scope(|sc| {
        sc.spawn(|| {
            while m.state().candidates.len() < 5 {
                std::thread::sleep(Duration::from_millis(1));
            }
            m.inject(Fault::once(FaultKind::ServerError(503)).with_times(u32::MAX));
        });
        let start = Instant::now();
        let r = run(&t, &recs, opts.clone());
        (r, start.elapsed())
    });
    let (r, took) = first;
    let s = &r.summary;
    let h = r.halt.as_ref().expect("halted");
    assert_eq!(h.code, "outage", "{h:?}");
    assert!(h.message.contains("HTTP 503"), "{}", h.message);
    assert_eq!(s.dead_lettered, 0, "an outage dead-letters nothing: {s:?}");
    assert_eq!(s.input, s.delivered + s.not_attempted, "{s:?}");
    assert!(s.not_attempted > 0, "{s:?}");
    assert!(took < Duration::from_secs(20), "halted in {took:?}");
    let delivered_first = s.delivered;

    m.clear_faults();
    let again = run(&t, &recs, opts);
    let s2 = &again.summary;
    assert_eq!((s2.delivered, s2.dead_lettered), (30, 0), "{s2:?}");
    assert_eq!(s2.resumed, delivered_first, "{s2:?}");
    assert!(again.halt.is_none());
    let mut emails: Vec<String> = m
        .state()
        .candidates
        .iter()
        .filter_map(|c| c["primaryEmailAddress"]["value"].as_str().map(String::from))
        .collect();
    let n = emails.len();
    emails.sort();
    emails.dedup();
    assert_eq!((n, emails.len()), (30, 30), "each record created once");
}

#[test]
fn a_stop_lets_calls_finish_within_the_grace_and_reports_the_rest() {
    let m = mock();
    let t = tenant(&m);
    // Every answer takes 3 s: the stop comes while calls are in flight.
    m.inject(Fault::once(FaultKind::Delay(Duration::from_secs(3))).with_times(u32::MAX));
    let stop = StopSignal::new();
    let opts = Options {
        concurrency: 2,
        grace: Duration::from_millis(300),
        stop: Some(stop.clone()),
        limits: Limits {
            rate: None,
            ..Limits::default()
        },
        ..Options::default()
    };
    let (r, stopped_at) = std::thread::scope(|sc| {
        let h = sc.spawn(|| {
            // Stop once two calls are in flight (their answers take 3 s).
            while m.requests().len() < 2 {
                std::thread::sleep(Duration::from_millis(2));
            }
            stop.trigger();
            Instant::now()
        });
        let r = run(&t, &records(20, "Stop"), opts);
        (r, h.join().unwrap())
    });
    let s = &r.summary;
    assert!(r.stopped);
    assert!(r.halt.is_none());
    assert_eq!(s.input, 20, "the rest of the input is counted: {s:?}");
    assert_eq!(s.not_attempted, 20 - s.delivered, "{s:?}");
    assert_eq!(s.delivered, 0, "the calls in flight were cut: {s:?}");
    assert!(
        stopped_at.elapsed() < Duration::from_millis(2_500),
        "the grace period bounds the wait: {:?}",
        stopped_at.elapsed()
    );
}
