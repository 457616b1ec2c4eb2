//! `job.create`, `job.update` and `job.info`.

use serde_json::{Value, json};

use super::endpoint::Endpoint;
use crate::ids::{new_id, now_iso};
use crate::state::Org;
use crate::validate::{
    ApiResult, Args, invalid_input, not_found, v_array, v_bool, v_enum, v_nonempty, v_str, v_uuid,
};

/// This category's endpoints.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/job.create",
        permission: "jobsWrite",
        // employmentType: Ashby changelog 2026-07-27 (the OpenAPI copy predates it).
        fields: &[
            "brandId",
            "defaultInterviewPlanId",
            "employmentType",
            "jobTemplateId",
            "locationId",
            "teamId",
            "title",
        ],
        handler: job_create,
    },
    Endpoint {
        path: "/job.update",
        permission: "jobsWrite",
        // employmentType: Ashby changelog 2026-07-27 (the OpenAPI copy predates it).
        fields: &[
            "customRequisitionId",
            "defaultInterviewPlanId",
            "employmentType",
            "jobId",
            "locationId",
            "teamId",
            "title",
        ],
        handler: job_update,
    },
    Endpoint {
        path: "/job.info",
        permission: "jobsRead",
        fields: &["expand", "id", "includeUnpublishedJobPostingsIds"],
        handler: job_info,
    },
    Endpoint {
        path: "/job.setStatus",
        permission: "jobsWrite",
        fields: &["jobId", "status"],
        handler: job_set_status,
    },
];

/// Values of `employmentType` (jobs and openings).
pub(crate) const EMPLOYMENT_TYPES: &[&str] =
    &["FullTime", "PartTime", "Intern", "Contract", "Temporary"];

fn job_create(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let title = a.req("title", v_nonempty)?;
    let team_id = a.req("teamId", v_uuid)?;
    let location_id = a.req("locationId", v_uuid)?;
    let plan_id = a.opt("defaultInterviewPlanId", v_uuid)?;
    let template_id = a.opt("jobTemplateId", v_uuid)?;
    let brand_id = a.opt("brandId", v_uuid)?;
    let employment_type = a.opt_enum("employmentType", EMPLOYMENT_TYPES)?;

    Org::require(&org.teams, "team", &team_id)?;
    Org::require(&org.locations, "location", &location_id)?;
    if let Some(plan_id) = &plan_id {
        Org::require(&org.interview_plans, "interview_plan", plan_id)?;
    }
    if let Some(template_id) = template_id {
        // The mock organisation has no job templates.
        return Err(not_found("job_template", &template_id));
    }

    let id = new_id();
    let now = now_iso();
    let job = json!({
        "id": id,
        "title": title.trim(),
        "confidential": false,
        "status": "Draft",
        "employmentType": employment_type.unwrap_or_else(|| "FullTime".to_owned()),
        "locationId": location_id,
        "departmentId": team_id,
        "defaultInterviewPlanId": plan_id,
        "interviewPlanIds": plan_id.iter().collect::<Vec<_>>(),
        "customFields": [],
        "jobPostingIds": [],
        "customRequisitionId": null,
        "brandId": brand_id,
        "hiringTeam": [],
        "createdAt": now,
        "updatedAt": now,
        "openedAt": null,
        "closedAt": null,
    });
    let rendered = org.render_job(&job);
    org.jobs.insert(id, job);
    Ok(rendered)
}

fn job_update(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("jobId", v_uuid)?;
    let title = a.opt("title", v_nonempty)?;
    let team_id = a.opt("teamId", v_uuid)?;
    let location_id = a.opt("locationId", v_uuid)?;
    let plan_id = a.opt("defaultInterviewPlanId", v_uuid)?;
    // Typed uuid in the published spec, but it is a free-form requisition code in practice.
    let requisition = a.opt("customRequisitionId", v_str)?;
    let employment_type = a.opt_enum("employmentType", EMPLOYMENT_TYPES)?;

    Org::require(&org.jobs, "job", &id)?;
    if let Some(team_id) = &team_id {
        Org::require(&org.teams, "team", team_id)?;
    }
    if let Some(location_id) = &location_id {
        Org::require(&org.locations, "location", location_id)?;
    }
    if let Some(plan_id) = &plan_id {
        Org::require(&org.interview_plans, "interview_plan", plan_id)?;
    }
    let Some(job) = org.jobs.get_mut(&id) else {
        return Err(not_found("job", &id));
    };
    if let Some(title) = title {
        job["title"] = json!(title.trim());
    }
    if let Some(team_id) = team_id {
        job["departmentId"] = json!(team_id);
    }
    if let Some(location_id) = location_id {
        job["locationId"] = json!(location_id);
    }
    if let Some(plan_id) = plan_id {
        job["defaultInterviewPlanId"] = json!(plan_id);
        if let Some(plans) = job["interviewPlanIds"].as_array_mut()
            && !plans.iter().any(|p| p == plan_id.as_str())
        {
            plans.push(json!(plan_id));
        }
    }
    if let Some(requisition) = requisition {
        job["customRequisitionId"] = json!(requisition);
    }
    if let Some(employment_type) = employment_type {
        job["employmentType"] = json!(employment_type);
    }
    job["updatedAt"] = json!(now_iso());
    let job = job.clone();
    Ok(org.render_job(&job))
}

fn job_info(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("id", v_uuid)?;
    a.opt("includeUnpublishedJobPostingsIds", v_bool)?;
    let expand = a
        .opt("expand", |v, f| {
            v_array(v, f)?
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    v_enum(
                        item,
                        &format!("{f}[{i}]"),
                        &["location", "openings", "compensation"],
                    )
                })
                .collect::<ApiResult<Vec<_>>>()
        })?
        .unwrap_or_default();
    let job = Org::lookup(&org.jobs, "job", &id)?;
    let mut out = org.render_job(&job);
    if expand.iter().any(|e| e == "location") {
        let location_id = job["locationId"].as_str().unwrap_or_default();
        out["location"] = org
            .locations
            .get(location_id)
            .cloned()
            .unwrap_or(Value::Null);
    }
    if expand.iter().any(|e| e == "openings") {
        let openings: Vec<Value> = org
            .openings
            .values()
            .filter(|o| {
                o["latestVersion"]["jobIds"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|j| j == id.as_str()))
            })
            .map(|o| org.render_opening(o))
            .collect();
        out["openings"] = Value::Array(openings);
    }
    if expand.iter().any(|e| e == "compensation") {
        out["compensation"] = json!({ "compensationTiers": [] });
    }
    Ok(out)
}

// --- job.setStatus ----------------------------------------------------------------------

/// `job.setStatus {jobId*, status* (Draft|Open|Closed|Archived)}` with Ashby's documented
/// transitions: Draft → Open|Archived, Open → Closed, Closed → Draft|Archived,
/// Archived → Draft. Setting the status a job already has changes nothing (an assumption:
/// Ashby documents transitions only). A job is opened only with a default interview plan.
fn job_set_status(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("jobId", v_uuid)?;
    let status = a.req("status", |v, f| {
        v_enum(v, f, &["Draft", "Open", "Closed", "Archived"])
    })?;
    let Some(job) = org.jobs.get_mut(&id) else {
        return Err(not_found("job", &id));
    };
    let from = job["status"].as_str().unwrap_or("Draft").to_owned();
    let allowed = match from.as_str() {
        "Draft" => &["Open", "Archived"][..],
        "Open" => &["Closed"][..],
        "Closed" => &["Draft", "Archived"][..],
        _ => &["Draft"][..],
    };
    if from != status && !allowed.contains(&status.as_str()) {
        return Err(invalid_input(format!(
            "A job cannot be changed from {from} to {status}; a {from} job can be changed to {}.",
            allowed.join(" or ")
        )));
    }
    if status == "Open" && job["defaultInterviewPlanId"].is_null() {
        return Err(invalid_input(
            "The job has no default interview plan; set defaultInterviewPlanId before opening it."
                .to_owned(),
        ));
    }
    let now = now_iso();
    if from != status {
        match status.as_str() {
            "Open" => job["openedAt"] = json!(now),
            "Closed" => job["closedAt"] = json!(now),
            _ => {}
        }
    }
    job["status"] = json!(status);
    job["updatedAt"] = json!(now);
    let job = job.clone();
    Ok(org.render_job(&job))
}
