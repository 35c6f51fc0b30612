use resourceful::prelude::*;

#[api_resource(version = 2, previous(v1))]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(name_in(v1 = "notes"))]
    pub title: String,
    pub notes: Option<String>,
}

fn main() {}
