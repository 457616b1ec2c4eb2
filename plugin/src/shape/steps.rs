//! Splits a shaped record into the bodies of the template's steps that run
//! for it, in order.

use super::{MISSING_FIELD, NOTHING_TO_SEND, missing_message, problem};
use crate::templates::{Runs, Source, Step, Template};
use crate::types::RecordProblem;
use serde_json::{Map, Value};

/// One call of a record's sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The template step it makes, counting from 0 (0 in manual mode).
    pub step: usize,
    /// The body. A pending field holds a placeholder until it is filled.
    pub body: Map<String, Value>,
    /// Body fields filled from earlier steps' results when sent.
    pub pending: Vec<Pending>,
}

/// A body field whose value is an earlier step's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The body field.
    pub key: String,
    /// The earlier step, counting from 0.
    pub step: usize,
    /// The key in that step's `results`.
    pub result: String,
}

impl Call {
    /// The one call of a manual-mode record: the record as it is.
    pub fn manual(body: Map<String, Value>) -> Self {
        Self {
            step: 0,
            body,
            pending: Vec::new(),
        }
    }
}

/// The text a pending field holds in `sample-payload`.
pub fn placeholder(step: usize, result: &str) -> String {
    format!("<results.{result} of step {}>", step + 1)
}

/// The calls for one record: every step that runs, in order. A record for
/// which no step runs is rejected, and so is one that lacks a field a
/// running step needs.
pub fn plan(
    t: &Template,
    obj: &Map<String, Value>,
    unknown: &[String],
    index: u64,
) -> Result<Vec<Call>, RecordProblem> {
    let present = |name: &str| obj.get(name).is_some_and(|v| !v.is_null());
    let mut calls: Vec<Call> = Vec::new();
    for (i, step) in t.steps.iter().enumerate() {
        if !step.runs_for(present) {
            continue;
        }
        let mut call = Call {
            step: i,
            body: Map::new(),
            pending: Vec::new(),
        };
        for key in step.fields.names() {
            match step.source(key) {
                Source::Field(_) => {}
                Source::Value(v) => {
                    call.body.insert(key.to_owned(), v);
                }
                Source::Step {
                    index: from,
                    result,
                } => {
                    if !calls.iter().any(|c| c.step == from) {
                        return Err(problem(
                            index,
                            MISSING_FIELD,
                            Some(key),
                            format!(
                                "{} (step {}) needs the result of step {}, which does not run for this record",
                                step.endpoint,
                                i + 1,
                                from + 1
                            ),
                        ));
                    }
                    call.body
                        .insert(key.to_owned(), Value::String(placeholder(from, &result)));
                    call.pending.push(Pending {
                        key: key.to_owned(),
                        step: from,
                        result,
                    });
                }
            }
        }
        let first = calls.is_empty();
        for (name, value) in obj {
            if first && unknown.contains(name) {
                call.body.insert(name.clone(), value.clone());
            }
            for (_, key) in step.record_fields().filter(|(f, _)| f == name) {
                call.body.insert(key.to_owned(), value.clone());
            }
        }
        check_required(t, step, i, &call.body, index)?;
        calls.push(call);
    }
    if calls.is_empty() {
        return Err(nothing_to_send(t, index));
    }
    Ok(calls)
}

/// Every field a running step requires must be there (and not null).
fn check_required(
    t: &Template,
    step: &Step,
    i: usize,
    body: &Map<String, Value>,
    index: u64,
) -> Result<(), RecordProblem> {
    let Some(key) = step
        .required
        .iter()
        .find(|k| body.get(*k).is_none_or(Value::is_null))
    else {
        return Ok(());
    };
    let field = match step.source(key) {
        Source::Field(f) => f,
        _ => key.clone(),
    };
    let mut message = missing_message(t, &field);
    if let Runs::WhenAny(_) = step.runs {
        message.push_str(&format!(", which {} (step {}) needs", step.endpoint, i + 1));
    }
    Err(problem(index, MISSING_FIELD, Some(&field), message))
}

/// Why a record with no field for any step is rejected: each step and the
/// fields that would make it run.
fn nothing_to_send(t: &Template, index: u64) -> RecordProblem {
    let wanted: Vec<String> = t
        .steps
        .iter()
        .filter_map(|s| match &s.runs {
            Runs::WhenAny(names) => Some(format!("{} for {}", names.join(", "), s.endpoint)),
            Runs::Always => None,
        })
        .collect();
    problem(
        index,
        NOTHING_TO_SEND,
        None,
        format!(
            "the record has no field that the \"{}\" template sends; it needs at least one of: {}",
            t.id,
            wanted.join("; ")
        ),
    )
}
