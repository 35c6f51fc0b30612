use resourceful::prelude::*;

#[api_resource]
pub struct Ticket {
    #[api(id)]
    pub id: i64,
    #[api(pattern = "[A-Z]{2,5-[0-9]+")]
    pub code: String,
}

fn main() {}
