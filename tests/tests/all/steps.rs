//! Multi-step templates, unknown fields and nulls, end to end: the real
//! component in the real host against the mock, whose validation of each
//! endpoint is its own (from Ashby's OpenAPI description). Data-driven over
//! templates.json: every step of every template runs its example.

use destination_host::deliver::{self, Options, Report};
use e2e::*;
use mock_ashby::{MockAshby, fixtures};
use serde_json::{Value, json};

/// Runs `records` through `config` against `mock`, with a dead-letter file;
/// returns the report and the dead letters.
async fn run(mock: &MockAshby, config: &Value, records: Vec<Value>) -> (Report, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.jsonl");
    let report = deliver::run(
        runtime(),
        &tenant(mock),
        &config.to_string(),
        items(&records),
        Options {
            dead_letter: Some(dl.clone()),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let dead = std::fs::read_to_string(&dl)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (report, dead)
}

#[test]
fn every_step_of_every_template_works_against_the_mock() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for (t, i, example) in step_examples() {
        cases += 1;
        let step = &t.steps[i];
        let r: Result<(), String> = rt().block_on(async {
            let mock = mock();
            let vars = prerequisites(&mock).await;
            mock.clear_requests();
            let record = substitute(&example, &vars);
            let config: Value = serde_json::from_str(&config_for(&t)).unwrap();
            let (report, dead) = run(&mock, &config, vec![record]).await;
            let s = &report.summary;
            if s.delivered != 1 || !dead.is_empty() {
                return Err(format!("summary {s:?}, dead letters {dead:?}"));
            }
            let reqs = mock.requests();
            let req = reqs
                .iter()
                .find(|r| r.path == step.endpoint)
                .ok_or_else(|| format!("the mock saw no {}", step.endpoint))?;
            if req.success != Some(true) {
                return Err(format!("{} answered {}", req.path, req.status));
            }
            // one response record per exchange, in order
            let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
            let published: Vec<&str> = report
                .responses
                .iter()
                .map(|r| r["endpoint"].as_str().unwrap_or_default())
                .collect();
            if published != paths || s.requests != reqs.len() as u64 {
                return Err(format!("responses {published:?}, requests {paths:?}"));
            }
            Ok(())
        });
        if let Err(e) = r {
            failures.push(format!("{} step {} ({}): {e}", t.id, i + 1, step.endpoint));
        }
    }
    assert!(cases > 11, "only {cases} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn changes_show_in_the_info_endpoints() {
    rt().block_on(async {
        let mock = mock();
        let vars = prerequisites(&mock).await;
        let app = vars["application"].clone();
        let record = json!({
            "applicationId": app, "interviewStageId": fixtures::SCREEN_STAGE_ID,
            "fieldValues": [{"fieldId": fixtures::SENIORITY_FIELD_ID, "fieldValue": "Staff"}]
        });
        let (report, _) = run(
            &mock,
            &json!({"template": "update-application"}),
            vec![record],
        )
        .await;
        assert_eq!(report.summary.delivered, 1);
        let info = post(&mock, "/application.info", json!({"applicationId": app})).await;
        assert_eq!(
            info["results"]["currentInterviewStage"]["id"],
            fixtures::SCREEN_STAGE_ID
        );
        assert_eq!(
            info["results"]["customFields"][0]["value"], "Staff",
            "{info}"
        );

        let record = json!({"openingId": fixtures::OPENING_ID, "openingState": "Closed",
                            "closeReasonId": fixtures::CLOSE_REASON_ID, "isArchived": true});
        let (report, _) = run(&mock, &json!({"template": "update-opening"}), vec![record]).await;
        assert_eq!(report.summary.delivered, 1);
        assert_eq!(report.summary.requests, 2);
        let info = post(
            &mock,
            "/opening.info",
            json!({"openingId": fixtures::OPENING_ID}),
        )
        .await;
        assert_eq!(info["results"]["openingState"], "Closed");
        assert_eq!(info["results"]["isArchived"], true);

        let record =
            json!({"jobId": fixtures::JOB_ID, "title": "Staff Rust Engineer", "status": "Closed"});
        let (report, _) = run(&mock, &json!({"template": "update-job"}), vec![record]).await;
        assert_eq!(report.summary.delivered, 1);
        let info = post(&mock, "/job.info", json!({"id": fixtures::JOB_ID})).await;
        assert_eq!(info["results"]["status"], "Closed");
        assert_eq!(info["results"]["title"], "Staff Rust Engineer");
    });
}

#[test]
fn a_record_whose_second_step_fails_is_dead_lettered_naming_it() {
    rt().block_on(async {
        let mock = mock();
        let vars = prerequisites(&mock).await;
        let app = vars["application"].clone();
        // moving to an Archived stage without archiveReasonId: the plugin
        // cannot know the stage is archived; the mock (as Ashby) refuses it
        let record = json!({"applicationId": app, "creditedToUserId": fixtures::USER_ID,
                            "interviewStageId": fixtures::ARCHIVED_STAGE_ID});
        let config = json!({"template": "update-application", "response_webhook": true});
        let (report, dead) = run(&mock, &config, vec![record.clone()]).await;
        assert_eq!(report.summary.dead_lettered, 1);
        assert_eq!(dead.len(), 1);
        let d = &dead[0];
        assert_eq!(d["code"], "invalid_input");
        let reason = d["reason"].as_str().unwrap();
        assert!(
            reason.starts_with(
                "/application.changeStage failed (call 2 of 2; done before it: /application.update): "
            ) && reason.contains("archiveReasonId"),
            "{reason}"
        );
        assert_eq!(d["completed"], json!([{"endpoint": "/application.update", "id": app}]));
        assert_eq!(d["record"], record);
        // the first step's effect stays, and is reported
        let endpoints: Vec<(&str, bool)> = report
            .responses
            .iter()
            .map(|r| (r["endpoint"].as_str().unwrap(), r["success"] == true))
            .collect();
        assert_eq!(
            endpoints,
            [("/application.update", true), ("/application.changeStage", false)]
        );
        let info = post(&mock, "/application.info", json!({"applicationId": app})).await;
        assert_eq!(info["results"]["creditedToUser"]["id"], fixtures::USER_ID);
        assert_eq!(info["results"]["currentInterviewStage"]["id"], fixtures::LEAD_STAGE_ID);

        // fixed (with the reason), the replayed record repeats step 1 harmlessly
        let mut fixed = record;
        fixed["archiveReasonId"] = json!(fixtures::ARCHIVE_REASON_ID);
        let (report, dead) = run(&mock, &config, vec![fixed]).await;
        assert_eq!((report.summary.delivered, dead.len()), (1, 0), "{dead:?}");
        let info = post(&mock, "/application.info", json!({"applicationId": app})).await;
        assert_eq!(info["results"]["status"], "Archived");
        assert_eq!(info["results"]["archiveReason"]["id"], fixtures::ARCHIVE_REASON_ID);
    });
}

#[test]
fn unknown_fields_in_each_mode() {
    rt().block_on(async {
        let records = || {
            vec![
                json!({"name": "Ada", "nickname": "A", "_etl": 1}),
                json!({"name": "Bob", "nickname": "B"}),
                json!({"name": "Cy"}),
            ]
        };
        let counts = json!({"_etl": 1, "nickname": 2});
        for (mode, delivered, code) in [
            ("send", 1, Some("invalid_input")),
            ("drop", 3, None),
            ("reject", 1, Some("unknown_field")),
        ] {
            let mock = mock();
            let config = json!({"template": "create-candidate", "unknown_fields": mode});
            let (report, dead) = run(&mock, &config, records()).await;
            let s = &report.summary;
            assert_eq!(s.delivered, delivered, "{mode}: {dead:?}");
            assert_eq!(
                serde_json::to_value(&s.unknown_fields).unwrap(),
                counts,
                "{mode}"
            );
            assert_eq!(
                dead.first().map(|d| d["code"].as_str().unwrap()),
                code,
                "{mode}"
            );
            match mode {
                // the mock refuses what Ashby would silently ignore
                "send" => assert!(
                    dead[0]["reason"]
                        .as_str()
                        .unwrap()
                        .contains("unknown field `nickname`"),
                    "{dead:?}"
                ),
                "drop" => assert!(
                    mock.requests()
                        .iter()
                        .all(|r| r.body.get("nickname").is_none())
                ),
                _ => assert_eq!(s.requests, 1, "a refused record is not sent"),
            }
        }
    });
}

#[test]
fn nulls_are_absent_fields_unless_sent() {
    rt().block_on(async {
        let record =
            json!({"name": "Ada", "email": null, "location": {"city": null, "country": "UK"}});
        for (mode, email_sent) in [("omit", false), ("send", true)] {
            let mock = mock();
            let config = json!({"template": "create-candidate", "nulls": mode});
            let (report, dead) = run(&mock, &config, vec![record.clone()]).await;
            assert_eq!(report.summary.delivered, 1, "{mode}: {dead:?}");
            let body = &mock.requests()[0].body;
            assert_eq!(body.get("email").is_some(), email_sent, "{mode}: {body}");
            assert_eq!(body["location"]["country"], "UK");
        }
    });
}
