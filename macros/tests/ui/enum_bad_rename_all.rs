use resourceful::prelude::*;

#[api_enum(rename_all = "Title Case")]
pub enum Status {
    Todo,
    Done,
}

fn main() {}
