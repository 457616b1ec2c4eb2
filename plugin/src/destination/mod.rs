//! The destination itself: plans requests from records, sends them through
//! a [`Transport`], and classifies what comes back.
//!
//! `sample` and `send` share one planner ([`plan`]), so `sample` shows
//! exactly the requests `send` makes, every call of a record's sequence in
//! order (with lookup-before-create `send` may make fewer: the search can
//! make the create unnecessary; a failed call ends its record's sequence).

use crate::config::Config;
use crate::shape::ShapedRecord;
use crate::types::{
    ConfigError, ConfigSummary, InputRecord, Outcome, RecordOutcome, Rejected, Sample, Transport,
};
use serde_json::{Map, Value};

mod lost_write;
mod plan;
mod response;
mod run;

use plan::Work;
use run::{Stop, internal, stop_after, stopped_outcome};

/// The most records `sample-payload` and `send` take per call.
pub const MAX_RECORDS_PER_CALL: u32 = 10_000;

/// A configured Ashby destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    config: Config,
}

fn to_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| String::from("null"))
}

fn object_json(map: &Map<String, Value>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| String::from("{}"))
}

impl Destination {
    /// Parses and checks a config (JSON text) and returns the destination
    /// and its summary.
    pub fn configure(json: &str) -> Result<(Self, ConfigSummary), ConfigError> {
        let config = Config::parse(json)?;
        let summary = config.summary();
        Ok((Self { config }, summary))
    }

    /// A destination from an already parsed config.
    pub fn from_config(config: Config) -> Self {
        Self { config }
    }

    /// The config in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs the named check (see [`crate::checks`]); only read requests.
    pub fn check(
        &self,
        transport: &mut impl Transport,
        name: &str,
    ) -> Result<crate::types::CheckReport, crate::types::CallError> {
        crate::checks::run(&self.config, transport, name).ok_or_else(|| {
            let names: Vec<&str> = crate::checks::CHECKS.iter().map(|(n, _)| *n).collect();
            crate::types::CallError::InvalidArgument(format!(
                "unknown check \"{name}\"; the checks are {}",
                names.join(", ")
            ))
        })
    }

    /// The config summary, as `configure` returned it.
    pub fn summary(&self) -> ConfigSummary {
        self.config.summary()
    }

    /// The requests `send` would make for these records, in order (every
    /// call of a record's sequence), and the problems found in them. Makes
    /// no request.
    pub fn sample(&self, records: &[InputRecord]) -> Sample {
        let plan = self.plan(records);
        let mut requests = Vec::new();
        for work in plan.work {
            match work {
                Work::Batch { request, .. } => requests.push(request),
                Work::Sequence { calls, .. } => {
                    requests.extend(calls.into_iter().map(|c| c.request))
                }
                Work::Dedupe { search, create, .. } => {
                    requests.push(search);
                    requests.push(create);
                }
            }
        }
        let mut problems = Vec::new();
        for s in plan.shaped {
            if let Err(p) = s.calls {
                problems.push(p);
            }
            problems.extend(s.warnings);
        }
        Sample { requests, problems }
    }

    /// Sends the records and returns exactly one outcome per input record,
    /// in input order, whatever the number of calls a record takes. Never
    /// retries: after a halt, or after the remote asks to slow down, no
    /// further request is made in this call.
    pub fn send(
        &self,
        transport: &mut impl Transport,
        records: &[InputRecord],
    ) -> Vec<RecordOutcome> {
        let plan = self.plan(records);
        let mut outcomes: Vec<Option<Outcome>> = plan
            .shaped
            .iter()
            .map(|s| {
                s.calls.as_ref().err().map(|p| {
                    Outcome::Rejected(Rejected {
                        code: p.code.clone(),
                        message: p.message.clone(),
                        exchange: None,
                        completed: Vec::new(),
                    })
                })
            })
            .collect();
        let mut stop: Option<Stop> = None;
        for work in plan.work {
            let (positions, outcome) = match (&stop, work) {
                (Some(stop), work) => (positions_of(work), stopped_outcome(stop)),
                (None, work) => self.perform(transport, &plan.shaped, records, work),
            };
            if stop.is_none() {
                stop = stop_after(&outcome);
            }
            for pos in positions {
                if let Some(slot) = outcomes.get_mut(pos) {
                    *slot = Some(outcome.clone());
                }
            }
        }
        records
            .iter()
            .zip(outcomes)
            .zip(plan.shaped)
            .map(|((r, o), s)| RecordOutcome {
                index: r.index,
                outcome: o.unwrap_or_else(|| {
                    internal("the destination planned no request for this record")
                }),
                unknown_fields: s.unknown_fields,
            })
            .collect()
    }

    /// Does one unit of work; returns the positions it is about and their
    /// outcome. A record's one call that is not idempotent (a create) goes
    /// through [`lost_write::careful_write`], which looks before writing
    /// again when an earlier attempt's answer was lost.
    fn perform(
        &self,
        transport: &mut impl Transport,
        shaped: &[ShapedRecord],
        records: &[InputRecord],
        work: Work,
    ) -> (Vec<usize>, Outcome) {
        match work {
            Work::Batch { positions, request } => {
                let outcome = self.call(
                    transport,
                    request,
                    self.config.result_id.as_deref(),
                    self.config.permission.as_deref(),
                );
                (positions, outcome)
            }
            Work::Sequence {
                position,
                mut calls,
            } if calls.len() == 1 && !self.config.idempotent => {
                let body = shaped.get(position).and_then(ShapedRecord::first_body);
                let maybe = records.get(position).is_some_and(|r| r.maybe_applied);
                let outcome = match calls.pop() {
                    Some(call) => lost_write::careful_write(
                        &self.config,
                        transport,
                        call.request,
                        body,
                        maybe,
                    ),
                    None => internal("the destination planned no call for this record"),
                };
                (vec![position], outcome)
            }
            Work::Sequence { position, calls } => (vec![position], self.sequence(transport, calls)),
            Work::Dedupe {
                position,
                search,
                create,
            } => (
                vec![position],
                self.dedupe(transport, shaped, position, search, create),
            ),
        }
    }
}

/// The record positions a unit of work is about.
fn positions_of(work: Work) -> Vec<usize> {
    match work {
        Work::Batch { positions, .. } => positions,
        Work::Sequence { position, .. } | Work::Dedupe { position, .. } => vec![position],
    }
}

#[cfg(test)]
mod tests;
