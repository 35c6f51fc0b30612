use resourceful::prelude::*;

#[api_resource]
pub struct Label {
    #[api(id)]
    pub id: i64,
    pub text: &'static str,
}

fn main() {}
