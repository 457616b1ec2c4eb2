//! Stage changes, opening states, job statuses and the refusal of undeclared fields, as
//! Ashby's OpenAPI describes them.

use mock_ashby::fixtures::*;
use serde_json::json;

use crate::{call, code, create_candidate, start};

#[tokio::test]
async fn change_stage_and_archive() {
    let mock = start();
    let candidate = create_candidate(&mock, "Stage Mover", "stage@example.com").await;
    let app = call(
        &mock,
        "/application.create",
        json!({"candidateId": candidate, "jobId": JOB_ID}),
    )
    .await;
    let app = app.json["results"]["id"].as_str().unwrap().to_owned();
    let change = |body| call(&mock, "/application.changeStage", body);

    let a = change(json!({"applicationId": app, "interviewStageId": OFFER_STAGE_ID})).await;
    assert_eq!(
        a.json["results"]["currentInterviewStage"]["id"], OFFER_STAGE_ID,
        "{}",
        a.text
    );
    let info = call(&mock, "/application.info", json!({"applicationId": app})).await;
    assert_eq!(
        info.json["results"]["currentInterviewStage"]["title"],
        "Offer"
    );
    assert_eq!(
        info.json["results"]["applicationHistory"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // an Archived stage needs a reason; a reason or an email needs an Archived stage
    let a = change(json!({"applicationId": app, "interviewStageId": ARCHIVED_STAGE_ID})).await;
    assert_eq!(code(&a), "invalid_input");
    assert!(a.text.contains("archiveReasonId"), "{}", a.text);
    let a = change(
        json!({"applicationId": app, "interviewStageId": SCREEN_STAGE_ID,
                          "archiveReasonId": ARCHIVE_REASON_ID}),
    )
    .await;
    assert_eq!(code(&a), "invalid_input");
    let a = change(
        json!({"applicationId": app, "interviewStageId": ARCHIVED_STAGE_ID,
                          "archiveReasonId": crate::unknown_id()}),
    )
    .await;
    assert_eq!(code(&a), "archive_reason_not_found");
    let a = change(
        json!({"applicationId": app, "interviewStageId": ARCHIVED_STAGE_ID,
                          "archiveReasonId": ARCHIVE_REASON_ID,
                          "archiveEmail": {"communicationTemplateId": crate::unknown_id()}}),
    )
    .await;
    assert_eq!(code(&a), "communication_template_not_found");
    let a = change(json!({"applicationId": app, "interviewStageId": ARCHIVED_STAGE_ID,
                          "archiveReasonId": ARCHIVE_REASON_ID,
                          "archiveEmail": {"communicationTemplateId": COMMUNICATION_TEMPLATE_ID, "cc": "x"}}))
    .await;
    assert_eq!(code(&a), "invalid_input", "nested undeclared key");
    let body = json!({"applicationId": app, "interviewStageId": ARCHIVED_STAGE_ID,
                      "archiveReasonId": ARCHIVE_REASON_ID,
                      "archiveEmail": {"communicationTemplateId": COMMUNICATION_TEMPLATE_ID}});
    let a = change(body.clone()).await;
    assert_eq!(a.json["results"]["status"], "Archived", "{}", a.text);
    assert_eq!(a.json["results"]["archiveReason"]["id"], ARCHIVE_REASON_ID);
    // the same move again succeeds and changes nothing
    let again = change(body).await;
    assert_eq!(again.json["success"], true);
    assert_eq!(
        again.json["results"]["applicationHistory"],
        a.json["results"]["applicationHistory"]
    );
    let a = change(json!({"applicationId": app, "interviewStageId": crate::unknown_id()})).await;
    assert_eq!(code(&a), "interview_stage_not_found");
}

#[tokio::test]
async fn opening_state_and_archive() {
    let mock = start();
    let set = |body| call(&mock, "/opening.setOpeningState", body);
    let a = set(json!({"openingId": OPENING_ID, "openingState": "Open"})).await;
    assert_eq!(a.json["results"]["openingState"], "Open", "{}", a.text);
    let a = set(
        json!({"openingId": OPENING_ID, "openingState": "Open", "closeReasonId": CLOSE_REASON_ID}),
    )
    .await;
    assert_eq!(code(&a), "invalid_input");
    let a = set(json!({"openingId": OPENING_ID, "openingState": "Shut"})).await;
    assert_eq!(code(&a), "invalid_input");
    let a = set(json!({"openingId": OPENING_ID, "openingState": "Closed", "closeReasonId": crate::unknown_id()})).await;
    assert_eq!(code(&a), "close_reason_not_found");
    let a = set(json!({"openingId": OPENING_ID, "openingState": "Closed", "closeReasonId": CLOSE_REASON_ID})).await;
    assert_eq!(a.json["results"]["closeReasonId"], CLOSE_REASON_ID);
    let a = call(
        &mock,
        "/opening.setArchived",
        json!({"openingId": OPENING_ID, "archive": true}),
    )
    .await;
    assert_eq!(a.json["results"]["isArchived"], true);
    let info = call(&mock, "/opening.info", json!({"openingId": OPENING_ID})).await;
    assert_eq!(info.json["results"]["openingState"], "Closed");
    assert_eq!(info.json["results"]["isArchived"], true);
    let a = call(
        &mock,
        "/opening.info",
        json!({"openingId": crate::unknown_id()}),
    )
    .await;
    assert_eq!(code(&a), "opening_not_found");
    // an Opening custom field
    let a = call(&mock, "/customField.setValues", json!({"objectId": OPENING_ID, "objectType": "Opening",
        "values": [{"fieldId": BUDGET_FIELD_ID, "fieldValue": {"value": 90000, "currencyCode": "EUR"}}]})).await;
    assert_eq!(a.json["success"], true, "{}", a.text);
}

#[tokio::test]
async fn job_status_transitions() {
    let mock = start();
    let set = |status: &str| {
        call(
            &mock,
            "/job.setStatus",
            json!({"jobId": JOB_ID, "status": status}),
        )
    };
    // the seeded job is Open: Open → Closed → Draft → Archived → Draft
    assert_eq!(
        code(&set("Draft").await),
        "invalid_input",
        "Open cannot become Draft"
    );
    for status in ["Open", "Closed", "Draft", "Archived", "Draft"] {
        let a = set(status).await;
        assert_eq!(a.json["results"]["status"], status, "{}", a.text);
    }
    assert_eq!(
        code(&set("Closed").await),
        "invalid_input",
        "Draft cannot become Closed"
    );
    let info = call(&mock, "/job.info", json!({"id": JOB_ID})).await;
    assert_eq!(info.json["results"]["status"], "Draft");
    assert_eq!(code(&set("Paused").await), "invalid_input");
}

#[tokio::test]
async fn undeclared_fields_are_refused() {
    let mock = start();
    let a = call(
        &mock,
        "/candidate.create",
        json!({"name": "Ada", "nickname": "A"}),
    )
    .await;
    assert_eq!(code(&a), "invalid_input");
    assert!(
        a.text
            .contains("unknown field `nickname`: /candidate.create does not declare it"),
        "{}",
        a.text
    );
    let a = call(
        &mock,
        "/application.update",
        json!({"applicationId": crate::unknown_id(), "interviewStageId": SCREEN_STAGE_ID}),
    )
    .await;
    assert_eq!(
        code(&a),
        "invalid_input",
        "application.update takes no stage: {}",
        a.text
    );
    let a = call(
        &mock,
        "/job.update",
        json!({"jobId": JOB_ID, "status": "Closed"}),
    )
    .await;
    assert_eq!(code(&a), "invalid_input", "job.update takes no status");
    let a = call(
        &mock,
        "/opening.update",
        json!({"openingId": OPENING_ID, "openingState": "Open"}),
    )
    .await;
    assert_eq!(code(&a), "invalid_input", "opening.update takes no state");
}
