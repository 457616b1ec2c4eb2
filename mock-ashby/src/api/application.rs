//! `application.create`, `application.update` and `application.info`.

use serde_json::{Value, json};

use super::endpoint::Endpoint;
use crate::ids::{new_id, now_iso};
use crate::state::Org;
use crate::validate::formats::is_uuid;
use crate::validate::{
    ApiError, ApiResult, Args, invalid_input, not_found, v_array, v_bool, v_datetime, v_object,
    v_str, v_uint, v_uuid,
};

/// This category's endpoints.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/application.create",
        permission: "candidatesWrite",
        fields: &[
            "applicationHistory",
            "candidateId",
            "createdAt",
            "creditedToUserId",
            "interviewPlanId",
            "interviewStageId",
            "jobId",
            "sourceId",
        ],
        handler: application_create,
    },
    Endpoint {
        path: "/application.update",
        permission: "candidatesWrite",
        fields: &[
            "applicationId",
            "createdAt",
            "creditedToUserId",
            "sendNotifications",
            "sourceId",
        ],
        handler: application_update,
    },
    Endpoint {
        path: "/application.info",
        permission: "candidatesRead",
        fields: &["applicationId", "expand", "submittedFormInstanceId"],
        handler: application_info,
    },
    Endpoint {
        path: "/application.changeStage",
        permission: "candidatesWrite",
        fields: &[
            "applicationId",
            "interviewStageId",
            "archiveReasonId",
            "archiveEmail",
        ],
        handler: application_change_stage,
    },
];

/// The stage named by `interviewStageId` when the plan's first pre-interview screen is meant.
const FIRST_SCREEN: &str = "FirstPreInterviewScreen";

/// One entry of `applicationHistory`.
struct HistoryEntry {
    stage_id: String,
    stage_number: u64,
    entered_at: String,
}

fn application_create(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let candidate_id = a.req("candidateId", v_uuid)?;
    let job_id = a.req("jobId", v_uuid)?;
    let plan_id = a.opt("interviewPlanId", v_uuid)?;
    let stage_id = a.opt("interviewStageId", stage_ref)?;
    let source_id = a.opt("sourceId", v_uuid)?;
    let credited_id = a.opt("creditedToUserId", v_uuid)?;
    let created_at = a.opt("createdAt", v_datetime)?;
    let history = a.opt("applicationHistory", history_list)?;

    Org::require(&org.candidates, "candidate", &candidate_id)?;
    let plan_id = plan_of(org, plan_id, &job_id)?;
    let source = org.source(source_id.as_deref())?;
    let credited = org.user(credited_id.as_deref())?;
    let history = history.unwrap_or_default();
    for entry in &history {
        org.stage_in_plan(&plan_id, &entry.stage_id)?;
    }
    let stage = current_stage(org, &plan_id, stage_id.as_deref(), &history)?;
    // Ashby does not document what happens when a candidate already has an application
    // for the job; the mock rejects the duplicate so tests notice double submissions.
    let duplicate = org.applications.values().any(|app| {
        app["candidate"]["id"] == candidate_id.as_str() && app["job"]["id"] == job_id.as_str()
    });
    if duplicate {
        return Err(invalid_input(
            "The candidate already has an application for this job.".to_owned(),
        ));
    }

    let id = new_id();
    let now = now_iso();
    let created_at = created_at.unwrap_or_else(|| now.clone());
    let history = history_json(org, &stage, &created_at, &history);
    let status = status_for_stage(stage["type"].as_str().unwrap_or_default());
    let application = json!({
        "id": id,
        "createdAt": created_at,
        "updatedAt": now,
        "status": status,
        "customFields": [],
        "candidate": { "id": candidate_id },
        "currentInterviewStage": stage,
        "source": source.unwrap_or(Value::Null),
        "archiveReason": null,
        "archivedAt": null,
        "job": { "id": job_id },
        "creditedToUser": credited.unwrap_or(Value::Null),
        "hiringTeam": [],
        "appliedViaJobPostingId": null,
        "submitterClientIp": null,
        "submitterUserAgent": null,
        "applicationHistory": history,
    });
    if let Some(candidate) = org.candidates.get_mut(&candidate_id) {
        if let Some(ids) = candidate["applicationIds"].as_array_mut() {
            ids.push(json!(id));
        }
        candidate["updatedAt"] = json!(now);
    }
    let rendered = org.render_application(&application);
    org.applications.insert(id, application);
    Ok(rendered)
}

/// `interviewStageId`: a stage UUID or [`FIRST_SCREEN`].
fn stage_ref(value: &Value, field: &str) -> ApiResult<String> {
    let text = v_str(value, field)?;
    if text == FIRST_SCREEN || is_uuid(&text) {
        Ok(text)
    } else {
        Err(invalid_input(format!(
            "`{field}` must be a UUID or \"{FIRST_SCREEN}\", got {text:?}."
        )))
    }
}

fn history_list(value: &Value, field: &str) -> ApiResult<Vec<HistoryEntry>> {
    v_array(value, field)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("{field}[{i}]");
            let entry = Args::nested(v_object(item, &field)?, field);
            let stage_id = entry.req("stageId", v_uuid)?;
            let stage_number = entry.req("stageNumber", v_uint)?;
            let entered_at = entry.req("enteredStageAt", v_datetime)?;
            if let Some(reason) = entry.opt("archiveReasonId", v_uuid)? {
                // The mock organisation has no archive reasons.
                return Err(not_found("archive_reason", &reason));
            }
            Ok(HistoryEntry {
                stage_id,
                stage_number,
                entered_at,
            })
        })
        .collect()
}

/// The interview plan: the one given (which must exist) or the job's default.
fn plan_of(org: &Org, plan_id: Option<String>, job_id: &str) -> ApiResult<String> {
    let job = Org::lookup(&org.jobs, "job", job_id)?;
    match plan_id {
        Some(plan_id) => {
            Org::require(&org.interview_plans, "interview_plan", &plan_id)?;
            Ok(plan_id)
        }
        None => job["defaultInterviewPlanId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                invalid_input(format!(
                    "Job {job_id} has no default interview plan; pass `interviewPlanId`."
                ))
            }),
    }
}

/// The stage a new application is in: the one asked for, else the last of its history,
/// else the plan's `Lead` stage (or its first).
fn current_stage(
    org: &Org,
    plan_id: &str,
    stage_id: Option<&str>,
    history: &[HistoryEntry],
) -> ApiResult<Value> {
    let missing = |what: &str| ApiError {
        code: "interview_stage_not_found".to_owned(),
        message: format!("Interview stage not found: plan {plan_id} has no {what}."),
    };
    match stage_id {
        Some(FIRST_SCREEN) => org
            .plan_stages(plan_id)
            .into_iter()
            .find(|s| s["type"] == "PreInterviewScreen")
            .cloned()
            .ok_or_else(|| missing("pre-interview screen stage")),
        Some(stage_id) => org.stage_in_plan(plan_id, stage_id),
        None => match history.iter().max_by_key(|h| h.stage_number) {
            Some(last) => org.stage_in_plan(plan_id, &last.stage_id),
            None => {
                let stages = org.plan_stages(plan_id);
                stages
                    .iter()
                    .find(|s| s["type"] == "Lead")
                    .or_else(|| stages.first())
                    .map(|s| (*s).clone())
                    .ok_or_else(|| missing("stages"))
            }
        },
    }
}

/// `applicationHistory` as Ashby returns it: the given entries, or one entry for the
/// current stage entered at creation.
fn history_json(
    org: &Org,
    stage: &Value,
    created_at: &str,
    history: &[HistoryEntry],
) -> Vec<Value> {
    let entry = |stage_id: &Value, title: Value, number: u64, entered_at: &str| {
        json!({
            "id": new_id(),
            "stageId": stage_id,
            "title": title,
            "stageNumber": number,
            "enteredStageAt": entered_at,
            "allowedActions": ["set_entered_at"],
            "actorId": null,
        })
    };
    if history.is_empty() {
        return vec![entry(&stage["id"], stage["title"].clone(), 0, created_at)];
    }
    history
        .iter()
        .map(|h| {
            let title = org
                .stages
                .iter()
                .find(|s| s["id"] == h.stage_id.as_str())
                .map(|s| s["title"].clone())
                .unwrap_or(Value::Null);
            let stage_id = Value::String(h.stage_id.clone());
            entry(&stage_id, title, h.stage_number, &h.entered_at)
        })
        .collect()
}

fn application_update(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("applicationId", v_uuid)?;
    let source_id = a.opt("sourceId", v_uuid)?;
    let credited_id = a.opt("creditedToUserId", v_uuid)?;
    let created_at = a.opt("createdAt", v_datetime)?;
    a.opt("sendNotifications", v_bool)?;

    Org::require(&org.applications, "application", &id)?;
    let source = org.source(source_id.as_deref())?;
    let credited = org.user(credited_id.as_deref())?;
    let Some(application) = org.applications.get_mut(&id) else {
        return Err(not_found("application", &id));
    };
    if let Some(source) = source {
        application["source"] = source;
    }
    if let Some(credited) = credited {
        application["creditedToUser"] = credited;
    }
    if let Some(created_at) = created_at {
        application["createdAt"] = json!(created_at);
    }
    application["updatedAt"] = json!(now_iso());
    let application = application.clone();
    Ok(org.render_application(&application))
}

fn application_info(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("applicationId", v_uuid)?;
    let application = Org::lookup(&org.applications, "application", &id)?;
    Ok(org.render_application(&application))
}

/// An application's `status` for the type of its current stage.
fn status_for_stage(stage_type: &str) -> &'static str {
    match stage_type {
        "Lead" => "Lead",
        "Hired" => "Hired",
        "Archived" => "Archived",
        _ => "Active",
    }
}

// --- application.changeStage --------------------------------------------------------------

/// `application.changeStage {applicationId*, interviewStageId*, archiveReasonId,
/// archiveEmail {communicationTemplateId*, sendAt}}`: the stage must be in the
/// application's interview plan; a stage of type `Archived` needs `archiveReasonId`,
/// and `archiveEmail` may only come with one.
fn application_change_stage(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("applicationId", v_uuid)?;
    let stage_id = a.req("interviewStageId", v_uuid)?;
    let reason_id = a.opt("archiveReasonId", v_uuid)?;
    let template_id = match a.opt("archiveEmail", v_object)? {
        None => None,
        Some(email) => {
            let e = Args::nested(email, "archiveEmail".to_owned());
            e.only(&["communicationTemplateId", "sendAt"])?;
            e.opt("sendAt", v_datetime)?;
            Some(e.req("communicationTemplateId", v_uuid)?)
        }
    };
    let application = Org::lookup(&org.applications, "application", &id)?;
    let plan_id = application["currentInterviewStage"]["interviewPlanId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let stage = org.stage_in_plan(&plan_id, &stage_id)?;
    let archived = stage["type"] == "Archived";
    let reason = archive_reason(org, archived, reason_id, template_id.as_deref())?;
    let Some(application) = org.applications.get_mut(&id) else {
        return Err(not_found("application", &id));
    };
    let was_archived = application["status"] == "Archived";
    enter_stage(application, stage, reason);
    if template_id.is_some() && !was_archived {
        // Ashby: "If application is already archived, the email will not be sent."
        org.archive_emails_sent += 1;
    }
    let application = org.applications.get(&id).cloned().unwrap_or_default();
    Ok(org.render_application(&application))
}

/// The archive reason of a stage change: required for a stage of type `Archived`, refused
/// for any other, like an `archiveEmail` (whose template must exist).
fn archive_reason(
    org: &Org,
    archived: bool,
    reason_id: Option<String>,
    template_id: Option<&str>,
) -> ApiResult<Option<Value>> {
    let only_archived = |field: &str| {
        invalid_input(format!(
            "`{field}` may only be passed when moving to an Interview Stage with type `Archived`."
        ))
    };
    if let Some(template_id) = template_id {
        if !archived {
            return Err(only_archived("archiveEmail"));
        }
        Org::require(
            &org.communication_templates,
            "communication_template",
            template_id,
        )?;
    }
    match (archived, reason_id) {
        (true, None) => Err(invalid_input(
            "`archiveReasonId` is required when moving to an Interview Stage with type `Archived`."
                .to_owned(),
        )),
        (false, Some(_)) => Err(only_archived("archiveReasonId")),
        (_, Some(id)) => Org::lookup(&org.archive_reasons, "archive_reason", &id).map(Some),
        (false, None) => Ok(None),
    }
}

/// Moves an application to `stage`: a history entry when the stage changes, the status
/// the stage's type implies, the archive reason and time.
fn enter_stage(application: &mut Value, stage: Value, reason: Option<Value>) {
    let now = now_iso();
    let moved = application["currentInterviewStage"]["id"] != stage["id"];
    if moved {
        let number = application["applicationHistory"]
            .as_array()
            .map_or(0, Vec::len);
        if let Some(history) = application["applicationHistory"].as_array_mut() {
            history.push(json!({
                "id": new_id(), "stageId": stage["id"], "title": stage["title"],
                "stageNumber": number, "enteredStageAt": now,
                "allowedActions": ["set_entered_at"], "actorId": null,
            }));
        }
        application["archivedAt"] = if reason.is_some() {
            json!(now)
        } else {
            Value::Null
        };
    }
    application["status"] = json!(status_for_stage(stage["type"].as_str().unwrap_or_default()));
    application["currentInterviewStage"] = stage;
    application["archiveReason"] = reason.unwrap_or(Value::Null);
    application["updatedAt"] = json!(now);
}
