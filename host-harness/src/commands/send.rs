//! `send` and `replay`: every record through the component, then the
//! summary, the warnings and the verdict. Every stderr line goes through
//! `tracing`, so `--log-format json` makes each one a JSON object.

use super::{load_sandbox, read_config, tenant_for};
use crate::args::{Common, Delivery};
use anyhow::Context as _;
use destination_host::deliver::{self, Options, Report};
use destination_host::input;

pub async fn run(
    common: &Common,
    items: input::Items,
    delivery: &Delivery,
    opts: Options,
) -> anyhow::Result<u8> {
    let runtime = load_sandbox(&common.plugin)?;
    let _metrics = match &delivery.metrics_addr {
        Some(addr) => Some(crate::metrics_server::serve(addr, runtime.metrics().clone()).await?),
        None => None,
    };
    let config = read_config(
        &common.config,
        delivery.responses.is_some() || delivery.responses_url.is_some(),
    )?;
    let (tenant, _mock) = tenant_for(delivery.base_url.clone())?;
    let report: Report = deliver::run(&runtime, &tenant, &config, items, opts).await?;
    for w in &report.warnings {
        tracing::warn!(name: "destination.config.warning", "warning: {w}");
    }
    let s = &report.summary;
    let text = serde_json::to_string_pretty(s)?;
    if let Some(p) = &delivery.summary {
        std::fs::write(p, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    println!("{text}");
    if s.rate_limited_partner > 0 {
        tracing::warn!(
            name: "destination.ratelimit.partner",
            "warning: Ashby answered 429 with `X-RateLimit-Scope: integration-partner` {} time(s): \
             the integration partner's combined traffic across all organisations is limited, not \
             only this API key; lowering --rate for this key alone may not help",
            s.rate_limited_partner
        );
    }
    if let Some(failed) = s.responses_failed.filter(|n| *n > 0) {
        tracing::warn!(
            name: "destination.webhook.failed",
            "warning: {failed} response-webhook record(s) were not accepted by --responses-url"
        );
    }
    Ok(verdict(&report))
}

/// Logs the run's verdict (a halt as an error) and returns the exit code.
fn verdict(report: &Report) -> u8 {
    let s = &report.summary;
    if let Some(h) = &report.halt {
        let perm = h
            .permission
            .as_deref()
            .map(|p| format!(" The endpoint needs the `{p}` permission on the API key."))
            .unwrap_or_default();
        tracing::error!(
            name: "destination.run.halted",
            code = %h.code, not_attempted = s.not_attempted, exit_code = 2,
            "error: halted ({}): {}.{perm} {} record(s) were not attempted.",
            h.code,
            h.message.trim_end_matches('.'),
            s.not_attempted
        );
        return 2;
    }
    let code = if s.dead_lettered > 0 { 1 } else { 0 };
    tracing::info!(
        name: "destination.run.finished",
        delivered = s.delivered, dead_lettered = s.dead_lettered,
        not_attempted = s.not_attempted, exit_code = code,
        "finished: {} delivered, {} dead-lettered, {} not attempted",
        s.delivered, s.dead_lettered, s.not_attempted
    );
    code
}
