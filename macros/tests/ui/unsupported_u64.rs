use resourceful::prelude::*;

#[api_resource]
pub struct Counter {
    #[api(id)]
    pub id: i64,
    pub hits: u64,
}

fn main() {}
