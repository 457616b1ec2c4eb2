//! `host-harness ui` as a user drives it: the real binary serving the page,
//! the real component behind it, headless Chromium through chromedriver
//! (WebDriver, by `fantoccini`), and plain HTTP for what a browser would
//! not send. Without Chromium the browser tests fail under `CI=true` and
//! are skipped, saying why, elsewhere.

use crate::util::bin;
use base64::Engine as _;
use fantoccini::{Client, ClientBuilder, Locator};
use mock_ashby::{MockAshby, MockConfig};
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `host-harness ui`; killed when dropped.
struct UiProcess {
    child: Child,
    /// The address it printed, token included.
    url: String,
}

impl UiProcess {
    fn start(args: &[&str], key: Option<&str>) -> UiProcess {
        let mut cmd = bin();
        cmd.arg("ui").args(args).stdout(Stdio::piped());
        if let Some(k) = key {
            cmd.env("ASHBY_API_KEY", k);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines.next().expect("ui printed no address").unwrap();
            if let Some(url) = line.strip_prefix("host-harness ui: open ") {
                break url.to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        UiProcess { child, url }
    }

    fn port(&self) -> u16 {
        let rest = self.url.strip_prefix("http://127.0.0.1:").unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    fn token(&self) -> &str {
        self.url.split("t=").nth(1).unwrap()
    }
}

impl Drop for UiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw HTTP/1.1 exchange: the status and the body.
fn http(port: u16, head: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let req = format!(
        "{head}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_owned())
}

fn get(ui: &UiProcess, target: &str, extra: &str) -> (u16, String) {
    let host = format!("host: 127.0.0.1:{}", ui.port());
    http(
        ui.port(),
        &format!("GET {target} HTTP/1.1\r\n{host}{extra}"),
        "",
    )
}

fn post(ui: &UiProcess, path: &str, body: &Value) -> Value {
    let head = format!(
        "POST {path}?t={} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-type: application/json",
        ui.token(),
        ui.port()
    );
    let (status, text) = http(ui.port(), &head, &body.to_string());
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_request_needs_the_token_the_host_and_no_foreign_origin() {
    let ui = UiProcess::start(&[], None);
    let t = ui.token().to_owned();
    let wrong: String = t.chars().rev().collect();
    let cases = [
        (format!("/?t={t}"), String::new(), 200),
        ("/".into(), String::new(), 401),
        (format!("/?t={wrong}"), String::new(), 401),
        ("/app.js".into(), String::new(), 401),
        ("/api/init".into(), String::new(), 401),
        ("/api/init".into(), format!("\r\nx-ui-token: {t}"), 200),
        (
            format!("/?t={t}"),
            "\r\norigin: http://evil.example".into(),
            403,
        ),
        (format!("/?t={t}"), "\r\norigin: null".into(), 403),
    ];
    for (target, extra, want) in cases {
        let (status, body) = get(&ui, &target, &extra);
        assert_eq!(status, want, "GET {target} {extra}: {body}");
    }
    // A DNS-rebinding page reaches the port under another name.
    let head = format!("GET /?t={t} HTTP/1.1\r\nhost: evil.example:{}", ui.port());
    assert_eq!(http(ui.port(), &head, "").0, 421);
    // A POST without the token does nothing.
    let head = format!(
        "POST /api/send HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-type: application/json",
        ui.port()
    );
    let (status, _) = http(ui.port(), &head, r#"{"config":{},"record":{}}"#);
    assert_eq!(status, 401);
}

#[test]
fn pasted_records_are_read_as_send_reads_them() {
    let ui = UiProcess::start(&[], None);
    let cases = [
        ("{\"a\": 1}\nnot json\n{\"b\": 2}\n", None, 2, 1),
        ("{\n  \"a\": 1\n}\n", None, 1, 0),
        ("[{\"a\": 1}, 2, {\"b\": 2}]", None, 2, 1),
        ("name,email\nAda,ada@example.com\nBob\n", None, 1, 1),
        ("{\"a\": 1}\n", Some("x.csv"), 0, 0),
    ];
    for (text, name, records, bad) in cases {
        let got = post(&ui, "/api/records", &json!({"text": text, "name": name}));
        let count = |k: &str| got[k].as_array().unwrap().len();
        assert_eq!(
            (count("records"), count("bad")),
            (records, bad),
            "{text:?}: {got}"
        );
    }
    // CSV cells are typed as `send` types them for the template.
    let csv = "identifier,isBackfill\nENG-1,true\n";
    let typed = |config: Value| {
        let got = post(&ui, "/api/records", &json!({"text": csv, "config": config}));
        got["records"][0]["record"]["isBackfill"].clone()
    };
    assert_eq!(typed(json!({"template": "create-opening"})), json!(true));
    assert_eq!(
        typed(json!({"template": "create-candidate"})),
        json!("true")
    );
}

#[test]
fn a_real_origin_asks_first_naming_the_endpoint_and_its_side_effects() {
    let mock = MockAshby::start(MockConfig::default()).unwrap();
    let ui = UiProcess::start(&["--base-url", &mock.base_url()], Some(mock.api_key()));
    let config = json!({"template": "start-offer-process", "confirm_side_effects": true});
    let record = json!({"applicationId": "not-sent"});
    let answer = post(
        &ui,
        "/api/send",
        &json!({"config": config, "record": record, "index": 0}),
    );
    let confirm = &answer["confirm"];
    assert_eq!(confirm["endpoint"], "/offerProcess.start", "{answer}");
    assert_eq!(confirm["origin"], mock.base_url());
    assert!(
        confirm["side_effects"]
            .to_string()
            .contains("notifications"),
        "{answer}"
    );
    assert!(mock.requests().is_empty(), "nothing is sent unconfirmed");
}

// --- the browser ------------------------------------------------------------

/// chromedriver on a free port, and a headless Chromium session through it.
struct Browser {
    driver: Child,
    client: Client,
}

impl Browser {
    /// `None` (after saying why) when Chromium is not installed and this
    /// is not CI; under `CI=true` a missing browser fails the test.
    async fn start() -> Option<Browser> {
        let (chromium, driver) = ("/usr/bin/chromium", "/usr/bin/chromedriver");
        if !Path::new(chromium).exists() || !Path::new(driver).exists() {
            let why = format!(
                "{chromium} or {driver} is missing (Debian packages chromium and chromium-driver; .ci/run installs them)"
            );
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "browser tests cannot run under CI: {why}"
            );
            eprintln!("skipping a browser test: {why}");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let caps = json!({"goog:chromeOptions": {"binary": chromium, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1400,1100", "--no-first-run", "--disable-extensions",
        ]}});
        let caps = caps.as_object().unwrap().clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("chromedriver: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Some(Browser { driver, client })
    }

    /// Runs a script and returns its value.
    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// The text of the first element matching `css` ("" when none).
    async fn text(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent : '';",
            json!(css)
        );
        self.js(&script).await.as_str().unwrap_or("").to_owned()
    }

    /// Waits up to 30 s until `css`'s text satisfies `ok`; returns it.
    async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let t = self.text(css).await;
            if ok(&t) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never matched; it reads: {t:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn css(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap()
    }

    /// Clicks the first element matching `css`, waiting up to 20 s for it
    /// to be there and clickable (a dialog's button only once it is open).
    async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.css(css).await.click().await {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("cannot click {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Waits up to 20 s until the confirmation dialog is open or closed.
    async fn dialog_open(&self, open: bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self
            .js("return document.getElementById('confirm').open")
            .await
            != open
        {
            assert!(
                Instant::now() < deadline,
                "the dialog never became open={open}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Picks template `id` in the Endpoint pulldown.
    async fn choose(&self, id: &str) {
        let select = self.css("select[name=template]").await;
        select.select_by_value(id).await.unwrap();
    }

    /// Replaces a text box's content, typing it as a user does.
    async fn retype(&self, css: &str, text: &str) {
        let e = self.css(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn examples(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choosing_a_template_shows_its_fields_and_settings_change_the_sample() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let ui = UiProcess::start(&["--input", &examples("candidates.jsonl")], None);
    b.client.goto(&ui.url).await.unwrap();
    b.wait_text("#records-status", |t| t.starts_with("5 records"))
        .await;
    b.choose("create-candidate").await;
    let fields = b.wait_text("#template-fields", |t| !t.is_empty()).await;
    for f in ["name", "email", "phoneNumber", "linkedInUrl"] {
        assert!(fields.contains(f), "create-candidate's fields: {fields}");
    }
    let sample = b
        .wait_text("#sample", |t| t.contains("/candidate.create"))
        .await;
    assert!(sample.contains("crm-1001"), "{sample}");
    assert!(sample.contains("Basic ****"), "{sample}");
    assert!(sample.contains("unknown_field `phone`"), "{sample}");
    // Rename: an upstream name to the Ashby field.
    b.click("#f-rename + button").await;
    b.retype("#f-rename .map-key", "phone").await;
    b.retype("#f-rename .map-value", "phoneNumber").await;
    b.wait_text("#sample", |t| {
        t.contains(r#""phoneNumber": "+44 20 7946 0001""#) && !t.contains("`phone`")
    })
    .await;
    // Defaults: set when a record lacks the field.
    b.click("#f-defaults + button").await;
    b.retype("#f-defaults .map-key", "sourceId").await;
    b.retype(
        "#f-defaults .map-value",
        "3f2b8c1e-7d4a-4e5b-9c6d-0a1b2c3d4e5f",
    )
    .await;
    b.wait_text("#sample", |t| t.matches("3f2b8c1e-7d4a").count() == 3)
        .await;
    // Exclude an attribute, picked from the loaded records' fields.
    b.click("#f-exclude input[value=internal_id]").await;
    let sample = b.wait_text("#sample", |t| !t.contains("crm-1001")).await;
    assert!(sample.contains("ada@example.com"), "{sample}");
    // Another template: its own fields, its own endpoint.
    b.choose("create-job").await;
    b.wait_text("#template-fields", |t| {
        t.contains("title") && !t.contains("linkedInUrl")
    })
    .await;
    b.wait_text("#sample-status", |t| t.contains("/job.create"))
        .await;
    // A refused config: the component's message beside the key it names.
    b.choose("start-offer-process").await;
    let error = b
        .wait_text("[data-error-for=confirm_side_effects]", |t| !t.is_empty())
        .await;
    assert!(error.contains("confirm_side_effects"), "{error}");
    b.click("#f-confirm_side_effects").await;
    b.wait_text("[data-error-for=confirm_side_effects]", str::is_empty)
        .await;
    b.wait_text("#sample-status", |t| t.contains("/offerProcess.start"))
        .await;
    // Manual mode: no template, a URL and a header.
    b.choose("").await;
    b.retype("#f-url", "https://api.ashbyhq.com/candidate.addTag")
        .await;
    b.retype("#f-headers", "x-request-source:ui-test").await;
    b.wait_text("#sample-status", |t| {
        t.contains("/candidate.addTag") && t.contains("manual mode")
    })
    .await;
    b.wait_text("#sample", |t| t.contains("x-request-source: ui-test"))
        .await;
    // A pasted CSV is read again, its cells typed, when the template changes.
    b.retype("#f-url", "").await;
    b.retype("#f-headers", "").await;
    b.retype("#paste", "identifier,isBackfill\nENG-1,true\n")
        .await;
    b.click("#load-paste").await;
    b.wait_text("#records-status", |t| t == "1 record from the pasted text.")
        .await;
    b.choose("create-opening").await;
    b.wait_text("#sample", |t| t.contains(r#""isBackfill": true"#))
        .await;
    b.close().await;
}

/// Each template's example records from `templates.json` (the template's
/// and each later step's) merged into one record, with every `{{name}}`
/// placeholder an id.
fn merged_examples() -> Vec<(String, Value)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates.json");
    let text = std::fs::read_to_string(path).unwrap();
    let text = regex_free_placeholders(&text);
    let catalog: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for t in catalog["templates"].as_array().unwrap() {
        let mut record = t["example"].as_object().unwrap().clone();
        for step in t["steps"].as_array().unwrap() {
            if let Some(e) = step["example"].as_object() {
                record.extend(e.clone());
            }
        }
        out.push((t["id"].as_str().unwrap().to_owned(), Value::Object(record)));
    }
    out
}

/// `{{anything}}` replaced by one uuid.
fn regex_free_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").unwrap() + start + 2;
        out.push_str(&rest[..start]);
        out.push_str("3f2b8c1e-7d4a-4e5b-9c6d-0a1b2c3d4e5f");
        rest = &rest[end..];
    }
    out + rest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_template_shows_its_catalog_fields_and_every_call_of_its_example() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let ui = UiProcess::start(&[], None);
    let (_, init) = get(&ui, &format!("/api/init?t={}", ui.token()), "");
    let init: Value = serde_json::from_str(&init).unwrap();
    let catalog = init["describe"]["catalog"]["templates"]
        .as_array()
        .unwrap()
        .clone();
    let examples = merged_examples();
    assert_eq!(catalog.len(), examples.len());
    b.client.goto(&ui.url).await.unwrap();
    for (t, (id, record)) in catalog.iter().zip(examples) {
        assert_eq!(t["id"], id.as_str());
        b.retype("#paste", &record.to_string()).await;
        b.click("#load-paste").await;
        let confirmed = b.js("return document.getElementById('f-confirm_side_effects').checked");
        if confirmed.await != t["side_effects"] {
            b.click("#f-confirm_side_effects").await;
        }
        b.choose(&id).await;
        let fields = b.wait_text("#template-fields", |f| !f.is_empty()).await;
        for f in t["fields"].as_array().unwrap() {
            let name = f["name"].as_str().unwrap();
            assert!(fields.contains(name), "{id}: {name} not in {fields}");
        }
        let steps: Vec<&str> = t["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["endpoint"].as_str().unwrap())
            .collect();
        let calls = format!("{} calls", steps.len());
        b.wait_text("article.sample[data-index='0']", |card| {
            steps.iter().all(|e| card.contains(e)) && (steps.len() == 1 || card.contains(&calls))
        })
        .await;
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_sample_is_sent_to_the_embedded_mock_and_its_id_shown() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let ui = UiProcess::start(
        &[
            "--input",
            &examples("candidates.jsonl"),
            "--config",
            &examples("create-candidate.json"),
        ],
        None,
    );
    b.client.goto(&ui.url).await.unwrap();
    b.wait_text("#target", |t| t.contains("embedded mock"))
        .await;
    b.wait_text("#sample", |t| t.contains("/candidate.create"))
        .await;
    // Records from a picked file (the drop zone reads files the same way).
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "name,email,internal_id\nLin,lin@example.com,x-1\nMo,not-an-email,x-2\n",
    )
    .unwrap();
    b.css("#file")
        .await
        .send_keys(csv.to_str().unwrap())
        .await
        .unwrap();
    b.wait_text("#records-status", |t| t == "2 records from people.csv.")
        .await;
    let card = b
        .wait_text("article.sample[data-index='1']", |t| {
            t.contains("not-an-email")
        })
        .await;
    assert!(
        card.contains("invalid_field") && !card.contains("POST"),
        "{card}"
    );
    b.wait_text("article.sample[data-index='0']", |t| {
        t.contains("lin@example.com") && !t.contains("x-1")
    })
    .await;
    // JSON is checked as it is typed; a broken record cannot be sent.
    b.retype("#test-body", r#"{"name": "Ada"#).await;
    b.wait_text("#test-json", |t| t.starts_with("Not valid"))
        .await;
    assert_eq!(
        b.js("return document.getElementById('send-test').disabled")
            .await,
        true
    );
    let edited = r#"{"name": "Ada Edited", "email": "ada.edited@example.com"}"#;
    b.retype("#test-body", edited).await;
    b.wait_text("#test-json", |t| t == "Valid JSON.").await;
    b.wait_text("#test-preview", |t| t.contains("ada.edited@example.com"))
        .await;
    b.click("#send-test").await;
    let outcome = b
        .wait_text("#test-outcome", |t| t.starts_with("delivered"))
        .await;
    let id = outcome.strip_prefix("delivered · id ").unwrap();
    assert_eq!(id.len(), 36, "a uuid: {outcome}");
    let result = b.text("#test-result .response").await;
    assert!(result.contains("Ada Edited"), "Ashby's answer: {result}");
    assert!(result.contains(id), "{result}");
    b.close().await;
}

/// Records every response body the page's own calls receive.
const RECORD_RESPONSES: &str = r#"
window.__bodies = [];
const real = window.fetch;
window.fetch = async (...args) => {
  const r = await real(...args);
  window.__bodies.push(await r.clone().text());
  return r;
};
return true;"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_nowhere_in_the_page_or_what_it_receives() {
    let Some(b) = Browser::start().await else {
        return;
    };
    const KEY: &str = "ui-secret-key-7f3a9c";
    let mock = MockAshby::start(MockConfig {
        api_keys: vec![KEY.into()],
        ..MockConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::copy(examples("create-candidate.json"), &config).unwrap();
    let ui = UiProcess::start(
        &[
            "--base-url",
            &mock.base_url(),
            "--input",
            &examples("candidates.jsonl"),
            "--config",
            config.to_str().unwrap(),
            "--rate",
            "5/s",
        ],
        Some(KEY),
    );
    b.client.goto(&ui.url).await.unwrap();
    b.wait_text("#target", |t| t.contains("a real Ashby")).await;
    assert_eq!(b.js(RECORD_RESPONSES).await, true);
    b.retype("#paste", "name,email\nEve,eve@example.com\n")
        .await;
    b.click("#load-paste").await;
    b.wait_text("#records-status", |t| t == "1 record from the pasted text.")
        .await;
    b.wait_text("#sample", |t| {
        t.contains("eve@example.com") && t.contains("Basic ****")
    })
    .await;
    // The confirmation names the endpoint; cancelling sends nothing.
    b.click("#send-test").await;
    b.dialog_open(true).await;
    let asked = b.text("#confirm-text").await;
    assert!(
        asked.contains(&format!("{}/candidate.create", mock.base_url())),
        "{asked}"
    );
    b.click("#confirm-cancel").await;
    b.dialog_open(false).await;
    b.wait_text("#test-result", |t| t == "Not sent.").await;
    assert!(mock.requests().is_empty());
    b.click("#send-test").await;
    b.dialog_open(true).await;
    b.click("#confirm-send").await;
    b.wait_text("#test-outcome", |t| t.starts_with("delivered"))
        .await;
    assert_eq!(mock.requests().len(), 1);
    b.click("#save").await;
    let command = b.wait_text("#save-command", |t| !t.is_empty()).await;
    let want = format!("--config {} --input", config.display());
    assert!(
        command.contains(&want) && command.contains("--base-url"),
        "{command}"
    );
    // The pacing `ui` was started with is `send`'s too.
    assert!(command.ends_with("--rate 5/s"), "{command}");
    let saved: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    let original: Value =
        serde_json::from_slice(&std::fs::read(examples("create-candidate.json")).unwrap()).unwrap();
    assert_eq!(saved, original, "the form read the config back unchanged");

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    let mut seen: Vec<String> =
        serde_json::from_value(b.js("return window.__bodies").await).unwrap();
    assert!(seen.len() >= 4, "the page's calls were recorded: {seen:?}");
    seen.push(b.client.source().await.unwrap());
    seen.push(b.text("body").await);
    for path in ["/", "/app.js", "/style.css", "/api/init"] {
        seen.push(get(&ui, &format!("{path}?t={}", ui.token()), "").1);
    }
    for text in &seen {
        assert!(!text.contains(KEY) && !text.contains(&basic), "{text}");
    }
    b.close().await;
}
