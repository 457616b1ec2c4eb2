//! `test`: send test data. Shows one record's request, sends only it, and
//! prints Ashby's parsed answer.

use super::{load_sandbox, read_config, shown_request, tenant_for};
use crate::args::Common;
use destination_host::input::{self, InputItem};
use destination_host::sandbox::{InputRecord, Limits, Outcome};
use serde_json::Value;

pub async fn run(
    common: &Common,
    record: u64,
    base_url: Option<String>,
    yes: bool,
) -> anyhow::Result<u8> {
    if base_url.is_some() && !yes {
        anyhow::bail!(
            "refusing to send test data to a real Ashby without --yes: the request makes real changes in that account"
        );
    }
    let runtime = load_sandbox(&common.plugin)?;
    let config = read_config(&common.config, false)?;
    let item = input::open(&common.input)?
        .find(|i| i.index() == record)
        .ok_or_else(|| anyhow::anyhow!("the input has no record {record}"))?;
    let json = match item {
        InputItem::Record { json, .. } => json,
        InputItem::Bad { code, reason, .. } => {
            anyhow::bail!("record {record} is not usable ({code}): {reason}")
        }
    };
    let (tenant, _mock) = tenant_for(base_url)?;
    let limits = common.limits.apply(Limits::default());
    let (mut inst, _) = runtime.configured(&tenant, &limits, &config).await?;
    let rec = InputRecord {
        index: record,
        json,
        maybe_applied: false,
    };
    let sample = inst
        .sample(vec![rec.clone()])
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("sample-payload refused: {e:?}"))?;
    println!("request:");
    for r in &sample.requests {
        println!(
            "{}",
            serde_json::to_string_pretty(&shown_request(&tenant.origin, r))?
        );
    }
    for p in &sample.problems {
        println!("problem: {:?} {}: {}", p.severity, p.code, p.message);
    }
    let outcomes = inst
        .send(vec![rec])
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("send refused: {e:?}"))?;
    let Some(o) = outcomes.into_iter().next() else {
        anyhow::bail!("the component returned no outcome");
    };
    let (label, exchange, code) = match o.outcome {
        Outcome::Delivered(d) => (
            format!("delivered (id {})", d.id.unwrap_or_else(|| "-".into())),
            Some(d.exchange),
            0,
        ),
        Outcome::Rejected(r) => (
            format!("rejected: {}: {}", r.code, r.message),
            r.exchange,
            1,
        ),
        Outcome::Retry(r) => (
            format!("retry later: {}: {}", r.code, r.message),
            r.exchange,
            1,
        ),
        Outcome::Halt(h) => (format!("halt: {}: {}", h.code, h.message), h.exchange, 2),
    };
    if let Some(ex) = exchange {
        println!("response: HTTP {}", ex.status);
        let body = serde_json::from_str::<Value>(&ex.body).unwrap_or(Value::String(ex.body));
        println!("{}", serde_json::to_string_pretty(&body)?);
    }
    println!("outcome: {label}");
    Ok(code)
}
