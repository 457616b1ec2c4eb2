//! cargo-fuzz target `headers`: see `host_harness::fuzzing::headers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| host_harness::fuzzing::headers(data));
