use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(relation(resource = "projects", on_delete = "set_null"))]
    pub project_id: i64,
}

fn main() {}
