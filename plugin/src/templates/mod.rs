//! The endpoint templates, embedded from the workspace's `templates.json`.
//!
//! A template is a sequence of steps, each one Ashby call: its endpoint and
//! permission, the body fields it takes from the record (types, required),
//! where each body field comes from (a record field, a constant, or an
//! earlier step's result), and when it runs (always, or when any of its
//! trigger fields is present). The file is parsed and checked once, on
//! first use. A template is pure data: adding a template or a step to
//! `templates.json` needs no Rust code. The types here are `Serialize` +
//! `Deserialize` so the host's `templates` command can use this crate as an
//! rlib and print them.

use crate::schema::FieldMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::OnceLock;

mod check;

pub use check::{is_endpoint_path, parse};

/// The embedded catalog text.
pub const TEMPLATES_JSON: &str = include_str!("../../../templates.json");

/// The catalog format version this crate reads (2: templates as steps).
pub const CATALOG_VERSION: u64 = 2;

/// The whole `templates.json` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The format version, [`CATALOG_VERSION`].
    pub version: u64,
    /// The templates, in file order.
    pub templates: Vec<Template>,
}

/// One endpoint template: what the file says, plus a few facts derived from
/// its steps when it is loaded (`endpoint`, `method`, `permission`,
/// `result_id`, `required`, `fields`). Unknown keys in the file (such as
/// `example`) are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TemplateFile", into = "TemplateFile")]
pub struct Template {
    /// Stable id used in configs, e.g. `create-candidate`.
    pub id: String,
    /// Human-readable name, e.g. `Create Candidate`.
    pub name: String,
    /// What the template does, for people.
    pub description: String,
    /// Whether a call has effects beyond the object written (notifications,
    /// approvals); such a template needs `"confirm_side_effects": true`.
    pub side_effects: bool,
    /// Upstream field names that are moved to the record names the steps
    /// take, before anything else is checked.
    pub aliases: Vec<Alias>,
    /// What Ashby requires across fields, checked before anything is sent.
    pub rules: Vec<Rule>,
    /// Caveats for people.
    pub notes: Vec<String>,
    /// The calls, in the order they run for one record.
    pub steps: Vec<Step>,
    /// Derived: the first step's endpoint, the one a config reports and a
    /// manual `url` must agree with.
    pub endpoint: String,
    /// Derived: the HTTP method, `POST`.
    pub method: String,
    /// Derived: the first step's permission.
    pub permission: String,
    /// Derived: the first step's `result_id`.
    pub result_id: Option<String>,
    /// Derived: the record fields every record must carry (non-null): the
    /// required fields of steps that always run, and those every step needs.
    pub required: Vec<String>,
    /// Derived: every record field some step takes, with its type, in order
    /// of first use. A record field outside this map is unknown.
    pub fields: FieldMap,
}

/// One Ashby call of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The path, e.g. `/application.changeStage`.
    pub endpoint: String,
    /// The HTTP method, `POST`.
    #[serde(default = "post")]
    pub method: String,
    /// The API-key permission the endpoint needs, e.g. `candidatesWrite`.
    pub permission: String,
    /// Whether sending the same body again leaves Ashby as one send did
    /// (setting values). Every step of a multi-step template must be, so a
    /// retry can repeat the whole sequence (see ARCHITECTURE.md).
    pub idempotent: bool,
    /// How to find what this step may have written when its answer was
    /// lost (a create), when Ashby allows it; `None`: it cannot be looked
    /// up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<Lookup>,
    /// When the step runs for a record.
    pub runs: Runs,
    /// The body fields the endpoint takes and their types, in order.
    pub fields: FieldMap,
    /// The body fields the endpoint needs whenever the step runs.
    #[serde(default)]
    pub required: Vec<String>,
    /// Where body fields come from when not from the record field of the
    /// same name.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub take: Map<String, Value>,
    /// The key of Ashby's `results` object that holds the id to report.
    #[serde(default)]
    pub result_id: Option<String>,
}

fn post() -> String {
    "POST".to_owned()
}

/// How to look up what a create may have written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lookup {
    /// `candidate.search` by the record's `email`: one match is the
    /// candidate.
    CandidateByEmail,
    /// `candidate.info` of the record's `candidateId`, then
    /// `application.info` of each of its `applicationIds`: the one for the
    /// record's `jobId` is the application.
    ApplicationByCandidateAndJob,
}

/// When a step runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub enum Runs {
    /// For every record (`"always"`).
    Always,
    /// When any of these record fields is present and not null
    /// (`{"when_any": [...]}`).
    WhenAny(Vec<String>),
}

/// Where one body field of a step comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The record field of this name (`{"field": NAME}`).
    Field(String),
    /// A constant (`{"value": V}`).
    Value(Value),
    /// A key of an earlier step's `results` (`{"step": N, "result": KEY}`,
    /// `N` counting from 1). Its value is known only once that step ran.
    Step {
        /// The earlier step, counting from 0.
        index: usize,
        /// The key in its `results`.
        result: String,
    },
}

/// A cross-field requirement: when `when` is present, `requires` must be
/// present too (and equal `equals`, when given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The record field whose presence triggers the rule.
    #[serde(rename = "if")]
    pub when: String,
    /// The record field that must then be present.
    pub requires: String,
    /// The value `requires` must then have, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// Why, as Ashby documents it, for the rejection message.
    pub reason: String,
}

/// An alias: a record field `from` is sent as `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The upstream name.
    pub from: String,
    /// The name the steps take.
    pub to: String,
    /// How the value is wrapped when moved, if at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap: Option<Wrap>,
}

/// How an alias wraps the value it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wrap {
    /// Into a one-element array (`jobId` → `jobIds: [jobId]`).
    Array,
}

/// A template as written in the file (no derived facts).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TemplateFile {
    id: String,
    name: String,
    description: String,
    #[serde(default)]
    side_effects: bool,
    #[serde(default)]
    aliases: Vec<Alias>,
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    notes: Vec<String>,
    steps: Vec<Step>,
}

impl TryFrom<TemplateFile> for Template {
    type Error = String;

    fn try_from(f: TemplateFile) -> Result<Self, String> {
        check::template(f).map_err(|(id, e)| format!("template \"{id}\": {e}"))
    }
}

impl From<Template> for TemplateFile {
    fn from(t: Template) -> Self {
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            side_effects: t.side_effects,
            aliases: t.aliases,
            rules: t.rules,
            notes: t.notes,
            steps: t.steps,
        }
    }
}

impl TryFrom<Value> for Runs {
    type Error = String;

    fn try_from(v: Value) -> Result<Self, String> {
        const FORM: &str = "\"runs\" must be \"always\" or {\"when_any\": [field names]}";
        match &v {
            Value::String(s) if s == "always" => Ok(Self::Always),
            Value::Object(o) if o.len() == 1 => {
                let names = o
                    .get("when_any")
                    .and_then(Value::as_array)
                    .ok_or(FORM)?
                    .iter()
                    .map(|n| n.as_str().map(str::to_owned).ok_or(FORM))
                    .collect::<Result<Vec<_>, _>>()?;
                if names.is_empty() {
                    return Err("\"runs.when_any\" must name at least one field".into());
                }
                Ok(Self::WhenAny(names))
            }
            _ => Err(FORM.into()),
        }
    }
}

impl From<Runs> for Value {
    fn from(r: Runs) -> Self {
        match r {
            Runs::Always => Value::String("always".into()),
            Runs::WhenAny(names) => {
                let mut m = Map::new();
                m.insert(
                    "when_any".into(),
                    Value::Array(names.into_iter().map(Value::String).collect()),
                );
                Value::Object(m)
            }
        }
    }
}

impl Source {
    /// Reads a `take` entry: `{"field": NAME}`, `{"value": V}` or
    /// `{"step": N, "result": KEY}`.
    pub fn parse(v: &Value) -> Result<Self, String> {
        const FORM: &str =
            "must be {\"field\": NAME}, {\"value\": V} or {\"step\": N, \"result\": KEY}";
        let Some(o) = v.as_object() else {
            return Err(FORM.into());
        };
        match (
            o.get("field"),
            o.get("value"),
            o.get("step"),
            o.get("result"),
        ) {
            (Some(Value::String(f)), None, None, None) if !f.is_empty() => {
                Ok(Self::Field(f.clone()))
            }
            (None, Some(v), None, None) => Ok(Self::Value(v.clone())),
            (None, None, Some(n), Some(Value::String(r))) if o.len() == 2 => {
                let n = n.as_u64().filter(|n| *n >= 1).ok_or(FORM)?;
                let index = usize::try_from(n - 1).map_err(|_| FORM.to_owned())?;
                Ok(Self::Step {
                    index,
                    result: r.clone(),
                })
            }
            _ => Err(FORM.into()),
        }
    }
}

impl Step {
    /// Where body field `key` comes from: its `take` entry, else the record
    /// field of the same name. A `take` entry that does not parse (refused
    /// when the catalog is loaded) reads as the same-named field.
    pub fn source(&self, key: &str) -> Source {
        self.take
            .get(key)
            .and_then(|v| Source::parse(v).ok())
            .unwrap_or_else(|| Source::Field(key.to_owned()))
    }

    /// The record fields this step takes, with the body field each becomes,
    /// in the order of the step's fields.
    pub fn record_fields(&self) -> impl Iterator<Item = (String, &str)> + '_ {
        self.fields
            .names()
            .filter_map(|key| match self.source(key) {
                Source::Field(f) => Some((f, key)),
                _ => None,
            })
    }

    /// Whether the step runs for a record whose non-null fields satisfy
    /// `present`.
    pub fn runs_for(&self, present: impl Fn(&str) -> bool) -> bool {
        match &self.runs {
            Runs::Always => true,
            Runs::WhenAny(names) => names.iter().any(|n| present(n)),
        }
    }
}

impl Template {
    /// The aliases whose target is `field`, i.e. the other names accepted
    /// for it.
    pub fn aliases_for<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Alias> + 'a {
        self.aliases.iter().filter(move |a| a.to == field)
    }

    /// The step whose endpoint is `path`, if any.
    pub fn step_for(&self, path: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.endpoint == path)
    }
}

/// The catalog split into one JSON text per template by `build.rs`.
mod split {
    include!(concat!(env!("OUT_DIR"), "/template_sources.rs"));
}

/// Parses and checks the one template `pick` selects from the build-time
/// split, without parsing the rest of the catalog (this is what keeps
/// `configure` in a fresh instance cheap). Falls back to the whole catalog
/// when the split is empty.
fn load(pick: impl Fn(&str, &str) -> bool) -> Result<Option<Template>, String> {
    if split::SOURCES.is_empty() {
        return Ok(all()?.iter().find(|t| pick(&t.id, &t.endpoint)).cloned());
    }
    let Some((_, _, text)) = split::SOURCES.iter().find(|(id, ep, _)| pick(id, ep)) else {
        return Ok(None);
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| format!("templates.json is not valid: {e}"))
}

/// The template with this id, parsed alone (see [`load`]).
pub fn load_by_id(id: &str) -> Result<Option<Template>, String> {
    load(|i, _| i == id)
}

/// The first template whose (first step's) endpoint is `path`, parsed alone.
pub fn load_by_endpoint(path: &str) -> Result<Option<Template>, String> {
    load(|_, ep| ep == path)
}

/// Every template id, in file order, without parsing the catalog.
pub fn ids() -> Result<Vec<&'static str>, String> {
    if split::SOURCES.is_empty() {
        return Ok(all()?.iter().map(|t| t.id.as_str()).collect());
    }
    Ok(split::SOURCES.iter().map(|(id, ..)| *id).collect())
}

static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();

/// The embedded catalog, parsed on first use.
pub fn catalog() -> Result<&'static Catalog, String> {
    CATALOG
        .get_or_init(|| parse(TEMPLATES_JSON))
        .as_ref()
        .map_err(Clone::clone)
}

/// Every embedded template, in file order.
pub fn all() -> Result<&'static [Template], String> {
    catalog().map(|c| c.templates.as_slice())
}

/// The embedded template with this id, if any.
pub fn find(id: &str) -> Result<Option<&'static Template>, String> {
    Ok(all()?.iter().find(|t| t.id == id))
}

/// The first embedded template whose endpoint is `path`, if any.
pub fn by_endpoint(path: &str) -> Result<Option<&'static Template>, String> {
    Ok(all()?.iter().find(|t| t.endpoint == path))
}

#[cfg(test)]
mod tests;
