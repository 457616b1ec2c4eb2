//! cargo-fuzz target `response`: see `test_support::fuzzing::response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| test_support::fuzzing::response(data));
