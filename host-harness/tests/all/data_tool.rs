//! The CLI as a careful data tool (issue 13): outputs never destroy inputs,
//! one dead letter per record, replays that never duplicate, attempts that
//! count requests sent, stdin, typed CSV, closed pipes, progress in a log,
//! and the commands' rough edges. Real binary, real component, a mock
//! Ashby on loopback.

use crate::util::{bin, lines, write};
use mock_ashby::{Fault, FaultKind, MockAshby, MockConfig};
use serde_json::Value;
use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const KEY: &str = "sk-test-data-tool-0123456789abcdef";

fn mock() -> MockAshby {
    MockAshby::start(MockConfig {
        api_keys: vec![KEY.into()],
        ..MockConfig::default()
    })
    .unwrap()
}

/// `send` against `mock` with `args`. These tests count the requests a
/// run makes, so they skip the `auth` preflight (its own tests are in
/// `check_cli.rs`).
fn send(mock: &MockAshby, args: &[&std::ffi::OsStr]) -> Output {
    bin()
        .env("ASHBY_API_KEY", KEY)
        .args(["send", "--no-preflight", "--base-url", &mock.base_url()])
        .args(args)
        .output()
        .unwrap()
}

/// `replay --config` against `mock` (the config's path comes next), without
/// the preflight for the same reason as [`send`].
fn replay(mock: &MockAshby) -> Command {
    let mut c = bin();
    c.env("ASHBY_API_KEY", KEY).args([
        "replay",
        "--no-preflight",
        "--base-url",
        &mock.base_url(),
        "--config",
    ]);
    c
}

/// `send --config C --input I` and `extra` against `mock`.
fn send_with(mock: &MockAshby, config: &Path, input: &Path, extra: &[&std::ffi::OsStr]) -> Output {
    let mut args = vec![
        os("--config"),
        config.as_os_str(),
        os("--input"),
        input.as_os_str(),
    ];
    args.extend_from_slice(extra);
    send(mock, &args)
}

/// Asserts the exit code and that stderr says `want`.
fn expect(out: &Output, code: i32, want: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    assert!(
        stderr(out).contains(want),
        "wanted {want:?}: {}",
        stderr(out)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

const CONFIG: &str = r#"{"template":"create-candidate"}"#;
const TWO: &str = "{\"name\":\"Ada\"}\n{\"name\":\"Grace\"}\n";

#[test]
fn an_output_that_is_an_input_or_another_output_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = mock();
    let config = write(d, "c.json", CONFIG);
    let input = write(d, "in.jsonl", TWO);
    std::os::unix::fs::symlink(&input, d.join("link.jsonl")).unwrap();
    let dead = write(
        d,
        "dead.jsonl",
        "{\"index\":0,\"record\":{\"name\":\"Ada\"},\"code\":\"x\",\"reason\":\"y\",\"attempts\":1}\n",
    );
    let i = input.as_os_str();
    let c = config.as_os_str();
    let base: Vec<&std::ffi::OsStr> = vec![os("--config"), c, os("--input"), i];
    let other = d.join("other.jsonl");
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (vec![os("--dead-letter"), i], "is also the --input"),
        (vec![os("--responses"), i], "is also the --input"),
        (vec![os("--summary"), i], "is also the --input"),
        (vec![os("--journal"), i], "is also the --input"),
        (vec![os("--dead-letter"), c], "is also the --config"),
        (
            vec![
                os("--dead-letter"),
                d.join("link.jsonl").as_os_str().to_owned().leak(),
            ],
            "is also the --input",
        ),
        (
            vec![
                os("--dead-letter"),
                other.as_os_str(),
                os("--responses"),
                d.join("./other.jsonl").as_os_str().to_owned().leak(),
            ],
            "is also the --dead-letter",
        ),
    ];
    for (extra, want) in cases {
        let mut args = base.clone();
        args.extend(extra);
        let out = send(&mock, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "one sentence: {}",
            stderr(&out)
        );
    }
    // replay: its own outputs against the file it replays.
    let dl = dead.as_os_str();
    for extra in [
        vec![os("--responses"), dl],
        vec![os("--dead-letter"), dl],
        vec![os("--summary"), dl],
    ] {
        let out = replay(&mock)
            .arg(&config)
            .arg("--dead-letter")
            .arg(&dead)
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("is also the"), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read_to_string(&input).unwrap(), TWO);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), CONFIG);
    assert!(
        std::fs::read_to_string(&dead)
            .unwrap()
            .starts_with("{\"index\":0")
    );
    assert!(!other.exists(), "nothing was opened");
    assert_eq!(mock.requests().len(), 0, "nothing was sent");
}

#[test]
fn the_summary_is_printed_even_when_its_file_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock();
    let config = write(dir.path(), "c.json", CONFIG);
    let input = write(dir.path(), "in.jsonl", TWO);
    // A summary file in a folder that does not exist: refused before sending.
    let missing = dir.path().join("no/such/dir/s.json");
    let out = send_with(
        &mock,
        &config,
        &input,
        &[os("--summary"), missing.as_os_str()],
    );
    expect(&out, 2, "cannot write");
    assert_eq!(mock.requests().len(), 0);
    // A file that opens but takes no bytes: the run happens, stdout has it.
    let out = send_with(&mock, &config, &input, &[os("--summary"), os("/dev/full")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["delivered"], 2);
    assert!(
        stderr(&out).contains("cannot write the summary"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sigkill_then_resume_then_replay_creates_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = MockAshby::start(MockConfig {
        api_keys: vec![KEY.into()],
        latency: Duration::from_millis(10),
        ..MockConfig::default()
    })
    .unwrap();
    let n = 200usize;
    // Every other record lacks `name` (it says `nm`): dead-lettered locally.
    let text: String = (0..n)
        .map(|i| {
            let key = if i % 2 == 0 { "name" } else { "nm" };
            format!("{{\"{key}\":\"K{i}\"}}\n")
        })
        .collect();
    let input = write(d, "in.jsonl", &text);
    let config = write(d, "c.json", CONFIG);
    let (journal, dead) = (d.join("journal"), d.join("dead.jsonl"));
    let cmd = || {
        let mut c = bin();
        c.env("ASHBY_API_KEY", KEY)
            .args([
                "send",
                "--rate",
                "100000/s",
                "--concurrency",
                "2",
                "--progress",
                "never",
            ])
            .args(["--no-preflight", "--base-url", &mock.base_url(), "--config"])
            .arg(&config)
            .arg("--input")
            .arg(&input)
            .arg("--journal")
            .arg(&journal)
            .arg("--dead-letter")
            .arg(&dead);
        c
    };
    let mut child = cmd()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while mock.state().candidates.len() < 30 {
        assert!(t0.elapsed() < Duration::from_secs(120), "too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // What a kill between a dead letter and its journal line leaves: the
    // dead letters of the last records, not journaled.
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let mut kept: Vec<&str> = journal_text.lines().collect();
    let dropped = kept.len().saturating_sub(1).min(6);
    kept.truncate(kept.len() - dropped);
    std::fs::write(&journal, kept.join("\n") + "\n").unwrap();

    let out = cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["delivered"].as_u64(), s["dead_lettered"].as_u64()),
        (Some(100), Some(100)),
        "{s}"
    );
    let letters = lines(&dead);
    let mut indexes: Vec<u64> = letters
        .iter()
        .map(|l| l["index"].as_u64().unwrap())
        .collect();
    indexes.sort();
    let want: Vec<u64> = (0..n as u64).filter(|i| i % 2 == 1).collect();
    assert_eq!(indexes, want, "one dead letter per record");

    // A hand-made repeat of a line, then replay with the fix: each once.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&dead)
        .unwrap();
    writeln!(f, "{}", serde_json::to_string(&letters[0]).unwrap()).unwrap();
    let fixed = write(
        d,
        "fixed.json",
        r#"{"template":"create-candidate","rename":{"nm":"name"}}"#,
    );
    let before = mock.requests().len();
    let out = replay(&mock)
        .arg(&fixed)
        .arg("--dead-letter")
        .arg(&dead)
        .arg("--dead-letter")
        .arg(d.join("dead2.jsonl"))
        .output()
        .unwrap();
    expect(&out, 0, "repeats record");
    assert!(!stderr(&out).contains("plugin_error"));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["input"].as_u64(), s["delivered"].as_u64()),
        (Some(100), Some(100)),
        "{s}"
    );
    assert_eq!(mock.requests().len() - before, 100, "each index sent once");
    let names: Vec<String> = mock
        .state()
        .candidates
        .iter()
        .filter_map(|c| c["name"].as_str().map(String::from))
        .collect();
    for i in (0..n).filter(|i| i % 2 == 1) {
        let c = names.iter().filter(|x| **x == format!("K{i}")).count();
        assert_eq!(c, 1, "K{i} created {c} times");
    }
}

#[test]
fn replay_refuses_a_file_that_is_not_dead_letters_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock();
    let config = write(dir.path(), "c.json", CONFIG);
    let input = write(dir.path(), "in.jsonl", TWO);
    let out = replay(&mock)
        .arg(&config)
        .arg("--dead-letter")
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("is not a dead-letter file: line 1"), "{err}");
    assert_eq!(mock.requests().len(), 0);
}

#[test]
fn a_429_deferral_costs_no_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", CONFIG);
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"name\":\"A\"}\n{\"name\":\"B\"}\n{\"name\":\"C\"}\n",
    );
    for (max, delivered, dead, requests, retries) in [("2", 3, 0, 4, 1), ("1", 2, 1, 3, 0)] {
        let mock = mock();
        mock.inject(Fault::on(
            "/candidate.create",
            FaultKind::RateLimit {
                retry_after: Some("1".into()),
                partner_scope: false,
            },
        ));
        let dl = dir.path().join(format!("dead{max}.jsonl"));
        let out = send_with(
            &mock,
            &config,
            &input,
            &[
                os("--max-attempts"),
                os(max),
                os("--dead-letter"),
                dl.as_os_str(),
            ],
        );
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (
                s["delivered"].as_u64(),
                s["dead_lettered"].as_u64(),
                s["requests"].as_u64(),
                s["retries"].as_u64()
            ),
            (Some(delivered), Some(dead), Some(requests), Some(retries)),
            "--max-attempts {max}: {s} {}",
            stderr(&out)
        );
        assert_eq!(mock.requests().len() as u64, requests);
        for l in lines(&dl) {
            assert_eq!(l["attempts"], 1, "{l}");
        }
    }
}

/// Runs `args` with stdout closed before the program writes to it.
fn with_stdout_closed(args: &[&str]) -> std::process::ExitStatus {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{args:?}: {err}"
    );
    out.status
}

#[test]
fn a_closed_stdout_ends_quietly_with_status_141() {
    let sample = [
        "sample",
        "--config",
        "examples/create-candidate.json",
        "--input",
        "examples/candidates.jsonl",
    ];
    for args in [&["templates"][..], &sample[..], &["demo"][..]] {
        assert_eq!(with_stdout_closed(args).code(), Some(141), "{args:?}");
    }
    // `| head -1`: the reader takes a line and goes.
    let mut child = bin()
        .args(["templates", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "{");
    let status = child.wait().unwrap();
    assert!(matches!(status.code(), Some(0) | Some(141)), "{status:?}");
}

/// `send --input - --format F` with `text` on stdin.
fn send_stdin(mock: &MockAshby, config: &Path, format: Option<&str>, text: &str) -> Output {
    let mut c = bin();
    c.env("ASHBY_API_KEY", KEY)
        .args([
            "send",
            "--base-url",
            &mock.base_url(),
            "--input",
            "-",
            "--config",
        ])
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(f) = format {
        c.args(["--format", f]);
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_in_each_format_and_a_format_flag_over_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", CONFIG);
    for (format, text) in [
        ("jsonl", "{\"name\":\"L1\"}\n{\"name\":\"L2\"}\n"),
        ("json", "[{\"name\":\"J1\"},{\"name\":\"J2\"}]"),
        ("csv", "name,email\nC1,c1@example.com\nC2,\n"),
    ] {
        let mock = mock();
        let out = send_stdin(&mock, &config, Some(format), text);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["delivered"], 2, "{format}: {s}");
        assert_eq!(mock.state().candidates.len(), 2);
    }
    let mock = mock();
    let out = send_stdin(&mock, &config, None, TWO);
    expect(&out, 2, "--format");
    // A file whose extension says nothing, read as the flag says.
    let txt = write(dir.path(), "records.txt", TWO);
    let out = send_with(&mock, &config, &txt, &[os("--format"), os("jsonl")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A directory, an unreadable path, an empty input.
    let folder = dir.path().join("folder.jsonl");
    std::fs::create_dir(&folder).unwrap();
    let out = send_with(&mock, &config, &folder, &[]);
    expect(&out, 2, "is a directory");
    let nowhere = dir.path().join("missing.jsonl");
    let out = send_with(&mock, &config, &nowhere, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    let empty = write(dir.path(), "empty.jsonl", "");
    let out = send_with(&mock, &config, &empty, &[]);
    expect(&out, 0, "the input holds no records");
}

#[test]
fn csv_cells_become_the_types_the_template_declares() {
    let dir = tempfile::tempdir().unwrap();
    let update = write(dir.path(), "u.json", r#"{"template":"update-candidate"}"#);
    let csv = write(
        dir.path(),
        "u.csv",
        "candidateId,name,sendNotifications\n\
         0b9a4d7e-0000-4000-8000-000000000001,Ada,true\n\
         0b9a4d7e-0000-4000-8000-000000000002,Bob,maybe\n",
    );
    let out = bin()
        .args(["sample", "--strict", "--config"])
        .arg(&update)
        .arg("--input")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a record has an error: {}",
        stderr(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["requests"][0]["body"]["sendNotifications"], true, "{v}");
    let p = &v["problems"][0];
    assert_eq!(
        (p["index"].as_u64(), p["code"].as_str()),
        (Some(1), Some("invalid_cell")),
        "{v}"
    );
    assert!(
        p["message"].as_str().unwrap().contains("sendNotifications"),
        "{p}"
    );
    // JSON cells, sent and accepted by the mock.
    let mock = mock();
    let config = write(dir.path(), "c.json", CONFIG);
    let csv = write(
        dir.path(),
        "c.csv",
        "name,location,alternateEmailAddresses\n\
         Ada,\"{\"\"city\"\":\"\"Paris\"\"}\",\"[\"\"a2@example.com\"\"]\"\n",
    );
    let out = send_with(&mock, &config, &csv, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = &mock.requests()[0].body;
    assert_eq!(body["location"]["city"], "Paris", "{body}");
    assert_eq!(
        body["alternateEmailAddresses"][0], "a2@example.com",
        "{body}"
    );
}

#[test]
fn progress_lines_and_the_verdict_go_to_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock();
    let config = write(dir.path(), "c.json", CONFIG);
    let text: String = (0..70)
        .map(|i| format!("{{\"name\":\"P{i}\"}}\n"))
        .collect();
    let input = write(dir.path(), "in.jsonl", &text);
    let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let status = bin()
        .env("ASHBY_API_KEY", KEY)
        .args([
            "send",
            "--base-url",
            &mock.base_url(),
            "--rate",
            "10/s",
            "--config",
        ])
        .arg(&config)
        .arg("--input")
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let err = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    let progress: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert!(!progress.is_empty(), "{err}");
    assert!(
        progress[0].contains("/70 records") && progress[0].contains("delivered"),
        "{err}"
    );
    assert!(
        progress[0].contains("retrying")
            && progress[0].contains("429s")
            && progress[0].contains("ETA"),
        "{err}"
    );
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with("done: 70 of 70 delivered"),
        "{err}"
    );
    // Never: no progress lines; dead letters dropped are said so.
    let bad = write(dir.path(), "bad.jsonl", "{\"email\":\"x@example.com\"}\n");
    let out = send_with(&mock, &config, &bad, &[os("--progress"), os("never")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains("progress:"), "{err}");
    assert!(
        err.lines()
            .last()
            .unwrap()
            .contains("dropped: --dead-letter was not given"),
        "{err}"
    );
}

#[test]
fn flag_ranges_are_checked_in_our_words() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", CONFIG);
    let input = write(dir.path(), "in.jsonl", TWO);
    for (flag, value, want) in [
        ("--concurrency", "0", "from 1 to 1100"),
        ("--concurrency", "2000", "from 1 to 1100"),
        ("--max-attempts", "0", "at least 1"),
    ] {
        let out = bin()
            .args(["send", flag, value, "--config"])
            .arg(&config)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(want),
            "{flag} {value}: {}",
            stderr(&out)
        );
    }
    let help = bin().args(["send", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    // The heading each flag is listed under.
    let heading = |flag: &str| {
        let at = help.find(&format!("  {flag} ")).unwrap();
        help[..at]
            .lines()
            .rev()
            .find(|l| !l.starts_with(' ') && l.ends_with(':'))
            .unwrap()
            .to_string()
    };
    for (flag, want) in [
        ("--dead-letter", "Outputs:"),
        ("--summary", "Outputs:"),
        ("--journal", "Outputs:"),
        ("--progress", "Outputs:"),
        ("--rate", "Delivery:"),
        ("--concurrency", "Delivery:"),
        ("--max-attempts", "Delivery:"),
        ("--memory-mb", "Sandbox limits (per instance):"),
        ("--input", "Input:"),
    ] {
        assert_eq!(heading(flag), want, "{flag}:\n{help}");
    }
}

#[test]
fn a_bad_config_is_refused_before_any_mock_starts_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", TWO);
    for (config, want) in [
        (
            r#"{"tempalte":"create-candidate"}"#,
            "did you mean `template`",
        ),
        (
            r#"{"template":"create-candidat"}"#,
            "did you mean the template `create-candidate`",
        ),
    ] {
        let c = write(dir.path(), "c.json", config);
        let out = bin()
            .args(["send", "--config"])
            .arg(&c)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains(want), "{err}");
        assert!(
            !err.contains("embedded mock"),
            "a mock was started first: {err}"
        );
    }
}

#[test]
fn templates_show_one_template_and_the_catalog_as_json() {
    let out = bin()
        .args(["templates", "update-candidate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/candidate.update") && text.contains("sendNotifications"),
        "{text}"
    );
    assert!(
        text.contains("candidateId") && text.contains("(required)"),
        "{text}"
    );
    let out = bin().args(["templates", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours: Value = serde_json::from_str(include_str!("../../../templates.json")).unwrap();
    assert_eq!(
        v["templates"].as_array().unwrap().len(),
        ours["templates"].as_array().unwrap().len()
    );
    let out = bin().args(["templates", "no-such"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("create-candidate"));
}

#[test]
fn test_prints_text_or_json_with_sends_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock();
    let config = write(dir.path(), "c.json", CONFIG);
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"name\":\"Ada\"}\nnot json\n{\"email\":\"x@example.com\"}\n",
    );
    let run = |record: &str, json: bool| {
        let mut c = bin();
        c.env("ASHBY_API_KEY", KEY)
            .args([
                "test",
                "--yes",
                "--record",
                record,
                "--base-url",
                &mock.base_url(),
                "--config",
            ])
            .arg(&config)
            .arg("--input")
            .arg(&input);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let out = run("0", true);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"]["kind"], "delivered");
    assert_eq!(v["response"]["body"]["success"], true);
    let out = run("0", false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("outcome: delivered") && !text.contains("Severity"),
        "{text}"
    );
    // Bad JSON and a missing field: both would be dead-lettered, both exit 1.
    assert_eq!(run("1", false).status.code(), Some(1));
    let out = run("1", true);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"]["code"], "invalid_json", "{v}");
    let out = run("2", true);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["problems"][0]["severity"], "error", "{v}");
}

#[test]
fn sample_all_shows_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", CONFIG);
    let text: String = (0..25)
        .map(|i| format!("{{\"name\":\"S{i}\"}}\n"))
        .collect();
    let input = write(dir.path(), "in.jsonl", &text);
    let run = |extra: &[&str]| -> Value {
        let out = bin()
            .args(["sample", "--config"])
            .arg(&config)
            .arg("--input")
            .arg(&input)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(run(&[])["requests"].as_array().unwrap().len(), 10);
    assert_eq!(run(&["--all"])["requests"].as_array().unwrap().len(), 25);
}

/// `host-harness mock --api-key KEY` with `args`, as a child process.
struct StandaloneMock {
    child: std::process::Child,
    /// Kept open: a closed stdout would end the mock.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    url: String,
}

impl StandaloneMock {
    fn start(args: &[&str]) -> StandaloneMock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_host-harness"))
            .args(["mock", "--api-key", KEY])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let url = first.trim().rsplit(' ').next().unwrap().to_string();
        StandaloneMock {
            child,
            _stdout: stdout,
            url,
        }
    }

    fn stop(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[test]
fn mock_flags_permissions_and_request_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mock.log");
    let log_arg = log.to_str().unwrap();
    let mut mock = StandaloneMock::start(&[
        "--latency",
        "20",
        "--permissions",
        "candidatesRead",
        "--log",
        log_arg,
    ]);
    let url = mock.url.clone();
    let config = write(dir.path(), "c.json", CONFIG);
    let input = write(dir.path(), "in.jsonl", TWO);
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args([
            "send",
            "--no-preflight",
            "--base-url",
            &url,
            "--concurrency",
            "1",
            "--config",
        ])
        .arg(&config)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    expect(&out, 2, "candidatesWrite");
    std::thread::sleep(Duration::from_millis(600));
    mock.stop();
    let logged = lines(&log);
    assert!(!logged.is_empty());
    assert_eq!(logged[0]["path"], "/candidate.create");
    assert_eq!(logged[0]["status"], 403);
    assert!(!std::fs::read_to_string(&log).unwrap().contains(KEY));
    // Every request failing: the record is dead-lettered after its one
    // attempt. (No preflight: its 503 would open the circuit, and the flow
    // would pause for --max-outage instead.)
    let mut flaky = StandaloneMock::start(&["--fail-rate", "1"]);
    let url = flaky.url.clone();
    let dl = dir.path().join("dead.jsonl");
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args([
            "send",
            "--no-preflight",
            "--base-url",
            &url,
            "--max-attempts",
            "1",
            "--config",
        ])
        .arg(&config)
        .arg("--input")
        .arg(&input)
        .arg("--dead-letter")
        .arg(&dl)
        .output()
        .unwrap();
    flaky.stop();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let dead = lines(&dl);
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[0]["code"], "retries_exhausted", "{dead:?}");
    // Flag ranges.
    let out = bin().args(["mock", "--fail-rate", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("from 0 to 1"));
}

#[test]
fn demo_writes_to_out_or_a_temporary_folder_it_removes_and_runs_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(elsewhere.path())
        .env("TMPDIR", tmp.path())
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let dir = elsewhere.path().join("demo-out");
    let out = bin()
        .current_dir(elsewhere.path())
        .args(["demo", "--out", "demo-out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("step1-responses.jsonl").exists());
    assert!(String::from_utf8_lossy(&out.stdout).contains("outputs in demo-out"));
}
