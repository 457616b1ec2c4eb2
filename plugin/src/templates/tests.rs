#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use std::collections::HashSet;

/// The permissions a step may name.
const PERMISSIONS: [&str; 4] = ["candidatesWrite", "jobsWrite", "jobsRead", "offersWrite"];

#[test]
fn embedded_catalog_is_valid() {
    let all = all().unwrap();
    assert!(!all.is_empty());
    let mut ids = HashSet::new();
    for t in all {
        assert!(ids.insert(t.id.clone()), "duplicate id {}", t.id);
        assert!(!t.name.is_empty() && !t.description.is_empty(), "{}", t.id);
        assert!(!t.steps.is_empty(), "{}", t.id);
        assert_eq!(t.endpoint, t.steps[0].endpoint, "{}", t.id);
        for s in &t.steps {
            assert!(is_endpoint_path(&s.endpoint), "{}: {}", t.id, s.endpoint);
            assert_eq!(s.method, "POST", "{}", t.id);
            assert!(
                PERMISSIONS.contains(&s.permission.as_str()),
                "{}: permission {}",
                t.id,
                s.permission
            );
            for r in &s.required {
                assert!(s.fields.contains(r), "{}: required {r} not in fields", t.id);
            }
            if t.steps.len() > 1 {
                assert!(s.idempotent, "{}: {} is not idempotent", t.id, s.endpoint);
            }
        }
        for r in &t.required {
            assert!(t.fields.contains(r), "{}: required {r} not in fields", t.id);
        }
        for a in &t.aliases {
            assert!(t.fields.contains(&a.to), "{}: alias {}", t.id, a.to);
        }
    }
}

#[test]
fn creates_are_single_step_and_not_idempotent() {
    for t in all().unwrap() {
        if t.id.starts_with("create-") || t.id == "start-offer-process" {
            assert_eq!(t.steps.len(), 1, "{}", t.id);
            assert!(!t.steps[0].idempotent, "{}", t.id);
        }
    }
}

#[test]
fn update_templates_have_their_steps() {
    let endpoints = |id: &str| -> Vec<String> {
        find(id)
            .unwrap()
            .unwrap()
            .steps
            .iter()
            .map(|s| s.endpoint.clone())
            .collect()
    };
    assert_eq!(
        endpoints("update-application"),
        [
            "/application.update",
            "/application.changeStage",
            "/customField.setValues"
        ]
    );
    assert_eq!(
        endpoints("update-job"),
        ["/job.update", "/job.setStatus", "/customField.setValues"]
    );
    assert_eq!(
        endpoints("update-opening"),
        [
            "/opening.update",
            "/opening.setOpeningState",
            "/opening.setArchived",
            "/customField.setValues"
        ]
    );
    let t = find("update-application").unwrap().unwrap();
    assert_eq!(t.required, ["applicationId"]);
    let cf = &t.steps[2];
    assert_eq!(cf.source("objectId"), Source::Field("applicationId".into()));
    assert_eq!(cf.source("objectType"), Source::Value("Application".into()));
    assert_eq!(
        cf.source("values"),
        Source::Field("customFieldValues".into())
    );
    assert!(t.fields.contains("customFieldValues") && !t.fields.contains("objectId"));
}

#[test]
fn catalog_round_trips_through_serde() {
    let c = catalog().unwrap();
    let text = serde_json::to_string(c).unwrap();
    assert_eq!(&parse(&text).unwrap(), c);
}

#[test]
fn split_templates_equal_the_catalog() {
    let all = all().unwrap();
    assert_eq!(split::SOURCES.len(), all.len());
    assert_eq!(
        ids().unwrap(),
        all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>()
    );
    for t in all {
        assert_eq!(load_by_id(&t.id).unwrap().as_ref(), Some(t));
        assert_eq!(
            load_by_endpoint(&t.endpoint).unwrap().as_ref(),
            by_endpoint(&t.endpoint).unwrap()
        );
    }
    assert!(load_by_id("nope").unwrap().is_none());
}

#[test]
fn find_and_by_endpoint() {
    let t = find("create-candidate").unwrap().unwrap();
    assert_eq!(t.endpoint, "/candidate.create");
    assert_eq!(by_endpoint("/candidate.create").unwrap().unwrap().id, t.id);
    assert!(find("nope").unwrap().is_none());
}

/// A two-step catalog every check below mutates.
const GOOD: &str = r#"{"version":2,"templates":[{"id":"x","name":"X","description":"d",
    "aliases":[{"from":"jobId","to":"id"}],
    "rules":[{"if":"note","requires":"state","equals":"Open","reason":"r"}],
    "notes":[],"example":{"id":"1"},"future_key":true,
    "steps":[
      {"endpoint":"/a.b","permission":"jobsRead","idempotent":true,"runs":"always",
       "fields":{"id":"uuid","note":"string"},"required":["id"],"result_id":"id"},
      {"endpoint":"/a.c","permission":"jobsWrite","idempotent":true,"runs":{"when_any":["state"]},
       "fields":{"objectId":"uuid","state":{"enum":["Open","Closed"]},"kind":{"enum":["Job"]},"from":"uuid"},
       "required":["objectId","state"],
       "take":{"objectId":{"field":"id"},"kind":{"value":"Job"},"from":{"step":1,"result":"id"}}}
    ]}]}"#;

#[test]
fn parse_tolerates_unknown_keys_and_derives_facts() {
    let c = parse(GOOD).unwrap();
    let t = &c.templates[0];
    assert_eq!(t.aliases[0].wrap, None);
    assert_eq!(t.endpoint, "/a.b");
    assert_eq!(t.permission, "jobsRead");
    assert_eq!(t.result_id.as_deref(), Some("id"));
    assert_eq!(t.required, ["id"]);
    assert_eq!(
        t.fields.names().collect::<Vec<_>>(),
        ["id", "note", "state"]
    );
    assert_eq!(
        t.steps[1].source("from"),
        Source::Step {
            index: 0,
            result: "id".into()
        }
    );
    assert!(t.steps[1].runs_for(|f| f == "state"));
    assert!(!t.steps[1].runs_for(|f| f == "note"));
}

#[test]
fn parse_refuses_what_is_malformed() {
    for (from, to) in [
        (r#""version":2"#, r#""version":1"#),
        (r#""required":["id"]"#, r#""required":["nope"]"#),
        (r#""to":"id""#, r#""to":"nope""#),
        (r#""/a.b""#, r#""/a/b""#),
        (r#""runs":"always""#, r#""runs":"sometimes""#),
        (r#""when_any":["state"]"#, r#""when_any":["note"]"#),
        (r#""when_any":["state"]"#, r#""when_any":[]"#),
        (r#""uuid","note""#, r#""uuidd","note""#),
        (r#"{"value":"Job"}"#, r#"{"value":"Opening"}"#),
        (r#"{"step":1,"result":"id"}"#, r#"{"step":2,"result":"id"}"#),
        (r#"{"step":1,"result":"id"}"#, r#"{"step":0,"result":"id"}"#),
        (r#"{"field":"id"}"#, r#"{"field":"id","value":1}"#),
        (r#""objectId":{"field":"id"}"#, r#""nope":{"field":"id"}"#),
        (r#""requires":"state""#, r#""requires":"nope""#),
        (r#""equals":"Open""#, r#""equals":"Shut""#),
        (r#""objectId":"uuid""#, r#""objectId":"string""#),
        (r#""steps":["#, r#""steps":[],"old":["#),
    ] {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD, "{from} not in the catalog");
        assert!(parse(&text).is_err(), "{to} should fail");
    }
}

#[test]
fn a_multi_step_template_with_a_step_that_is_not_idempotent_is_refused() {
    let text = GOOD.replacen(r#""idempotent":true"#, r#""idempotent":false"#, 1);
    let e = parse(&text).unwrap_err();
    assert!(
        e.contains("step 1 (/a.b) is not idempotent") && e.contains("multi-step"),
        "{e}"
    );
    // the same step alone is fine: a single-step create is retried as one call
    let single = r#"{"version":2,"templates":[{"id":"c","name":"C","description":"d","steps":[
        {"endpoint":"/a.create","permission":"jobsWrite","idempotent":false,"runs":"always","fields":{"n":"string"}}]}]}"#;
    assert!(parse(single).is_ok());
}

#[test]
fn endpoint_path_form() {
    assert!(is_endpoint_path("/candidate.create"));
    assert!(is_endpoint_path("/customField.setValues"));
    for bad in [
        "candidate.create",
        "/candidate",
        "/1a.b",
        "/a.b.c",
        "/a.",
        "/.b",
        "/a-b.c",
        "/a/b.c",
    ] {
        assert!(!is_endpoint_path(bad), "{bad}");
    }
}
