//! Fixed ids (and a few names) of the organisation objects the mock is seeded with.
//!
//! Every id has the prefix `7a1c0d2e-0000-4000-8000-0000000000`.

/// Team (department) "Engineering".
pub const TEAM_ID: &str = "7a1c0d2e-0000-4000-8000-000000000001";
/// Name of the team [`TEAM_ID`].
pub const TEAM_NAME: &str = "Engineering";
/// Location "Remote".
pub const LOCATION_ID: &str = "7a1c0d2e-0000-4000-8000-000000000002";
/// Name of the location [`LOCATION_ID`].
pub const LOCATION_NAME: &str = "Remote";
/// Interview plan used by [`JOB_ID`]; its stages are [`LEAD_STAGE_ID`],
/// [`SCREEN_STAGE_ID`], [`OFFER_STAGE_ID`] and [`ARCHIVED_STAGE_ID`], in that order.
pub const INTERVIEW_PLAN_ID: &str = "7a1c0d2e-0000-4000-8000-000000000003";
/// Candidate/application source "Referral".
pub const SOURCE_ID: &str = "7a1c0d2e-0000-4000-8000-000000000004";
/// A recruiter user (usable as `creditedToUserId`).
pub const USER_ID: &str = "7a1c0d2e-0000-4000-8000-000000000005";
/// An `Open` job "Senior Rust Engineer" in [`TEAM_ID`] at [`LOCATION_ID`] using
/// [`INTERVIEW_PLAN_ID`].
pub const JOB_ID: &str = "7a1c0d2e-0000-4000-8000-000000000006";
/// Title of the job [`JOB_ID`].
pub const JOB_TITLE: &str = "Senior Rust Engineer";
/// Custom field "Notice period (days)": type `Number`, on `Candidate`.
pub const NOTICE_PERIOD_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-000000000007";
/// Custom field "Relocation": type `Boolean`, on `Candidate`.
pub const RELOCATION_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-000000000008";
/// Custom field "Seniority": type `ValueSelect` ([`SENIORITY_OPTIONS`]), on `Application`.
pub const SENIORITY_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-000000000009";
/// Option values of the "Seniority" field.
pub const SENIORITY_OPTIONS: [&str; 3] = ["Junior", "Senior", "Staff"];
/// Custom field "Start availability": type `Date`, on `Application`.
pub const START_AVAILABILITY_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000a";
/// First stage of [`INTERVIEW_PLAN_ID`], title "Lead", type `Lead`: where new
/// applications land by default.
pub const LEAD_STAGE_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000b";
/// A `Draft` opening attached to [`JOB_ID`].
pub const OPENING_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000c";
/// Custom field "Team size": type `Number`, on `Job`.
pub const TEAM_SIZE_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000d";
/// Stage "Offer" (type `Offer`) of [`INTERVIEW_PLAN_ID`].
pub const OFFER_STAGE_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000e";
/// Stage "Recruiter screen" (type `PreInterviewScreen`) of [`INTERVIEW_PLAN_ID`],
/// the target of `interviewStageId: "FirstPreInterviewScreen"`.
pub const SCREEN_STAGE_ID: &str = "7a1c0d2e-0000-4000-8000-00000000000f";
/// Id of the latest version of the seeded opening [`OPENING_ID`].
pub const OPENING_VERSION_ID: &str = "7a1c0d2e-0000-4000-8000-000000000010";
/// Stage "Archived" (type `Archived`) of [`INTERVIEW_PLAN_ID`]: moving an application
/// there with `application.changeStage` needs an `archiveReasonId`.
pub const ARCHIVED_STAGE_ID: &str = "7a1c0d2e-0000-4000-8000-000000000011";
/// Archive reason "Not a fit", for `application.changeStage` to [`ARCHIVED_STAGE_ID`].
pub const ARCHIVE_REASON_ID: &str = "7a1c0d2e-0000-4000-8000-000000000012";
/// Close reason "Filled", for `opening.setOpeningState` to `Closed`.
pub const CLOSE_REASON_ID: &str = "7a1c0d2e-0000-4000-8000-000000000013";
/// An email communication template, for `archiveEmail.communicationTemplateId`.
pub const COMMUNICATION_TEMPLATE_ID: &str = "7a1c0d2e-0000-4000-8000-000000000014";
/// Custom field "Budget": type `Currency`, on `Opening`.
pub const BUDGET_FIELD_ID: &str = "7a1c0d2e-0000-4000-8000-000000000015";

/// The seeded ids by name (`team`, `job`, `notice_period_field`, ...), as the
/// standalone mock prints them for clients in other languages.
pub fn ids() -> serde_json::Value {
    serde_json::json!({
        "team": TEAM_ID,
        "location": LOCATION_ID,
        "interview_plan": INTERVIEW_PLAN_ID,
        "source": SOURCE_ID,
        "user": USER_ID,
        "job": JOB_ID,
        "notice_period_field": NOTICE_PERIOD_FIELD_ID,
        "relocation_field": RELOCATION_FIELD_ID,
        "seniority_field": SENIORITY_FIELD_ID,
        "start_availability_field": START_AVAILABILITY_FIELD_ID,
        "lead_stage": LEAD_STAGE_ID,
        "opening": OPENING_ID,
        "team_size_field": TEAM_SIZE_FIELD_ID,
        "offer_stage": OFFER_STAGE_ID,
        "screen_stage": SCREEN_STAGE_ID,
        "opening_version": OPENING_VERSION_ID,
        "archived_stage": ARCHIVED_STAGE_ID,
        "archive_reason": ARCHIVE_REASON_ID,
        "close_reason": CLOSE_REASON_ID,
        "communication_template": COMMUNICATION_TEMPLATE_ID,
        "budget_field": BUDGET_FIELD_ID,
    })
}
