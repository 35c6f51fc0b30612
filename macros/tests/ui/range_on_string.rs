use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(range(min = 1, max = 200))]
    pub title: String,
}

fn main() {}
