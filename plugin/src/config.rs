//! Strict parsing of the destination's JSON config.
//!
//! Every key is checked; an unknown key is refused with
//! [`ConfigError::UnknownKey`]. A key whose value is `null` counts as absent.

use crate::schema::render;
use crate::templates::{self, Lookup, Template, is_endpoint_path};
use crate::types::{ConfigError, ConfigSummary};
use serde_json::{Map, Value};

/// The path of Ashby's custom-field bulk endpoint, the one endpoint where
/// batching merges records instead of sending an array.
pub const CUSTOM_FIELD_SET_VALUES: &str = "/customField.setValues";
/// The path of candidate creation, the one endpoint that supports dedupe.
pub const CANDIDATE_CREATE: &str = "/candidate.create";
/// The path of the candidate lookup used by dedupe.
pub const CANDIDATE_SEARCH: &str = "/candidate.search";
/// The path of the candidate update used by dedupe with `on_existing: update`.
pub const CANDIDATE_UPDATE: &str = "/candidate.update";
/// The permission `candidate.search` needs.
pub const CANDIDATE_SEARCH_PERMISSION: &str = "candidatesRead";
/// The largest `batch.size`.
pub const MAX_BATCH_SIZE: usize = 1000;
/// The default `batch.size`.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// The config keys this destination knows, in documentation order.
pub const KEYS: [&str; 13] = [
    "template",
    "url",
    "method",
    "headers",
    "exclude",
    "rename",
    "defaults",
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
    /// The path every request goes to.
    pub endpoint: String,
    /// The HTTP method, `POST`.
    pub method: String,
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
    /// Whether `on_response` publishes records.
    pub response_webhook: bool,
    /// Batching, when enabled.
    pub batch: Option<Batch>,
    /// Lookup-before-create by email, when enabled (create-candidate only).
    pub dedupe: Option<OnExisting>,
    /// Whether sending the endpoint's request twice is harmless (from its
    /// template; an endpoint no template knows is assumed not to be).
    pub idempotent: bool,
    /// How to find what a lost write may have created (from its template).
    pub lookup: Option<Lookup>,
    /// Re-send a non-idempotent request whose answer was lost, even without
    /// a lookup (it may duplicate the object).
    pub retry_ambiguous: bool,
    /// Things the user should know that do not stop the flow.
    pub warnings: Vec<String>,
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
        let get = |key: &str| obj.get(key).filter(|v| !v.is_null());

        // Endpoint: a template, a manual url, or both when they agree.
        let template = match get("template") {
            None => None,
            Some(v) => {
                let id = v.as_str().ok_or_else(|| {
                    ConfigError::invalid("template", "must be a template id string")
                })?;
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
        let url_path = match get("url") {
            None => None,
            Some(v) => {
                let url = v
                    .as_str()
                    .ok_or_else(|| ConfigError::invalid("url", "must be a URL string"))?;
                Some(endpoint_from_url(url).map_err(|r| ConfigError::invalid("url", r))?)
            }
        };
        let endpoint = match (&template, &url_path) {
            (None, None) => {
                return Err(ConfigError::missing(
                    "template",
                    "set \"template\" to a template id, or \"url\" to an Ashby endpoint URL",
                ));
            }
            (Some(t), Some(path)) if *path != t.endpoint => {
                return Err(ConfigError::invalid(
                    "url",
                    format!(
                        "the url's endpoint {path} differs from the template \"{}\" endpoint {}; drop one of them",
                        t.id, t.endpoint
                    ),
                ));
            }
            (Some(t), _) => t.endpoint.clone(),
            (None, Some(path)) => path.clone(),
        };
        let looked_up;
        let endpoint_template = match &template {
            Some(t) => Some(t),
            None => {
                looked_up = templates.by_endpoint(&endpoint)?;
                looked_up.as_ref()
            }
        };

        let method = match get("method") {
            None => "POST".to_owned(),
            Some(v) => {
                let m = v
                    .as_str()
                    .ok_or_else(|| ConfigError::invalid("method", "must be the string \"POST\""))?;
                if !m.eq_ignore_ascii_case("POST") {
                    return Err(ConfigError::invalid(
                        "method",
                        format!(
                            "method \"{m}\" is not supported: every Ashby write endpoint is POST"
                        ),
                    ));
                }
                "POST".to_owned()
            }
        };

        let headers = match get("headers") {
            None => Vec::new(),
            Some(v) => {
                let text = v.as_str().ok_or_else(|| {
                    ConfigError::invalid(
                        "headers",
                        "must be a string of name:value pairs separated by commas",
                    )
                })?;
                parse_headers(text).map_err(|r| ConfigError::invalid("headers", r))?
            }
        };

        let exclude = match get("exclude") {
            None => Vec::new(),
            Some(v) => string_list(v).ok_or_else(|| {
                ConfigError::invalid("exclude", "must be an array of attribute names (strings)")
            })?,
        };

        let rename = match get("rename") {
            None => Vec::new(),
            Some(v) => parse_rename(v)?,
        };

        let defaults = match get("defaults") {
            None => Map::new(),
            Some(Value::Object(map)) => {
                if let Some(t) = &template {
                    check_defaults(map, t)?;
                }
                map.clone()
            }
            Some(_) => {
                return Err(ConfigError::invalid(
                    "defaults",
                    "must be an object mapping field names to values",
                ));
            }
        };

        let response_webhook = bool_key(&obj, "response_webhook")?.unwrap_or(false);

        let batch = match get("batch") {
            None => None,
            Some(v) => parse_batch(v)?,
        };

        let dedupe_on = bool_key(&obj, "dedupe_by_email")?.unwrap_or(false);
        let is_create_candidate = template
            .as_ref()
            .is_some_and(|t| t.endpoint == CANDIDATE_CREATE);
        if dedupe_on && !is_create_candidate {
            return Err(ConfigError::invalid(
                "dedupe_by_email",
                "lookup-before-create by email is only available with the create-candidate template",
            ));
        }
        let on_existing = match get("on_existing") {
            None => None,
            Some(v) => Some(match v.as_str() {
                Some("skip") => OnExisting::Skip,
                Some("update") => OnExisting::Update,
                _ => {
                    return Err(ConfigError::invalid(
                        "on_existing",
                        format!("must be \"skip\" or \"update\", got {}", render(v)),
                    ));
                }
            }),
        };
        if on_existing.is_some() && !dedupe_on {
            return Err(ConfigError::invalid(
                "on_existing",
                "only applies when \"dedupe_by_email\" is true",
            ));
        }
        let dedupe = dedupe_on.then(|| on_existing.unwrap_or(OnExisting::Skip));
        if dedupe.is_some() && batch.is_some() {
            return Err(ConfigError::invalid(
                "batch.enabled",
                "batching cannot be combined with dedupe_by_email, which looks up each record and sends it alone",
            ));
        }

        let confirmed = bool_key(&obj, "confirm_side_effects")?;
        if let Some(t) = endpoint_template.filter(|t| t.side_effects)
            && confirmed != Some(true)
        {
            let reason = side_effect_reason(t);
            return Err(match confirmed {
                None => ConfigError::missing("confirm_side_effects", reason),
                Some(_) => ConfigError::invalid("confirm_side_effects", reason),
            });
        }

        let mut warnings = Vec::new();
        if batch.is_some() && endpoint != CUSTOM_FIELD_SET_VALUES {
            warnings.push(format!(
                "batching is enabled, but Ashby's {endpoint} takes one object per call and will reject a JSON array body; only {CUSTOM_FIELD_SET_VALUES} can merge records"
            ));
        }
        if template.is_none()
            && let Some(t) = endpoint_template
        {
            warnings.push(format!(
                "{endpoint} is the endpoint of the \"{}\" template; use \"template\": \"{}\" instead of \"url\" to validate records before they are sent",
                t.id, t.id
            ));
        }

        let retry_ambiguous = bool_key(&obj, "retry_ambiguous")?.unwrap_or(false);
        Ok(Self {
            idempotent: endpoint_template.is_some_and(|t| t.idempotent),
            lookup: endpoint_template.and_then(|t| t.lookup),
            retry_ambiguous,
            permission: endpoint_template.map(|t| t.permission.clone()),
            result_id: match &template {
                Some(t) => t.result_id.clone(),
                None => Some("id".to_owned()),
            },
            template,
            endpoint,
            method,
            headers,
            exclude,
            rename,
            defaults,
            response_webhook,
            batch,
            dedupe,
            warnings,
        })
    }

    /// What `configure` reports about this config.
    pub fn summary(&self) -> ConfigSummary {
        ConfigSummary {
            template: self.template.as_ref().map(|t| t.id.clone()),
            endpoint: self.endpoint.clone(),
            method: self.method.clone(),
            permission: self.permission.clone(),
            response_webhook: self.response_webhook,
            records_per_call: self.batch.as_ref().map(|b| b.size as u32),
            warnings: self.warnings.clone(),
        }
    }
}

fn side_effect_reason(t: &Template) -> String {
    if t.endpoint == "/offerProcess.start" {
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

/// Checks a manual `url` and returns its path. The URL must be exactly
/// `https://api.ashbyhq.com/<category>.<method>` (scheme and host compared
/// case-insensitively); the reason names what is wrong otherwise.
pub fn endpoint_from_url(url: &str) -> Result<String, String> {
    const EXAMPLE: &str = "https://api.ashbyhq.com/candidate.create";
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("the URL contains spaces or control characters".into());
    }
    if url.contains('\\') {
        return Err("the URL contains a backslash".into());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "\"{url}\" is not an absolute URL; write it like {EXAMPLE}"
        ));
    };
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "the scheme \"{scheme}\" is not allowed: Ashby's API is only reached over https, like {EXAMPLE}"
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    let tail = rest.get(end..).unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "the URL carries userinfo (credentials before '@'); remove it, the host adds the API key".into(),
        );
    }
    if authority.contains(':') {
        return Err(
            "the URL names a port; Ashby's API is reached on the default https port only".into(),
        );
    }
    if !authority.eq_ignore_ascii_case("api.ashbyhq.com") {
        return Err(format!(
            "the host \"{authority}\" is not allowed: only api.ashbyhq.com is, like {EXAMPLE}"
        ));
    }
    if let Some(at) = tail.find(['?', '#']) {
        return Err(if tail.get(at..).is_some_and(|s| s.starts_with('?')) {
            "the URL has a query string; Ashby takes all parameters in the JSON body".into()
        } else {
            "the URL has a fragment (#...); remove it".into()
        });
    }
    if tail.contains('%') {
        return Err(
            "the path uses percent-encoding; write the endpoint plainly, e.g. /candidate.create"
                .into(),
        );
    }
    let Some(path) = tail.strip_prefix('/').filter(|p| !p.is_empty()) else {
        return Err(format!(
            "the URL has no endpoint path; add one, like {EXAMPLE}"
        ));
    };
    let segments: Vec<&str> = path.split('/').collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err("the path contains dot segments (. or ..)".into());
    }
    if segments.len() > 1 {
        return Err(format!(
            "the path \"{tail}\" is nested; an Ashby endpoint is one segment, /<category>.<method>"
        ));
    }
    if !is_endpoint_path(tail) {
        return Err(format!(
            "the path \"{tail}\" is not of the form /<category>.<method> (letters and digits, e.g. /candidate.create)"
        ));
    }
    Ok(tail.to_owned())
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
        if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
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

/// Whether `c` may appear in an HTTP token (RFC 9110 `tchar`).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Config, ConfigError> {
        Config::parse(&v.to_string())
    }

    fn invalid_key(v: Value) -> (String, String) {
        match parse(v.clone()) {
            Err(ConfigError::Invalid(p)) => (p.key, p.reason),
            other => panic!("{v}: expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn malformed_and_unknown_keys() {
        assert!(matches!(Config::parse("{"), Err(ConfigError::Malformed(_))));
        assert!(matches!(
            Config::parse("[1]"),
            Err(ConfigError::Malformed(_))
        ));
        assert_eq!(
            parse(json!({"template": "create-candidate", "tempalte": 1})),
            Err(ConfigError::UnknownKey("tempalte".into()))
        );
        assert_eq!(
            parse(json!({"template": "create-candidate", "batch": {"enabled": true, "sise": 3}})),
            Err(ConfigError::UnknownKey("batch.sise".into()))
        );
        assert_eq!(
            parse(
                json!({"template": "create-candidate", "batch": {"grouping": {"by_field": "a", "x": 1}}})
            ),
            Err(ConfigError::UnknownKey("batch.grouping.x".into()))
        );
    }

    #[test]
    fn template_mode() {
        let c = parse(json!({"template": "create-candidate"})).unwrap();
        let s = c.summary();
        assert_eq!(s.template.as_deref(), Some("create-candidate"));
        assert_eq!(s.endpoint, "/candidate.create");
        assert_eq!(s.method, "POST");
        assert_eq!(s.permission.as_deref(), Some("candidatesWrite"));
        assert!(!s.response_webhook);
        assert!(s.warnings.is_empty());

        let (key, reason) = invalid_key(json!({"template": "create-candidat"}));
        assert_eq!(key, "template");
        assert!(
            reason.contains("create-candidate") && reason.contains("get-job"),
            "{reason}"
        );
        assert_eq!(invalid_key(json!({"template": 3})).0, "template");
    }

    #[test]
    fn missing_endpoint() {
        match parse(json!({})) {
            Err(ConfigError::Missing(p)) => assert_eq!(p.key, "template"),
            other => panic!("{other:?}"),
        }
        // null counts as absent
        assert!(matches!(
            parse(json!({"template": null})),
            Err(ConfigError::Missing(_))
        ));
    }

    #[test]
    fn manual_mode() {
        let c = parse(json!({"url": "https://api.ashbyhq.com/candidate.create", "method": "post"}))
            .unwrap();
        assert!(c.template.is_none());
        assert_eq!(c.endpoint, "/candidate.create");
        assert_eq!(c.method, "POST");
        assert_eq!(c.permission.as_deref(), Some("candidatesWrite"));
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("create-candidate"));
        assert_eq!(c.result_id.as_deref(), Some("id"));

        let c = parse(json!({"url": "https://api.ashbyhq.com/application.changeStage"})).unwrap();
        assert_eq!(c.endpoint, "/application.changeStage");
        assert_eq!(c.permission, None);
        assert!(c.warnings.is_empty());

        // both, agreeing
        let c = parse(json!({"template": "get-job", "url": "https://api.ashbyhq.com/job.info"}))
            .unwrap();
        assert_eq!(c.template.unwrap().id, "get-job");
        // both, disagreeing
        let (key, reason) = invalid_key(
            json!({"template": "get-job", "url": "https://api.ashbyhq.com/job.update"}),
        );
        assert_eq!(key, "url");
        assert!(reason.contains("/job.info"));
    }

    #[test]
    fn url_refusals_name_the_problem() {
        for (url, needle) in [
            ("http://api.ashbyhq.com/candidate.create", "scheme"),
            ("ftp://api.ashbyhq.com/candidate.create", "scheme"),
            ("api.ashbyhq.com/candidate.create", "absolute"),
            ("https://evil.com/candidate.create", "host"),
            ("https://api.ashbyhq.com.evil.com/candidate.create", "host"),
            (
                "https://user:pw@api.ashbyhq.com/candidate.create",
                "userinfo",
            ),
            ("https://api.ashbyhq.com:443/candidate.create", "port"),
            ("https://api.ashbyhq.com/../candidate.create", "dot segment"),
            ("https://api.ashbyhq.com/./candidate.create", "dot segment"),
            ("https://api.ashbyhq.com/candidate%2Ecreate", "percent"),
            ("https://api.ashbyhq.com/candidate.create?x=1", "query"),
            ("https://api.ashbyhq.com/candidate.create#frag", "fragment"),
            ("https://api.ashbyhq.com", "no endpoint path"),
            ("https://api.ashbyhq.com/", "no endpoint path"),
            ("https://api.ashbyhq.com/v1/candidate.create", "nested"),
            ("https://api.ashbyhq.com/candidate.create/", "nested"),
            ("https://api.ashbyhq.com//candidate.create", "nested"),
            ("https://api.ashbyhq.com/candidate", "form"),
            ("https://api.ashbyhq.com/1candidate.create", "form"),
            ("https://api.ashbyhq.com/candidate.create\r\n", "control"),
            ("https://api.ashbyhq.com\\candidate.create", "backslash"),
        ] {
            let (key, reason) = invalid_key(json!({ "url": url }));
            assert_eq!(key, "url");
            assert!(reason.contains(needle), "{url}: {reason}");
        }
        assert_eq!(
            endpoint_from_url("HTTPS://API.ashbyhq.com/customField.setValues").unwrap(),
            "/customField.setValues"
        );
        assert_eq!(invalid_key(json!({"url": 5})).0, "url");
    }

    #[test]
    fn method() {
        let (key, reason) = invalid_key(json!({"template": "create-candidate", "method": "GET"}));
        assert_eq!(key, "method");
        assert!(reason.contains("every Ashby write endpoint is POST"));
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "method": 1})).0,
            "method"
        );
        assert_eq!(
            parse(json!({"template": "create-candidate", "method": "Post"}))
                .unwrap()
                .method,
            "POST"
        );
    }

    #[test]
    fn headers() {
        let c = parse(json!({"template": "create-candidate", "headers": " X-Tag : a:b , Accept:application/json; version=1"})).unwrap();
        assert_eq!(
            c.headers,
            vec![
                ("X-Tag".to_owned(), "a:b".to_owned()),
                (
                    "Accept".to_owned(),
                    "application/json; version=1".to_owned()
                )
            ]
        );
        assert!(
            parse(json!({"template": "create-candidate", "headers": ""}))
                .unwrap()
                .headers
                .is_empty()
        );
        for (h, needle) in [
            ("Authorization:Basic x", "reserved to the host"),
            ("host:x", "reserved to the host"),
            ("Cookie:a=b", "reserved to the host"),
            ("Proxy-Authorization:x", "reserved to the host"),
            ("content-length:3", "reserved to the host"),
            ("Transfer-Encoding:chunked", "reserved to the host"),
            ("connection:close", "reserved to the host"),
            ("Content-Type:text/plain", "reserved to the host"),
            ("upgrade:h2c", "reserved to the host"),
            ("TE:trailers", "reserved to the host"),
            ("keep-alive:1", "reserved to the host"),
            ("a:b,,c:d", "empty"),
            ("a:b,", "empty"),
            ("novalue", "colon"),
            (":v", "empty name"),
            ("bad name:v", "token"),
            ("x(y):v", "token"),
            ("x:a\rb", "control"),
            ("x:a\nb", "control"),
            ("x:a\0b", "control"),
            ("x:1,X:2", "twice"),
        ] {
            let (key, reason) = invalid_key(json!({"template": "create-candidate", "headers": h}));
            assert_eq!(key, "headers");
            assert!(reason.contains(needle), "{h:?}: {reason}");
        }
        // a tab is fine
        assert!(parse(json!({"template": "create-candidate", "headers": "x:a\tb"})).is_ok());
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "headers": ["a:b"]})).0,
            "headers"
        );
    }

    #[test]
    fn exclude_rename_defaults() {
        let c = parse(json!({"template": "create-candidate", "exclude": ["_id"], "rename": {"full_name": "name"}, "defaults": {"sourceId": "3ae2b801-19f6-41ef-ad28-214bd731948f"}})).unwrap();
        assert_eq!(c.exclude, vec!["_id"]);
        assert_eq!(c.rename, vec![("full_name".to_owned(), "name".to_owned())]);
        assert_eq!(c.defaults.len(), 1);

        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "exclude": "a"})).0,
            "exclude"
        );
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "exclude": [1]})).0,
            "exclude"
        );
        let (key, reason) = invalid_key(
            json!({"template": "create-candidate", "rename": {"a": "name", "b": "name"}}),
        );
        assert_eq!(key, "rename");
        assert!(reason.contains("\"a\"") && reason.contains("\"b\""));
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "rename": {"a": 1}})).0,
            "rename.a"
        );
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "rename": []})).0,
            "rename"
        );
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "defaults": []})).0,
            "defaults"
        );
        let (key, reason) =
            invalid_key(json!({"template": "create-candidate", "defaults": {"email": "nope"}}));
        assert_eq!(key, "defaults.email");
        assert!(reason.contains("email address"));
        // a default naming an alias is checked against its target
        assert_eq!(
            invalid_key(json!({"template": "create-opening", "defaults": {"jobId": "x"}})).0,
            "defaults.jobId"
        );
        assert!(parse(json!({"template": "create-opening", "defaults": {"jobId": "3ae2b801-19f6-41ef-ad28-214bd731948f"}})).is_ok());
        // manual mode does not check defaults
        assert!(
            parse(json!({"url": "https://api.ashbyhq.com/a.b", "defaults": {"email": "nope"}}))
                .is_ok()
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "response_webhook": "yes"})).0,
            "response_webhook"
        );
        assert!(
            parse(json!({"template": "create-candidate", "response_webhook": true}))
                .unwrap()
                .response_webhook
        );
    }

    #[test]
    fn side_effects_need_confirmation() {
        match parse(json!({"template": "start-offer-process"})) {
            Err(ConfigError::Missing(p)) => {
                assert_eq!(p.key, "confirm_side_effects");
                assert!(
                    p.reason.contains("notifications and approval routing"),
                    "{}",
                    p.reason
                );
            }
            other => panic!("{other:?}"),
        }
        let (key, reason) =
            invalid_key(json!({"template": "start-offer-process", "confirm_side_effects": false}));
        assert_eq!(key, "confirm_side_effects");
        assert!(reason.contains("offer process"));
        // manual url to the same endpoint
        match parse(json!({"url": "https://api.ashbyhq.com/offerProcess.start"})) {
            Err(ConfigError::Missing(p)) => assert_eq!(p.key, "confirm_side_effects"),
            other => panic!("{other:?}"),
        }
        let c = parse(json!({"template": "start-offer-process", "confirm_side_effects": true}))
            .unwrap();
        assert_eq!(c.permission.as_deref(), Some("offersWrite"));
        assert!(parse(json!({"url": "https://api.ashbyhq.com/offerProcess.start", "confirm_side_effects": true})).is_ok());
        assert_eq!(
            invalid_key(json!({"template": "start-offer-process", "confirm_side_effects": "true"}))
                .0,
            "confirm_side_effects"
        );
    }

    #[test]
    fn batch() {
        let c = parse(json!({"template": "create-candidate", "batch": {"enabled": true}})).unwrap();
        assert_eq!(
            c.batch,
            Some(Batch {
                size: 100,
                grouping: Grouping::Sequential
            })
        );
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("JSON array"), "{}", c.warnings[0]);

        let c = parse(json!({"template": "set-custom-field-values", "batch": {"enabled": true, "size": 5, "grouping": {"by_field": "objectId"}}})).unwrap();
        assert_eq!(
            c.batch,
            Some(Batch {
                size: 5,
                grouping: Grouping::ByField("objectId".into())
            })
        );
        assert!(c.warnings.is_empty());

        let c =
            parse(json!({"template": "create-candidate", "batch": {"enabled": false, "size": 5}}))
                .unwrap();
        assert_eq!(c.batch, None);
        assert!(c.warnings.is_empty());

        for (batch, key) in [
            (json!({"enabled": true, "size": 0}), "batch.size"),
            (json!({"enabled": true, "size": 1001}), "batch.size"),
            (json!({"enabled": true, "size": 2.5}), "batch.size"),
            (json!({"enabled": true, "size": "10"}), "batch.size"),
            (json!({"enabled": "yes"}), "batch.enabled"),
            (
                json!({"enabled": true, "grouping": "random"}),
                "batch.grouping",
            ),
            (
                json!({"enabled": true, "grouping": {"by_field": ""}}),
                "batch.grouping.by_field",
            ),
            (
                json!({"enabled": true, "grouping": {}}),
                "batch.grouping.by_field",
            ),
            (json!(true), "batch"),
        ] {
            assert_eq!(
                invalid_key(json!({"template": "create-candidate", "batch": batch})).0,
                key,
                "{batch}"
            );
        }
    }

    #[test]
    fn dedupe() {
        let c = parse(json!({"template": "create-candidate", "dedupe_by_email": true})).unwrap();
        assert_eq!(c.dedupe, Some(OnExisting::Skip));
        let c = parse(json!({"template": "create-candidate", "dedupe_by_email": true, "on_existing": "update"})).unwrap();
        assert_eq!(c.dedupe, Some(OnExisting::Update));
        assert_eq!(
            parse(json!({"template": "update-candidate", "dedupe_by_email": false}))
                .unwrap()
                .dedupe,
            None
        );

        let (key, reason) =
            invalid_key(json!({"template": "update-candidate", "dedupe_by_email": true}));
        assert_eq!(key, "dedupe_by_email");
        assert!(reason.contains("create-candidate"));
        assert_eq!(
            invalid_key(
                json!({"url": "https://api.ashbyhq.com/candidate.create", "dedupe_by_email": true})
            )
            .0,
            "dedupe_by_email"
        );
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "on_existing": "update"})).0,
            "on_existing"
        );
        assert_eq!(invalid_key(json!({"template": "create-candidate", "dedupe_by_email": true, "on_existing": "merge"})).0, "on_existing");
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "dedupe_by_email": 1})).0,
            "dedupe_by_email"
        );
        assert_eq!(
            invalid_key(json!({"template": "create-candidate", "dedupe_by_email": true, "batch": {"enabled": true}})).0,
            "batch.enabled"
        );
    }
}
