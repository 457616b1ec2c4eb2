//! Plans the work of one call from shaped records: a request per batch, a
//! sequence of calls per record, or a lookup-before-create.

use super::{Destination, object_json, to_json};
use crate::ashby::{CANDIDATE_SEARCH, CUSTOM_FIELD_SET_VALUES};
use crate::config::Grouping;
use crate::shape::{Pending, ShapedRecord, shape_record};
use crate::types::{InputRecord, PlannedRequest};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One unit of work in a call, in the order `send` performs them.
#[derive(Debug, Clone)]
pub(super) enum Work {
    /// One request carrying several records (by position): a batch.
    Batch {
        positions: Vec<usize>,
        request: PlannedRequest,
    },
    /// A record's calls, made one after the other.
    Sequence {
        position: usize,
        calls: Vec<PlannedCall>,
    },
    /// Lookup-before-create for one record.
    Dedupe {
        position: usize,
        search: PlannedRequest,
        create: PlannedRequest,
    },
}

/// One call of a record's sequence.
#[derive(Debug, Clone)]
pub(super) struct PlannedCall {
    /// The template step it makes, counting from 0.
    pub step: usize,
    /// The request (pending fields hold placeholders).
    pub request: PlannedRequest,
    /// Body fields filled from earlier calls' results when sent.
    pub pending: Vec<Pending>,
}

/// Everything `sample` and `send` derive from the records before any I/O.
pub(super) struct Plan {
    pub shaped: Vec<ShapedRecord>,
    pub work: Vec<Work>,
}

/// A record with calls: its position, its shaping and its first body.
type Valid<'a> = (usize, &'a ShapedRecord, &'a Map<String, Value>);

impl Destination {
    pub(super) fn request(&self, path: &str, body: String, records: Vec<u64>) -> PlannedRequest {
        PlannedRequest {
            method: self.config.method,
            path: path.to_owned(),
            headers: self.config.headers.clone(),
            body,
            records,
        }
    }

    /// The path of a template step (the config's endpoint in manual mode).
    pub(super) fn step_path(&self, step: usize) -> &str {
        self.config
            .template
            .as_ref()
            .and_then(|t| t.steps.get(step))
            .map_or(self.config.endpoint.as_str(), |s| s.endpoint.as_str())
    }

    pub(super) fn plan(&self, records: &[InputRecord]) -> Plan {
        let shaped: Vec<ShapedRecord> = records
            .iter()
            .map(|r| shape_record(&self.config, r))
            .collect();
        let mut work = Vec::new();
        if self.config.batch.is_some() {
            let valid: Vec<Valid<'_>> = shaped
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.first_body().map(|b| (i, s, b)))
                .collect();
            self.plan_batches(valid, &mut work);
        } else {
            for (position, s) in shaped.iter().enumerate() {
                if let Some(w) = self.plan_record(position, s) {
                    work.push(w);
                }
            }
        }
        Plan { shaped, work }
    }

    /// A record's sequence, or its lookup-before-create.
    fn plan_record(&self, position: usize, s: &ShapedRecord) -> Option<Work> {
        let calls = s.calls.as_ref().ok()?;
        let planned: Vec<PlannedCall> = calls
            .iter()
            .map(|c| PlannedCall {
                step: c.step,
                request: self.request(self.step_path(c.step), object_json(&c.body), vec![s.index]),
                pending: c.pending.clone(),
            })
            .collect();
        let email = s
            .first_body()
            .and_then(|b| b.get("email"))
            .and_then(Value::as_str);
        match (self.config.dedupe, email, planned.as_slice()) {
            (Some(_), Some(email), [create]) => {
                let mut q = Map::new();
                q.insert("email".into(), Value::String(email.to_owned()));
                Some(Work::Dedupe {
                    position,
                    search: self.request(CANDIDATE_SEARCH, object_json(&q), vec![s.index]),
                    create: create.request.clone(),
                })
            }
            _ => Some(Work::Sequence {
                position,
                calls: planned,
            }),
        }
    }

    fn plan_batches(&self, valid: Vec<Valid<'_>>, work: &mut Vec<Work>) {
        let Some(batch) = &self.config.batch else {
            return;
        };
        let endpoint = self.config.endpoint.as_str();
        let groups: Vec<Vec<Valid<'_>>> = match &batch.grouping {
            Grouping::Sequential => vec![valid],
            Grouping::ByField(field) => group_by(valid, field),
        };
        for group in groups {
            for chunk in group.chunks(batch.size.max(1)) {
                if endpoint == CUSTOM_FIELD_SET_VALUES {
                    for (positions, indexes, body) in merge_custom_fields(chunk) {
                        work.push(Work::Batch {
                            positions,
                            request: self.request(endpoint, object_json(&body), indexes),
                        });
                    }
                } else {
                    let body = Value::Array(
                        chunk
                            .iter()
                            .map(|(_, _, b)| Value::Object((*b).clone()))
                            .collect(),
                    );
                    work.push(Work::Batch {
                        positions: chunk.iter().map(|(p, _, _)| *p).collect(),
                        request: self.request(
                            endpoint,
                            to_json(&body),
                            chunk.iter().map(|(_, s, _)| s.index).collect(),
                        ),
                    });
                }
            }
        }
    }
}

/// Groups records by the value of `field`, groups in order of first
/// appearance.
fn group_by<'a>(valid: Vec<Valid<'a>>, field: &str) -> Vec<Vec<Valid<'a>>> {
    let mut order: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<Valid<'a>>> = Vec::new();
    for item in valid {
        let key = item.2.get(field).map_or_else(|| "null".to_owned(), to_json);
        let at = *order.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(at) {
            g.push(item);
        }
    }
    groups
}

type Merged = (Vec<usize>, Vec<u64>, Map<String, Value>);

/// Merges a chunk of `customField.setValues` records: records about the same
/// `objectId` + `objectType` become one body (the first record's, with every
/// record's `values` concatenated; a later value for a `fieldId` replaces the
/// earlier one in place). Records without a `values` array stand alone.
fn merge_custom_fields(chunk: &[Valid<'_>]) -> Vec<Merged> {
    let mut out: Vec<Merged> = Vec::new();
    let mut by_object: HashMap<String, usize> = HashMap::new();
    for (position, s, body) in chunk {
        let values = body.get("values").and_then(Value::as_array);
        let key = match (values, body.get("objectId"), body.get("objectType")) {
            (Some(_), Some(id), Some(ty)) => Some(format!("{}\u{0}{}", to_json(id), to_json(ty))),
            _ => None,
        };
        let existing = key.as_ref().and_then(|k| by_object.get(k).copied());
        match (existing.and_then(|at| out.get_mut(at)), values) {
            (Some((positions, indexes, merged)), Some(values)) => {
                positions.push(*position);
                indexes.push(s.index);
                if let Some(Value::Array(list)) = merged.get_mut("values") {
                    merge_values(list, values);
                }
            }
            _ => {
                if let Some(k) = key {
                    by_object.insert(k, out.len());
                }
                out.push((vec![*position], vec![s.index], (*body).clone()));
            }
        }
    }
    out
}

/// Adds `values` to `list`; a value for a `fieldId` already there replaces
/// it in place.
fn merge_values(list: &mut Vec<Value>, values: &[Value]) {
    for v in values {
        let field = v.get("fieldId").and_then(Value::as_str);
        let slot = field.and_then(|f| {
            list.iter_mut()
                .find(|e| e.get("fieldId").and_then(Value::as_str) == Some(f))
        });
        match slot {
            Some(slot) => *slot = v.clone(),
            None => list.push(v.clone()),
        }
    }
}
