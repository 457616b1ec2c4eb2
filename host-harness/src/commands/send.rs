//! `send` and `replay`: every record through the component, then the
//! summary, the warnings and the verdict.

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
    let config = read_config(
        &common.config,
        delivery.responses.is_some() || delivery.responses_url.is_some(),
    )?;
    let (tenant, _mock) = tenant_for(delivery.base_url.clone())?;
    if delivery.base_url.is_some() && !delivery.no_preflight {
        let failed = super::check::preflight(&runtime, &tenant, &opts.limits, &config).await?;
        if let Some(r) = failed {
            eprintln!(
                "error: preflight check `auth` failed ({}): {} {} Nothing was sent (--no-preflight skips this check).",
                r.code, r.message, r.action
            );
            return Ok(2);
        }
    }
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
    for (field, n) in &s.unknown_fields {
        eprintln!(
            "warning: {n} record(s) carried the field `{field}`, which no call of the template \
             takes; it was sent, left out or refused as the config's \"unknown_fields\" says"
        );
    }
    if let Some(failed) = s.responses_failed.filter(|n| *n > 0) {
        eprintln!(
            "warning: {failed} response-webhook record(s) were not accepted by --responses-url"
        );
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
