use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(filter = true)]
    pub done: bool,
}

fn main() {}
