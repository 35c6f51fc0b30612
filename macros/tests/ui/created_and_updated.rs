use chrono::{DateTime, Utc};
use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(created_at, updated_at)]
    pub stamp: DateTime<Utc>,
}

fn main() {}
