//! `cargo +nightly fuzz run json_input`: see `resourceful::testing::fuzz::json_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resourceful::Resource;

fuzz_target!(|data: &[u8]| {
    resourceful::testing::fuzz::json_input(<example_service::resources::Task as Resource>::MODEL, data)
});
