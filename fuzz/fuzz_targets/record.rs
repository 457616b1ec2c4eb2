//! cargo-fuzz target `record`: see `test_support::fuzzing::record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| test_support::fuzzing::record(data));
