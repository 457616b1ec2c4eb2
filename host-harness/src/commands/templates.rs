//! `templates`: the endpoint templates of the catalog, one line per step.

use plugin::templates::{Runs, Source, Step, Template};

pub fn run() -> anyhow::Result<u8> {
    let all = plugin::templates::all().map_err(|e| anyhow::anyhow!("templates.json: {e}"))?;
    println!(
        "{:<24} {:<4} {:<26} {:<16} RUNS; NEEDS",
        "ID", "STEP", "ENDPOINT", "PERMISSION"
    );
    for t in all {
        for (i, step) in t.steps.iter().enumerate() {
            let id = if i == 0 { t.id.as_str() } else { "" };
            println!(
                "{:<24} {:<4} {:<26} {:<16} {}",
                id,
                i + 1,
                step.endpoint,
                step.permission,
                runs_and_needs(t, step)
            );
        }
    }
    Ok(0)
}

/// When a step runs and the record fields it needs then, aliases named.
fn runs_and_needs(t: &Template, step: &Step) -> String {
    let name = |f: &str| {
        let also: Vec<&str> = t.aliases_for(f).map(|a| a.from.as_str()).collect();
        if also.is_empty() {
            f.to_owned()
        } else {
            format!("{f} (or {})", also.join(", "))
        }
    };
    let runs = match &step.runs {
        Runs::Always => "always".to_owned(),
        Runs::WhenAny(fields) => {
            let names: Vec<String> = fields.iter().map(|f| name(f)).collect();
            format!("with {}", names.join(", "))
        }
    };
    let needs: Vec<String> = step
        .required
        .iter()
        .filter_map(|key| match step.source(key) {
            Source::Field(f) => Some(name(&f)),
            _ => None,
        })
        .collect();
    if needs.is_empty() {
        runs
    } else {
        format!("{runs}; {}", needs.join(", "))
    }
}
