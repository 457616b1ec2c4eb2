//! Shared fixtures for the end-to-end tests: one tokio runtime and one
//! compiled component per test binary, a mock Ashby per test, and the
//! prerequisite objects a template's example refers to.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support code")]

use base64::Engine as _;
use destination_host::http_import::Origin;
use destination_host::sandbox::{Sandbox, Tenant};
use destination_host::secret::ApiKey;
use mock_ashby::{MockAshby, MockConfig, fixtures};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One multi-thread tokio runtime for the whole test binary (the HTTP client
/// pool lives on it).
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// Compiles the component at `path`, cached under target/, not in the
/// user's home: tests write nothing outside the build tree.
pub fn load(path: &str) -> Sandbox {
    let opts = destination_host::engine::SandboxOptions {
        cache_dir: Some(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/component-cache"),
        ),
        ..Default::default()
    };
    let bytes = std::fs::read(path).expect("a built component");
    Sandbox::with_options(&bytes, &opts).expect("compiling the component")
}

/// The plugin component, compiled once per test binary.
pub fn runtime() -> &'static Sandbox {
    static R: OnceLock<Sandbox> = OnceLock::new();
    R.get_or_init(|| load(test_support::PLUGIN_WASM))
}

/// Records as delivery input, indexed from 0.
pub fn items(records: &[Value]) -> destination_host::input::Items {
    let v: Vec<destination_host::input::InputItem> = records
        .iter()
        .enumerate()
        .map(|(i, r)| destination_host::input::InputItem::Record {
            index: i as u64,
            json: r.to_string(),
        })
        .collect();
    Box::new(v.into_iter())
}

/// A fresh mock Ashby with default settings.
pub fn mock() -> MockAshby {
    MockAshby::start(MockConfig::default()).expect("mock starts")
}

/// The tenant that talks to `mock` with its key.
pub fn tenant(mock: &MockAshby) -> Tenant {
    Tenant {
        name: "test".into(),
        origin: Origin::parse(&mock.base_url()).unwrap(),
        key: ApiKey::new(mock.api_key()).unwrap(),
    }
}

/// POSTs straight to the mock (not through the component).
pub async fn post(mock: &MockAshby, path: &str, body: Value) -> Value {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:", mock.api_key()));
    let resp = reqwest::Client::new()
        .post(format!("{}{}", mock.base_url(), path))
        .header("authorization", format!("Basic {auth}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

/// Creates the objects template examples refer to and returns the
/// placeholder → id map (`{{candidate}}` → a real candidate id, ...).
pub async fn prerequisites(mock: &MockAshby) -> HashMap<String, String> {
    let c = post(
        mock,
        "/candidate.create",
        json!({"name": "Prereq Candidate", "email": "prereq@example.com"}),
    )
    .await;
    let candidate = c["results"]["id"]
        .as_str()
        .expect("candidate id")
        .to_string();
    // The application belongs to a second candidate, so that an example may
    // apply `{{candidate}}` to the job without a duplicate application.
    let c2 = post(
        mock,
        "/candidate.create",
        json!({"name": "Prereq Applicant"}),
    )
    .await;
    let applicant = c2["results"]["id"]
        .as_str()
        .expect("candidate id")
        .to_string();
    let a = post(
        mock,
        "/application.create",
        json!({"candidateId": applicant, "jobId": fixtures::JOB_ID}),
    )
    .await;
    let application = a["results"]["id"]
        .as_str()
        .expect("application id")
        .to_string();
    let mut m = HashMap::new();
    m.insert("candidate".into(), candidate);
    m.insert("application".into(), application);
    m.insert("job".into(), fixtures::JOB_ID.into());
    m.insert("opening".into(), fixtures::OPENING_ID.into());
    m.insert("team".into(), fixtures::TEAM_ID.into());
    m.insert("location".into(), fixtures::LOCATION_ID.into());
    m.insert("source".into(), fixtures::SOURCE_ID.into());
    m.insert("user".into(), fixtures::USER_ID.into());
    m.insert("interview_plan".into(), fixtures::INTERVIEW_PLAN_ID.into());
    m.insert(
        "custom_field".into(),
        fixtures::NOTICE_PERIOD_FIELD_ID.into(),
    );
    m.insert("interview_stage".into(), fixtures::SCREEN_STAGE_ID.into());
    m.insert(
        "application_field".into(),
        fixtures::SENIORITY_FIELD_ID.into(),
    );
    m.insert("job_field".into(), fixtures::TEAM_SIZE_FIELD_ID.into());
    m.insert("opening_field".into(), fixtures::BUDGET_FIELD_ID.into());
    m
}

/// Every (template, step index, example record) in templates.json: the
/// template's `example` for its first step, each later step's own
/// `example` for the others.
pub fn step_examples() -> Vec<(plugin::templates::Template, usize, Value)> {
    let raw: Value = serde_json::from_str(include_str!("../../templates.json")).unwrap();
    let mut out = Vec::new();
    for (t, example) in templates_with_examples() {
        let file = raw["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == t.id.as_str())
            .unwrap()
            .clone();
        for i in 0..t.steps.len() {
            let ex = if i == 0 {
                example.clone()
            } else {
                file["steps"][i]
                    .get("example")
                    .cloned()
                    .unwrap_or_else(|| panic!("{} step {} has no example", t.id, i + 1))
            };
            out.push((t.clone(), i, ex));
        }
    }
    out
}

/// Replaces `{{name}}` placeholders in every string of `v`.
pub fn substitute(v: &Value, vars: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => {
            let mut s = s.clone();
            for (k, val) in vars {
                s = s.replace(&format!("{{{{{k}}}}}"), val);
            }
            Value::String(s)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every template with its example record, from the embedded templates.json.
pub fn templates_with_examples() -> Vec<(plugin::templates::Template, Value)> {
    let text = include_str!("../../templates.json");
    let raw: Value = serde_json::from_str(text).unwrap();
    let all = plugin::templates::all().unwrap();
    all.iter()
        .map(|t| {
            let ex = raw["templates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == t.id.as_str())
                .and_then(|r| r.get("example").cloned())
                .unwrap_or_else(|| panic!("template {} has no `example` in templates.json", t.id));
            (t.clone(), ex)
        })
        .collect()
}

/// The config that runs a template's example end to end.
pub fn config_for(t: &plugin::templates::Template) -> String {
    let mut c = json!({"template": t.id, "response_webhook": true});
    if t.side_effects {
        c["confirm_side_effects"] = json!(true);
    }
    c.to_string()
}

/// The test-only hostile component, compiled once per test binary.
pub fn hostile() -> &'static Sandbox {
    static R: OnceLock<Sandbox> = OnceLock::new();
    R.get_or_init(|| load(test_support::HOSTILE_WASM))
}

/// A loopback TCP server that answers every connection with one fixed HTTP
/// response and counts the connections it got. As a canary it proves that
/// nothing reached an address other than the tenant's origin.
pub struct RawServer {
    addr: std::net::SocketAddr,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl RawServer {
    /// Starts a server that answers `response` (raw HTTP/1.1 bytes).
    pub fn start(response: Vec<u8>) -> RawServer {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 65536];
                let _ = conn.set_read_timeout(Some(std::time::Duration::from_millis(500)));
                let _ = conn.read(&mut buf);
                let _ = conn.write_all(&response);
            }
        });
        RawServer { addr, hits }
    }

    /// A server answering `200 OK` with an empty JSON object.
    pub fn canary() -> RawServer {
        RawServer::start(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}".to_vec(),
        )
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// `http://host:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// An origin that reflects what it was sent: each answer's body is the
/// request's head (so its `Authorization` line) and its `x-echo` header
/// repeats the `Authorization` value, as a misconfigured gateway would.
pub struct ReflectServer {
    addr: std::net::SocketAddr,
}

impl ReflectServer {
    /// Starts the server on loopback.
    pub fn start() -> ReflectServer {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let _ = conn.set_read_timeout(Some(std::time::Duration::from_millis(500)));
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let auth = text
                    .lines()
                    .find_map(|l| l.strip_prefix("authorization: "))
                    .unwrap_or("")
                    .to_string();
                let body = text.replace("\r\n", "; ");
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nx-echo: {auth}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        ReflectServer { addr }
    }

    /// `http://host:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A tenant named `name` sending to `origin` with `key`.
pub fn tenant_at(name: &str, origin: &str, key: &str) -> Tenant {
    Tenant {
        name: name.into(),
        origin: Origin::parse(origin).unwrap(),
        key: ApiKey::new(key).unwrap(),
    }
}

/// A loopback server that reads a request and never answers; it records
/// whether the client closed the connection (a cancelled request).
pub struct HangingServer {
    addr: std::net::SocketAddr,
    closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl HangingServer {
    /// Starts the server; it serves one connection.
    pub fn start() -> HangingServer {
        use std::io::Read as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let closed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = closed.clone();
        std::thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 65536];
            // Read until the peer closes (read returns 0) or errors.
            while let Ok(n) = conn.read(&mut buf) {
                if n == 0 {
                    flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    return;
                }
            }
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        HangingServer { addr, closed }
    }

    /// `http://host:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether the client has closed its connection.
    pub fn closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::SeqCst)
    }
}
