use resourceful::prelude::*;

#[api_resource]
pub struct Bookmark {
    #[api(id)]
    pub id: i64,
    #[api(owner)]
    pub owner: Option<i64>,
    #[api(owner)]
    pub creator: String,
}

fn main() {}
