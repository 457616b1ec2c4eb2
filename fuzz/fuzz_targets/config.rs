//! cargo-fuzz target `config`: see `test_support::fuzzing::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| test_support::fuzzing::config(data));
