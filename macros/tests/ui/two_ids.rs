use resourceful::prelude::*;

#[api_resource]
pub struct Membership {
    #[api(id)]
    pub user_id: i64,
    #[api(id)]
    pub group_id: i64,
}

fn main() {}
