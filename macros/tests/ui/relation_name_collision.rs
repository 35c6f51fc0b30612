use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    pub owner: String,
    #[api(relation(resource = "users", name = "owner"))]
    pub owner_id: i64,
}

fn main() {}
