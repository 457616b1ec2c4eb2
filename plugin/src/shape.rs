//! Turns one input record into the JSON object Ashby receives.
//!
//! In order: parse (must be an object), remove `exclude` keys, apply
//! `rename`, fill `defaults`, apply the template's aliases, then (template
//! mode only) validate against the template. Key order is kept throughout.

use crate::config::Config;
use crate::schema::render;
use crate::templates::{Template, Wrap};
use crate::types::{InputRecord, RecordProblem, Severity};
use serde_json::{Map, Value};

/// Problem code: the record is not a JSON object (or not JSON at all).
pub const NOT_AN_OBJECT: &str = "not_an_object";
/// Problem code: two fields end up under one name with different values.
pub const CONFLICTING_FIELDS: &str = "conflicting_fields";
/// Problem code: a required field is absent or null.
pub const MISSING_FIELD: &str = "missing_field";
/// Problem code: a field's value does not match its type.
pub const INVALID_FIELD: &str = "invalid_field";
/// Warning code: a field the template does not know (sent as is).
pub const UNKNOWN_FIELD: &str = "unknown_field";

/// One record after shaping.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapedRecord {
    /// The record's `index`.
    pub index: u64,
    /// The body to send, or why the record is rejected locally.
    pub body: Result<Map<String, Value>, RecordProblem>,
    /// Warnings (fields the template does not know).
    pub warnings: Vec<RecordProblem>,
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
    let mut warnings = Vec::new();
    let body = shape_inner(cfg, rec, &mut warnings);
    ShapedRecord {
        index,
        body,
        warnings,
    }
}

fn shape_inner(
    cfg: &Config,
    rec: &InputRecord,
    warnings: &mut Vec<RecordProblem>,
) -> Result<Map<String, Value>, RecordProblem> {
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
    obj.retain(|k, _| !cfg.exclude.contains(k));
    let mut obj = apply_rename(obj, &cfg.rename)
        .map_err(|m| problem(index, CONFLICTING_FIELDS, Some(&m.0), m.1))?;
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
    let Some(template) = &cfg.template else {
        return Ok(obj);
    };
    let obj = apply_aliases(obj, template)
        .map_err(|(field, message)| problem(index, CONFLICTING_FIELDS, Some(&field), message))?;
    for name in obj.keys().filter(|k| !template.fields.contains(k)) {
        warnings.push(RecordProblem {
            index,
            severity: Severity::Warning,
            code: UNKNOWN_FIELD.to_owned(),
            field: Some(name.clone()),
            message: format!(
                "field \"{name}\" is not an input the \"{}\" template knows for {}; it is sent as is",
                template.id, template.endpoint
            ),
        });
    }
    validate(&obj, template)
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

/// Checks required fields and the types of known fields. Returns
/// (code, field, message) for the first problem.
fn validate(
    obj: &Map<String, Value>,
    template: &Template,
) -> Result<(), (&'static str, String, String)> {
    for name in &template.required {
        if obj.get(name).is_none_or(Value::is_null) {
            let also: Vec<String> = template
                .aliases_for(name)
                .map(|a| format!("\"{}\"", a.from))
                .collect();
            let mut message = format!("missing required field \"{name}\"");
            if !also.is_empty() {
                message.push_str(&format!(" (also accepted as {})", also.join(" or ")));
            }
            return Err((MISSING_FIELD, name.clone(), message));
        }
    }
    for (name, value) in obj {
        if let Some(ty) = template.fields.get(name)
            && let Err(e) = ty.validate(value, name)
        {
            return Err((INVALID_FIELD, e.path.clone(), e.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    const U1: &str = "3ae2b801-19f6-41ef-ad28-214bd731948f";
    const U2: &str = "5b6c1d2e-0000-4000-8000-000000000002";

    fn cfg(v: Value) -> Config {
        Config::parse(&v.to_string()).unwrap()
    }

    fn shape(c: &Config, rec: Value) -> ShapedRecord {
        shape_record(c, &InputRecord::new(7, rec.to_string()))
    }

    fn body(c: &Config, rec: Value) -> Value {
        Value::Object(shape(c, rec).body.unwrap())
    }

    fn err(c: &Config, rec: Value) -> RecordProblem {
        shape(c, rec).body.unwrap_err()
    }

    #[test]
    fn not_an_object() {
        let c = cfg(json!({"template": "create-candidate"}));
        let p = shape_record(&c, &InputRecord::new(3, "{nope"))
            .body
            .unwrap_err();
        assert_eq!(p.code, NOT_AN_OBJECT);
        assert_eq!(p.index, 3);
        assert!(p.message.starts_with("not valid JSON: "), "{}", p.message);
        let p = err(&c, json!([1, 2]));
        assert_eq!(p.code, NOT_AN_OBJECT);
        assert!(p.message.starts_with("record is not a JSON object"));
    }

    #[test]
    fn exclude_then_rename_then_defaults_keep_order() {
        let c = cfg(json!({
            "template": "create-candidate",
            "exclude": ["_meta", "name"],
            "rename": {"full_name": "name", "mail": "email"},
            "defaults": {"sourceId": U1, "email": "default@example.com", "phoneNumber": "+1"}
        }));
        // `name` is excluded before `full_name` is renamed to it.
        let b = body(
            &c,
            json!({"_meta": 1, "mail": null, "full_name": "Ada", "name": "ignored", "phoneNumber": "+2"}),
        );
        assert_eq!(
            serde_json::to_string(&b).unwrap(),
            format!(
                r#"{{"email":"default@example.com","name":"Ada","phoneNumber":"+2","sourceId":"{U1}"}}"#
            )
        );
    }

    #[test]
    fn defaults_respect_aliases() {
        let c =
            cfg(json!({"template": "create-job", "defaults": {"teamId": U1, "locationId": U2}}));
        let b = body(&c, json!({"title": "Eng", "departmentId": U2}));
        assert_eq!(b, json!({"title": "Eng", "teamId": U2, "locationId": U2}));
        let c = cfg(
            json!({"template": "create-job", "defaults": {"departmentId": U1, "locationId": U2}}),
        );
        let b = body(&c, json!({"title": "Eng", "teamId": U2}));
        assert_eq!(b, json!({"title": "Eng", "teamId": U2, "locationId": U2}));
        let b = body(&c, json!({"title": "Eng"}));
        assert_eq!(b, json!({"title": "Eng", "teamId": U1, "locationId": U2}));
    }

    #[test]
    fn rename_conflicts() {
        let c = cfg(json!({"template": "create-candidate", "rename": {"full_name": "name"}}));
        let p = err(&c, json!({"full_name": "Ada", "name": "Bob"}));
        assert_eq!(p.code, CONFLICTING_FIELDS);
        assert!(
            p.message.contains("\"full_name\"") && p.message.contains("\"name\""),
            "{}",
            p.message
        );
        // same value or a null side is fine
        assert_eq!(
            body(&c, json!({"full_name": "Ada", "name": "Ada"})),
            json!({"name": "Ada"})
        );
        assert_eq!(
            body(&c, json!({"name": null, "full_name": "Ada"})),
            json!({"name": "Ada"})
        );
        // renames are simultaneous: a→b and b→c
        let c = cfg(json!({"url": "https://api.ashbyhq.com/a.b", "rename": {"a": "b", "b": "c"}}));
        assert_eq!(
            serde_json::to_string(&body(&c, json!({"a": 1, "b": 2}))).unwrap(),
            r#"{"b":1,"c":2}"#
        );
    }

    #[test]
    fn aliases_all_kinds() {
        // website → websiteUrl (update-candidate)
        let c = cfg(json!({"template": "update-candidate"}));
        assert_eq!(
            serde_json::to_string(&body(
                &c,
                json!({"candidateId": U1, "website": "https://a.dev", "name": "A"})
            ))
            .unwrap(),
            format!(r#"{{"candidateId":"{U1}","websiteUrl":"https://a.dev","name":"A"}}"#)
        );
        // departmentId → teamId (create-job, update-job)
        for t in ["create-job", "update-job"] {
            let c = cfg(json!({"template": t}));
            let b = body(
                &c,
                json!({"title": "Eng", "departmentId": U1, "locationId": U2, "jobId": U2}),
            );
            assert_eq!(b.get("teamId"), Some(&json!(U1)), "{t}");
            assert!(b.get("departmentId").is_none());
        }
        // jobId → id (get-job)
        let c = cfg(json!({"template": "get-job"}));
        assert_eq!(body(&c, json!({"jobId": U1})), json!({"id": U1}));
        // jobId → jobIds wrapped (create-opening)
        let c = cfg(json!({"template": "create-opening"}));
        assert_eq!(
            body(&c, json!({"identifier": "ENG-1", "jobId": U1})),
            json!({"identifier": "ENG-1", "jobIds": [U1]})
        );
        assert_eq!(
            body(&c, json!({"jobId": U1, "jobIds": [U1]})),
            json!({"jobIds": [U1]})
        );
        // fieldValues → values (set-custom-field-values)
        let c = cfg(json!({"template": "set-custom-field-values"}));
        let b = body(
            &c,
            json!({"objectId": U1, "objectType": "Candidate", "fieldValues": [{"fieldId": U2, "fieldValue": 3}]}),
        );
        assert_eq!(
            b,
            json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": U2, "fieldValue": 3}]})
        );
        // a null alias source is dropped; a null target does not conflict
        let c = cfg(json!({"template": "get-job"}));
        assert_eq!(
            body(&c, json!({"jobId": null, "id": U1})),
            json!({"id": U1})
        );
        assert_eq!(
            body(&c, json!({"id": null, "jobId": U1})),
            json!({"id": U1})
        );
    }

    #[test]
    fn alias_conflict() {
        let c = cfg(json!({"template": "create-job"}));
        let p = err(
            &c,
            json!({"title": "Eng", "departmentId": U1, "teamId": U2, "locationId": U2}),
        );
        assert_eq!(p.code, CONFLICTING_FIELDS);
        assert_eq!(p.field.as_deref(), Some("teamId"));
        assert!(p.message.contains("\"departmentId\"") && p.message.contains("\"teamId\""));
        let c = cfg(json!({"template": "create-opening"}));
        assert_eq!(
            err(&c, json!({"jobId": U1, "jobIds": [U2]})).code,
            CONFLICTING_FIELDS
        );
    }

    #[test]
    fn required_and_types() {
        let c = cfg(json!({"template": "create-job"}));
        let p = err(&c, json!({"title": "Eng", "locationId": U2}));
        assert_eq!(p.code, MISSING_FIELD);
        assert_eq!(p.field.as_deref(), Some("teamId"));
        assert!(
            p.message.contains("\"teamId\"") && p.message.contains("\"departmentId\""),
            "{}",
            p.message
        );
        assert_eq!(
            err(&c, json!({"title": null, "teamId": U1, "locationId": U2})).code,
            MISSING_FIELD
        );

        let c = cfg(json!({"template": "create-candidate"}));
        let p = err(&c, json!({"name": "Bob", "email": "bob"}));
        assert_eq!(p.code, INVALID_FIELD);
        assert_eq!(
            p.message,
            "field \"email\": expected an email address, got \"bob\""
        );
        // null on an optional non-nullable field
        let p = err(&c, json!({"name": "Bob", "email": null}));
        assert_eq!(
            p.message,
            "field \"email\": expected an email address, got null"
        );
        // nested path
        let c = cfg(json!({"template": "set-custom-field-values"}));
        let p = err(
            &c,
            json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": "x", "fieldValue": 1}]}),
        );
        assert_eq!(p.field.as_deref(), Some("values[0].fieldId"));
        assert!(
            p.message
                .starts_with("field \"values[0].fieldId\": expected a UUID")
        );
        let p = err(
            &c,
            json!({"objectId": U1, "objectType": "Candidate", "values": []}),
        );
        assert_eq!(p.code, INVALID_FIELD);
        // nullable accepts null
        let c = cfg(json!({"template": "create-opening"}));
        assert!(shape(&c, json!({"jobIds": null})).body.is_ok());
    }

    #[test]
    fn unknown_fields_warn_in_template_mode_only() {
        let c = cfg(json!({"template": "create-candidate"}));
        let s = shape(&c, json!({"name": "Ada", "nickname": "A"}));
        assert!(s.body.is_ok());
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].code, UNKNOWN_FIELD);
        assert_eq!(s.warnings[0].severity, Severity::Warning);
        assert_eq!(s.warnings[0].field.as_deref(), Some("nickname"));

        let c = cfg(json!({"url": "https://api.ashbyhq.com/candidate.create"}));
        let s = shape(&c, json!({"nickname": "A", "email": "bob"}));
        assert!(s.body.is_ok() && s.warnings.is_empty());
    }

    #[test]
    fn manual_mode_skips_aliases() {
        let c = cfg(json!({"url": "https://api.ashbyhq.com/job.info"}));
        assert_eq!(body(&c, json!({"jobId": U1})), json!({"jobId": U1}));
    }
}
