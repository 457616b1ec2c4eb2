//! The native baseline of the `e2e` scenario: what any plain client can push
//! through the same mock. It posts each JSON line of its input, as it is, to
//! `/candidate.create` over `connections` keep-alive connections (one reqwest
//! client and one worker task each) and counts the answers whose body says
//! `"success":true`. No sandbox, no validation or shaping (the bench gives it
//! records already shaped), no outcomes, outputs, journal or metrics.

use anyhow::Context as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the baseline delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Answers with HTTP 200 and `"success":true`.
    pub ok: u64,
    /// Every other answer.
    pub failed: u64,
}

/// Posts every non-empty line of `input` to `{url}/candidate.create` with
/// Basic auth `key`, over `connections` keep-alive connections.
pub async fn run(
    url: &str,
    key: &str,
    input: &std::path::Path,
    connections: usize,
) -> anyhow::Result<Delivered> {
    let text = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let text = bytes::Bytes::from(text);
    let lines: Arc<[bytes::Bytes]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| text.slice_ref(l))
        .collect();
    let endpoint = format!("{}/candidate.create", url.trim_end_matches('/'));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..connections.max(1) {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .context("building the HTTP client")?;
        let (lines, next, endpoint, key) = (
            lines.clone(),
            next.clone(),
            endpoint.clone(),
            key.to_string(),
        );
        workers.spawn(async move {
            let mut done = Delivered::default();
            loop {
                let Some(body) = lines.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return Ok::<_, reqwest::Error>(done);
                };
                let resp = client
                    .post(&endpoint)
                    .basic_auth(&key, Some(""))
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                let status = resp.status();
                let answer = resp.bytes().await?;
                if status == 200 && memchr::memmem::find(&answer, br#""success":true"#).is_some() {
                    done.ok += 1;
                } else {
                    done.failed += 1;
                }
            }
        });
    }
    let mut total = Delivered::default();
    while let Some(w) = workers.join_next().await {
        let d = w
            .context("a worker panicked")?
            .context("a request failed")?;
        total.ok += d.ok;
        total.failed += d.failed;
    }
    Ok(total)
}
