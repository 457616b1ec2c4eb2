//! `describe` and `check` through the real component. The config schema is
//! checked with a JSON Schema validator (the `jsonschema` crate, draft
//! 2020-12, formats asserted) against `configure` itself: over a corpus of
//! configs (every example, the contract tests' accepted and refused ones,
//! and variants of every template), the schema accepts exactly what
//! `configure` accepts. The checks run against the mock with a good key, a
//! wrong key, a missing permission and no `apiKeysRead`, and write nothing.

use destination_host::sandbox::{CheckReport, CheckStatus, Description, Limits};
use e2e::*;
use mock_ashby::{MockAshby, MockConfig};
use serde_json::{Value, json};

fn description() -> Description {
    rt().block_on(async {
        let mock = mock();
        let mut g = runtime()
            .instantiate(&tenant(&mock), &Limits::default())
            .await
            .unwrap();
        g.describe().await.unwrap()
    })
}

/// Whether the component's `configure` accepts `config`.
async fn accepted(mock: &MockAshby, config: &str) -> bool {
    let mut g = runtime()
        .instantiate(&tenant(mock), &Limits::default())
        .await
        .unwrap();
    g.configure(config).await.unwrap().is_ok()
}

/// Variants of one template's config, each a change `configure` has a
/// rule about.
fn variants(t: &plugin::templates::Template, example: &Value) -> Vec<Value> {
    let base = json!({"template": t.id, "confirm_side_effects": true});
    let with = |k: &str, v: Value| {
        let mut c = base.clone();
        c[k] = v;
        c
    };
    let url = format!("https://api.ashbyhq.com{}", t.endpoint);
    let mut out = vec![
        json!({"template": t.id}),
        base.clone(),
        with("confirm_side_effects", json!(false)),
        with("colour", json!("red")),
        with("url", json!(url)),
        with("url", json!("https://api.ashbyhq.com/candidate.addTag")),
        json!({"url": url}),
        json!({"url": url, "confirm_side_effects": true}),
        json!({"url": url.to_uppercase().replace(&t.endpoint.to_uppercase(), &t.endpoint), "confirm_side_effects": true}),
        json!({"url": url, "unknown_fields": "drop"}),
        with("unknown_fields", json!("reject")),
        with("unknown_fields", json!("keep")),
        with("nulls", json!("send")),
        with("method", json!("Post")),
        with("method", json!("PUT")),
        with("headers", json!("x-a:1, x-b : two")),
        with("headers", json!("Proxy-Foo:1")),
        with("headers", json!("x-a:1,,x-b:2")),
        with("headers", json!("")),
        with("batch", json!({"enabled": true})),
        with(
            "batch",
            json!({"enabled": true, "size": 1000, "grouping": {"by_field": "objectId"}}),
        ),
        with("batch", json!({"enabled": true, "size": 0})),
        with("batch", json!({"enabled": false, "grouping": "sequential"})),
        with(
            "batch",
            json!({"enabled": true, "grouping": {"by_field": ""}}),
        ),
        with("batch", json!({"enabled": true, "colour": 1})),
        with("dedupe_by_email", json!(true)),
        with("on_existing", json!("update")),
        with("exclude", json!(["a", 1])),
        with("rename", json!({"a": "b", "c": ""})),
        with("response_webhook", json!(1)),
    ];
    let mut dedupe = with("dedupe_by_email", json!(true));
    dedupe["on_existing"] = json!("update");
    out.push(dedupe.clone());
    dedupe["batch"] = json!({"enabled": true});
    out.push(dedupe);
    // Defaults: the example's own values are accepted; a number where a
    // string-typed field is expected is not.
    if let Some(ex) = example.as_object() {
        let values: serde_json::Map<String, Value> = ex
            .iter()
            .filter(|(_, v)| !v.as_str().is_some_and(|s| s.starts_with("{{")))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.push(with("defaults", Value::Object(values)));
    }
    for (name, ty) in &t.fields.0 {
        if matches!(
            ty,
            plugin::schema::FieldType::String | plugin::schema::FieldType::Uuid
        ) {
            out.push(with("defaults", json!({ name: 12345 })));
            break;
        }
    }
    out.push(with("defaults", json!({"x": null})));
    out
}

fn corpus() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for dir in ["../examples", "../examples/demo"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                out.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out.extend(crate::contract::ACCEPTED.iter().map(|s| s.to_string()));
    out.extend(crate::contract::REFUSED.iter().map(|(s, _)| s.to_string()));
    for (t, example) in templates_with_examples() {
        out.extend(variants(&t, &example).iter().map(Value::to_string));
    }
    out
}

#[test]
fn the_schema_accepts_exactly_what_configure_accepts() {
    let d = description();
    let schema: Value = serde_json::from_str(&d.config_schema).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let corpus = corpus();
    let (mut yes, mut no) = (0, 0);
    rt().block_on(async {
        let mock = mock();
        for config in &corpus {
            let instance: Value = serde_json::from_str(config).unwrap();
            let by_schema = validator.is_valid(&instance);
            let by_configure = accepted(&mock, config).await;
            let errors: Vec<String> = validator
                .iter_errors(&instance)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert_eq!(by_schema, by_configure, "{config}: schema says {errors:?}");
            if by_configure { yes += 1 } else { no += 1 }
        }
    });
    // The corpus exercises both sides for real.
    assert!(yes >= 40 && no >= 100, "accepted {yes}, refused {no}");
    // Every example config is among the accepted ones.
    for config in corpus.iter().take(7) {
        assert!(
            validator.is_valid(&serde_json::from_str(config).unwrap()),
            "{config}"
        );
    }
}

#[test]
fn the_schema_offers_a_pulldown_and_ui_hints_and_the_catalog_matches_the_templates() {
    let d = description();
    let schema: Value = serde_json::from_str(&d.config_schema).unwrap();
    let catalog: Value = serde_json::from_str(&d.catalog).unwrap();
    let choices = schema["properties"]["template"]["oneOf"]
        .as_array()
        .unwrap();
    let entries = catalog["templates"].as_array().unwrap();
    assert_eq!(choices.len(), entries.len());
    for (c, e) in choices.iter().zip(entries) {
        assert_eq!(c["const"], e["id"]);
        assert_eq!(c["title"], e["name"]);
        assert!(!e["steps"].as_array().unwrap().is_empty());
        assert!(!e["permissions"].as_array().unwrap().is_empty());
    }
    let order = schema["x-ui"]["order"].as_array().unwrap();
    assert_eq!(order.len(), schema["properties"].as_object().unwrap().len());
    let grouped: usize = schema["x-ui"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["keys"].as_array().unwrap().len())
        .sum();
    assert_eq!(grouped, order.len());
    assert_eq!(schema["x-ui"]["credential"]["secret"], true);
    let names: Vec<&str> = d.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["auth", "permission"]);
}

/// Runs every check for `config` against a mock granting `permissions`,
/// with the mock's key or `key`; also returns the paths the mock saw.
fn checks(
    config: &str,
    permissions: Option<Vec<&str>>,
    key: Option<&str>,
) -> (Vec<CheckReport>, Vec<String>) {
    let mock = MockAshby::start(MockConfig {
        permissions: permissions.map(|p| p.into_iter().map(String::from).collect()),
        ..MockConfig::default()
    })
    .unwrap();
    let tenant = tenant_at("t", &mock.base_url(), key.unwrap_or(mock.api_key()));
    let reports = rt().block_on(async {
        let (mut g, _) = runtime()
            .configured(&tenant, &Limits::default(), config)
            .await
            .unwrap();
        g.run_checks(None).await.unwrap()
    });
    let paths = mock.requests().into_iter().map(|r| r.path).collect();
    (reports, paths)
}

fn outcome(r: &[CheckReport]) -> Vec<(String, CheckStatus, String)> {
    r.iter()
        .map(|r| (r.name.clone(), r.status, r.code.clone()))
        .collect()
}

fn t(name: &str, s: CheckStatus, code: &str) -> (String, CheckStatus, String) {
    (name.into(), s, code.into())
}

/// The permissions a mock grants (all when `None`), the key sent (the
/// mock's when `None`) and the reports expected.
type Case<'a> = (
    Option<Vec<&'a str>>,
    Option<&'a str>,
    Vec<(String, CheckStatus, String)>,
);

#[test]
fn checks_tell_a_good_key_a_wrong_key_a_missing_permission_and_no_api_keys_read() {
    use CheckStatus::*;
    let config = r#"{"template":"create-candidate","dedupe_by_email":true}"#;
    let cases: Vec<Case> = vec![
        (
            None,
            None,
            vec![
                t("auth", Ok, "key_accepted"),
                t("permission", Ok, "permissions_present"),
            ],
        ),
        (
            None,
            Some("wrong-key"),
            vec![
                t("auth", Failed, "key_rejected"),
                t("permission", Failed, "key_rejected"),
            ],
        ),
        (
            Some(vec!["apiKeysRead", "candidatesRead"]),
            None,
            vec![
                t("auth", Ok, "key_accepted"),
                t("permission", Failed, "missing_permission"),
            ],
        ),
        (
            Some(vec!["candidatesWrite"]),
            None,
            vec![
                t("auth", Ok, "key_accepted"),
                t("permission", Unknown, "cannot_verify_without_writing"),
            ],
        ),
    ];
    for (permissions, key, want) in cases {
        let (reports, paths) = checks(config, permissions.clone(), key);
        assert_eq!(
            outcome(&reports),
            want,
            "{permissions:?} {key:?}: {reports:?}"
        );
        // Read requests only: one apiKey.info per check, nothing else.
        assert_eq!(paths, ["/apiKey.info", "/apiKey.info"], "{permissions:?}");
        for r in &reports {
            assert!(!r.message.is_empty());
            assert_eq!(r.action.is_empty(), r.status == Ok, "{r:?}");
        }
        if let Some(p) = reports.iter().find(|r| r.code == "missing_permission") {
            assert!(
                p.message.starts_with("The key lacks candidatesWrite ("),
                "{}",
                p.message
            );
        }
    }
}

#[test]
fn check_refuses_an_unknown_name_and_needs_configure() {
    rt().block_on(async {
        let mock = mock();
        let mut g = runtime()
            .instantiate(&tenant(&mock), &Limits::default())
            .await
            .unwrap();
        assert!(matches!(
            g.check("auth").await.unwrap(),
            Err(destination_host::sandbox::CallError::NotConfigured)
        ));
        g.configure(r#"{"template":"create-job"}"#)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            g.check("write-a-candidate").await.unwrap(),
            Err(destination_host::sandbox::CallError::InvalidArgument(_))
        ));
        assert!(mock.requests().is_empty());
    });
}
