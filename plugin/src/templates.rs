//! The endpoint templates, embedded from the workspace's `templates.json`.
//!
//! The file is parsed and checked once, on first use. A template is pure
//! data: adding one to `templates.json` needs no Rust code. The types here
//! are `Serialize` + `Deserialize` so the host's `templates` command can use
//! this crate as an rlib and print them.

use crate::schema::FieldMap;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The embedded catalog text.
pub const TEMPLATES_JSON: &str = include_str!("../../templates.json");

/// The catalog format version this crate reads.
pub const CATALOG_VERSION: u64 = 1;

/// The whole `templates.json` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The format version, [`CATALOG_VERSION`].
    pub version: u64,
    /// The templates, in file order.
    pub templates: Vec<Template>,
}

/// One endpoint template. Unknown keys in the file are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Stable id used in configs, e.g. `create-candidate`.
    pub id: String,
    /// Human-readable name, e.g. `Create Candidate`.
    pub name: String,
    /// The path requests go to, e.g. `/candidate.create`.
    pub endpoint: String,
    /// The HTTP method, `POST`.
    pub method: String,
    /// The Ashby API-key permission the endpoint needs, e.g. `candidatesWrite`.
    pub permission: String,
    /// What the endpoint does, for people.
    pub description: String,
    /// Fields every record must carry (non-null), checked after aliases.
    #[serde(default)]
    pub required: Vec<String>,
    /// The field that identifies the object being changed, if any.
    #[serde(default)]
    pub id_field: Option<String>,
    /// The key in Ashby's `results` object that holds the id to report.
    #[serde(default)]
    pub result_id: Option<String>,
    /// Whether a call has effects beyond the object written (notifications,
    /// approvals); such a template needs `"confirm_side_effects": true`.
    #[serde(default)]
    pub side_effects: bool,
    /// The fields Ashby accepts and their types, in order.
    pub fields: FieldMap,
    /// Upstream field names that are moved to Ashby's names.
    #[serde(default)]
    pub aliases: Vec<Alias>,
    /// Caveats for people.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Whether sending the same request twice leaves Ashby as sending it
    /// once (an update, a set). A create is not: a lost answer may hide a
    /// write, and sending it again can duplicate the object.
    /// Absent means not idempotent: a template must say so to be re-sent
    /// blindly.
    #[serde(default)]
    pub idempotent: bool,
    /// How to find the object a non-idempotent request may have written,
    /// when Ashby allows it; `None`: it cannot be looked up.
    #[serde(default)]
    pub lookup: Option<Lookup>,
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

/// An alias: a record field `from` is sent as `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The upstream name.
    pub from: String,
    /// The Ashby name.
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

impl Template {
    /// The aliases whose target is `field`, i.e. the other names accepted
    /// for it.
    pub fn aliases_for<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Alias> + 'a {
        self.aliases.iter().filter(move |a| a.to == field)
    }
}

/// Whether `path` has the form `/<category>.<method>` (ASCII letters and
/// digits, each part starting with a letter).
pub fn is_endpoint_path(path: &str) -> bool {
    fn part(s: &str) -> bool {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric())
    }
    path.strip_prefix('/')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(category, method)| part(category) && part(method))
}

/// Parses catalog text and checks it: version, unique ids, endpoint paths,
/// `POST`, required fields and alias targets among the fields.
pub fn parse(text: &str) -> Result<Catalog, String> {
    let catalog: Catalog =
        serde_json::from_str(text).map_err(|e| format!("templates.json is not valid: {e}"))?;
    if catalog.version != CATALOG_VERSION {
        return Err(format!(
            "templates.json has version {}, this plugin reads version {CATALOG_VERSION}",
            catalog.version
        ));
    }
    let mut ids = HashSet::new();
    for t in &catalog.templates {
        if t.id.is_empty() {
            return Err("a template has an empty id".into());
        }
        if !ids.insert(t.id.as_str()) {
            return Err(format!("template \"{}\": the id is used twice", t.id));
        }
        check(t)?;
    }
    Ok(catalog)
}

/// Checks one template: endpoint path, `POST`, permission, required fields
/// and alias targets among its fields.
fn check(t: &Template) -> Result<(), String> {
    let fail = |what: String| Err(format!("template \"{}\": {what}", t.id));
    if !is_endpoint_path(&t.endpoint) {
        return fail(format!(
            "endpoint \"{}\" is not of the form /<category>.<method>",
            t.endpoint
        ));
    }
    if t.method != "POST" {
        return fail(format!("method \"{}\" is not POST", t.method));
    }
    if t.permission.is_empty() {
        return fail("the permission is empty".into());
    }
    if let Some(name) = t.required.iter().find(|r| !t.fields.contains(r)) {
        return fail(format!("required field \"{name}\" is not among its fields"));
    }
    for a in &t.aliases {
        if !t.fields.contains(&a.to) {
            return fail(format!("alias target \"{}\" is not among its fields", a.to));
        }
        if a.from == a.to || a.from.is_empty() {
            return fail(format!(
                "alias \"{}\" → \"{}\" is not an alias",
                a.from, a.to
            ));
        }
    }
    Ok(())
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
    let t: Template =
        serde_json::from_str(text).map_err(|e| format!("templates.json is not valid: {e}"))?;
    check(&t)?;
    Ok(Some(t))
}

/// The template with this id, parsed alone (see [`load`]).
pub fn load_by_id(id: &str) -> Result<Option<Template>, String> {
    load(|i, _| i == id)
}

/// The first template whose endpoint is `path`, parsed alone.
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
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// The permissions a template may name.
    const PERMISSIONS: [&str; 4] = ["candidatesWrite", "jobsWrite", "jobsRead", "offersWrite"];

    #[test]
    fn embedded_catalog_is_valid() {
        let all = all().unwrap();
        assert!(!all.is_empty());
        let mut ids = HashSet::new();
        for t in all {
            assert!(ids.insert(t.id.clone()), "duplicate id {}", t.id);
            assert!(
                is_endpoint_path(&t.endpoint),
                "{}: endpoint {}",
                t.id,
                t.endpoint
            );
            assert_eq!(t.method, "POST", "{}", t.id);
            assert!(
                PERMISSIONS.contains(&t.permission.as_str()),
                "{}: permission {}",
                t.id,
                t.permission
            );
            for r in &t.required {
                assert!(t.fields.contains(r), "{}: required {r} not in fields", t.id);
            }
            for a in &t.aliases {
                assert!(
                    t.fields.contains(&a.to),
                    "{}: alias target {} not in fields",
                    t.id,
                    a.to
                );
            }
            if let Some(id_field) = &t.id_field {
                assert!(t.fields.contains(id_field), "{}: id_field {id_field}", t.id);
            }
            assert!(!t.name.is_empty() && !t.description.is_empty(), "{}", t.id);
        }
    }

    #[test]
    fn catalog_round_trips_through_serde() {
        let c = catalog().unwrap();
        let text = serde_json::to_string(c).unwrap();
        assert_eq!(&parse(&text).unwrap(), c);
    }

    #[test]
    fn split_templates_equal_the_catalog() {
        let all = all().unwrap();
        assert_eq!(split::SOURCES.len(), all.len());
        assert_eq!(
            ids().unwrap(),
            all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>()
        );
        for t in all {
            assert_eq!(load_by_id(&t.id).unwrap().as_ref(), Some(t));
            assert_eq!(
                load_by_endpoint(&t.endpoint).unwrap().as_ref(),
                by_endpoint(&t.endpoint).unwrap()
            );
        }
        assert!(load_by_id("nope").unwrap().is_none());
    }

    #[test]
    fn find_and_by_endpoint() {
        let t = find("create-candidate").unwrap().unwrap();
        assert_eq!(t.endpoint, "/candidate.create");
        assert_eq!(by_endpoint("/candidate.create").unwrap().unwrap().id, t.id);
        assert!(find("nope").unwrap().is_none());
    }

    #[test]
    fn parse_tolerates_unknown_keys_and_checks_structure() {
        let good = r#"{"version":1,"templates":[{"id":"x","name":"X","endpoint":"/a.b","method":"POST",
            "permission":"jobsRead","description":"d","required":["id"],"id_field":"id","result_id":null,
            "side_effects":false,"fields":{"id":"uuid"},"aliases":[{"from":"jobId","to":"id"}],"notes":[],
            "example":{"id":"1"},"future_key":true}]}"#;
        let c = parse(good).unwrap();
        assert_eq!(c.templates[0].aliases[0].wrap, None);
        for (from, to) in [
            (r#""version":1"#, r#""version":2"#),
            (r#""required":["id"]"#, r#""required":["nope"]"#),
            (r#""to":"id""#, r#""to":"nope""#),
            (r#""/a.b""#, r#""/a/b""#),
            (r#""method":"POST""#, r#""method":"GET""#),
            (r#""uuid""#, r#""uuidd""#),
        ] {
            assert!(parse(&good.replace(from, to)).is_err(), "{to} should fail");
        }
    }

    #[test]
    fn endpoint_path_form() {
        assert!(is_endpoint_path("/candidate.create"));
        assert!(is_endpoint_path("/customField.setValues"));
        for bad in [
            "candidate.create",
            "/candidate",
            "/1a.b",
            "/a.b.c",
            "/a.",
            "/.b",
            "/a-b.c",
            "/a/b.c",
        ] {
            assert!(!is_endpoint_path(bad), "{bad}");
        }
    }
}
