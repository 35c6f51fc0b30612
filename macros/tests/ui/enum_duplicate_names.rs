use resourceful::prelude::*;

#[api_enum]
pub enum Status {
    InProgress,
    #[api(rename = "in_progress")]
    Working,
}

fn main() {}
