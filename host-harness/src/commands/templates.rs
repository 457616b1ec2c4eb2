//! `templates`: the endpoint templates of the component's catalog (from
//! `describe`, so it follows `--plugin`): a table with one line per step,
//! one template in full (`templates ID`), or JSON (`--json`). Everything
//! printed is the guest's text, escaped by [`out`].

use crate::out;
use serde_json::Value;
use std::path::PathBuf;

pub async fn run(id: Option<&str>, json: bool, plugin: &Option<PathBuf>) -> anyhow::Result<u8> {
    let d = super::describe::description(plugin).await?;
    let catalog = &d["catalog"];
    let empty = Vec::new();
    let all = catalog["templates"].as_array().unwrap_or(&empty);
    let Some(id) = id else {
        if json {
            out::json(catalog)?;
        } else {
            table(all)?;
        }
        return Ok(0);
    };
    let Some(t) = all.iter().find(|t| t["id"] == id) else {
        let ids: Vec<&str> = all.iter().map(|t| text(&t["id"])).collect();
        anyhow::bail!("no template `{id}`; the templates are: {}", ids.join(", "));
    };
    if json {
        out::json(t)?;
    } else {
        show(t)?;
    }
    Ok(0)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// One line per step: the template's id on its first step, the endpoint,
/// the permission, when the step runs and the record fields it then needs.
fn table(all: &[Value]) -> anyhow::Result<()> {
    out::line(format!(
        "{:<24} {:<4} {:<26} {:<16} RUNS; NEEDS",
        "ID", "STEP", "ENDPOINT", "PERMISSION"
    ))?;
    for t in all {
        for (i, step) in list(&t["steps"]).iter().enumerate() {
            let id = if i == 0 { text(&t["id"]) } else { "" };
            out::line(format!(
                "{:<24} {:<4} {:<26} {:<16} {}",
                id,
                i + 1,
                text(&step["endpoint"]),
                text(&step["permission"]),
                runs_and_needs(t, step)
            ))?;
        }
    }
    Ok(())
}

/// A record field's name with the other names it is accepted under.
fn with_aliases(t: &Value, f: &str) -> String {
    let also: Vec<&str> = list(&t["fields"])
        .iter()
        .find(|x| x["name"] == f)
        .map(|x| {
            list(&x["aliases"])
                .iter()
                .filter_map(Value::as_str)
                .collect()
        })
        .unwrap_or_default();
    if also.is_empty() {
        f.to_owned()
    } else {
        format!("{f} (or {})", also.join(", "))
    }
}

/// When a step runs and the record fields it needs then, aliases named.
fn runs_and_needs(t: &Value, step: &Value) -> String {
    let runs = match step["runs"].get("when_any") {
        None => "always".to_owned(),
        Some(fields) => {
            let names: Vec<String> = list(fields)
                .iter()
                .map(|f| with_aliases(t, text(f)))
                .collect();
            format!("with {}", names.join(", "))
        }
    };
    // A required body field comes from the record field of its name, or
    // another one (`take: {"field": F}`); constants and earlier results are
    // not the record's to give.
    let needs: Vec<String> = list(&step["required"])
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|key| match step["take"].get(key) {
            None => Some(with_aliases(t, key)),
            Some(source) => source
                .get("field")
                .and_then(Value::as_str)
                .map(|f| with_aliases(t, f)),
        })
        .collect();
    if needs.is_empty() {
        runs
    } else {
        format!("{runs}; {}", needs.join(", "))
    }
}

/// One template in full: its steps, required fields, field types, aliases
/// and notes.
fn show(t: &Value) -> anyhow::Result<()> {
    out::line(format!(
        "{} ({}): {}",
        text(&t["id"]),
        text(&t["name"]),
        text(&t["description"])
    ))?;
    for (i, s) in list(&t["steps"]).iter().enumerate() {
        out::line(format!(
            "step {}: {} {} (permission {}; {})",
            i + 1,
            text(&s["method"]),
            text(&s["endpoint"]),
            text(&s["permission"]),
            runs_and_needs(t, s)
        ))?;
    }
    if t["side_effects"] == true {
        out::line("side effects: yes (the config needs \"confirm_side_effects\": true)")?;
    }
    let fields = list(&t["fields"]);
    let required: Vec<String> = fields
        .iter()
        .filter(|f| f["required"] == true)
        .map(|f| with_aliases(t, text(&f["name"])))
        .collect();
    let required = if required.is_empty() {
        "-".to_owned()
    } else {
        required.join(", ")
    };
    out::line(format!("required: {required}"))?;
    out::line("fields:")?;
    for f in fields {
        let mark = if f["required"] == true {
            " (required)"
        } else {
            ""
        };
        out::line(format!(
            "  {:<28} {}{mark}",
            text(&f["name"]),
            brief(&f["schema"])
        ))?;
    }
    for f in fields {
        for a in list(&f["aliases"]) {
            out::line(format!(
                "alias: {} is sent as {}",
                text(a),
                text(&f["name"])
            ))?;
        }
    }
    for n in list(&t["notes"]) {
        out::line(format!("note: {}", text(n)))?;
    }
    Ok(())
}

/// A field's JSON Schema in a few words: its format or type, or the
/// values it may take; anything else as compact JSON.
fn brief(schema: &Value) -> String {
    if let Some(f) = schema["format"].as_str() {
        return f.to_owned();
    }
    if let Some(values) = schema["enum"].as_array() {
        let v: Vec<String> = values.iter().map(Value::to_string).collect();
        return format!("one of {}", v.join(", "));
    }
    match (schema["type"].as_str(), schema.get("items")) {
        (Some("array"), Some(items)) => format!("array of {}", brief(items)),
        (Some(ty), _) if schema.get("properties").is_none() => ty.to_owned(),
        _ => schema.to_string(),
    }
}
