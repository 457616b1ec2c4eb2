//! `--metrics-addr`: serves the library's metrics registry at `/metrics` in
//! the Prometheus text format while a run lasts. A minimal HTTP/1.1
//! responder on a tokio listener: `GET` (or `HEAD`) `/metrics` answers 200,
//! any other path 404, any other method 405; one request per connection.

use anyhow::Context as _;
use destination_host::metrics::{CONTENT_TYPE, Metrics};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The largest request head read.
const MAX_HEAD: usize = 8 << 10;
/// How long a client has to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A running endpoint; it stops when dropped.
pub struct MetricsServer {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (`host:port`; port 0 picks one) and serves `metrics`; logs
/// the address it listens on (event `destination.metrics.listening`).
pub async fn serve(addr: &str, metrics: Metrics) -> anyhow::Result<MetricsServer> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("--metrics-addr: cannot listen on {addr}"))?;
    let local: SocketAddr = listener.local_addr().context("--metrics-addr")?;
    tracing::info!(
        name: "destination.metrics.listening",
        address = %local,
        "serving metrics at http://{local}/metrics"
    );
    let task = tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                continue;
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(READ_TIMEOUT, answer(conn, &metrics)).await;
            });
        }
    });
    Ok(MetricsServer { task })
}

/// Reads one request head and answers it.
async fn answer(mut conn: TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).await?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => ("200 OK", metrics.encode()),
        ("GET" | "HEAD", _) => ("404 Not Found", "not found; try /metrics\n".to_string()),
        _ => ("405 Method Not Allowed", "only GET /metrics\n".to_string()),
    };
    let content_type = if status.starts_with("200") {
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        out.extend_from_slice(body.as_bytes());
    }
    conn.write_all(&out).await?;
    conn.shutdown().await
}
