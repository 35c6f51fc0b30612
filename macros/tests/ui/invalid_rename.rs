use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(rename = "due-date")]
    pub due: Option<String>,
}

fn main() {}
