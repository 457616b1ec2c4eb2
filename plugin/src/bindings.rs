//! The component glue: wit-bindgen's generated types and the exported
//! `destination` implementation, delegating to [`crate::destination`].

use crate::destination::{Destination, MAX_RECORDS_PER_CALL};
use crate::types as core_types;
use std::sync::OnceLock;

wit_bindgen::generate!({
    path: "../wit",
    world: "connector",
});

use connector::destination::http;
use connector::destination::types as wit;
use exports::connector::destination::destination::Guest;

/// The instance's destination, set by the first successful `configure`.
static DESTINATION: OnceLock<Destination> = OnceLock::new();

/// The exported component.
struct Component;

export!(Component);

/// Sends through the host's `http.send` import.
struct HostTransport;

impl core_types::Transport for HostTransport {
    fn send(
        &mut self,
        req: core_types::HttpRequest,
    ) -> Result<core_types::HttpResponse, core_types::HttpError> {
        // Moved, not copied: the import lowers borrowed strings in place.
        let request = http::Request {
            method: method_out(req.method),
            path: req.path,
            headers: req.headers.into_iter().map(to_header).collect(),
            body: req.body,
        };
        match http::send(&request) {
            Ok(resp) => Ok(core_types::HttpResponse {
                status: resp.status,
                headers: resp
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                body: resp.body,
            }),
            Err(e) => Err(match e {
                http::Error::Denied(m) => core_types::HttpError::Denied(m),
                http::Error::InvalidRequest(m) => core_types::HttpError::InvalidRequest(m),
                http::Error::Timeout(m) => core_types::HttpError::Timeout(m),
                http::Error::Connect(m) => core_types::HttpError::Connect(m),
                http::Error::Transport(m) => core_types::HttpError::Transport(m),
                http::Error::TooLarge(m) => core_types::HttpError::TooLarge(m),
            }),
        }
    }
}

/// Moves a header pair into the WIT record (the same layout: no copy, and
/// `collect` reuses the vector's allocation).
fn to_header((name, value): (String, String)) -> http::Header {
    http::Header { name, value }
}

fn method_out(m: core_types::Method) -> http::Method {
    match m {
        core_types::Method::Get => http::Method::Get,
        core_types::Method::Post => http::Method::Post,
        core_types::Method::Put => http::Method::Put,
        core_types::Method::Patch => http::Method::Patch,
        core_types::Method::Delete => http::Method::Delete,
    }
}

fn method_in(m: http::Method) -> core_types::Method {
    match m {
        http::Method::Get => core_types::Method::Get,
        http::Method::Post => core_types::Method::Post,
        http::Method::Put => core_types::Method::Put,
        http::Method::Patch => core_types::Method::Patch,
        http::Method::Delete => core_types::Method::Delete,
    }
}

fn configured() -> Result<&'static Destination, wit::CallError> {
    DESTINATION.get().ok_or(wit::CallError::NotConfigured)
}

fn records_in(
    records: Vec<wit::InputRecord>,
) -> Result<Vec<core_types::InputRecord>, wit::CallError> {
    if records.len() > MAX_RECORDS_PER_CALL as usize {
        return Err(wit::CallError::TooManyRecords(MAX_RECORDS_PER_CALL));
    }
    Ok(records
        .into_iter()
        .map(|r| core_types::InputRecord {
            index: r.index,
            json: r.json,
            maybe_applied: r.maybe_applied,
        })
        .collect())
}

fn config_error(e: core_types::ConfigError) -> wit::ConfigError {
    let problem = |p: core_types::KeyProblem| wit::KeyProblem {
        key: p.key,
        reason: p.reason,
    };
    match e {
        core_types::ConfigError::Malformed(m) => wit::ConfigError::Malformed(m),
        core_types::ConfigError::UnknownKey(k) => wit::ConfigError::UnknownKey(k),
        core_types::ConfigError::Missing(p) => wit::ConfigError::Missing(problem(p)),
        core_types::ConfigError::Invalid(p) => wit::ConfigError::Invalid(problem(p)),
        core_types::ConfigError::AlreadyConfigured => wit::ConfigError::AlreadyConfigured,
    }
}

fn call_error(e: core_types::CallError) -> wit::CallError {
    match e {
        core_types::CallError::NotConfigured => wit::CallError::NotConfigured,
        core_types::CallError::TooManyRecords(n) => wit::CallError::TooManyRecords(n),
        core_types::CallError::InvalidArgument(m) => wit::CallError::InvalidArgument(m),
    }
}

fn planned_out(p: core_types::PlannedRequest) -> wit::PlannedRequest {
    wit::PlannedRequest {
        method: method_out(p.method),
        path: p.path,
        headers: p.headers.into_iter().map(to_header).collect(),
        body: p.body,
        records: p.records,
    }
}

fn planned_in(p: wit::PlannedRequest) -> core_types::PlannedRequest {
    core_types::PlannedRequest {
        method: method_in(p.method),
        path: p.path,
        headers: p.headers.into_iter().map(|h| (h.name, h.value)).collect(),
        body: p.body,
        records: p.records,
    }
}

fn exchange_out(e: core_types::Exchange) -> wit::Exchange {
    wit::Exchange {
        request: planned_out(e.request),
        status: e.status,
        headers: e.headers.into_iter().map(to_header).collect(),
        body: e.body,
    }
}

fn exchange_in(e: wit::Exchange) -> core_types::Exchange {
    core_types::Exchange {
        request: planned_in(e.request),
        status: e.status,
        headers: e.headers.into_iter().map(|h| (h.name, h.value)).collect(),
        body: e.body,
    }
}

fn steps_out(steps: Vec<core_types::StepDone>) -> Vec<wit::StepDone> {
    steps
        .into_iter()
        .map(|s| wit::StepDone {
            id: s.id,
            exchange: exchange_out(s.exchange),
        })
        .collect()
}

fn outcome_out(o: core_types::Outcome) -> wit::Outcome {
    match o {
        core_types::Outcome::Delivered(d) => wit::Outcome::Delivered(wit::Delivered {
            id: d.id,
            existing: d.existing,
            exchange: exchange_out(d.exchange),
            completed: steps_out(d.completed),
        }),
        core_types::Outcome::Rejected(r) => wit::Outcome::Rejected(wit::Rejected {
            code: r.code,
            message: r.message,
            exchange: r.exchange.map(exchange_out),
            completed: steps_out(r.completed),
        }),
        core_types::Outcome::Retry(r) => wit::Outcome::Retry(wit::Retry {
            code: r.code,
            message: r.message,
            retry_after: r.retry_after,
            exchange: r.exchange.map(exchange_out),
            maybe_applied: r.maybe_applied,
            completed: steps_out(r.completed),
        }),
        core_types::Outcome::Halt(h) => wit::Outcome::Halt(wit::Halt {
            code: h.code,
            message: h.message,
            permission: h.permission,
            exchange: h.exchange.map(exchange_out),
            completed: steps_out(h.completed),
        }),
    }
}

fn problem_out(p: core_types::RecordProblem) -> wit::RecordProblem {
    wit::RecordProblem {
        index: p.index,
        severity: match p.severity {
            core_types::Severity::Error => wit::Severity::Error,
            core_types::Severity::Warning => wit::Severity::Warning,
        },
        code: p.code,
        field: p.field,
        message: p.message,
    }
}

fn report_out(r: core_types::CheckReport) -> wit::CheckReport {
    wit::CheckReport {
        name: r.name,
        status: match r.status {
            core_types::CheckStatus::Ok => wit::CheckStatus::Ok,
            core_types::CheckStatus::Failed => wit::CheckStatus::Failed,
            core_types::CheckStatus::Unknown => wit::CheckStatus::Unknown,
        },
        code: r.code,
        message: r.message,
        action: r.action,
    }
}

impl Guest for Component {
    fn describe() -> wit::Description {
        let d = crate::describe::describe();
        wit::Description {
            config_schema: d.config_schema,
            catalog: d.catalog,
            checks: d
                .checks
                .into_iter()
                .map(|c| wit::CheckInfo {
                    name: c.name,
                    description: c.description,
                })
                .collect(),
        }
    }

    fn check(name: String) -> Result<wit::CheckReport, wit::CallError> {
        configured()?
            .check(&mut HostTransport, &name)
            .map(report_out)
            .map_err(call_error)
    }

    fn configure(config: String) -> Result<wit::ConfigSummary, wit::ConfigError> {
        if DESTINATION.get().is_some() {
            return Err(wit::ConfigError::AlreadyConfigured);
        }
        let (destination, summary) = Destination::configure(&config).map_err(config_error)?;
        if DESTINATION.set(destination).is_err() {
            return Err(wit::ConfigError::AlreadyConfigured);
        }
        Ok(wit::ConfigSummary {
            template: summary.template,
            endpoint: summary.endpoint,
            method: summary.method,
            permission: summary.permission,
            response_webhook: summary.response_webhook,
            records_per_call: summary.records_per_call,
            warnings: summary.warnings,
        })
    }

    fn sample_payload(records: Vec<wit::InputRecord>) -> Result<wit::Sample, wit::CallError> {
        let destination = configured()?;
        let records = records_in(records)?;
        let sample = destination.sample(&records);
        Ok(wit::Sample {
            requests: sample.requests.into_iter().map(planned_out).collect(),
            problems: sample.problems.into_iter().map(problem_out).collect(),
        })
    }

    fn send(records: Vec<wit::InputRecord>) -> Result<Vec<wit::RecordOutcome>, wit::CallError> {
        let destination = configured()?;
        let records = records_in(records)?;
        Ok(destination
            .send(&mut HostTransport, &records)
            .into_iter()
            .map(|o| wit::RecordOutcome {
                index: o.index,
                outcome: outcome_out(o.outcome),
                unknown_fields: o.unknown_fields,
            })
            .collect())
    }

    fn on_response(exchange: wit::Exchange) -> Result<Option<String>, wit::CallError> {
        configured()?
            .on_response(&exchange_in(exchange))
            .map_err(call_error)
    }
}
