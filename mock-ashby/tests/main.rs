//! Tests of the mock Ashby over real HTTP on loopback, through its public API only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod endpoints;
mod faults;
mod server;
mod transitions;

use std::time::Duration;

use mock_ashby::{MockAshby, MockConfig};
use serde_json::{Value, json};

/// An answer of the mock, read in full.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
    pub(crate) json: Value,
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub(crate) async fn send(
    mock: &MockAshby,
    key: Option<&str>,
    path: &str,
    body: &Value,
) -> reqwest::Result<Answer> {
    let mut request = client()
        .post(format!("{}{path}", mock.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.basic_auth(key, Some(""));
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await?;
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        headers,
        text,
        json,
    })
}

pub(crate) async fn call(mock: &MockAshby, path: &str, body: Value) -> Answer {
    send(mock, Some(mock.api_key()), path, &body).await.unwrap()
}

pub(crate) fn code(answer: &Answer) -> &str {
    answer.json["errorInfo"]["code"]
        .as_str()
        .unwrap_or_default()
}

pub(crate) fn start() -> MockAshby {
    MockAshby::start(MockConfig::default()).unwrap()
}

pub(crate) async fn create_candidate(mock: &MockAshby, name: &str, email: &str) -> String {
    let answer = call(
        mock,
        "/candidate.create",
        json!({ "name": name, "email": email }),
    )
    .await;
    assert_eq!(answer.json["success"], true, "{}", answer.text);
    answer.json["results"]["id"].as_str().unwrap().to_owned()
}

/// A random v4 UUID no object of the mock has.
pub(crate) fn unknown_id() -> String {
    let (hi, lo) = (fastrand::u64(..), fastrand::u64(..));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xfff,
        lo >> 52,
        lo & 0xffff_ffff_ffff
    )
}

/// Whether `id` has the 8-4-4-4-12 hex shape of a UUID.
pub(crate) fn looks_like_uuid(id: &str) -> bool {
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}
