//! The contract, as wasmtime's `bindgen!` reads it from `wit/` (the same
//! files the guest uses), and the names the rest of the host uses for its
//! types. A leaf: it imports nothing from this crate.

#[allow(missing_docs, reason = "generated; the docs live in the WIT files")]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "connector",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

pub use generated::connector::destination::http;
pub use generated::connector::destination::http::Method;
pub use generated::connector::destination::types;
pub use generated::connector::destination::types::{
    CallError, CheckInfo, CheckReport, CheckStatus, ConfigError, ConfigSummary, Delivered,
    Description, Exchange, Halt, InputRecord, KeyProblem, Outcome, PlannedRequest, RecordOutcome,
    RecordProblem, Rejected, Retry, Sample, Severity, StepDone,
};
pub use generated::{Connector, ConnectorPre};

impl Method {
    /// The method's name, upper case (`POST`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}
