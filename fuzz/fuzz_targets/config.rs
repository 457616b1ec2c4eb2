//! cargo-fuzz target `config`: see `host_harness::fuzzing::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| host_harness::fuzzing::config(data));
