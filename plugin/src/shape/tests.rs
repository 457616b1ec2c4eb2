#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

const U1: &str = "3ae2b801-19f6-41ef-ad28-214bd731948f";
const U2: &str = "5b6c1d2e-0000-4000-8000-000000000002";

fn cfg(v: Value) -> Config {
    Config::parse(&v.to_string()).unwrap()
}

fn shape(c: &Config, rec: Value) -> ShapedRecord {
    shape_record(c, &InputRecord::new(7, rec.to_string()))
}

/// The first call's body.
fn body(c: &Config, rec: Value) -> Value {
    Value::Object(shape(c, rec).calls.unwrap().remove(0).body)
}

fn err(c: &Config, rec: Value) -> RecordProblem {
    shape(c, rec).calls.unwrap_err()
}

#[test]
fn not_an_object() {
    let c = cfg(json!({"template": "create-candidate"}));
    let p = shape_record(&c, &InputRecord::new(3, "{nope"))
        .calls
        .unwrap_err();
    assert_eq!(p.code, NOT_AN_OBJECT);
    assert_eq!(p.index, 3);
    assert!(p.message.starts_with("not valid JSON: "), "{}", p.message);
    let p = err(&c, json!([1, 2]));
    assert_eq!(p.code, NOT_AN_OBJECT);
    assert!(p.message.starts_with("record is not a JSON object"));
}

#[test]
fn exclude_then_rename_then_defaults_keep_order() {
    let c = cfg(json!({
        "template": "create-candidate",
        "exclude": ["_meta", "name"],
        "rename": {"full_name": "name", "mail": "email"},
        "defaults": {"sourceId": U1, "email": "default@example.com", "phoneNumber": "+1"}
    }));
    // `name` is excluded before `full_name` is renamed to it; the null
    // `mail` is an absent field, so the default email comes last.
    let b = body(
        &c,
        json!({"_meta": 1, "mail": null, "full_name": "Ada", "name": "ignored", "phoneNumber": "+2"}),
    );
    assert_eq!(
        serde_json::to_string(&b).unwrap(),
        format!(
            r#"{{"name":"Ada","phoneNumber":"+2","sourceId":"{U1}","email":"default@example.com"}}"#
        )
    );
}

#[test]
fn defaults_respect_aliases() {
    let c = cfg(json!({"template": "create-job", "defaults": {"teamId": U1, "locationId": U2}}));
    let b = body(&c, json!({"title": "Eng", "departmentId": U2}));
    assert_eq!(b, json!({"title": "Eng", "teamId": U2, "locationId": U2}));
    let c =
        cfg(json!({"template": "create-job", "defaults": {"departmentId": U1, "locationId": U2}}));
    let b = body(&c, json!({"title": "Eng", "teamId": U2}));
    assert_eq!(b, json!({"title": "Eng", "teamId": U2, "locationId": U2}));
    let b = body(&c, json!({"title": "Eng"}));
    assert_eq!(b, json!({"title": "Eng", "teamId": U1, "locationId": U2}));
}

#[test]
fn rename_conflicts() {
    let c = cfg(json!({"template": "create-candidate", "rename": {"full_name": "name"}}));
    let p = err(&c, json!({"full_name": "Ada", "name": "Bob"}));
    assert_eq!(p.code, CONFLICTING_FIELDS);
    assert!(
        p.message.contains("\"full_name\"") && p.message.contains("\"name\""),
        "{}",
        p.message
    );
    // same value or a null side is fine
    assert_eq!(
        body(&c, json!({"full_name": "Ada", "name": "Ada"})),
        json!({"name": "Ada"})
    );
    assert_eq!(
        body(&c, json!({"name": null, "full_name": "Ada"})),
        json!({"name": "Ada"})
    );
    // renames are simultaneous: a→b and b→c
    let c = cfg(json!({"url": "https://api.ashbyhq.com/a.b", "rename": {"a": "b", "b": "c"}}));
    assert_eq!(
        serde_json::to_string(&body(&c, json!({"a": 1, "b": 2}))).unwrap(),
        r#"{"b":1,"c":2}"#
    );
}

#[test]
fn aliases_all_kinds() {
    // website → websiteUrl (update-candidate)
    let c = cfg(json!({"template": "update-candidate"}));
    assert_eq!(
        serde_json::to_string(&body(
            &c,
            json!({"candidateId": U1, "website": "https://a.dev", "name": "A"})
        ))
        .unwrap(),
        format!(r#"{{"candidateId":"{U1}","websiteUrl":"https://a.dev","name":"A"}}"#)
    );
    // departmentId → teamId (create-job, update-job)
    for t in ["create-job", "update-job"] {
        let c = cfg(json!({"template": t}));
        let b = body(
            &c,
            json!({"title": "Eng", "departmentId": U1, "locationId": U2, "jobId": U2}),
        );
        assert_eq!(b.get("teamId"), Some(&json!(U1)), "{t}");
        assert!(b.get("departmentId").is_none());
    }
    // jobId → id (get-job)
    let c = cfg(json!({"template": "get-job"}));
    assert_eq!(body(&c, json!({"jobId": U1})), json!({"id": U1}));
    // jobId → jobIds wrapped (create-opening)
    let c = cfg(json!({"template": "create-opening"}));
    assert_eq!(
        body(&c, json!({"identifier": "ENG-1", "jobId": U1})),
        json!({"identifier": "ENG-1", "jobIds": [U1]})
    );
    assert_eq!(
        body(&c, json!({"jobId": U1, "jobIds": [U1]})),
        json!({"jobIds": [U1]})
    );
    // fieldValues → values (set-custom-field-values)
    let c = cfg(json!({"template": "set-custom-field-values"}));
    let b = body(
        &c,
        json!({"objectId": U1, "objectType": "Candidate", "fieldValues": [{"fieldId": U2, "fieldValue": 3}]}),
    );
    assert_eq!(
        b,
        json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": U2, "fieldValue": 3}]})
    );
    // a null alias source is dropped; a null target does not conflict
    let c = cfg(json!({"template": "get-job"}));
    assert_eq!(
        body(&c, json!({"jobId": null, "id": U1})),
        json!({"id": U1})
    );
    assert_eq!(
        body(&c, json!({"id": null, "jobId": U1})),
        json!({"id": U1})
    );
}

#[test]
fn alias_conflict() {
    let c = cfg(json!({"template": "create-job"}));
    let p = err(
        &c,
        json!({"title": "Eng", "departmentId": U1, "teamId": U2, "locationId": U2}),
    );
    assert_eq!(p.code, CONFLICTING_FIELDS);
    assert_eq!(p.field.as_deref(), Some("teamId"));
    assert!(p.message.contains("\"departmentId\"") && p.message.contains("\"teamId\""));
    let c = cfg(json!({"template": "create-opening"}));
    assert_eq!(
        err(&c, json!({"jobId": U1, "jobIds": [U2]})).code,
        CONFLICTING_FIELDS
    );
}

#[test]
fn required_and_types() {
    let c = cfg(json!({"template": "create-job"}));
    let p = err(&c, json!({"title": "Eng", "locationId": U2}));
    assert_eq!(p.code, MISSING_FIELD);
    assert_eq!(p.field.as_deref(), Some("teamId"));
    assert!(
        p.message.contains("\"teamId\"") && p.message.contains("\"departmentId\""),
        "{}",
        p.message
    );
    assert_eq!(
        err(&c, json!({"title": null, "teamId": U1, "locationId": U2})).code,
        MISSING_FIELD
    );

    let c = cfg(json!({"template": "create-candidate"}));
    let p = err(&c, json!({"name": "Bob", "email": "bob"}));
    assert_eq!(p.code, INVALID_FIELD);
    assert_eq!(
        p.message,
        "field \"email\": expected an email address, got \"bob\""
    );
    // a null in an optional field is an absent field, never a rejection
    assert_eq!(
        body(&c, json!({"name": "Bob", "email": null})),
        json!({"name": "Bob"})
    );
    // nested path
    let c = cfg(json!({"template": "set-custom-field-values"}));
    let p = err(
        &c,
        json!({"objectId": U1, "objectType": "Candidate", "values": [{"fieldId": "x", "fieldValue": 1}]}),
    );
    assert_eq!(p.field.as_deref(), Some("values[0].fieldId"));
    assert!(
        p.message
            .starts_with("field \"values[0].fieldId\": expected a UUID")
    );
    let p = err(
        &c,
        json!({"objectId": U1, "objectType": "Candidate", "values": []}),
    );
    assert_eq!(p.code, INVALID_FIELD);
    // nullable accepts null
    let c = cfg(json!({"template": "create-opening"}));
    assert!(shape(&c, json!({"jobIds": null})).calls.is_ok());
}

#[test]
fn unknown_fields_warn_in_template_mode_only() {
    let c = cfg(json!({"template": "create-candidate"}));
    let s = shape(&c, json!({"name": "Ada", "nickname": "A"}));
    assert!(s.calls.is_ok());
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(s.warnings[0].code, UNKNOWN_FIELD);
    assert_eq!(s.warnings[0].severity, Severity::Warning);
    assert_eq!(s.warnings[0].field.as_deref(), Some("nickname"));

    let c = cfg(json!({"url": "https://api.ashbyhq.com/candidate.create"}));
    let s = shape(&c, json!({"nickname": "A", "email": "bob"}));
    assert!(s.calls.is_ok() && s.warnings.is_empty());
}

#[test]
fn manual_mode_skips_aliases() {
    let c = cfg(json!({"url": "https://api.ashbyhq.com/job.info"}));
    assert_eq!(body(&c, json!({"jobId": U1})), json!({"jobId": U1}));
}

const APP: &str = "aaaaaaaa-0000-4000-8000-0000000000a1";
const STAGE: &str = "aaaaaaaa-0000-4000-8000-0000000000b2";
const REASON: &str = "aaaaaaaa-0000-4000-8000-0000000000c3";
const FIELD: &str = "aaaaaaaa-0000-4000-8000-0000000000d4";

/// (endpoint, body) of every call a record makes.
fn calls(c: &Config, rec: Value) -> Vec<(String, Value)> {
    let t = c.template.as_ref().unwrap();
    shape(c, rec)
        .calls
        .unwrap()
        .into_iter()
        .map(|call| {
            (
                t.steps[call.step].endpoint.clone(),
                Value::Object(call.body),
            )
        })
        .collect()
}

#[test]
fn a_record_splits_into_the_steps_whose_fields_it_carries() {
    let c = cfg(json!({"template": "update-application"}));
    assert_eq!(
        calls(&c, json!({"applicationId": APP, "interviewStageId": STAGE})),
        vec![(
            "/application.changeStage".to_owned(),
            json!({"applicationId": APP, "interviewStageId": STAGE})
        )]
    );
    let all = calls(
        &c,
        json!({"applicationId": APP, "creditedToUserId": U1, "sendNotifications": false,
               "interviewStageId": STAGE, "fieldValues": [{"fieldId": FIELD, "fieldValue": 1}]}),
    );
    assert_eq!(
        all,
        vec![
            (
                "/application.update".to_owned(),
                json!({"applicationId": APP, "creditedToUserId": U1, "sendNotifications": false})
            ),
            (
                "/application.changeStage".to_owned(),
                json!({"applicationId": APP, "interviewStageId": STAGE})
            ),
            (
                "/customField.setValues".to_owned(),
                json!({"objectType": "Application", "objectId": APP,
                       "values": [{"fieldId": FIELD, "fieldValue": 1}]})
            ),
        ]
    );
    // isArchived is another name for opening.setArchived's archive
    let c = cfg(json!({"template": "update-opening"}));
    assert_eq!(
        calls(&c, json!({"openingId": U1, "isArchived": true})),
        vec![(
            "/opening.setArchived".to_owned(),
            json!({"openingId": U1, "archive": true})
        )]
    );
}

#[test]
fn a_record_with_no_field_for_any_step_is_rejected() {
    let c = cfg(json!({"template": "update-job"}));
    let p = err(&c, json!({"jobId": U1}));
    assert_eq!(p.code, NOTHING_TO_SEND);
    assert!(
        p.message.contains("status for /job.setStatus")
            && p.message
                .contains("customFieldValues for /customField.setValues"),
        "{}",
        p.message
    );
    // a typo is unknown, and sending it alone would do nothing
    let s = shape(&c, json!({"jobId": U1, "statuss": "Open"}));
    assert_eq!(s.calls.unwrap_err().code, NOTHING_TO_SEND);
    assert_eq!(s.unknown_fields, ["statuss"]);
}

#[test]
fn a_running_step_needs_its_required_fields() {
    let c = cfg(json!({"template": "update-application"}));
    let p = err(&c, json!({"applicationId": APP, "archiveReasonId": REASON}));
    assert_eq!(p.code, MISSING_FIELD);
    assert_eq!(p.field.as_deref(), Some("interviewStageId"));
    assert!(
        p.message.contains("/application.changeStage (step 2)"),
        "{}",
        p.message
    );
}

#[test]
fn cross_field_rules() {
    let c = cfg(json!({"template": "update-application"}));
    let p = err(
        &c,
        json!({"applicationId": APP, "interviewStageId": STAGE,
               "archiveEmail": {"communicationTemplateId": U2}}),
    );
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        (MISSING_FIELD, Some("archiveReasonId"))
    );
    assert!(p.message.contains("Archived stage"), "{}", p.message);
    assert!(
        shape(
            &c,
            json!({"applicationId": APP, "interviewStageId": STAGE, "archiveReasonId": REASON,
                   "archiveEmail": {"communicationTemplateId": U2}})
        )
        .calls
        .is_ok()
    );
    let c = cfg(json!({"template": "update-opening"}));
    let p = err(
        &c,
        json!({"openingId": U1, "openingState": "Open", "closeReasonId": REASON}),
    );
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        (INVALID_FIELD, Some("openingState"))
    );
    assert!(p.message.contains("\"Closed\""), "{}", p.message);
    let p = err(&c, json!({"openingId": U1, "closeReasonId": REASON}));
    assert_eq!(p.code, MISSING_FIELD);
}

#[test]
fn unknown_fields_in_each_mode() {
    let rec = json!({"name": "Ada", "nickname": "A", "_etl": 3});
    let c = cfg(json!({"template": "create-candidate"}));
    let s = shape(&c, rec.clone());
    assert_eq!(s.unknown_fields, ["nickname", "_etl"]);
    assert_eq!(s.warnings.len(), 2);
    assert!(s.warnings.iter().all(|w| w.code == UNKNOWN_FIELD));
    assert_eq!(Value::Object(s.calls.unwrap().remove(0).body), rec);

    let c = cfg(json!({"template": "create-candidate", "unknown_fields": "drop"}));
    let s = shape(&c, rec.clone());
    assert_eq!(s.unknown_fields, ["nickname", "_etl"]);
    assert_eq!(
        Value::Object(s.calls.unwrap().remove(0).body),
        json!({"name": "Ada"})
    );
    assert!(s.warnings[0].message.contains("left out"));

    let c = cfg(json!({"template": "create-candidate", "unknown_fields": "reject"}));
    let s = shape(&c, rec);
    let p = s.calls.unwrap_err();
    assert_eq!(
        (p.code.as_str(), p.field.as_deref()),
        (UNKNOWN_FIELD, Some("nickname"))
    );
    assert!(p.message.contains("\"_etl\""), "{}", p.message);
    assert_eq!(s.warnings.len(), 2);

    // unknown fields go with the first call that runs, never a later one
    let c = cfg(json!({"template": "update-job"}));
    let all = calls(
        &c,
        json!({"jobId": U1, "title": "T", "status": "Open", "x": 1}),
    );
    assert_eq!(all[0].1, json!({"jobId": U1, "title": "T", "x": 1}));
    assert_eq!(all[1].1, json!({"jobId": U1, "status": "Open"}));
}

#[test]
fn nulls_omit_or_send() {
    let rec = json!({"name": "Ada", "email": null, "location": {"city": null, "country": "UK"}});
    let c = cfg(json!({"template": "create-candidate"}));
    assert_eq!(
        body(&c, rec.clone()),
        json!({"name": "Ada", "location": {"city": null, "country": "UK"}})
    );
    let c = cfg(json!({"template": "create-candidate", "nulls": "send"}));
    assert_eq!(
        body(&c, rec),
        json!({"name": "Ada", "email": null, "location": {"city": null, "country": "UK"}})
    );
    // a null required field is still missing
    assert_eq!(err(&c, json!({"name": null})).code, MISSING_FIELD);
    // a null does not make a step run
    let c = cfg(json!({"template": "update-job", "nulls": "send"}));
    assert_eq!(
        calls(&c, json!({"jobId": U1, "title": "T", "status": null})),
        vec![("/job.update".to_owned(), json!({"jobId": U1, "title": "T"}))]
    );
}
