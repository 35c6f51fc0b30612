use resourceful::prelude::*;

#[api_resource(path = "/api/Tasks")]
pub struct Task {
    #[api(id)]
    pub id: i64,
}

fn main() {}
