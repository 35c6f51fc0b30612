use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    pub title: String,
    #[api(rename = "title")]
    pub headline: String,
}

fn main() {}
