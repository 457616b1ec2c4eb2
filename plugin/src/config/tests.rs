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
    let c =
        parse(json!({"template": "get-job", "url": "https://api.ashbyhq.com/job.info"})).unwrap();
    assert_eq!(c.template.unwrap().id, "get-job");
    // both, disagreeing
    let (key, reason) =
        invalid_key(json!({"template": "get-job", "url": "https://api.ashbyhq.com/job.update"}));
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
        ("X-Forwarded-Host:evil", "reserved to the host"),
        ("Content_Length:0", "reserved to the host"),
        ("X-HTTP-Method-Override:DELETE", "reserved to the host"),
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
    let (key, reason) =
        invalid_key(json!({"template": "create-candidate", "rename": {"a": "name", "b": "name"}}));
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
        parse(json!({"url": "https://api.ashbyhq.com/a.b", "defaults": {"email": "nope"}})).is_ok()
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
    let c =
        parse(json!({"template": "start-offer-process", "confirm_side_effects": true})).unwrap();
    assert_eq!(c.permission.as_deref(), Some("offersWrite"));
    assert!(parse(json!({"url": "https://api.ashbyhq.com/offerProcess.start", "confirm_side_effects": true})).is_ok());
    assert_eq!(
        invalid_key(json!({"template": "start-offer-process", "confirm_side_effects": "true"})).0,
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

    let c = parse(json!({"template": "create-candidate", "batch": {"enabled": false, "size": 5}}))
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
    let c = parse(
        json!({"template": "create-candidate", "dedupe_by_email": true, "on_existing": "update"}),
    )
    .unwrap();
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
    assert_eq!(
        invalid_key(
            json!({"template": "create-candidate", "dedupe_by_email": true, "on_existing": "merge"})
        )
        .0,
        "on_existing"
    );
    assert_eq!(
        invalid_key(json!({"template": "create-candidate", "dedupe_by_email": 1})).0,
        "dedupe_by_email"
    );
    assert_eq!(
        invalid_key(json!({"template": "create-candidate", "dedupe_by_email": true, "batch": {"enabled": true}})).0,
        "batch.enabled"
    );
}

#[test]
fn unknown_fields_and_nulls() {
    let c = parse(json!({"template": "create-candidate"})).unwrap();
    assert_eq!(
        (c.unknown_fields, c.nulls),
        (UnknownFields::Send, Nulls::Omit)
    );
    let c =
        parse(json!({"template": "create-candidate", "unknown_fields": "reject", "nulls": "send"}))
            .unwrap();
    assert_eq!(
        (c.unknown_fields, c.nulls),
        (UnknownFields::Reject, Nulls::Send)
    );
    assert_eq!(
        parse(json!({"template": "create-candidate", "unknown_fields": "drop"}))
            .unwrap()
            .unknown_fields,
        UnknownFields::Drop
    );
    let (key, reason) =
        invalid_key(json!({"template": "create-candidate", "unknown_fields": "keep"}));
    assert_eq!(key, "unknown_fields");
    assert!(
        reason.contains("\"send\" or \"drop\" or \"reject\""),
        "{reason}"
    );
    assert_eq!(
        invalid_key(json!({"template": "create-candidate", "nulls": false})).0,
        "nulls"
    );
    // manual mode knows no field
    let (key, reason) =
        invalid_key(json!({"url": "https://api.ashbyhq.com/a.b", "unknown_fields": "drop"}));
    assert_eq!(key, "unknown_fields");
    assert!(reason.contains("template"), "{reason}");
    assert!(parse(json!({"url": "https://api.ashbyhq.com/a.b", "nulls": "send"})).is_ok());
}

#[test]
fn batching_refuses_a_multi_step_template() {
    let (key, reason) =
        invalid_key(json!({"template": "update-application", "batch": {"enabled": true}}));
    assert_eq!(key, "batch.enabled");
    assert!(reason.contains("3 calls per record"), "{reason}");
    assert!(parse(json!({"template": "update-candidate", "batch": {"enabled": true}})).is_ok());
}
