use resourceful::prelude::*;

#[api_resource]
pub struct User {
    #[api(id)]
    pub id: i64,
    #[api(hidden)]
    pub password_hash: String,
}

fn main() {}
