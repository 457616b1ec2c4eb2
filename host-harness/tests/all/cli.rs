//! The CLI as users run it: real binary, real component, a mock Ashby on
//! loopback. Covers exit codes, dead letters, responses, halt, retry, the
//! test command, and that the API key never appears in any output or file.

use base64::Engine as _;
use mock_ashby::{Fault, FaultKind, MockAshby, MockConfig};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEY: &str = "sk-test-4f1d9c2b7e8a6d5c3b2a1f0e9d8c7b6a";

use crate::util::{bin, lines, write};

fn mock_with(cfg: MockConfig) -> MockAshby {
    MockAshby::start(MockConfig {
        api_keys: vec![KEY.into()],
        ..cfg
    })
    .unwrap()
}

/// `--config C --input I`.
fn config_and_input<'a>(config: &'a Path, input: &'a Path) -> [&'a std::ffi::OsStr; 4] {
    [
        "--config".as_ref(),
        config.as_os_str(),
        "--input".as_ref(),
        input.as_os_str(),
    ]
}

fn send(mock: &MockAshby, config: &Path, input: &Path, out: &Path) -> Output {
    bin()
        .env("ASHBY_API_KEY", KEY)
        .args(["send", "--base-url", &mock.base_url()])
        .args(config_and_input(config, input))
        .arg("--summary")
        .arg(out.join("summary.json"))
        .arg("--dead-letter")
        .arg(out.join("dead.jsonl"))
        .arg("--responses")
        .arg(out.join("responses.jsonl"))
        .output()
        .unwrap()
}

/// The requests the mock saw, but the preflight's `apiKey.info` reads.
fn writes(mock: &MockAshby) -> Vec<mock_ashby::RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.path != "/apiKey.info")
        .collect()
}

/// Asserts a zero exit and parses stdout as JSON.
fn ok_json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_no_secret(out: &Output, dir: &Path) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    let mut texts = vec![
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ];
    for e in std::fs::read_dir(dir).unwrap() {
        texts
            .push(String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned());
    }
    for t in texts {
        assert!(!t.contains(KEY), "the API key leaked: {t}");
        assert!(!t.contains(&b64), "the encoded API key leaked: {t}");
    }
}

#[test]
fn send_delivers_dead_letters_bad_lines_and_never_shows_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(
        dir.path(),
        "in.jsonl",
        concat!(
            "{\"name\":\"Ada\",\"email\":\"ada@example.com\"}\n",
            "this is not json\n",
            "[1,2,3]\n",
            "{\"email\":\"no-name@example.com\"}\n",
            "{\"name\":\"Bad Email\",\"email\":\"not-an-email\"}\n",
            "{\"name\":\"Grace\",\"linkedInUrl\":\"https://linkedin.com/in/g\"}\n",
        ),
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = send(&mock, &config, &input, out_dir.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["input"], 6);
    assert_eq!(summary["delivered"], 2);
    assert_eq!(summary["dead_lettered"], 4);
    assert_eq!(summary["not_attempted"], 0);
    assert_eq!(summary["requests"], 2);
    let dead = lines(&out_dir.path().join("dead.jsonl"));
    let mut by_index: Vec<(u64, String)> = dead
        .iter()
        .map(|d| {
            (
                d["index"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    by_index.sort();
    assert_eq!(
        by_index,
        vec![
            (1, "invalid_json".to_string()),
            (2, "not_an_object".to_string()),
            (3, "missing_field".to_string()),
            (4, "invalid_field".to_string())
        ]
    );
    let bad_email = dead.iter().find(|d| d["index"] == 4).unwrap();
    assert_eq!(
        bad_email["record"]["email"], "not-an-email",
        "record kept unchanged"
    );
    assert!(bad_email["reason"].as_str().unwrap().contains("email"));
    let responses = lines(&out_dir.path().join("responses.jsonl"));
    assert_eq!(responses.len(), 2);
    assert!(
        responses
            .iter()
            .all(|r| r["success"] == true && r["id"].is_string())
    );
    assert_eq!(mock.state().candidates.len(), 2);
    // Every request carried the key the mock expects.
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.api_key.as_deref() == Some(KEY))
    );
    assert_no_secret(&out, out_dir.path());
}

#[test]
fn csv_and_json_array_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let csv = write(
        dir.path(),
        "in.csv",
        "name,email\nAda,ada@example.com\nGrace\nAlan,\n",
    );
    let out = send(&mock, &config, &csv, dir.path());
    assert_eq!(out.status.code(), Some(1));
    let s: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        (
            s["input"].as_u64(),
            s["delivered"].as_u64(),
            s["dead_lettered"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    let arr = write(dir.path(), "in.json", r#"[{"name":"Ada"},{"name":"Bob"}]"#);
    let out = send(&mock, &config, &arr, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn missing_permission_halts_with_exit_2_and_names_the_permission() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig {
        permissions: Some(vec!["jobsRead".into()]),
        ..MockConfig::default()
    });
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(
        dir.path(),
        "in.jsonl",
        (0..40)
            .map(|i| format!("{{\"name\":\"C{i}\"}}\n"))
            .collect::<String>(),
    );
    let out = send(&mock, &config, &input, dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("candidatesWrite"), "{stderr}");
    assert!(stderr.contains("missing_endpoint_permission"), "{stderr}");
    let s: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["input"], 40);
    assert_eq!(s["delivered"], 0);
    assert_eq!(
        s["dead_lettered"], 0,
        "a halt dead-letters nothing: the records are fine"
    );
    assert_eq!(s["not_attempted"], 40);
    assert!(s["requests"].as_u64().unwrap() <= 8, "stopped at once: {s}");
}

#[test]
fn wrong_key_halts() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockAshby::start(MockConfig::default()).unwrap(); // does not know KEY
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(dir.path(), "in.jsonl", "{\"name\":\"Ada\"}\n");
    let out = send(&mock, &config, &input, dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_no_secret(&out, dir.path());
}

#[test]
fn a_429_with_retry_after_is_retried_and_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    mock.inject(Fault::on(
        "/candidate.create",
        FaultKind::RateLimit {
            retry_after: Some("1".into()),
            partner_scope: false,
        },
    ));
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(dir.path(), "in.jsonl", "{\"name\":\"Ada\"}\n");
    let start = std::time::Instant::now();
    let out = send(&mock, &config, &input, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        (
            s["delivered"].as_u64(),
            s["requests"].as_u64(),
            s["retries"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    let reqs = writes(&mock);
    assert_eq!(reqs.len(), 2);
    assert!(
        start.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was not honoured"
    );
}

#[test]
fn a_bad_config_exits_2_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    let config = write(
        dir.path(),
        "c.json",
        r#"{"template":"start-offer-process"}"#,
    );
    let input = write(dir.path(), "in.jsonl", "{}\n");
    let out = send(&mock, &config, &input, dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("confirm_side_effects"), "{stderr}");
    assert!(mock.requests().is_empty());
}

#[test]
fn base_url_needs_the_key_and_test_needs_yes() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(dir.path(), "in.jsonl", "{\"name\":\"Ada\"}\n");
    let out = bin()
        .args(["send", "--base-url", "http://127.0.0.1:9"])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ASHBY_API_KEY"));
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args(["test", "--record", "0", "--base-url", "http://127.0.0.1:9"])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
}

#[test]
fn test_command_shows_the_request_and_the_response() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    let config = write(
        dir.path(),
        "c.json",
        r#"{"template":"create-candidate","headers":"x-source:crm"}"#,
    );
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"name\":\"Ada\"}\n{\"name\":\"Grace\"}\n",
    );
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args([
            "test",
            "--record",
            "1",
            "--yes",
            "--base-url",
            &mock.base_url(),
            "--json",
        ])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let req = &v["requests"][0];
    assert_eq!(req["headers"]["Authorization"], "Basic ****", "{v}");
    assert_eq!(req["headers"]["x-source"], "crm", "{v}");
    assert_eq!(req["body"]["name"], "Grace", "{v}");
    assert!(!stdout.contains("\"Ada\""), "{stdout}");
    assert_eq!(v["response"]["body"]["success"], true, "{v}");
    assert_eq!(mock.requests().len(), 1, "only the one record is sent");
    assert_eq!(mock.requests()[0].header("x-source"), Some("crm"));
    assert!(!stdout.contains(KEY));
}

#[test]
fn sample_makes_no_request_and_templates_lists_eleven_with_their_steps() {
    let out = bin()
        .args([
            "sample",
            "--config",
            "examples/create-candidate.json",
            "--input",
            "examples/candidates.jsonl",
            "--limit",
            "2",
        ])
        .output()
        .unwrap();
    let v = ok_json(&out);
    assert_eq!(v["requests"].as_array().unwrap().len(), 2);
    assert_eq!(v["requests"][0]["headers"]["Authorization"], "Basic ****");
    assert!(
        v["requests"][0]["body"].get("internal_id").is_none(),
        "exclude applied"
    );
    assert!(
        v["requests"][0]["body"].get("phoneNumber").is_some(),
        "rename applied"
    );
    let out = bin().arg("templates").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let ids: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert_eq!(ids.len(), 11, "{text}");
    assert!(text.contains("start-offer-process") && text.contains("offersWrite"));
    let steps = plugin::templates::all()
        .unwrap()
        .iter()
        .map(|t| t.steps.len())
        .sum::<usize>();
    assert_eq!(text.lines().count(), 1 + steps, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("/application.changeStage") && l.contains("interviewStageId")),
        "{text}"
    );
}

#[test]
fn demo_runs_the_chained_flow() {
    let out = bin().arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("5 candidates, 5 applications, 1 offer processes"),
        "{stdout}"
    );
    // the stage change: two calls per record (changeStage, customField.setValues)
    assert!(
        stdout.contains("5 of 5 applications are at the \"Recruiter screen\" stage"),
        "{stdout}"
    );
    let row = stdout
        .lines()
        .find(|l| l.contains("update-application"))
        .unwrap_or_default();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols.get(6..10), Some(&["5", "5", "0", "10"][..]), "{row}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("embedded mock"));
}

#[test]
fn send_without_base_url_uses_the_embedded_mock() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "send",
            "--config",
            "examples/create-candidate.json",
            "--input",
            "examples/candidates.csv",
        ])
        .arg("--summary")
        .arg(dir.path().join("s.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("embedded mock"));
}

#[test]
fn replay_resends_dead_letters_with_their_original_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    let wrong = write(
        dir.path(),
        "wrong.json",
        r#"{"template":"create-candidate"}"#,
    );
    let fixed = write(
        dir.path(),
        "fixed.json",
        r#"{"template":"create-candidate","rename":{"fullName":"name"}}"#,
    );
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"name\":\"Ada\"}\n{\"fullName\":\"Grace\"}\nnot json\n{\"fullName\":\"Alan\"}\n",
    );
    let first = send(&mock, &wrong, &input, dir.path());
    assert_eq!(first.status.code(), Some(1));
    let dl = dir.path().join("dead.jsonl");
    let replay_out = tempfile::tempdir().unwrap();
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args(["replay", "--base-url", &mock.base_url()])
        .arg("--config")
        .arg(&fixed)
        .arg("--dead-letter")
        .arg(&dl)
        .arg("--dead-letter")
        .arg(replay_out.path().join("dead2.jsonl"))
        .arg("--responses")
        .arg(replay_out.path().join("responses.jsonl"))
        .arg("--summary")
        .arg(replay_out.path().join("summary.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value =
        serde_json::from_slice(&std::fs::read(replay_out.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(
        (
            s["input"].as_u64(),
            s["delivered"].as_u64(),
            s["dead_lettered"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    let mut idx: Vec<u64> = lines(&replay_out.path().join("responses.jsonl"))
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    idx.sort();
    assert_eq!(idx, vec![1, 3], "original indexes are kept");
    let dead2 = lines(&replay_out.path().join("dead2.jsonl"));
    assert_eq!(dead2.len(), 1);
    assert_eq!(dead2[0]["index"], 2, "the unparseable line keeps its index");
    assert_eq!(mock.state().candidates.len(), 3);
}

#[test]
fn rate_paces_requests_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(
        dir.path(),
        "in.jsonl",
        (0..30)
            .map(|i| format!("{{\"name\":\"C{i}\"}}\n"))
            .collect::<String>(),
    );
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args(["send", "--rate", "20/s", "--base-url", &mock.base_url()])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = writes(&mock);
    assert_eq!(reqs.len(), 30);
    // A full bucket holds 20; the other 10 come at 20/s, so the last request
    // arrives at least ~0.5 s after the first. (A lower bound: cannot flake
    // on a slow machine.)
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["elapsed_ms"].as_u64().unwrap() >= 450, "{s}");
    let bad = bin()
        .args(["send", "--rate", "fast"])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--rate"));
}

/// A journaled `send` of `n` creates against a slow mock, for the tests
/// that stop a run mid-way and resume it.
struct JournalRun {
    dir: tempfile::TempDir,
    mock: MockAshby,
    n: usize,
    text: String,
    config: PathBuf,
    input: PathBuf,
    journal: PathBuf,
}

impl JournalRun {
    fn new(n: usize) -> JournalRun {
        let dir = tempfile::tempdir().unwrap();
        let mock = mock_with(MockConfig {
            latency: std::time::Duration::from_millis(15),
            ..MockConfig::default()
        });
        let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
        let text: String = (0..n)
            .map(|i| format!("{{\"name\":\"K{i}\",\"email\":\"k{i}@example.com\"}}\n"))
            .collect();
        let input = write(dir.path(), "in.jsonl", &text);
        let journal = dir.path().join("journal");
        JournalRun {
            dir,
            mock,
            n,
            text,
            config,
            input,
            journal,
        }
    }

    /// The `send` command of the run.
    fn cmd(&self) -> Command {
        let mut c = bin();
        c.env("ASHBY_API_KEY", KEY)
            .args(["send", "--rate", "100000/s", "--concurrency", "2"])
            .args(["--base-url", &self.mock.base_url()])
            .args(config_and_input(&self.config, &self.input))
            .arg("--journal")
            .arg(&self.journal)
            .arg("--dead-letter")
            .arg(self.dir.path().join("dead.jsonl"));
        c
    }

    /// Spawns `cmd` (its stdout and stderr piped, or dropped) and returns
    /// once the mock holds 60 candidates.
    fn started_then_60_created(&self, mut cmd: Command, piped: bool) -> std::process::Child {
        let io = || {
            if piped {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            }
        };
        let child = cmd.stdout(io()).stderr(io()).spawn().unwrap();
        let t0 = std::time::Instant::now();
        while self.mock.state().candidates.len() < 60 {
            assert!(
                t0.elapsed() < std::time::Duration::from_secs(120),
                "too slow"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child
    }
}

#[test]
fn a_run_killed_with_sigkill_resumes_from_its_journal() {
    let r = JournalRun::new(300);
    let (n, mock, journal, text, input) = (r.n, &r.mock, &r.journal, &r.text, &r.input);
    let cmd = || r.cmd();
    let mut child = r.started_then_60_created(cmd(), false);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let created_before: Vec<String> = names(mock);
    assert!(created_before.len() < n, "killed mid-way");
    let journaled: Vec<u64> = lines(journal)[1..]
        .iter()
        .map(|e| e["i"].as_u64().unwrap())
        .collect();
    // Everything the journal calls done really was created.
    for i in &journaled {
        assert!(
            created_before.contains(&format!("K{i}")),
            "K{i} journaled but not sent"
        );
    }

    let out = cmd().output().unwrap();
    let s = ok_json(&out);
    assert_eq!(s["input"], n as u64, "{s}");
    assert_eq!(s["delivered"], n as u64, "{s}");
    assert_eq!(s["resumed"], journaled.len() as u64, "{s}");
    let after = names(mock);
    let mut dups = Vec::new();
    for i in 0..n {
        let c = after.iter().filter(|x| **x == format!("K{i}")).count();
        assert!(c >= 1, "K{i} lost");
        if c > 1 {
            assert!(
                !journaled.contains(&(i as u64)),
                "K{i} was journaled yet sent again"
            );
            dups.push(i);
        }
    }
    // Only records in flight at the kill may be sent twice: with a journal
    // each instance holds one record, so at most --concurrency (2).
    assert!(dups.len() <= 2, "{} duplicates: {dups:?}", dups.len());
    println!(
        "figure: killed after {} creates ({} journaled); resume sent {} requests, {} records created twice",
        created_before.len(),
        journaled.len(),
        s["requests"],
        dups.len()
    );

    // The input changed under its journal: refused, nothing sent.
    let before = writes(mock).len();
    std::fs::write(input, text.replace("\"K5\"", "\"K five\"")).unwrap();
    let out = cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("changed under its journal") && err.contains("record 5"),
        "{err}"
    );
    assert_eq!(writes(mock).len(), before);
}

fn names(mock: &MockAshby) -> Vec<String> {
    mock.state()
        .candidates
        .iter()
        .filter_map(|c| c["name"].as_str().map(String::from))
        .collect()
}

#[test]
fn responses_url_posts_to_the_webhook_and_partner_429s_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    mock.inject(Fault {
        path: Some("/candidate.create".into()),
        times: 1,
        kind: FaultKind::RateLimit {
            retry_after: Some("0".into()),
            partner_scope: true,
        },
    });
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"name\":\"W1\"}\n{\"name\":\"W2\"}\n",
    );
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args(["send", "--base-url", &mock.base_url()])
        .args(["--responses-url", &mock.webhook_url()])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("integration-partner"), "{err}");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["rate_limited_partner"], 1, "{s}");
    // Two deliveries and the 429 exchange itself (its record says why).
    assert_eq!(s["responses_posted"], 3, "{s}");
    let got = mock.webhook_records();
    assert_eq!(got.len(), 3);
    assert_eq!(
        got.iter().filter(|v| v["id"].is_string()).count(),
        2,
        "{got:?}"
    );
}

#[test]
fn sigterm_mid_run_writes_a_complete_summary_and_the_journal_resumes() {
    let r = JournalRun::new(300);
    let (n, mock, journal) = (r.n, &r.mock, &r.journal);
    let summary = r.dir.path().join("summary.json");
    let cmd = || {
        let mut c = r.cmd();
        c.arg("--summary").arg(&summary);
        c
    };
    let child = r.started_then_60_created(cmd(), true);
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(err.contains("SIGTERM"), "{err}");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(s, on_disk, "the summary file is written too");
    let num = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(num("input"), n as u64, "{s}");
    assert_eq!(
        num("input"),
        num("delivered") + num("dead_lettered") + num("not_attempted"),
        "{s}"
    );
    assert!(num("not_attempted") > 0, "stopped mid-way: {s}");
    let created = names(mock);
    let journaled: Vec<u64> = lines(journal)[1..]
        .iter()
        .map(|e| e["i"].as_u64().unwrap())
        .collect();
    assert_eq!(journaled.len() as u64, num("delivered"), "{s}");
    // A graceful stop lets calls in flight finish: all that was sent is
    // journaled, so the re-run sends nothing twice.
    assert_eq!(created.len(), journaled.len(), "{s}");

    let out = cmd().output().unwrap();
    let s2 = ok_json(&out);
    assert_eq!(s2["delivered"], n as u64, "{s2}");
    assert_eq!(s2["resumed"], journaled.len() as u64, "{s2}");
    let after = names(mock);
    assert_eq!(after.len(), n, "each record created exactly once");
    println!(
        "figure: SIGTERM after {} creates: exit 143, {} not attempted; the re-run resumed {} and created the other {}",
        created.len(),
        num("not_attempted"),
        journaled.len(),
        n - journaled.len()
    );
}

#[test]
fn an_outage_longer_than_max_outage_halts_with_exit_2_and_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with(MockConfig::default());
    mock.inject(Fault::once(FaultKind::ServerError(503)).with_times(u32::MAX));
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let text: String = (0..20)
        .map(|i| format!("{{\"name\":\"O{i}\",\"email\":\"o{i}@example.com\"}}\n"))
        .collect();
    let input = write(dir.path(), "in.jsonl", &text);
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args(["send", "--max-outage", "2s", "--base-url", &mock.base_url()])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("pausing the flow"), "{err}");
    let last = err
        .lines()
        .find(|l| l.starts_with("error: halted (outage)"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        last.starts_with("error: halted (outage): the origin has been failing for")
            && last.contains("HTTP 503")
            && last.contains("20 record(s) were not attempted"),
        "{err}"
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["dead_lettered"].as_u64(), s["not_attempted"].as_u64()),
        (Some(0), Some(20)),
        "{s}"
    );
    assert_eq!(s["outage_pauses"], 1, "{s}");
    let bad = bin()
        .args(["send", "--max-outage", "soon"])
        .args(config_and_input(&config, &input))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--max-outage"));
}
