use resourceful::prelude::*;

#[api_resource]
pub struct Post {
    #[api(id)]
    pub id: i64,
    pub tags: Vec<String>,
}

fn main() {}
