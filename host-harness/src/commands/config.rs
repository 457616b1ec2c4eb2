//! The config before anything starts: read, checked by the component
//! offline (no mock, no network), refused with a "did you mean" for a
//! mistyped key or template; and the CSV column types its template declares.

use super::offline_tenant;
use anyhow::Context as _;
use destination_host::input::{CellType, CellTypes};
use destination_host::sandbox::{ConfigRefused, ConfigSummary, Guest, Limits, Sandbox, Tenant};
use plugin::schema::FieldType;
use serde_json::Value;
use std::path::Path;

/// The config file's text; with `response_webhook`, the webhook is turned
/// on in it (the `--responses` and `--responses-url` flags ask for it).
pub fn read(path: &Path, response_webhook: bool) -> anyhow::Result<String> {
    let file = destination_host::input::open_file(path, "config")?;
    let text = std::io::read_to_string(file)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    if !response_webhook {
        return Ok(text);
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut m)) => {
            m.insert("response_webhook".into(), Value::Bool(true));
            Ok(Value::Object(m).to_string())
        }
        // Let the component explain what is wrong with it.
        _ => Ok(text),
    }
}

/// Whether the config turns the response webhook on by itself.
pub fn asks_for_responses(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| v["response_webhook"] == true)
}

/// A configured instance for `tenant`; a refusal is one sentence, with a
/// suggestion when the built-in plugin runs (`builtin`).
pub async fn configure(
    runtime: &Sandbox,
    tenant: &Tenant,
    limits: &Limits,
    text: &str,
    builtin: bool,
) -> anyhow::Result<(Guest, ConfigSummary)> {
    match runtime.configured(tenant, limits, text).await {
        Ok(ok) => Ok(ok),
        Err(e) => match e.downcast_ref::<ConfigRefused>() {
            Some(c) => {
                let hint = if builtin { did_you_mean(text) } else { None };
                let hint = hint.map(|h| format!(" ({h})")).unwrap_or_default();
                anyhow::bail!("the config was refused: {c}{hint}")
            }
            None => Err(e),
        },
    }
}

/// Configures one instance offline and drops it: the check a command makes
/// before it starts a mock or sends anything.
pub async fn check(
    runtime: &Sandbox,
    limits: &Limits,
    text: &str,
    builtin: bool,
) -> anyhow::Result<ConfigSummary> {
    // A registry of its own: the check is no flow, so it shows in no metric.
    let scratch = runtime.clone().with_metrics(Default::default());
    let (_, summary) = configure(&scratch, &offline_tenant()?, limits, text, builtin).await?;
    Ok(summary)
}

/// "did you mean `X`?" for the first unknown key or template id.
fn did_you_mean(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let m = v.as_object()?;
    for key in m.keys() {
        if !plugin::config::KEYS.contains(&key.as_str()) {
            let best = closest(key, plugin::config::KEYS.iter().copied())?;
            return Some(format!("did you mean `{best}` for `{key}`?"));
        }
    }
    let id = m.get("template")?.as_str()?;
    let ids = plugin::templates::ids().ok()?;
    if ids.contains(&id) {
        return None;
    }
    let best = closest(id, ids.into_iter())?;
    Some(format!("did you mean the template `{best}`?"))
}

/// The candidate nearest to `word`, if it is near enough to be a typo.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The CSV column types the config's template declares (through its
/// aliases and the config's `rename`); empty for a manual config or another
/// component. Columns not listed stay strings.
pub fn cell_types(text: &str, builtin: bool) -> CellTypes {
    let mut cells = CellTypes::new();
    let Some(v) = builtin
        .then(|| serde_json::from_str::<Value>(text).ok())
        .flatten()
    else {
        return cells;
    };
    let template = match (v["template"].as_str(), v["url"].as_str()) {
        (Some(id), _) => plugin::templates::find(id).ok().flatten(),
        (None, Some(url)) => {
            let path = url.trim_start_matches("https://api.ashbyhq.com");
            plugin::templates::by_endpoint(path).ok().flatten()
        }
        _ => None,
    };
    let Some(t) = template else { return cells };
    for (name, ty) in &t.fields.0 {
        if let Some(c) = cell_type(ty) {
            cells.insert(name.clone(), c);
        }
    }
    for a in &t.aliases {
        if let Some(c) = t.fields.get(&a.to).and_then(cell_type) {
            cells.insert(a.from.clone(), c);
        }
    }
    if let Some(rename) = v["rename"].as_object() {
        for (from, to) in rename {
            if let Some(c) = to.as_str().and_then(|to| cells.get(to).copied()) {
                cells.insert(from.clone(), c);
            }
        }
    }
    cells
}

/// What a CSV cell becomes for a field of this type; `None`: a string.
fn cell_type(t: &FieldType) -> Option<CellType> {
    match t {
        FieldType::Boolean => Some(CellType::Boolean),
        FieldType::Integer => Some(CellType::Integer),
        FieldType::Number => Some(CellType::Number),
        FieldType::Object | FieldType::Array { .. } | FieldType::Struct { .. } => {
            Some(CellType::Json)
        }
        FieldType::Nullable(inner) => cell_type(inner),
        _ => None,
    }
}
