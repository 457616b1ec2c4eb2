//! Objects as Ashby returns them: stored objects plus their custom field values and the
//! summaries of the objects they point at.

use serde_json::{Map, Value, json};

use super::Org;
use super::custom_fields::{CUSTOM_FIELDS, custom_field_value};

impl Org {
    /// The `customFields` list of an object.
    fn custom_field_values_of(&self, object_id: &str) -> Vec<Value> {
        self.custom_field_values
            .get(object_id)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|(field_id, value)| {
                        let def = CUSTOM_FIELDS.iter().find(|d| d.id == field_id)?;
                        Some(custom_field_value(def, value))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A `Candidate` as returned.
    pub(crate) fn render_candidate(&self, candidate: &Value) -> Value {
        let mut out = candidate.clone();
        let id = candidate["id"].as_str().unwrap_or_default();
        out["customFields"] = Value::Array(self.custom_field_values_of(id));
        out
    }

    fn candidate_summary(&self, candidate_id: &str) -> Value {
        let Some(candidate) = self.candidates.get(candidate_id) else {
            return json!({ "id": candidate_id });
        };
        let mut summary = Map::new();
        summary.insert("id".to_owned(), candidate["id"].clone());
        summary.insert("name".to_owned(), candidate["name"].clone());
        for key in ["primaryEmailAddress", "primaryPhoneNumber"] {
            if let Some(value) = candidate.get(key) {
                summary.insert(key.to_owned(), value.clone());
            }
        }
        Value::Object(summary)
    }

    fn job_summary(&self, job_id: &str) -> Value {
        match self.jobs.get(job_id) {
            Some(job) => json!({
                "id": job["id"],
                "title": job["title"],
                "locationId": job["locationId"],
                "departmentId": job["departmentId"],
            }),
            None => json!({ "id": job_id }),
        }
    }

    /// An `Application` as returned, with candidate and job summaries.
    pub(crate) fn render_application(&self, application: &Value) -> Value {
        let mut out = application.clone();
        let id = application["id"].as_str().unwrap_or_default();
        let candidate_id = application["candidate"]["id"].as_str().unwrap_or_default();
        let job_id = application["job"]["id"].as_str().unwrap_or_default();
        out["candidate"] = self.candidate_summary(candidate_id);
        out["job"] = self.job_summary(job_id);
        out["customFields"] = Value::Array(self.custom_field_values_of(id));
        out
    }

    /// A `Job` as returned.
    pub(crate) fn render_job(&self, job: &Value) -> Value {
        let mut out = job.clone();
        let id = job["id"].as_str().unwrap_or_default();
        out["customFields"] = Value::Array(self.custom_field_values_of(id));
        out
    }

    /// An `Opening` as returned (custom fields on its latest version).
    pub(crate) fn render_opening(&self, opening: &Value) -> Value {
        let mut out = opening.clone();
        let id = opening["id"].as_str().unwrap_or_default();
        if let Some(version) = out.get_mut("latestVersion") {
            version["customFields"] = Value::Array(self.custom_field_values_of(id));
        }
        out
    }
}
