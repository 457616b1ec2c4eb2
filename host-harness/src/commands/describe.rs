//! `describe`: what the component says about itself (the config's JSON
//! Schema, the catalog, the checks), as one JSON document; and the catalog
//! that `templates` prints. Both come from the component, so they follow
//! `--plugin`.

use super::{load_sandbox, offline_tenant};
use destination_host::sandbox::{Limits, Sandbox};
use serde_json::{Value, json};
use std::path::PathBuf;

/// The component's description as JSON: `config_schema` and `catalog`
/// parsed, `checks` as `{name, description}`.
pub async fn description(plugin: &Option<PathBuf>) -> anyhow::Result<Value> {
    describe_with(&load_sandbox(plugin)?).await
}

/// [`description`] of a loaded component.
pub async fn describe_with(runtime: &Sandbox) -> anyhow::Result<Value> {
    let mut guest = runtime
        .instantiate(&offline_tenant()?, &Limits::default())
        .await?;
    let d = guest.describe().await?;
    let parse = |what: &str, text: &str| {
        serde_json::from_str::<Value>(text)
            .map_err(|e| anyhow::anyhow!("the component's {what} is not JSON: {e}"))
    };
    Ok(json!({
        "config_schema": parse("config schema", &d.config_schema)?,
        "catalog": parse("catalog", &d.catalog)?,
        "checks": d.checks.iter().map(|c| json!({"name": c.name, "description": c.description})).collect::<Vec<_>>(),
    }))
}

/// `describe [--template ID]`: the whole description, or only one
/// template's catalog entry and the schema.
pub async fn run(plugin: &Option<PathBuf>, template: Option<String>) -> anyhow::Result<u8> {
    let mut d = description(plugin).await?;
    if let Some(id) = template {
        let entry = d["catalog"]["templates"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["id"] == id.as_str()))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the component has no template {id:?}"))?;
        d["catalog"]["templates"] = json!([entry]);
    }
    crate::out::json(&d)?;
    Ok(0)
}
