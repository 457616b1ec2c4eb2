//! Makes the calls of one unit of work and turns the answers into one
//! outcome per record.

use super::plan::PlannedCall;
use super::{Destination, object_json};
use crate::ashby::{CANDIDATE_SEARCH_PERMISSION, CANDIDATE_UPDATE, CANDIDATE_UPDATE_PERMISSION};
use crate::config::OnExisting;
use crate::envelope::{self, SLOW_DOWN_CODES, Verdict};
use crate::shape::ShapedRecord;
use crate::types::{
    Delivered, Exchange, Halt, Outcome, PlannedRequest, Rejected, Retry, StepDone, Transport,
};
use serde_json::{Map, Value};

/// Why `send` stopped making requests.
pub(super) enum Stop {
    Halt(Box<Halt>),
    Deferred(Option<String>),
}

impl Destination {
    /// The `results` key holding a step's id, and its permission.
    fn step_facts(&self, step: usize) -> (Option<&str>, Option<&str>) {
        match self
            .config
            .template
            .as_ref()
            .and_then(|t| t.steps.get(step))
        {
            Some(s) => (s.result_id.as_deref(), Some(s.permission.as_str())),
            None => (
                self.config.result_id.as_deref(),
                self.config.permission.as_deref(),
            ),
        }
    }

    /// Makes one request and turns the answer into an outcome.
    pub(super) fn call(
        &self,
        transport: &mut impl Transport,
        request: PlannedRequest,
        id_key: Option<&str>,
        permission: Option<&str>,
    ) -> Outcome {
        let (verdict, exchange) = exchange(transport, request, id_key, permission);
        outcome_of(verdict, exchange, false)
    }

    /// Makes a record's calls in order. Delivered when every call succeeds;
    /// the first failure ends the sequence and is the outcome, carrying the
    /// calls done before it.
    pub(super) fn sequence(
        &self,
        transport: &mut impl Transport,
        calls: Vec<PlannedCall>,
    ) -> Outcome {
        let total = calls.len();
        let mut done: Vec<StepDone> = Vec::new();
        let mut results: Vec<(usize, Value)> = Vec::new();
        for (k, call) in calls.into_iter().enumerate() {
            let step = call.step;
            let path = call.request.path.clone();
            let at = (k, total, path.as_str());
            let request = match fill_pending(call, &results) {
                Ok(r) => r,
                Err(message) => {
                    return self.failed(at, rejected("invalid_response", &message, None), done);
                }
            };
            let (id_key, permission) = self.step_facts(step);
            let (verdict, exchange) = exchange(transport, request, id_key, permission);
            match (verdict, exchange) {
                (Verdict::Delivered { id, results: r }, Some(exchange)) if k + 1 < total => {
                    done.push(StepDone { id, exchange });
                    results.push((step, r.value()));
                }
                (Verdict::Delivered { id, .. }, Some(exchange)) => {
                    let id = done.iter().find_map(|d| d.id.clone()).or(id);
                    return Outcome::Delivered(Delivered {
                        id,
                        existing: false,
                        exchange,
                        completed: done,
                    });
                }
                (verdict, exchange) => {
                    return self.failed(at, outcome_of(verdict, exchange, false), done);
                }
            }
        }
        internal("the destination planned no call for this record")
    }

    /// A failure at call `k` of `total` (to `endpoint`): in a multi-step
    /// template its message names the call's endpoint and the calls done
    /// before it.
    fn failed(
        &self,
        (k, total, endpoint): (usize, usize, &str),
        mut outcome: Outcome,
        done: Vec<StepDone>,
    ) -> Outcome {
        let multi = self
            .config
            .template
            .as_ref()
            .is_some_and(|t| t.steps.len() > 1);
        let (message, completed) = match &mut outcome {
            Outcome::Delivered(_) => return outcome,
            Outcome::Rejected(r) => (&mut r.message, &mut r.completed),
            Outcome::Retry(r) => (&mut r.message, &mut r.completed),
            Outcome::Halt(h) => (&mut h.message, &mut h.completed),
        };
        if multi {
            let before: Vec<&str> = done
                .iter()
                .map(|d| d.exchange.request.path.as_str())
                .collect();
            let done_part = if before.is_empty() {
                String::new()
            } else {
                format!("; done before it: {}", before.join(", "))
            };
            *message = format!(
                "{endpoint} failed (call {} of {total}{done_part}): {message}",
                k + 1
            );
        }
        *completed = done;
        outcome
    }

    /// Lookup-before-create for one record.
    pub(super) fn dedupe(
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
        let results = results.value();
        let Some(found) = results.as_array() else {
            return rejected(
                "invalid_response",
                "candidate.search succeeded without a list of candidates",
                search_exchange,
            );
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
            ),
            (1, Some(id)) => match (self.config.dedupe, search_exchange) {
                (Some(OnExisting::Update), _) => {
                    let body = shaped
                        .get(position)
                        .and_then(ShapedRecord::first_body)
                        .map(|b| update_body(id, b))
                        .unwrap_or_default();
                    let request =
                        self.request(CANDIDATE_UPDATE, object_json(&body), create.records);
                    self.call(
                        transport,
                        request,
                        Some("id"),
                        Some(CANDIDATE_UPDATE_PERMISSION),
                    )
                }
                (_, Some(exchange)) => Outcome::Delivered(Delivered {
                    id: Some(id.clone()),
                    existing: true,
                    exchange,
                    completed: Vec::new(),
                }),
                (_, None) => internal("candidate.search delivered without an exchange"),
            },
            (1, None) => rejected(
                "invalid_response",
                "candidate.search returned a candidate without an id",
                search_exchange,
            ),
            (n, _) => rejected(
                "ambiguous_match",
                &format!(
                    "{n} candidates already have this email ({}); the record was not sent",
                    ids.join(", ")
                ),
                search_exchange,
            ),
        }
    }
}

/// Fills a call's pending fields from earlier calls' `results`.
fn fill_pending(call: PlannedCall, results: &[(usize, Value)]) -> Result<PlannedRequest, String> {
    if call.pending.is_empty() {
        return Ok(call.request);
    }
    let mut body: Map<String, Value> = serde_json::from_str(&call.request.body)
        .map_err(|e| format!("the planned body is not an object: {e}"))?;
    for p in &call.pending {
        let value = results
            .iter()
            .find(|(s, _)| *s == p.step)
            .and_then(|(_, r)| r.get(&p.result))
            .filter(|v| !v.is_null())
            .ok_or_else(|| {
                format!(
                    "step {} answered without results.{}, which {} needs as {}",
                    p.step + 1,
                    p.result,
                    call.request.path,
                    p.key
                )
            })?;
        body.insert(p.key.clone(), value.clone());
    }
    Ok(PlannedRequest {
        body: object_json(&body),
        ..call.request
    })
}

/// Sends one planned request and classifies the answer.
pub(super) fn exchange(
    transport: &mut impl Transport,
    request: PlannedRequest,
    id_key: Option<&str>,
    permission: Option<&str>,
) -> (Verdict, Option<Exchange>) {
    match transport.send(request.to_http()) {
        Ok(resp) => {
            let verdict =
                envelope::classify(resp.status, &resp.headers, &resp.body, id_key, permission);
            (verdict, Some(Exchange::new(request, resp)))
        }
        Err(e) => (envelope::classify_error(&e), None),
    }
}

fn rejected(code: &str, message: &str, exchange: Option<Exchange>) -> Outcome {
    Outcome::Rejected(Rejected {
        code: code.to_owned(),
        message: message.to_owned(),
        exchange,
        completed: Vec::new(),
    })
}

/// A destination bug reported as a rejection (never a panic).
pub(super) fn internal(message: &str) -> Outcome {
    rejected("internal_error", message, None)
}

pub(super) fn outcome_of(verdict: Verdict, exchange: Option<Exchange>, existing: bool) -> Outcome {
    let completed = Vec::new();
    match verdict {
        Verdict::Delivered { id, .. } => match exchange {
            Some(exchange) => Outcome::Delivered(Delivered {
                id,
                existing,
                exchange,
                completed,
            }),
            None => internal("a delivery without an exchange"),
        },
        Verdict::Rejected { code, message } => Outcome::Rejected(Rejected {
            code,
            message,
            exchange,
            completed,
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
            completed,
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
            completed,
        }),
    }
}

/// Whether an outcome stops the call's further requests.
pub(super) fn stop_after(outcome: &Outcome) -> Option<Stop> {
    match outcome {
        Outcome::Halt(h) => Some(Stop::Halt(Box::new(Halt {
            exchange: None,
            completed: Vec::new(),
            ..h.clone()
        }))),
        Outcome::Retry(r) if SLOW_DOWN_CODES.contains(&r.code.as_str()) => {
            Some(Stop::Deferred(r.retry_after.clone()))
        }
        _ => None,
    }
}

/// The outcome of a record not sent because the call stopped.
pub(super) fn stopped_outcome(stop: &Stop) -> Outcome {
    match stop {
        Stop::Halt(h) => Outcome::Halt((**h).clone()),
        Stop::Deferred(retry_after) => Outcome::Retry(Retry {
            code: "deferred".into(),
            message: "not sent: the remote asked to slow down".into(),
            retry_after: retry_after.clone(),
            exchange: None,
            completed: Vec::new(),
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
