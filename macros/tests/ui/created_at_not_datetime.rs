use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(created_at)]
    pub created_at: i64,
}

fn main() {}
