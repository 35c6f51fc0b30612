use resourceful::prelude::*;

#[api_resource]
pub struct Note {
    #[api(id)]
    pub id: Option<i64>,
}

fn main() {}
