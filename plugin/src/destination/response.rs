//! The response-webhook record of one exchange (`on-response`).

use super::{Destination, object_json};
use crate::ashby::{
    APPLICATION_INFO, CANDIDATE_SEARCH, CANDIDATE_SEARCH_PERMISSION, CANDIDATE_UPDATE,
    CANDIDATE_UPDATE_PERMISSION, REQUEST_ID_HEADER,
};
use crate::config::OnExisting;
use crate::envelope::{self, Verdict};
use crate::types::{CallError, Exchange};
use serde_json::{Map, Value};

/// How the id of an exchange's answer is found.
enum IdRule<'a> {
    /// Under this key of `results`.
    Key(Option<&'a str>),
    /// The id of the one candidate a search found.
    SingleMatch,
}

impl Destination {
    /// The JSON text to publish to the response webhook for one exchange,
    /// or `None` when the webhook is off. An exchange whose path is not one
    /// of this destination's (its template's steps, or its dedupe
    /// lookup/update) is an invalid argument.
    pub fn on_response(&self, exchange: &Exchange) -> Result<Option<String>, CallError> {
        if !self.config.response_webhook {
            return Ok(None);
        }
        let path = exchange.request.path.as_str();
        let (rule, permission) = self.id_rule(path).ok_or_else(|| {
            CallError::InvalidArgument(format!(
                "the exchange's path {path} does not belong to this destination (endpoint {})",
                self.config.endpoint
            ))
        })?;
        let body = exchange.body.as_bytes();
        let key = match rule {
            IdRule::Key(k) => k,
            IdRule::SingleMatch => None,
        };
        let verdict = envelope::classify(exchange.status, &exchange.headers, body, key, permission);
        let id = match (&verdict, rule) {
            (Verdict::Delivered { id, .. }, IdRule::Key(_)) => id.clone(),
            (Verdict::Delivered { results, .. }, IdRule::SingleMatch) => {
                single_match(&results.value())
            }
            _ => None,
        };
        Ok(Some(object_json(&record(exchange, &verdict, id))))
    }

    /// The id rule and permission of one of this destination's paths.
    fn id_rule(&self, path: &str) -> Option<(IdRule<'_>, Option<&str>)> {
        if let Some(step) = self.config.template.as_ref().and_then(|t| t.step_for(path)) {
            return Some((
                IdRule::Key(step.result_id.as_deref()),
                Some(step.permission.as_str()),
            ));
        }
        if path == self.config.endpoint {
            Some((
                IdRule::Key(self.config.result_id.as_deref()),
                self.config.permission.as_deref(),
            ))
        } else if (self.config.dedupe.is_some() || self.config.lookup.is_some())
            && path == CANDIDATE_SEARCH
        {
            Some((IdRule::SingleMatch, Some(CANDIDATE_SEARCH_PERMISSION)))
        } else if self.config.lookup.is_some() && path == APPLICATION_INFO {
            Some((IdRule::Key(Some("id")), Some(CANDIDATE_SEARCH_PERMISSION)))
        } else if self.config.dedupe == Some(OnExisting::Update) && path == CANDIDATE_UPDATE {
            Some((IdRule::Key(Some("id")), Some(CANDIDATE_UPDATE_PERMISSION)))
        } else {
            None
        }
    }
}

/// The id of the one candidate in a search's results.
fn single_match(results: &Value) -> Option<String> {
    match results.as_array() {
        Some(list) if list.len() == 1 => list
            .first()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// The response-webhook record: `index`, `indexes`, `endpoint`, `status`,
/// `success`, `id`, `request_id`, `results`, `warnings`, `error_code`,
/// `error_message`.
fn record(exchange: &Exchange, verdict: &Verdict, id: Option<String>) -> Map<String, Value> {
    let env = envelope::parse_envelope(exchange.body.as_bytes());
    let success = matches!(verdict, Verdict::Delivered { .. });
    let request_id = envelope::header(&exchange.headers, REQUEST_ID_HEADER)
        .map(str::to_owned)
        .or_else(|| env.as_ref().and_then(|e| e.request_id.clone()));
    let records = &exchange.request.records;
    let text = |s: Option<String>| s.map_or(Value::Null, Value::String);
    let mut out = Map::new();
    out.insert(
        "index".into(),
        records.first().map_or(Value::Null, |i| Value::from(*i)),
    );
    out.insert(
        "indexes".into(),
        Value::Array(records.iter().map(|i| Value::from(*i)).collect()),
    );
    out.insert(
        "endpoint".into(),
        Value::String(exchange.request.path.clone()),
    );
    out.insert("status".into(), Value::from(exchange.status));
    out.insert("success".into(), Value::Bool(success));
    out.insert("id".into(), text(id));
    out.insert("request_id".into(), text(request_id));
    out.insert(
        "results".into(),
        env.as_ref().map_or(Value::Null, |e| e.results.value()),
    );
    out.insert(
        "warnings".into(),
        Value::Array(env.as_ref().map(|e| e.warnings.clone()).unwrap_or_default()),
    );
    let (code, message) = if success {
        (None, None)
    } else {
        (
            Some(verdict.code().to_owned()),
            verdict.message().map(str::to_owned),
        )
    };
    out.insert("error_code".into(), text(code));
    out.insert("error_message".into(), text(message));
    out
}
