use resourceful::prelude::*;

#[api_resource]
pub struct Place {
    #[api(id)]
    pub id: i64,
    pub coordinates: (f64, f64),
}

fn main() {}
