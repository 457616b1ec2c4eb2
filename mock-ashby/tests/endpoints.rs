//! The endpoints: what they store and return, and what they refuse.

use mock_ashby::ASHBY_VERSION;
use mock_ashby::fixtures::*;
use serde_json::{Value, json};

use crate::{call, client, code, create_candidate, looks_like_uuid, start, unknown_id};

/// A field the endpoint's schema does not declare is refused, naming it: Ashby may
/// ignore it, and a connector that sends one would lose data without a word.
#[tokio::test]
async fn an_undeclared_field_is_refused() {
    let mock = start();
    for (path, body) in [
        (
            "/candidate.create",
            json!({"name": "Ada", "someUnknownField": 42}),
        ),
        (
            "/application.update",
            json!({"applicationId": unknown_id(), "interviewStageId": unknown_id()}),
        ),
        (
            "/opening.update",
            json!({"openingId": unknown_id(), "openingState": "Open"}),
        ),
    ] {
        let r = call(&mock, path, body).await;
        assert_eq!(r.json["success"], false, "{path}: {}", r.text);
        assert_eq!(code(&r), "invalid_input", "{path}");
        let message = r.json["errorInfo"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("unknown field"), "{path}: {message}");
    }
}

#[tokio::test]
async fn candidate_then_application() {
    let mock = start();
    let created = call(
        &mock,
        "/candidate.create",
        json!({
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "linkedInUrl": "https://www.linkedin.com/in/ada",
            "alternateEmailAddresses": ["ada@work.example.com"],
            "sourceId": SOURCE_ID,
        }),
    )
    .await;
    assert_eq!(created.status, 200);
    let request_id = created.headers["x-ashby-request-id"].to_str().unwrap();
    assert_eq!(request_id.len(), 26);
    assert_eq!(created.headers["ashby-version"], ASHBY_VERSION);
    assert_eq!(created.headers["ashby-version-status"], "active");
    assert!(
        created.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let candidate = &created.json["results"];
    assert_eq!(created.json["success"], true);
    let candidate_id = candidate["id"].as_str().unwrap().to_owned();
    assert!(looks_like_uuid(&candidate_id));
    assert_eq!(candidate["name"], "Ada Lovelace");
    assert_eq!(candidate["primaryEmailAddress"]["value"], "ada@example.com");
    assert_eq!(candidate["emailAddresses"].as_array().unwrap().len(), 2);
    assert_eq!(candidate["socialLinks"][0]["type"], "LinkedIn");
    assert_eq!(candidate["applicationIds"], json!([]));
    assert_eq!(candidate["source"]["id"], SOURCE_ID);
    assert_eq!(candidate["creditedToUser"], Value::Null);
    assert!(
        candidate["profileUrl"]
            .as_str()
            .unwrap()
            .ends_with(&candidate_id)
    );

    let applied = call(
        &mock,
        "/application.create",
        json!({ "candidateId": candidate_id, "jobId": JOB_ID }),
    )
    .await;
    assert_eq!(applied.json["success"], true, "{}", applied.text);
    let application = &applied.json["results"];
    let application_id = application["id"].as_str().unwrap().to_owned();
    assert_eq!(application["status"], "Lead");
    assert_eq!(application["currentInterviewStage"]["id"], LEAD_STAGE_ID);
    assert_eq!(application["candidate"]["id"], candidate_id.as_str());
    assert_eq!(application["job"]["title"], JOB_TITLE);

    let state = mock.state();
    let stored = state.candidate(&candidate_id).unwrap();
    assert_eq!(stored["applicationIds"], json!([application_id]));
    assert_eq!(state.applications.len(), 1);

    let again = call(
        &mock,
        "/application.create",
        json!({ "candidateId": candidate_id, "jobId": JOB_ID }),
    )
    .await;
    assert_eq!(code(&again), "invalid_input");

    let info = call(
        &mock,
        "/application.info",
        json!({ "applicationId": application_id }),
    )
    .await;
    assert_eq!(info.json["results"]["id"], application_id.as_str());

    let updated = call(
        &mock,
        "/candidate.update",
        json!({
            "candidateId": candidate_id,
            "websiteUrl": "https://ada.example.com",
            "alternateEmail": "ada@home.example.com",
        }),
    )
    .await;
    assert_eq!(updated.json["success"], true, "{}", updated.text);
    assert_eq!(
        updated.json["results"]["emailAddresses"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(updated.json["results"]["socialLinks"][1]["type"], "Website");

    let offer = call(
        &mock,
        "/offerProcess.start",
        json!({ "applicationId": application_id }),
    )
    .await;
    assert_eq!(offer.json["results"]["status"], "WaitingOnOfferCreation");
    let offer_again = call(
        &mock,
        "/offerProcess.start",
        json!({ "applicationId": application_id }),
    )
    .await;
    assert_eq!(code(&offer_again), "offer_process_already_started");
}

#[tokio::test]
async fn not_found_and_invalid_input() {
    let mock = start();
    let missing = call(
        &mock,
        "/application.create",
        json!({ "candidateId": unknown_id(), "jobId": JOB_ID }),
    )
    .await;
    assert_eq!(missing.status, 200);
    assert_eq!(missing.json["success"], false);
    assert_eq!(code(&missing), "candidate_not_found");
    assert_eq!(missing.json["errors"], json!(["candidate_not_found"]));
    assert_eq!(
        missing.json["errorInfo"]["requestId"],
        missing.headers["x-ashby-request-id"].to_str().unwrap()
    );

    let no_name = call(
        &mock,
        "/candidate.create",
        json!({ "email": "x@example.com" }),
    )
    .await;
    assert_eq!(code(&no_name), "invalid_input");
    assert!(
        no_name.json["errorInfo"]["message"]
            .as_str()
            .unwrap()
            .contains("name")
    );

    let bad_email = call(
        &mock,
        "/candidate.create",
        json!({ "name": "X", "email": "nope" }),
    )
    .await;
    assert_eq!(code(&bad_email), "invalid_input");

    let bad_team = call(
        &mock,
        "/job.create",
        json!({ "title": "T", "teamId": unknown_id(), "locationId": LOCATION_ID }),
    )
    .await;
    assert_eq!(code(&bad_team), "team_not_found");

    let batched = call(&mock, "/candidate.create", json!([{ "name": "A" }])).await;
    assert_eq!(code(&batched), "invalid_input");

    let text = client()
        .post(format!("{}/candidate.create", mock.base_url()))
        .basic_auth(mock.api_key(), Some(""))
        .header("content-type", "text/plain")
        .body(r#"{"name":"A"}"#)
        .send()
        .await
        .unwrap();
    let text: Value = serde_json::from_str(&text.text().await.unwrap()).unwrap();
    assert_eq!(text["errorInfo"]["code"], "invalid_input");
    assert!(mock.state().candidates.is_empty());
}

#[tokio::test]
async fn custom_field_values() {
    let mock = start();
    let candidate_id = create_candidate(&mock, "Grace Hopper", "grace@example.com").await;
    let set = call(
        &mock,
        "/customField.setValues",
        json!({
            "objectId": candidate_id,
            "objectType": "Candidate",
            "values": [
                { "fieldId": NOTICE_PERIOD_FIELD_ID, "fieldValue": 30 },
                { "fieldId": RELOCATION_FIELD_ID, "fieldValue": true },
            ],
        }),
    )
    .await;
    assert_eq!(set.json["success"], true, "{}", set.text);
    let results = set.json["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["id"], NOTICE_PERIOD_FIELD_ID);
    assert_eq!(results[0]["title"], "Notice period (days)");
    assert_eq!(results[0]["value"], 30);
    assert_eq!(results[0]["isPrivate"], false);
    let state = mock.state();
    assert_eq!(
        state.custom_field_values[&candidate_id][RELOCATION_FIELD_ID],
        true
    );
    assert_eq!(
        state.candidate(&candidate_id).unwrap()["customFields"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let mismatch = call(
        &mock,
        "/customField.setValues",
        json!({
            "objectId": candidate_id,
            "objectType": "Candidate",
            "values": [{ "fieldId": NOTICE_PERIOD_FIELD_ID, "fieldValue": "30" }],
        }),
    )
    .await;
    assert_eq!(code(&mismatch), "invalid_input");
    assert!(
        mismatch.json["errorInfo"]["message"]
            .as_str()
            .unwrap()
            .contains("number")
    );

    let wrong_type = call(
        &mock,
        "/customField.setValues",
        json!({
            "objectId": candidate_id,
            "objectType": "Candidate",
            "values": [{ "fieldId": SENIORITY_FIELD_ID, "fieldValue": "Senior" }],
        }),
    )
    .await;
    assert_eq!(code(&wrong_type), "invalid_input");

    let empty = call(
        &mock,
        "/customField.setValues",
        json!({ "objectId": candidate_id, "objectType": "Candidate", "values": [] }),
    )
    .await;
    assert_eq!(code(&empty), "invalid_input");

    let unknown = call(
        &mock,
        "/customField.setValues",
        json!({
            "objectId": candidate_id,
            "objectType": "Candidate",
            "values": [{ "fieldId": unknown_id(), "fieldValue": 1 }],
        }),
    )
    .await;
    assert_eq!(code(&unknown), "custom_field_not_found");

    let cleared = call(
        &mock,
        "/customField.setValues",
        json!({
            "objectId": candidate_id,
            "objectType": "Candidate",
            "values": [{ "fieldId": NOTICE_PERIOD_FIELD_ID, "fieldValue": null }],
        }),
    )
    .await;
    assert_eq!(cleared.json["success"], true);
    let state = mock.state();
    assert!(!state.custom_field_values[&candidate_id].contains_key(NOTICE_PERIOD_FIELD_ID));

    let job = call(
        &mock,
        "/customField.setValues",
        json!({
            "objectId": JOB_ID,
            "objectType": "Job",
            "values": [{ "fieldId": TEAM_SIZE_FIELD_ID, "fieldValue": 8 }],
        }),
    )
    .await;
    assert_eq!(job.json["success"], true, "{}", job.text);
}

#[tokio::test]
async fn candidate_search() {
    let mock = start();
    let ada = create_candidate(&mock, "Ada Lovelace", "Ada@Example.com").await;
    create_candidate(&mock, "Alan Turing", "alan@example.com").await;

    let by_email = call(
        &mock,
        "/candidate.search",
        json!({ "email": "ada@example.COM" }),
    )
    .await;
    let found = by_email.json["results"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], ada.as_str());

    let by_name = call(&mock, "/candidate.search", json!({ "name": "a" })).await;
    assert_eq!(by_name.json["results"].as_array().unwrap().len(), 2);

    let both = call(
        &mock,
        "/candidate.search",
        json!({ "name": "turing", "email": "ada@example.com" }),
    )
    .await;
    assert_eq!(both.json["results"], json!([]));

    let neither = call(&mock, "/candidate.search", json!({})).await;
    assert_eq!(code(&neither), "invalid_input");

    let info = call(&mock, "/candidate.info", json!({ "id": ada })).await;
    assert_eq!(info.json["results"]["name"], "Ada Lovelace");
}

#[tokio::test]
async fn jobs_and_openings() {
    let mock = start();
    let job = call(
        &mock,
        "/job.create",
        json!({ "title": "Platform Engineer", "teamId": TEAM_ID, "locationId": LOCATION_ID }),
    )
    .await;
    assert_eq!(job.json["results"]["status"], "Draft", "{}", job.text);
    let job_id = job.json["results"]["id"].as_str().unwrap().to_owned();

    let updated = call(
        &mock,
        "/job.update",
        json!({ "jobId": job_id, "title": "Staff Platform Engineer", "employmentType": "Contract" }),
    )
    .await;
    assert_eq!(updated.json["results"]["title"], "Staff Platform Engineer");
    assert_eq!(updated.json["results"]["employmentType"], "Contract");

    let opening = call(
        &mock,
        "/opening.create",
        json!({ "identifier": "ENG-2", "jobIds": [job_id], "targetHireDate": "2026-03-01" }),
    )
    .await;
    let opening_id = opening.json["results"]["id"].as_str().unwrap().to_owned();
    assert_eq!(opening.json["results"]["openingState"], "Draft");
    assert_eq!(
        opening.json["results"]["latestVersion"]["jobIds"],
        json!([job_id])
    );

    let bad_date = call(
        &mock,
        "/opening.create",
        json!({ "targetHireDate": "2026-02-30" }),
    )
    .await;
    assert_eq!(code(&bad_date), "invalid_input");
    let bad_job = call(
        &mock,
        "/opening.create",
        json!({ "jobIds": [unknown_id()] }),
    )
    .await;
    assert_eq!(code(&bad_job), "job_not_found");

    let edited = call(
        &mock,
        "/opening.update",
        json!({ "openingId": opening_id, "description": "Second hire" }),
    )
    .await;
    assert_eq!(
        edited.json["results"]["latestVersion"]["description"],
        "Second hire"
    );

    let info = call(
        &mock,
        "/job.info",
        json!({ "id": job_id, "expand": ["openings", "location"] }),
    )
    .await;
    assert_eq!(
        info.json["results"]["openings"][0]["id"],
        opening_id.as_str()
    );
    assert_eq!(info.json["results"]["location"]["name"], LOCATION_NAME);

    let missing = call(&mock, "/job.info", json!({ "id": unknown_id() })).await;
    assert_eq!(code(&missing), "job_not_found");
    assert_eq!(mock.state().jobs.len(), 2);
    assert_eq!(mock.state().openings.len(), 2);
}

#[tokio::test]
async fn api_key_info_reports_the_keys_scopes_and_needs_api_keys_read() {
    let mock = mock_ashby::MockAshby::start(mock_ashby::MockConfig {
        permissions: Some(vec!["apiKeysRead".into(), "jobsWrite".into()]),
        ..mock_ashby::MockConfig::default()
    })
    .unwrap();
    let info = call(&mock, "/apiKey.info", json!({})).await;
    assert_eq!(info.json["success"], true, "{}", info.text);
    let results = &info.json["results"];
    assert!(results["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(results["createdAt"].as_str().unwrap().ends_with('Z'));
    // Spelled as the OpenAPI example (`jobs:read`); jobsWrite implies jobsRead.
    let mut scopes: Vec<&str> = results["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    scopes.sort();
    assert_eq!(scopes, ["apiKeys:read", "jobs:read", "jobs:write"]);

    mock.set_permissions(Some(vec!["candidatesWrite".into()]));
    let denied = call(&mock, "/apiKey.info", json!({})).await;
    assert_eq!(denied.status, 403);
    assert_eq!(code(&denied), "missing_endpoint_permission");
    assert!(denied.text.contains("apiKeysRead"), "{}", denied.text);
}
