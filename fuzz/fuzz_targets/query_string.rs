//! `cargo +nightly fuzz run query_string`: see `resourceful::testing::fuzz::query_string`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resourceful::Resource;

fuzz_target!(|data: &[u8]| {
    resourceful::testing::fuzz::query_string(<example_service::resources::Task as Resource>::MODEL, data)
});
