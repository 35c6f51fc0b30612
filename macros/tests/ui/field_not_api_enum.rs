use resourceful::prelude::*;

pub struct Money {
    pub cents: i64,
}

#[api_resource]
pub struct Invoice {
    #[api(id)]
    pub id: i64,
    pub total: Money,
}

fn main() {}
