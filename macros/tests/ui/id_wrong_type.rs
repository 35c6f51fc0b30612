use resourceful::prelude::*;

#[api_resource]
pub struct Reading {
    #[api(id)]
    pub id: f64,
}

fn main() {}
