use resourceful::prelude::*;

// Every problem is reported in one pass, each at its own tokens.
#[api_resource(cache_ttl = "soon", page_size = 0)]
pub struct Order {
    #[api(id)]
    pub id: i64,
    #[api(id)]
    pub number: i64,
    pub lines: Vec<String>,
    #[api(fliter)]
    pub customer: String,
    #[api(length(max = 3))]
    pub quantity: i32,
    #[api(hidden, filter)]
    pub secret: Option<String>,
}

fn main() {}
