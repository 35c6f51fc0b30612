use resourceful::prelude::*;

#[api_resource]
pub struct Bookmark {
    #[api(id)]
    pub id: i64,
    #[api(owner, hidden, access(write = "role:admin"))]
    pub owner: String,
    #[api(access(read = "owner"))]
    pub note: Option<String>,
}

fn main() {}
