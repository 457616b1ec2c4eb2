//! Multi-tenant isolation, proven with a hostile guest (`test-guests/hostile`):
//! each misbehaviour ends only its own `Store` with a clear fault, the host
//! keeps serving other tenants, and nothing reaches any address but the
//! tenant's origin. Also: the records-per-call cap, one epoch ticker per
//! process, and the poison-record guard through the delivery loop.

use destination_host::deliver::{self, Options};
use destination_host::input::InputItem;
use destination_host::sandbox::{CallError, Guest, InputRecord, Limits, Outcome, RecordOutcome};
use e2e::*;
use mock_ashby::MockAshby;
use serde_json::{Value, json};
use std::time::Duration;

/// Generous bound that turns a hang into a failure.
const HANG: Duration = Duration::from_secs(120);

fn limits() -> Limits {
    Limits {
        memory_bytes: 32 << 20,
        cpu_per_call: Duration::from_millis(300),
        call_timeout: Duration::from_secs(20),
        rate: None,
        ..Limits::default()
    }
}

fn records(values: &[Value]) -> Vec<InputRecord> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| InputRecord {
            index: i as u64,
            json: v.to_string(),
            maybe_applied: false,
        })
        .collect()
}

async fn hostile_instance(mock: &MockAshby, mode: &str, limits: &Limits) -> Guest {
    let mut inst = hostile().instantiate(&tenant(mock), limits).await.unwrap();
    inst.configure(mode).await.unwrap().unwrap();
    inst
}

/// The real plugin, for another tenant, delivers a candidate: the host still
/// serves others after a hostile tenant's fault.
async fn other_tenant_delivers(mock: &MockAshby) {
    let mut inst = runtime()
        .instantiate(&tenant(mock), &Limits::default())
        .await
        .unwrap();
    inst.configure(r#"{"template":"create-candidate"}"#)
        .await
        .unwrap()
        .unwrap();
    let out = inst
        .send(records(&[json!({"name": "Unbothered Tenant"})]))
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(out[0].outcome, Outcome::Delivered(_)),
        "{:?}",
        out[0].outcome
    );
}

/// Runs one misbehaviour in `send`; returns the fault message, after checking
/// the instance is dead and refuses further calls.
async fn fault_of(mock: &MockAshby, mode: &str, limits: &Limits) -> String {
    fault_for(&tenant(mock), mode, limits).await
}

async fn fault_for(t: &destination_host::sandbox::Tenant, mode: &str, limits: &Limits) -> String {
    let mut inst = hostile().instantiate(t, limits).await.unwrap();
    inst.configure(mode).await.unwrap().unwrap();
    let fault = tokio::time::timeout(HANG, inst.send(records(&[json!({"n": 1})])))
        .await
        .expect("the host bounded the call")
        .expect_err("the misbehaviour faults");
    eprintln!("misbehaviour `{mode}` -> fault: {fault}");
    assert!(!fault.0.contains('\n'), "one line, no backtrace: {fault}");
    assert!(inst.is_dead(), "{mode}: the instance is marked dead");
    let again = inst.send(records(&[json!({"n": 2})])).await.unwrap_err();
    assert!(again.0.contains("died earlier"), "{again}");
    fault.0
}

fn rejection(o: &RecordOutcome) -> (String, String) {
    match &o.outcome {
        Outcome::Rejected(r) => (r.code.clone(), r.message.clone()),
        other => panic!("expected the hostile guest's report, got {other:?}"),
    }
}

#[test]
fn infinite_loop_is_stopped_by_the_cpu_limit() {
    rt().block_on(async {
        let mock = mock();
        let f = fault_of(&mock, "loop", &limits()).await;
        assert!(f.contains("CPU time limit of 300ms"), "{f}");
        other_tenant_delivers(&mock).await;
    });
}

#[test]
fn memory_bomb_traps_at_the_memory_limit() {
    rt().block_on(async {
        let mock = mock();
        let f = fault_of(&mock, "memory", &limits()).await;
        assert!(f.contains("growing memory"), "{f}");
        other_tenant_delivers(&mock).await;
    });
}

#[test]
fn panic_is_a_fault_of_that_instance_only() {
    rt().block_on(async {
        let mock = mock();
        let f = fault_of(&mock, "panic", &limits()).await;
        assert!(f.contains("unreachable"), "{f}");
        other_tenant_delivers(&mock).await;
    });
}

#[test]
fn stack_overflows_are_faults() {
    rt().block_on(async {
        let mock = mock();
        // Rust keeps big frames on a shadow stack at the bottom of linear
        // memory: overflowing it runs off the start of memory.
        let f = fault_of(&mock, "stack", &limits()).await;
        assert!(f.contains("out of bounds memory access"), "{f}");
        // Small frames exhaust wasmtime's own wasm stack.
        let f = fault_of(&mock, "deep", &limits()).await;
        assert!(f.contains("call stack exhausted"), "{f}");
        other_tenant_delivers(&mock).await;
    });
}

#[test]
fn a_slow_upstream_hits_the_call_deadline_and_the_request_is_abandoned() {
    rt().block_on(async {
        let mock = mock();
        mock.set_latency(Duration::from_secs(5));
        let lim = Limits {
            call_timeout: Duration::from_millis(300),
            ..limits()
        };
        let f = fault_of(&mock, "polite", &lim).await;
        assert!(f.contains("time limit"), "{f}");
        mock.set_latency(Duration::ZERO);
        other_tenant_delivers(&mock).await;
    });
}

#[test]
fn a_dead_calls_in_flight_request_is_cancelled() {
    rt().block_on(async {
        let server = HangingServer::start();
        let t = tenant_at("hanging", &server.base_url(), "sk-hanging-test");
        let lim = Limits {
            call_timeout: Duration::from_millis(300),
            ..limits()
        };
        let f = fault_for(&t, "polite", &lim).await;
        assert!(f.contains("time limit"), "{f}");
        // The host dropped the request with the call: the server sees the
        // connection close (it would stay open until the 30 s HTTP timeout
        // otherwise).
        let mut waited = Duration::ZERO;
        while !server.closed() && waited < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += Duration::from_millis(50);
        }
        assert!(server.closed(), "the in-flight request was left open");
    });
}

#[test]
fn a_slow_upstream_hits_the_http_timeout() {
    rt().block_on(async {
        let mock = mock();
        mock.set_latency(Duration::from_secs(5));
        let lim = Limits {
            http_timeout: Duration::from_millis(200),
            ..limits()
        };
        let mut inst = hostile_instance(&mock, "probe", &lim).await;
        let out = inst.send(records(&[json!({})])).await.unwrap().unwrap();
        let (code, msg) = rejection(&out[0]);
        assert_eq!(code, "timeout", "{msg}");
        assert!(!inst.is_dead());
    });
}

#[test]
fn output_flood_is_capped_and_the_call_completes() {
    rt().block_on(async {
        let mock = mock();
        let lim = Limits {
            cpu_per_call: Duration::from_secs(20),
            ..limits()
        };
        let mut inst = hostile_instance(&mock, "flood", &lim).await;
        let out = inst
            .send(records(&[json!({"name": "Flood"})]))
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(out[0].outcome, Outcome::Delivered(_)));
        // 16 MiB written, 64 KiB kept.
        assert!(
            inst.guest_output_dropped() >= (16 << 20) - (64 << 10),
            "{}",
            inst.guest_output_dropped()
        );
    });
}

#[test]
fn the_guest_sees_no_env_no_args_no_files_and_no_sockets() {
    rt().block_on(async {
        let mock = mock();
        let canary = RawServer::canary();
        // The host has an environment the guest could leak.
        assert!(std::env::vars().count() > 0);
        let mut inst =
            hostile_instance(&mock, &format!("snoop {}", canary.addr()), &limits()).await;
        let out = inst.send(records(&[json!({})])).await.unwrap().unwrap();
        let (code, msg) = rejection(&out[0]);
        assert_eq!(code, "snooped");
        let seen: Value = serde_json::from_str(&msg).unwrap();
        assert_eq!(seen["env"], json!([]), "{msg}");
        assert_eq!(seen["args"], json!([]), "{msg}");
        for f in seen["files"].as_array().unwrap() {
            assert!(f.as_str().unwrap().contains("refused"), "{msg}");
        }
        assert!(
            seen["tcp"].as_str().unwrap().starts_with("refused"),
            "{msg}"
        );
        assert_eq!(canary.hits(), 0);
        assert!(mock.requests().is_empty());
    });
}

/// Each probe is a request the guest makes as given, and what the host must
/// answer it with.
fn probes(canary: &RawServer) -> Vec<(Value, &'static str)> {
    let c = canary.addr();
    let key_b64 = "Basic c2stYXR0YWNrZXI6";
    let mut v = vec![
        (json!({"headers": [["Authorization", key_b64]]}), "denied"),
        (
            json!({"headers": [["authorization", "Bearer x"]]}),
            "denied",
        ),
        (json!({"headers": [["Host", c]]}), "denied"),
        (
            json!({"headers": [["X-Request-Tag", "the one allowed"]]}),
            "answered",
        ),
        (json!({"headers": [["Proxy-Authorization", "x"]]}), "denied"),
        (json!({"headers": [["Cookie", "a=b"]]}), "denied"),
        (
            json!({"headers": [["Transfer-Encoding", "chunked"]]}),
            "denied",
        ),
        (json!({"headers": [["Content-Length", "0"]]}), "denied"),
        (
            json!({"headers": [["x-tag", "a\r\nHost: evil"]]}),
            "invalid_request",
        ),
        (json!({"headers": [["bad name", "x"]]}), "invalid_request"),
        (json!({"body_bytes": 11 << 20}), "invalid_request"),
    ];
    // Only the method the destination declared (POST); the contract's other
    // methods are denied.
    for m in ["DELETE", "GET", "PUT", "PATCH"] {
        v.push((json!({"method": m}), "denied"));
    }
    // The method is an enum in the contract: anything else cannot even be
    // asked for.
    for m in [
        "CONNECT", "TRACE", "post", "PO ST", "POST\r\n", "", "X-CUSTOM",
    ] {
        v.push((json!({"method": m}), "unrepresentable"));
    }
    // Underscore aliases a CGI-style front end maps to dashes, and the
    // routing and override family a gateway acts on.
    for h in [
        "Transfer_Encoding",
        "Content_Length",
        "Proxy_Authorization",
        "X_Forwarded_Host",
        "x_tag",
        "X-Forwarded-Host",
        "X-Forwarded-For",
        "x-forwarded-proto",
        "Forwarded",
        "X-Original-URL",
        "X-Rewrite-URL",
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",
        "Max-Forwards",
        "Trailer",
        "HTTP2-Settings",
    ] {
        v.push((json!({"headers": [[h, c]]}), "denied"));
    }
    // Bounds, checked before any header map is built: header count, header
    // bytes, path length, and path + headers + body under the request cap.
    let big_value = "v".repeat(17 << 10);
    v.extend([
        (json!({"header_count": 30_000}), "invalid_request"),
        (json!({"header_count": 65}), "invalid_request"),
        (
            json!({"headers": [["x-big", big_value]]}),
            "invalid_request",
        ),
        (
            json!({"headers": [["x-pad", "v".repeat(8 << 10)]], "body_bytes": (10 << 20) - 1000}),
            "invalid_request",
        ),
        (
            json!({"path": format!("/{}", "a".repeat(70_000))}),
            "invalid_request",
        ),
    ]);
    for path in [
        format!("http://{c}/candidate.create"),
        format!("https://{c}/candidate.create"),
        format!("//{c}/candidate.create"),
        format!("/\\{c}/x"),
        format!("/@{c}/x"),
        format!("/x@{c}"),
        format!("/x?next=http://{c}/"),
        "candidate.create".into(),
        "/a/../candidate.create".into(),
        "/./candidate.create".into(),
        "/%2e%2e/candidate.create".into(),
        "/%2E%2e/candidate.create".into(),
        "/.%2e/candidate.create".into(),
        "/%252e%252e/candidate.create".into(),
        "/..;/candidate.create".into(),
        "/a%2fb".into(),
        "/a%5cb".into(),
        "/a%00".into(),
        "/a\tb".into(),
        "/a\u{7f}".into(),
        "/a\r\nHost: evil".into(),
        "/a#frag".into(),
        "/caf\u{e9}".into(),
        "".into(),
        // Percent-escapes: two hex digits, never of a control, of
        // `? # @ ; \ / . %`, or of a byte of 0x80 and above.
        "/a%0d%0aHost:%20evil".into(),
        "/candidate.create%3fx=1".into(),
        "/candidate.create%23x".into(),
        format!("/x%40{c}"),
        "/candidate.create%3bx".into(),
        "/%c0%ae%c0%ae/candidate.create".into(),
        "/%ef%bc%8e%ef%bc%8e/candidate.create".into(),
        "/candidate.create%zz".into(),
        "/candidate.create%4".into(),
        "/candidate.create%7f".into(),
        "/candidate.create%ff".into(),
    ] {
        v.push((json!({"path": path}), "invalid_request"));
    }
    v
}

#[test]
fn forged_headers_urls_and_path_tricks_never_leave_the_origin() {
    rt().block_on(async {
        let mock = mock();
        let canary = RawServer::canary();
        let mut inst = hostile_instance(&mock, "probe", &limits()).await;
        let cases = probes(&canary);
        let input: Vec<Value> = cases.iter().map(|(p, _)| p.clone()).collect();
        let out = inst.send(records(&input)).await.unwrap().unwrap();
        assert_eq!(out.len(), cases.len());
        for ((probe, want), o) in cases.iter().zip(&out) {
            let (code, msg) = rejection(o);
            assert_eq!(&code, want, "{probe}: {msg}");
        }
        assert_eq!(canary.hits(), 0, "a request reached another address");
        // Exactly the one allowed probe reached the origin, with the
        // tenant's key and the host's own Host header.
        let reqs = mock.requests();
        assert_eq!(reqs.len(), 1, "{reqs:?}");
        assert_eq!(reqs[0].api_key.as_deref(), Some(mock.api_key()));
        assert_eq!(
            reqs[0].header("host"),
            Some(mock.addr().to_string().as_str())
        );
        assert!(!inst.is_dead());
    });
}

/// 30,000 distinct header names once panicked inside the `http` crate's
/// header map and wedged the run; now the request is refused before any
/// map is built, the record is dead-lettered and the run ends with its
/// summary.
#[test]
fn a_request_with_30000_headers_ends_in_a_dead_letter_and_a_summary() {
    rt().block_on(async {
        let mock = mock();
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let opts = Options {
            dead_letter: Some(dead.clone()),
            limits: limits(),
            concurrency: 2,
            ..Options::default()
        };
        let input = items(&[
            json!({"header_count": 30_000}),
            json!({"header_count": 30_000}),
        ]);
        let t = tenant(&mock);
        let run = deliver::run(hostile(), &t, "probe", input, opts);
        let report = tokio::time::timeout(HANG, run)
            .await
            .expect("the run ends")
            .unwrap();
        assert_eq!(report.summary.input, 2);
        assert_eq!(report.summary.dead_lettered, 2, "{:?}", report.summary);
        assert_eq!(report.summary.plugin_restarts, 0, "no fault: a refusal");
        let text = std::fs::read_to_string(&dead).unwrap();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["code"], "invalid_request", "{v}");
            let why = v["reason"].as_str().unwrap();
            assert!(why.contains("30000 headers are over the limit"), "{why}");
        }
        assert!(mock.requests().is_empty());
    });
}

/// A host panic on a guest's behalf (here the host's memory code, when the
/// guest grows its memory) is a plugin fault of that call: the instance is
/// replaced, the record retried alone and then dead-lettered
/// `plugin_fault`, and the run ends with a summary; other tenants go on.
#[test]
fn a_host_panic_on_a_guests_behalf_is_a_plugin_fault() {
    rt().block_on(async {
        let mock = mock();
        let bytes = std::fs::read(test_support::HOSTILE_WASM).unwrap();
        let sandbox = test_support::inspect::panicking_past(&bytes, 8 << 20).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let opts = Options {
            dead_letter: Some(dead.clone()),
            limits: limits(),
            concurrency: 1,
            ..Options::default()
        };
        let t = tenant(&mock);
        let run = deliver::run(
            &sandbox,
            &t,
            "memory",
            items(&[json!({"n": 0}), json!({"n": 1})]),
            opts,
        );
        let report = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("the run ends with a summary")
            .unwrap();
        assert_eq!(report.summary.input, 2);
        assert_eq!(report.summary.dead_lettered, 2, "{:?}", report.summary);
        assert!(report.summary.plugin_restarts >= 2, "{:?}", report.summary);
        assert!(report.halt.is_none(), "{:?}", report.halt);
        for line in std::fs::read_to_string(&dead).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["code"], "plugin_fault", "{v}");
            let why = v["reason"].as_str().unwrap();
            assert!(why.contains("the host panicked serving it"), "{why}");
        }
        other_tenant_delivers(&mock).await;
    });
}

#[test]
fn redirects_are_not_followed() {
    rt().block_on(async {
        let canary = RawServer::canary();
        let origin = RawServer::start(
            format!(
                "HTTP/1.1 302 Found\r\nlocation: {}/stolen\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                canary.base_url()
            )
            .into_bytes(),
        );
        let t = tenant_at("redirected", &origin.base_url(), "sk-redirect-test");
        let mut inst = hostile().instantiate(&t, &limits()).await.unwrap();
        inst.configure("probe").await.unwrap().unwrap();
        let out = inst.send(records(&[json!({})])).await.unwrap().unwrap();
        let (code, msg) = rejection(&out[0]);
        assert_eq!(code, "answered");
        assert!(msg.starts_with("302"), "{msg}");
        assert_eq!(origin.hits(), 1);
        assert_eq!(canary.hits(), 0);
    });
}

#[test]
fn response_bodies_over_the_cap_are_refused() {
    rt().block_on(async {
        let body = "x".repeat(64 << 10);
        let declared = RawServer::start(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        );
        let chunked = RawServer::start(
            format!(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                body.len()
            )
            .into_bytes(),
        );
        let lim = Limits {
            max_response_bytes: 1024,
            ..limits()
        };
        for server in [&declared, &chunked] {
            let t = tenant_at("big", &server.base_url(), "sk-big-test");
            let mut inst = hostile().instantiate(&t, &lim).await.unwrap();
            inst.configure("probe").await.unwrap().unwrap();
            let out = inst.send(records(&[json!({})])).await.unwrap().unwrap();
            let (code, msg) = rejection(&out[0]);
            assert_eq!(code, "too_large", "{msg}");
        }
    });
}

#[test]
fn no_http_after_a_halt() {
    rt().block_on(async {
        let mock = mock();
        let mut inst = hostile_instance(&mock, "probe", &limits()).await;
        inst.halt_http();
        let out = inst.send(records(&[json!({})])).await.unwrap().unwrap();
        let (code, msg) = rejection(&out[0]);
        assert_eq!(code, "denied", "{msg}");
        assert!(mock.requests().is_empty());
    });
}

#[test]
fn the_host_caps_records_per_call_before_entering_the_guest() {
    rt().block_on(async {
        let mock = mock();
        let lim = Limits {
            max_records_per_call: 2,
            ..limits()
        };
        // `loop` would hang if the guest were entered.
        let mut inst = hostile_instance(&mock, "loop", &lim).await;
        let r = inst.send(records(&[json!({}), json!({}), json!({})])).await;
        assert!(matches!(r, Ok(Err(CallError::TooManyRecords(2)))), "{r:?}");
        let r = inst
            .sample(records(&[json!({}), json!({}), json!({})]))
            .await;
        assert!(matches!(r, Ok(Err(CallError::TooManyRecords(2)))));
        assert!(!inst.is_dead());
    });
}

#[test]
fn one_epoch_ticker_thread_serves_every_engine() {
    let a = hostile().clone();
    let _b = e2e::load(test_support::PLUGIN_WASM);
    let _c = runtime();
    drop(a);
    assert_eq!(destination_host::sandbox::ticker_threads(), 1);
}

#[test]
fn a_poison_record_is_dead_lettered_and_its_neighbours_delivered() {
    rt().block_on(async {
        let mock = mock();
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let items: Vec<InputItem> = ["Before", "POISON-7f3a", "After"]
            .iter()
            .enumerate()
            .map(|(i, n)| InputItem::Record {
                index: i as u64,
                json: json!({"name": n}).to_string(),
            })
            .collect();
        let opts = Options {
            concurrency: 1,
            dead_letter: Some(dead.clone()),
            limits: limits(),
            ..Options::default()
        };
        let report = deliver::run(
            hostile(),
            &tenant(&mock),
            "poison POISON-7f3a",
            Box::new(items.into_iter()),
            opts,
        )
        .await
        .unwrap();
        let s = &report.summary;
        assert_eq!((s.input, s.delivered, s.dead_lettered), (3, 2, 1), "{s:?}");
        let text = std::fs::read_to_string(&dead).unwrap();
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["index"], 1);
        assert_eq!(line["code"], "plugin_fault");
        assert!(
            line["reason"].as_str().unwrap().contains("unreachable"),
            "{line}"
        );
        let names: Vec<String> = mock
            .requests()
            .iter()
            .map(|r| r.body["name"].as_str().unwrap_or("").to_string())
            .collect();
        assert!(names.contains(&"After".to_string()), "{names:?}");
        assert!(!names.iter().any(|n| n.contains("POISON")), "{names:?}");
    });
}

#[test]
fn restarts_back_off_and_a_crash_budget_halts_the_flow() {
    rt().block_on(async {
        let mock = mock();
        let items: Vec<InputItem> = (0..20)
            .map(|i| InputItem::Record {
                index: i,
                json: json!({"name": format!("CRASH {i}")}).to_string(),
            })
            .collect();
        let opts = Options {
            concurrency: 1,
            crash_budget: 3,
            restart_backoff: Duration::from_millis(100),
            limits: limits(),
            ..Options::default()
        };
        let started = std::time::Instant::now();
        let report = deliver::run(
            hostile(),
            &tenant(&mock),
            "poison CRASH",
            Box::new(items.into_iter()),
            opts,
        )
        .await
        .unwrap();
        let elapsed = started.elapsed();
        let s = &report.summary;
        let halt = report.halt.expect("the flow halts");
        assert_eq!(halt.code, "crash_budget_exhausted", "{halt:?}");
        assert!(
            halt.message.contains("crash budget of 3"),
            "{}",
            halt.message
        );
        assert_eq!(s.plugin_restarts, 3, "{s:?}");
        // The chunk's fault, then each record alone: three poison records
        // dead-lettered, one restart each, then the budget is spent.
        assert_eq!(
            (s.delivered, s.dead_lettered, s.not_attempted),
            (0, 3, 17),
            "{s:?}"
        );
        // Restarts waited 100 + 200 + 400 ms.
        assert!(elapsed >= Duration::from_millis(700), "{elapsed:?}");
        assert!(mock.requests().is_empty());
    });
}

#[test]
fn faulting_tenants_do_not_disturb_a_busy_one() {
    rt().block_on(async {
        let mock = mock();
        let good = {
            let mock_t = tenant(&mock);
            async move {
                let items: Vec<InputItem> = (0..60)
                    .map(|i| InputItem::Record {
                        index: i,
                        json: json!({"name": format!("Busy {i}")}).to_string(),
                    })
                    .collect();
                deliver::run(
                    runtime(),
                    &mock_t,
                    r#"{"template":"create-candidate"}"#,
                    Box::new(items.into_iter()),
                    Options {
                        concurrency: 2,
                        limits: Limits {
                            rate: None,
                            ..Limits::default()
                        },
                        ..Options::default()
                    },
                )
                .await
                .unwrap()
            }
        };
        let bad = tokio::spawn({
            let t = tenant(&mock);
            async move {
                let mut faults = Vec::new();
                for mode in ["panic", "memory", "stack", "loop", "panic"] {
                    faults.push(fault_for(&t, mode, &limits()).await);
                }
                faults
            }
        });
        let report = good.await;
        let faults = bad.await.unwrap();
        assert_eq!(faults.len(), 5);
        let s = report.summary;
        assert_eq!(
            (s.input, s.delivered, s.dead_lettered),
            (60, 60, 0),
            "{s:?}"
        );
    });
}

mod world {
    use destination_host::world::{Mismatch, check, compare};
    use wasmtime::Engine;
    use wasmtime::component::Component;

    fn load(path: &str) -> (Engine, Component) {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config).unwrap();
        let component = Component::from_file(&engine, path).unwrap();
        (engine, component)
    }

    #[test]
    fn the_plugin_and_the_hostile_guest_implement_the_world() {
        for path in [test_support::PLUGIN_WASM, test_support::HOSTILE_WASM] {
            let (engine, component) = load(path);
            assert_eq!(compare(&engine, &component), Mismatch::default(), "{path}");
        }
    }

    #[test]
    fn another_world_is_named_in_full() {
        let (engine, component) = load(test_support::MISMATCH_WASM);
        let m = compare(&engine, &component);
        assert_eq!(m.unknown_imports, ["evil:spy/peek"]);
        assert_eq!(
            m.missing_exports,
            ["connector:destination/destination@0.2.0"]
        );
        assert_eq!(m.extra_exports, ["evil:spy/exfil"]);
        let text = check(&engine, &component).unwrap_err().to_string();
        for name in ["evil:spy/peek", "destination@0.2.0", "evil:spy/exfil"] {
            assert!(text.contains(name), "{text}");
        }
    }
}

/// The largest call the component takes (10,000 records) fits in the
/// default memory limit with the guest's size-class allocator, through
/// both `sample-payload` and `send`.
#[test]
fn largest_call_fits_in_the_default_memory_limit() {
    use connector_bench::{CONFIG, canned, record};
    use destination_host::http_import::Origin;
    use destination_host::sandbox::{InputRecord, Limits, Outcome, Sandbox, Tenant};
    use destination_host::secret::ApiKey;

    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let bytes = std::fs::read(test_support::PLUGIN_WASM).unwrap();
        let runtime = Sandbox::with_options(
            &bytes,
            &destination_host::engine::SandboxOptions {
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
        let (mut inst, _) = runtime.configured(&tenant, &limits, CONFIG).await.unwrap();
        inst.set_in_process_transport(canned());
        let n = plugin::MAX_RECORDS_PER_CALL as u64;
        let records: Vec<InputRecord> = (0..n)
            .map(|i| InputRecord {
                index: i,
                json: record(i),
                maybe_applied: false,
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
