use resourceful::prelude::*;

#[api_resource(version = 2, previous(v1, v2))]
pub struct Task {
    #[api(id)]
    pub id: i64,
    pub title: String,
}

fn main() {}
