use resourceful::prelude::*;

#[api_resource(cache_ttl = "10 minutes")]
pub struct Task {
    #[api(id)]
    pub id: i64,
}

fn main() {}
