use super::*;
use crate::types::{HttpError, HttpResponse};

/// Answers every request with one canned response and records them.
struct Canned {
    answer: Result<HttpResponse, HttpError>,
    sent: Vec<HttpRequest>,
}

impl Transport for Canned {
    fn send(&mut self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.sent.push(req);
        self.answer.clone()
    }
}

fn answer(status: u16, body: &str) -> Canned {
    Canned {
        answer: Ok(HttpResponse {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }),
        sent: Vec::new(),
    }
}

fn run_on(config: &str, name: &str, mut t: Canned) -> CheckReport {
    let c = Config::parse(config).unwrap();
    let r = run(&c, &mut t, name).unwrap();
    assert_eq!(t.sent.len(), 1, "one call");
    assert_eq!(t.sent[0].path, "/apiKey.info");
    assert_eq!(t.sent[0].method, Method::Post);
    r
}

const CANDIDATE: &str = r#"{"template":"create-candidate"}"#;

fn info(scopes: &[&str]) -> String {
    serde_json::json!({"success": true, "results": {"title": "sync", "createdAt": "2024-01-01T00:00:00.000Z", "scopes": scopes}}).to_string()
}

#[test]
fn a_good_key_passes_both_checks() {
    let a = run_on(CANDIDATE, "auth", answer(200, &info(&["candidates:write"])));
    assert_eq!(
        (a.status, a.code.as_str()),
        (CheckStatus::Ok, "key_accepted")
    );
    assert!(a.message.contains("sync"), "{}", a.message);
    let p = run_on(
        CANDIDATE,
        "permission",
        answer(200, &info(&["candidatesWrite"])),
    );
    assert_eq!(
        (p.status, p.code.as_str()),
        (CheckStatus::Ok, "permissions_present")
    );
}

#[test]
fn a_refused_key_fails_with_what_to_do() {
    for status in [401, 403] {
        let a = run_on(CANDIDATE, "auth", answer(status, "Invalid API key"));
        assert_eq!(
            (a.status, a.code.as_str()),
            (CheckStatus::Failed, "key_rejected")
        );
        assert!(!a.action.is_empty());
    }
}

#[test]
fn a_missing_permission_is_named() {
    let p = run_on(
        r#"{"template":"create-candidate","dedupe_by_email":true}"#,
        "permission",
        answer(200, &info(&["candidates:write"])),
    );
    assert_eq!(
        (p.status, p.code.as_str()),
        (CheckStatus::Failed, "missing_permission")
    );
    assert!(p.message.contains("candidatesRead"), "{}", p.message);
    assert!(p.action.contains("candidatesRead"), "{}", p.action);
}

#[test]
fn without_api_keys_read_auth_passes_and_permission_is_unknown() {
    let body = r#"{"success":false,"errors":["missing_endpoint_permission"],"errorInfo":{"code":"missing_endpoint_permission","message":"Missing apiKeysRead"}}"#;
    let a = run_on(CANDIDATE, "auth", answer(403, body));
    assert_eq!(a.status, CheckStatus::Ok);
    let p = run_on(CANDIDATE, "permission", answer(403, body));
    assert_eq!(
        (p.status, p.code.as_str()),
        (CheckStatus::Unknown, "cannot_verify_without_writing")
    );
    assert!(p.message.contains("candidatesWrite"), "{}", p.message);
}

#[test]
fn an_unreachable_remote_is_unknown_and_an_unknown_name_none() {
    let t = Canned {
        answer: Err(HttpError::Connect("refused".into())),
        sent: Vec::new(),
    };
    let a = run_on(CANDIDATE, "auth", t);
    assert_eq!(a.status, CheckStatus::Unknown);
    let c = Config::parse(CANDIDATE).unwrap();
    let mut t = answer(200, "{}");
    assert!(run(&c, &mut t, "write-something").is_none());
    assert!(t.sent.is_empty());
}

#[test]
fn scopes_in_either_spelling() {
    assert!(crate::ashby::scope_covers(
        "candidates:write",
        "candidatesWrite"
    ));
    assert!(crate::ashby::scope_covers(
        "candidatesWrite",
        "candidatesWrite"
    ));
    assert!(!crate::ashby::scope_covers(
        "candidates:read",
        "candidatesWrite"
    ));
    assert!(!crate::ashby::scope_covers("jobs:write", "candidatesWrite"));
}
