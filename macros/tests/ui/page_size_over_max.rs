use resourceful::prelude::*;

#[api_resource(page_size = 100, max_page_size = 50)]
pub struct Task {
    #[api(id)]
    pub id: i64,
}

fn main() {}
