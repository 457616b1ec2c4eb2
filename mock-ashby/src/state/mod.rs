//! The in-memory organisation: every object the mock holds, seeded with the
//! [`fixtures`](crate::fixtures), looked up by id and rendered as Ashby returns it.

pub(crate) mod custom_fields;
mod render;
mod seed;
mod snapshot;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::validate::{ApiError, ApiResult, not_found};

pub use snapshot::StateSnapshot;
pub(crate) use snapshot::candidate_has_email;

/// The objects of the mock organisation, keyed by id in creation order.
pub(crate) struct Org {
    pub(crate) teams: Map<String, Value>,
    pub(crate) locations: Map<String, Value>,
    pub(crate) interview_plans: Map<String, Value>,
    /// Stages of every plan, each with `interviewPlanId` and `orderInInterviewPlan`.
    pub(crate) stages: Vec<Value>,
    pub(crate) sources: Map<String, Value>,
    pub(crate) users: Map<String, Value>,
    pub(crate) candidates: Map<String, Value>,
    pub(crate) applications: Map<String, Value>,
    pub(crate) jobs: Map<String, Value>,
    pub(crate) openings: Map<String, Value>,
    pub(crate) offer_processes: Map<String, Value>,
    /// Custom field values: object id → field id → value.
    pub(crate) custom_field_values: BTreeMap<String, BTreeMap<String, Value>>,
    /// Openings created so far (the seeded one included), for default identifiers.
    pub(crate) opening_counter: u32,
    /// Archive reasons (`archiveReasonId` of `application.changeStage`).
    pub(crate) archive_reasons: Map<String, Value>,
    /// Opening close reasons (`closeReasonId` of `opening.setOpeningState`).
    pub(crate) close_reasons: Map<String, Value>,
    /// Communication templates (`archiveEmail.communicationTemplateId`).
    pub(crate) communication_templates: Map<String, Value>,
    /// Archive emails `application.changeStage` would have sent.
    pub(crate) archive_emails_sent: u64,
}

impl Org {
    /// Copies of the objects, rendered.
    pub(crate) fn snapshot(&self) -> StateSnapshot {
        StateSnapshot {
            candidates: self
                .candidates
                .values()
                .map(|c| self.render_candidate(c))
                .collect(),
            applications: self
                .applications
                .values()
                .map(|a| self.render_application(a))
                .collect(),
            jobs: self.jobs.values().map(|j| self.render_job(j)).collect(),
            openings: self
                .openings
                .values()
                .map(|o| self.render_opening(o))
                .collect(),
            offer_processes: self.offer_processes.values().cloned().collect(),
            custom_field_values: self.custom_field_values.clone(),
        }
    }

    /// A copy of the object `id` of `map`, or `<kind>_not_found`.
    pub(crate) fn lookup(map: &Map<String, Value>, kind: &str, id: &str) -> ApiResult<Value> {
        map.get(id).cloned().ok_or_else(|| not_found(kind, id))
    }

    /// `<kind>_not_found` unless `map` holds `id`.
    pub(crate) fn require(map: &Map<String, Value>, kind: &str, id: &str) -> ApiResult<()> {
        if map.contains_key(id) {
            Ok(())
        } else {
            Err(not_found(kind, id))
        }
    }

    /// The source `id` when one is given; `source_not_found` when it does not exist.
    pub(crate) fn source(&self, id: Option<&str>) -> ApiResult<Option<Value>> {
        id.map(|id| Self::lookup(&self.sources, "source", id))
            .transpose()
    }

    /// The user `id` when one is given; `user_not_found` when it does not exist.
    pub(crate) fn user(&self, id: Option<&str>) -> ApiResult<Option<Value>> {
        id.map(|id| Self::lookup(&self.users, "user", id))
            .transpose()
    }

    /// The stages of an interview plan, in order.
    pub(crate) fn plan_stages(&self, plan_id: &str) -> Vec<&Value> {
        let mut stages: Vec<&Value> = self
            .stages
            .iter()
            .filter(|s| s["interviewPlanId"] == plan_id)
            .collect();
        stages.sort_by_key(|s| s["orderInInterviewPlan"].as_u64());
        stages
    }

    /// The stage `stage_id` of plan `plan_id`, or `interview_stage_not_found`.
    pub(crate) fn stage_in_plan(&self, plan_id: &str, stage_id: &str) -> ApiResult<Value> {
        self.plan_stages(plan_id)
            .into_iter()
            .find(|s| s["id"] == stage_id)
            .cloned()
            .ok_or_else(|| ApiError {
                code: "interview_stage_not_found".to_owned(),
                message: format!(
                    "Interview stage not found: no stage with id {stage_id} exists in \
                     interview plan {plan_id}."
                ),
            })
    }
}
