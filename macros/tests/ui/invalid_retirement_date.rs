use resourceful::prelude::*;

#[api_resource(version = 2, previous(v1(deprecated = "2027-01-01", sunset = "next year")))]
pub struct Task {
    #[api(id)]
    pub id: i64,
    pub title: String,
}

fn main() {}
