//! The config's JSON Schema (draft 2020-12) that `describe` returns, with
//! UI hints. It says what `configure` accepts, key by key (types, fixed
//! choices as `oneOf` of `const`s, the url and headers grammars as
//! patterns) and across keys (`template` or `url`; side effects need
//! `confirm_side_effects`; dedupe only with create-candidate; what batching
//! does not combine with). Two checks stay `configure`'s alone: a header
//! given twice, and two `rename` entries with the same target.

use super::fields::schema_of;
use crate::ashby::{API_HOST, CANDIDATE_CREATE};
use crate::config::{KEYS, MAX_BATCH_SIZE, RESERVED_HEADERS};
use crate::templates::Template;
use serde_json::{Map, Value, json};

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "urn:connector:destination:ashby:config";

/// The config schema for a catalog.
pub fn config_schema(templates: &[Template]) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Ashby destination",
        "description": "Where each record goes in Ashby and how it is shaped. The Ashby API key is not part of this config: the host holds it (see x-ui.credential).",
        "type": "object",
        "additionalProperties": false,
        "properties": properties(templates),
        "anyOf": [
            {"required": ["template"]},
            {"required": ["url"]}
        ],
        "allOf": rules(templates),
        "x-ui": ui(),
    })
}

fn properties(templates: &[Template]) -> Map<String, Value> {
    let choice = |options: &[(&str, &str)]| -> Vec<Value> {
        options
            .iter()
            .map(|(v, title)| json!({"const": v, "title": title}))
            .collect()
    };
    let template_choices: Vec<Value> = templates
        .iter()
        .map(|t| json!({"const": t.id, "title": t.name, "description": t.description}))
        .collect();
    let mut p = Map::new();
    let mut put = |k: &str, v: Value| p.insert(k.to_owned(), v);
    put(
        "template",
        json!({"title": "Endpoint", "description": "The endpoint template: which Ashby calls each record makes, with its fields validated before sending.", "oneOf": template_choices}),
    );
    put(
        "url",
        json!({"title": "URL", "description": "Manual mode instead of a template: the Ashby endpoint URL, https://api.ashbyhq.com/<category>.<method>. Records are sent as they are.", "type": "string", "pattern": url_pattern(None), "examples": ["https://api.ashbyhq.com/candidate.addTag"]}),
    );
    put(
        "method",
        json!({"title": "Method", "description": "The HTTP method; every Ashby endpoint is POST.", "type": "string", "pattern": "^[Pp][Oo][Ss][Tt]$", "default": "POST"}),
    );
    put(
        "headers",
        json!({"title": "Headers", "description": "Extra request headers as name:value pairs separated by commas. Headers the host owns (authorization, host, cookie, content-*, proxy-*, ...) are refused.", "type": "string", "pattern": headers_pattern(), "examples": ["x-request-source:nightly-sync"]}),
    );
    put(
        "exclude",
        json!({"title": "Exclude attributes", "description": "Record attributes removed before anything else.", "type": "array", "items": {"type": "string"}}),
    );
    put(
        "rename",
        json!({"title": "Rename", "description": "Upstream attribute name to the Ashby field name, applied after exclude; two names may not map to the same field.", "type": "object", "additionalProperties": {"type": "string", "minLength": 1}}),
    );
    put(
        "defaults",
        json!({"title": "Defaults", "description": "Field values set when a record lacks the field (applied after rename).", "type": "object", "additionalProperties": {"not": {"type": "null"}}}),
    );
    put(
        "unknown_fields",
        json!({"title": "Unknown fields", "description": "What happens to a record field no call of the template takes; it is reported in every mode. Template mode only.", "oneOf": choice(&[("send", "Send them (default)"), ("drop", "Leave them out"), ("reject", "Reject the record")]), "default": "send"}),
    );
    put(
        "nulls",
        json!({"title": "Null values", "description": "Whether a null field is an absent field or is sent as null.", "oneOf": choice(&[("omit", "Omit them (default)"), ("send", "Send them as null")]), "default": "omit"}),
    );
    put(
        "response_webhook",
        json!({"title": "Response webhook", "description": "Publish one record per API exchange (ids, errors) for a downstream flow.", "type": "boolean", "default": false}),
    );
    put(
        "confirm_side_effects",
        json!({"title": "Confirm side effects", "description": "Must be true for a template with side effects in Ashby beyond the record written (notifications, approvals).", "type": "boolean"}),
    );
    put("batch", batch_schema());
    put(
        "dedupe_by_email",
        json!({"title": "Look up by email first", "description": "create-candidate only: search the email first; one match is not created again.", "type": "boolean", "default": false}),
    );
    put(
        "on_existing",
        json!({"title": "When the candidate exists", "description": "Only with dedupe_by_email.", "oneOf": choice(&[("skip", "Skip it (default)"), ("update", "Update it")]), "default": "skip"}),
    );
    put(
        "retry_ambiguous",
        json!({"title": "Re-send a create whose answer was lost", "description": "When a create timed out or its connection failed after sending and it cannot be looked up: send it again anyway (it may create a duplicate) instead of dead-lettering it.", "type": "boolean", "default": false}),
    );
    p
}

fn batch_schema() -> Value {
    json!({
        "title": "Batching",
        "description": "Off by default: Ashby takes one object per call; only customField.setValues merges records.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "enabled": {"title": "Enabled", "type": "boolean", "default": false},
            "size": {"title": "Batch size", "type": "integer", "minimum": 1, "maximum": MAX_BATCH_SIZE, "default": crate::config::DEFAULT_BATCH_SIZE},
            "grouping": {"title": "Grouping", "oneOf": [
                {"const": "sequential", "title": "In input order"},
                {"title": "By a field's value", "type": "object", "additionalProperties": false,
                 "required": ["by_field"], "properties": {"by_field": {"type": "string", "minLength": 1}}}
            ]}
        }
    })
}

/// The cross-key rules.
fn rules(templates: &[Template]) -> Vec<Value> {
    let is_true = |key: &str| json!({"required": [key], "properties": {key: {"const": true}}});
    let batching = json!({"required": ["batch"], "properties": {"batch": is_true("enabled")}});
    let mut out = vec![
        json!({"if": is_true("dedupe_by_email"), "then": {"required": ["template"], "properties": {"template": {"const": template_of(templates, CANDIDATE_CREATE)}}}}),
        json!({"if": {"required": ["on_existing"]}, "then": is_true("dedupe_by_email")}),
        json!({"not": {"allOf": [is_true("dedupe_by_email"), batching.clone()]}}),
        json!({"if": {"required": ["unknown_fields"], "properties": {"unknown_fields": {"enum": ["drop", "reject"]}}}, "then": {"required": ["template"]}}),
    ];
    for t in templates {
        let chosen = json!({"required": ["template"], "properties": {"template": {"const": t.id}}});
        let by_url = json!({"required": ["url"], "properties": {"url": {"pattern": url_pattern(Some(&t.endpoint))}}});
        out.push(json!({"if": {"allOf": [chosen.clone(), {"required": ["url"]}]}, "then": by_url.clone()}));
        out.push(json!({"if": chosen.clone(), "then": {"properties": {"defaults": {"properties": defaults_of(t)}}}}));
        if t.side_effects {
            let confirmed = is_true("confirm_side_effects");
            out.push(json!({"if": chosen.clone(), "then": confirmed.clone()}));
            out.push(json!({"if": by_url, "then": confirmed}));
        }
        if t.steps.len() > 1 {
            out.push(json!({"if": chosen, "then": {"not": batching.clone()}}));
        }
    }
    out
}

fn template_of(templates: &[Template], endpoint: &str) -> String {
    templates
        .iter()
        .find(|t| t.endpoint == endpoint)
        .map_or_else(String::new, |t| t.id.clone())
}

/// The types a template's defaults must have: its record fields, and its
/// aliases (a wrapping alias takes one item of the target's array).
fn defaults_of(t: &Template) -> Map<String, Value> {
    let mut m: Map<String, Value> = t
        .fields
        .0
        .iter()
        .map(|(name, ty)| (name.clone(), schema_of(ty)))
        .collect();
    for a in &t.aliases {
        let Some(target) = t.fields.get(&a.to) else {
            continue;
        };
        let ty = match (a.wrap, target) {
            (Some(_), crate::schema::FieldType::Array { items, .. }) => schema_of(items),
            _ => schema_of(target),
        };
        m.insert(a.from.clone(), ty);
    }
    m
}

/// Each ASCII letter of `s` as a case-insensitive class, other characters
/// escaped for a regular expression.
fn any_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else if c.is_ascii_alphanumeric() || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// The manual url: `https://api.ashbyhq.com/<category>.<method>` (scheme
/// and host in any case), or exactly `endpoint` when given.
fn url_pattern(endpoint: Option<&str>) -> String {
    let path = match endpoint {
        Some(e) => e.replace('.', "\\."),
        None => "/[A-Za-z][A-Za-z0-9]*\\.[A-Za-z][A-Za-z0-9]*".to_owned(),
    };
    format!("^{}://{}{path}$", any_case("https"), any_case(API_HOST))
}

/// `name:value` pairs separated by commas, or blank: a name is an HTTP
/// token and not reserved, a value has no control character but tab.
fn headers_pattern() -> String {
    const TCHAR: &str = "[!#$%&'*+.^_`|~0-9A-Za-z-]";
    let reserved: Vec<String> = RESERVED_HEADERS
        .iter()
        .map(|h| match h.strip_suffix('*') {
            Some(prefix) => format!("{}{TCHAR}*", any_case(prefix)),
            None => any_case(h),
        })
        .collect();
    let pair = format!(
        "\\s*(?!(?:{})\\s*:){TCHAR}+\\s*:[^,\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f]*",
        reserved.join("|")
    );
    format!("^(?:\\s*|{pair}(?:,{pair})*)$")
}

fn ui() -> Value {
    json!({
        "order": KEYS,
        "groups": [
            {"id": "endpoint", "title": "Endpoint", "keys": ["template", "url", "method", "confirm_side_effects"]},
            {"id": "shape", "title": "Record shaping", "keys": ["exclude", "rename", "defaults", "unknown_fields", "nulls"]},
            {"id": "request", "title": "Request", "keys": ["headers", "batch", "dedupe_by_email", "on_existing", "retry_ambiguous"]},
            {"id": "responses", "title": "Responses", "keys": ["response_webhook"]}
        ],
        "help": {
            "template": "Pick an endpoint; its instructions are its description and notes in the catalog.",
            "url": "Leave empty when a template is chosen; with both, they must name the same endpoint.",
            "headers": "Example: x-request-source:nightly-sync",
            "defaults": "Checked against the template's field types.",
        },
        "secrets": [],
        "credential": {
            "title": "Ashby API key",
            "secret": true,
            "help": "Create a key in Ashby (Admin, API keys) with the permissions the template lists; the host stores it and sends it as HTTP Basic auth. It never enters this config or the component."
        }
    })
}
