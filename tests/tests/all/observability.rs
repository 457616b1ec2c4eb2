//! The library's metrics against what a run reports: every counter agrees
//! with the summary, nothing is left in flight, and each kind of component
//! fault is counted under its own bounded `kind`.

use destination_host::deliver::{self, Options};
use destination_host::metrics::Metrics;
use destination_host::retry::RetryPolicy;
use destination_host::sandbox::{InputRecord, Limits};
use e2e::*;
use mock_ashby::{Fault, FaultKind};
use serde_json::json;
use std::time::Duration;

/// The sum of a metric's samples whose line contains every one of `having`.
fn sum(text: &str, name: &str, having: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| having.iter().all(|h| l.contains(h)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn the_counters_agree_with_the_summary() {
    let mock = mock();
    mock.inject(Fault::on("/candidate.create", FaultKind::ServerError(500)).with_times(2));
    let metrics = Metrics::new();
    let sandbox = runtime().clone().with_metrics(metrics.clone());
    let mut records: Vec<_> = (0..12)
        .map(|i| json!({"name": format!("Metric {i}"), "email": format!("m{i}@example.com")}))
        .collect();
    records.push(json!({"name": "No Email Here", "email": "not-an-email"}));
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        dead_letter: Some(dir.path().join("dead.jsonl")),
        retry: RetryPolicy {
            base: Duration::from_millis(1),
            ..RetryPolicy::default()
        },
        ..Options::default()
    };
    let report = rt()
        .block_on(deliver::run(
            &sandbox,
            &tenant(&mock),
            r#"{"template":"create-candidate"}"#,
            items(&records),
            opts,
        ))
        .unwrap();
    let s = &report.summary;
    let text = metrics.encode();
    let flow = "flow=\"test\"";
    let ok = "result=\"ok\"";
    for (name, having, want) in [
        ("destination_records_received_total", flow, s.input),
        ("destination_records_sent_total", flow, s.delivered),
        ("destination_records_rejected_total", flow, s.dead_lettered),
        ("destination_dlq_writes_total", ok, s.dead_lettered),
        ("destination_records_retried_total", flow, s.retries),
        ("destination_http_requests_total", flow, s.requests),
    ] {
        assert_eq!(sum(&text, name, &[having]), want as f64, "{name}: {text}");
    }
    assert_eq!(
        sum(
            &text,
            "http_client_request_duration_seconds_count",
            &["endpoint=\"/candidate.create\""]
        ),
        s.requests as f64
    );
    assert_eq!(
        sum(
            &text,
            "destination_http_requests_total",
            &["error_type=\"500\""]
        ),
        2.0
    );
    assert_eq!(sum(&text, "destination_inflight_requests", &[flow]), 0.0);
    assert!(
        s.delivered == 12 && s.dead_lettered == 1 && s.retries >= 2,
        "{s:?}"
    );
    assert!(
        text.contains("code=\"invalid_field\"") || text.contains("code=\"invalid_email\""),
        "{text}"
    );
    assert!(!text.contains(mock.api_key()));
}

#[test]
fn each_fault_is_counted_by_kind() {
    rt().block_on(async {
        let mock = mock();
        let metrics = Metrics::new();
        let sandbox = hostile().clone().with_metrics(metrics.clone());
        let limits = Limits {
            memory_bytes: 32 << 20,
            cpu_per_call: Duration::from_millis(300),
            rate: None,
            ..Limits::default()
        };
        for mode in ["panic", "loop", "memory", "deep"] {
            let mut g = sandbox.instantiate(&tenant(&mock), &limits).await.unwrap();
            g.configure(mode).await.unwrap().unwrap();
            let record = InputRecord {
                index: 0,
                json: "{}".into(),
                maybe_applied: false,
            };
            g.send(vec![record])
                .await
                .expect_err("the misbehaviour faults");
        }
        let text = metrics.encode();
        for kind in ["panic", "cpu_limit", "memory_limit", "stack_overflow"] {
            let want = format!("kind=\"{kind}\"");
            assert_eq!(
                sum(&text, "destination_plugin_faults_total", &[&want]),
                1.0,
                "{kind}: {text}"
            );
        }
    });
}
