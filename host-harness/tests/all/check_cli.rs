//! `check`, the `auth` preflight of `send`/`replay`, and `describe` and
//! `templates` following `--plugin`, as users run them.

use crate::util::{bin, write};
use mock_ashby::{MockAshby, MockConfig};
use serde_json::Value;
use std::process::Output;

const KEY: &str = "check-cli-key";

fn mock_granting(permissions: Option<&[&str]>) -> MockAshby {
    MockAshby::start(MockConfig {
        api_keys: vec![KEY.into()],
        permissions: permissions.map(|p| p.iter().map(|s| s.to_string()).collect()),
        ..MockConfig::default()
    })
    .unwrap()
}

fn check(mock: &MockAshby, key: &str, config: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", config);
    bin()
        .env("ASHBY_API_KEY", key)
        .args(["check", "--base-url", &mock.base_url(), "--config"])
        .arg(&config)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The permissions a mock grants (all when `None`), the key sent, the exit
/// code expected and the words the table must show.
type CheckCase<'a> = (Option<&'a [&'a str]>, &'a str, i32, &'a [&'a str]);

#[test]
fn check_prints_a_table_and_exits_2_when_a_check_fails() {
    let candidate = r#"{"template":"create-candidate"}"#;
    let cases: [CheckCase; 4] = [
        (None, KEY, 0, &["key_accepted", "permissions_present"]),
        (
            None,
            "wrong-key",
            2,
            &["FAILED", "key_rejected", "what to do"],
        ),
        (
            Some(&["apiKeysRead", "jobsWrite"]),
            KEY,
            2,
            &["missing_permission", "candidatesWrite"],
        ),
        (
            Some(&["candidatesWrite"]),
            KEY,
            0,
            &["unknown", "cannot_verify_without_writing"],
        ),
    ];
    for (permissions, key, code, shown) in cases {
        let mock = mock_granting(permissions);
        let out = check(&mock, key, candidate);
        let text = stdout(&out);
        println!("check with {permissions:?}, key {key}:\n{text}");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.starts_with("CHECK"), "{text}");
        for s in shown {
            assert!(text.contains(s), "{s} not in {text}");
        }
        assert!(mock.requests().iter().all(|r| r.path == "/apiKey.info"));
        assert!(!text.contains(KEY));
    }
}

#[test]
fn check_exits_2_when_the_origin_cannot_be_asked() {
    // A port nothing listens on: the key cannot be verified.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let out = bin()
        .env("ASHBY_API_KEY", KEY)
        .args([
            "check",
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("remote_unavailable"), "{text}");
}

#[test]
fn a_wrong_key_halts_send_and_replay_before_any_write() {
    let mock = mock_granting(None);
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.json", r#"{"template":"create-candidate"}"#);
    let input = write(dir.path(), "in.jsonl", "{\"name\":\"Ada\"}\n".repeat(100));
    let dead = write(
        dir.path(),
        "dead.jsonl",
        "{\"index\":0,\"record\":{\"name\":\"Ada\"},\"code\":\"x\",\"reason\":\"y\",\"attempts\":1}\n",
    );
    let run = |args: &[&str], extra: &[&std::path::Path]| {
        let mut c = bin();
        c.env("ASHBY_API_KEY", "wrong-key").args(args);
        for p in extra {
            c.arg(p);
        }
        c.args(["--base-url", &mock.base_url(), "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    for (out, n) in [
        (run(&["send", "--input"], &[&input]), 100),
        (run(&["replay", "--dead-letter"], &[&dead]), 1),
    ] {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("preflight check `auth` failed (key_rejected)"),
            "{err}"
        );
        assert!(
            err.contains(&format!("Nothing was sent: {n} record(s) not attempted")),
            "{err}"
        );
        // Every record is still reported: the summary says not attempted.
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["input"], n, "{summary}");
        assert_eq!(summary["not_attempted"], n, "{summary}");
        assert_eq!(summary["delivered"], 0, "{summary}");
    }
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/apiKey.info", "/apiKey.info"], "no write request");
    // --no-preflight skips it: the writes are what finds the key wrong.
    let out = run(
        &["send", "--no-preflight", "--concurrency", "1", "--input"],
        &[&input],
    );
    assert_eq!(out.status.code(), Some(2));
    let writes = mock
        .requests()
        .iter()
        .filter(|r| r.path == "/candidate.create")
        .count();
    assert!(writes >= 1, "{writes}");
}

#[test]
fn describe_and_templates_come_from_the_component() {
    let out = bin().arg("describe").output().unwrap();
    assert!(out.status.success());
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        d["config_schema"]["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(d["catalog"]["templates"].as_array().unwrap().len(), 11);
    assert_eq!(d["checks"][0]["name"], "auth");
    // Another component of the world: its own (empty) catalog and no checks.
    for cmd in ["describe", "templates"] {
        let out = bin()
            .args([cmd, "--plugin", test_support::HOSTILE_WASM])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = stdout(&out);
        assert!(!text.contains("create-candidate"), "{cmd}: {text}");
    }
}
