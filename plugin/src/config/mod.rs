//! Strict parsing of the destination's JSON config.
//!
//! Every key is checked; an unknown key is refused with
//! [`ConfigError::UnknownKey`]. A key whose value is `null` counts as absent.

use crate::ashby::{CANDIDATE_CREATE, CUSTOM_FIELD_SET_VALUES, OFFER_PROCESS_START};
use crate::schema::render;
use crate::templates::{self, Lookup, Template};
use crate::types::{ConfigError, ConfigSummary, Method};
use serde_json::{Map, Value};

pub use crate::ashby::endpoint_from_url;

/// The largest `batch.size`.
pub const MAX_BATCH_SIZE: usize = 1000;
/// The default `batch.size`.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// The config keys this destination knows, in documentation order.
pub const KEYS: [&str; 15] = [
    "template",
    "url",
    "method",
    "headers",
    "exclude",
    "rename",
    "defaults",
    "unknown_fields",
    "nulls",
    "response_webhook",
    "confirm_side_effects",
    "batch",
    "dedupe_by_email",
    "on_existing",
    "retry_ambiguous",
];

/// Header names a config may not set: the host owns them.
pub const RESERVED_HEADERS: [&str; 12] = [
    "authorization",
    "host",
    "cookie",
    "content-length",
    "transfer-encoding",
    "connection",
    "content-type",
    "upgrade",
    "te",
    "keep-alive",
    "expect",
    "proxy-*",
];

/// A validated config.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The template in use, `None` in manual mode.
    pub template: Option<Template>,
    /// The path every request goes to (a template's first step's).
    pub endpoint: String,
    /// The HTTP method, `POST`.
    pub method: Method,
    /// The permission the endpoint needs, when known.
    pub permission: Option<String>,
    /// The key of Ashby's `results` object that holds the id to report.
    pub result_id: Option<String>,
    /// Extra request headers, as written.
    pub headers: Vec<(String, String)>,
    /// Record attributes removed before anything else.
    pub exclude: Vec<String>,
    /// Upstream name → Ashby name, applied after `exclude`.
    pub rename: Vec<(String, String)>,
    /// Values set after `rename` when a field is absent or null.
    pub defaults: Map<String, Value>,
    /// What happens to record fields no step of the template takes.
    pub unknown_fields: UnknownFields,
    /// What a `null` field means.
    pub nulls: Nulls,
    /// Whether `on_response` publishes records.
    pub response_webhook: bool,
    /// Batching, when enabled.
    pub batch: Option<Batch>,
    /// Lookup-before-create by email, when enabled (create-candidate only).
    pub dedupe: Option<OnExisting>,
    /// Whether sending the endpoint's request twice is harmless (from its
    /// template's first step; an endpoint no template knows is assumed not
    /// to be).
    pub idempotent: bool,
    /// How to find what a lost write may have created (from its template).
    pub lookup: Option<Lookup>,
    /// Re-send a non-idempotent request whose answer was lost, even without
    /// a lookup (it may duplicate the object).
    pub retry_ambiguous: bool,
    /// Things the user should know that do not stop the flow.
    pub warnings: Vec<String>,
}

/// What happens to a record field that no step of the template takes
/// (`"unknown_fields"`). In every mode the field is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownFields {
    /// Sent as is with the record's first call, as the reference connector
    /// does (the default).
    #[default]
    Send,
    /// Left out of every call.
    Drop,
    /// The record is rejected, naming the fields.
    Reject,
}

/// What a `null` field means (`"nulls"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nulls {
    /// A null field is an absent field, as an empty CSV cell is (the
    /// default).
    #[default]
    Omit,
    /// A null is sent as null; in an optional field it is never refused.
    Send,
}

/// Enabled batching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The most records per request, `1..=1000`.
    pub size: usize,
    /// How records are grouped.
    pub grouping: Grouping,
}

/// How batching groups records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// Consecutive chunks of valid records.
    Sequential,
    /// Records with equal values of this field (after shaping) go together.
    ByField(String),
}

/// What dedupe does when exactly one candidate has the record's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Report the existing candidate as delivered; write nothing.
    Skip,
    /// Update the existing candidate with the record's fields.
    Update,
}

/// Where [`Config`] finds templates: a given list, or the embedded catalog
/// one template at a time.
enum Templates<'a> {
    List(&'a [Template]),
    Embedded,
}

fn broken_catalog(e: String) -> ConfigError {
    ConfigError::invalid(
        "template",
        format!("the embedded template catalog is broken: {e}"),
    )
}

impl Templates<'_> {
    fn by_id(&self, id: &str) -> Result<Option<Template>, ConfigError> {
        match self {
            Templates::List(l) => Ok(l.iter().find(|t| t.id == id).cloned()),
            Templates::Embedded => templates::load_by_id(id).map_err(broken_catalog),
        }
    }

    fn by_endpoint(&self, path: &str) -> Result<Option<Template>, ConfigError> {
        match self {
            Templates::List(l) => Ok(l.iter().find(|t| t.endpoint == path).cloned()),
            Templates::Embedded => templates::load_by_endpoint(path).map_err(broken_catalog),
        }
    }

    fn ids(&self) -> Result<Vec<&str>, ConfigError> {
        match self {
            Templates::List(l) => Ok(l.iter().map(|t| t.id.as_str()).collect()),
            Templates::Embedded => templates::ids().map_err(broken_catalog),
        }
    }
}

/// Where requests go: the template, or a manual url's path and the
/// template whose endpoint it is (if any, for its permission and checks).
struct Target {
    template: Option<Template>,
    endpoint: String,
    looked_up: Option<Template>,
}

impl Target {
    /// The template that knows this endpoint, configured or looked up.
    fn known(&self) -> Option<&Template> {
        self.template.as_ref().or(self.looked_up.as_ref())
    }
}

impl Config {
    /// Parses a config against the embedded templates, parsing only the
    /// template the config names (see [`templates::load_by_id`]).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Self::parse_from(text, Templates::Embedded)
    }

    /// Parses a config against the given templates.
    pub fn parse_with(text: &str, templates: &[Template]) -> Result<Self, ConfigError> {
        Self::parse_from(text, Templates::List(templates))
    }

    fn parse_from(text: &str, templates: Templates<'_>) -> Result<Self, ConfigError> {
        let obj = config_object(text)?;
        let get = |key: &str| obj.get(key).filter(|v| !v.is_null());
        let target = parse_target(get("template"), get("url"), &templates)?;
        let batch = get("batch").map(parse_batch).transpose()?.flatten();
        let dedupe = parse_dedupe(&obj, target.template.as_ref(), batch.is_some())?;
        check_side_effects(&obj, target.known())?;
        check_batch_steps(batch.as_ref(), target.template.as_ref())?;
        let unknown_fields = parse_unknown_fields(get("unknown_fields"), &target)?;
        let nulls = choice(
            get("nulls"),
            "nulls",
            &[("omit", Nulls::Omit), ("send", Nulls::Send)],
        )?
        .unwrap_or_default();
        let warnings = warnings(&target, batch.as_ref());
        let first_step = target.known().and_then(|t| t.steps.first());
        Ok(Self {
            idempotent: first_step.is_some_and(|s| s.idempotent),
            lookup: first_step.and_then(|s| s.lookup),
            retry_ambiguous: bool_key(&obj, "retry_ambiguous")?.unwrap_or(false),
            permission: target.known().map(|t| t.permission.clone()),
            result_id: match &target.template {
                Some(t) => t.result_id.clone(),
                None => Some("id".to_owned()),
            },
            method: parse_method(get("method"))?,
            headers: parse_headers_key(get("headers"))?,
            exclude: parse_exclude(get("exclude"))?,
            rename: get("rename")
                .map(parse_rename)
                .transpose()?
                .unwrap_or_default(),
            defaults: parse_defaults(get("defaults"), target.template.as_ref())?,
            response_webhook: bool_key(&obj, "response_webhook")?.unwrap_or(false),
            template: target.template,
            endpoint: target.endpoint,
            unknown_fields,
            nulls,
            batch,
            dedupe,
            warnings,
        })
    }

    /// Every permission the configured calls may need, in call order: each
    /// step's, and the lookup's and update's with dedupe; empty when the
    /// endpoint is not in the catalog.
    pub fn permissions(&self) -> Vec<String> {
        let mut out: Vec<String> = match &self.template {
            Some(t) => t.steps.iter().map(|s| s.permission.clone()).collect(),
            None => self.permission.iter().cloned().collect(),
        };
        if let Some(on_existing) = self.dedupe {
            out.push(crate::ashby::CANDIDATE_SEARCH_PERMISSION.to_owned());
            if on_existing == OnExisting::Update {
                out.push(crate::ashby::CANDIDATE_UPDATE_PERMISSION.to_owned());
            }
        }
        let mut seen = Vec::new();
        out.retain(|p| {
            let new = !seen.contains(p);
            seen.push(p.clone());
            new
        });
        out
    }

    /// What `configure` reports about this config.
    pub fn summary(&self) -> ConfigSummary {
        ConfigSummary {
            template: self.template.as_ref().map(|t| t.id.clone()),
            endpoint: self.endpoint.clone(),
            method: self.method.as_str().to_owned(),
            permission: self.permission.clone(),
            response_webhook: self.response_webhook,
            records_per_call: self.batch.as_ref().map(|b| b.size as u32),
            warnings: self.warnings.clone(),
        }
    }
}

/// The config text as a JSON object whose keys are all known.
fn config_object(text: &str) -> Result<Map<String, Value>, ConfigError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ConfigError::Malformed(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(ConfigError::Malformed(format!(
            "the config must be a JSON object, got {}",
            render(&value)
        )));
    };
    if let Some(key) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(ConfigError::UnknownKey(key.clone()));
    }
    Ok(obj)
}

/// The endpoint: a template, a manual url, or both when they agree.
fn parse_target(
    template: Option<&Value>,
    url: Option<&Value>,
    templates: &Templates<'_>,
) -> Result<Target, ConfigError> {
    let template = match template {
        None => None,
        Some(v) => {
            let id = v
                .as_str()
                .ok_or_else(|| ConfigError::invalid("template", "must be a template id string"))?;
            let Some(found) = templates.by_id(id)? else {
                return Err(ConfigError::invalid(
                    "template",
                    format!(
                        "unknown template \"{id}\"; valid templates: {}",
                        templates.ids()?.join(", ")
                    ),
                ));
            };
            Some(found)
        }
    };
    let url_path = match url {
        None => None,
        Some(v) => {
            let url = v
                .as_str()
                .ok_or_else(|| ConfigError::invalid("url", "must be a URL string"))?;
            Some(endpoint_from_url(url).map_err(|r| ConfigError::invalid("url", r))?)
        }
    };
    let endpoint = match (&template, url_path) {
        (None, None) => {
            return Err(ConfigError::missing(
                "template",
                "set \"template\" to a template id, or \"url\" to an Ashby endpoint URL",
            ));
        }
        (Some(t), Some(path)) if path != t.endpoint => {
            return Err(ConfigError::invalid(
                "url",
                format!(
                    "the url's endpoint {path} differs from the template \"{}\" endpoint {}; drop one of them",
                    t.id, t.endpoint
                ),
            ));
        }
        (Some(t), _) => t.endpoint.clone(),
        (None, Some(path)) => path,
    };
    let looked_up = match &template {
        Some(_) => None,
        None => templates.by_endpoint(&endpoint)?,
    };
    Ok(Target {
        template,
        endpoint,
        looked_up,
    })
}

fn parse_method(v: Option<&Value>) -> Result<Method, ConfigError> {
    let Some(v) = v else {
        return Ok(Method::Post);
    };
    let m = v
        .as_str()
        .ok_or_else(|| ConfigError::invalid("method", "must be the string \"POST\""))?;
    if !m.eq_ignore_ascii_case("POST") {
        return Err(ConfigError::invalid(
            "method",
            format!("method \"{m}\" is not supported: every Ashby write endpoint is POST"),
        ));
    }
    Ok(Method::Post)
}

fn parse_headers_key(v: Option<&Value>) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    let text = v.as_str().ok_or_else(|| {
        ConfigError::invalid(
            "headers",
            "must be a string of name:value pairs separated by commas",
        )
    })?;
    parse_headers(text).map_err(|r| ConfigError::invalid("headers", r))
}

fn parse_exclude(v: Option<&Value>) -> Result<Vec<String>, ConfigError> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    string_list(v).ok_or_else(|| {
        ConfigError::invalid("exclude", "must be an array of attribute names (strings)")
    })
}

fn parse_defaults(
    v: Option<&Value>,
    template: Option<&Template>,
) -> Result<Map<String, Value>, ConfigError> {
    match v {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => {
            if let Some(t) = template {
                check_defaults(map, t)?;
            }
            Ok(map.clone())
        }
        Some(_) => Err(ConfigError::invalid(
            "defaults",
            "must be an object mapping field names to values",
        )),
    }
}

/// A string key with a fixed set of values, `None` when absent.
fn choice<T: Copy>(
    v: Option<&Value>,
    key: &str,
    options: &[(&str, T)],
) -> Result<Option<T>, ConfigError> {
    let Some(v) = v else {
        return Ok(None);
    };
    let found = v
        .as_str()
        .and_then(|s| options.iter().find(|(name, _)| *name == s));
    match found {
        Some((_, t)) => Ok(Some(*t)),
        None => {
            let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            Err(ConfigError::invalid(
                key,
                format!("must be {}, got {}", names.join(" or "), render(v)),
            ))
        }
    }
}

fn parse_unknown_fields(v: Option<&Value>, target: &Target) -> Result<UnknownFields, ConfigError> {
    let mode = choice(
        v,
        "unknown_fields",
        &[
            ("send", UnknownFields::Send),
            ("drop", UnknownFields::Drop),
            ("reject", UnknownFields::Reject),
        ],
    )?
    .unwrap_or_default();
    if mode != UnknownFields::Send && target.template.is_none() {
        return Err(ConfigError::invalid(
            "unknown_fields",
            "needs a \"template\": in manual mode (\"url\") no field is known, so every field is sent",
        ));
    }
    Ok(mode)
}

/// Lookup-before-create: only with create-candidate, never with batching.
fn parse_dedupe(
    obj: &Map<String, Value>,
    template: Option<&Template>,
    batching: bool,
) -> Result<Option<OnExisting>, ConfigError> {
    let dedupe_on = bool_key(obj, "dedupe_by_email")?.unwrap_or(false);
    if dedupe_on && template.is_none_or(|t| t.endpoint != CANDIDATE_CREATE) {
        return Err(ConfigError::invalid(
            "dedupe_by_email",
            "lookup-before-create by email is only available with the create-candidate template",
        ));
    }
    let on_existing = choice(
        obj.get("on_existing").filter(|v| !v.is_null()),
        "on_existing",
        &[("skip", OnExisting::Skip), ("update", OnExisting::Update)],
    )?;
    if on_existing.is_some() && !dedupe_on {
        return Err(ConfigError::invalid(
            "on_existing",
            "only applies when \"dedupe_by_email\" is true",
        ));
    }
    let dedupe = dedupe_on.then(|| on_existing.unwrap_or(OnExisting::Skip));
    if dedupe.is_some() && batching {
        return Err(ConfigError::invalid(
            "batch.enabled",
            "batching cannot be combined with dedupe_by_email, which looks up each record and sends it alone",
        ));
    }
    Ok(dedupe)
}

/// A template with side effects needs `"confirm_side_effects": true`.
fn check_side_effects(
    obj: &Map<String, Value>,
    known: Option<&Template>,
) -> Result<(), ConfigError> {
    let confirmed = bool_key(obj, "confirm_side_effects")?;
    let Some(t) = known.filter(|t| t.side_effects) else {
        return Ok(());
    };
    if confirmed == Some(true) {
        return Ok(());
    }
    let reason = side_effect_reason(t);
    Err(match confirmed {
        None => ConfigError::missing("confirm_side_effects", reason),
        Some(_) => ConfigError::invalid("confirm_side_effects", reason),
    })
}

/// Batching sends one request per batch; a template of several steps sends
/// a sequence per record, so the two do not combine.
fn check_batch_steps(
    batch: Option<&Batch>,
    template: Option<&Template>,
) -> Result<(), ConfigError> {
    match template {
        Some(t) if batch.is_some() && t.steps.len() > 1 => Err(ConfigError::invalid(
            "batch.enabled",
            format!(
                "the \"{}\" template makes up to {} calls per record, one after the other; batching cannot be combined with it",
                t.id,
                t.steps.len()
            ),
        )),
        _ => Ok(()),
    }
}

fn warnings(target: &Target, batch: Option<&Batch>) -> Vec<String> {
    let endpoint = &target.endpoint;
    let mut warnings = Vec::new();
    if batch.is_some() && endpoint != CUSTOM_FIELD_SET_VALUES {
        warnings.push(format!(
            "batching is enabled, but Ashby's {endpoint} takes one object per call and will reject a JSON array body; only {CUSTOM_FIELD_SET_VALUES} can merge records"
        ));
    }
    if let Some(t) = &target.looked_up {
        warnings.push(format!(
            "{endpoint} is the endpoint of the \"{}\" template; use \"template\": \"{}\" instead of \"url\" to validate records before they are sent",
            t.id, t.id
        ));
    }
    warnings
}

fn side_effect_reason(t: &Template) -> String {
    if t.endpoint == OFFER_PROCESS_START {
        format!(
            "the \"{}\" template has side effects: starting an offer process triggers real notifications and approval routing in Ashby; set \"confirm_side_effects\": true once only the right records reach it",
            t.id
        )
    } else {
        format!(
            "the \"{}\" template has side effects in Ashby beyond the record written (see its notes); set \"confirm_side_effects\": true to accept them",
            t.id
        )
    }
}

fn bool_key(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, ConfigError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(ConfigError::invalid(
            key,
            format!("must be true or false, got {}", render(other)),
        )),
    }
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn parse_rename(v: &Value) -> Result<Vec<(String, String)>, ConfigError> {
    let map = v.as_object().ok_or_else(|| {
        ConfigError::invalid(
            "rename",
            "must be an object mapping upstream names to Ashby names",
        )
    })?;
    let mut out: Vec<(String, String)> = Vec::with_capacity(map.len());
    for (from, to) in map {
        let to = to.as_str().filter(|s| !s.is_empty()).ok_or_else(|| {
            ConfigError::invalid(
                format!("rename.{from}"),
                format!("must be a non-empty field name, got {}", render(to)),
            )
        })?;
        if let Some((other, _)) = out.iter().find(|(_, t)| t == to) {
            return Err(ConfigError::invalid(
                "rename",
                format!(
                    "\"{other}\" and \"{from}\" are both renamed to \"{to}\"; a field can have only one source"
                ),
            ));
        }
        out.push((from.clone(), to.to_owned()));
    }
    Ok(out)
}

fn check_defaults(map: &Map<String, Value>, t: &Template) -> Result<(), ConfigError> {
    for (field, value) in map {
        if value.is_null() {
            return Err(ConfigError::invalid(
                format!("defaults.{field}"),
                "a null default has no effect; remove it",
            ));
        }
        // A default may name an alias; it is checked against the target.
        let alias = t.aliases.iter().find(|a| a.from == *field);
        let target = alias.map_or(field.as_str(), |a| a.to.as_str());
        let wrapped;
        let checked = match alias {
            Some(a) if a.wrap.is_some() => {
                wrapped = Value::Array(vec![value.clone()]);
                &wrapped
            }
            _ => value,
        };
        if let Some(ty) = t.fields.get(target)
            && let Err(e) = ty.validate(checked, target)
        {
            return Err(ConfigError::invalid(
                format!("defaults.{field}"),
                e.to_string(),
            ));
        }
    }
    Ok(())
}

fn parse_batch(v: &Value) -> Result<Option<Batch>, ConfigError> {
    let obj = v.as_object().ok_or_else(|| {
        ConfigError::invalid("batch", "must be an object with enabled, size and grouping")
    })?;
    if let Some(k) = obj
        .keys()
        .find(|k| !["enabled", "size", "grouping"].contains(&k.as_str()))
    {
        return Err(ConfigError::UnknownKey(format!("batch.{k}")));
    }
    let enabled = bool_key(obj, "enabled")
        .map_err(|e| rekey(e, "batch.enabled"))?
        .unwrap_or(false);
    let size = match obj.get("size").filter(|v| !v.is_null()) {
        None => DEFAULT_BATCH_SIZE,
        Some(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| (1..=MAX_BATCH_SIZE).contains(n))
            .ok_or_else(|| {
                ConfigError::invalid(
                    "batch.size",
                    format!(
                        "must be a whole number from 1 to {MAX_BATCH_SIZE}, got {}",
                        render(n)
                    ),
                )
            })?,
    };
    let grouping = match obj.get("grouping").filter(|v| !v.is_null()) {
        None => Grouping::Sequential,
        Some(Value::String(s)) if s == "sequential" => Grouping::Sequential,
        Some(Value::Object(g)) => {
            if let Some(k) = g.keys().find(|k| *k != "by_field") {
                return Err(ConfigError::UnknownKey(format!("batch.grouping.{k}")));
            }
            match g.get("by_field") {
                Some(Value::String(f)) if !f.is_empty() => Grouping::ByField(f.clone()),
                other => {
                    return Err(ConfigError::invalid(
                        "batch.grouping.by_field",
                        format!(
                            "must be a non-empty field name, got {}",
                            other.map_or_else(|| "nothing".to_owned(), render)
                        ),
                    ));
                }
            }
        }
        Some(other) => {
            return Err(ConfigError::invalid(
                "batch.grouping",
                format!(
                    "must be \"sequential\" or {{\"by_field\": NAME}}, got {}",
                    render(other)
                ),
            ));
        }
    };
    Ok(enabled.then_some(Batch { size, grouping }))
}

fn rekey(e: ConfigError, key: &str) -> ConfigError {
    match e {
        ConfigError::Invalid(p) => ConfigError::invalid(key, p.reason),
        ConfigError::Missing(p) => ConfigError::missing(key, p.reason),
        other => other,
    }
}

/// Parses the `headers` string `h1:v1,h2:v2`: pairs split on commas, each
/// split on its first colon, both sides trimmed. An empty (or blank) string
/// means no headers.
pub fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    if text.trim().is_empty() {
        return Ok(out);
    }
    for (i, pair) in text.split(',').enumerate() {
        let pair = pair.trim();
        if pair.is_empty() {
            return Err(format!(
                "header pair {} is empty; write name:value pairs separated by single commas",
                i + 1
            ));
        }
        let Some((name, value)) = pair.split_once(':') else {
            return Err(format!(
                "header \"{pair}\" has no colon; write it as name:value"
            ));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            return Err(format!("header pair \"{pair}\" has an empty name"));
        }
        if let Some(c) = name.chars().find(|c| !is_tchar(*c)) {
            return Err(format!(
                "header name \"{name}\" is not an HTTP token (it contains {c:?})"
            ));
        }
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str())
            || lower.starts_with("proxy-")
            || steers_a_gateway(&lower)
        {
            return Err(format!("header \"{name}\" is reserved to the host"));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(format!(
                "the value of header \"{name}\" contains a control character (CR, LF, NUL or similar)"
            ));
        }
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(format!("header \"{name}\" is given twice"));
        }
        out.push((name.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// Header names the host also refuses: an `_` (CGI-style front ends read
/// it as `-`) and the routing and override family a gateway acts on.
fn steers_a_gateway(lower: &str) -> bool {
    let exact = [
        "forwarded",
        "max-forwards",
        "trailer",
        "http2-settings",
        "x-method-override",
    ];
    let family = ["x-forwarded-", "x-original-", "x-rewrite-", "x-http-method"];
    lower.contains('_') || exact.contains(&lower) || family.iter().any(|f| lower.starts_with(f))
}

/// Whether `c` may appear in an HTTP token (RFC 9110 `tchar`).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests;
