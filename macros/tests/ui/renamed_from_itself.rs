use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(renamed_from = "title")]
    pub title: String,
}

fn main() {}
