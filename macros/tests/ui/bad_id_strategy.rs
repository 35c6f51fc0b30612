use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id = "autoincrement")]
    pub id: i64,
}

fn main() {}
