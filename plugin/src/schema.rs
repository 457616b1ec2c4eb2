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
            "enum" => {
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
            "array" => {
                let items = Box::new(Self::parse(body)?);
                let min_items = match obj.get("min_items") {
                    None => None,
                    Some(n) => Some(n.as_u64().ok_or("\"min_items\" must be a whole number")?),
                };
                Ok(Self::Array { items, min_items })
            }
            "object" => {
                let map = body
                    .as_object()
                    .ok_or("\"object\" must map key names to types")?;
                let fields = FieldMap::try_from(map.clone())?;
                let required = match obj.get("required") {
                    None => Vec::new(),
                    Some(r) => {
                        let arr = r
                            .as_array()
                            .ok_or("\"required\" must be an array of names")?;
                        let mut out = Vec::with_capacity(arr.len());
                        for name in arr {
                            let name = name
                                .as_str()
                                .ok_or("\"required\" must be an array of names")?;
                            if !fields.contains(name) {
                                return Err(format!(
                                    "required key \"{name}\" is not among the object's keys"
                                ));
                            }
                            out.push(name.to_owned());
                        }
                        out
                    }
                };
                Ok(Self::Struct { fields, required })
            }
            "any_of" => {
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
            _ => Ok(Self::Nullable(Box::new(Self::parse(body)?))),
        }
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
        let wrong = || FieldError {
            path: path.to_owned(),
            expected: self.describe(),
            got: render(value),
        };
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
                let Some(arr) = value.as_array() else {
                    return Err(wrong());
                };
                if let Some(min) = min_items
                    && (arr.len() as u64) < *min
                {
                    return Err(wrong());
                }
                for (i, item) in arr.iter().enumerate() {
                    items.validate(item, &format!("{path}[{i}]"))?;
                }
                true
            }
            Self::Struct { fields, required } => {
                let Some(obj) = value.as_object() else {
                    return Err(wrong());
                };
                for name in required {
                    if !obj.contains_key(name) {
                        return Err(FieldError {
                            path: format!("{path}.{name}"),
                            expected: fields
                                .get(name)
                                .map_or_else(|| "a value".into(), Self::describe),
                            got: "nothing (the key is required)".into(),
                        });
                    }
                }
                for (name, v) in obj {
                    if let Some(ty) = fields.get(name) {
                        ty.validate(v, &format!("{path}.{name}"))?;
                    }
                }
                true
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
        if ok { Ok(()) } else { Err(wrong()) }
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

/// Whether `s` is a UUID: 32 hex digits in groups 8-4-4-4-12 (any case,
/// any version).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `s` looks like a deliverable email address: a local part of
/// printable characters without specials, `@`, and a domain of at least two
/// dot-separated labels (letters, digits, hyphens; non-ASCII allowed) with a
/// top-level label of two or more letters.
pub fn is_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"@\"(),:;<>[\\]".contains(c));
    local_ok && is_domain(domain, true)
}

/// Whether `s` is a DNS name: dot-separated labels of letters, digits and
/// inner hyphens (non-ASCII letters allowed). With `need_tld`, at least two
/// labels and an alphabetic last label of two or more characters.
fn is_domain(s: &str, need_tld: bool) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    let labels_ok = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if !labels_ok {
        return false;
    }
    if need_tld {
        let tld = labels.last().copied().unwrap_or_default();
        labels.len() >= 2 && tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)
    } else {
        true
    }
}

/// Whether `s` is an absolute `http` or `https` URL with a host: scheme
/// (any case), `://`, optional `user@`, a DNS name, `localhost`-style name,
/// IPv4 or bracketed IPv6 host, an optional numeric port, then an optional
/// path, query and fragment without spaces or control characters.
pub fn is_http_url(s: &str) -> bool {
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(after) = host_port.strip_prefix('[') {
        let Some((v6, tail)) = after.split_once(']') else {
            return false;
        };
        if v6.is_empty()
            || !v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match tail {
            "" => ("v6", None),
            t => match t.strip_prefix(':') {
                Some(p) => ("v6", Some(p)),
                None => return false,
            },
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && is_domain(host.trim_end_matches('.'), false)
}

/// Parses exactly `n` ASCII digits at the start of `s`.
fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = head.parse().ok()?;
    Some((value, s.get(n..)?))
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses `YYYY-MM-DD` at the start of `s`, checking the day exists, and
/// returns the rest.
fn parse_date(s: &str) -> Option<&str> {
    let (year, s) = digits(s, 4)?;
    let s = s.strip_prefix('-')?;
    let (month, s) = digits(s, 2)?;
    let s = s.strip_prefix('-')?;
    let (day, s) = digits(s, 2)?;
    (year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
        .then_some(s)
}

/// Whether `s` is a calendar date `YYYY-MM-DD` that exists (leap years
/// included).
pub fn is_date(s: &str) -> bool {
    parse_date(s) == Some("")
}

/// Whether `s` is a date-time: a date, `T` (or `t`), `HH:MM` with optional
/// `:SS` and fraction, then `Z` or an offset `±HH:MM` / `±HHMM`.
pub fn is_date_time(s: &str) -> bool {
    fn time(s: &str) -> Option<&str> {
        let (hour, s) = digits(s, 2)?;
        let s = s.strip_prefix(':')?;
        let (minute, mut s) = digits(s, 2)?;
        if hour > 23 || minute > 59 {
            return None;
        }
        if let Some(rest) = s.strip_prefix(':') {
            let (second, rest) = digits(rest, 2)?;
            if second > 60 {
                return None;
            }
            s = rest;
            if let Some(frac) = s.strip_prefix(['.', ',']) {
                let n = frac.bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 {
                    return None;
                }
                s = frac.get(n..)?;
            }
        }
        Some(s)
    }
    fn offset(s: &str) -> bool {
        if s == "Z" || s == "z" {
            return true;
        }
        let Some(rest) = s.strip_prefix(['+', '-']) else {
            return false;
        };
        let Some((hours, rest)) = digits(rest, 2) else {
            return false;
        };
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        matches!(digits(rest, 2), Some((minutes, "")) if hours <= 23 && minutes <= 59)
    }
    let Some(rest) = parse_date(s) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(['T', 't']) else {
        return false;
    };
    time(rest).is_some_and(offset)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn ty(v: Value) -> FieldType {
        FieldType::parse(&v).unwrap()
    }

    fn ok(t: &FieldType, v: Value) {
        assert!(t.validate(&v, "f").is_ok(), "{t:?} should accept {v}");
    }

    fn bad(t: &FieldType, v: Value) -> FieldError {
        t.validate(&v, "f")
            .expect_err(&format!("{t:?} should reject {v}"))
    }

    #[test]
    fn parses_every_name_and_round_trips() {
        for name in [
            "string",
            "uuid",
            "email",
            "url",
            "date",
            "date-time",
            "boolean",
            "integer",
            "number",
            "object",
            "any",
        ] {
            let t = ty(json!(name));
            assert_eq!(t.to_value(), json!(name));
        }
        let complex = json!({"array": {"object": {"a": "uuid", "b": {"nullable": {"enum": ["x"]}}}, "required": ["a"]}, "min_items": 1});
        assert_eq!(ty(complex.clone()).to_value(), complex);
        let any_of = json!({"any_of": ["uuid", {"enum": ["FirstPreInterviewScreen"]}]});
        assert_eq!(ty(any_of.clone()).to_value(), any_of);
    }

    #[test]
    fn refuses_bad_type_definitions() {
        for bad in [
            json!("strng"),
            json!(3),
            json!({}),
            json!({"enum": []}),
            json!({"enum": [1]}),
            json!({"array": "string", "max_items": 3}),
            json!({"array": "string", "min_items": -1}),
            json!({"enum": ["a"], "array": "string"}),
            json!({"object": {"a": "string"}, "required": ["b"]}),
            json!({"any_of": []}),
            json!({"nullable": "nope"}),
        ] {
            assert!(FieldType::parse(&bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn string_and_scalars() {
        let s = ty(json!("string"));
        ok(&s, json!(""));
        ok(&s, json!("Ada"));
        bad(&s, json!(1));
        bad(&s, json!(null));

        let b = ty(json!("boolean"));
        ok(&b, json!(true));
        ok(&b, json!(false));
        bad(&b, json!("true"));
        bad(&b, json!(0));

        let i = ty(json!("integer"));
        ok(&i, json!(0));
        ok(&i, json!(-7));
        ok(&i, json!(3.0));
        bad(&i, json!(1.5));
        bad(&i, json!("1"));

        let n = ty(json!("number"));
        ok(&n, json!(1.5));
        ok(&n, json!(-2));
        bad(&n, json!("1.5"));

        let o = ty(json!("object"));
        ok(&o, json!({}));
        ok(&o, json!({"a": 1}));
        bad(&o, json!([]));

        let a = ty(json!("any"));
        for v in [json!(null), json!(1), json!("x"), json!([]), json!({})] {
            ok(&a, v);
        }
    }

    #[test]
    fn uuid() {
        let t = ty(json!("uuid"));
        ok(&t, json!("3ae2b801-19f6-41ef-ad28-214bd731948f"));
        ok(&t, json!("3AE2B801-19F6-41EF-AD28-214BD731948F"));
        for v in [
            "3ae2b80119f641efad28214bd731948f",
            "3ae2b801-19f6-41ef-ad28-214bd731948",
            "3ae2b801-19f6-41ef-ad28-214bd731948fa",
            "3ae2b801-19f6-41ef-ad28_214bd731948f",
            "ge2b8010-19f6-41ef-ad28-214bd731948f",
            "",
        ] {
            bad(&t, json!(v));
        }
        bad(&t, json!(12));
    }

    #[test]
    fn email() {
        let t = ty(json!("email"));
        for v in [
            "bob@example.com",
            "a.b+tag@sub.example.co.uk",
            "o'neil@exämple.de",
        ] {
            ok(&t, json!(v));
        }
        for v in [
            "bob",
            "bob@",
            "@example.com",
            "bob@example",
            "bob@example.c",
            "bob@@example.com",
            "bob smith@example.com",
            "bob@exa mple.com",
            ".bob@example.com",
            "bo..b@example.com",
            "bob@-example.com",
            "bob@example..com",
            "bob@example.com\n",
            "bob@example.123",
        ] {
            bad(&t, json!(v));
        }
        let e = bad(&t, json!("bob"));
        assert_eq!(
            e.to_string(),
            "field \"f\": expected an email address, got \"bob\""
        );
    }

    #[test]
    fn url() {
        let t = ty(json!("url"));
        for v in [
            "https://linkedin.com/in/ada",
            "http://example.com",
            "HTTPS://Example.com:8443/a?b=c#d",
            "https://localhost/x",
            "https://[::1]:8080/",
            "https://user@example.com/",
        ] {
            ok(&t, json!(v));
        }
        for v in [
            "linkedin.com/in/ada",
            "ftp://example.com",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://example.com:port/",
            "https://example.com:/",
            "https://[zz]/",
            "javascript:alert(1)",
        ] {
            bad(&t, json!(v));
        }
    }

    #[test]
    fn date() {
        let t = ty(json!("date"));
        for v in ["2024-02-29", "2000-02-29", "2023-12-31", "0001-01-01"] {
            ok(&t, json!(v));
        }
        for v in [
            "2023-02-29",
            "1900-02-29",
            "2023-04-31",
            "2023-13-01",
            "2023-00-10",
            "2023-01-00",
            "0000-01-01",
            "2023-1-01",
            "2023/01/01",
            "2023-01-01T00:00:00Z",
            "20230101",
        ] {
            bad(&t, json!(v));
        }
    }

    #[test]
    fn date_time() {
        let t = ty(json!("date-time"));
        for v in [
            "2024-05-01T09:30:00Z",
            "2024-05-01T09:30:00.123Z",
            "2024-05-01T09:30:00+02:00",
            "2024-05-01T09:30:00-0530",
            "2024-05-01t09:30z",
            "2016-12-31T23:59:60Z",
        ] {
            ok(&t, json!(v));
        }
        for v in [
            "2024-05-01",
            "2024-05-01T09:30:00",
            "2024-05-01 09:30:00Z",
            "2024-02-30T09:30:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T09:60:00Z",
            "2024-05-01T09:30:00.Z",
            "2024-05-01T09:30:00+2",
            "2024-05-01T09:30:00+02:00x",
        ] {
            bad(&t, json!(v));
        }
    }

    #[test]
    fn enum_array_object_any_of_nullable() {
        let e = ty(json!({"enum": ["Draft", "Open"]}));
        ok(&e, json!("Draft"));
        bad(&e, json!("draft"));
        assert_eq!(e.describe(), "one of \"Draft\", \"Open\"");

        let a = ty(json!({"array": "uuid", "min_items": 1}));
        ok(&a, json!(["3ae2b801-19f6-41ef-ad28-214bd731948f"]));
        let err = bad(&a, json!([]));
        assert_eq!(err.path, "f");
        assert!(err.expected.contains("at least 1 item"));
        let err = bad(&a, json!(["3ae2b801-19f6-41ef-ad28-214bd731948f", "x"]));
        assert_eq!(err.path, "f[1]");
        bad(&a, json!("3ae2b801-19f6-41ef-ad28-214bd731948f"));

        let o = ty(
            json!({"object": {"fieldId": "uuid", "fieldValue": "any"}, "required": ["fieldId", "fieldValue"]}),
        );
        ok(
            &o,
            json!({"fieldId": "3ae2b801-19f6-41ef-ad28-214bd731948f", "fieldValue": null, "extra": 1}),
        );
        let err = bad(
            &o,
            json!({"fieldId": "3ae2b801-19f6-41ef-ad28-214bd731948f"}),
        );
        assert_eq!(err.path, "f.fieldValue");
        let err = bad(&o, json!({"fieldId": "nope", "fieldValue": 1}));
        assert_eq!(err.path, "f.fieldId");
        bad(&o, json!([]));

        let nested = ty(json!({"array": {"object": {"fieldId": "uuid"}}}));
        let err = nested
            .validate(&json!([{"fieldId": "x"}]), "values")
            .unwrap_err();
        assert_eq!(err.path, "values[0].fieldId");

        let any_of = ty(json!({"any_of": ["uuid", {"enum": ["FirstPreInterviewScreen"]}]}));
        ok(&any_of, json!("FirstPreInterviewScreen"));
        ok(&any_of, json!("3ae2b801-19f6-41ef-ad28-214bd731948f"));
        let err = bad(&any_of, json!("first"));
        assert_eq!(err.expected, "a UUID or one of \"FirstPreInterviewScreen\"");

        let n = ty(json!({"nullable": {"array": "uuid"}}));
        ok(&n, json!(null));
        ok(&n, json!([]));
        let err = bad(&n, json!("x"));
        assert_eq!(err.expected, "an array of UUIDs or null");
        assert!(n.accepts_null());
        assert!(!ty(json!("uuid")).accepts_null());
    }

    #[test]
    fn render_truncates() {
        let long = json!("x".repeat(100));
        let r = render(&long);
        assert_eq!(r.chars().count(), RENDER_MAX + 1);
        assert!(r.ends_with('…'));
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hé", 2), "hé");
    }
}
