//! A template field's type as JSON Schema (draft 2020-12), for the
//! catalog `describe` returns: `type`, `format`, `enum`, `items`,
//! `properties` and `required`, as the field grammar in [`crate::schema`]
//! defines them.

use crate::schema::{FieldMap, FieldType};
use serde_json::{Map, Value, json};

/// The JSON Schema of one field type.
pub fn schema_of(t: &FieldType) -> Value {
    match t {
        FieldType::String => json!({"type": "string"}),
        FieldType::Uuid => json!({"type": "string", "format": "uuid"}),
        FieldType::Email => json!({"type": "string", "format": "email"}),
        FieldType::Url => json!({"type": "string", "format": "uri"}),
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::DateTime => json!({"type": "string", "format": "date-time"}),
        FieldType::Boolean => json!({"type": "boolean"}),
        FieldType::Integer => json!({"type": "integer"}),
        FieldType::Number => json!({"type": "number"}),
        FieldType::Object => json!({"type": "object"}),
        FieldType::Any => json!({}),
        FieldType::Enum(values) => json!({"type": "string", "enum": values}),
        FieldType::Array { items, min_items } => {
            let mut s = json!({"type": "array", "items": schema_of(items)});
            if let (Some(n), Some(obj)) = (min_items, s.as_object_mut()) {
                obj.insert("minItems".into(), json!(n));
            }
            s
        }
        FieldType::Struct { fields, required } => json!({
            "type": "object",
            "properties": properties(fields),
            "required": required,
        }),
        FieldType::AnyOf(types) => {
            json!({"anyOf": types.iter().map(schema_of).collect::<Vec<_>>()})
        }
        FieldType::Nullable(inner) => json!({"anyOf": [{"type": "null"}, schema_of(inner)]}),
    }
}

/// `properties` for a field map, in its order.
pub fn properties(fields: &FieldMap) -> Map<String, Value> {
    fields
        .0
        .iter()
        .map(|(name, t)| (name.clone(), schema_of(t)))
        .collect()
}
