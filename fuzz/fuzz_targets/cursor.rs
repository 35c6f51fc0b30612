//! `cargo +nightly fuzz run cursor`: see `resourceful::testing::fuzz::cursor`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resourceful::Resource;

fuzz_target!(|data: &[u8]| {
    resourceful::testing::fuzz::cursor(<example_service::resources::Task as Resource>::MODEL, data)
});
