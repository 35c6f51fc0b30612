use resourceful::prelude::*;

#[api_resource(version = 2, previous(v1))]
pub struct Task {
    #[api(id)]
    pub id: i64,
    pub title: String,
    #[api(added_in = 2)]
    pub priority: i32,
}

fn main() {}
