//! Auth, permissions, routing, the configured rate limit, latency and shutdown.

use std::time::{Duration, Instant};

use mock_ashby::fixtures::*;
use mock_ashby::{MockAshby, MockConfig};
use serde_json::json;

use crate::{call, client, code, send, start};

#[tokio::test]
async fn auth_errors_and_permissions() {
    let mock = MockAshby::start(MockConfig {
        api_keys: vec!["key-a".into(), "key-b".into()],
        permissions: Some(vec!["jobsWrite".into()]),
        ..MockConfig::default()
    })
    .unwrap();
    let body = json!({ "name": "Ada" });

    let none = send(&mock, None, "/candidate.create", &body).await.unwrap();
    assert_eq!(none.status, 401);
    let garbled = client()
        .post(format!("{}/candidate.create", mock.base_url()))
        .header("authorization", "Basic !!!notbase64")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status().as_u16(), 401);
    let wrong = send(&mock, Some("nope"), "/candidate.create", &body)
        .await
        .unwrap();
    assert_eq!(wrong.status, 403);

    let denied = send(&mock, Some("key-b"), "/candidate.create", &body)
        .await
        .unwrap();
    assert_eq!(denied.status, 403);
    assert_eq!(code(&denied), "missing_endpoint_permission");
    assert_eq!(denied.json["errors"][0], "missing_endpoint_permission");
    assert!(
        denied.json["errorInfo"]["message"]
            .as_str()
            .unwrap()
            .contains("candidatesWrite")
    );

    // jobsWrite implies jobsRead.
    let info = send(&mock, Some("key-a"), "/job.info", &json!({ "id": JOB_ID }))
        .await
        .unwrap();
    assert_eq!(info.status, 200);
    assert_eq!(info.json["results"]["title"], JOB_TITLE);

    let records = mock.requests();
    assert_eq!(records.len(), 5);
    assert_eq!(records[0].status, 401);
    assert_eq!(records[2].api_key, None);
    assert_eq!(records[3].api_key.as_deref(), Some("key-b"));
    assert_eq!(records[3].header("authorization"), Some("Basic ****"));
    assert!(records.iter().all(|r| {
        r.headers
            .iter()
            .all(|(_, v)| !v.contains("a2V5LW") && !v.contains("key-"))
    }));
    assert_eq!(records[4].success, Some(true));
}

#[tokio::test]
async fn routing_errors() {
    let mock = start();
    let get = client()
        .get(format!("{}/candidate.create", mock.base_url()))
        .basic_auth(mock.api_key(), Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let unknown = call(&mock, "/candidate.teleport", json!({})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json["success"], false);
}

#[tokio::test]
async fn configured_rate_limit_is_per_key() {
    let mock = MockAshby::start(MockConfig {
        api_keys: vec!["first".into(), "second".into()],
        rate_limit_per_minute: Some(2),
        ..MockConfig::default()
    })
    .unwrap();
    let body = json!({ "id": JOB_ID });
    for _ in 0..2 {
        let ok = send(&mock, Some("first"), "/job.info", &body)
            .await
            .unwrap();
        assert_eq!(ok.status, 200);
    }
    let limited = send(&mock, Some("first"), "/job.info", &body)
        .await
        .unwrap();
    assert_eq!(limited.status, 429);
    assert_eq!(code(&limited), "rate_limit_exceeded");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert!(limited.headers.get("x-ratelimit-scope").is_none());
    let other = send(&mock, Some("second"), "/job.info", &body)
        .await
        .unwrap();
    assert_eq!(other.status, 200);
}

#[tokio::test]
async fn latency_keep_alive_and_shutdown() {
    let mock = start();
    mock.set_latency(Duration::from_millis(30));
    let client = client();
    let url = format!("{}/job.info", mock.base_url());
    let started = Instant::now();
    let calls = (0..8).map(|_| {
        client
            .post(&url)
            .basic_auth(mock.api_key(), Some(""))
            .header("content-type", "application/json")
            .body(json!({ "id": JOB_ID }).to_string())
            .send()
    });
    for response in futures_join(calls).await {
        assert_eq!(response.unwrap().status().as_u16(), 200);
    }
    // Concurrent requests are served in parallel, not one after another.
    assert!(started.elapsed() < Duration::from_millis(30 * 8));
    assert_eq!(mock.requests().len(), 8);
    mock.clear_requests();
    assert!(mock.requests().is_empty());

    let url = mock.base_url();
    mock.shutdown();
    let after = client
        .post(format!("{url}/job.info"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(after.is_err());
}

/// Runs futures concurrently on the current task (no extra crate needed).
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_fail_rate_answers_that_share_with_503() {
    for (per_million, want) in [(1_000_000, 503), (0, 200)] {
        let mock = MockAshby::start(MockConfig {
            api_keys: vec!["k".into()],
            fail_per_million: per_million,
            ..MockConfig::default()
        })
        .unwrap();
        for i in 0..5 {
            let body = json!({ "name": format!("F{i}") });
            let a = send(&mock, Some("k"), "/candidate.create", &body)
                .await
                .unwrap();
            assert_eq!(a.status, want, "{per_million} per million");
        }
        let created = mock.state().candidates.len();
        assert_eq!(created, if want == 200 { 5 } else { 0 });
    }
}
