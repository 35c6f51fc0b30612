use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(added_in = 2)]
    pub title: Option<String>,
}

fn main() {}
