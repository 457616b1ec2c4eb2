//! Response-webhook delivery: POSTs each `on-response` record as JSON to a
//! URL the operator chose (the source a downstream flow reads returned ids
//! from), with the same retry policy as records: exponential backoff with
//! full jitter, never sooner than `Retry-After`, at most `max_attempts`.
//!
//! The webhook is the operator's own endpoint, not the tenant's Ashby: it gets
//! no credential, and the guest never learns its address.

use crate::retry::{RetryPolicy, parse_retry_after};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

/// POSTs in flight at once.
const IN_FLIGHT: usize = 4;

/// The longest wait between two posts of one record: the receiver is the
/// operator's own endpoint, so its `Retry-After` is trusted less than Ashby's.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// Counts kept by a [`Webhook`].
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// Records the receiver accepted (2xx).
    pub posted: AtomicU64,
    /// Records given up on after `max_attempts`, or refused with a 4xx.
    pub failed: AtomicU64,
    /// POSTs that were re-sends.
    pub retries: AtomicU64,
}

/// A running webhook sender. [`Webhook::send`] queues a record;
/// [`Webhook::finish`] waits until every queued record was posted or given up.
pub struct Webhook {
    tx: mpsc::UnboundedSender<Value>,
    task: tokio::task::JoinHandle<()>,
    stats: Arc<WebhookStats>,
}

impl Webhook {
    /// Starts the sender for `url` (http or https): each post waits at most
    /// `timeout`, and is retried by `policy`.
    pub fn start(url: &str, policy: RetryPolicy, timeout: Duration) -> anyhow::Result<Webhook> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| anyhow::anyhow!("--responses-url {url:?} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            anyhow::bail!("--responses-url must be an http or https URL with a host, not {url:?}");
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            anyhow::bail!("--responses-url must not carry credentials in the URL");
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .no_proxy()
            .build()
            .map_err(|e| anyhow::anyhow!("building the webhook client: {e}"))?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
        let stats = Arc::new(WebhookStats::default());
        let st = stats.clone();
        let url = parsed.to_string();
        let task = tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(IN_FLIGHT));
            let mut posts = tokio::task::JoinSet::new();
            while let Some(v) = rx.recv().await {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                let (client, url, st) = (client.clone(), url.clone(), st.clone());
                posts.spawn(async move {
                    post_with_retry(&client, &url, policy, &st, v).await;
                    drop(permit);
                });
                while posts.try_join_next().is_some() {}
            }
            while posts.join_next().await.is_some() {}
        });
        Ok(Webhook { tx, task, stats })
    }

    /// Queues one record.
    pub fn send(&self, v: Value) {
        let _ = self.tx.send(v);
    }

    /// Waits for every queued record, then returns the counts.
    pub async fn finish(self) -> Arc<WebhookStats> {
        drop(self.tx);
        let _ = self.task.await;
        self.stats
    }
}

async fn post_with_retry(
    client: &reqwest::Client,
    url: &str,
    policy: RetryPolicy,
    stats: &WebhookStats,
    v: Value,
) {
    let body = v.to_string();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let result = client
            .post(url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        let (retryable, floor, why) = match result {
            Ok(r) if r.status().is_success() => {
                stats.posted.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(r) => {
                let s = r.status().as_u16();
                let floor = r
                    .headers()
                    .get("retry-after")
                    .and_then(|h| h.to_str().ok())
                    .and_then(parse_retry_after);
                (s == 408 || s == 429 || s >= 500, floor, format!("HTTP {s}"))
            }
            Err(e) => (true, None, format!("{e}")),
        };
        if !retryable || attempt >= policy.max_attempts {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                "warning: the response webhook did not take a record after {attempt} attempt(s): {why}"
            );
            return;
        }
        stats.retries.fetch_add(1, Ordering::Relaxed);
        let delay = policy.backoff(attempt, floor).min(MAX_WAIT);
        tokio::time::sleep(delay).await;
    }
}
