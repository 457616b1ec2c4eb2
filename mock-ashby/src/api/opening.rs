//! `opening.create` and `opening.update`.

use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::job::EMPLOYMENT_TYPES;
use crate::fixtures;
use crate::ids::{new_id, now_iso};
use crate::state::Org;
use crate::validate::{
    ApiResult, Args, invalid_input, not_found, v_bool, v_date, v_enum, v_str, v_uuid, v_uuid_list,
};

/// This category's endpoints.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/opening.create",
        permission: "jobsWrite",
        fields: &[
            "description",
            "employmentType",
            "identifier",
            "isBackfill",
            "jobIds",
            "locationIds",
            "openingState",
            "targetHireDate",
            "targetStartDate",
            "teamId",
        ],
        handler: opening_create,
    },
    Endpoint {
        path: "/opening.update",
        permission: "jobsWrite",
        fields: &[
            "description",
            "employmentType",
            "identifier",
            "isBackfill",
            "openingId",
            "targetHireDate",
            "targetStartDate",
            "teamId",
        ],
        handler: opening_update,
    },
    Endpoint {
        path: "/opening.setOpeningState",
        permission: "jobsWrite",
        fields: &["openingId", "openingState", "closeReasonId"],
        handler: opening_set_opening_state,
    },
    Endpoint {
        path: "/opening.setArchived",
        permission: "jobsWrite",
        fields: &["openingId", "archive"],
        handler: opening_set_archived,
    },
    Endpoint {
        path: "/opening.info",
        permission: "jobsRead",
        fields: &["openingId"],
        handler: opening_info,
    },
];

/// `employmentType` on openings also accepts "" (stored as the default, FullTime).
fn opening_employment_type(a: &Args<'_>) -> ApiResult<Option<String>> {
    let mut allowed = EMPLOYMENT_TYPES.to_vec();
    allowed.push("");
    Ok(a.opt_enum("employmentType", &allowed)?.map(|t| {
        if t.is_empty() {
            "FullTime".to_owned()
        } else {
            t
        }
    }))
}

fn opening_create(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let identifier = a.opt("identifier", v_str)?;
    let description = a.opt("description", v_str)?;
    let team_id = a.opt("teamId", v_uuid)?;
    let location_ids = a.opt("locationIds", v_uuid_list)?.unwrap_or_default();
    let job_ids = a.opt("jobIds", v_uuid_list)?.unwrap_or_default();
    let target_hire = a.opt("targetHireDate", v_date)?;
    let target_start = a.opt("targetStartDate", v_date)?;
    let backfill = a.opt("isBackfill", v_bool)?.unwrap_or(false);
    let employment_type = opening_employment_type(a)?.unwrap_or_else(|| "FullTime".to_owned());
    let state = a
        .opt_enum("openingState", &["Draft", "Approved", "Open", "Closed"])?
        .unwrap_or_else(|| "Draft".to_owned());

    if let Some(team_id) = &team_id {
        Org::require(&org.teams, "team", team_id)?;
    }
    for location_id in &location_ids {
        Org::require(&org.locations, "location", location_id)?;
    }
    for job_id in &job_ids {
        Org::require(&org.jobs, "job", job_id)?;
    }

    org.opening_counter += 1;
    let identifier = identifier.unwrap_or_else(|| org.opening_counter.to_string());
    let id = new_id();
    let now = now_iso();
    let opened_at = matches!(state.as_str(), "Open" | "Closed").then(|| now.clone());
    let closed_at = (state == "Closed").then(|| now.clone());
    let opening = json!({
        "id": id,
        "openedAt": opened_at,
        "closedAt": closed_at,
        "isArchived": false,
        "archivedAt": null,
        "closeReasonId": null,
        "openingState": state,
        "latestVersion": {
            "id": new_id(),
            "identifier": identifier,
            "description": description.unwrap_or_default(),
            "authorId": fixtures::USER_ID,
            "createdAt": now,
            "teamId": team_id,
            "jobIds": job_ids,
            "targetHireDate": target_hire,
            "targetStartDate": target_start,
            "isBackfill": backfill,
            "employmentType": employment_type,
            "locationIds": location_ids,
            "hiringTeam": [],
            "customFields": [],
        },
    });
    let rendered = org.render_opening(&opening);
    org.openings.insert(id, opening);
    Ok(rendered)
}

fn opening_update(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("openingId", v_uuid)?;
    let identifier = a.opt("identifier", v_str)?;
    let description = a.opt("description", v_str)?;
    let team_id = a.opt("teamId", v_uuid)?;
    let target_hire = a.opt("targetHireDate", v_date)?;
    let target_start = a.opt("targetStartDate", v_date)?;
    let backfill = a.opt("isBackfill", v_bool)?;
    let employment_type = opening_employment_type(a)?;

    Org::require(&org.openings, "opening", &id)?;
    if let Some(team_id) = &team_id {
        Org::require(&org.teams, "team", team_id)?;
    }
    let Some(opening) = org.openings.get_mut(&id) else {
        return Err(not_found("opening", &id));
    };
    // Every edit produces a new version of the opening.
    let version = &mut opening["latestVersion"];
    version["id"] = json!(new_id());
    version["createdAt"] = json!(now_iso());
    let updates = [
        ("identifier", identifier.map(Value::String)),
        ("description", description.map(Value::String)),
        ("teamId", team_id.map(Value::String)),
        ("targetHireDate", target_hire.map(Value::String)),
        ("targetStartDate", target_start.map(Value::String)),
        ("isBackfill", backfill.map(Value::Bool)),
        ("employmentType", employment_type.map(Value::String)),
    ];
    for (key, value) in updates {
        if let Some(value) = value {
            version[key] = value;
        }
    }
    let opening = opening.clone();
    Ok(org.render_opening(&opening))
}

// --- opening.setOpeningState / setArchived / info ---------------------------------------

/// `opening.setOpeningState {openingId, openingState (Draft|Approved|Open|Closed),
/// closeReasonId}`: a close reason is taken only when setting the state to Closed.
fn opening_set_opening_state(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("openingId", v_uuid)?;
    let state = a.req("openingState", |v, f| {
        v_enum(v, f, &["Draft", "Approved", "Open", "Closed"])
    })?;
    let reason_id = a.opt("closeReasonId", v_uuid)?;
    Org::require(&org.openings, "opening", &id)?;
    if let Some(reason_id) = &reason_id {
        if state != "Closed" {
            return Err(invalid_input(format!(
                "`closeReasonId` is only taken when setting the state to Closed, not {state}."
            )));
        }
        Org::require(&org.close_reasons, "close_reason", reason_id)?;
    }
    let now = now_iso();
    let Some(opening) = org.openings.get_mut(&id) else {
        return Err(not_found("opening", &id));
    };
    if opening["openingState"] != state.as_str() {
        match state.as_str() {
            "Open" => opening["openedAt"] = json!(now),
            "Closed" => opening["closedAt"] = json!(now),
            _ => {}
        }
    }
    opening["openingState"] = json!(state);
    opening["closeReasonId"] = reason_id.map_or(Value::Null, Value::String);
    let opening = opening.clone();
    Ok(org.render_opening(&opening))
}

/// `opening.setArchived {openingId, archive}`.
fn opening_set_archived(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("openingId", v_uuid)?;
    let archive = a.req("archive", v_bool)?;
    let Some(opening) = org.openings.get_mut(&id) else {
        return Err(not_found("opening", &id));
    };
    if opening["isArchived"] != archive {
        opening["archivedAt"] = if archive {
            json!(now_iso())
        } else {
            Value::Null
        };
    }
    opening["isArchived"] = json!(archive);
    let opening = opening.clone();
    Ok(org.render_opening(&opening))
}

/// `opening.info {openingId}`.
fn opening_info(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("openingId", v_uuid)?;
    let opening = Org::lookup(&org.openings, "opening", &id)?;
    Ok(org.render_opening(&opening))
}
