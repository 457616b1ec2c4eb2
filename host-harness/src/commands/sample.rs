//! `sample`: the exact requests for the first records (or all of them), and
//! each record's problems. No network. `--strict` exits 1 when a record has
//! an error problem.

use super::{config, load_sandbox, offline_tenant, shown_request};
use crate::args::Common;
use destination_host::input::{self, InputItem};
use destination_host::sandbox::{InputRecord, Limits, Severity};
use serde_json::json;

pub async fn run(common: &Common, limit: usize, strict: bool) -> anyhow::Result<u8> {
    let runtime = load_sandbox(&common.plugin)?;
    let text = config::read(&common.config, false)?;
    let builtin = common.plugin.is_none();
    let tenant = offline_tenant()?;
    let limits = common.limits.apply(Limits::default());
    let (mut inst, summary) = config::configure(&runtime, &tenant, &limits, &text, builtin).await?;
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let items = input::open_source(&common.source(config::cell_types(&text, builtin)))?;
    for item in items.take(limit) {
        match item {
            InputItem::Record { index, json } => records.push(InputRecord {
                index,
                json,
                maybe_applied: false,
            }),
            InputItem::Bad {
                index,
                code,
                reason,
                ..
            } => problems.push(
                json!({"index": index, "severity": "error", "code": code, "message": reason}),
            ),
        }
    }
    let empty = records.is_empty() && problems.is_empty();
    let mut requests = Vec::new();
    // The component takes at most so many records per call.
    for chunk in records.chunks(limits.max_records_per_call.max(1)) {
        let sample = inst
            .sample(chunk.to_vec())
            .await
            .map_err(|f| anyhow::anyhow!("{f}"))?
            .map_err(|e| anyhow::anyhow!("sample-payload refused: {e:?}"))?;
        requests.extend(
            sample
                .requests
                .iter()
                .map(|r| shown_request(&tenant.origin, r)),
        );
        for p in sample.problems {
            problems.push(json!({
                "index": p.index,
                "severity": severity(p.severity),
                "code": p.code,
                "field": p.field,
                "message": p.message,
            }));
        }
    }
    problems.sort_by_key(|p| p["index"].as_u64());
    let errors = problems.iter().any(|p| p["severity"] == "error");
    crate::out::json(&json!({
        "endpoint": summary.endpoint,
        "method": summary.method,
        "template": summary.template,
        "permission": summary.permission,
        "warnings": summary.warnings,
        "requests": requests,
        "problems": problems,
    }))?;
    if empty {
        tracing::warn!("warning: the input holds no records");
    }
    Ok(if strict && errors { 1 } else { 0 })
}

/// A problem's severity as the JSON shows it.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
