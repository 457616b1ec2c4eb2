//! `templates`: the endpoint templates of the catalog: a table, one
//! template in full (`templates ID`), or JSON (`--json`).

use crate::out;
use plugin::Template;
use plugin::templates::{Runs, Source, Step};

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

/// One line per step: the template's id on its first step, the endpoint,
/// the permission, when the step runs and the record fields it then needs.
fn table(all: &[Template]) -> anyhow::Result<()> {
    out::line(format!(
        "{:<24} {:<4} {:<26} {:<16} RUNS; NEEDS",
        "ID", "STEP", "ENDPOINT", "PERMISSION"
    ))?;
    for t in all {
        for (i, step) in t.steps.iter().enumerate() {
            let id = if i == 0 { t.id.as_str() } else { "" };
            out::line(format!(
                "{:<24} {:<4} {:<26} {:<16} {}",
                id,
                i + 1,
                step.endpoint,
                step.permission,
                runs_and_needs(t, step)
            ))?;
        }
    }
    Ok(())
}

/// A record field's name with the other names it is accepted under.
fn with_aliases(t: &Template, f: &str) -> String {
    let also: Vec<&str> = t.aliases_for(f).map(|a| a.from.as_str()).collect();
    if also.is_empty() {
        f.to_owned()
    } else {
        format!("{f} (or {})", also.join(", "))
    }
}

/// When a step runs and the record fields it needs then.
fn runs_and_needs(t: &Template, step: &Step) -> String {
    let runs = match &step.runs {
        Runs::Always => "always".to_owned(),
        Runs::WhenAny(fields) => {
            let names: Vec<String> = fields.iter().map(|f| with_aliases(t, f)).collect();
            format!("with {}", names.join(", "))
        }
    };
    let needs: Vec<String> = step
        .required
        .iter()
        .filter_map(|key| match step.source(key) {
            Source::Field(f) => Some(with_aliases(t, &f)),
            _ => None,
        })
        .collect();
    if needs.is_empty() {
        runs
    } else {
        format!("{runs}; {}", needs.join(", "))
    }
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

/// One line per Ashby call the template makes, in order.
fn steps(t: &Template) -> Vec<String> {
    t.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "step {}: {} {} (permission {}; {})",
                i + 1,
                s.method,
                s.endpoint,
                s.permission,
                runs_and_needs(t, s)
            )
        })
        .collect()
}
