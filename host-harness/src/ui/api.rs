//! The page's JSON calls. Each one that runs the component makes a fresh
//! instance of the same [`Sandbox`] with the UI's tenant and limits, so a
//! setting change is seen exactly as `send` would see it. Nothing here
//! ever puts the credential in an answer: requests are shown as
//! [`shown_request`] shows them (`Basic ****`).

use super::Ui;
use crate::commands::sample::severity;
use crate::commands::shown_request;
use anyhow::Context as _;
use destination_host::input::{self, Format, InputItem};
use destination_host::sandbox::{
    ConfigError, ConfigSummary, Exchange, Guest, InputRecord, Outcome, config_error_text,
};
use serde_json::{Value, json};

/// How many records one sample shows at most.
const MAX_SAMPLE_RECORDS: usize = 20;

/// The page's starting state: what the component says about itself, where
/// test data goes, and the `--config` and `--input` it was started with.
pub fn init(ui: &Ui) -> Value {
    json!({
        "describe": ui.description,
        "target": {"mock": ui.mock.is_some(), "origin": ui.tenant.origin.as_str()},
        "config": ui.initial_config,
        "config_path": ui.args.config.as_ref().map(|p| p.display().to_string()),
        "input_path": ui.args.input.as_ref().map(|p| p.display().to_string()),
        "input": ui.initial_records,
    })
}

/// `{text, name?, config?}`: pasted or dropped records, read by the
/// library's input reader (the format from the file name's extension, else
/// from the text); without `text`, the `--input` file again. CSV cells are
/// typed as `send` types them for `config`'s template.
pub fn records(ui: &Ui, body: &Value) -> Value {
    let cells = super::cell_types(ui, &body["config"]);
    let read = match body["text"].as_str() {
        Some(text) => {
            let format = match body["name"].as_str().filter(|n| !n.is_empty()) {
                Some(name) => Format::of(name.as_ref()),
                None => Ok(sniff(text)),
            };
            format.and_then(|f| Ok((f, input::from_bytes(f, text.as_bytes().to_vec(), cells)?)))
        }
        None => super::read_input(ui, cells),
    };
    match read {
        Ok((format, items)) => items_json(format, items.take(super::MAX_INITIAL_RECORDS)),
        Err(e) => json!({"error": format!("{e:#}"), "records": [], "bad": []}),
    }
}

/// One JSON document (an array of records, or one record written over
/// several lines) when the whole text parses as one; else JSON Lines when
/// it starts with an object; else CSV.
fn sniff(text: &str) -> Format {
    let starts = text.trim_start().chars().next();
    let one_document =
        matches!(starts, Some('{' | '[')) && serde_json::from_str::<Value>(text).is_ok();
    match starts {
        _ if one_document => Format::JsonArray,
        Some('{') => Format::JsonLines,
        _ => Format::Csv,
    }
}

/// Input items as `{records: [{index, record}], bad: [{index, code,
/// reason}], csv}` (`csv`: the cells are typed by the template, so the page
/// reads them again when it changes).
pub(super) fn items_json(format: Format, items: impl Iterator<Item = InputItem>) -> Value {
    let (mut records, mut bad) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            InputItem::Record { index, json } => {
                let record: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
                records.push(json!({"index": index, "record": record}));
            }
            InputItem::Bad {
                index,
                code,
                reason,
                ..
            } => bad.push(json!({"index": index, "code": code, "reason": reason})),
        }
    }
    json!({"records": records, "bad": bad, "csv": format == Format::Csv})
}

/// A fresh instance configured with `config`, or the refusal as the page
/// shows it (`{"refused": {"key", "message"}}`).
pub(super) async fn configured(
    ui: &Ui,
    config: &Value,
) -> anyhow::Result<Result<(Guest, Value), Value>> {
    let mut guest = ui.sandbox.instantiate(&ui.tenant, &ui.args.limits).await?;
    match guest.configure(&config.to_string()).await {
        Ok(Ok(summary)) => Ok(Ok((guest, summary_json(&summary)))),
        Ok(Err(e)) => Ok(Err(json!({"refused": refusal(&e)}))),
        Err(fault) => anyhow::bail!("the component faulted during configure: {fault}"),
    }
}

fn summary_json(s: &ConfigSummary) -> Value {
    json!({
        "template": s.template, "endpoint": s.endpoint, "method": s.method,
        "permission": s.permission, "warnings": s.warnings,
    })
}

/// A `configure` refusal: the key it names (top-level, so the page can put
/// the message beside that setting) and the component's sentence.
fn refusal(e: &ConfigError) -> Value {
    let key = match e {
        ConfigError::UnknownKey(k) => Some(k.clone()),
        ConfigError::Missing(p) | ConfigError::Invalid(p) => Some(p.key.clone()),
        ConfigError::Malformed(_) | ConfigError::AlreadyConfigured => None,
    };
    json!({
        "key": key,
        "setting": key.as_deref().map(|k| k.split(['.', '[']).next().unwrap_or(k)),
        "message": config_error_text(e),
    })
}

/// The page's records (`[{index, record}]`) as the component takes them.
fn input_records(list: &Value, limit: usize) -> Vec<InputRecord> {
    list.as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .take(limit)
        .enumerate()
        .map(|(i, r)| InputRecord {
            index: r["index"].as_u64().unwrap_or(i as u64),
            json: r["record"].to_string(),
            maybe_applied: false,
        })
        .collect()
}

/// `{config, records, limit?}`: `configure` then `sample-payload` on a fresh
/// instance: the requests for the first records and each one's problems.
pub async fn sample(ui: &Ui, body: &Value) -> anyhow::Result<Value> {
    let (mut guest, summary) = match configured(ui, &body["config"]).await? {
        Ok(ok) => ok,
        Err(refused) => return Ok(refused),
    };
    let limit = body["limit"].as_u64().map_or(3, |n| n as usize);
    let records = input_records(&body["records"], limit.min(MAX_SAMPLE_RECORDS));
    let (requests, problems) = planned(ui, &mut guest, records).await?;
    Ok(json!({"summary": summary, "requests": requests, "problems": problems}))
}

/// The requests `send` would make for `records`, and their problems.
async fn planned(
    ui: &Ui,
    guest: &mut Guest,
    records: Vec<InputRecord>,
) -> anyhow::Result<(Vec<Value>, Vec<Value>)> {
    let sample = guest
        .sample(records)
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("sample-payload refused: {e:?}"))?;
    let requests = sample
        .requests
        .iter()
        .map(|r| shown_request(&ui.tenant.origin, r))
        .collect();
    let problems = sample
        .problems
        .iter()
        .map(|p| {
            let severity = severity(p.severity);
            json!({"index": p.index, "severity": severity, "code": p.code, "field": p.field, "message": p.message})
        })
        .collect();
    Ok((requests, problems))
}

/// `{config, record, index, confirmed?}`: sends one record through the
/// component's `send`. Against a real origin, without `confirmed` it sends
/// nothing and answers `{"confirm": ...}` naming the endpoint and its side
/// effects.
pub async fn send(ui: &Ui, body: &Value) -> anyhow::Result<Value> {
    if !body["record"].is_object() {
        anyhow::bail!("the test record must be a JSON object");
    }
    let (mut guest, summary) = match configured(ui, &body["config"]).await? {
        Ok(ok) => ok,
        Err(refused) => return Ok(refused),
    };
    if ui.mock.is_none() && body["confirmed"] != Value::Bool(true) {
        return Ok(json!({"confirm": confirmation(ui, &summary)}));
    }
    let record = InputRecord {
        index: body["index"].as_u64().unwrap_or(0),
        json: body["record"].to_string(),
        maybe_applied: false,
    };
    let (requests, problems) = planned(ui, &mut guest, vec![record.clone()]).await?;
    let outcomes = guest
        .send(vec![record])
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("send refused: {e:?}"))?;
    let outcome = outcomes
        .into_iter()
        .next()
        .context("the component returned no outcome")?;
    let (outcome, exchanges) = outcome_json(outcome.outcome);
    Ok(json!({
        "requests": requests, "problems": problems, "outcome": outcome,
        "responses": exchanges.iter().map(exchange_json).collect::<Vec<_>>(),
    }))
}

/// What the page asks before a real write: the URL and, from the catalog,
/// the template's side effects.
fn confirmation(ui: &Ui, summary: &Value) -> Value {
    let template = summary["template"].as_str();
    let entry = ui.description["catalog"]["templates"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"].as_str() == template));
    let side_effects = entry
        .filter(|t| t["side_effects"] == true)
        .map(|t| &t["notes"]);
    let steps: Vec<&Value> = entry
        .and_then(|t| t["steps"].as_array())
        .map(|s| s.iter().map(|s| &s["endpoint"]).collect())
        .unwrap_or_default();
    json!({
        "origin": ui.tenant.origin.as_str(),
        "endpoint": summary["endpoint"],
        "steps": steps,
        "side_effects": side_effects,
    })
}

/// The outcome as the page shows it, and every exchange of the record in
/// order (the calls done, then the last).
fn outcome_json(o: Outcome) -> (Value, Vec<Exchange>) {
    let (v, completed, last) = match o {
        Outcome::Delivered(d) => (
            json!({"kind": "delivered", "id": d.id}),
            d.completed,
            Some(d.exchange),
        ),
        Outcome::Rejected(r) => (
            json!({"kind": "rejected", "code": r.code, "message": r.message}),
            r.completed,
            r.exchange,
        ),
        Outcome::Retry(r) => (
            json!({"kind": "retry", "code": r.code, "message": r.message}),
            r.completed,
            r.exchange,
        ),
        Outcome::Halt(h) => (
            json!({"kind": "halt", "code": h.code, "message": h.message}),
            h.completed,
            h.exchange,
        ),
    };
    let exchanges = completed.into_iter().map(|s| s.exchange).chain(last);
    (v, exchanges.collect())
}

fn exchange_json(ex: &Exchange) -> Value {
    let body = serde_json::from_str::<Value>(&ex.body).unwrap_or_else(|_| json!(ex.body));
    json!({"endpoint": ex.request.path, "status": ex.status, "body": body})
}
