use resourceful::prelude::*;

#[api_resource(paht = "tasks")]
pub struct Task {
    #[api(id)]
    pub id: i64,
}

fn main() {}
