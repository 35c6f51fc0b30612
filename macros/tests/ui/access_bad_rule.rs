use resourceful::prelude::*;

#[api_resource(access(read = "admin", write = "role:editor | public"))]
pub struct Task {
    #[api(id)]
    pub id: i64,
}

fn main() {}
