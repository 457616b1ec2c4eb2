//! cargo-fuzz target `url_path`: see `host_harness::fuzzing::url_path`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| host_harness::fuzzing::url_path(data));
