use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(length(max = 5))]
    pub priority: i32,
}

fn main() {}
