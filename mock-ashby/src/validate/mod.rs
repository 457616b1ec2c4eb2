//! Validation helpers shared by every endpoint: the error type, field converters
//! (`v_*`, each naming the field in its message) and [`Args`], the reader of a JSON
//! object's fields. Formats (UUID, email, URL, dates) are in [`formats`].

pub(crate) mod formats;

use serde_json::{Map, Value};

use formats::{is_date, is_datetime, is_email, is_url, is_uuid};

/// A refusal of the request, answered as HTTP 200 with `success:false`.
pub(crate) struct ApiError {
    /// The envelope's error code, e.g. `invalid_input`.
    pub(crate) code: String,
    /// The human-readable message.
    pub(crate) message: String,
}

/// What endpoints and validators return.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// `invalid_input` with this message.
pub(crate) fn invalid_input(message: String) -> ApiError {
    ApiError {
        code: "invalid_input".to_owned(),
        message,
    }
}

/// `<kind>_not_found`, e.g. `candidate_not_found`.
pub(crate) fn not_found(kind: &str, id: &str) -> ApiError {
    let human = kind.replace('_', " ");
    let mut chars = human.chars();
    let capitalised = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default();
    ApiError {
        code: format!("{kind}_not_found"),
        message: format!(
            "{capitalised} not found: no {human} with id {id} exists, or the API key cannot see it."
        ),
    }
}

/// "a string", "an array"…: the JSON type of `value`, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(field: &str, expected: &str, value: &Value) -> ApiError {
    invalid_input(format!(
        "`{field}` must be {expected}, but {} was given.",
        json_type(value)
    ))
}

/// A string.
pub(crate) fn v_str(value: &Value, field: &str) -> ApiResult<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| wrong_type(field, "a string", value))
}

/// A string that is not blank.
pub(crate) fn v_nonempty(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if text.trim().is_empty() {
        return Err(invalid_input(format!("`{field}` must not be empty.")));
    }
    Ok(text)
}

/// A boolean.
pub(crate) fn v_bool(value: &Value, field: &str) -> ApiResult<bool> {
    value
        .as_bool()
        .ok_or_else(|| wrong_type(field, "a boolean", value))
}

/// A non-negative integer.
pub(crate) fn v_uint(value: &Value, field: &str) -> ApiResult<u64> {
    value
        .as_u64()
        .ok_or_else(|| wrong_type(field, "a non-negative integer", value))
}

/// An object.
pub(crate) fn v_object<'v>(value: &'v Value, field: &str) -> ApiResult<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(field, "an object", value))
}

/// An array.
pub(crate) fn v_array<'v>(value: &'v Value, field: &str) -> ApiResult<&'v Vec<Value>> {
    value
        .as_array()
        .ok_or_else(|| wrong_type(field, "an array", value))
}

/// A string in a format `fits` recognises, described as `what` in the error.
fn v_format(value: &Value, field: &str, fits: fn(&str) -> bool, what: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !fits(&text) {
        return Err(invalid_input(format!(
            "`{field}` must be {what}, got {text:?}."
        )));
    }
    Ok(text)
}

/// A UUID string.
pub(crate) fn v_uuid(value: &Value, field: &str) -> ApiResult<String> {
    v_format(value, field, is_uuid, "a UUID")
}

/// An email address.
pub(crate) fn v_email(value: &Value, field: &str) -> ApiResult<String> {
    v_format(value, field, is_email, "a valid email address")
}

/// An http(s) URL.
pub(crate) fn v_url(value: &Value, field: &str) -> ApiResult<String> {
    v_format(value, field, is_url, "a valid http(s) URL")
}

/// A calendar date `YYYY-MM-DD`.
pub(crate) fn v_date(value: &Value, field: &str) -> ApiResult<String> {
    v_format(value, field, is_date, "a date in YYYY-MM-DD format")
}

/// An ISO 8601 date-time with a time zone.
pub(crate) fn v_datetime(value: &Value, field: &str) -> ApiResult<String> {
    v_format(
        value,
        field,
        is_datetime,
        "an ISO 8601 date-time with a time zone (e.g. 2026-01-31T12:00:00Z)",
    )
}

/// One of the `allowed` strings.
pub(crate) fn v_enum(value: &Value, field: &str, allowed: &[&str]) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if !allowed.contains(&text.as_str()) {
        return Err(invalid_input(format!(
            "`{field}` must be one of {}, got {text:?}.",
            allowed
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(text)
}

/// An array of UUID strings.
pub(crate) fn v_uuid_list(value: &Value, field: &str) -> ApiResult<Vec<String>> {
    v_array(value, field)?
        .iter()
        .enumerate()
        .map(|(i, item)| v_uuid(item, &format!("{field}[{i}]")))
        .collect()
}

/// A JSON object being validated; `prefix` names nested objects in messages.
pub(crate) struct Args<'a> {
    /// The object's fields.
    pub(crate) map: &'a Map<String, Value>,
    prefix: String,
    /// The calling key's scopes, as `apiKey.info` reports them (root only).
    pub(crate) scopes: &'a [String],
}

impl<'a> Args<'a> {
    /// The request body of a call made with a key that has `scopes`.
    pub(crate) fn for_key(map: &'a Map<String, Value>, scopes: &'a [String]) -> Self {
        Self {
            map,
            prefix: String::new(),
            scopes,
        }
    }

    /// An object inside the body, named `prefix` in messages (e.g. `location`).
    pub(crate) fn nested(map: &'a Map<String, Value>, prefix: String) -> Self {
        Self {
            map,
            prefix,
            scopes: &[],
        }
    }

    /// The field's name in messages, with the prefix.
    pub(crate) fn name(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        }
    }

    /// The field's value; `null` counts as absent.
    fn raw(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    /// The field converted, or `None` when absent or `null`.
    pub(crate) fn opt<T>(
        &self,
        field: &str,
        convert: impl FnOnce(&'a Value, &str) -> ApiResult<T>,
    ) -> ApiResult<Option<T>> {
        match self.raw(field) {
            None => Ok(None),
            Some(value) => convert(value, &self.name(field)).map(Some),
        }
    }

    /// The field converted; `invalid_input` when absent or `null`.
    pub(crate) fn req<T>(
        &self,
        field: &str,
        convert: impl FnOnce(&'a Value, &str) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.opt(field, convert)?.ok_or_else(|| {
            invalid_input(format!(
                "`{}` is required but was missing.",
                self.name(field)
            ))
        })
    }

    /// `invalid_input` when the object has a key outside `fields` (for nested objects;
    /// the body's own keys are checked against the endpoint's declared fields).
    pub(crate) fn only(&self, fields: &[&str]) -> ApiResult<()> {
        match self.map.keys().find(|k| !fields.contains(&k.as_str())) {
            Some(extra) => Err(invalid_input(format!(
                "`{}` is not a field of `{}`; it takes {}.",
                self.name(extra),
                self.prefix,
                fields.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// An optional field holding one of the `allowed` strings.
    pub(crate) fn opt_enum(&self, field: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        self.opt(field, |v, f| v_enum(v, f, allowed))
    }
}
