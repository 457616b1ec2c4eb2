//! The field-type grammar of `templates.json` and value validation.
//!
//! A type is either a name (`"string"`, `"uuid"`, `"email"`, `"url"`,
//! `"date"`, `"date-time"`, `"boolean"`, `"integer"`, `"number"`,
//! `"object"`, `"any"`) or an object with exactly one of the keys `enum`,
//! `array` (with optional `min_items`), `object` (with optional `required`),
//! `any_of` or `nullable`. Every validator is written by hand.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt::Write as _;

mod formats;

pub use formats::{is_date, is_date_time, is_email, is_http_url, is_uuid};

/// The type of one template field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub enum FieldType {
    /// Any JSON string.
    String,
    /// A UUID string, `8-4-4-4-12` hex digits.
    Uuid,
    /// An email address.
    Email,
    /// An absolute `http`/`https` URL.
    Url,
    /// A calendar date `YYYY-MM-DD` that exists.
    Date,
    /// An RFC 3339 / ISO 8601 date-time with a time and an offset or `Z`.
    DateTime,
    /// `true` or `false`.
    Boolean,
    /// A JSON number without a fractional part.
    Integer,
    /// Any JSON number.
    Number,
    /// Any JSON object.
    Object,
    /// Any JSON value, `null` included.
    Any,
    /// One of these strings.
    Enum(Vec<String>),
    /// An array whose items all have one type.
    Array {
        /// The type of every item.
        items: Box<FieldType>,
        /// The least number of items, if any.
        min_items: Option<u64>,
    },
    /// An object with known keys (unknown nested keys are allowed).
    Struct {
        /// The known keys and their types, in order.
        fields: FieldMap,
        /// The keys that must be present.
        required: Vec<String>,
    },
    /// A value matching at least one of these types.
    AnyOf(Vec<FieldType>),
    /// `null` or a value of the inner type.
    Nullable(Box<FieldType>),
}

/// An ordered map from field names to their types, as written in
/// `templates.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct FieldMap(pub Vec<(String, FieldType)>);

impl FieldMap {
    /// The type of a field, if the map knows it.
    pub fn get(&self, name: &str) -> Option<&FieldType> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// Whether the map knows this field.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The field names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Map<String, Value>> for FieldMap {
    type Error = String;

    fn try_from(map: Map<String, Value>) -> Result<Self, String> {
        let mut out = Vec::with_capacity(map.len());
        for (name, ty) in map {
            let ty = FieldType::parse(&ty).map_err(|e| format!("field \"{name}\": {e}"))?;
            out.push((name, ty));
        }
        Ok(Self(out))
    }
}

impl From<FieldMap> for Map<String, Value> {
    fn from(map: FieldMap) -> Self {
        map.0.into_iter().map(|(n, t)| (n, t.to_value())).collect()
    }
}

impl TryFrom<Value> for FieldType {
    type Error = String;

    fn try_from(v: Value) -> Result<Self, String> {
        Self::parse(&v)
    }
}

impl From<FieldType> for Value {
    fn from(t: FieldType) -> Self {
        t.to_value()
    }
}

/// The keys a type object may have besides its one kind key.
const TYPE_KINDS: [&str; 5] = ["enum", "array", "object", "any_of", "nullable"];

impl FieldType {
    /// Parses a type as written in `templates.json`.
    pub fn parse(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(name) => Self::parse_name(name),
            Value::Object(obj) => Self::parse_object(obj),
            other => Err(format!(
                "a type must be a name or an object, got {}",
                render(other)
            )),
        }
    }

    fn parse_name(name: &str) -> Result<Self, String> {
        Ok(match name {
            "string" => Self::String,
            "uuid" => Self::Uuid,
            "email" => Self::Email,
            "url" => Self::Url,
            "date" => Self::Date,
            "date-time" => Self::DateTime,
            "boolean" => Self::Boolean,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "object" => Self::Object,
            "any" => Self::Any,
            other => return Err(format!("unknown type name \"{other}\"")),
        })
    }

    fn parse_object(obj: &Map<String, Value>) -> Result<Self, String> {
        let kinds: Vec<&str> = TYPE_KINDS
            .iter()
            .copied()
            .filter(|k| obj.contains_key(*k))
            .collect();
        let kind = match kinds.as_slice() {
            [one] => *one,
            [] => {
                return Err(format!(
                    "a type object needs one of the keys {}",
                    TYPE_KINDS.join(", ")
                ));
            }
            _ => {
                return Err(format!(
                    "a type object has several kinds: {}",
                    kinds.join(", ")
                ));
            }
        };
        let allowed: &[&str] = match kind {
            "array" => &["array", "min_items"],
            "object" => &["object", "required"],
            _ => &[],
        };
        if let Some(extra) = obj
            .keys()
            .find(|k| *k != kind && !allowed.contains(&k.as_str()))
        {
            return Err(format!("unexpected key \"{extra}\" in a {kind} type"));
        }
        let body = obj.get(kind).unwrap_or(&Value::Null);
        match kind {
            "enum" => Self::parse_enum(body),
            "array" => Self::parse_array(body, obj.get("min_items")),
            "object" => Self::parse_struct(body, obj.get("required")),
            "any_of" => Self::parse_any_of(body),
            _ => Ok(Self::Nullable(Box::new(Self::parse(body)?))),
        }
    }

    fn parse_enum(body: &Value) -> Result<Self, String> {
        let items = body
            .as_array()
            .ok_or("\"enum\" must be an array of strings")?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let s = item
                .as_str()
                .ok_or("\"enum\" must be an array of strings")?;
            out.push(s.to_owned());
        }
        if out.is_empty() {
            return Err("\"enum\" must list at least one value".into());
        }
        Ok(Self::Enum(out))
    }

    fn parse_array(body: &Value, min_items: Option<&Value>) -> Result<Self, String> {
        let items = Box::new(Self::parse(body)?);
        let min_items = match min_items {
            None => None,
            Some(n) => Some(n.as_u64().ok_or("\"min_items\" must be a whole number")?),
        };
        Ok(Self::Array { items, min_items })
    }

    fn parse_struct(body: &Value, required: Option<&Value>) -> Result<Self, String> {
        let map = body
            .as_object()
            .ok_or("\"object\" must map key names to types")?;
        let fields = FieldMap::try_from(map.clone())?;
        let names = match required {
            None => Vec::new(),
            Some(r) => r
                .as_array()
                .ok_or("\"required\" must be an array of names")?
                .iter()
                .map(|n| n.as_str().ok_or("\"required\" must be an array of names"))
                .collect::<Result<Vec<_>, _>>()?,
        };
        if let Some(name) = names.iter().find(|n| !fields.contains(n)) {
            return Err(format!(
                "required key \"{name}\" is not among the object's keys"
            ));
        }
        let required = names.into_iter().map(str::to_owned).collect();
        Ok(Self::Struct { fields, required })
    }

    fn parse_any_of(body: &Value) -> Result<Self, String> {
        let alts = body
            .as_array()
            .ok_or("\"any_of\" must be an array of types")?;
        if alts.is_empty() {
            return Err("\"any_of\" must list at least one type".into());
        }
        let alts = alts
            .iter()
            .map(Self::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::AnyOf(alts))
    }

    /// The type written back in the `templates.json` form.
    pub fn to_value(&self) -> Value {
        let name = |s: &str| Value::String(s.to_owned());
        match self {
            Self::String => name("string"),
            Self::Uuid => name("uuid"),
            Self::Email => name("email"),
            Self::Url => name("url"),
            Self::Date => name("date"),
            Self::DateTime => name("date-time"),
            Self::Boolean => name("boolean"),
            Self::Integer => name("integer"),
            Self::Number => name("number"),
            Self::Object => name("object"),
            Self::Any => name("any"),
            Self::Enum(values) => {
                let mut m = Map::new();
                m.insert(
                    "enum".into(),
                    Value::Array(values.iter().cloned().map(Value::String).collect()),
                );
                Value::Object(m)
            }
            Self::Array { items, min_items } => {
                let mut m = Map::new();
                m.insert("array".into(), items.to_value());
                if let Some(n) = min_items {
                    m.insert("min_items".into(), Value::from(*n));
                }
                Value::Object(m)
            }
            Self::Struct { fields, required } => {
                let mut m = Map::new();
                m.insert("object".into(), Value::Object(fields.clone().into()));
                if !required.is_empty() {
                    m.insert(
                        "required".into(),
                        Value::Array(required.iter().cloned().map(Value::String).collect()),
                    );
                }
                Value::Object(m)
            }
            Self::AnyOf(alts) => {
                let mut m = Map::new();
                m.insert(
                    "any_of".into(),
                    Value::Array(alts.iter().map(Self::to_value).collect()),
                );
                Value::Object(m)
            }
            Self::Nullable(inner) => {
                let mut m = Map::new();
                m.insert("nullable".into(), inner.to_value());
                Value::Object(m)
            }
        }
    }

    /// Whether `null` is an acceptable value of this type.
    pub fn accepts_null(&self) -> bool {
        match self {
            Self::Any | Self::Nullable(_) => true,
            Self::AnyOf(alts) => alts.iter().any(Self::accepts_null),
            _ => false,
        }
    }

    /// The type in words, e.g. `an email address` or `an array of UUIDs`.
    pub fn describe(&self) -> String {
        match self {
            Self::String => "a string".into(),
            Self::Uuid => "a UUID".into(),
            Self::Email => "an email address".into(),
            Self::Url => "an http(s) URL".into(),
            Self::Date => "a date (YYYY-MM-DD)".into(),
            Self::DateTime => "a date-time with a time zone (e.g. 2024-05-01T09:30:00Z)".into(),
            Self::Boolean => "true or false".into(),
            Self::Integer => "an integer".into(),
            Self::Number => "a number".into(),
            Self::Object | Self::Struct { .. } => "an object".into(),
            Self::Any => "any value".into(),
            Self::Enum(values) => {
                let mut s = String::from("one of ");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "\"{v}\"");
                }
                s
            }
            Self::Array { items, min_items } => {
                let mut s = format!("an array of {}", items.describe_plural());
                match min_items {
                    Some(1) => s.push_str(" with at least 1 item"),
                    Some(n) if *n > 1 => {
                        let _ = write!(s, " with at least {n} items");
                    }
                    _ => {}
                }
                s
            }
            Self::AnyOf(alts) => alts
                .iter()
                .map(Self::describe)
                .collect::<Vec<_>>()
                .join(" or "),
            Self::Nullable(inner) => format!("{} or null", inner.describe()),
        }
    }

    fn describe_plural(&self) -> String {
        match self {
            Self::String => "strings".into(),
            Self::Uuid => "UUIDs".into(),
            Self::Email => "email addresses".into(),
            Self::Url => "http(s) URLs".into(),
            Self::Date => "dates (YYYY-MM-DD)".into(),
            Self::DateTime => "date-times".into(),
            Self::Boolean => "booleans".into(),
            Self::Integer => "integers".into(),
            Self::Number => "numbers".into(),
            Self::Object | Self::Struct { .. } => "objects".into(),
            Self::Any => "values".into(),
            Self::Enum(_) | Self::Array { .. } | Self::AnyOf(_) | Self::Nullable(_) => {
                format!("items that are each {}", self.describe())
            }
        }
    }

    /// Validates `value` against this type. `path` names the value in the
    /// error (`email`, `values[0].fieldId`).
    pub fn validate(&self, value: &Value, path: &str) -> Result<(), FieldError> {
        let ok = match self {
            Self::String => value.is_string(),
            Self::Uuid => value.as_str().is_some_and(is_uuid),
            Self::Email => value.as_str().is_some_and(is_email),
            Self::Url => value.as_str().is_some_and(is_http_url),
            Self::Date => value.as_str().is_some_and(is_date),
            Self::DateTime => value.as_str().is_some_and(is_date_time),
            Self::Boolean => value.is_boolean(),
            Self::Integer => is_integer(value),
            Self::Number => value.is_number(),
            Self::Object => value.is_object(),
            Self::Any => true,
            Self::Enum(values) => value
                .as_str()
                .is_some_and(|s| values.iter().any(|v| v == s)),
            Self::Array { items, min_items } => {
                return self.validate_array(items, *min_items, value, path);
            }
            Self::Struct { fields, required } => {
                return self.validate_struct(fields, required, value, path);
            }
            Self::AnyOf(alts) => alts.iter().any(|t| t.validate(value, path).is_ok()),
            Self::Nullable(inner) => {
                if value.is_null() {
                    true
                } else {
                    return inner.validate(value, path).map_err(|mut e| {
                        if e.path == path {
                            e.expected = self.describe();
                        }
                        e
                    });
                }
            }
        };
        if ok {
            Ok(())
        } else {
            Err(self.wrong(value, path))
        }
    }
}

impl FieldType {
    fn wrong(&self, value: &Value, path: &str) -> FieldError {
        FieldError {
            path: path.to_owned(),
            expected: self.describe(),
            got: render(value),
        }
    }

    fn validate_array(
        &self,
        items: &FieldType,
        min_items: Option<u64>,
        value: &Value,
        path: &str,
    ) -> Result<(), FieldError> {
        let Some(arr) = value.as_array() else {
            return Err(self.wrong(value, path));
        };
        if min_items.is_some_and(|min| (arr.len() as u64) < min) {
            return Err(self.wrong(value, path));
        }
        for (i, item) in arr.iter().enumerate() {
            items.validate(item, &format!("{path}[{i}]"))?;
        }
        Ok(())
    }

    /// Checks an object with known keys: every required key present, every
    /// known key of its type. A `null` under an optional key counts as
    /// absent (a null in an optional field never rejects a record).
    fn validate_struct(
        &self,
        fields: &FieldMap,
        required: &[String],
        value: &Value,
        path: &str,
    ) -> Result<(), FieldError> {
        let Some(obj) = value.as_object() else {
            return Err(self.wrong(value, path));
        };
        if let Some(name) = required.iter().find(|n| !obj.contains_key(*n)) {
            return Err(FieldError {
                path: format!("{path}.{name}"),
                expected: fields
                    .get(name)
                    .map_or_else(|| "a value".into(), Self::describe),
                got: "nothing (the key is required)".into(),
            });
        }
        for (name, v) in obj {
            if v.is_null() && !required.contains(name) {
                continue;
            }
            if let Some(ty) = fields.get(name) {
                ty.validate(v, &format!("{path}.{name}"))?;
            }
        }
        Ok(())
    }
}

/// Why a value does not match its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The path of the offending value, e.g. `values[0].fieldId`.
    pub path: String,
    /// The expected type in words.
    pub expected: String,
    /// A short rendering of the value found.
    pub got: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "field \"{}\": expected {}, got {}",
            self.path, self.expected, self.got
        )
    }
}

/// The longest rendering of a value in a message, in characters.
const RENDER_MAX: usize = 60;

/// A short rendering of a JSON value for messages: compact JSON, cut at
/// 60 characters with an ellipsis.
pub fn render(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| String::from("?"));
    truncate(&s, RENDER_MAX)
}

/// Cuts `s` to at most `max` characters, marking a cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((at, _)) => {
            let mut out = s.get(..at).unwrap_or_default().to_owned();
            out.push('…');
            out
        }
    }
}

fn is_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
