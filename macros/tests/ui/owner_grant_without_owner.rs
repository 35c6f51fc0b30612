use resourceful::prelude::*;

#[api_resource(access(read = "authenticated", update = "owner | role:admin"))]
pub struct Comment {
    #[api(id)]
    pub id: i64,
    pub author: String,
}

fn main() {}
