use resourceful::prelude::*;

pub struct Money {
    pub cents: i64,
}

#[api_resource]
pub struct Invoice {
    #[api(id)]
    pub id: i64,
    #[api(filter)]
    pub discount: Option<Money>,
}

fn main() {}
