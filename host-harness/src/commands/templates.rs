//! `templates`: the endpoint templates of the component's catalog (from
//! `describe`, so it follows `--plugin`), one line per step.

use serde_json::Value;
use std::path::PathBuf;

pub async fn run(plugin: &Option<PathBuf>) -> anyhow::Result<u8> {
    let d = super::describe::description(plugin).await?;
    println!(
        "{:<24} {:<4} {:<26} {:<16} RUNS; NEEDS",
        "ID", "STEP", "ENDPOINT", "PERMISSION"
    );
    let empty = Vec::new();
    for t in d["catalog"]["templates"].as_array().unwrap_or(&empty) {
        for (i, step) in t["steps"].as_array().unwrap_or(&empty).iter().enumerate() {
            let id = if i == 0 {
                t["id"].as_str().unwrap_or("")
            } else {
                ""
            };
            println!(
                "{:<24} {:<4} {:<26} {:<16} {}",
                id,
                i + 1,
                text(&step["endpoint"]),
                text(&step["permission"]),
                runs_and_needs(t, step)
            );
        }
    }
    Ok(0)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// When a step runs and the record fields it needs then, aliases named.
fn runs_and_needs(t: &Value, step: &Value) -> String {
    let name = |f: &str| {
        let also: Vec<&str> = t["fields"]
            .as_array()
            .and_then(|fs| fs.iter().find(|x| x["name"] == f))
            .and_then(|x| x["aliases"].as_array())
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if also.is_empty() {
            f.to_owned()
        } else {
            format!("{f} (or {})", also.join(", "))
        }
    };
    let runs = match step["runs"].get("when_any").and_then(Value::as_array) {
        None => "always".to_owned(),
        Some(fields) => {
            let names: Vec<String> = fields.iter().map(|f| name(text(f))).collect();
            format!("with {}", names.join(", "))
        }
    };
    // A required body field comes from the record field of its name, or
    // another one (`take: {"field": F}`); constants and earlier results are
    // not the record's to give.
    let needs: Vec<String> = step["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|key| match step["take"].get(key) {
            None => Some(name(key)),
            Some(source) => source.get("field").and_then(Value::as_str).map(name),
        })
        .collect();
    if needs.is_empty() {
        runs
    } else {
        format!("{runs}; {}", needs.join(", "))
    }
}
