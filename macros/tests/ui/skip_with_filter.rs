use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(skip, filter)]
    pub scratch: String,
}

fn main() {}
