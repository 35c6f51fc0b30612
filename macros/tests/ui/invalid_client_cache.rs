use resourceful::prelude::*;

#[api_resource(client_cache = "half a minute")]
pub struct Task {
    #[api(id)]
    pub id: i64,
}

fn main() {}
