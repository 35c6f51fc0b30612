use resourceful::prelude::*;

#[api_resource]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(default = "high")]
    pub priority: i32,
    #[api(default = "none")]
    pub notes: Option<String>,
    #[api(default = 1)]
    pub due: chrono::NaiveDate,
}

fn main() {}
