//! End-to-end tests: the real component in the real host against the mock
//! Ashby. One test binary for the crate (one wasmtime link), one module per
//! concern; the fixtures they share are the `e2e` library (`src/lib.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod contract;
mod coordination;
mod delivery;
mod describe;
mod fuzz_props;
mod isolation;
mod observability;
mod outage;
mod property;
mod secrets;
mod steps;
mod templates;
