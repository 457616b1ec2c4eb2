//! What an operator sees of a run: `/metrics` scraped while `send` runs
//! (counters moving, a duration histogram in seconds, bounded labels) and
//! `--log-format json` (every stderr line one JSON object, the warnings
//! and the verdict included; a span per HTTP attempt with its resend
//! count). The API key is in neither.

use crate::util::{bin, write};
use base64::Engine as _;
use mock_ashby::{Fault, FaultKind, MockAshby, MockConfig};
use serde_json::Value;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-0b5e3c9a7d1f4e2b8c6a9d0e1f2a3b4c";

fn mock(cfg: MockConfig) -> MockAshby {
    MockAshby::start(MockConfig {
        api_keys: vec![KEY.into()],
        ..cfg
    })
    .unwrap()
}

/// `n` candidates, then a line that is not JSON and a bad email.
fn input(dir: &Path, n: usize) -> std::path::PathBuf {
    let mut text: String = (0..n)
        .map(|i| format!("{{\"name\":\"Person {i}\",\"email\":\"person{i}@example.com\"}}\n"))
        .collect();
    text.push_str(
        "not json at all\n{\"name\":\"Bad Email\",\"email\":\"nobody-at-example.com\"}\n",
    );
    write(dir, "in.jsonl", text)
}

fn send_cmd(mock: &MockAshby, dir: &Path, n: usize) -> Command {
    let config = write(dir, "c.json", r#"{"template":"create-candidate"}"#);
    let mut c = bin();
    c.env("ASHBY_API_KEY", KEY)
        // These tests count requests: no `auth` preflight (see check_cli.rs).
        .args([
            "send",
            "--no-preflight",
            "--base-url",
            &mock.base_url(),
            "--config",
        ])
        .arg(&config)
        .arg("--input")
        .arg(input(dir, n))
        .arg("--dead-letter")
        .arg(dir.join("dead.jsonl"));
    c
}

/// Reads the child's stderr on a thread: every line, and the metrics
/// address once it is logged.
fn read_stderr(
    child: &mut Child,
) -> (mpsc::Receiver<String>, std::thread::JoinHandle<Vec<String>>) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["event_name"] == "destination.metrics.listening"
            {
                let _ = tx.send(v["fields"]["address"].as_str().unwrap().to_string());
            }
            lines.push(line);
        }
        lines
    });
    (rx, t)
}

/// `GET /metrics` over a plain socket; `None` once nothing listens.
fn scrape(addr: &str) -> Option<(String, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    Some((head.to_string(), body.to_string()))
}

/// The sum of a metric's samples (all label sets).
fn total(body: &str, name: &str) -> f64 {
    body.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Every `(label, value)` of every sample.
fn labels(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for l in body.lines().filter(|l| !l.starts_with('#')) {
        let Some((_, rest)) = l.split_once('{') else {
            continue;
        };
        let inner = rest.rsplit_once('}').unwrap().0;
        for pair in inner.split("\",").filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once("=\"").unwrap();
            out.push((k.to_string(), v.trim_end_matches('"').to_string()));
        }
    }
    out
}

fn assert_no_key(text: &str) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    assert!(!text.contains(KEY), "the API key leaked: {text}");
    assert!(!text.contains(&b64), "the encoded API key leaked: {text}");
}

#[test]
fn metrics_scraped_during_a_run_move_and_keep_their_labels_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let m = mock(MockConfig {
        latency: Duration::from_millis(20),
        ..MockConfig::default()
    });
    m.inject(Fault::on("/candidate.create", FaultKind::ServerError(503)));
    let n = 40;
    let mut child = send_cmd(&m, dir.path(), n)
        .args(["--metrics-addr", "127.0.0.1:0", "--log-format", "json"])
        .args(["--rate", "20/s", "--concurrency", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr_rx, stderr) = read_stderr(&mut child);
    let addr = addr_rx.recv_timeout(Duration::from_secs(120)).unwrap();
    let mut scrapes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        if let Some((head, body)) = scrape(&addr) {
            assert!(head.contains("text/plain; version=0.0.4"), "{head}");
            scrapes.push(body);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    let log = stderr.join().unwrap();
    assert_eq!(status.code(), Some(1), "{log:#?}");

    let requests: Vec<f64> = scrapes
        .iter()
        .map(|b| total(b, "destination_http_requests_total"))
        .collect();
    assert!(requests.windows(2).all(|w| w[0] <= w[1]), "{requests:?}");
    let moving = requests
        .iter()
        .filter(|r| **r > 0.0 && **r < n as f64)
        .count();
    assert!(
        moving >= 2,
        "no scrape saw the run in progress: {requests:?}"
    );
    let first = requests.iter().position(|r| *r > 0.0).unwrap();
    assert!(requests.last() > requests.get(first), "{requests:?}");

    let last = scrapes.last().unwrap();
    assert!(last.contains("# TYPE http_client_request_duration_seconds histogram"));
    for part in ["_bucket{", "_sum{", "_count{"] {
        assert!(
            last.contains(&format!("http_client_request_duration_seconds{part}")),
            "{last}"
        );
    }
    assert!(
        last.contains("le=\"0.005\"") && last.contains("le=\"10\""),
        "buckets in seconds: {last}"
    );
    assert!(
        total(last, "destination_records_received_total") >= 1.0,
        "{last}"
    );
    assert!(
        last.contains("http_response_status_code=\"503\",error_type=\"503\""),
        "{last}"
    );
    assert!(
        last.contains(
            "destination_records_rejected_total{flow=\"default\",code=\"invalid_json\"} 1"
        ),
        "{last}"
    );
    assert!(
        last.contains("destination_circuit_state{flow=\"default\",state=\"closed\"} 1"),
        "{last}"
    );

    for body in &scrapes {
        assert_no_key(body);
        assert!(
            !body.contains("Person") && !body.contains("example.com"),
            "record data in {body}"
        );
        for (k, v) in labels(body) {
            assert!(
                v.len() <= 64 && !v.contains('@') && !v.contains(' '),
                "{k}={v}"
            );
            match k.as_str() {
                "endpoint" => assert_eq!(v, "/candidate.create"),
                "flow" => assert_eq!(v, "default"),
                "code" => assert!(
                    v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{v}"
                ),
                "http_response_status_code" | "server_port" | "le" => {
                    assert!(
                        v.is_empty() || v == "+Inf" || v.parse::<f64>().is_ok(),
                        "{k}={v}"
                    )
                }
                _ => {}
            }
        }
    }
    for line in &log {
        assert_no_key(line);
    }
}

/// Runs `cmd` and returns its exit code and stderr lines, each parsed as
/// one JSON object (the test fails on any line that is not).
fn json_lines(cmd: &mut Command) -> (Option<i32>, Vec<Value>) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_no_key(&stderr);
    assert_no_key(&String::from_utf8_lossy(&out.stdout));
    let lines = stderr
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert!(v.is_object(), "{l}");
            for key in ["timestamp", "level", "severity_number", "message", "target"] {
                assert!(v.get(key).is_some(), "no {key} in {l}");
            }
            v
        })
        .collect();
    (out.status.code(), lines)
}

#[test]
fn json_logs_are_one_object_per_line_with_warnings_and_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let m = mock(MockConfig {
        permissions: Some(vec!["jobsRead".into()]),
        ..MockConfig::default()
    });
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let (code, lines) = json_lines(
        bin()
            .env("ASHBY_API_KEY", KEY)
            .args(["send", "--log-format", "json", "--base-url", &m.base_url()])
            .arg("--config")
            .arg(&config)
            .arg("--input")
            .arg(input(dir.path(), 5))
            .arg("--journal")
            .arg(dir.path().join("journal")),
    );
    assert_eq!(code, Some(2), "{lines:#?}");
    let warning = lines
        .iter()
        .find(|l| l["level"] == "WARN")
        .unwrap_or_else(|| panic!("no warning: {lines:#?}"));
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .starts_with("--journal without --dead-letter")
    );
    assert_eq!(warning["severity_number"], 13);
    let halted = lines
        .iter()
        .find(|l| l["event_name"] == "destination.run.halted")
        .unwrap_or_else(|| panic!("no halt: {lines:#?}"));
    assert_eq!(halted["level"], "ERROR");
    assert_eq!(halted["fields"]["code"], "missing_endpoint_permission");
    assert!(
        halted["message"]
            .as_str()
            .unwrap()
            .contains("candidatesWrite")
    );
    assert_eq!(halted["resource"]["service.name"], "host-harness");
    let verdict = lines.last().unwrap();
    assert_eq!(
        verdict["event_name"], "destination.run.verdict",
        "{lines:#?}"
    );
    assert_eq!(verdict["level"], "ERROR");
    assert_eq!(verdict["fields"]["exit_code"], 2);
    assert!(
        verdict["message"]
            .as_str()
            .unwrap()
            .starts_with("halted: 0 of")
    );

    // A setup error is a JSON line too.
    let (code, lines) = json_lines(bin().args([
        "--log-format",
        "json",
        "send",
        "--config",
        "missing.json",
        "--input",
        "missing.jsonl",
    ]));
    assert_eq!(code, Some(2));
    assert_eq!(
        lines.last().unwrap()["event_name"],
        "destination.run.failed",
        "{lines:#?}"
    );
}

#[test]
fn each_http_attempt_has_a_span_with_its_resend_count() {
    let dir = tempfile::tempdir().unwrap();
    let m = mock(MockConfig::default());
    m.inject(Fault::on("/candidate.create", FaultKind::ServerError(500)));
    let (code, lines) = json_lines(send_cmd(&m, dir.path(), 1).args([
        "--log-format",
        "json",
        "--log-level",
        "debug",
    ]));
    assert_eq!(code, Some(1), "{lines:#?}");
    let attempts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event_name"] == "destination.http.request")
        .collect();
    assert_eq!(attempts.len(), 2, "{lines:#?}");
    let span = |l: &Value| l["spans"].as_array().unwrap().last().unwrap().clone();
    let (first, second) = (span(attempts[0]), span(attempts[1]));
    assert_eq!(first["name"], "http.request");
    assert_eq!(first["http.request.resend_count"], 0);
    assert_eq!(first["http.response.status_code"], 500);
    assert_eq!(first["error.type"], "500");
    assert_eq!(second["http.request.resend_count"], 1);
    assert_eq!(second["http.response.status_code"], 200);
    assert_eq!(second["url.template"], "/candidate.create");
    for a in &attempts {
        assert_eq!(a["flow"], "default");
        assert!(a["fields"]["duration_seconds"].as_f64().unwrap() > 0.0);
    }
    let rejected: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event_name"] == "destination.record.rejected")
        .collect();
    assert_eq!(rejected.len(), 2, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l["event_name"] == "destination.record.retry_scheduled")
    );
    let verdict = lines.last().unwrap();
    assert_eq!(verdict["event_name"], "destination.run.verdict");
    assert_eq!(verdict["level"], "WARN");
    assert_eq!(verdict["fields"]["dead_lettered"], 2);
}
