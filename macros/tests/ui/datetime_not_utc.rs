use chrono::{DateTime, FixedOffset, Local};
use resourceful::prelude::*;

#[api_resource]
pub struct Meeting {
    #[api(id)]
    pub id: i64,
    pub starts: DateTime<Local>,
    pub ends: Option<DateTime<FixedOffset>>,
}

fn main() {}
