//! cargo-fuzz target `headers`: see `test_support::fuzzing::headers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| test_support::fuzzing::headers(data));
