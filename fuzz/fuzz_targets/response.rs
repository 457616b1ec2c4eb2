//! cargo-fuzz target `response`: see `host_harness::fuzzing::response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| host_harness::fuzzing::response(data));
