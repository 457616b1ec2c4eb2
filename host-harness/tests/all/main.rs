//! The CLI as users run it: the real `host-harness` binary, the real
//! component, a mock Ashby on loopback. One test binary (modules below)
//! for the crate.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod artifact;
mod bench;
mod check_cli;
mod cli;
mod coordination;
mod data_tool;
mod isolation_cli;
mod observability;
mod ui;
mod util;
