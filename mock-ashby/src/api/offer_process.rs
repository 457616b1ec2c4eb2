//! `offerProcess.start`.

use serde_json::{Value, json};

use super::endpoint::Endpoint;
use crate::ids::new_id;
use crate::state::Org;
use crate::validate::{ApiError, ApiResult, Args, v_uuid};

/// This category's endpoints.
pub(crate) const ENDPOINTS: &[Endpoint] = &[Endpoint {
    path: "/offerProcess.start",
    permission: "offersWrite",
    fields: &["applicationId"],
    handler: offer_process_start,
}];

/// Offer-process statuses after which a new process may be started.
const FINISHED_OFFER_STATUSES: &[&str] =
    &["CandidateAccepted", "CandidateRejected", "OfferCancelled"];

fn offer_process_start(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let application_id = a.req("applicationId", v_uuid)?;
    Org::require(&org.applications, "application", &application_id)?;
    // Not documented by Ashby: the mock refuses a second offer process while one is
    // still running for the application, with a code of its own.
    let running = org.offer_processes.values().any(|p| {
        p["applicationId"] == application_id.as_str()
            && !p["status"]
                .as_str()
                .is_some_and(|s| FINISHED_OFFER_STATUSES.contains(&s))
    });
    if running {
        return Err(ApiError {
            code: "offer_process_already_started".to_owned(),
            message: format!(
                "An offer process is already running for application {application_id}."
            ),
        });
    }
    let id = new_id();
    let process = json!({
        "id": id,
        "applicationId": application_id,
        "status": "WaitingOnOfferCreation",
    });
    org.offer_processes.insert(id, process.clone());
    Ok(process)
}
