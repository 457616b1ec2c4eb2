//! `templates`: the endpoint templates of the catalog: a table, one
//! template in full (`templates ID`), or JSON (`--json`).

use crate::out;
use plugin::Template;

pub fn run(id: Option<&str>, json: bool) -> anyhow::Result<u8> {
    let catalog =
        plugin::templates::catalog().map_err(|e| anyhow::anyhow!("templates.json: {e}"))?;
    let Some(id) = id else {
        if json {
            out::json(catalog)?;
        } else {
            table(&catalog.templates)?;
        }
        return Ok(0);
    };
    let Some(t) = catalog.templates.iter().find(|t| t.id == id) else {
        let ids: Vec<&str> = catalog.templates.iter().map(|t| t.id.as_str()).collect();
        anyhow::bail!("no template `{id}`; the templates are: {}", ids.join(", "));
    };
    if json {
        out::json(t)?;
    } else {
        show(t)?;
    }
    Ok(0)
}

/// The required fields, each with the other names it is accepted under.
fn required(t: &Template) -> Vec<String> {
    t.required
        .iter()
        .map(|r| {
            let others: Vec<&str> = t.aliases_for(r).map(|a| a.from.as_str()).collect();
            if others.is_empty() {
                r.clone()
            } else {
                format!("{r} (or {})", others.join(", "))
            }
        })
        .collect()
}

fn table(all: &[Template]) -> anyhow::Result<()> {
    out::line(format!(
        "{:<26} {:<24} {:<18} REQUIRED",
        "ID", "ENDPOINT", "PERMISSION"
    ))?;
    for t in all {
        let req = required(t);
        out::line(format!(
            "{:<26} {:<24} {:<18} {}",
            t.id,
            t.endpoint,
            t.permission,
            if req.is_empty() {
                "-".to_string()
            } else {
                req.join(", ")
            }
        ))?;
    }
    Ok(())
}

fn show(t: &Template) -> anyhow::Result<()> {
    out::line(format!("{} ({}): {}", t.id, t.name, t.description))?;
    for line in steps(t) {
        out::line(line)?;
    }
    if t.side_effects {
        out::line("side effects: yes (the config needs \"confirm_side_effects\": true)")?;
    }
    let req = required(t);
    let req = if req.is_empty() {
        "-".to_string()
    } else {
        req.join(", ")
    };
    out::line(format!("required: {req}"))?;
    out::line("fields:")?;
    for (name, ty) in &t.fields.0 {
        let mark = if t.required.contains(name) {
            " (required)"
        } else {
            ""
        };
        out::line(format!("  {name:<28} {}{mark}", ty.describe()))?;
    }
    for a in &t.aliases {
        out::line(format!("alias: {} is sent as {}", a.from, a.to))?;
    }
    for n in &t.notes {
        out::line(format!("note: {n}"))?;
    }
    Ok(())
}

/// One line per Ashby call the template makes: from its `steps` when the
/// catalog has them (read from its JSON form, which names them), else its
/// one endpoint.
fn steps(t: &Template) -> Vec<String> {
    let v = serde_json::to_value(t).unwrap_or_default();
    let Some(steps) = v.get("steps").and_then(|s| s.as_array()) else {
        return vec![format!(
            "step 1: {} {} (permission {})",
            t.method, t.endpoint, t.permission
        )];
    };
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let runs = match &s["runs"] {
                serde_json::Value::Null => String::new(),
                r if r == "always" => String::new(),
                r => format!(", runs {r}"),
            };
            format!(
                "step {}: {} {} (permission {}{runs})",
                i + 1,
                s["method"].as_str().unwrap_or("POST"),
                s["endpoint"].as_str().unwrap_or("-"),
                s["permission"].as_str().unwrap_or("-"),
            )
        })
        .collect()
}
