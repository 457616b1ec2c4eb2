//! `sample`: the exact requests for the first records, and each record's
//! problems. No network.

use super::{load_sandbox, offline_tenant, read_config, shown_request};
use crate::args::Common;
use destination_host::input::{self, InputItem};
use destination_host::sandbox::{InputRecord, Limits, Severity};
use serde_json::json;

pub async fn run(common: &Common, limit: usize) -> anyhow::Result<u8> {
    let runtime = load_sandbox(&common.plugin)?;
    let config = read_config(&common.config, false)?;
    let tenant = offline_tenant()?;
    let limits = common.limits.apply(Limits::default());
    let (mut inst, summary) = runtime.configured(&tenant, &limits, &config).await?;
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for item in input::open(&common.input)?.take(limit) {
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
    let sample = inst
        .sample(records)
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("sample-payload refused: {e:?}"))?;
    for p in sample.problems {
        problems.push(json!({
            "index": p.index,
            "severity": match p.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "code": p.code,
            "field": p.field,
            "message": p.message,
        }));
    }
    problems.sort_by_key(|p| p["index"].as_u64());
    let out = json!({
        "endpoint": summary.endpoint,
        "method": summary.method,
        "template": summary.template,
        "permission": summary.permission,
        "warnings": summary.warnings,
        "requests": sample.requests.iter().map(|r| shown_request(&tenant.origin, r)).collect::<Vec<_>>(),
        "problems": problems,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(0)
}
