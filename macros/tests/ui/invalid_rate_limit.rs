use resourceful::prelude::*;

#[api_resource(rate_limit(read = "100 per minute", write = "60/min", on_redis_failure = "sometimes"))]
pub struct Task {
    #[api(id)]
    pub id: i64,
}

fn main() {}
