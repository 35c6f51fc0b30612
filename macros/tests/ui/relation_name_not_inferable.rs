use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(relation = "users")]
    pub owner: i64,
}

fn main() {}
