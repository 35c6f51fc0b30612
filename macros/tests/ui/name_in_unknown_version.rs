use resourceful::prelude::*;

#[api_resource(version = 2, previous(v1))]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(name_in(v3 = "label"))]
    pub title: String,
}

fn main() {}
