//! The destination itself: plans requests from records, sends them through
//! a [`Transport`], and classifies what comes back.
//!
//! `sample` and `send` share one planner, so `sample` shows exactly the
//! requests `send` makes (with lookup-before-create, `send` may make fewer:
//! the search can make the create unnecessary).

use crate::config::{
    CANDIDATE_SEARCH, CANDIDATE_SEARCH_PERMISSION, CANDIDATE_UPDATE, CUSTOM_FIELD_SET_VALUES,
    Config, Grouping, OnExisting,
};
use crate::envelope::{self, SLOW_DOWN_CODES, Verdict};
use crate::lost_write;
use crate::shape::{ShapedRecord, shape_record};
use crate::types::{
    CallError, ConfigError, ConfigSummary, Delivered, Exchange, Halt, InputRecord, Outcome,
    PlannedRequest, RecordOutcome, Rejected, Retry, Sample, Transport,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The most records `sample-payload` and `send` take per call.
pub const MAX_RECORDS_PER_CALL: u32 = 10_000;

/// The permission `candidate.update` needs (dedupe with `on_existing: update`).
const CANDIDATE_UPDATE_PERMISSION: &str = "candidatesWrite";

/// A configured Ashby destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    config: Config,
}

/// One unit of work in a call, in the order `send` performs them.
#[derive(Debug, Clone)]
enum Step {
    /// One request carrying one or more records (by position).
    Request {
        positions: Vec<usize>,
        request: PlannedRequest,
    },
    /// Lookup-before-create for one record.
    Dedupe {
        position: usize,
        search: PlannedRequest,
        create: PlannedRequest,
    },
}

/// A locally valid record: its position, its shaping and its body.
type Valid<'a> = (usize, &'a ShapedRecord, &'a Map<String, Value>);

/// Everything `sample` and `send` derive from the records before any I/O.
struct Plan {
    shaped: Vec<ShapedRecord>,
    steps: Vec<Step>,
}

/// Why `send` stopped making requests.
enum Stop {
    Halt(Box<Halt>),
    Deferred(Option<String>),
}

fn to_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| String::from("null"))
}

fn object_json(map: &Map<String, Value>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| String::from("{}"))
}

impl Destination {
    /// Parses and checks a config (JSON text) and returns the destination
    /// and its summary.
    pub fn configure(json: &str) -> Result<(Self, ConfigSummary), ConfigError> {
        let config = Config::parse(json)?;
        let summary = config.summary();
        Ok((Self { config }, summary))
    }

    /// A destination from an already parsed config.
    pub fn from_config(config: Config) -> Self {
        Self { config }
    }

    /// The config in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The config summary, as `configure` returned it.
    pub fn summary(&self) -> ConfigSummary {
        self.config.summary()
    }

    /// The requests `send` would make for these records and the problems
    /// found in them. Makes no request.
    pub fn sample(&self, records: &[InputRecord]) -> Sample {
        let plan = self.plan(records);
        let mut requests = Vec::new();
        for step in plan.steps {
            match step {
                Step::Request { request, .. } => requests.push(request),
                Step::Dedupe { search, create, .. } => {
                    requests.push(search);
                    requests.push(create);
                }
            }
        }
        let mut problems = Vec::new();
        for s in plan.shaped {
            if let Err(p) = s.body {
                problems.push(p);
            }
            problems.extend(s.warnings);
        }
        Sample { requests, problems }
    }

    /// Sends the records and returns exactly one outcome per input record,
    /// in input order. Never retries: after a halt, or after the remote asks
    /// to slow down, no further request is made in this call.
    pub fn send(
        &self,
        transport: &mut impl Transport,
        records: &[InputRecord],
    ) -> Vec<RecordOutcome> {
        let plan = self.plan(records);
        let mut outcomes: Vec<Option<Outcome>> = plan
            .shaped
            .iter()
            .map(|s| {
                s.body.as_ref().err().map(|p| {
                    Outcome::Rejected(Rejected {
                        code: p.code.clone(),
                        message: p.message.clone(),
                        exchange: None,
                    })
                })
            })
            .collect();
        let mut stop: Option<Stop> = None;
        for step in plan.steps {
            let (positions, outcome) = match (&stop, step) {
                (Some(stop), step) => {
                    let positions = match step {
                        Step::Request { positions, .. } => positions,
                        Step::Dedupe { position, .. } => vec![position],
                    };
                    (positions, stopped_outcome(stop))
                }
                (None, Step::Request { positions, request }) => {
                    let outcome = match positions.as_slice() {
                        [pos] if !self.config.idempotent && self.config.batch.is_none() => {
                            let body = plan.shaped.get(*pos).and_then(|s| s.body.as_ref().ok());
                            let maybe = records.get(*pos).is_some_and(|r| r.maybe_applied);
                            lost_write::careful_write(&self.config, transport, request, body, maybe)
                        }
                        _ => self.call(
                            transport,
                            request,
                            self.config.result_id.as_deref(),
                            self.config.permission.as_deref(),
                            false,
                        ),
                    };
                    (positions, outcome)
                }
                (
                    None,
                    Step::Dedupe {
                        position,
                        search,
                        create,
                    },
                ) => {
                    let outcome = self.dedupe(transport, &plan.shaped, position, search, create);
                    (vec![position], outcome)
                }
            };
            if stop.is_none() {
                stop = stop_after(&outcome);
            }
            for pos in positions {
                if let Some(slot) = outcomes.get_mut(pos) {
                    *slot = Some(outcome.clone());
                }
            }
        }
        records
            .iter()
            .zip(outcomes)
            .map(|(r, o)| RecordOutcome {
                index: r.index,
                outcome: o.unwrap_or_else(|| {
                    Outcome::Rejected(Rejected {
                        code: "internal_error".into(),
                        message: "the destination planned no request for this record".into(),
                        exchange: None,
                    })
                }),
            })
            .collect()
    }

    /// The JSON text to publish to the response webhook for one exchange,
    /// or `None` when the webhook is off. An exchange whose path is not this
    /// destination's (or its dedupe lookup/update) is an invalid argument.
    pub fn on_response(&self, exchange: &Exchange) -> Result<Option<String>, CallError> {
        if !self.config.response_webhook {
            return Ok(None);
        }
        let path = exchange.request.path.as_str();
        enum IdRule<'a> {
            Key(Option<&'a str>),
            SingleMatch,
        }
        let (rule, permission) = if path == self.config.endpoint {
            (
                IdRule::Key(self.config.result_id.as_deref()),
                self.config.permission.as_deref(),
            )
        } else if (self.config.dedupe.is_some() || self.config.lookup.is_some())
            && path == CANDIDATE_SEARCH
        {
            (IdRule::SingleMatch, Some(CANDIDATE_SEARCH_PERMISSION))
        } else if self.config.lookup.is_some() && path == lost_write::APPLICATION_INFO {
            (IdRule::Key(Some("id")), Some(CANDIDATE_SEARCH_PERMISSION))
        } else if self.config.dedupe == Some(OnExisting::Update) && path == CANDIDATE_UPDATE {
            (IdRule::Key(Some("id")), Some(CANDIDATE_UPDATE_PERMISSION))
        } else {
            return Err(CallError::InvalidArgument(format!(
                "the exchange's path {path} does not belong to this destination (endpoint {})",
                self.config.endpoint
            )));
        };
        let body = exchange.body.as_bytes();
        let key = match rule {
            IdRule::Key(k) => k,
            IdRule::SingleMatch => None,
        };
        let verdict = envelope::classify(exchange.status, &exchange.headers, body, key, permission);
        let env = envelope::parse_envelope(body);
        let id = match (&verdict, rule) {
            (Verdict::Delivered { id, .. }, IdRule::Key(_)) => id.clone(),
            (Verdict::Delivered { results, .. }, IdRule::SingleMatch) => match results.as_array() {
                Some(list) if list.len() == 1 => list
                    .first()
                    .and_then(|c| c.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                _ => None,
            },
            _ => None,
        };
        let success = matches!(verdict, Verdict::Delivered { .. });
        let request_id = envelope::header(&exchange.headers, "x-ashby-request-id")
            .map(str::to_owned)
            .or_else(|| env.as_ref().and_then(|e| e.request_id.clone()));
        let records = &exchange.request.records;
        let mut out = Map::new();
        out.insert(
            "index".into(),
            records.first().map_or(Value::Null, |i| Value::from(*i)),
        );
        out.insert(
            "indexes".into(),
            Value::Array(records.iter().map(|i| Value::from(*i)).collect()),
        );
        out.insert("endpoint".into(), Value::String(path.to_owned()));
        out.insert("status".into(), Value::from(exchange.status));
        out.insert("success".into(), Value::Bool(success));
        out.insert("id".into(), id.map_or(Value::Null, Value::String));
        out.insert(
            "request_id".into(),
            request_id.map_or(Value::Null, Value::String),
        );
        out.insert(
            "results".into(),
            env.as_ref().map_or(Value::Null, |e| e.results.clone()),
        );
        out.insert(
            "warnings".into(),
            Value::Array(env.as_ref().map(|e| e.warnings.clone()).unwrap_or_default()),
        );
        let (code, message) = if success {
            (Value::Null, Value::Null)
        } else {
            (
                Value::String(verdict.code().to_owned()),
                verdict
                    .message()
                    .map_or(Value::Null, |m| Value::String(m.to_owned())),
            )
        };
        out.insert("error_code".into(), code);
        out.insert("error_message".into(), message);
        Ok(Some(object_json(&out)))
    }

    fn request(&self, path: &str, body: String, records: Vec<u64>) -> PlannedRequest {
        PlannedRequest {
            method: self.config.method.clone(),
            path: path.to_owned(),
            headers: self.config.headers.clone(),
            body,
            records,
        }
    }

    fn plan(&self, records: &[InputRecord]) -> Plan {
        let shaped: Vec<ShapedRecord> = records
            .iter()
            .map(|r| shape_record(&self.config, r))
            .collect();
        let valid: Vec<Valid<'_>> = shaped
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.body.as_ref().ok().map(|b| (i, s, b)))
            .collect();
        let endpoint = self.config.endpoint.as_str();
        let mut steps = Vec::new();
        if let Some(batch) = &self.config.batch {
            let groups: Vec<Vec<Valid<'_>>> = match &batch.grouping {
                Grouping::Sequential => vec![valid],
                Grouping::ByField(field) => {
                    let mut order: HashMap<String, usize> = HashMap::new();
                    let mut groups: Vec<Vec<_>> = Vec::new();
                    for item in valid {
                        let key = item.2.get(field).map_or_else(|| "null".to_owned(), to_json);
                        let at = *order.entry(key).or_insert_with(|| {
                            groups.push(Vec::new());
                            groups.len() - 1
                        });
                        if let Some(g) = groups.get_mut(at) {
                            g.push(item);
                        }
                    }
                    groups
                }
            };
            for group in groups {
                for chunk in group.chunks(batch.size.max(1)) {
                    if endpoint == CUSTOM_FIELD_SET_VALUES {
                        for (positions, indexes, body) in merge_custom_fields(chunk) {
                            steps.push(Step::Request {
                                positions,
                                request: self.request(endpoint, object_json(&body), indexes),
                            });
                        }
                    } else {
                        let body = Value::Array(
                            chunk
                                .iter()
                                .map(|(_, _, b)| Value::Object((*b).clone()))
                                .collect(),
                        );
                        steps.push(Step::Request {
                            positions: chunk.iter().map(|(p, _, _)| *p).collect(),
                            request: self.request(
                                endpoint,
                                to_json(&body),
                                chunk.iter().map(|(_, s, _)| s.index).collect(),
                            ),
                        });
                    }
                }
            }
        } else {
            for (position, s, body) in valid {
                let create = self.request(endpoint, object_json(body), vec![s.index]);
                let email = body.get("email").and_then(Value::as_str);
                match (self.config.dedupe, email) {
                    (Some(_), Some(email)) => {
                        let mut q = Map::new();
                        q.insert("email".into(), Value::String(email.to_owned()));
                        steps.push(Step::Dedupe {
                            position,
                            search: self.request(CANDIDATE_SEARCH, object_json(&q), vec![s.index]),
                            create,
                        });
                    }
                    _ => steps.push(Step::Request {
                        positions: vec![position],
                        request: create,
                    }),
                }
            }
        }
        Plan { shaped, steps }
    }

    /// Makes one request and turns the answer into an outcome.
    fn call(
        &self,
        transport: &mut impl Transport,
        request: PlannedRequest,
        id_key: Option<&str>,
        permission: Option<&str>,
        existing: bool,
    ) -> Outcome {
        let (verdict, exchange) = exchange(transport, request, id_key, permission);
        outcome_of(verdict, exchange, existing)
    }

    fn dedupe(
        &self,
        transport: &mut impl Transport,
        shaped: &[ShapedRecord],
        position: usize,
        search: PlannedRequest,
        create: PlannedRequest,
    ) -> Outcome {
        let (verdict, search_exchange) =
            exchange(transport, search, None, Some(CANDIDATE_SEARCH_PERMISSION));
        let Verdict::Delivered { results, .. } = &verdict else {
            return outcome_of(verdict, search_exchange, false);
        };
        let Some(found) = results.as_array() else {
            return Outcome::Rejected(Rejected {
                code: "invalid_response".into(),
                message: "candidate.search succeeded without a list of candidates".into(),
                exchange: search_exchange,
            });
        };
        let ids: Vec<String> = found
            .iter()
            .filter_map(|c| c.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        match (found.len(), ids.first()) {
            (0, _) => self.call(
                transport,
                create,
                self.config.result_id.as_deref(),
                self.config.permission.as_deref(),
                false,
            ),
            (1, Some(id)) => match (self.config.dedupe, search_exchange) {
                (Some(OnExisting::Update), _) => {
                    let body = shaped
                        .get(position)
                        .and_then(|s| s.body.as_ref().ok())
                        .map(|b| update_body(id, b))
                        .unwrap_or_default();
                    let request =
                        self.request(CANDIDATE_UPDATE, object_json(&body), create.records);
                    self.call(
                        transport,
                        request,
                        Some("id"),
                        Some(CANDIDATE_UPDATE_PERMISSION),
                        false,
                    )
                }
                (_, Some(exchange)) => Outcome::Delivered(Delivered {
                    id: Some(id.clone()),
                    existing: true,
                    exchange,
                }),
                (_, None) => internal("candidate.search delivered without an exchange"),
            },
            (1, None) => Outcome::Rejected(Rejected {
                code: "invalid_response".into(),
                message: "candidate.search returned a candidate without an id".into(),
                exchange: search_exchange,
            }),
            (n, _) => Outcome::Rejected(Rejected {
                code: "ambiguous_match".into(),
                message: format!(
                    "{n} candidates already have this email ({}); the record was not sent",
                    ids.join(", ")
                ),
                exchange: search_exchange,
            }),
        }
    }
}

/// Sends one planned request and classifies the answer.
pub(crate) fn exchange(
    transport: &mut impl Transport,
    request: PlannedRequest,
    id_key: Option<&str>,
    permission: Option<&str>,
) -> (Verdict, Option<Exchange>) {
    match transport.send(request.to_http()) {
        Ok(resp) => {
            let verdict =
                envelope::classify(resp.status, &resp.headers, &resp.body, id_key, permission);
            (verdict, Some(Exchange::new(request, &resp)))
        }
        Err(e) => (envelope::classify_error(&e), None),
    }
}

fn internal(message: &str) -> Outcome {
    Outcome::Rejected(Rejected {
        code: "internal_error".into(),
        message: message.to_owned(),
        exchange: None,
    })
}

pub(crate) fn outcome_of(verdict: Verdict, exchange: Option<Exchange>, existing: bool) -> Outcome {
    match verdict {
        Verdict::Delivered { id, .. } => match exchange {
            Some(exchange) => Outcome::Delivered(Delivered {
                id,
                existing,
                exchange,
            }),
            None => internal("a delivery without an exchange"),
        },
        Verdict::Rejected { code, message } => Outcome::Rejected(Rejected {
            code,
            message,
            exchange,
        }),
        Verdict::Retry {
            code,
            message,
            retry_after,
        } => Outcome::Retry(Retry {
            code,
            message,
            retry_after,
            exchange,
            maybe_applied: false,
        }),
        Verdict::Halt {
            code,
            message,
            permission,
        } => Outcome::Halt(Halt {
            code,
            message,
            permission,
            exchange,
        }),
    }
}

fn stop_after(outcome: &Outcome) -> Option<Stop> {
    match outcome {
        Outcome::Halt(h) => Some(Stop::Halt(Box::new(Halt {
            exchange: None,
            ..h.clone()
        }))),
        Outcome::Retry(r) if SLOW_DOWN_CODES.contains(&r.code.as_str()) => {
            Some(Stop::Deferred(r.retry_after.clone()))
        }
        _ => None,
    }
}

fn stopped_outcome(stop: &Stop) -> Outcome {
    match stop {
        Stop::Halt(h) => Outcome::Halt((**h).clone()),
        Stop::Deferred(retry_after) => Outcome::Retry(Retry {
            code: "deferred".into(),
            message: "not sent: the remote asked to slow down".into(),
            retry_after: retry_after.clone(),
            exchange: None,
            maybe_applied: false,
        }),
    }
}

/// The `candidate.update` body for an existing candidate: `candidateId`
/// first, then the record's fields with create names translated
/// (`website` → `websiteUrl`, `alternateEmailAddresses` → `alternateEmail`
/// keeping the first entry).
fn update_body(id: &str, record: &Map<String, Value>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("candidateId".into(), Value::String(id.to_owned()));
    for (k, v) in record {
        match k.as_str() {
            "candidateId" => {}
            "website" => {
                body.insert("websiteUrl".into(), v.clone());
            }
            "alternateEmailAddresses" => {
                if let Some(first) = v.as_array().and_then(|a| a.first()) {
                    body.insert("alternateEmail".into(), first.clone());
                }
            }
            _ => {
                body.insert(k.clone(), v.clone());
            }
        }
    }
    body
}

type Merged = (Vec<usize>, Vec<u64>, Map<String, Value>);

/// Merges a chunk of `customField.setValues` records: records about the same
/// `objectId` + `objectType` become one body (the first record's, with every
/// record's `values` concatenated; a later value for a `fieldId` replaces the
/// earlier one in place). Records without a `values` array stand alone.
fn merge_custom_fields(chunk: &[Valid<'_>]) -> Vec<Merged> {
    let mut out: Vec<Merged> = Vec::new();
    let mut by_object: HashMap<String, usize> = HashMap::new();
    for (position, s, body) in chunk {
        let values = body.get("values").and_then(Value::as_array);
        let key = match (values, body.get("objectId"), body.get("objectType")) {
            (Some(_), Some(id), Some(ty)) => Some(format!("{}\u{0}{}", to_json(id), to_json(ty))),
            _ => None,
        };
        let existing = key.as_ref().and_then(|k| by_object.get(k).copied());
        match (existing.and_then(|at| out.get_mut(at)), values) {
            (Some((positions, indexes, merged)), Some(values)) => {
                positions.push(*position);
                indexes.push(s.index);
                if let Some(Value::Array(list)) = merged.get_mut("values") {
                    for v in values {
                        let field = v.get("fieldId").and_then(Value::as_str);
                        let slot = field.and_then(|f| {
                            list.iter_mut()
                                .find(|e| e.get("fieldId").and_then(Value::as_str) == Some(f))
                        });
                        match slot {
                            Some(slot) => *slot = v.clone(),
                            None => list.push(v.clone()),
                        }
                    }
                }
            }
            _ => {
                if let Some(k) = key {
                    by_object.insert(k, out.len());
                }
                out.push((vec![*position], vec![s.index], (*body).clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
