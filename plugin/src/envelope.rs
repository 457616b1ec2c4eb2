//! Reads Ashby's response envelope and classifies an exchange.
//!
//! Ashby answers `200 {"success": true, "results": …}` on success and, for
//! what would be a 4xx, `200 {"success": false, "errorInfo": {…}, "errors":
//! […]}`. Authentication problems are real 401/403s, rate limits 429s.
//! `errors` entries may be strings or `{message, code}` objects.

use crate::schema::truncate;
use crate::types::HttpError;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

mod results;
pub use results::Results;

/// Retry codes that mean "the remote asked us to slow down": after one, a
/// `send` call makes no further requests.
pub const SLOW_DOWN_CODES: [&str; 4] = [
    "rate_limited",
    "rate_limited_integration_partner",
    "rate_limit_exceeded",
    "concurrent_limit_exceeded",
];

/// The longest message taken from a response body, in characters.
const MESSAGE_MAX: usize = 300;

/// How an exchange is classified, before the exchange is attached.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Accepted.
    Delivered {
        /// The id to report, when known.
        id: Option<String>,
        /// Ashby's `results` as it arrived (null when absent), parsed only
        /// when a caller needs more than the id.
        results: Results,
    },
    /// Permanent failure.
    Rejected {
        /// Error code.
        code: String,
        /// One sentence.
        message: String,
    },
    /// Transient failure.
    Retry {
        /// Retry code.
        code: String,
        /// One sentence.
        message: String,
        /// The `Retry-After` header, verbatim.
        retry_after: Option<String>,
    },
    /// Stop the flow.
    Halt {
        /// Halt code.
        code: String,
        /// One sentence.
        message: String,
        /// The permission the endpoint needs, when known.
        permission: Option<String>,
    },
}

impl Verdict {
    fn rejected(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Rejected {
            code: code.into(),
            message: message.into(),
        }
    }

    fn retry(
        code: impl Into<String>,
        message: impl Into<String>,
        retry_after: Option<String>,
    ) -> Self {
        Self::Retry {
            code: code.into(),
            message: message.into(),
            retry_after,
        }
    }

    fn halt(code: impl Into<String>, message: impl Into<String>, permission: Option<&str>) -> Self {
        Self::Halt {
            code: code.into(),
            message: message.into(),
            permission: permission.map(str::to_owned),
        }
    }

    /// The code (`delivered` for a success).
    pub fn code(&self) -> &str {
        match self {
            Self::Delivered { .. } => "delivered",
            Self::Rejected { code, .. } | Self::Retry { code, .. } | Self::Halt { code, .. } => {
                code
            }
        }
    }

    /// The message (`None` for a success).
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Delivered { .. } => None,
            Self::Rejected { message, .. }
            | Self::Retry { message, .. }
            | Self::Halt { message, .. } => Some(message),
        }
    }
}

/// Ashby's JSON envelope, leniently read.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The `success` flag.
    pub success: bool,
    /// `results` as it arrived, null when absent.
    pub results: Results,
    /// `warnings`, empty when absent.
    pub warnings: Vec<Value>,
    /// The error code (see [`error_of`]), `None` on success.
    pub error_code: Option<String>,
    /// The error message, `None` on success.
    pub error_message: Option<String>,
    /// `errorInfo.requestId`, when present.
    pub request_id: Option<String>,
}

/// The envelope's members as they arrive; `results` is kept as text (the
/// answer to a create can be a whole candidate, and most records need only
/// its id). Other members are ignored.
#[derive(Deserialize)]
struct Wire<'a> {
    success: Option<bool>,
    #[serde(borrow)]
    results: Option<&'a RawValue>,
    warnings: Option<Value>,
    #[serde(rename = "errorInfo")]
    error_info: Option<Value>,
    errors: Option<Value>,
    message: Option<Value>,
}

/// Parses a body as Ashby's envelope: a JSON object with a boolean
/// `success`. Anything else is `None`.
pub fn parse_envelope(body: &[u8]) -> Option<Envelope> {
    // A struct also deserializes from a JSON array; only an object is an
    // envelope.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let wire: Wire<'_> = serde_json::from_slice(body).ok()?;
    let success = wire.success?;
    let request_id = wire
        .error_info
        .as_ref()
        .and_then(|i| i.get("requestId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (error_code, error_message) = if success {
        (None, None)
    } else {
        let mut obj = Map::new();
        for (k, v) in [
            ("errorInfo", wire.error_info),
            ("errors", wire.errors),
            ("message", wire.message),
        ] {
            if let Some(v) = v {
                obj.insert(k.to_owned(), v);
            }
        }
        let (c, m) = error_of(&obj);
        (Some(c), Some(m))
    };
    Some(Envelope {
        success,
        results: Results::from_raw(wire.results),
        warnings: match wire.warnings {
            Some(Value::Array(w)) => w,
            _ => Vec::new(),
        },
        error_code,
        error_message,
        request_id,
    })
}

/// Whether `s` looks like a machine code (`invalid_input`), not a sentence.
fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

fn entry_text(e: &Value) -> Option<String> {
    match e {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| o.get("code").and_then(Value::as_str))
            .map(str::to_owned),
        _ => None,
    }
}

/// The error code and message of an error envelope: the code is
/// `errorInfo.code`, else the first `errors` entry (a code string, or an
/// object's `code`), else `unknown_error`; the message is
/// `errorInfo.message`, else the `errors` texts joined.
pub fn error_of(obj: &Map<String, Value>) -> (String, String) {
    let info = obj.get("errorInfo").and_then(Value::as_object);
    let errors: Vec<&Value> = match obj.get("errors") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ (Value::String(_) | Value::Object(_))) => vec![v],
        _ => Vec::new(),
    };
    let code = info
        .and_then(|i| i.get("code"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .or_else(|| match errors.first() {
            Some(Value::String(s)) if is_code(s) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("code").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| "unknown_error".to_owned());
    let message = info
        .and_then(|i| i.get("message"))
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            let texts: Vec<String> = errors.iter().filter_map(|e| entry_text(e)).collect();
            (!texts.is_empty()).then(|| texts.join("; "))
        })
        .or_else(|| {
            obj.get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| format!("Ashby reported {code} without a message"));
    (code, truncate(&message, MESSAGE_MAX))
}

/// A header's value by case-insensitive name.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The id in `results` under `key`, when `results` is an object and the
/// value is a string.
pub fn result_id(results: &Results, key: Option<&str>) -> Option<String> {
    key.and_then(|k| results.id_under(k))
}

/// What a non-envelope or error body says, for messages: an envelope's
/// error message, a JSON `message`/`error` string, or short plain text.
fn body_error(body: &[u8]) -> (Option<String>, Option<String>) {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => {
            if obj.contains_key("errorInfo") || obj.contains_key("errors") {
                let (c, m) = error_of(&obj);
                (Some(c), Some(m))
            } else {
                let m = ["message", "error"]
                    .iter()
                    .find_map(|k| obj.get(*k).and_then(Value::as_str))
                    .map(|m| truncate(m, MESSAGE_MAX));
                (None, m)
            }
        }
        Ok(_) => (None, None),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() || text.starts_with('<') {
                (None, None)
            } else {
                (None, Some(truncate(text, MESSAGE_MAX)))
            }
        }
    }
}

fn with_detail(base: String, detail: Option<&str>) -> String {
    match detail {
        Some(d) => format!("{base}: {d}"),
        None => base,
    }
}

/// Classifies one HTTP response.
///
/// `id_key` is the key of `results` holding the id to report; `permission`
/// is what the endpoint needs, reported with permission halts.
pub fn classify(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    id_key: Option<&str>,
    permission: Option<&str>,
) -> Verdict {
    let retry_after = || header(headers, "retry-after").map(str::to_owned);
    match status {
        200..=299 => classify_success(status, headers, body, id_key, permission),
        401 => {
            let (_, m) = body_error(body);
            Verdict::halt(
                "unauthorized",
                m.unwrap_or_else(|| {
                    "Ashby refused the request (HTTP 401): the API key is missing".to_owned()
                }),
                permission,
            )
        }
        403 => classify_403(body, permission),
        429 => classify_429(headers, body),
        408 | 500..=599 => {
            let (_, m) = body_error(body);
            Verdict::retry(
                "server_error",
                with_detail(format!("Ashby answered HTTP {status}"), m.as_deref()),
                retry_after(),
            )
        }
        400..=499 => {
            let (_, m) = body_error(body);
            Verdict::rejected(
                format!("http_{status}"),
                with_detail(format!("Ashby answered HTTP {status}"), m.as_deref()),
            )
        }
        _ => Verdict::rejected(
            format!("http_{status}"),
            format!("unexpected HTTP {status} from Ashby (redirects are not followed)"),
        ),
    }
}

/// Classifies a 2xx answer by Ashby's envelope.
fn classify_success(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    id_key: Option<&str>,
    permission: Option<&str>,
) -> Verdict {
    let retry_after = || header(headers, "retry-after").map(str::to_owned);
    match parse_envelope(body) {
        None => Verdict::rejected(
            "invalid_response",
            format!(
                "Ashby answered HTTP {status} with a body that is not its JSON envelope; it is unknown whether the request was applied, so it is not retried"
            ),
        ),
        Some(env) if env.success => Verdict::Delivered {
            id: result_id(&env.results, id_key),
            results: env.results,
        },
        Some(env) => {
            let code = env.error_code.unwrap_or_else(|| "unknown_error".to_owned());
            let message = env.error_message.unwrap_or_default();
            match code.as_str() {
                "missing_endpoint_permission" => Verdict::halt(code, message, permission),
                "rate_limit_exceeded" | "concurrent_limit_exceeded" => {
                    Verdict::retry(code, message, retry_after())
                }
                _ => Verdict::rejected(code, message),
            }
        }
    }
}

/// Classifies a 403: a missing endpoint permission, or a refused key.
fn classify_403(body: &[u8], permission: Option<&str>) -> Verdict {
    let (c, m) = body_error(body);
    let missing_permission = c.as_deref() == Some("missing_endpoint_permission")
        || String::from_utf8_lossy(body).contains("missing_endpoint_permission");
    if missing_permission {
        let default = match permission {
            Some(p) => format!("the API key lacks the {p} permission this endpoint needs"),
            None => "the API key lacks the permission this endpoint needs".to_owned(),
        };
        Verdict::halt(
            "missing_endpoint_permission",
            m.unwrap_or(default),
            permission,
        )
    } else {
        Verdict::halt(
            "forbidden",
            m.unwrap_or_else(|| {
                "Ashby refused the API key (HTTP 403): it is wrong or deactivated".to_owned()
            }),
            permission,
        )
    }
}

/// Classifies a 429, telling the integration-partner limit apart.
fn classify_429(headers: &[(String, String)], body: &[u8]) -> Verdict {
    let retry_after = || header(headers, "retry-after").map(str::to_owned);
    let (_, m) = body_error(body);
    let partner = header(headers, "x-ratelimit-scope")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("integration-partner"));
    if partner {
        Verdict::retry(
            "rate_limited_integration_partner",
            with_detail(
                "Ashby is rate limiting the integration partner's combined traffic across organisations (x-ratelimit-scope: integration-partner), not only this API key".to_owned(),
                m.as_deref(),
            ),
            retry_after(),
        )
    } else {
        Verdict::retry(
            "rate_limited",
            with_detail(
                "Ashby's rate limit was reached (HTTP 429)".to_owned(),
                m.as_deref(),
            ),
            retry_after(),
        )
    }
}

/// Classifies a transport failure (no response).
pub fn classify_error(err: &HttpError) -> Verdict {
    match err {
        HttpError::Timeout(m) => Verdict::retry(
            "timeout",
            format!("no response in time; Ashby may or may not have applied the request: {m}"),
            None,
        ),
        HttpError::Connect(m) => Verdict::retry(
            "connect",
            format!("could not connect; the request was not seen: {m}"),
            None,
        ),
        HttpError::Transport(m) => Verdict::retry(
            "transport",
            format!("the connection failed after the request may have been sent: {m}"),
            None,
        ),
        HttpError::TooLarge(m) => Verdict::rejected(
            "response_too_large",
            format!("the response exceeded the host's size limit: {m}"),
        ),
        HttpError::InvalidRequest(m) => Verdict::rejected(
            "invalid_request",
            format!("the host refused the request as malformed: {m}"),
        ),
        HttpError::Denied(m) => Verdict::halt(
            "denied",
            format!("the host's policy refused the request: {m}"),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn run(status: u16, headers: &[(&str, &str)], body: &str) -> Verdict {
        classify(
            status,
            &h(headers),
            body.as_bytes(),
            Some("id"),
            Some("candidatesWrite"),
        )
    }

    fn parts(v: &Verdict) -> (&'static str, String, String) {
        match v {
            Verdict::Delivered { id, .. } => {
                ("delivered", id.clone().unwrap_or_default(), String::new())
            }
            Verdict::Rejected { code, message } => ("rejected", code.clone(), message.clone()),
            Verdict::Retry { code, message, .. } => ("retry", code.clone(), message.clone()),
            Verdict::Halt { code, message, .. } => ("halt", code.clone(), message.clone()),
        }
    }

    #[test]
    fn success() {
        let v = run(
            200,
            &[],
            r#"{"success":true,"results":{"id":"c1","name":"Ada"}}"#,
        );
        assert_eq!(parts(&v), ("delivered", "c1".into(), String::new()));
        // results not an object, id not a string, no results
        for body in [
            r#"{"success":true,"results":[{"id":"x"}]}"#,
            r#"{"success":true,"results":{"id":5}}"#,
            r#"{"success":true}"#,
        ] {
            assert!(
                matches!(run(200, &[], body), Verdict::Delivered { id: None, .. }),
                "{body}"
            );
        }
        assert!(matches!(
            classify(
                200,
                &[],
                br#"{"success":true,"results":{"id":"c1"}}"#,
                None,
                None
            ),
            Verdict::Delivered { id: None, .. }
        ));
        assert!(matches!(
            run(201, &[], r#"{"success":true,"results":{"id":"c1"}}"#),
            Verdict::Delivered { .. }
        ));
    }

    #[test]
    fn not_an_envelope() {
        for body in [
            "",
            "<html>ok</html>",
            "[]",
            r#"{"ok":true}"#,
            r#"{"success":"true"}"#,
        ] {
            assert_eq!(
                parts(&run(200, &[], body)).1,
                "invalid_response",
                "{body:?}"
            );
        }
    }

    #[test]
    fn error_envelopes() {
        let v = run(
            200,
            &[],
            r#"{"success":false,"errors":["invalid_input"],"errorInfo":{"code":"invalid_input","message":"Request payload is malformed","requestId":"01J"}}"#,
        );
        assert_eq!(
            parts(&v),
            (
                "rejected",
                "invalid_input".into(),
                "Request payload is malformed".into()
            )
        );
        // errorInfo only
        let v = run(
            200,
            &[],
            r#"{"success":false,"errorInfo":{"code":"application_not_found","message":"Application not found"}}"#,
        );
        assert_eq!(
            parts(&v),
            (
                "rejected",
                "application_not_found".into(),
                "Application not found".into()
            )
        );
        // errors as strings only
        let v = run(
            200,
            &[],
            r#"{"success":false,"errors":["invalid_input","name is required"]}"#,
        );
        assert_eq!(
            parts(&v),
            (
                "rejected",
                "invalid_input".into(),
                "invalid_input; name is required".into()
            )
        );
        // errors as a sentence only
        let v = run(
            200,
            &[],
            r#"{"success":false,"errors":["Missing required field: name"]}"#,
        );
        assert_eq!(
            parts(&v),
            (
                "rejected",
                "unknown_error".into(),
                "Missing required field: name".into()
            )
        );
        // errors as objects
        let v = run(
            200,
            &[],
            r#"{"success":false,"errors":[{"message":"Key lacks permission","code":"missing_endpoint_permission"}]}"#,
        );
        assert!(
            matches!(&v, Verdict::Halt { code, message, permission } if code == "missing_endpoint_permission" && message == "Key lacks permission" && permission.as_deref() == Some("candidatesWrite"))
        );
        let v = run(
            200,
            &[],
            r#"{"success":false,"errors":[{"message":"bad email","parameter":"email"}]}"#,
        );
        assert_eq!(
            parts(&v),
            ("rejected", "unknown_error".into(), "bad email".into())
        );
        // nothing at all
        let v = run(200, &[], r#"{"success":false}"#);
        assert_eq!(parts(&v).1, "unknown_error");
        // rate limit codes in a 200 are retries
        for code in ["rate_limit_exceeded", "concurrent_limit_exceeded"] {
            let v = run(
                200,
                &[("Retry-After", "60")],
                &format!(r#"{{"success":false,"errorInfo":{{"code":"{code}","message":"slow"}}}}"#),
            );
            assert!(
                matches!(&v, Verdict::Retry { code: c, retry_after, .. } if c == code && retry_after.as_deref() == Some("60"))
            );
        }
    }

    #[test]
    fn statuses() {
        let v = run(401, &[], "");
        assert_eq!(parts(&v).0, "halt");
        assert_eq!(parts(&v).1, "unauthorized");
        let v = run(
            401,
            &[],
            r#"{"success":false,"errors":["API key is missing"]}"#,
        );
        assert_eq!(parts(&v).2, "API key is missing");

        let v = run(403, &[], "Invalid API key");
        assert_eq!(
            parts(&v),
            ("halt", "forbidden".into(), "Invalid API key".into())
        );
        let v = run(
            403,
            &[],
            r#"{"success":false,"errors":["missing_endpoint_permission"],"errorInfo":{"code":"missing_endpoint_permission","message":"Missing candidatesWrite"}}"#,
        );
        assert!(
            matches!(&v, Verdict::Halt { code, message, permission } if code == "missing_endpoint_permission" && message == "Missing candidatesWrite" && permission.as_deref() == Some("candidatesWrite"))
        );
        let v = run(
            403,
            &[],
            r#"{"errors":[{"message":"The API key is missing_endpoint_permission"}]}"#,
        );
        assert_eq!(parts(&v).1, "missing_endpoint_permission");
        let v = run(403, &[], "<html>no</html>");
        assert_eq!(parts(&v).1, "forbidden");
        assert!(parts(&v).2.contains("403"));

        let v = run(
            429,
            &[("retry-after", "30")],
            r#"{"success":false,"errorInfo":{"code":"rate_limit_exceeded","message":"Try again in 60 seconds."}}"#,
        );
        assert!(
            matches!(&v, Verdict::Retry { code, retry_after, message } if code == "rate_limited" && retry_after.as_deref() == Some("30") && message.contains("Try again"))
        );
        let v = run(429, &[("X-RateLimit-Scope", "integration-partner")], "");
        assert!(
            matches!(&v, Verdict::Retry { code, retry_after: None, message } if code == "rate_limited_integration_partner" && message.contains("integration partner"))
        );

        for status in [408, 500, 502, 503, 599] {
            let v = run(
                status,
                &[("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT")],
                "oops",
            );
            assert!(
                matches!(&v, Verdict::Retry { code, retry_after: Some(r), .. } if code == "server_error" && r.starts_with("Wed")),
                "{status}"
            );
        }
        for status in [400, 404, 409, 422] {
            assert_eq!(parts(&run(status, &[], "")).1, format!("http_{status}"));
        }
        assert_eq!(
            parts(&run(302, &[], "")),
            (
                "rejected",
                "http_302".into(),
                "unexpected HTTP 302 from Ashby (redirects are not followed)".into()
            )
        );
    }

    #[test]
    fn transport_errors() {
        let cases = [
            (HttpError::Timeout("t".into()), "retry", "timeout"),
            (HttpError::Connect("c".into()), "retry", "connect"),
            (HttpError::Transport("x".into()), "retry", "transport"),
            (
                HttpError::TooLarge("big".into()),
                "rejected",
                "response_too_large",
            ),
            (
                HttpError::InvalidRequest("bad".into()),
                "rejected",
                "invalid_request",
            ),
            (HttpError::Denied("no".into()), "halt", "denied"),
        ];
        for (err, kind, code) in cases {
            let v = classify_error(&err);
            assert_eq!((parts(&v).0, parts(&v).1.as_str()), (kind, code));
        }
    }

    #[test]
    fn envelope_fields() {
        let env = parse_envelope(br#"{"success":true,"results":{"id":"a"},"warnings":["unable_to_add_application_metadata"]}"#).unwrap();
        assert!(env.success);
        assert_eq!(env.results.value(), json!({"id": "a"}));
        assert_eq!(
            env.warnings,
            vec![json!("unable_to_add_application_metadata")]
        );
        assert_eq!(env.error_code, None);
        let env = parse_envelope(
            br#"{"success":false,"errorInfo":{"code":"x","message":"y","requestId":"r1"}}"#,
        )
        .unwrap();
        assert_eq!(env.request_id.as_deref(), Some("r1"));
        assert_eq!(env.error_code.as_deref(), Some("x"));
        assert!(parse_envelope(b"nope").is_none());
    }
}
