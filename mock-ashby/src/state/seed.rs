//! The organisation a fresh mock starts with: the objects named in [`crate::fixtures`].

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Org;
use crate::fixtures::*;

/// Timestamp used for seeded objects.
const SEED_TIME: &str = "2026-01-05T09:00:00.000Z";

impl Org {
    /// The seeded organisation: one team, location, interview plan (three stages),
    /// source, user, job and opening, an archive reason, a close reason and an email
    /// template; no candidates or applications.
    pub(crate) fn seeded() -> Self {
        let user = user();
        Self {
            teams: keyed(vec![json!({
                "id": TEAM_ID,
                "name": TEAM_NAME,
                "isArchived": false,
                "parentTeamId": null,
            })]),
            locations: keyed(vec![location()]),
            interview_plans: keyed(vec![json!({
                "id": INTERVIEW_PLAN_ID,
                "title": "Engineering interview plan",
                "isArchived": false,
            })]),
            stages: vec![
                stage(LEAD_STAGE_ID, "Lead", "Lead", 0),
                stage(SCREEN_STAGE_ID, "Recruiter screen", "PreInterviewScreen", 1),
                stage(OFFER_STAGE_ID, "Offer", "Offer", 2),
                stage(ARCHIVED_STAGE_ID, "Archived", "Archived", 3),
            ],
            archive_reasons: keyed(vec![json!({
                "id": ARCHIVE_REASON_ID,
                "text": "Not a fit",
                "reasonType": "RejectedByOrg",
                "isArchived": false,
            })]),
            close_reasons: keyed(vec![json!({
                "id": CLOSE_REASON_ID,
                "text": "Filled",
                "reasonType": "OpeningClosed",
                "isArchived": false,
            })]),
            communication_templates: keyed(vec![json!({
                "id": COMMUNICATION_TEMPLATE_ID,
                "title": "Thank you for applying",
                "intendedTypes": ["email"],
            })]),
            sources: keyed(vec![json!({
                "id": SOURCE_ID,
                "title": "Referral",
                "isArchived": false,
            })]),
            jobs: keyed(vec![job(&user)]),
            users: keyed(vec![user]),
            candidates: Map::new(),
            applications: Map::new(),
            openings: keyed(vec![opening()]),
            offer_processes: Map::new(),
            custom_field_values: BTreeMap::new(),
            opening_counter: 1,
            archive_emails_sent: 0,
        }
    }
}

/// Objects keyed by their `id`.
fn keyed(values: Vec<Value>) -> Map<String, Value> {
    values
        .into_iter()
        .filter_map(|v| {
            let id = v.get("id")?.as_str()?.to_owned();
            Some((id, v))
        })
        .collect()
}

fn user() -> Value {
    json!({
        "id": USER_ID,
        "firstName": "Riley",
        "lastName": "Recruiter",
        "email": "riley.recruiter@example.com",
        "globalRole": "Elevated Access",
        "isEnabled": true,
        "updatedAt": SEED_TIME,
        "managerId": null,
    })
}

fn location() -> Value {
    json!({
        "id": LOCATION_ID,
        "name": LOCATION_NAME,
        "externalName": LOCATION_NAME,
        "isArchived": false,
        "address": { "postalAddress": {} },
        "isRemote": true,
        "workplaceType": "Remote",
        "parentLocationId": null,
        "type": "Location",
    })
}

fn stage(id: &str, title: &str, kind: &str, order: u32) -> Value {
    json!({
        "id": id,
        "title": title,
        "type": kind,
        "orderInInterviewPlan": order,
        "interviewStageGroupId": null,
        "interviewPlanId": INTERVIEW_PLAN_ID,
    })
}

fn job(author: &Value) -> Value {
    json!({
        "id": JOB_ID,
        "title": JOB_TITLE,
        "confidential": false,
        "status": "Open",
        "employmentType": "FullTime",
        "locationId": LOCATION_ID,
        "departmentId": TEAM_ID,
        "defaultInterviewPlanId": INTERVIEW_PLAN_ID,
        "interviewPlanIds": [INTERVIEW_PLAN_ID],
        "customFields": [],
        "jobPostingIds": [],
        "customRequisitionId": null,
        "brandId": null,
        "hiringTeam": [],
        "author": author,
        "createdAt": SEED_TIME,
        "updatedAt": SEED_TIME,
        "openedAt": SEED_TIME,
        "closedAt": null,
    })
}

fn opening() -> Value {
    json!({
        "id": OPENING_ID,
        "openedAt": null,
        "closedAt": null,
        "isArchived": false,
        "archivedAt": null,
        "closeReasonId": null,
        "openingState": "Draft",
        "latestVersion": {
            "id": OPENING_VERSION_ID,
            "identifier": "ENG-1",
            "description": "Backend engineer for the platform team",
            "authorId": USER_ID,
            "createdAt": SEED_TIME,
            "teamId": TEAM_ID,
            "jobIds": [JOB_ID],
            "targetHireDate": null,
            "targetStartDate": null,
            "isBackfill": false,
            "employmentType": "FullTime",
            "locationIds": [LOCATION_ID],
            "hiringTeam": [],
            "customFields": [],
        },
    })
}
