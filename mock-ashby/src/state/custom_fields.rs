//! The custom fields the mock organisation defines, and how their values are rendered.

use serde_json::{Value, json};

use crate::fixtures;

/// A custom field of the mock organisation.
pub(crate) struct CustomFieldDef {
    /// Its id.
    pub(crate) id: &'static str,
    /// Its title.
    pub(crate) title: &'static str,
    /// The object type it applies to: `Candidate`, `Application`, `Job` or `Opening`.
    pub(crate) object_type: &'static str,
    /// Its type, e.g. `Number`, `ValueSelect`.
    pub(crate) field_type: &'static str,
    /// The option values of a select field.
    pub(crate) options: &'static [&'static str],
}

/// The seeded custom fields.
pub(crate) const CUSTOM_FIELDS: &[CustomFieldDef] = &[
    CustomFieldDef {
        id: fixtures::NOTICE_PERIOD_FIELD_ID,
        title: "Notice period (days)",
        object_type: "Candidate",
        field_type: "Number",
        options: &[],
    },
    CustomFieldDef {
        id: fixtures::RELOCATION_FIELD_ID,
        title: "Relocation",
        object_type: "Candidate",
        field_type: "Boolean",
        options: &[],
    },
    CustomFieldDef {
        id: fixtures::SENIORITY_FIELD_ID,
        title: "Seniority",
        object_type: "Application",
        field_type: "ValueSelect",
        options: &fixtures::SENIORITY_OPTIONS,
    },
    CustomFieldDef {
        id: fixtures::START_AVAILABILITY_FIELD_ID,
        title: "Start availability",
        object_type: "Application",
        field_type: "Date",
        options: &[],
    },
    CustomFieldDef {
        id: fixtures::TEAM_SIZE_FIELD_ID,
        title: "Team size",
        object_type: "Job",
        field_type: "Number",
        options: &[],
    },
    CustomFieldDef {
        id: fixtures::BUDGET_FIELD_ID,
        title: "Budget",
        object_type: "Opening",
        field_type: "Currency",
        options: &[],
    },
];

/// A field's value as Ashby renders it in `customFields`.
pub(crate) fn custom_field_value(def: &CustomFieldDef, value: &Value) -> Value {
    let mut out = json!({
        "id": def.id,
        "isPrivate": false,
        "title": def.title,
        "value": value,
    });
    if matches!(def.field_type, "ValueSelect" | "MultiValueSelect") && !value.is_null() {
        // Option labels equal their values in the seeded fields.
        out["valueLabel"] = value.clone();
    }
    out
}
