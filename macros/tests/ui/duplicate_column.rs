use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    pub title: String,
    #[api(column = "title")]
    pub heading: String,
}

fn main() {}
