use resourceful::prelude::*;

#[api_resource]
pub struct Wrapper<T> {
    #[api(id)]
    pub id: i64,
    #[api(skip)]
    pub value: T,
}

fn main() {}
