//! Checks a template as written in `templates.json` and derives the facts
//! the rest of the plugin reads (the record fields and their types, the
//! fields every record needs, the first step's endpoint).

use super::{CATALOG_VERSION, Catalog, Runs, Source, Step, Template, TemplateFile};
use crate::schema::FieldMap;
use std::collections::HashSet;

/// A template's id and what is wrong with it.
type Failure = (String, String);

/// Whether `path` has the form `/<category>.<method>` (ASCII letters and
/// digits, each part starting with a letter).
pub fn is_endpoint_path(path: &str) -> bool {
    fn part(s: &str) -> bool {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric())
    }
    path.strip_prefix('/')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(category, method)| part(category) && part(method))
}

/// Parses catalog text and checks it: the version, unique ids, and every
/// template (see [`template`]).
pub fn parse(text: &str) -> Result<Catalog, String> {
    let version = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
    if let Some(v) = version.filter(|v| *v != CATALOG_VERSION) {
        return Err(format!(
            "templates.json has version {v}, this plugin reads version {CATALOG_VERSION}"
        ));
    }
    let catalog: Catalog =
        serde_json::from_str(text).map_err(|e| format!("templates.json is not valid: {e}"))?;
    let mut ids = HashSet::new();
    for t in &catalog.templates {
        if !ids.insert(t.id.as_str()) {
            return Err(format!("template \"{}\": the id is used twice", t.id));
        }
    }
    Ok(catalog)
}

/// Checks one template and derives its facts: at least one step, every
/// step well formed, every step of a multi-step template idempotent, one
/// type per record field, aliases, trigger fields and rules naming record
/// fields.
pub(super) fn template(f: TemplateFile) -> Result<Template, Failure> {
    let fail = |what: String| Err((f.id.clone(), what));
    if f.id.is_empty() {
        return fail("the id is empty".into());
    }
    let Some(first) = f.steps.first() else {
        return fail("a template needs at least one step".into());
    };
    for (i, s) in f.steps.iter().enumerate() {
        step(i, s).map_err(|e| {
            (
                f.id.clone(),
                format!("step {} ({}): {e}", i + 1, s.endpoint),
            )
        })?;
    }
    if f.steps.len() > 1
        && let Some((i, s)) = f.steps.iter().enumerate().find(|(_, s)| !s.idempotent)
    {
        return fail(format!(
            "step {} ({}) is not idempotent, but a retry of a multi-step template repeats every step: \
             a multi-step template may only hold steps that set values (creates stay single-step)",
            i + 1,
            s.endpoint
        ));
    }
    let fields = record_fields(&f.steps).map_err(|e| (f.id.clone(), e))?;
    names_known(&f, &fields).map_err(|e| (f.id.clone(), e))?;
    Ok(Template {
        endpoint: first.endpoint.clone(),
        method: first.method.clone(),
        permission: first.permission.clone(),
        result_id: first.result_id.clone(),
        required: required(&f.steps),
        fields,
        id: f.id,
        name: f.name,
        description: f.description,
        side_effects: f.side_effects,
        aliases: f.aliases,
        rules: f.rules,
        notes: f.notes,
        steps: f.steps,
    })
}

/// Checks one step: endpoint path, `POST`, permission, required and `take`
/// keys among its fields, sources that parse, constants of their field's
/// type, step sources naming an earlier step, trigger fields it takes.
fn step(index: usize, s: &Step) -> Result<(), String> {
    if !is_endpoint_path(&s.endpoint) {
        return Err(format!(
            "endpoint \"{}\" is not of the form /<category>.<method>",
            s.endpoint
        ));
    }
    if s.method != "POST" {
        return Err(format!("method \"{}\" is not POST", s.method));
    }
    if s.permission.is_empty() {
        return Err("the permission is empty".into());
    }
    if let Some(name) = s.required.iter().find(|r| !s.fields.contains(r)) {
        return Err(format!("required field \"{name}\" is not among its fields"));
    }
    for (key, v) in &s.take {
        let Some(ty) = s.fields.get(key) else {
            return Err(format!("take \"{key}\" is not among its fields"));
        };
        match Source::parse(v).map_err(|e| format!("take \"{key}\" {e}"))? {
            Source::Field(_) => {}
            Source::Value(c) => ty
                .validate(&c, key)
                .map_err(|e| format!("take \"{key}\": {e}"))?,
            Source::Step { index: from, .. } if from >= index => {
                return Err(format!(
                    "take \"{key}\" names step {}, which does not run before it",
                    from + 1
                ));
            }
            Source::Step { .. } => {}
        }
    }
    if let Runs::WhenAny(names) = &s.runs {
        let taken: Vec<String> = s.record_fields().map(|(f, _)| f).collect();
        if let Some(n) = names.iter().find(|n| !taken.contains(n)) {
            return Err(format!(
                "runs.when_any names \"{n}\", a record field the step does not take"
            ));
        }
    }
    Ok(())
}

/// Every record field some step takes, with its type; a record field taken
/// by several steps must have one type.
fn record_fields(steps: &[Step]) -> Result<FieldMap, String> {
    let mut out = FieldMap::default();
    for (i, s) in steps.iter().enumerate() {
        for (field, key) in s.record_fields() {
            let Some(ty) = s.fields.get(key) else {
                continue;
            };
            match out.get(&field) {
                Some(known) if known != ty => {
                    return Err(format!(
                        "record field \"{field}\" has another type in step {} ({}) than before",
                        i + 1,
                        s.endpoint
                    ));
                }
                Some(_) => {}
                None => out.0.push((field, ty.clone())),
            }
        }
    }
    Ok(out)
}

/// Checks that aliases and rules name record fields, and that a rule's
/// `equals` has the type of the field it constrains.
fn names_known(f: &TemplateFile, fields: &FieldMap) -> Result<(), String> {
    for a in &f.aliases {
        if !fields.contains(&a.to) {
            return Err(format!("alias target \"{}\" is not among its fields", a.to));
        }
        if a.from == a.to || a.from.is_empty() {
            return Err(format!(
                "alias \"{}\" → \"{}\" is not an alias",
                a.from, a.to
            ));
        }
    }
    for r in &f.rules {
        for name in [&r.when, &r.requires] {
            if !fields.contains(name) {
                return Err(format!(
                    "rule on \"{}\" names \"{name}\", which no step takes",
                    r.when
                ));
            }
        }
        if let (Some(v), Some(ty)) = (&r.equals, fields.get(&r.requires)) {
            ty.validate(v, &r.requires)
                .map_err(|e| format!("rule on \"{}\": {e}", r.when))?;
        }
    }
    Ok(())
}

/// The record fields every record needs: those required by a step that
/// always runs, and those every step requires.
fn required(steps: &[Step]) -> Vec<String> {
    let needs = |s: &Step| -> Vec<String> {
        s.required
            .iter()
            .filter_map(|key| match s.source(key) {
                Source::Field(f) => Some(f),
                _ => None,
            })
            .collect()
    };
    let mut out: Vec<String> = Vec::new();
    let mut push = |f: String| {
        if !out.contains(&f) {
            out.push(f);
        }
    };
    for s in steps.iter().filter(|s| s.runs == Runs::Always) {
        needs(s).into_iter().for_each(&mut push);
    }
    if let Some((first, rest)) = steps.split_first() {
        let others: Vec<Vec<String>> = rest.iter().map(needs).collect();
        for f in needs(first) {
            if others.iter().all(|o| o.contains(&f)) {
                push(f);
            }
        }
    }
    out
}
