//! Writes whose answer may be lost: a non-idempotent request (a create)
//! that timed out, or whose connection failed after sending, may have been
//! applied. It is never re-sent blindly: with the template's lookup, the
//! record's next attempt looks first and delivers what it finds as
//! existing; without one, the record is rejected `ambiguous_outcome`
//! (unless the config says `"retry_ambiguous": true`).

use super::run::{exchange, outcome_of};
use crate::ashby::{APPLICATION_INFO, CANDIDATE_INFO, CANDIDATE_SEARCH};
use crate::config::Config;
use crate::envelope::Verdict;
use crate::templates::Lookup;
use crate::types::{Delivered, Outcome, PlannedRequest, Rejected, Transport};
use serde_json::{Map, Value, json};

/// The permission the lookups need.
const READ_PERMISSION: &str = "candidatesRead";

/// What a lookup found.
enum Found {
    /// The object exists: this outcome delivers it (or rejects an
    /// ambiguous match).
    Yes(Outcome),
    /// It does not: the write was not applied.
    No,
    /// The lookup itself failed; this is its outcome.
    Failed(Outcome),
}

/// Sends one record's write, guarding against a lost answer. `body` is the
/// record's shaped body; `maybe_applied` says an earlier attempt may have
/// been applied.
pub(super) fn careful_write(
    config: &Config,
    transport: &mut impl Transport,
    request: PlannedRequest,
    body: Option<&Map<String, Value>>,
    maybe_applied: bool,
) -> Outcome {
    let lookup = config
        .lookup
        .filter(|_| !config.retry_ambiguous)
        .filter(|l| body.is_some_and(|b| can_look_up(*l, b)));
    if maybe_applied && let (Some(l), Some(b)) = (lookup, body) {
        match look_up(transport, l, b, &request) {
            Found::Yes(o) => return o,
            Found::No => {}
            Found::Failed(o) => return still_maybe_applied(o),
        }
    }
    let method_path = format!("{} {}", request.method, request.path);
    let (verdict, ex) = exchange(
        transport,
        request,
        config.result_id.as_deref(),
        config.permission.as_deref(),
    );
    let lost =
        matches!(&verdict, Verdict::Retry { code, .. } if code == "timeout" || code == "transport");
    match (lost, config.retry_ambiguous, lookup) {
        (true, false, Some(_)) => still_maybe_applied(outcome_of(verdict, ex, false)),
        (true, false, None) => Outcome::Rejected(Rejected {
            code: "ambiguous_outcome".into(),
            message: format!(
                "{method_path}: {}; Ashby may have applied it and it cannot be looked up, so it is not sent again (\"retry_ambiguous\": true re-sends it, at the risk of a duplicate)",
                verdict.message().unwrap_or("the answer was lost")
            ),
            exchange: ex,
            completed: Vec::new(),
        }),
        _ => outcome_of(verdict, ex, false),
    }
}

/// A retry keeps saying that the write may have been applied; other
/// outcomes are final.
fn still_maybe_applied(o: Outcome) -> Outcome {
    match o {
        Outcome::Retry(mut r) => {
            r.maybe_applied = true;
            Outcome::Retry(r)
        }
        other => other,
    }
}

/// Whether the record carries what the lookup needs.
fn can_look_up(l: Lookup, body: &Map<String, Value>) -> bool {
    let has = |k: &str| body.get(k).and_then(Value::as_str).is_some();
    match l {
        Lookup::CandidateByEmail => has("email"),
        Lookup::ApplicationByCandidateAndJob => has("candidateId") && has("jobId"),
    }
}

fn look_up(
    t: &mut impl Transport,
    l: Lookup,
    body: &Map<String, Value>,
    like: &PlannedRequest,
) -> Found {
    let s = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    match l {
        Lookup::CandidateByEmail => candidate_by_email(t, s("email"), like),
        Lookup::ApplicationByCandidateAndJob => {
            application_by(t, s("candidateId"), s("jobId"), like)
        }
    }
}

/// A lookup request like the write (same method, headers and records).
fn read(like: &PlannedRequest, path: &str, body: Value) -> PlannedRequest {
    PlannedRequest {
        method: like.method,
        path: path.to_owned(),
        headers: like.headers.clone(),
        body: body.to_string(),
        records: like.records.clone(),
    }
}

fn candidate_by_email(t: &mut impl Transport, email: &str, like: &PlannedRequest) -> Found {
    let req = read(like, CANDIDATE_SEARCH, json!({ "email": email }));
    let (verdict, ex) = exchange(t, req, None, Some(READ_PERMISSION));
    let Verdict::Delivered { results, .. } = &verdict else {
        return Found::Failed(outcome_of(verdict, ex, false));
    };
    let results = results.value();
    let found: Vec<&str> = results
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.get("id")?.as_str()).collect())
        .unwrap_or_default();
    match (found.as_slice(), ex) {
        ([], _) => Found::No,
        ([id], Some(exchange)) => Found::Yes(Outcome::Delivered(Delivered {
            id: Some((*id).to_owned()),
            existing: true,
            exchange,
            completed: Vec::new(),
        })),
        (ids, ex) => Found::Yes(Outcome::Rejected(Rejected {
            code: "ambiguous_match".into(),
            message: format!(
                "the create's answer was lost and {} candidates now have this email ({}); not sent again",
                ids.len(),
                ids.join(", ")
            ),
            exchange: ex,
            completed: Vec::new(),
        })),
    }
}

fn application_by(
    t: &mut impl Transport,
    candidate: &str,
    job: &str,
    like: &PlannedRequest,
) -> Found {
    let req = read(like, CANDIDATE_INFO, json!({ "id": candidate }));
    let (verdict, ex) = exchange(t, req, None, Some(READ_PERMISSION));
    let Verdict::Delivered { results, .. } = &verdict else {
        return Found::Failed(outcome_of(verdict, ex, false));
    };
    let ids: Vec<String> = results
        .value()
        .get("applicationIds")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for id in ids {
        let req = read(like, APPLICATION_INFO, json!({ "applicationId": id }));
        let (verdict, ex) = exchange(t, req, Some("id"), Some(READ_PERMISSION));
        let Verdict::Delivered { results, .. } = &verdict else {
            return Found::Failed(outcome_of(verdict, ex, false));
        };
        if results.value().pointer("/job/id").and_then(Value::as_str) == Some(job)
            && let Some(exchange) = ex
        {
            return Found::Yes(Outcome::Delivered(Delivered {
                id: Some(id),
                existing: true,
                exchange,
                completed: Vec::new(),
            }));
        }
    }
    Found::No
}
