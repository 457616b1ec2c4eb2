//! Turns one input record into the calls Ashby receives.
//!
//! In order: parse (must be an object), drop nulls (`"nulls": "omit"`),
//! remove `exclude` keys, apply `rename`, fill `defaults`, apply the
//! template's aliases, then (template mode only) report fields no step takes
//! (and drop or refuse them, per `"unknown_fields"`), validate types,
//! required fields and cross-field rules, and split the record into the
//! bodies of the template's steps that run ([`steps`]). Key order is kept
//! throughout.

use crate::config::{Config, Nulls, UnknownFields};
use crate::schema::render;
use crate::templates::{Template, Wrap};
use crate::types::{InputRecord, RecordProblem, Severity};
use serde_json::{Map, Value};

mod steps;

pub use steps::{Call, Pending};

/// Problem code: the record is not a JSON object (or not JSON at all).
pub const NOT_AN_OBJECT: &str = "not_an_object";
/// Problem code: two fields end up under one name with different values.
pub const CONFLICTING_FIELDS: &str = "conflicting_fields";
/// Problem code: a required field is absent or null.
pub const MISSING_FIELD: &str = "missing_field";
/// Problem code: a field's value does not match its type or a rule.
pub const INVALID_FIELD: &str = "invalid_field";
/// Warning code (and, with `"unknown_fields": "reject"`, error code): a
/// field no step of the template takes.
pub const UNKNOWN_FIELD: &str = "unknown_field";
/// Problem code: the record has no field that makes any step run.
pub const NOTHING_TO_SEND: &str = "nothing_to_send";

/// One record after shaping.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapedRecord {
    /// The record's `index`.
    pub index: u64,
    /// The calls to make, in order (at least one), or why the record is
    /// rejected locally.
    pub calls: Result<Vec<Call>, RecordProblem>,
    /// Warnings (fields no step takes).
    pub warnings: Vec<RecordProblem>,
    /// The record's fields no step takes, in record order.
    pub unknown_fields: Vec<String>,
}

impl ShapedRecord {
    /// The first call's body, for single-call handling (batching, dedupe).
    pub fn first_body(&self) -> Option<&Map<String, Value>> {
        self.calls.as_ref().ok()?.first().map(|c| &c.body)
    }
}

fn problem(index: u64, code: &str, field: Option<&str>, message: String) -> RecordProblem {
    RecordProblem {
        index,
        severity: Severity::Error,
        code: code.to_owned(),
        field: field.map(str::to_owned),
        message,
    }
}

/// Shapes one record under a config.
pub fn shape_record(cfg: &Config, rec: &InputRecord) -> ShapedRecord {
    let index = rec.index;
    let mut out = ShapedRecord {
        index,
        calls: Ok(Vec::new()),
        warnings: Vec::new(),
        unknown_fields: Vec::new(),
    };
    out.calls = prepare(cfg, rec).and_then(|obj| match &cfg.template {
        None => Ok(vec![Call::manual(obj)]),
        Some(t) => {
            let obj = known_fields(cfg, t, obj, &mut out)?;
            steps::plan(t, &obj, &out.unknown_fields, index)
        }
    });
    out
}

/// Parse, nulls, exclude, rename, defaults and (template mode) aliases.
fn prepare(cfg: &Config, rec: &InputRecord) -> Result<Map<String, Value>, RecordProblem> {
    let index = rec.index;
    let value: Value = serde_json::from_str(&rec.json)
        .map_err(|e| problem(index, NOT_AN_OBJECT, None, format!("not valid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(problem(
            index,
            NOT_AN_OBJECT,
            None,
            format!("record is not a JSON object (got {})", render(&value)),
        ));
    };
    if cfg.nulls == Nulls::Omit {
        obj.retain(|_, v| !v.is_null());
    }
    obj.retain(|k, _| !cfg.exclude.contains(k));
    let mut obj = apply_rename(obj, &cfg.rename)
        .map_err(|m| problem(index, CONFLICTING_FIELDS, Some(&m.0), m.1))?;
    apply_defaults(cfg, &mut obj);
    match &cfg.template {
        None => Ok(obj),
        Some(t) => apply_aliases(obj, t)
            .map_err(|(field, message)| problem(index, CONFLICTING_FIELDS, Some(&field), message)),
    }
}

fn apply_defaults(cfg: &Config, obj: &mut Map<String, Value>) {
    for (field, value) in &cfg.defaults {
        // With aliases, `departmentId` and `teamId` are one field: a default
        // for either is not applied when the record carries the other.
        if let Some(t) = &cfg.template {
            let canon = canonical(t, field);
            if obj
                .iter()
                .any(|(k, v)| k != field && !v.is_null() && canonical(t, k) == canon)
            {
                continue;
            }
        }
        match obj.get_mut(field) {
            Some(slot) if slot.is_null() => *slot = value.clone(),
            Some(_) => {}
            None => {
                obj.insert(field.clone(), value.clone());
            }
        }
    }
}

/// Reports (and drops or refuses, per the config) fields no step takes,
/// then checks types, required fields and the template's rules.
fn known_fields(
    cfg: &Config,
    t: &Template,
    mut obj: Map<String, Value>,
    out: &mut ShapedRecord,
) -> Result<Map<String, Value>, RecordProblem> {
    let index = out.index;
    out.unknown_fields = obj
        .keys()
        .filter(|k| !t.fields.contains(k))
        .cloned()
        .collect();
    let fate = match cfg.unknown_fields {
        UnknownFields::Send => "it is sent as is, with the record's first call".to_owned(),
        UnknownFields::Drop => "it is left out (\"unknown_fields\": \"drop\")".to_owned(),
        UnknownFields::Reject => {
            "the record is rejected (\"unknown_fields\": \"reject\")".to_owned()
        }
    };
    for name in &out.unknown_fields {
        out.warnings.push(RecordProblem {
            index,
            severity: Severity::Warning,
            code: UNKNOWN_FIELD.to_owned(),
            field: Some(name.clone()),
            message: format!(
                "field \"{name}\" is not an input of any call the \"{}\" template makes; {fate}",
                t.id
            ),
        });
    }
    match cfg.unknown_fields {
        UnknownFields::Reject if !out.unknown_fields.is_empty() => {
            let names: Vec<String> = out
                .unknown_fields
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect();
            return Err(problem(
                index,
                UNKNOWN_FIELD,
                out.unknown_fields.first().map(String::as_str),
                format!(
                    "the record has fields no call of the \"{}\" template takes: {}",
                    t.id,
                    names.join(", ")
                ),
            ));
        }
        UnknownFields::Drop => obj.retain(|k, _| t.fields.contains(k)),
        _ => {}
    }
    validate(&obj, t)
        .and_then(|()| check_rules(&obj, t))
        .map_err(|(code, field, message)| problem(index, code, Some(&field), message))?;
    Ok(obj)
}

/// The name a field ends up under after the template's aliases.
fn canonical<'a>(t: &'a Template, field: &'a str) -> &'a str {
    t.aliases
        .iter()
        .find(|a| a.from == field)
        .map_or(field, |a| a.to.as_str())
}

/// Renames keys in place (all renames use the original names). When a new
/// name meets a key already there with a different non-null value, returns
/// (field, message).
fn apply_rename(
    obj: Map<String, Value>,
    rename: &[(String, String)],
) -> Result<Map<String, Value>, (String, String)> {
    if rename.is_empty() {
        return Ok(obj);
    }
    let mut out = Map::with_capacity(obj.len());
    // For each key in `out`, the upstream name it came from.
    let mut origin: Vec<(String, String)> = Vec::new();
    for (key, value) in obj {
        let target = rename
            .iter()
            .find(|(from, _)| *from == key)
            .map_or_else(|| key.clone(), |(_, to)| to.clone());
        match out.get_mut(&target) {
            None => {
                origin.push((target.clone(), key));
                out.insert(target, value);
            }
            Some(existing) => {
                if value.is_null() || *existing == value {
                    continue;
                }
                if existing.is_null() {
                    *existing = value;
                    continue;
                }
                let first = origin
                    .iter()
                    .find(|(t, _)| *t == target)
                    .map_or(target.as_str(), |(_, o)| o.as_str());
                return Err((
                    target.clone(),
                    format!(
                        "fields \"{first}\" and \"{key}\" both become \"{target}\" after renaming, with different values"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Moves alias fields to their targets, keeping positions. A null `from`
/// is dropped; a null `to` does not count as a conflict.
fn apply_aliases(
    mut obj: Map<String, Value>,
    template: &Template,
) -> Result<Map<String, Value>, (String, String)> {
    for alias in &template.aliases {
        let Some(from_value) = obj.get(&alias.from) else {
            continue;
        };
        if from_value.is_null() {
            obj.shift_remove(&alias.from);
            continue;
        }
        let moved = match alias.wrap {
            Some(Wrap::Array) => Value::Array(vec![from_value.clone()]),
            None => from_value.clone(),
        };
        match obj.get(&alias.to) {
            Some(existing) if !existing.is_null() => {
                if *existing != moved {
                    return Err((
                        alias.to.clone(),
                        format!(
                            "fields \"{}\" and \"{}\" are both present with different values; \"{}\" is another name for \"{}\", send only one",
                            alias.from, alias.to, alias.from, alias.to
                        ),
                    ));
                }
                obj.shift_remove(&alias.from);
            }
            _ => {
                obj.shift_remove(&alias.to);
                obj = obj
                    .into_iter()
                    .map(|(k, v)| {
                        if k == alias.from {
                            (alias.to.clone(), moved.clone())
                        } else {
                            (k, v)
                        }
                    })
                    .collect();
            }
        }
    }
    Ok(obj)
}

/// A local problem: (code, field, message).
type Refusal = (&'static str, String, String);

/// The message for a missing required field, naming its aliases.
fn missing_message(template: &Template, name: &str) -> String {
    let also: Vec<String> = template
        .aliases_for(name)
        .map(|a| format!("\"{}\"", a.from))
        .collect();
    let mut message = format!("missing required field \"{name}\"");
    if !also.is_empty() {
        message.push_str(&format!(" (also accepted as {})", also.join(" or ")));
    }
    message
}

/// Checks required fields and the types of known fields. A null in an
/// optional field is never refused. Returns the first problem.
fn validate(obj: &Map<String, Value>, template: &Template) -> Result<(), Refusal> {
    for name in &template.required {
        if obj.get(name).is_none_or(Value::is_null) {
            return Err((MISSING_FIELD, name.clone(), missing_message(template, name)));
        }
    }
    for (name, value) in obj {
        if value.is_null() {
            continue;
        }
        if let Some(ty) = template.fields.get(name)
            && let Err(e) = ty.validate(value, name)
        {
            return Err((INVALID_FIELD, e.path.clone(), e.to_string()));
        }
    }
    Ok(())
}

/// Checks the template's cross-field rules.
fn check_rules(obj: &Map<String, Value>, template: &Template) -> Result<(), Refusal> {
    let present = |name: &str| obj.get(name).filter(|v| !v.is_null());
    for r in &template.rules {
        if present(&r.when).is_none() {
            continue;
        }
        match (present(&r.requires), &r.equals) {
            (None, _) => {
                return Err((
                    MISSING_FIELD,
                    r.requires.clone(),
                    format!(
                        "field \"{}\" is needed when \"{}\" is present: {}",
                        r.requires, r.when, r.reason
                    ),
                ));
            }
            (Some(v), Some(want)) if v != want => {
                return Err((
                    INVALID_FIELD,
                    r.requires.clone(),
                    format!(
                        "field \"{}\" must be {} when \"{}\" is present, got {}: {}",
                        r.requires,
                        render(want),
                        r.when,
                        render(v),
                        r.reason
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
