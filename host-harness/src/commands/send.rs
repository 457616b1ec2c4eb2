//! `send` and `replay`: every record through the component, then the
//! summary, the warnings and the verdict.

use super::{load_sandbox, read_config, tenant_for};
use crate::args::{Common, Delivery};
use anyhow::Context as _;
use destination_host::deliver::{self, Options, Report, StopSignal};
use destination_host::input;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

pub async fn run(
    common: &Common,
    items: input::Items,
    delivery: &Delivery,
    opts: Options,
) -> anyhow::Result<u8> {
    let runtime = load_sandbox(&common.plugin)?;
    let config = read_config(
        &common.config,
        delivery.responses.is_some() || delivery.responses_url.is_some(),
    )?;
    let (tenant, _mock) = tenant_for(delivery.base_url.clone())?;
    let signal = opts.stop.clone().map(on_signals).transpose()?;
    let report: Report = deliver::run(&runtime, &tenant, &config, items, opts).await?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let s = &report.summary;
    let text = serde_json::to_string_pretty(s)?;
    if let Some(p) = &delivery.summary {
        std::fs::write(p, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    println!("{text}");
    if s.rate_limited_partner > 0 {
        eprintln!(
            "warning: Ashby answered 429 with `X-RateLimit-Scope: integration-partner` {} time(s): \
             the integration partner's combined traffic across all organisations is limited, not \
             only this API key; lowering --rate for this key alone may not help",
            s.rate_limited_partner
        );
    }
    if let Some(failed) = s.responses_failed.filter(|n| *n > 0) {
        eprintln!(
            "warning: {failed} response-webhook record(s) were not accepted by --responses-url"
        );
    }
    if report.stopped {
        let (name, code) = signal.map_or(("a signal", 130), |s| s.first());
        eprintln!(
            "stopped by {name}: {} record(s) were not attempted; the same command with --journal resumes",
            s.not_attempted
        );
        return Ok(code);
    }
    if let Some(h) = &report.halt {
        let perm = h
            .permission
            .as_deref()
            .map(|p| format!(" The endpoint needs the `{p}` permission on the API key."))
            .unwrap_or_default();
        eprintln!(
            "error: halted ({}): {}.{perm} {} record(s) were not attempted.",
            h.code,
            h.message.trim_end_matches('.'),
            s.not_attempted
        );
        return Ok(2);
    }
    Ok(if s.dead_lettered > 0 { 1 } else { 0 })
}

/// The first signal received, once one is.
struct Received(Arc<AtomicU8>);

impl Received {
    /// The signal's name and the exit code it asks for.
    fn first(&self) -> (&'static str, u8) {
        match self.0.load(Ordering::SeqCst) {
            143 => ("SIGTERM", 143),
            _ => ("SIGINT", 130),
        }
    }
}

/// On the first SIGINT or SIGTERM, stops the run gracefully; on a second,
/// exits at once (the journal, synced per record, keeps that safe).
fn on_signals(stop: StopSignal) -> anyhow::Result<Received> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let first = Arc::new(AtomicU8::new(0));
    let seen = first.clone();
    tokio::spawn(async move {
        let (name, code) = tokio::select! {
            _ = int.recv() => ("SIGINT", 130),
            _ = term.recv() => ("SIGTERM", 143),
        };
        seen.store(code, Ordering::SeqCst);
        eprintln!(
            "{name}: stopping: no new records are sent; requests in flight may finish (a second signal stops at once)"
        );
        stop.trigger();
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        eprintln!(
            "stopping at once: records not journaled are sent again by the same command with --journal"
        );
        std::process::exit(i32::from(code));
    });
    Ok(Received(first))
}
