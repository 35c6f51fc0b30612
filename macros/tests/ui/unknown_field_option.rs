use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(fliter, sort)]
    pub title: String,
}

fn main() {}
