//! `mock`: the mock Ashby, standalone, with latency, random failures, a
//! rate limit, limited permissions and a request log when asked.

use anyhow::Context as _;
use mock_ashby::{MockAshby, MockConfig, RecordedRequest};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// `mock`'s flags.
#[derive(clap::Args)]
pub struct MockArgs {
    /// Port on 127.0.0.1 (0 = any).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The API key the mock accepts (default: a random one).
    #[arg(long)]
    api_key: Option<String>,
    /// Milliseconds added before every answer.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency: u64,
    /// The share of requests answered HTTP 503 at random, from 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    fail_rate: f64,
    /// Requests per key the mock takes before it answers 429: `N/s` or
    /// `N/min`, counted over a fixed 60 s window (so `N/s` allows N×60 a minute).
    #[arg(long, value_name = "N/s")]
    rate_limit: Option<String>,
    /// The permissions every key has, comma-separated (default: all), e.g.
    /// `candidatesRead,candidatesWrite`.
    #[arg(long, value_name = "P1,P2", value_delimiter = ',')]
    permissions: Option<Vec<String>>,
    /// Append one JSON line per request received (method, path, status,
    /// fault, body; the key shown as `Basic ****`) to this file.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("must be a share from 0 to 1, e.g. 0.05 for 5%".into()),
    }
}

/// `N/s` or `N/min` as requests per minute.
fn per_minute(s: &str) -> anyhow::Result<u32> {
    let rate = destination_host::rate::Rate::parse(s).context("--rate-limit")?;
    Ok((rate.per_sec() * 60.0).round().clamp(1.0, u32::MAX as f64) as u32)
}

pub async fn run(a: MockArgs) -> anyhow::Result<u8> {
    let mut cfg = MockConfig {
        port: a.port,
        latency: Duration::from_millis(a.latency),
        permissions: a.permissions,
        rate_limit_per_minute: a.rate_limit.as_deref().map(per_minute).transpose()?,
        fail_per_million: (a.fail_rate * 1_000_000.0).round() as u32,
        ..MockConfig::default()
    };
    if let Some(k) = a.api_key {
        cfg.api_keys = vec![k];
    }
    let mut log = match &a.log {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => None,
    };
    let mock = MockAshby::start(cfg)?;
    crate::out::line(format!("mock Ashby listening on {}", mock.base_url()))?;
    crate::out::line(format!("API key: {}", mock.api_key()))?;
    crate::out::line(format!("fixtures: {}", mock_ashby::fixtures::ids()))?;
    crate::out::line("(Ctrl-C to stop)")?;
    let mut written = 0;
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            r = &mut stop => { r.context("waiting for Ctrl-C")?; break; }
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        if let Some(f) = log.as_mut() {
            written = write_log(f, &mock.requests(), written, false)?;
        }
    }
    if let Some(f) = log.as_mut() {
        write_log(f, &mock.requests(), written, true)?;
    }
    mock.shutdown();
    Ok(0)
}

/// Appends the requests from `from` on whose answer is known (all of them
/// at the end); returns how many are written.
fn write_log(
    f: &mut std::fs::File,
    all: &[RecordedRequest],
    from: usize,
    end: bool,
) -> anyhow::Result<usize> {
    let mut n = from;
    for r in all.iter().skip(from) {
        let settled = r.status != 0 || r.fault.is_some() || r.at.elapsed() > Duration::from_secs(5);
        if !settled && !end {
            break;
        }
        let line = serde_json::json!({
            "method": r.method, "path": r.path, "status": r.status, "success": r.success,
            "fault": r.fault, "body": r.body,
        });
        writeln!(f, "{line}").context("writing the mock's request log")?;
        n += 1;
    }
    Ok(n)
}
