//! The CLI under attack: `--plugin` with a hostile or mismatched component,
//! the sandbox-limit flags, and hostile input files. Every run goes to the
//! embedded mock or a mock on loopback.

use mock_ashby::{MockAshby, MockConfig};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

use crate::util::{bin, write};

/// `send` to the embedded mock with `config` and `input`; returns the output,
/// the summary and the dead letters.
fn send(dir: &Path, args: &[&str], config: &Path, input: &Path) -> (Output, Value, Vec<Value>) {
    send_with(bin(), dir, args, config, input)
}

/// [`send`] with a prepared command (e.g. an environment).
fn send_with(
    mut cmd: Command,
    dir: &Path,
    args: &[&str],
    config: &Path,
    input: &Path,
) -> (Output, Value, Vec<Value>) {
    let summary = dir.join("summary.json");
    let dead = dir.join("dead.jsonl");
    let out = cmd
        .arg("send")
        .args(args)
        .arg("--config")
        .arg(config)
        .arg("--input")
        .arg(input)
        .arg("--summary")
        .arg(&summary)
        .arg("--dead-letter")
        .arg(&dead)
        .output()
        .unwrap();
    let summary = std::fs::read_to_string(&summary)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let dead = std::fs::read_to_string(&dead)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out, summary, dead)
}

/// Runs `args` with `--config` and `--input`.
fn run(args: &[&str], config: &Path, input: &Path) -> Output {
    bin()
        .args(args)
        .arg("--config")
        .arg(config)
        .arg("--input")
        .arg(input)
        .output()
        .unwrap()
}

/// `send` through the hostile guest configured with `mode`.
fn send_hostile(dir: &Path, mode: &str, input: &[u8]) -> (Output, Value, Vec<Value>) {
    let config = write(dir, "mode.txt", mode.as_bytes());
    let input = write(dir, "in.jsonl", input);
    send(
        dir,
        &["--plugin", test_support::HOSTILE_WASM],
        &config,
        &input,
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn names(n: usize) -> String {
    (0..n)
        .map(|i| format!("{}\n", json!({"name": format!("Person {i}")})))
        .collect()
}

#[test]
fn a_component_of_another_world_is_refused_naming_the_differences() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", br#"{"template":"create-candidate"}"#);
    let input = write(dir.path(), "in.jsonl", names(1).as_bytes());
    let runs: Vec<Vec<&str>> = vec![vec!["sample"], vec!["send"], vec!["test", "--record", "0"]];
    for mut args in runs {
        args.extend(["--plugin", test_support::MISMATCH_WASM]);
        let out = run(&args, &config, &input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = stderr(&out);
        for name in [
            "evil:spy/peek",
            "connector:destination/destination@0.2.0",
            "evil:spy/exfil",
        ] {
            assert!(e.contains(name), "{args:?}: {e}");
        }
    }
    let out = bin()
        .args(["demo", "--plugin", test_support::MISMATCH_WASM])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("evil:spy/peek"));
}

#[test]
fn another_component_of_the_world_runs_through_send_and_test() {
    let dir = tempfile::tempdir().unwrap();
    let (out, summary, dead) = send_hostile(dir.path(), "polite", names(3).as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary["delivered"], 3);
    assert!(dead.is_empty());
    let args = [
        "test",
        "--record",
        "1",
        "--plugin",
        test_support::HOSTILE_WASM,
    ];
    let out = run(
        &args,
        &dir.path().join("mode.txt"),
        &dir.path().join("in.jsonl"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("outcome: delivered"));
}

#[test]
fn a_poison_record_through_the_cli_is_dead_lettered_as_a_plugin_fault() {
    let dir = tempfile::tempdir().unwrap();
    let input = b"{\"name\":\"Ann\"}\n{\"name\":\"POISON-31\"}\n{\"name\":\"Bob\"}\n";
    let (out, summary, dead) = send_hostile(dir.path(), "poison POISON-31", input);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(summary["delivered"], 2);
    assert_eq!(summary["dead_lettered"], 1);
    assert_eq!(dead[0]["index"], 1);
    assert_eq!(dead[0]["code"], "plugin_fault");
    assert!(dead[0]["reason"].as_str().unwrap().contains("unreachable"));
    assert!(stderr(&out).contains("plugin fault"));
}

#[test]
fn limit_flags_reach_the_sandbox() {
    let key = "sk-limits-test-0f9e8d7c6b5a";
    let mock = MockAshby::start(MockConfig {
        api_keys: vec![key.into()],
        latency: std::time::Duration::from_secs(4),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "polite.txt", b"polite");
    let input = write(dir.path(), "in.jsonl", names(1).as_bytes());
    let mut cmd = bin();
    cmd.env("ASHBY_API_KEY", key);
    let base = mock.base_url();
    let args = [
        "--plugin",
        test_support::HOSTILE_WASM,
        "--base-url",
        &base,
        "--call-timeout",
        "1",
        "--max-attempts",
        "1",
        "--memory-mb",
        "32",
        "--cpu-ms",
        "500",
    ];
    let (out, _, dead) = send_with(cmd, dir.path(), &args, &config, &input);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = &dead[0];
    assert_eq!(d["code"], "plugin_fault");
    assert!(
        d["reason"].as_str().unwrap().contains("time limit of 1s"),
        "{d}"
    );
    for bad in [
        vec!["--memory-mb", "0"],
        vec!["--cpu-ms", "1"],
        vec!["--max-records-per-call", "0"],
    ] {
        let out = bin()
            .arg("send")
            .args(&bad)
            .args(["--config", "x", "--input", "y.jsonl"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn hostile_input_is_dead_lettered_record_by_record() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", br#"{"template":"create-candidate"}"#);
    let mut input: Vec<u8> = Vec::new();
    let mut line = |bytes: &[u8]| {
        input.extend_from_slice(bytes);
        input.push(b'\n');
    };
    line(br#"{"name":"Good Zero"}"#); // 0
    line(br#"{"name": "#); // 1 invalid JSON
    line(b"[1, 2, 3]"); // 2 not an object
    let deep = format!(
        "{{\"name\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    line(deep.as_bytes()); // 3 100,000 levels
    line(b"{\"name\":\"Raw\0Nul\"}"); // 4 a raw NUL byte
    line(b"{\"name\":\"Bad \xff\xfe UTF-8\"}"); // 5 invalid UTF-8
    let huge = format!("{{\"name\":\"{}\"}}", "y".repeat(17 << 20));
    line(huge.as_bytes()); // 6 over the 16 MiB record cap
    // The bulk is in a field candidate.create declares (the mock refuses others).
    let big = format!("{{\"name\":\"Big Record {}\"}}", "z".repeat(4 << 20));
    line(big.as_bytes()); // 7 4 MiB: read, shaped and sent
    line(b"42"); // 8 not an object
    line(br#"{"name":"Good Nine"}"#); // 9
    let path = write(dir.path(), "in.jsonl", &input);
    // Shaping 4 MiB in the debug-built guest can take over a second of CPU
    // on a loaded machine: the CPU limit is not what this test is about.
    let (out, summary, dead) = send(dir.path(), &["--cpu-ms", "30000"], &config, &path);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(summary["input"], 10, "{summary}");
    let delivered = summary["delivered"].as_u64().unwrap();
    let dead_n = summary["dead_lettered"].as_u64().unwrap();
    assert_eq!(
        delivered + dead_n + summary["not_attempted"].as_u64().unwrap(),
        10
    );
    assert_eq!(dead.len() as u64, dead_n);
    let code = |i: u64| -> String {
        let d = dead
            .iter()
            .find(|d| d["index"] == i)
            .unwrap_or_else(|| panic!("record {i} not dead-lettered: {dead:?}"));
        assert!(!d["reason"].as_str().unwrap().is_empty());
        d["code"].as_str().unwrap().to_string()
    };
    assert_eq!(code(1), "invalid_json");
    assert_eq!(code(2), "not_an_object");
    assert_eq!(code(3), "invalid_json");
    assert_eq!(code(4), "invalid_json");
    assert_eq!(code(5), "invalid_utf8");
    assert_eq!(code(6), "record_too_large");
    assert_eq!(code(8), "not_an_object");
    for good in [0, 9] {
        assert!(!dead.iter().any(|d| d["index"] == good), "{good} dead");
    }
    // 0, 9 and the 4 MiB record 7 (Ashby, here the mock, takes it).
    assert_eq!((delivered, dead_n), (3, 7), "{summary}");
}

#[test]
fn ragged_csv_rows_are_dead_lettered_and_the_rest_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", br#"{"template":"create-candidate"}"#);
    let path = write(
        dir.path(),
        "in.csv",
        b"name,email\nAda Lovelace,ada@example.com\nToo,Many,Fields\nShort\nGrace Hopper,grace@example.com\n",
    );
    let (out, summary, dead) = send(dir.path(), &[], &config, &path);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(summary["input"], 4, "{summary}");
    assert_eq!(summary["delivered"], 2);
    assert_eq!(dead.len(), 2);
    for d in &dead {
        assert_eq!(d["code"], "ragged_row", "{d}");
    }
}

/// Bytes that drive a terminal: ESC, BEL, and C1's CSI in UTF-8.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    for (i, w) in bytes.windows(2).enumerate() {
        assert!(
            w[0] != 0x1b && w[0] != 0x07 && w != [0xc2, 0x9b],
            "{what}: a raw control byte at {i}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// A guest's stdout and stderr, its warning, a delivered id, a rejection and
/// a halt, each carrying escape sequences, reach the terminal escaped; the
/// dead-letter file (JSON) keeps the exact text.
#[test]
fn escape_sequences_from_a_guest_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let (out, summary, dead) =
        send_hostile(dir.path(), "escapes", b"{\"a\":0}\n{\"a\":1}\n{\"a\":2}\n");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "the third record halts: {err}");
    assert_eq!(summary["delivered"], 1, "{summary}");
    assert_terminal_safe("stdout", &out.stdout);
    assert_terminal_safe("stderr", &out.stderr);
    // Shown, escaped: the guest's output, the warning, the halt.
    assert!(err.contains("stderr \\x1b[2J\\x1b]0;owned\\x07"), "{err}");
    assert!(err.contains("warning: warning \\x1b[2J"), "{err}");
    assert!(err.contains("halted \\x1b[2J"), "{err}");
    assert!(
        !err.lines()
            .any(|l| l.starts_with("forged:") || l == "second"),
        "{err}"
    );
    // The file keeps the guest's exact text.
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(
        dead[0]["reason"].as_str().unwrap().contains("\u{1b}]52;c;"),
        "{dead:?}"
    );
    // `test` prints the outcome of one record.
    let config = write(dir.path(), "mode.txt", "escapes");
    let input = write(dir.path(), "in.jsonl", "{\"a\":1}\n");
    let t = run(
        &[
            "test",
            "--plugin",
            test_support::HOSTILE_WASM,
            "--record",
            "0",
        ],
        &config,
        &input,
    );
    assert_terminal_safe("test stdout", &t.stdout);
    assert_terminal_safe("test stderr", &t.stderr);
}

/// Ashby's own messages (a rejection shown by `test`, a halt shown by
/// `send`) reach the terminal escaped.
#[test]
fn escape_sequences_from_the_remote_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(dir.path(), "in.jsonl", "{\"name\":\"Ada\"}\n");
    let envelope = |code: &str| {
        let body = json!({"success": false, "errorInfo": {"code": code,
            "message": "\u{1b}]52;c;ZXZpbA==\u{7} bad \u{1b}[2J\u{9b}31m\nforged: line"}})
        .to_string();
        e2e::RawServer::start(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    };
    let rejecting = envelope("invalid_input");
    let t = bin()
        .env("ASHBY_API_KEY", "sk-escape-test")
        .args([
            "test",
            "--yes",
            "--base-url",
            &rejecting.base_url(),
            "--record",
            "0",
        ])
        .args([
            "--config".as_ref(),
            config.as_os_str(),
            "--input".as_ref(),
            input.as_os_str(),
        ])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&t.stdout).into_owned();
    assert!(shown.contains("\\x1b]52;c;"), "{shown}{}", stderr(&t));
    assert_terminal_safe("test stdout", &t.stdout);
    assert_terminal_safe("test stderr", &t.stderr);
    let halting = envelope("missing_endpoint_permission");
    let s = bin()
        .env("ASHBY_API_KEY", "sk-escape-test")
        .args(["send", "--base-url", &halting.base_url()])
        .args([
            "--config".as_ref(),
            config.as_os_str(),
            "--input".as_ref(),
            input.as_os_str(),
        ])
        .output()
        .unwrap();
    let err = stderr(&s);
    assert_eq!(s.status.code(), Some(2), "{err}");
    assert!(err.contains("\\x1b[2J"), "{err}");
    assert!(!err.lines().any(|l| l.starts_with("forged:")), "{err}");
    assert_terminal_safe("send stdout", &s.stdout);
    assert_terminal_safe("send stderr", &s.stderr);
}

/// `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` (either case) in the
/// environment change nothing: the http import and the response webhook
/// reach the origin and the receiver directly, never the proxy.
#[test]
fn proxy_variables_in_the_environment_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = "sk-proxy-test";
    let mock = MockAshby::start(MockConfig {
        api_keys: vec![key.into()],
        ..MockConfig::default()
    })
    .unwrap();
    let proxy = e2e::RawServer::canary();
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"name\":\"P1\"}\n{\"name\":\"P2\"}\n",
    );
    let mut cmd = bin();
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        cmd.env(var, proxy.base_url());
        cmd.env(var.to_ascii_lowercase(), proxy.base_url());
    }
    let out = cmd
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("ASHBY_API_KEY", key)
        .args(["send", "--base-url", &mock.base_url()])
        .args(["--responses-url", &mock.webhook_url()])
        .args([
            "--config".as_ref(),
            config.as_os_str(),
            "--input".as_ref(),
            input.as_os_str(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["delivered"], 2, "{s}");
    assert_eq!(s["responses_posted"], 2, "{s}");
    let creates = mock.requests();
    let creates: Vec<_> = creates
        .iter()
        .filter(|r| r.path == "/candidate.create")
        .collect();
    assert_eq!(creates.len(), 2, "{creates:?}");
    assert!(creates.iter().all(|r| r.api_key.as_deref() == Some(key)));
    assert_eq!(mock.webhook_records().len(), 2);
    assert_eq!(proxy.hits(), 0, "a request went to the proxy");
}

/// A guest that knows the key (here told it in its config, standing in for
/// a channel the host did not redact) and writes it to stderr, into its
/// warning and into its outcomes: the host prints and stores `****`.
#[test]
fn a_key_a_guest_writes_is_redacted_in_every_output() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let key = "sk-guest-knows-3c1e5a7b9d";
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    let mock = MockAshby::start(MockConfig {
        api_keys: vec![key.into()],
        ..MockConfig::default()
    })
    .unwrap();
    let config = write(
        dir.path(),
        "mode.txt",
        format!("say key={key} basic=Basic {b64}"),
    );
    let input = write(dir.path(), "in.jsonl", "{\"n\":0}\n{\"n\":1}\n");
    let mut cmd = bin();
    cmd.env("ASHBY_API_KEY", key);
    let args = [
        "--plugin",
        test_support::HOSTILE_WASM,
        "--base-url",
        &mock.base_url(),
    ];
    let (out, summary, dead) = send_with(cmd, dir.path(), &args, &config, &input);
    assert_eq!(summary["dead_lettered"], 2, "{summary}{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("key=**** basic=Basic ****"), "{err}");
    assert!(
        dead[0]["reason"].as_str().unwrap().contains("key=****"),
        "{dead:?}"
    );
    let mut texts = vec![String::from_utf8_lossy(&out.stdout).into_owned(), err];
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p != config {
            texts.push(std::fs::read_to_string(p).unwrap());
        }
    }
    for t in texts {
        assert!(!t.contains(key) && !t.contains(&b64), "the key leaked: {t}");
    }
}
