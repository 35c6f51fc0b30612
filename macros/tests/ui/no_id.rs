use resourceful::prelude::*;

#[api_resource]
pub struct Note {
    pub id: i64,
    pub body: String,
}

fn main() {}
