#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::types::{
    CallError, Delivered, Exchange, Halt, HttpError, HttpRequest, HttpResponse, PlannedRequest,
    Retry, Severity,
};
use serde_json::json;

const U1: &str = "3ae2b801-19f6-41ef-ad28-214bd731948f";
const U2: &str = "5b6c1d2e-0000-4000-8000-000000000002";
const F1: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const F2: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const F3: &str = "aaaaaaaa-0000-4000-8000-000000000003";

/// A transport answering through a closure and recording every request.
struct Fake<F: FnMut(&HttpRequest) -> Result<HttpResponse, HttpError>> {
    answer: F,
    sent: Vec<HttpRequest>,
}

impl<F: FnMut(&HttpRequest) -> Result<HttpResponse, HttpError>> Transport for Fake<F> {
    fn send(&mut self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let answer = (self.answer)(&req);
        self.sent.push(req);
        answer
    }
}

fn fake<F: FnMut(&HttpRequest) -> Result<HttpResponse, HttpError>>(answer: F) -> Fake<F> {
    Fake {
        answer,
        sent: Vec::new(),
    }
}

fn resp(status: u16, headers: &[(&str, &str)], body: Value) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.to_string().into_bytes(),
    })
}

fn ok_id(id: &str) -> Result<HttpResponse, HttpError> {
    resp(
        200,
        &[("X-Ashby-Request-Id", "req-1")],
        json!({"success": true, "results": {"id": id}}),
    )
}

/// Answers every request with success: searches find nobody, other calls
/// report the id `id-<n>`.
fn always_ok() -> impl FnMut(&HttpRequest) -> Result<HttpResponse, HttpError> {
    let mut n = 0;
    move |req: &HttpRequest| {
        n += 1;
        if req.path == "/candidate.search" {
            resp(200, &[], json!({"success": true, "results": []}))
        } else {
            ok_id(&format!("id-{n}"))
        }
    }
}

/// Answers from a list in order, then with success.
fn script(
    answers: Vec<Result<HttpResponse, HttpError>>,
) -> impl FnMut(&HttpRequest) -> Result<HttpResponse, HttpError> {
    let mut answers = answers.into_iter();
    move |_: &HttpRequest| answers.next().unwrap_or_else(|| ok_id("later"))
}

fn dest(cfg: Value) -> Destination {
    Destination::configure(&cfg.to_string()).unwrap().0
}

fn recs(values: &[Value]) -> Vec<InputRecord> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| InputRecord::new(i as u64 * 10, v.to_string()))
        .collect()
}

fn delivered(o: &Outcome) -> &Delivered {
    match o {
        Outcome::Delivered(d) => d,
        other => panic!("expected delivered, got {other:?}"),
    }
}

fn rejected(o: &Outcome) -> &Rejected {
    match o {
        Outcome::Rejected(r) => r,
        other => panic!("expected rejected, got {other:?}"),
    }
}

fn retry(o: &Outcome) -> &Retry {
    match o {
        Outcome::Retry(r) => r,
        other => panic!("expected retry, got {other:?}"),
    }
}

fn halt(o: &Outcome) -> &Halt {
    match o {
        Outcome::Halt(h) => h,
        other => panic!("expected halt, got {other:?}"),
    }
}

fn body_of(req: &HttpRequest) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[test]
fn configure_returns_summary() {
    let (d, s) =
        Destination::configure(r#"{"template":"get-job","response_webhook":true}"#).unwrap();
    assert_eq!(s.template.as_deref(), Some("get-job"));
    assert_eq!(s.endpoint, "/job.info");
    assert_eq!(s.permission.as_deref(), Some("jobsRead"));
    assert!(s.response_webhook);
    assert_eq!(d.summary(), s);
    assert!(matches!(
        Destination::configure("{}"),
        Err(ConfigError::Missing(_))
    ));
}

#[test]
fn send_one_outcome_per_record_in_order() {
    let d = dest(json!({"template": "create-candidate", "headers": "X-Tag:abc"}));
    let records = recs(&[
        json!({"name": "Ada", "email": "ada@example.com"}),
        json!({"email": "no-name@example.com"}),
        json!("not an object"),
        json!({"name": "Bob"}),
    ]);
    let mut t = fake(always_ok());
    let out = d.send(&mut t, &records);
    assert_eq!(
        out.iter().map(|o| o.index).collect::<Vec<_>>(),
        vec![0, 10, 20, 30]
    );
    assert_eq!(t.sent.len(), 2);
    assert_eq!(t.sent[0].method, "POST");
    assert_eq!(t.sent[0].path, "/candidate.create");
    assert_eq!(
        t.sent[0].headers,
        vec![("X-Tag".to_owned(), "abc".to_owned())]
    );
    assert_eq!(
        body_of(&t.sent[0]),
        json!({"name": "Ada", "email": "ada@example.com"})
    );

    let d0 = delivered(&out[0].outcome);
    assert_eq!(d0.id.as_deref(), Some("id-1"));
    assert!(!d0.existing);
    assert_eq!(d0.exchange.request.records, vec![0]);
    assert_eq!(d0.exchange.status, 200);
    assert_eq!(
        d0.exchange.headers,
        vec![("x-ashby-request-id".to_owned(), "req-1".to_owned())]
    );
    assert!(d0.exchange.body.contains("id-1"));

    let r1 = rejected(&out[1].outcome);
    assert_eq!(r1.code, "missing_field");
    assert!(r1.exchange.is_none());
    assert_eq!(rejected(&out[2].outcome).code, "not_an_object");
    assert_eq!(delivered(&out[3].outcome).id.as_deref(), Some("id-2"));
}

#[test]
fn send_classifies_each_answer() {
    let d = dest(json!({"template": "create-candidate"}));
    let records = recs(&vec![json!({"name": "A"}); 7]);
    let mut t = fake(script(vec![
        resp(
            200,
            &[],
            json!({"success": false, "errors": [{"message": "bad", "code": "invalid_input"}]}),
        ),
        resp(200, &[], json!("plain")),
        resp(404, &[], json!({"message": "no such endpoint"})),
        resp(503, &[("retry-after", "5")], json!({})),
        Err(HttpError::Timeout("slow".into())),
        Err(HttpError::TooLarge("huge".into())),
        Err(HttpError::Connect("refused".into())),
    ]));
    let out = d.send(&mut t, &records);
    let r = rejected(&out[0].outcome);
    assert_eq!(
        (r.code.as_str(), r.message.as_str()),
        ("invalid_input", "bad")
    );
    assert!(r.exchange.is_some());
    assert_eq!(rejected(&out[1].outcome).code, "invalid_response");
    let r = rejected(&out[2].outcome);
    assert_eq!(r.code, "http_404");
    assert!(r.message.contains("no such endpoint"));
    let r = retry(&out[3].outcome);
    assert_eq!(
        (r.code.as_str(), r.retry_after.as_deref()),
        ("server_error", Some("5"))
    );
    assert!(r.exchange.is_some());
    // A create without an email to look it up by: its lost answer is not
    // re-sent.
    let r = rejected(&out[4].outcome);
    assert_eq!(r.code, "ambiguous_outcome");
    assert!(
        r.message.contains("POST /candidate.create"),
        "{}",
        r.message
    );
    assert_eq!(rejected(&out[5].outcome).code, "response_too_large");
    assert_eq!(retry(&out[6].outcome).code, "connect");
    assert_eq!(t.sent.len(), 7);
}

#[test]
fn halt_stops_the_call() {
    let d = dest(json!({"template": "create-candidate"}));
    let records = recs(&[
        json!({"name": "A"}),
        json!({"name": "B"}),
        json!({"name": "C"}),
        json!({"nope": 1}),
        json!({"name": "D"}),
    ]);
    let mut t = fake(script(vec![
        ok_id("c1"),
        resp(
            200,
            &[],
            json!({"success": false, "errorInfo": {"code": "missing_endpoint_permission", "message": "no candidatesWrite"}}),
        ),
    ]));
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 2);
    assert_eq!(delivered(&out[0].outcome).id.as_deref(), Some("c1"));
    let h = halt(&out[1].outcome);
    assert_eq!(h.code, "missing_endpoint_permission");
    assert_eq!(h.permission.as_deref(), Some("candidatesWrite"));
    assert!(h.exchange.is_some());
    let h2 = halt(&out[2].outcome);
    assert_eq!(
        (h2.code.as_str(), h2.message.as_str()),
        (h.code.as_str(), h.message.as_str())
    );
    assert_eq!(h2.permission, h.permission);
    assert!(h2.exchange.is_none());
    // a locally invalid record stays rejected
    assert_eq!(rejected(&out[3].outcome).code, "missing_field");
    assert!(halt(&out[4].outcome).exchange.is_none());

    for (answer, code) in [
        (resp(401, &[], json!({})), "unauthorized"),
        (resp(403, &[], json!({})), "forbidden"),
        (Err(HttpError::Denied("policy".into())), "denied"),
    ] {
        let mut t = fake(script(vec![answer]));
        let out = d.send(&mut t, &recs(&[json!({"name": "A"}), json!({"name": "B"})]));
        assert_eq!(t.sent.len(), 1, "{code}");
        assert_eq!(halt(&out[0].outcome).code, code);
        assert_eq!(halt(&out[1].outcome).code, code);
    }
}

#[test]
fn rate_limit_defers_the_rest() {
    let d = dest(json!({"template": "create-candidate"}));
    let records = recs(&[
        json!({"name": "A"}),
        json!({"name": "B"}),
        json!({"name": "C"}),
        json!({"name": "D"}),
    ]);
    let mut t = fake(script(vec![
        ok_id("c1"),
        resp(
            429,
            &[
                ("retry-after", "7"),
                ("x-ratelimit-scope", "integration-partner"),
            ],
            json!({}),
        ),
    ]));
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 2);
    let r = retry(&out[1].outcome);
    assert_eq!(r.code, "rate_limited_integration_partner");
    assert_eq!(r.retry_after.as_deref(), Some("7"));
    assert!(r.exchange.is_some());
    for o in &out[2..] {
        let r = retry(&o.outcome);
        assert_eq!(r.code, "deferred");
        assert_eq!(r.message, "not sent: the remote asked to slow down");
        assert_eq!(r.retry_after.as_deref(), Some("7"));
        assert!(r.exchange.is_none());
    }
    // a server error does not stop the call
    let mut t = fake(script(vec![resp(500, &[], json!({}))]));
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 4);
    assert_eq!(retry(&out[0].outcome).code, "server_error");
    assert!(matches!(out[1].outcome, Outcome::Delivered(_)));
}

fn search_answer(ids: &[&str]) -> Result<HttpResponse, HttpError> {
    let list: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "name": "X"}))
        .collect();
    resp(200, &[], json!({"success": true, "results": list}))
}

#[test]
fn dedupe_none_one_many() {
    let d = dest(json!({"template": "create-candidate", "dedupe_by_email": true}));
    let records = recs(&[
        json!({"name": "New", "email": "new@example.com"}),
        json!({"name": "Old", "email": "old@example.com"}),
        json!({"name": "Twice", "email": "twice@example.com"}),
        json!({"name": "NoMail"}),
    ]);
    let mut t = fake(|req: &HttpRequest| {
        let body = body_of(req);
        match (req.path.as_str(), body.get("email").and_then(Value::as_str)) {
            ("/candidate.search", Some("new@example.com")) => search_answer(&[]),
            ("/candidate.search", Some("old@example.com")) => search_answer(&[U1]),
            ("/candidate.search", _) => search_answer(&[U1, U2]),
            _ => ok_id("created"),
        }
    });
    let out = d.send(&mut t, &records);
    let paths: Vec<&str> = t.sent.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/candidate.search",
            "/candidate.create",
            "/candidate.search",
            "/candidate.search",
            "/candidate.create"
        ]
    );
    assert_eq!(body_of(&t.sent[0]), json!({"email": "new@example.com"}));

    let new = delivered(&out[0].outcome);
    assert_eq!((new.id.as_deref(), new.existing), (Some("created"), false));
    assert_eq!(new.exchange.request.path, "/candidate.create");

    let old = delivered(&out[1].outcome);
    assert_eq!((old.id.as_deref(), old.existing), (Some(U1), true));
    assert_eq!(old.exchange.request.path, "/candidate.search");
    assert_eq!(old.exchange.request.records, vec![10]);

    let twice = rejected(&out[2].outcome);
    assert_eq!(twice.code, "ambiguous_match");
    assert!(
        twice.message.contains(U1) && twice.message.contains(U2),
        "{}",
        twice.message
    );
    assert_eq!(
        twice.exchange.as_ref().unwrap().request.path,
        "/candidate.search"
    );

    assert_eq!(delivered(&out[3].outcome).id.as_deref(), Some("created"));
}

#[test]
fn dedupe_update_translates_fields() {
    let d = dest(
        json!({"template": "create-candidate", "dedupe_by_email": true, "on_existing": "update"}),
    );
    let records = recs(&[json!({
        "name": "Old",
        "email": "old@example.com",
        "website": "https://old.dev",
        "alternateEmailAddresses": ["a@example.com", "b@example.com"],
        "phoneNumber": "+1"
    })]);
    let mut t = fake(|req: &HttpRequest| match req.path.as_str() {
        "/candidate.search" => search_answer(&[U1]),
        _ => ok_id(U1),
    });
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 2);
    assert_eq!(t.sent[1].path, "/candidate.update");
    assert_eq!(
        serde_json::to_string(&body_of(&t.sent[1])).unwrap(),
        format!(
            r#"{{"candidateId":"{U1}","name":"Old","email":"old@example.com","websiteUrl":"https://old.dev","alternateEmail":"a@example.com","phoneNumber":"+1"}}"#
        )
    );
    let dl = delivered(&out[0].outcome);
    assert_eq!((dl.id.as_deref(), dl.existing), (Some(U1), false));
    assert_eq!(dl.exchange.request.path, "/candidate.update");
    assert_eq!(dl.exchange.request.records, vec![0]);
}

#[test]
fn dedupe_search_failure_is_the_outcome() {
    let d = dest(json!({"template": "create-candidate", "dedupe_by_email": true}));
    let records = recs(&[
        json!({"name": "A", "email": "a@example.com"}),
        json!({"name": "B", "email": "b@example.com"}),
    ]);
    let mut t = fake(script(vec![resp(
        403,
        &[],
        json!({"success": false, "errorInfo": {"code": "missing_endpoint_permission", "message": "needs candidatesRead"}}),
    )]));
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 1);
    let h = halt(&out[0].outcome);
    assert_eq!(h.code, "missing_endpoint_permission");
    assert_eq!(h.permission.as_deref(), Some("candidatesRead"));
    assert_eq!(halt(&out[1].outcome).code, "missing_endpoint_permission");

    // a search that does not return a list
    let mut t = fake(script(vec![resp(
        200,
        &[],
        json!({"success": true, "results": {}}),
    )]));
    let out = d.send(&mut t, &records[..1]);
    assert_eq!(rejected(&out[0].outcome).code, "invalid_response");
}

#[test]
fn batching_sequential_sends_arrays() {
    let d = dest(json!({"template": "create-candidate", "batch": {"enabled": true, "size": 2}}));
    let records = recs(&[
        json!({"name": "A"}),
        json!({"nope": 1}),
        json!({"name": "B"}),
        json!({"name": "C"}),
    ]);
    let mut t = fake(script(vec![
        resp(
            200,
            &[],
            json!({"success": true, "results": [{"id": "a"}, {"id": "b"}]}),
        ),
        resp(
            200,
            &[],
            json!({"success": false, "errorInfo": {"code": "invalid_input", "message": "expected an object"}}),
        ),
    ]));
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 2);
    assert_eq!(body_of(&t.sent[0]), json!([{"name": "A"}, {"name": "B"}]));
    assert_eq!(body_of(&t.sent[1]), json!([{"name": "C"}]));
    let a = delivered(&out[0].outcome);
    assert_eq!(a.id, None);
    assert_eq!(a.exchange.request.records, vec![0, 20]);
    assert_eq!(out[2].outcome, out[0].outcome);
    assert_eq!(rejected(&out[1].outcome).code, "missing_field");
    assert_eq!(rejected(&out[3].outcome).code, "invalid_input");
}

#[test]
fn batching_by_field_groups_by_first_appearance() {
    let d = dest(
        json!({"url": "https://api.ashbyhq.com/thing.do", "batch": {"enabled": true, "size": 2, "grouping": {"by_field": "team"}}}),
    );
    let records = recs(&[
        json!({"team": "x", "n": 0}),
        json!({"team": "y", "n": 1}),
        json!({"team": "x", "n": 2}),
        json!({"n": 3}),
        json!({"team": "x", "n": 4}),
        json!({"team": null, "n": 5}),
    ]);
    let sample = d.sample(&records);
    let groups: Vec<Vec<u64>> = sample.requests.iter().map(|r| r.records.clone()).collect();
    assert_eq!(groups, vec![vec![0, 20], vec![40], vec![10], vec![30, 50]]);
}

#[test]
fn batching_merges_custom_field_values() {
    let d = dest(
        json!({"template": "set-custom-field-values", "batch": {"enabled": true, "size": 10}}),
    );
    let records = recs(&[
        json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": F1, "fieldValue": 1}, {"fieldId": F2, "fieldValue": "a"}]}),
        json!({"objectId": U2, "objectType": "Candidate", "fieldValues": [{"fieldId": F1, "fieldValue": 9}]}),
        json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": F1, "fieldValue": 2}, {"fieldId": F3, "fieldValue": true}]}),
        json!({"objectId": U1, "objectType": "Application", "values": [{"fieldId": F1, "fieldValue": 3}]}),
    ]);
    let sample = d.sample(&records);
    assert_eq!(sample.requests.len(), 3);
    let bodies: Vec<Value> = sample
        .requests
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies[0],
        json!({"objectId": U1, "objectType": "Candidate", "values": [
            {"fieldId": F1, "fieldValue": 2}, {"fieldId": F2, "fieldValue": "a"}, {"fieldId": F3, "fieldValue": true}
        ]})
    );
    assert_eq!(sample.requests[0].records, vec![0, 20]);
    assert_eq!(
        bodies[1],
        json!({"objectId": U2, "objectType": "Candidate", "values": [{"fieldId": F1, "fieldValue": 9}]})
    );
    assert_eq!(sample.requests[1].records, vec![10]);
    assert_eq!(sample.requests[2].records, vec![30]);

    // by_field objectId still separates object types; size splits chunks
    let d = dest(
        json!({"template": "set-custom-field-values", "batch": {"enabled": true, "size": 2, "grouping": {"by_field": "objectId"}}}),
    );
    let groups: Vec<Vec<u64>> = d
        .sample(&records)
        .requests
        .iter()
        .map(|r| r.records.clone())
        .collect();
    assert_eq!(groups, vec![vec![0, 20], vec![30], vec![10]]);

    // the merged outcome applies to every record in it
    let d = dest(json!({"template": "set-custom-field-values", "batch": {"enabled": true}}));
    let mut t = fake(always_ok());
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 3);
    assert_eq!(out[0].outcome, out[2].outcome);
    assert_eq!(delivered(&out[0].outcome).id, None);
}

/// Runs `send` with an always-succeeding recording transport and checks the
/// requests it made are exactly the ones `sample` planned.
fn assert_sample_matches_send(cfg: Value, records: &[InputRecord]) {
    let d = dest(cfg.clone());
    let sample = d.sample(records);
    let mut t = fake(always_ok());
    let out = d.send(&mut t, records);
    assert_eq!(out.len(), records.len());
    let planned: Vec<HttpRequest> = sample
        .requests
        .iter()
        .map(PlannedRequest::to_http)
        .collect();
    assert_eq!(planned, t.sent, "config {cfg}");
    // every planned request shows up as some outcome's exchange, records included
    for req in &sample.requests {
        if req.path == "/candidate.search" {
            continue;
        }
        assert!(
            out.iter()
                .any(|o| o.outcome.exchange().map(|e| &e.request) == Some(req)),
            "{cfg}: no outcome carries {req:?}"
        );
    }
    // rejected records are exactly the error problems
    let errors: Vec<u64> = sample
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.index)
        .collect();
    let rejected_locally: Vec<u64> = out
        .iter()
        .filter(|o| matches!(&o.outcome, Outcome::Rejected(r) if r.exchange.is_none()))
        .map(|o| o.index)
        .collect();
    assert_eq!(errors, rejected_locally, "{cfg}");
}

#[test]
fn sample_is_what_send_sends() {
    let people = recs(&[
        json!({"name": "Ada", "email": "ada@example.com", "_id": 1}),
        json!({"full": "Bob", "email": "bob@example.com"}),
        json!({"email": "x"}),
        json!({"name": "Cy", "nick": "c"}),
        json!(42),
    ]);
    for cfg in [
        json!({"template": "create-candidate"}),
        json!({"template": "create-candidate", "exclude": ["_id"], "rename": {"full": "name"}, "headers": "X-A:1,X-B:2"}),
        json!({"template": "create-candidate", "dedupe_by_email": true}),
        json!({"template": "create-candidate", "dedupe_by_email": true, "on_existing": "update"}),
        json!({"template": "create-candidate", "batch": {"enabled": true, "size": 2}}),
        json!({"template": "create-candidate", "batch": {"enabled": true, "grouping": {"by_field": "email"}}}),
        json!({"url": "https://api.ashbyhq.com/candidate.create", "defaults": {"source": "import"}}),
    ] {
        assert_sample_matches_send(cfg, &people);
    }
    let fields = recs(&[
        json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": F1, "fieldValue": 1}]}),
        json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": F1, "fieldValue": 2}]}),
        json!({"objectId": U2, "objectType": "Job", "values": []}),
        json!({"objectId": U2, "objectType": "Job", "values": [{"fieldId": F2, "fieldValue": null}]}),
    ]);
    for cfg in [
        json!({"template": "set-custom-field-values"}),
        json!({"template": "set-custom-field-values", "batch": {"enabled": true}}),
        json!({"template": "set-custom-field-values", "batch": {"enabled": true, "size": 1}}),
        json!({"template": "set-custom-field-values", "batch": {"enabled": true, "grouping": {"by_field": "objectType"}}}),
    ] {
        assert_sample_matches_send(cfg, &fields);
    }
}

#[test]
fn sample_lists_requests_and_problems() {
    let d = dest(
        json!({"template": "create-candidate", "dedupe_by_email": true, "headers": "X-Trace:1"}),
    );
    let s = d.sample(&recs(&[
        json!({"name": "Ada", "email": "ada@example.com", "nick": "A"}),
        json!({"name": "Bob"}),
        json!({"email": "bad"}),
    ]));
    let paths: Vec<(&str, &Vec<u64>)> = s
        .requests
        .iter()
        .map(|r| (r.path.as_str(), &r.records))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("/candidate.search", &vec![0]),
            ("/candidate.create", &vec![0]),
            ("/candidate.create", &vec![10])
        ]
    );
    assert_eq!(s.requests[0].body, r#"{"email":"ada@example.com"}"#);
    assert_eq!(
        s.requests[0].headers,
        vec![("X-Trace".to_owned(), "1".to_owned())]
    );
    assert_eq!(
        s.requests[1].body,
        r#"{"name":"Ada","email":"ada@example.com","nick":"A"}"#
    );
    let problems: Vec<(u64, Severity, &str)> = s
        .problems
        .iter()
        .map(|p| (p.index, p.severity, p.code.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (0, Severity::Warning, "unknown_field"),
            (20, Severity::Error, "missing_field")
        ]
    );
}

fn exchange_for(
    path: &str,
    status: u16,
    headers: &[(&str, &str)],
    body: Value,
    records: Vec<u64>,
) -> Exchange {
    Exchange {
        request: PlannedRequest {
            method: crate::types::Method::Post,
            path: path.into(),
            headers: Vec::new(),
            body: "{}".into(),
            records,
        },
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.to_string(),
    }
}

#[test]
fn on_response_fields() {
    let off = dest(json!({"template": "create-candidate"}));
    let ex = exchange_for(
        "/candidate.create",
        200,
        &[],
        json!({"success": true, "results": {"id": "c1"}}),
        vec![3],
    );
    assert_eq!(off.on_response(&ex), Ok(None));

    let d = dest(json!({"template": "create-candidate", "response_webhook": true}));
    let ex = exchange_for(
        "/candidate.create",
        200,
        &[("x-ashby-request-id", "r-9")],
        json!({"success": true, "results": {"id": "c1", "name": "Ada"}, "warnings": ["unable_to_add_application_metadata"]}),
        vec![3, 4],
    );
    let v: Value = serde_json::from_str(&d.on_response(&ex).unwrap().unwrap()).unwrap();
    assert_eq!(
        v,
        json!({
            "index": 3, "indexes": [3, 4], "endpoint": "/candidate.create", "status": 200, "success": true,
            "id": "c1", "request_id": "r-9", "results": {"id": "c1", "name": "Ada"},
            "warnings": ["unable_to_add_application_metadata"], "error_code": null, "error_message": null
        })
    );

    let ex = exchange_for(
        "/candidate.create",
        200,
        &[],
        json!({"success": false, "errors": ["invalid_input"], "errorInfo": {"code": "invalid_input", "message": "bad", "requestId": "r-1"}}),
        vec![5],
    );
    let v: Value = serde_json::from_str(&d.on_response(&ex).unwrap().unwrap()).unwrap();
    assert_eq!(v["success"], json!(false));
    assert_eq!(v["id"], Value::Null);
    assert_eq!(v["request_id"], json!("r-1"));
    assert_eq!(v["results"], Value::Null);
    assert_eq!(v["warnings"], json!([]));
    assert_eq!(v["error_code"], json!("invalid_input"));
    assert_eq!(v["error_message"], json!("bad"));

    let ex = exchange_for("/candidate.create", 502, &[], json!("gateway"), vec![6]);
    let v: Value = serde_json::from_str(&d.on_response(&ex).unwrap().unwrap()).unwrap();
    assert_eq!(v["error_code"], json!("server_error"));
    assert_eq!(v["request_id"], Value::Null);

    let foreign = exchange_for("/job.create", 200, &[], json!({"success": true}), vec![1]);
    assert!(matches!(
        d.on_response(&foreign),
        Err(CallError::InvalidArgument(_))
    ));
    let update = exchange_for(
        "/candidate.update",
        200,
        &[],
        json!({"success": true, "results": {"id": "c1"}}),
        vec![1],
    );
    assert!(matches!(
        d.on_response(&update),
        Err(CallError::InvalidArgument(_))
    ));

    // dedupe exchanges belong to the destination
    let d = dest(
        json!({"template": "create-candidate", "response_webhook": true, "dedupe_by_email": true, "on_existing": "update"}),
    );
    let search = exchange_for(
        "/candidate.search",
        200,
        &[],
        json!({"success": true, "results": [{"id": U1}]}),
        vec![1],
    );
    let v: Value = serde_json::from_str(&d.on_response(&search).unwrap().unwrap()).unwrap();
    assert_eq!(v["id"], json!(U1));
    assert_eq!(v["endpoint"], json!("/candidate.search"));
    let update = exchange_for(
        "/candidate.update",
        200,
        &[],
        json!({"success": true, "results": {"id": U1}}),
        vec![1],
    );
    let v: Value = serde_json::from_str(&d.on_response(&update).unwrap().unwrap()).unwrap();
    assert_eq!(v["id"], json!(U1));

    // set-custom-field-values reports no id
    let d = dest(json!({"template": "set-custom-field-values", "response_webhook": true}));
    let ex = exchange_for(
        "/customField.setValues",
        200,
        &[],
        json!({"success": true, "results": [{"id": F1}]}),
        vec![0],
    );
    let v: Value = serde_json::from_str(&d.on_response(&ex).unwrap().unwrap()).unwrap();
    assert_eq!(v["id"], Value::Null);
    assert_eq!(v["success"], json!(true));
}

#[test]
fn manual_mode_reports_results_id() {
    let d = dest(json!({"url": "https://api.ashbyhq.com/application.changeStage"}));
    let mut t = fake(script(vec![
        ok_id("app-1"),
        resp(200, &[], json!({"success": true, "results": {"name": "x"}})),
    ]));
    let out = d.send(
        &mut t,
        &recs(&[json!({"applicationId": "a"}), json!({"applicationId": "b"})]),
    );
    assert_eq!(delivered(&out[0].outcome).id.as_deref(), Some("app-1"));
    assert_eq!(delivered(&out[1].outcome).id, None);
}

/// Fixed ids for the `{{name}}` placeholders of templates.json examples.
fn example_vars(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("{{") && s.ends_with("}}") => {
            let n = s.bytes().map(u64::from).sum::<u64>();
            Value::String(format!("00000000-0000-4000-8000-{n:012}"))
        }
        Value::Array(a) => Value::Array(a.iter().map(example_vars).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), example_vars(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every (template, step index, example record) in templates.json: the
/// template's own example for its first step, each step's `example` for
/// the others.
fn step_examples() -> Vec<(&'static crate::Template, usize, Value)> {
    let raw: Value = serde_json::from_str(crate::templates::TEMPLATES_JSON).unwrap();
    let mut out = Vec::new();
    for t in crate::templates::all().unwrap() {
        let file = raw["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == t.id.as_str())
            .unwrap();
        for (i, _) in t.steps.iter().enumerate() {
            let example = file["steps"][i]
                .get("example")
                .filter(|_| i > 0)
                .or_else(|| (i == 0).then(|| &file["example"]))
                .unwrap_or_else(|| panic!("{} step {} has no example", t.id, i + 1));
            out.push((t, i, example_vars(example)));
        }
    }
    out
}

fn config_of(t: &crate::Template) -> Value {
    let mut c = json!({"template": t.id});
    if t.side_effects {
        c["confirm_side_effects"] = json!(true);
    }
    c
}

#[test]
fn every_step_of_every_template_is_planned_sent_and_delivered() {
    let examples = step_examples();
    assert!(examples.len() > crate::templates::all().unwrap().len());
    for (t, i, example) in examples {
        let step = &t.steps[i];
        let d = dest(config_of(t));
        let records = [InputRecord::new(5, example.to_string())];
        let sample = d.sample(&records);
        let paths: Vec<&str> = sample.requests.iter().map(|r| r.path.as_str()).collect();
        assert!(
            paths.contains(&step.endpoint.as_str()),
            "{} step {}: example plans {paths:?}",
            t.id,
            i + 1
        );
        assert!(
            sample
                .problems
                .iter()
                .all(|p| p.severity == Severity::Warning),
            "{}: {:?}",
            t.id,
            sample.problems
        );
        let req = sample
            .requests
            .iter()
            .find(|r| r.path == step.endpoint)
            .unwrap();
        assert_eq!(req.records, vec![5]);
        let body: Value = serde_json::from_str(&req.body).unwrap();
        for key in &step.required {
            assert!(
                body.get(key).is_some_and(|v| !v.is_null()),
                "{} step {}: no {key} in {body}",
                t.id,
                i + 1
            );
        }
        for key in body.as_object().unwrap().keys() {
            assert!(
                step.fields.contains(key),
                "{}: {key} is not a field of {}",
                t.id,
                step.endpoint
            );
        }
        assert_sample_matches_send(config_of(t), &records);
        let mut tr = fake(always_ok());
        let out = d.send(&mut tr, &records);
        let dl = delivered(&out[0].outcome);
        let sent: Vec<&str> = out[0]
            .outcome
            .exchanges()
            .map(|e| e.request.path.as_str())
            .collect();
        assert_eq!(sent, paths, "{}", t.id);
        assert_eq!(dl.completed.len() + 1, sample.requests.len(), "{}", t.id);
    }
}

const APP: &str = "aaaaaaaa-0000-4000-8000-0000000000a1";
const STAGE: &str = "aaaaaaaa-0000-4000-8000-0000000000b2";

fn full_application_record() -> Vec<InputRecord> {
    recs(&[json!({
        "applicationId": APP, "creditedToUserId": U1, "interviewStageId": STAGE,
        "customFieldValues": [{"fieldId": F1, "fieldValue": "x"}]
    })])
}

#[test]
fn a_multi_step_record_is_delivered_once_every_call_succeeded() {
    let d = dest(json!({"template": "update-application"}));
    let mut t = fake(always_ok());
    let out = d.send(&mut t, &full_application_record());
    assert_eq!(out.len(), 1);
    let paths: Vec<&str> = t.sent.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/application.update",
            "/application.changeStage",
            "/customField.setValues"
        ]
    );
    let dl = delivered(&out[0].outcome);
    assert_eq!(dl.exchange.request.path, "/customField.setValues");
    assert_eq!(dl.completed.len(), 2);
    assert_eq!(dl.completed[0].id.as_deref(), Some("id-1"));
    assert_eq!(dl.completed[1].id.as_deref(), Some("id-2"));
    // the record's id is the first call's
    assert_eq!(dl.id.as_deref(), Some("id-1"));
}

#[test]
fn a_failed_second_call_names_its_step_and_the_calls_done() {
    let d = dest(json!({"template": "update-application"}));
    let records = full_application_record();
    let failure = json!({"success": false, "errorInfo": {"code": "archive_reason_not_found", "message": "pass archiveReasonId"}});
    let mut t = fake(script(vec![ok_id(APP), resp(200, &[], failure)]));
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 2, "the third call is not made");
    let r = rejected(&out[0].outcome);
    assert_eq!(r.code, "archive_reason_not_found");
    assert_eq!(
        r.message,
        "/application.changeStage failed (call 2 of 3; done before it: /application.update): pass archiveReasonId"
    );
    assert_eq!(
        r.exchange.as_ref().unwrap().request.path,
        "/application.changeStage"
    );
    assert_eq!(r.completed.len(), 1);
    assert_eq!(r.completed[0].exchange.request.path, "/application.update");
    assert_eq!(r.completed[0].id.as_deref(), Some(APP));

    // a transient failure: retry, with the done calls; a retry repeats them
    let mut t = fake(script(vec![
        ok_id(APP),
        Err(HttpError::Timeout("slow".into())),
    ]));
    let out = d.send(&mut t, &records);
    let r = retry(&out[0].outcome);
    assert_eq!(r.code, "timeout");
    assert!(r.exchange.is_none());
    assert!(
        r.message
            .starts_with("/application.changeStage failed (call 2 of 3;"),
        "{}",
        r.message
    );
    assert_eq!(r.completed.len(), 1);
    let mut t = fake(always_ok());
    let again = d.send(&mut t, &records);
    assert!(matches!(again[0].outcome, Outcome::Delivered(_)));
    assert_eq!(t.sent.len(), 3);

    // a missing permission on the third call halts, naming its permission
    let mut t = fake(script(vec![
        ok_id(APP),
        ok_id(APP),
        resp(
            403,
            &[],
            json!({"success": false, "errorInfo": {"code": "missing_endpoint_permission"}}),
        ),
    ]));
    let out = d.send(&mut t, &records);
    let h = halt(&out[0].outcome);
    assert_eq!(h.permission.as_deref(), Some("candidatesWrite"));
    assert_eq!(h.completed.len(), 2);
}

#[test]
fn a_single_step_failure_message_is_unchanged() {
    let d = dest(json!({"template": "update-candidate"}));
    let mut t = fake(script(vec![resp(
        200,
        &[],
        json!({"success": false, "errorInfo": {"code": "invalid_input", "message": "bad"}}),
    )]));
    let out = d.send(&mut t, &recs(&[json!({"candidateId": U1, "name": "A"})]));
    let r = rejected(&out[0].outcome);
    assert_eq!(
        (r.code.as_str(), r.message.as_str()),
        ("invalid_input", "bad")
    );
    assert!(r.completed.is_empty());
}

#[test]
fn sample_shows_every_call_in_order_with_its_record() {
    let d = dest(json!({"template": "update-job"}));
    let s = d.sample(&recs(&[
        json!({"jobId": U1, "title": "A", "status": "Open"}),
        json!({"jobId": U2, "status": "Closed", "note": 1}),
        json!({"jobId": U2}),
    ]));
    let got: Vec<(&str, &Vec<u64>)> = s
        .requests
        .iter()
        .map(|r| (r.path.as_str(), &r.records))
        .collect();
    assert_eq!(
        got,
        vec![
            ("/job.update", &vec![0]),
            ("/job.setStatus", &vec![0]),
            ("/job.setStatus", &vec![10])
        ]
    );
    assert_eq!(
        s.requests[2].body,
        format!(r#"{{"jobId":"{U2}","status":"Closed","note":1}}"#)
    );
    let problems: Vec<(u64, &str, Option<&str>)> = s
        .problems
        .iter()
        .map(|p| (p.index, p.code.as_str(), p.field.as_deref()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (10, "unknown_field", Some("note")),
            (20, "nothing_to_send", None)
        ]
    );
}

#[test]
fn send_reports_unknown_fields_per_record() {
    for mode in ["send", "drop", "reject"] {
        let d = dest(json!({"template": "create-candidate", "unknown_fields": mode}));
        let mut t = fake(always_ok());
        let out = d.send(
            &mut t,
            &recs(&[
                json!({"name": "A", "nick": "a", "_etl": 1}),
                json!({"name": "B"}),
            ]),
        );
        assert_eq!(out[0].unknown_fields, ["nick", "_etl"], "{mode}");
        assert!(out[1].unknown_fields.is_empty());
        match mode {
            "send" => assert_eq!(
                body_of(&t.sent[0]),
                json!({"name": "A", "nick": "a", "_etl": 1})
            ),
            "drop" => assert_eq!(body_of(&t.sent[0]), json!({"name": "A"})),
            _ => {
                assert_eq!(rejected(&out[0].outcome).code, "unknown_field");
                assert_eq!(t.sent.len(), 1);
            }
        }
    }
}

#[test]
fn a_step_can_take_an_id_from_an_earlier_steps_result() {
    let catalog = crate::templates::parse(
        r#"{"version":2,"templates":[{"id":"two","name":"Two","description":"d","steps":[
        {"endpoint":"/thing.update","permission":"jobsWrite","idempotent":true,"runs":"always",
         "fields":{"thingId":"uuid","title":"string"},"required":["thingId"],"result_id":"id"},
        {"endpoint":"/other.set","permission":"jobsWrite","idempotent":true,"runs":{"when_any":["flag"]},
         "fields":{"objectId":"uuid","flag":"boolean"},"required":["objectId","flag"],
         "take":{"objectId":{"step":1,"result":"otherId"}}}]}]}"#,
    )
    .unwrap();
    let config = Config::parse_with(r#"{"template":"two"}"#, &catalog.templates).unwrap();
    let d = Destination::from_config(config);
    let records = recs(&[json!({"thingId": U1, "flag": true})]);
    let s = d.sample(&records);
    assert_eq!(
        s.requests[1].body,
        r#"{"objectId":"<results.otherId of step 1>","flag":true}"#
    );
    let mut t = fake(|req: &HttpRequest| match req.path.as_str() {
        "/thing.update" => resp(
            200,
            &[],
            json!({"success": true, "results": {"id": U1, "otherId": U2}}),
        ),
        _ => ok_id(U2),
    });
    let out = d.send(&mut t, &records);
    assert_eq!(body_of(&t.sent[1]), json!({"objectId": U2, "flag": true}));
    assert!(matches!(out[0].outcome, Outcome::Delivered(_)));
    // an answer without the result is the second call's failure
    let mut t = fake(script(vec![ok_id(U1)]));
    let out = d.send(&mut t, &records);
    assert_eq!(t.sent.len(), 1);
    let r = rejected(&out[0].outcome);
    assert_eq!(r.code, "invalid_response");
    assert!(r.message.contains("results.otherId"), "{}", r.message);
}

#[test]
fn on_response_takes_every_step_of_the_template() {
    let d = dest(json!({"template": "update-opening", "response_webhook": true}));
    for path in [
        "/opening.update",
        "/opening.setOpeningState",
        "/opening.setArchived",
        "/customField.setValues",
    ] {
        let ex = exchange_for(
            path,
            200,
            &[],
            json!({"success": true, "results": {"id": U1}}),
            vec![4],
        );
        let v: Value = serde_json::from_str(&d.on_response(&ex).unwrap().unwrap()).unwrap();
        assert_eq!(v["endpoint"], json!(path));
        let want = if path == "/customField.setValues" {
            Value::Null
        } else {
            json!(U1)
        };
        assert_eq!(v["id"], want, "{path}");
    }
    let foreign = exchange_for("/job.update", 200, &[], json!({"success": true}), vec![1]);
    assert!(d.on_response(&foreign).is_err());
}

#[test]
fn a_lost_create_is_looked_up_before_it_is_sent_again() {
    let d = dest(json!({"template": "create-candidate"}));
    let rec = json!({"name": "A", "email": "a@example.com"});
    // The create's answer is lost: retry, saying it may have been applied.
    let mut t = fake(script(vec![Err(HttpError::Transport("reset".into()))]));
    let out = d.send(&mut t, &recs(std::slice::from_ref(&rec)));
    let r = retry(&out[0].outcome);
    assert!(r.maybe_applied, "{r:?}");
    // The next attempt looks first and finds it: delivered as existing.
    let mut again = recs(std::slice::from_ref(&rec));
    again[0].maybe_applied = true;
    let mut t = fake(script(vec![resp(
        200,
        &[],
        json!({"success": true, "results": [{"id": "c9"}]}),
    )]));
    let out = d.send(&mut t, &again);
    match &out[0].outcome {
        Outcome::Delivered(x) => assert_eq!((x.id.as_deref(), x.existing), (Some("c9"), true)),
        o => panic!("expected delivered, got {o:?}"),
    }
    assert_eq!(t.sent.len(), 1, "no create after the lookup found it");
    assert_eq!(t.sent[0].path, "/candidate.search");
    // Not found: created; the lookup failing keeps it maybe-applied.
    let mut t = fake(script(vec![
        resp(200, &[], json!({"success": true, "results": []})),
        ok_id("c1"),
    ]));
    let out = d.send(&mut t, &again);
    assert!(matches!(&out[0].outcome, Outcome::Delivered(x) if !x.existing));
    assert_eq!(t.sent.len(), 2);
    let mut t = fake(script(vec![resp(503, &[], json!({}))]));
    let out = d.send(&mut t, &again);
    assert!(retry(&out[0].outcome).maybe_applied);
    // retry_ambiguous: re-sent blindly; an update is idempotent anyway.
    for config in [
        json!({"template": "create-candidate", "retry_ambiguous": true}),
        json!({"template": "update-candidate"}),
    ] {
        let d = dest(config);
        let rec = json!({"candidateId": "1f5b4a5e-8c2d-4e7f-9a1b-3c4d5e6f7a8b", "name": "A", "email": "a@example.com"});
        let mut t = fake(script(vec![Err(HttpError::Timeout("slow".into()))]));
        let out = d.send(&mut t, &recs(&[rec]));
        let r = retry(&out[0].outcome);
        assert!(!r.maybe_applied && r.code == "timeout", "{r:?}");
    }
}
