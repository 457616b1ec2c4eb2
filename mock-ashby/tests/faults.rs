//! Injected faults, as the connector sees them and as the request log records them.

use std::time::{Duration, Instant};

use mock_ashby::fixtures::*;
use mock_ashby::{Fault, FaultKind};
use serde_json::{Value, json};

use crate::{call, code, send, start};

#[tokio::test]
async fn faults() {
    let mock = start();
    let body = json!({ "name": "Fault Tester" });

    mock.inject(Fault::on(
        "/candidate.create",
        FaultKind::RateLimit {
            retry_after: Some("7".into()),
            partner_scope: true,
        },
    ));
    // A fault on another path does not fire here.
    let other = call(&mock, "/job.info", json!({ "id": JOB_ID })).await;
    assert_eq!(other.status, 200);
    let limited = call(&mock, "/candidate.create", body.clone()).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "7");
    assert_eq!(limited.headers["x-ratelimit-scope"], "integration-partner");
    assert_eq!(code(&limited), "rate_limit_exceeded");

    mock.inject(Fault::once(FaultKind::ServerError(503)).with_times(2));
    assert_eq!(
        call(&mock, "/candidate.create", body.clone()).await.status,
        503
    );
    assert_eq!(
        call(&mock, "/candidate.create", body.clone()).await.status,
        503
    );
    mock.inject(Fault::once(FaultKind::ServerError(500)));
    let internal = call(&mock, "/candidate.create", body.clone()).await;
    assert_eq!(internal.status, 500);
    assert_eq!(internal.json["success"], false);

    mock.inject(Fault::once(FaultKind::Drop));
    assert!(
        send(&mock, Some(mock.api_key()), "/candidate.create", &body)
            .await
            .is_err()
    );
    assert!(mock.state().candidates.is_empty());

    mock.inject(Fault::on("/candidate.create", FaultKind::DropAfterApply));
    assert!(
        send(&mock, Some(mock.api_key()), "/candidate.create", &body)
            .await
            .is_err()
    );
    assert_eq!(mock.state().candidates.len(), 1);

    mock.inject(Fault::once(FaultKind::Delay(Duration::from_millis(60))));
    let started = Instant::now();
    let delayed = call(&mock, "/candidate.create", body.clone()).await;
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert_eq!(delayed.json["success"], true);

    mock.inject(Fault::once(FaultKind::Unauthorized));
    assert_eq!(
        call(&mock, "/candidate.create", body.clone()).await.status,
        401
    );
    mock.inject(Fault::once(FaultKind::Forbidden));
    assert_eq!(
        call(&mock, "/candidate.create", body.clone()).await.status,
        403
    );
    mock.inject(Fault::once(FaultKind::MissingPermission));
    let perm = call(&mock, "/candidate.create", body.clone()).await;
    assert_eq!(perm.status, 403);
    assert_eq!(code(&perm), "missing_endpoint_permission");

    mock.inject(Fault::once(FaultKind::Error {
        code: "application_blocked".into(),
        message: "blocked".into(),
    }));
    let error = call(&mock, "/candidate.create", body.clone()).await;
    assert_eq!(error.status, 200);
    assert_eq!(code(&error), "application_blocked");

    mock.inject(Fault::once(FaultKind::Garbage));
    let garbage = call(&mock, "/candidate.create", body.clone()).await;
    assert_eq!(garbage.status, 200);
    assert!(serde_json::from_str::<Value>(&garbage.text).is_err());

    assert_eq!(mock.pending_faults(), 0);
    let normal = call(&mock, "/candidate.create", body.clone()).await;
    assert_eq!(normal.json["success"], true);

    let faults: Vec<Option<String>> = mock.requests().into_iter().map(|r| r.fault).collect();
    let names: Vec<&str> = faults.iter().flatten().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "RateLimit",
            "ServerError",
            "ServerError",
            "ServerError",
            "Drop",
            "DropAfterApply",
            "Delay",
            "Unauthorized",
            "Forbidden",
            "MissingPermission",
            "Error",
            "Garbage"
        ]
    );
    let records = mock.requests();
    let dropped = records
        .iter()
        .find(|r| r.fault.as_deref() == Some("Drop"))
        .unwrap();
    assert_eq!(dropped.status, 0);
    let applied = records
        .iter()
        .find(|r| r.fault.as_deref() == Some("DropAfterApply"))
        .unwrap();
    assert_eq!(applied.success, Some(true));
}
