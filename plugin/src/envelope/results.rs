//! Ashby's `results`, kept as the JSON text it arrived as.
//!
//! A create answers with the whole object it made, and a single-step record
//! needs only its id: the id is read with one pass that allocates nothing
//! but the id, and the whole value is parsed only when a caller asks for it
//! (a later step's fill, a lookup's matches, the response webhook).

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

/// `results` as it arrived; null when the envelope had none.
#[derive(Debug, Clone, Default)]
pub struct Results(Option<Box<RawValue>>);

impl Results {
    /// Keeps `raw` (its text is valid JSON: the parser checked it).
    pub(super) fn from_raw(raw: Option<&RawValue>) -> Results {
        Results(raw.map(RawValue::to_owned))
    }

    /// `results` of a value (tests and callers that built one).
    pub fn from_value(v: &Value) -> Results {
        match v {
            Value::Null => Results(None),
            v => Results(serde_json::value::to_raw_value(v).ok()),
        }
    }

    /// The JSON text, `null` when absent.
    pub fn text(&self) -> &str {
        self.0.as_deref().map_or("null", RawValue::get)
    }

    /// The whole value (null when absent).
    pub fn value(&self) -> Value {
        self.0
            .as_deref()
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// The string under `key`, when `results` is an object that has one
    /// (the last, if the key is repeated).
    pub fn id_under(&self, key: &str) -> Option<String> {
        let raw = self.0.as_deref()?;
        let mut de = serde_json::Deserializer::from_str(raw.get());
        IdOf(key).deserialize(&mut de).ok().flatten()
    }
}

impl PartialEq for Results {
    fn eq(&self, other: &Results) -> bool {
        self.value() == other.value()
    }
}

/// Finds the string under one key of an object, skipping everything else.
struct IdOf<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for IdOf<'_> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdOf<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_key) = map.next_key_seed(KeyIs(self.0))? {
            if is_key {
                found = match map.next_value::<Value>()? {
                    Value::String(s) => Some(s),
                    _ => None,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Whether a key is the one looked for.
struct KeyIs<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, k: &str) -> Result<bool, E> {
        Ok(k == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(text: &str) -> Results {
        Results(Some(RawValue::from_string(text.to_owned()).unwrap()))
    }

    #[test]
    fn the_id_is_read_without_parsing_the_rest() {
        let r = of(r#"{"name":{"a":[1,2,{"id":"no"}]},"id":"c1","x":null}"#);
        assert_eq!(r.id_under("id").as_deref(), Some("c1"));
        assert_eq!(r.id_under("name"), None, "not a string");
        assert_eq!(r.id_under("missing"), None);
        assert_eq!(of(r#"[{"id":"x"}]"#).id_under("id"), None, "not an object");
        assert_eq!(of(r#"{"id":5}"#).id_under("id"), None);
        assert_eq!(
            of(r#"{"i\u0064":"esc"}"#).id_under("id").as_deref(),
            Some("esc")
        );
        assert_eq!(
            of(r#"{"id":"a","id":"b"}"#).id_under("id").as_deref(),
            Some("b")
        );
        assert_eq!(Results::default().id_under("id"), None);
    }

    #[test]
    fn the_value_is_parsed_on_demand_and_compared_by_value() {
        let r = of(r#"{ "id" : "c1" }"#);
        assert_eq!(r.value(), json!({"id": "c1"}));
        assert_eq!(r, Results::from_value(&json!({"id": "c1"})));
        assert_eq!(Results::default().value(), Value::Null);
        assert_eq!(Results::from_value(&Value::Null).text(), "null");
    }
}
