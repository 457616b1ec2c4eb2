//! cargo-fuzz target `record`: see `host_harness::fuzzing::record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| host_harness::fuzzing::record(data));
