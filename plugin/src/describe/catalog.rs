//! The catalog `describe` returns: per template its id, name, description,
//! steps (endpoint, method, permission, the fields each takes, when it
//! runs), the permissions it needs, its record fields (type, format, enum,
//! required, aliases), side effects and notes.

use super::fields::{properties, schema_of};
use crate::templates::{Runs, Step, Template};
use serde_json::{Value, json};

/// The catalog as a JSON value (`{"version", "templates": [...]}`).
pub fn catalog(templates: &[Template]) -> Value {
    json!({
        "version": crate::templates::CATALOG_VERSION,
        "templates": templates.iter().map(entry).collect::<Vec<_>>(),
    })
}

fn entry(t: &Template) -> Value {
    let mut permissions: Vec<&str> = Vec::new();
    for s in &t.steps {
        if !permissions.contains(&s.permission.as_str()) {
            permissions.push(&s.permission);
        }
    }
    let fields: Vec<Value> = t
        .fields
        .0
        .iter()
        .map(|(name, ty)| {
            let aliases: Vec<&str> = t
                .aliases
                .iter()
                .filter(|a| a.to == *name)
                .map(|a| a.from.as_str())
                .collect();
            json!({
                "name": name,
                "schema": schema_of(ty),
                "required": t.required.contains(name),
                "aliases": aliases,
            })
        })
        .collect();
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "endpoint": t.endpoint,
        "method": t.method,
        "permissions": permissions,
        "side_effects": t.side_effects,
        "fields": fields,
        "steps": t.steps.iter().map(step).collect::<Vec<_>>(),
        "rules": t.rules,
        "notes": t.notes,
    })
}

fn step(s: &Step) -> Value {
    json!({
        "endpoint": s.endpoint,
        "method": s.method,
        "permission": s.permission,
        "idempotent": s.idempotent,
        "lookup": s.lookup,
        "runs": match &s.runs {
            Runs::Always => json!("always"),
            Runs::WhenAny(f) => json!({"when_any": f}),
        },
        "fields": properties(&s.fields),
        "required": s.required,
        "take": s.take,
    })
}
