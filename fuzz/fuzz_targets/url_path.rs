//! cargo-fuzz target `url_path`: see `test_support::fuzzing::url_path`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| test_support::fuzzing::url_path(data));
