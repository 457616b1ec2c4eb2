//! [`StateSnapshot`]: copies of the organisation's objects for tests to inspect.

use std::collections::BTreeMap;

use serde_json::Value;

/// Copies of the objects the mock holds, as Ashby would return them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateSnapshot {
    /// Candidates, in creation order (`Candidate` shape).
    pub candidates: Vec<Value>,
    /// Applications, in creation order (`Application` shape).
    pub applications: Vec<Value>,
    /// Jobs, the seeded [`fixtures::JOB_ID`](crate::fixtures::JOB_ID) first (`Job` shape).
    pub jobs: Vec<Value>,
    /// Openings, the seeded [`fixtures::OPENING_ID`](crate::fixtures::OPENING_ID) first (`Opening` shape).
    pub openings: Vec<Value>,
    /// Offer processes `{id, applicationId, status}`, in creation order.
    pub offer_processes: Vec<Value>,
    /// Custom field values: object id → field id → value (cleared fields are absent).
    pub custom_field_values: BTreeMap<String, BTreeMap<String, Value>>,
}

impl StateSnapshot {
    /// The candidate with this id.
    pub fn candidate(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.candidates, id)
    }

    /// The application with this id.
    pub fn application(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.applications, id)
    }

    /// The job with this id.
    pub fn job(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.jobs, id)
    }

    /// The opening with this id.
    pub fn opening(&self, id: &str) -> Option<&Value> {
        find_by_id(&self.openings, id)
    }

    /// Candidates having this email address (case-insensitive) among their emails.
    pub fn candidates_with_email(&self, email: &str) -> Vec<&Value> {
        self.candidates
            .iter()
            .filter(|c| candidate_has_email(c, email))
            .collect()
    }
}

/// The object with this `id` in `list`.
fn find_by_id<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    list.iter()
        .find(|v| v.get("id").and_then(Value::as_str) == Some(id))
}

/// Whether one of the candidate's email addresses is `email` (case-insensitive).
pub(crate) fn candidate_has_email(candidate: &Value, email: &str) -> bool {
    let wanted = email.trim();
    candidate["emailAddresses"].as_array().is_some_and(|list| {
        list.iter().any(|e| {
            e["value"]
                .as_str()
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(wanted))
        })
    })
}
