//! `test`: send test data. Shows one record's request, sends only it, and
//! prints Ashby's parsed answer, as text or (`--json`) one JSON object.
//! Exit codes as for `send`: 0 delivered, 1 the record would be
//! dead-lettered (unusable, rejected, or still failing), 2 could not run or
//! halted.

use super::sample::severity;
use super::{config, load_sandbox, shown_request, tenant_for};
use crate::args::Common;
use crate::out;
use destination_host::input::{self, InputItem};
use destination_host::sandbox::{Exchange, InputRecord, Limits, Outcome, StepDone};
use destination_host::text::one_line;
use serde_json::{Value, json};

pub async fn run(
    common: &Common,
    record: u64,
    base_url: Option<String>,
    yes: bool,
    as_json: bool,
) -> anyhow::Result<u8> {
    if base_url.is_some() && !yes {
        anyhow::bail!(
            "refusing to send test data to a real Ashby without --yes: the request makes real changes in that account"
        );
    }
    let runtime = load_sandbox(&common.plugin)?;
    let text = config::read(&common.config, false)?;
    let builtin = common.plugin.is_none();
    let limits = common.limits.apply(Limits::default());
    config::check(&runtime, &limits, &text, builtin).await?;
    let item = input::open_source(&common.source(config::cell_types(&text, builtin)))?
        .find(|i| i.index() == record)
        .ok_or_else(|| anyhow::anyhow!("the input has no record {record}"))?;
    let json = match item {
        InputItem::Record { json, .. } => json,
        InputItem::Bad { code, reason, .. } => {
            if as_json {
                let outcome = json!({"kind": "unusable", "code": code, "message": reason});
                out::json(
                    &json!({"requests": [], "problems": [], "response": null, "outcome": outcome}),
                )?;
            }
            tracing::error!(
                "error: record {record} is not usable ({code}): {}",
                one_line(&reason)
            );
            return Ok(1);
        }
    };
    let (tenant, _mock) = tenant_for(base_url)?;
    let (mut inst, _) = config::configure(&runtime, &tenant, &limits, &text, builtin).await?;
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
    let requests: Vec<Value> = sample
        .requests
        .iter()
        .map(|r| shown_request(&tenant.origin, r))
        .collect();
    let problems: Vec<Value> = sample
        .problems
        .iter()
        .map(|p| json!({"severity": severity(p.severity), "code": p.code, "field": p.field, "message": p.message}))
        .collect();
    let outcomes = inst
        .send(vec![rec])
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("send refused: {e:?}"))?;
    let Some(o) = outcomes.into_iter().next() else {
        anyhow::bail!("the component returned no outcome");
    };
    let (outcome, exchange, code) = describe(o.outcome);
    let response = exchange.map(|ex| {
        let body = serde_json::from_str::<Value>(&ex.body).unwrap_or(Value::String(ex.body));
        json!({"status": ex.status, "body": body})
    });
    if as_json {
        out::json(&json!({
            "requests": requests, "problems": problems, "response": response, "outcome": outcome,
        }))?;
    } else {
        print_text(&requests, &problems, response.as_ref(), &outcome)?;
    }
    Ok(code)
}

/// The outcome as JSON (with the calls done before its own, for a record
/// of several calls), its exchange, and the exit code it calls for.
fn describe(o: Outcome) -> (Value, Option<Exchange>, u8) {
    let done = |steps: &[StepDone]| -> Value {
        steps
            .iter()
            .map(|s| json!({"endpoint": s.exchange.request.path, "status": s.exchange.status, "id": s.id}))
            .collect()
    };
    match o {
        Outcome::Delivered(d) => (
            json!({"kind": "delivered", "id": d.id, "completed": done(&d.completed)}),
            Some(d.exchange),
            0,
        ),
        Outcome::Rejected(r) => (
            json!({"kind": "rejected", "code": r.code, "message": r.message, "completed": done(&r.completed)}),
            r.exchange,
            1,
        ),
        Outcome::Retry(r) => (
            json!({"kind": "retry", "code": r.code, "message": r.message, "completed": done(&r.completed)}),
            r.exchange,
            1,
        ),
        Outcome::Halt(h) => (
            json!({"kind": "halt", "code": h.code, "message": h.message, "permission": h.permission,
                   "completed": done(&h.completed)}),
            h.exchange,
            2,
        ),
    }
}

fn print_text(
    requests: &[Value],
    problems: &[Value],
    response: Option<&Value>,
    outcome: &Value,
) -> anyhow::Result<()> {
    // Each line is one message: what came from the guest or Ashby is shown
    // on it with newlines escaped too.
    let s = |v: &Value| one_line(v.as_str().unwrap_or("-")).into_owned();
    for r in requests {
        out::line(format!("request: {} {}", s(&r["method"]), s(&r["url"])))?;
        out::line(format!("  body: {}", r["body"]))?;
    }
    for p in problems {
        let field = p["field"]
            .as_str()
            .map(|f| format!(" `{}`", one_line(f)))
            .unwrap_or_default();
        out::line(format!(
            "problem: {} {}{field}: {}",
            s(&p["severity"]),
            s(&p["code"]),
            s(&p["message"])
        ))?;
    }
    if let Some(r) = response {
        out::line(format!("response: HTTP {}", r["status"]))?;
        out::line(format!("  body: {}", r["body"]))?;
    }
    let detail = match outcome["kind"].as_str() {
        Some("delivered") => format!("id {}", s(&outcome["id"])),
        _ => format!("{}: {}", s(&outcome["code"]), s(&outcome["message"])),
    };
    out::line(format!("outcome: {} ({detail})", s(&outcome["kind"])))
}
