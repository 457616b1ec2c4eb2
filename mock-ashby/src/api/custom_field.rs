//! `customField.setValues` and `customField.setValue`, with each field type's value rules.

use serde_json::{Map, Value, json};

use super::endpoint::Endpoint;
use crate::ids::now_iso;
use crate::state::Org;
use crate::state::custom_fields::{CUSTOM_FIELDS, CustomFieldDef, custom_field_value};
use crate::validate::formats::{is_date, is_datetime, is_email, is_url, is_uuid};
use crate::validate::{
    ApiResult, Args, invalid_input, json_type, not_found, v_array, v_enum, v_object, v_uuid,
};

/// This category's endpoints.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/customField.setValues",
        permission: "candidatesWrite",
        fields: &["objectId", "objectType", "values"],
        handler: custom_field_set_values,
    },
    Endpoint {
        path: "/customField.setValue",
        permission: "candidatesWrite",
        fields: &["fieldId", "fieldValue", "objectId", "objectType"],
        handler: custom_field_set_value,
    },
];

/// Object types that carry custom fields.
const OBJECT_TYPES: &[&str] = &["Application", "Candidate", "Job", "Opening"];

/// Values of a `CompensationRange` field's `interval`.
const COMPENSATION_INTERVALS: &[&str] = &[
    "NONE",
    "1 TIME",
    "1 HOUR",
    "1 DAY",
    "1 WEEK",
    "2 WEEK",
    "1 MONTH",
    "2 MONTH",
    "1 YEAR",
    "6 MONTH",
    "0.5 MONTH",
    "3 MONTH",
];

/// Checks a value against the field's type (Ashby's documented value shapes).
fn check_field_value(def: &CustomFieldDef, value: &Value, field: &str) -> ApiResult<()> {
    if def.field_type == "ValueSelect"
        && let Some(choice) = value.as_str()
        && !def.options.contains(&choice)
    {
        return Err(invalid_input(format!(
            "`{field}`: {choice:?} is not an option of the field {:?} (options: {}).",
            def.title,
            def.options.join(", ")
        )));
    }
    if fits(def, value) {
        return Ok(());
    }
    Err(invalid_input(format!(
        "`{field}` must be {} for the {} field {:?}, but {} was given.",
        expected(def.field_type),
        def.field_type,
        def.title,
        json_type(value)
    )))
}

/// Whether `value` has the shape of the field's type (select options are checked by
/// the caller).
fn fits(def: &CustomFieldDef, value: &Value) -> bool {
    let number = |o: &Map<String, Value>, key: &str| o.get(key).is_some_and(Value::is_number);
    match def.field_type {
        "Boolean" => value.is_boolean(),
        "Number" => value.is_number(),
        "String" | "LongText" | "Phone" | "ValueSelect" => value.is_string(),
        "Email" => value.as_str().is_some_and(is_email),
        "Url" => value.as_str().is_some_and(is_url),
        "UUID" => value.as_str().is_some_and(is_uuid),
        // "An ISO date string": a calendar date, or a full date-time.
        "Date" => value.as_str().is_some_and(|s| is_date(s) || is_datetime(s)),
        "MultiValueSelect" => value.as_array().is_some_and(|items| {
            items
                .iter()
                .all(|i| i.as_str().is_some_and(|s| def.options.contains(&s)))
        }),
        "Currency" => value.as_object().is_some_and(|o| {
            number(o, "value")
                && o.get("currencyCode")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        }),
        "NumberRange" => value.as_object().is_some_and(|o| {
            o.get("type").and_then(Value::as_str) == Some("number-range")
                && number(o, "minValue")
                && number(o, "maxValue")
        }),
        "CompensationRange" => value.as_object().is_some_and(|o| {
            o.get("type").and_then(Value::as_str) == Some("compensation-range")
                && number(o, "minValue")
                && number(o, "maxValue")
                && o.get("currencyCode").is_some_and(Value::is_string)
                && o.get("interval")
                    .and_then(Value::as_str)
                    .is_some_and(|i| COMPENSATION_INTERVALS.contains(&i))
        }),
        _ => true,
    }
}

/// What a value of this field type must be, for error messages.
fn expected(field_type: &str) -> &'static str {
    match field_type {
        "Boolean" => "a boolean",
        "Number" => "a number",
        "Date" => "an ISO date string (YYYY-MM-DD)",
        "Email" => "an email address string",
        "Url" => "an http(s) URL string",
        "UUID" => "a UUID string",
        "MultiValueSelect" => "an array of option values",
        "Currency" => "an object {value, currencyCode}",
        "NumberRange" => "an object {type: \"number-range\", minValue, maxValue}",
        "CompensationRange" => {
            "an object {type: \"compensation-range\", minValue, maxValue, currencyCode, interval}"
        }
        _ => "a string",
    }
}

/// Checks that the object exists and that the field applies to its type.
fn resolve_field(
    object_type: &str,
    field_id: &str,
    field: &str,
) -> ApiResult<&'static CustomFieldDef> {
    let def = CUSTOM_FIELDS
        .iter()
        .find(|d| d.id == field_id)
        .ok_or_else(|| not_found("custom_field", field_id))?;
    if def.object_type != object_type {
        return Err(invalid_input(format!(
            "`{field}`: the custom field {:?} applies to {} objects, not {object_type}.",
            def.title, def.object_type
        )));
    }
    Ok(def)
}

fn require_object(org: &Org, object_type: &str, object_id: &str) -> ApiResult<()> {
    match object_type {
        "Candidate" => Org::require(&org.candidates, "candidate", object_id),
        "Application" => Org::require(&org.applications, "application", object_id),
        "Job" => Org::require(&org.jobs, "job", object_id),
        _ => Org::require(&org.openings, "opening", object_id),
    }
}

fn apply_field_value(org: &mut Org, object_id: &str, def: &CustomFieldDef, value: &Value) {
    if value.is_null() {
        if let Some(fields) = org.custom_field_values.get_mut(object_id) {
            fields.remove(def.id);
            if fields.is_empty() {
                org.custom_field_values.remove(object_id);
            }
        }
    } else {
        org.custom_field_values
            .entry(object_id.to_owned())
            .or_default()
            .insert(def.id.to_owned(), value.clone());
    }
}

fn touch(org: &mut Org, object_type: &str, object_id: &str) {
    let map = match object_type {
        "Candidate" => &mut org.candidates,
        "Application" => &mut org.applications,
        "Job" => &mut org.jobs,
        _ => return,
    };
    if let Some(object) = map.get_mut(object_id) {
        object["updatedAt"] = json!(now_iso());
    }
}

fn custom_field_set_values(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let object_id = a.req("objectId", v_uuid)?;
    let object_type = a.req("objectType", |v, f| v_enum(v, f, OBJECT_TYPES))?;
    let values = a.req("values", v_array)?;
    if values.is_empty() {
        return Err(invalid_input(
            "`values` must contain at least one {fieldId, fieldValue} entry.".to_owned(),
        ));
    }
    let mut parsed = Vec::new();
    for (i, item) in values.iter().enumerate() {
        let field = format!("values[{i}]");
        let entry = Args::nested(v_object(item, &field)?, field.clone());
        let field_id = entry.req("fieldId", v_uuid)?;
        let Some(value) = entry.map.get("fieldValue") else {
            return Err(invalid_input(format!(
                "`{field}.fieldValue` is required (use null to clear the field)."
            )));
        };
        if parsed.iter().any(|(id, _, _)| *id == field_id) {
            return Err(invalid_input(format!(
                "`{field}.fieldId`: the field {field_id} appears more than once."
            )));
        }
        parsed.push((field_id, value, field));
    }

    require_object(org, &object_type, &object_id)?;
    let mut resolved = Vec::new();
    for (field_id, value, field) in &parsed {
        let def = resolve_field(&object_type, field_id, &format!("{field}.fieldId"))?;
        if !value.is_null() {
            check_field_value(def, value, &format!("{field}.fieldValue"))?;
        }
        resolved.push((def, *value));
    }
    for (def, value) in &resolved {
        apply_field_value(org, &object_id, def, value);
    }
    touch(org, &object_type, &object_id);
    Ok(Value::Array(
        resolved
            .iter()
            .map(|(def, value)| custom_field_value(def, value))
            .collect(),
    ))
}

fn custom_field_set_value(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let object_id = a.req("objectId", v_uuid)?;
    let object_type = a.req("objectType", |v, f| v_enum(v, f, OBJECT_TYPES))?;
    let field_id = a.req("fieldId", v_uuid)?;
    let Some(value) = a.map.get("fieldValue") else {
        return Err(invalid_input(
            "`fieldValue` is required (use null to clear the field).".to_owned(),
        ));
    };
    require_object(org, &object_type, &object_id)?;
    let def = resolve_field(&object_type, &field_id, "fieldId")?;
    if !value.is_null() {
        check_field_value(def, value, "fieldValue")?;
    }
    apply_field_value(org, &object_id, def, value);
    touch(org, &object_type, &object_id);
    Ok(custom_field_value(def, value))
}
