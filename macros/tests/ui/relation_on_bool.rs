use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(relation = "projects")]
    pub project_id: bool,
}

fn main() {}
