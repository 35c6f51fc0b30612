use resourceful::prelude::*;

#[api_resource]
pub struct User {
    #[api(id)]
    pub id: i64,
    #[api(hidden, sort)]
    pub password_hash: Option<String>,
}

fn main() {}
